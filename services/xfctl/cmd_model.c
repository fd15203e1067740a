/* cmd_model.c - xfctl model train|eval|cv: the category model's tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/corpus.h"
#include "util.h"
#include "xfctl.h"
#include "xalloc.h"

/* Loads a corpus normalised like the daemon does; 0 or 1 after printing. */
static int load(struct corpus *c, const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct normalizer *nz = normalizer_new(&err);
	int rc = nz ? corpus_load(c, path, nz, &err) : -1;

	normalizer_free(nz);
	if (rc)
		xfctl_fail(path, &err);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

static int model_train_cmd(const char *data, const char *out, const struct train_opts *o)
{
	struct corpus c = { 0 };
	struct sbuf err = SBUF_INIT;
	struct model *m;
	char stamp[32];
	json_t *meta;
	double t0 = now_ms();
	int rc = 1;

	if (load(&c, data)) {
		corpus_release(&c);
		return 1;
	}
	m = model_train(&c, NULL, o, &err);
	if (m) {
		time_format_cst(time(NULL), stamp);
		snprintf(m->version, sizeof m->version, "%s-n%d-C%g-%.10s", o->svm ? "svm" : "lr",
			 o->ngram_max, o->C, stamp);
		meta = json_pack("{s:s, s:I, s:f, s:i, s:s}", "trained_on", data, "documents",
				 (json_int_t)c.n, "C", o->C, "min_df", o->min_df, "command",
				 "xfctl model train DATA -o MODEL");
		rc = model_save(m, out, meta, &err) ? xfctl_fail(out, &err) : 0;
		json_decref(meta);
		if (!rc)
			printf("model %s: %zu documents, %d classes, %zu features, %.1f s -> %s\n",
			       m->version, c.n, m->nclasses, m->nfeatures, (now_ms() - t0) / 1000.0,
			       out);
		model_free(m);
	} else {
		xfctl_fail("train", &err);
	}
	corpus_release(&c);
	sbuf_release(&err);
	return rc;
}

static int model_eval_cmd(const char *path, const char *data)
{
	struct corpus c = { 0 };
	struct sbuf err = SBUF_INIT;
	struct model *m = model_load(path, &err);
	struct eval e = { 0 };

	if (!m)
		return xfctl_fail(path, &err);
	c.nclasses = m->nclasses;
	for (int k = 0; k < m->nclasses; k++)
		c.classes[k] = xstrdup(m->classes[k]);
	if (load(&c, data)) {
		corpus_release(&c);
		model_free(m);
		return 1;
	}
	eval_model(m, &c, NULL, &e);
	printf("model      %s\n", m->version);
	eval_print(&e, m->classes, stdout);
	corpus_release(&c);
	model_free(m);
	return 0;
}

static int model_cv_cmd(const char *data, int k, const struct train_opts *o)
{
	struct corpus c = { 0 };
	struct sbuf err = SBUF_INIT;
	struct eval e;
	int rc;

	if (load(&c, data)) {
		corpus_release(&c);
		return 1;
	}
	rc = corpus_cv(&c, k, o, &e, &err);
	if (rc) {
		xfctl_fail("cv", &err);
	} else {
		printf("%d-fold stratified cross-validation, C=%g, n-grams 1-%d, min_df %d\n", k,
		       o->C, o->ngram_max, o->min_df);
		eval_print(&e, c.classes, stdout);
	}
	corpus_release(&c);
	return rc ? 1 : 0;
}

/* Options after the positional arguments: -o FILE, -k N, -C X, --ngram N,
 * --min-df N, --bits N (log2 of the feature buckets). */
static int options(int argc, char **argv, struct train_opts *o, const char **out, int *k)
{
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return -1;
		if (!strcmp(argv[i], "-o"))
			*out = v;
		else if (!strcmp(argv[i], "-k"))
			*k = atoi(v);
		else if (!strcmp(argv[i], "-C"))
			o->C = atof(v);
		else if (!strcmp(argv[i], "--ngram"))
			o->ngram_max = atoi(v);
		else if (!strcmp(argv[i], "--min-df"))
			o->min_df = atoi(v);
		else if (!strcmp(argv[i], "--bits"))
			o->bucket_bits = atoi(v);
		else if (!strcmp(argv[i], "--svm"))
			o->svm = atoi(v);
		else if (!strcmp(argv[i], "--balanced"))
			o->balanced = atoi(v);
		else
			return -1;
		i++;
	}
	return *k >= 2 && *k <= 20 && o->C > 0 && o->ngram_max >= 1 && o->ngram_max <= 4 &&
			       o->bucket_bits >= 12 && o->bucket_bits <= 24
		       ? 0
		       : -1;
}

int cmd_model(struct xfctl *x, int argc, char **argv)
{
	struct train_opts o;
	const char *out = NULL;
	int k = 5;

	(void)x;
	train_opts_default(&o);
	if (argc >= 2 && !strcmp(argv[0], "train") && !options(argc - 2, argv + 2, &o, &out, &k) &&
	    out)
		return model_train_cmd(argv[1], out, &o);
	if (argc == 3 && !strcmp(argv[0], "eval"))
		return model_eval_cmd(argv[1], argv[2]);
	if (argc >= 2 && !strcmp(argv[0], "cv") && !options(argc - 2, argv + 2, &o, &out, &k))
		return model_cv_cmd(argv[1], k, &o);
	return -1;
}
