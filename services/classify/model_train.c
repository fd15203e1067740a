/* model_train.c - see model_train.h. */
#include "model_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/model_impl.h"
#include "xalloc.h"

/* liblinear's linear.h also names a struct "model": call it liblinear_model here. */
#define model liblinear_model
#include <linear.h>
#undef model

void train_opts_default(struct train_opts *o)
{
	o->bucket_bits = 18;
	o->ngram_max = 3;
	o->min_df = 3;
	o->C = 100;
	o->svm = 0;
	o->balanced = 0;
	o->tf = MODEL_TF_LOG;
	o->nb = 0;
	o->dict = "models/xf-words.dict";
	o->stop = 0;
	o->words = 0;
}

/* Document frequencies over the used documents, then idf (0 below min_df). */
static void fit_idf(struct model *m, struct model_ws *ws, const struct corpus *c,
		    const unsigned char *use, int min_df)
{
	uint32_t *df = xcalloc(m->nbuckets, sizeof *df);
	size_t ndocs = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (use && !use[i])
			continue;
		ndocs++;
		model_extract(m, ws, c->text[i]);
		for (size_t k = 0; k < ws->nfeat; k++)
			df[ws->feat[k].bucket]++;
	}
	for (uint32_t b = 0; b < m->nbuckets; b++)
		if (df[b] >= (uint32_t)min_df) {
			row(m, b)[0] = (float)(log((1.0 + (double)ndocs) / (1.0 + df[b])) + 1.0);
			m->nfeatures++;
		}
	free(df);
}

static int node_cmp(const void *a, const void *b)
{
	const struct feature_node *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* One document as liblinear's sorted sparse vector, bias node last. */
static struct feature_node *doc_vector(const struct model *m, struct model_ws *ws, const char *text)
{
	struct feature_node *x;
	size_t nx = 0;
	double norm = 0;

	model_extract(m, ws, text);
	x = xrealloc(NULL, (ws->nfeat + 2) * sizeof *x);
	for (size_t k = 0; k < ws->nfeat; k++) {
		const struct slot *s = &ws->feat[k];
		double v = tfidf(m, s, row(m, s->bucket)[0]);

		if (v <= 0)
			continue;
		x[nx++] = (struct feature_node){ (int)s->bucket + 1, v };
		norm += v * v;
	}
	norm = norm > 0 ? sqrt(norm) : 1;
	for (size_t k = 0; k < nx; k++)
		x[k].value /= norm;
	qsort(x, nx, sizeof *x, node_cmp);
	x[nx++] = (struct feature_node){ (int)m->nbuckets + 1, 1.0 };
	x[nx] = (struct feature_node){ -1, 0 };
	return x;
}

static void quiet(const char *s)
{
	(void)s;
}

static void quant_scales(const struct model *m, double *scale);

/* The idf range of the kept features of a training model. */
static void idf_range(const struct model *m, float *lo, float *hi)
{
	*lo = INFINITY;
	*hi = 0;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		if (row(m, b)[0] > 0) {
			*lo = fminf(*lo, row(m, b)[0]);
			*hi = fmaxf(*hi, row(m, b)[0]);
		}
	if (*hi <= 0)
		*lo = *hi = 1;
}

/* Rounds every weight to what the int8 file keeps and fills the packed
 * table, so that a trained model and the same model saved and loaded
 * predict exactly alike. */
static void quantize(struct model *m)
{
	double scale[MODEL_MAX_CLASSES];
	float lo, hi;

	quant_scales(m, scale);
	for (int c = 0; c < m->nclasses; c++)
		m->wscale[c] = (float)scale[c];
	idf_range(m, &lo, &hi);
	model_pack_levels(m, lo, hi);
	for (uint32_t b = 0; b < m->nbuckets; b++) {
		int8_t q[MODEL_MAX_CLASSES];

		if (row(m, b)[0] <= 0)
			continue;
		for (int c = 0; c < m->nclasses; c++) {
			q[c] = (int8_t)lround(row(m, b)[1 + c] / scale[c]);
			row(m, b)[1 + c] = (float)(q[c] * scale[c]);
		}
		model_pack_row(m, b, row(m, b)[0], q);
	}
}

/* Copies liblinear's weights of the kept features and the biases into m. */
static void take_weights(struct model *m, const struct liblinear_model *lm)
{
	int labels[MODEL_MAX_CLASSES];

	get_labels(lm, labels);
	for (int k = 0; k < get_nr_class(lm); k++) {
		int c = labels[k];

		for (uint32_t b = 0; b < m->nbuckets; b++)
			if (row(m, b)[0] > 0)
				row(m, b)[1 + c] = (float)get_decfun_coef(lm, (int)b + 1, k);
		/* the bias feature is the last one, of value 1 */
		m->bias[c] = (float)get_decfun_coef(lm, (int)m->nbuckets + 1, k);
	}
}

static void problem_free(struct problem *prob)
{
	for (int i = 0; i < prob->l; i++)
		free(prob->x[i]);
	free(prob->x);
	free(prob->y);
}

/*
 * NB log-count ratios of class k (Wang and Manning 2012): with p and q the
 * smoothed (alpha 1) counts of documents having each feature, in class k
 * and outside it, r = ln((p / |p|_1) / (q / |q|_1)). Buckets not kept stay 0.
 */
static void nb_ratios(const struct model *m, const struct problem *prob, int k, double *r)
{
	double *p = xcalloc(m->nbuckets, sizeof *p), *q = xcalloc(m->nbuckets, sizeof *q);
	double sp = 0, sq = 0;

	for (int i = 0; i < prob->l; i++)
		for (const struct feature_node *x = prob->x[i]; x->index > 0; x++)
			if (x->index <= (int)m->nbuckets)
				((int)prob->y[i] == k ? p : q)[x->index - 1] += 1;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		if (row(m, b)[0] > 0)
			sp += p[b] + 1, sq += q[b] + 1;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		r[b] = row(m, b)[0] > 0 ? log(((p[b] + 1) / sp) / ((q[b] + 1) / sq)) : 0;
	free(p);
	free(q);
}

/* prob's documents scaled by r, labelled +1 (class k) or -1. */
static void nb_problem(const struct problem *prob, const double *r, int nbuckets, int k,
		       struct problem *bin)
{
	*bin = (struct problem){ prob->l, prob->n, NULL, NULL, -1 };
	bin->x = xrealloc(NULL, (size_t)(prob->l ? prob->l : 1) * sizeof *bin->x);
	bin->y = xrealloc(NULL, (size_t)(prob->l ? prob->l : 1) * sizeof *bin->y);
	for (int i = 0; i < prob->l; i++) {
		size_t n = 0;

		while (prob->x[i][n].index > 0)
			n++;
		bin->x[i] = xrealloc(NULL, (n + 1) * sizeof *bin->x[i]);
		for (size_t j = 0; j <= n; j++) {
			bin->x[i][j] = prob->x[i][j];
			if (bin->x[i][j].index > 0 && bin->x[i][j].index <= nbuckets)
				bin->x[i][j].value *= r[bin->x[i][j].index - 1];
		}
		bin->y[i] = (int)prob->y[i] == k ? 1 : -1;
	}
}

/* One binary problem: its weights times r into class k's column of m. */
static int nb_class(struct model *m, const struct problem *prob, struct parameter *param,
		    double weight, int k, struct sbuf *err)
{
	double *r = xmalloc(m->nbuckets * sizeof *r);
	int positive = 1, labels[2], at = 0;
	struct liblinear_model *lm = NULL;
	struct problem bin;
	const char *bad;

	nb_ratios(m, prob, k, r);
	nb_problem(prob, r, (int)m->nbuckets, k, &bin);
	param->nr_weight = 1;
	param->weight_label = &positive;
	param->weight = &weight;
	if ((bad = check_parameter(&bin, param)))
		sbuf_addf(err, "training failed: %s", bad);
	else
		lm = train(&bin, param);
	if (lm) {
		get_labels(lm, labels);
		at = labels[0] == 1 ? 0 : 1;
		for (uint32_t b = 0; b < m->nbuckets; b++)
			if (row(m, b)[0] > 0)
				row(m,
				    b)[1 + k] = (float)(get_decfun_coef(lm, (int)b + 1, at) * r[b]);
		m->bias[k] = (float)get_decfun_coef(lm, (int)m->nbuckets + 1, at);
		free_and_destroy_model(&lm);
	}
	problem_free(&bin);
	free(r);
	return bad ? -1 : 0;
}

/* One-vs-rest by hand, each class on its own NB-scaled features. */
static int train_nb(struct model *m, struct problem *prob, struct parameter *param, double *weights,
		    struct sbuf *err)
{
	for (int k = 0; k < m->nclasses; k++)
		if (nb_class(m, prob, param, weights[k], k, err))
			return -1;
	return 0;
}

/* The used documents of c as liblinear's problem, labels the class indexes. */
static void build_problem(struct model *m, const struct corpus *c, const unsigned char *use,
			  struct problem *prob)
{
	struct model_ws *ws = model_ws_new();

	*prob = (struct problem){ 0, (int)m->nbuckets + 1, NULL, NULL, -1 };
	prob->x = xrealloc(NULL, (c->n ? c->n : 1) * sizeof *prob->x);
	prob->y = xrealloc(NULL, (c->n ? c->n : 1) * sizeof *prob->y);
	for (size_t i = 0; i < c->n; i++) {
		if (use && !use[i])
			continue;
		prob->x[prob->l] = doc_vector(m, ws, c->text[i]);
		prob->y[prob->l++] = c->label[i];
	}
	model_ws_free(ws);
}

/* Class weights: N / (K n_class) if balanced (rarer classes weigh more, for
 * macro-F1), else 1. */
static void class_weights(const struct problem *prob, int nclasses, int balanced, double *w)
{
	double count[MODEL_MAX_CLASSES] = { 0 };

	for (int i = 0; i < prob->l; i++)
		count[(int)prob->y[i]]++;
	for (int k = 0; k < nclasses; k++)
		w[k] = balanced && count[k] ? prob->l / (nclasses * count[k]) : 1;
}

/* liblinear's own one-vs-rest over all classes at once. */
static int train_ovr(struct model *m, struct problem *prob, struct parameter *param,
		     double *weights, struct sbuf *err)
{
	int labels[MODEL_MAX_CLASSES];
	struct liblinear_model *lm;
	const char *bad;

	for (int k = 0; k < m->nclasses; k++)
		labels[k] = k;
	param->nr_weight = m->nclasses;
	param->weight_label = labels;
	param->weight = weights;
	if ((bad = check_parameter(prob, param))) {
		sbuf_addf(err, "training failed: %s", bad);
		return -1;
	}
	lm = train(prob, param);
	take_weights(m, lm);
	free_and_destroy_model(&lm);
	return 0;
}

/* The ensemble of the plain and the NB-scaled one-vs-rest models: both
 * linear in the same features, so their mean decision value is one linear
 * model, the mean of their weights (still one pass at prediction). */
static int train_both(struct model *m, struct problem *prob, struct parameter *param,
		      double *weights, struct sbuf *err)
{
	size_t cells = (size_t)m->nbuckets * (size_t)m->stride;
	float *plain = xmalloc(cells * sizeof *plain), bias[MODEL_MAX_CLASSES];
	int rc = train_ovr(m, prob, param, weights, err);

	memcpy(plain, m->rows, cells * sizeof *plain);
	memcpy(bias, m->bias, sizeof bias);
	if (!rc)
		rc = train_nb(m, prob, param, weights, err);
	for (size_t i = 0; !rc && i < cells; i++)
		if (i % (size_t)m->stride) /* not the idf */
			m->rows[i] = (m->rows[i] + plain[i]) / 2;
	for (int k = 0; !rc && k < m->nclasses; k++)
		m->bias[k] = (m->bias[k] + bias[k]) / 2;
	free(plain);
	return rc;
}

/* Loads o's dictionary into m if o wants words; 0, or -1 with err. */
static int train_words(struct model *m, const struct train_opts *o, struct sbuf *err)
{
	const char *name = strrchr(o->dict, '/') ? strrchr(o->dict, '/') + 1 : o->dict;

	if (!o->stop && !o->words)
		return 0;
	if (o->words < 0 || o->words > 2 || strlen(name) >= sizeof m->segment) {
		sbuf_adds(err, "words must be 0, 1 or 2, and the dictionary's name short");
		return -1;
	}
	if (!(m->seg = segmenter_load(o->dict, err)))
		return -1;
	snprintf(m->segment, sizeof m->segment, "%s", name);
	m->stop = o->stop != 0;
	m->words = o->words;
	return 0;
}

struct model *model_train(const struct corpus *c, const unsigned char *use,
			  const struct train_opts *o, struct sbuf *err)
{
	struct model *m = model_alloc(c->nclasses, c->classes, o->bucket_bits, o->ngram_max, 1);
	struct parameter param = { .solver_type = o->svm ? L2R_L2LOSS_SVC_DUAL : L2R_LR,
				   .eps = o->svm ? 0.1 : 0.01,
				   .C = o->C };
	struct problem prob;
	double weights[MODEL_MAX_CLASSES];
	struct model_ws *ws = model_ws_new();
	int rc;

	if (train_words(m, o, err)) {
		model_ws_free(ws);
		model_free(m);
		return NULL;
	}
	model_set_tf(m, o->tf);
	fit_idf(m, ws, c, use, o->min_df);
	model_ws_free(ws);
	build_problem(m, c, use, &prob);
	class_weights(&prob, m->nclasses, o->balanced, weights);
	set_print_string_function(quiet);
	rc = o->nb == 1   ? train_nb(m, &prob, &param, weights, err)
	     : o->nb == 2 ? train_both(m, &prob, &param, weights, err)
			  : train_ovr(m, &prob, &param, weights, err);
	problem_free(&prob);
	if (rc) {
		model_free(m);
		return NULL;
	}
	quantize(m);
	return m;
}

void corpus_release(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->label);
	for (int k = 0; k < c->nclasses; k++)
		free(c->classes[k]);
	memset(c, 0, sizeof *c);
}

/* Per-class scales that map weights onto int8 (max |w| -> 127). */
static void quant_scales(const struct model *m, double *scale)
{
	for (int c = 0; c < m->nclasses; c++)
		scale[c] = 0;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (int c = 0; row(m, b)[0] > 0 && c < m->nclasses; c++)
			if (fabs(row(m, b)[1 + c]) > scale[c])
				scale[c] = fabs(row(m, b)[1 + c]);
	for (int c = 0; c < m->nclasses; c++)
		scale[c] = scale[c] > 0 ? scale[c] / 127.0 : 1.0;
}
