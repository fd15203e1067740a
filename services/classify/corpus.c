/* corpus.c - see corpus.h. */
#include "classify/corpus.h"

#include <stdlib.h>
#include <string.h>

#include "classify/split.h"
#include "util.h"
#include "vocab.h"
#include "xalloc.h"

const char *corpus_label_code(const char *label)
{
	int i = vocab_category_label(label);

	return i < 0 ? NULL : vocab_categories[i].code;
}

static int class_index(const struct corpus *c, const char *code)
{
	for (int k = 0; k < c->nclasses; k++)
		if (!strcmp(c->classes[k], code))
			return k;
	return -1;
}

static void corpus_add(struct corpus *c, char *text, int label)
{
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 1024;
		c->text = xrealloc(c->text, c->alloc * sizeof *c->text);
		c->label = xrealloc(c->label, c->alloc * sizeof *c->label);
	}
	c->text[c->n] = text;
	c->label[c->n++] = label;
}

/* Sets the classes to the taxonomy codes present in the labels read. */
static void classes_from(struct corpus *c, const char **codes, size_t n)
{
	for (size_t t = 0; t < VOCAB_NCATEGORIES; t++)
		for (size_t i = 0; i < n; i++)
			if (codes[i] == vocab_categories[t].code) {
				c->classes[c->nclasses++] = xstrdup(vocab_categories[t].code);
				break;
			}
}

static int read_lines(const char *path, const struct normalizer *nz, struct sbuf *err,
		      char ***texts, const char ***codes, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct sbuf line = SBUF_INIT;
	size_t alloc = 0, lineno = 0;
	int ch, rc = 0;

	if (!f) {
		sbuf_addf(err, "cannot open %s", path);
		return -1;
	}
	*n = 0;
	while (!rc && (ch = getc(f)) != EOF) {
		if (ch != '\n') {
			sbuf_addch(&line, (char)ch);
			continue;
		}
		lineno++;
		json_t *j = json_loadb(line.buf, line.len, 0, NULL);
		const char *text = json_string_value(json_object_get(j, "text"));
		const char *code = corpus_label_code(
			json_string_value(json_object_get(j, "label")));
		struct sbuf norm = SBUF_INIT;

		if (line.len && (!text || !code)) {
			sbuf_addf(err, "%s:%zu: needs \"text\" and a known \"label\"", path,
				  lineno);
			rc = -1;
		} else if (line.len) {
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 1024;
				*texts = xrealloc(*texts, alloc * sizeof **texts);
				*codes = xrealloc(*codes, alloc * sizeof **codes);
			}
			normalizer_apply(nz, text, strlen(text), &norm);
			(*texts)[*n] = sbuf_detach(&norm, NULL);
			(*codes)[(*n)++] = code;
		}
		json_decref(j);
		sbuf_reset(&line);
	}
	sbuf_release(&line);
	fclose(f);
	return rc;
}

int corpus_load(struct corpus *c, const char *path, const struct normalizer *nz, struct sbuf *err)
{
	char **texts = NULL;
	const char **codes = NULL;
	size_t n = 0;
	int rc = read_lines(path, nz, err, &texts, &codes, &n);

	if (!rc && !c->nclasses)
		classes_from(c, codes, n);
	for (size_t i = 0; i < n; i++) {
		int k = rc ? -1 : class_index(c, codes[i]);

		if (k < 0) {
			if (!rc)
				sbuf_addf(err, "%s: label %s is not a class of the model", path,
					  codes[i]);
			rc = -1;
			free(texts[i]);
		} else {
			corpus_add(c, texts[i], k);
		}
	}
	free(texts);
	free(codes);
	return rc;
}

void eval_add(struct eval *e, int truth, int predicted)
{
	e->confusion[truth][predicted]++;
	e->n++;
}

double eval_accuracy(const struct eval *e)
{
	long right = 0;

	for (int c = 0; c < e->nclasses; c++)
		right += e->confusion[c][c];
	return e->n ? (double)right / (double)e->n : 0;
}

void eval_class(const struct eval *e, int c, double *p, double *r, double *f1)
{
	long tp = e->confusion[c][c], predicted = 0, actual = 0;

	for (int k = 0; k < e->nclasses; k++)
		predicted += e->confusion[k][c];
	for (int k = 0; k < e->nclasses + e->elsewhere; k++)
		actual += e->confusion[c][k];
	*p = predicted ? (double)tp / (double)predicted : 0;
	*r = actual ? (double)tp / (double)actual : 0;
	*f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

double eval_macro_f1(const struct eval *e)
{
	double sum = 0, p, r, f1;

	for (int c = 0; c < e->nclasses; c++) {
		eval_class(e, c, &p, &r, &f1);
		sum += f1;
	}
	return e->nclasses ? sum / e->nclasses : 0;
}

void eval_print(const struct eval *e, char *const *classes, FILE *out)
{
	double p, r, f1, lo, hi;

	eval_bootstrap(e, EVAL_RESAMPLES, EVAL_SEED, &lo, &hi);
	fprintf(out, "documents  %ld\naccuracy   %.4f\n", e->n, eval_accuracy(e));
	fprintf(out, "macro-F1   %.4f  (95%% CI %.4f-%.4f, bootstrap, %d resamples)\n",
		eval_macro_f1(e), lo, hi, EVAL_RESAMPLES);
	if (e->predict_ms > 0)
		fprintf(out, "speed      %.0f documents/s (prediction on normalised text)\n",
			(double)e->n / (e->predict_ms / 1000.0));
	fprintf(out, "\n%-24s %9s %9s %9s %7s\n", "class", "precision", "recall", "F1", "n");
	for (int c = 0; c < e->nclasses; c++) {
		long n = 0;

		for (int k = 0; k < e->nclasses + e->elsewhere; k++)
			n += e->confusion[c][k];
		eval_class(e, c, &p, &r, &f1);
		fprintf(out, "%-24s %9.4f %9.4f %9.4f %7ld\n", classes[c], p, r, f1, n);
	}
	fprintf(out, "\nconfusion (rows: truth, columns: predicted, in class order%s)\n",
		e->elsewhere ? ", then elsewhere" : "");
	for (int c = 0; c < e->nclasses; c++) {
		fprintf(out, "%-24s", classes[c]);
		for (int k = 0; k < e->nclasses + e->elsewhere; k++)
			fprintf(out, " %5ld", e->confusion[c][k]);
		fputc('\n', out);
	}
}

void eval_model(const struct model *m, const struct corpus *c, const unsigned char *use,
		struct eval *e)
{
	struct model_ws *ws = model_ws_new();
	struct model_result res;
	double t0 = now_ms();

	e->nclasses = m->nclasses;
	for (size_t i = 0; i < c->n; i++) {
		if (use && !use[i])
			continue;
		if (model_predict(m, ws, c->text[i], &res))
			res.best = 0; /* nothing known: counted as a miss unless class 0 */
		eval_add(e, c->label[i], res.best);
	}
	e->predict_ms += now_ms() - t0;
	model_ws_free(ws);
}

/* Fold of every document: within each class, shuffled (fixed seed), round robin. */
static int *stratified_folds(const struct corpus *c, int k)
{
	int *fold = xmalloc(c->n * sizeof *fold);
	size_t *order = xmalloc(c->n * sizeof *order);
	unsigned seed = 20261122;

	for (size_t i = 0; i < c->n; i++)
		order[i] = i;
	for (size_t i = c->n; i > 1; i--) { /* Fisher-Yates with an LCG */
		size_t j;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % i;
		size_t t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (int cls = 0; cls < c->nclasses; cls++) {
		int next = 0;

		for (size_t i = 0; i < c->n; i++)
			if (c->label[order[i]] == cls)
				fold[order[i]] = next++ % k;
	}
	free(order);
	return fold;
}

static void judge_model(void *arg, const struct model *m, const struct corpus *c,
			const unsigned char *test, struct eval *e)
{
	(void)arg;
	eval_model(m, c, test, e);
}

int corpus_cv(const struct corpus *c, int k, const struct train_opts *o, struct eval *e,
	      struct sbuf *err)
{
	return corpus_cv_judged(c, k, o, judge_model, NULL, e, err);
}

int corpus_cv_judged(const struct corpus *c, int k, const struct train_opts *o, cv_judge_fn judge,
		     void *arg, struct eval *e, struct sbuf *err)
{
	int *fold = stratified_folds(c, k);
	unsigned char *train = xmalloc(c->n), *test = xmalloc(c->n);
	int rc = 0;

	memset(e, 0, sizeof *e);
	for (int f = 0; !rc && f < k; f++) {
		struct model *m;

		for (size_t i = 0; i < c->n; i++) {
			train[i] = fold[i] != f;
			test[i] = fold[i] == f;
		}
		m = model_train(c, train, o, err);
		if (!m) {
			rc = -1;
			break;
		}
		judge(arg, m, c, test, e);
		model_free(m);
	}
	free(fold);
	free(train);
	free(test);
	return rc;
}
