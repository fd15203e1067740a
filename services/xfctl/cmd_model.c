/* cmd_model.c - xfctl model split|train|eval|cv: the category model's tools. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "classify/classifier.h"
#include "classify/corpus.h"
#include "classify/split.h"
#include "utf8.h"
#include "util.h"
#include "vocab.h"
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

/* The labelled lines of a data file, as they are, for xfctl model split. */
struct lines {
	size_t n, alloc;
	json_t **doc;
	const char **id; /* borrowed from doc */
	int *label;      /* taxonomy index */
};

static void lines_release(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->doc[i]);
	free(l->doc);
	free(l->id);
	free(l->label);
}

/* Keeps one line if it has an id and a known label; -1 otherwise. */
static int lines_add(struct lines *l, json_t *doc)
{
	const char *id = json_string_value(json_object_get(doc, "id"));
	int k = vocab_category_label(json_string_value(json_object_get(doc, "label")));

	if (!id || !*id || k < 0 || !json_is_string(json_object_get(doc, "text")))
		return -1;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 1024;
		l->doc = xrealloc(l->doc, l->alloc * sizeof *l->doc);
		l->id = xrealloc(l->id, l->alloc * sizeof *l->id);
		l->label = xrealloc(l->label, l->alloc * sizeof *l->label);
	}
	l->doc[l->n] = doc;
	l->id[l->n] = id;
	l->label[l->n++] = k;
	return 0;
}

static int lines_read(struct lines *l, const char *path, struct sbuf *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;

	if (!f) {
		sbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (!rc && getline(&buf, &cap, f) > 0) {
		json_t *doc = json_loads(buf, JSON_DECODE_ANY, NULL);

		lineno++;
		if (doc && lines_add(l, doc)) {
			sbuf_addf(err, "%s:%zu: needs \"id\", \"text\" and a known \"label\"", path,
				  lineno);
			json_decref(doc);
			rc = -1;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

/* The raw-like copy of a document: its text without the tokeniser's spaces. */
static json_t *raw_like(json_t *doc)
{
	json_t *copy = json_deep_copy(doc);
	const char *text = json_string_value(json_object_get(doc, "text"));
	struct sbuf sb = SBUF_INIT;

	for (const char *p = text; *p; p++)
		if (*p != ' ')
			sbuf_addch(&sb, *p);
	json_object_set_new(copy, "text", json_string(sb.buf ? sb.buf : ""));
	sbuf_release(&sb);
	return copy;
}

enum { PART_TRAIN, PART_TEST, PART_RAW, PART_IDS, NPARTS };
static const char *const part_names[NPARTS] = { "train.jsonl", "test.jsonl", "test_raw.jsonl",
						"test_ids.txt" };

static void write_line(FILE *f, json_t *doc)
{
	json_dumpf(doc, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

static int write_parts(const struct lines *l, const unsigned char *test, const char *dir,
		       struct sbuf *err)
{
	FILE *f[NPARTS] = { 0 };
	char path[4096];
	int rc = 0;

	for (int p = 0; !rc && p < NPARTS; p++) {
		snprintf(path, sizeof path, "%s/%s", dir, part_names[p]);
		if (!(f[p] = fopen(path, "w"))) {
			sbuf_addf(err, "cannot write %s: %s", path, strerror(errno));
			rc = -1;
		}
	}
	for (size_t i = 0; !rc && i < l->n; i++) {
		json_t *raw = test[i] ? raw_like(l->doc[i]) : NULL;

		write_line(f[test[i] ? PART_TEST : PART_TRAIN], l->doc[i]);
		if (raw)
			write_line(f[PART_RAW], raw), fprintf(f[PART_IDS], "%s\n", l->id[i]);
		json_decref(raw);
	}
	for (int p = 0; p < NPARTS; p++)
		if (f[p] && (ferror(f[p]) | fclose(f[p])) && !rc) {
			sbuf_addf(err, "writing %s/%s failed", dir, part_names[p]);
			rc = -1;
		}
	return rc;
}

static int model_split_cmd(const char *data, const char *dir, uint64_t seed, int pct)
{
	struct lines l = { 0 };
	struct sbuf err = SBUF_INIT;
	unsigned char *test = NULL;
	size_t held = 0;
	int rc = lines_read(&l, data, &err);

	if (!rc && mkdir(dir, 0755) && errno != EEXIST) {
		sbuf_addf(&err, "cannot create %s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (!rc) {
		test = xcalloc(l.n ? l.n : 1, 1);
		held = split_stratified(l.id, l.label, l.n, VOCAB_NCATEGORIES, seed, pct, test);
		rc = write_parts(&l, test, dir, &err);
	}
	if (rc)
		xfctl_fail("split", &err);
	else
		printf("split %s (seed %llu, %d%% per class): %zu training, %zu test -> %s/\n",
		       data, (unsigned long long)seed, pct, l.n - held, held, dir);
	free(test);
	lines_release(&l);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

/* xfctl model split DATA --seed N --test-pct P -o DIR */
static int split_options(int argc, char **argv, const char **dir, uint64_t *seed, int *pct)
{
	for (int i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-o"))
			*dir = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			*seed = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--test-pct"))
			*pct = atoi(argv[i + 1]);
		else
			return -1;
	}
	return argc % 2 == 0 && *dir && *pct >= 1 && *pct <= 99 ? 0 : -1;
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
		snprintf(m->version, sizeof m->version, "%s%s-n%d%s%s-C%g-%.10s",
			 o->nb == 2 ? "ens-"
			 : o->nb    ? "nb"
				    : "",
			 o->svm ? "svm" : "lr", o->ngram_max, m->stop ? "-stop" : "",
			 m->words == 2 ? "-w2"
			 : m->words    ? "-w1"
				       : "",
			 o->C, stamp);
		meta = json_pack("{s:s, s:I, s:f, s:i, s:b, s:i, s:s}", "trained_on", data,
				 "documents", (json_int_t)c.n, "C", o->C, "min_df", o->min_df,
				 "balanced", o->balanced, "nb", o->nb, "command",
				 "xfctl model train DATA -o MODEL");
		rc = model_save(m, out, meta, &err) ? xfctl_fail(out, &err) : 0;
		json_decref(meta);
		if (!rc)
			printf("model %s: %zu documents, %d classes, %zu features, %.1f s -> %s\n",
			       m->version, c.n, m->nclasses, m->nfeatures, (now_ms() - t0) / 1000.0,
			       out);
		if (!rc && m->seg)
			printf("it loads its words from %s in its own directory\n", m->segment);
		model_free(m);
	} else {
		xfctl_fail("train", &err);
	}
	corpus_release(&c);
	sbuf_release(&err);
	return rc;
}

/* The first 60 characters of text, for a line of --errors. */
static int head_len(const char *text)
{
	size_t len = 0;

	for (int chars = 0; text[len] && chars < 60; chars++) /* whole characters */
		for (size_t step = utf8_step((unsigned char)text[len]); step && text[len]; step--)
			len++;
	return (int)len;
}

/* Each misfiled document of c: its truth, the model's choice and its probability, its text. */
static void print_errors(const struct model *m, const struct corpus *c)
{
	struct model_ws *ws = model_ws_new();
	struct model_result res;

	printf("misfiled (truth -> predicted, probability, normalised text):\n");
	for (size_t i = 0; i < c->n; i++) {
		int best = model_predict(m, ws, c->text[i], &res) ? 0 : res.best;

		if (best != c->label[i])
			printf("%s -> %s %.2f %.*s\n", m->classes[c->label[i]], m->classes[best],
			       res.prob[best], head_len(c->text[i]), c->text[i]);
	}
	model_ws_free(ws);
}

/* The class of category code among c's classes, or c->nclasses (elsewhere). */
static int class_of(const struct corpus *c, const char *code)
{
	int k = 0;

	while (k < c->nclasses && strcmp(c->classes[k], code))
		k++;
	return k;
}

/* xfctl model eval|cv --whole: the classifier as xf-classify runs it. */
struct whole {
	int on, errors;
	double other_below, keyword_strong; /* < 0: the classifier's defaults */
	struct classifier cl;
	long where[VOCAB_NCATEGORIES]; /* documents given each category outside the classes */
};

/* Options --whole, --other-below X, --keyword-strong X taken out of argv;
 * returns the arguments left. */
static int whole_options(int argc, char **argv, struct whole *w)
{
	int left = 0;

	w->other_below = w->keyword_strong = -1;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--whole"))
			w->on = 1;
		else if (!strcmp(argv[i], "--other-below") && i + 1 < argc)
			w->other_below = atof(argv[++i]);
		else if (!strcmp(argv[i], "--keyword-strong") && i + 1 < argc)
			w->keyword_strong = atof(argv[++i]);
		else
			argv[left++] = argv[i];
	return left;
}

/* A classifier for w, without a model until whole_judge() gives it one;
 * 0 or 1. */
static int whole_init(struct whole *w)
{
	struct sbuf err = SBUF_INIT;

	if (classifier_init(&w->cl, NULL, &err)) {
		classifier_release(&w->cl);
		return xfctl_fail("classifier", &err);
	}
	if (w->other_below >= 0)
		w->cl.other_below = w->other_below;
	if (w->keyword_strong >= 0)
		w->cl.keyword_strong = w->keyword_strong;
	return 0;
}

/*
 * The documents of c where test[i] (NULL: all) through classifier_text():
 * the model, the starter keyword table for the categories the model does
 * not know, `other` when nothing claims the text; into e with its elsewhere
 * column, the misfiled printed if asked. m: the model to judge (borrowed).
 */
static void whole_judge(void *arg, const struct model *m, const struct corpus *c,
			const unsigned char *test, struct eval *e)
{
	struct whole *w = arg;
	struct sbuf err = SBUF_INIT;
	double t0 = now_ms();

	if (classifier_use_model(&w->cl, (struct model *)m, &err)) {
		/* cannot be: corpus classes are taxonomy codes */
		fprintf(stderr, "xfctl model: %s\n", err.buf);
		exit(1);
	}
	e->nclasses = c->nclasses;
	e->elsewhere = 1;
	for (size_t i = 0; i < c->n; i++) {
		struct classifier_text ct;
		int k;

		if (test && !test[i])
			continue;
		classifier_text(&w->cl, "", c->text[i], NULL, &ct);
		k = class_of(c, ct.category);
		eval_add(e, c->label[i], k);
		if (k == c->nclasses)
			w->where[vocab_category_index(ct.category)]++;
		if (w->errors && k != c->label[i])
			printf("%s -> %s %.2f %.*s\n", c->classes[c->label[i]], ct.category,
			       ct.confidence, head_len(c->text[i]), c->text[i]);
		classifier_text_release(&ct);
	}
	e->predict_ms += now_ms() - t0;
}

static void whole_print(const struct whole *w)
{
	printf("through the whole classifier: keyword table %s, other below a claim of %g, "
	       "keywords outweigh at %g\nelsewhere ",
	       classifier_keywords_version(&w->cl), w->cl.other_below, w->cl.keyword_strong);
	for (int k = 0; k < VOCAB_NCATEGORIES; k++)
		if (w->where[k])
			printf(" %s %ld", vocab_categories[k].code, w->where[k]);
	printf("\n");
}

static int model_eval_cmd(const char *path, const char *data, int errors, struct whole *w)
{
	struct corpus c = { 0 };
	struct sbuf err = SBUF_INIT;
	struct model *m = model_load(path, &err);
	struct eval e = { 0 };
	int rc = 0;

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
	w->errors = errors;
	if (w->on && errors)
		printf("misfiled (truth -> category, confidence, normalised text):\n");
	if (w->on && !(rc = whole_init(w))) {
		whole_judge(w, m, &c, NULL, &e); /* the model loaded above, borrowed */
		whole_print(w);
		classifier_release(&w->cl);
	} else if (!w->on) {
		eval_model(m, &c, NULL, &e);
	}
	if (!rc) {
		printf("model      %s\n", m->version);
		eval_print(&e, m->classes, stdout);
	}
	if (!rc && errors && !w->on)
		print_errors(m, &c);
	corpus_release(&c);
	model_free(m);
	return rc;
}

static int model_cv_cmd(const char *data, int k, const struct train_opts *o, struct whole *w)
{
	struct corpus c = { 0 };
	struct sbuf err = SBUF_INIT;
	struct eval e;
	int rc;

	if (load(&c, data)) {
		corpus_release(&c);
		return 1;
	}
	if (w->on && whole_init(w)) {
		corpus_release(&c);
		return 1;
	}
	rc = w->on ? corpus_cv_judged(&c, k, o, whole_judge, w, &e, &err)
		   : corpus_cv(&c, k, o, &e, &err);
	if (w->on && !rc)
		whole_print(w);
	if (w->on)
		classifier_release(&w->cl);
	if (rc) {
		xfctl_fail("cv", &err);
	} else {
		printf("%d-fold stratified cross-validation, C=%g, n-grams 1-%d, min_df %d, "
		       "tf %s, balanced %d, nb %d, %d buckets, stop %d, words %d\n",
		       k, o->C, o->ngram_max, o->min_df, model_tf_names[o->tf], o->balanced, o->nb,
		       1 << o->bucket_bits, o->stop, o->words);
		eval_print(&e, c.classes, stdout);
	}
	corpus_release(&c);
	return rc ? 1 : 0;
}

/* MODEL_TF_* by name, or -1. */
static int tf_mode(const char *name)
{
	for (int t = 0; t < 3; t++)
		if (!strcmp(name, model_tf_names[t]))
			return t;
	return -1;
}

/* Options after the positional arguments: -o FILE, -k N, -C X, --ngram N,
 * --min-df N, --bits N (log2 of the feature buckets), --svm 0|1,
 * --balanced 0|1, --nb 0|1|2 (2: the ensemble), --tf log|raw|binary,
 * --stop 0|1 (stop words left out), --words 0|1|2 (word uni-, bigrams;
 * with words, --ngram 0 is words alone),
 * --dict FILE (the segmenter's dictionary, for --stop and --words). */
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
		else if (!strcmp(argv[i], "--nb"))
			o->nb = atoi(v);
		else if (!strcmp(argv[i], "--tf"))
			o->tf = tf_mode(v);
		else if (!strcmp(argv[i], "--stop"))
			o->stop = atoi(v);
		else if (!strcmp(argv[i], "--words"))
			o->words = atoi(v);
		else if (!strcmp(argv[i], "--dict"))
			o->dict = v;
		else
			return -1;
		i++;
	}
	return *k >= 2 && *k <= 20 && o->C > 0 && o->ngram_max >= (o->words ? 0 : 1) &&
			       o->ngram_max <= 4 && o->bucket_bits >= 12 && o->bucket_bits <= 24 &&
			       o->tf >= 0 && (o->stop == 0 || o->stop == 1) && o->words >= 0 &&
			       o->words <= 2
		       ? 0
		       : -1;
}

int cmd_model(struct xfctl *x, int argc, char **argv)
{
	struct train_opts o;
	const char *out = NULL;
	int k = 5;

	const char *dir = NULL;
	uint64_t seed = 0;
	int pct = 20;

	struct whole w = { 0 };

	(void)x;
	train_opts_default(&o);
	if (argc >= 1 && (!strcmp(argv[0], "eval") || !strcmp(argv[0], "cv")))
		argc = whole_options(argc, argv, &w);
	if (argc >= 2 && !strcmp(argv[0], "split") &&
	    !split_options(argc - 2, argv + 2, &dir, &seed, &pct))
		return model_split_cmd(argv[1], dir, seed, pct);
	if (argc >= 2 && !strcmp(argv[0], "train") && !options(argc - 2, argv + 2, &o, &out, &k) &&
	    out)
		return model_train_cmd(argv[1], out, &o);
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "--errors"))) && !strcmp(argv[0], "eval"))
		return model_eval_cmd(argv[1], argv[2], argc == 4, &w);
	if (argc >= 2 && !strcmp(argv[0], "cv") && !options(argc - 2, argv + 2, &o, &out, &k))
		return model_cv_cmd(argv[1], k, &o, &w);
	return -1;
}
