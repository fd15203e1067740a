/* model.c - see model.h. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* liblinear's linear.h also names a struct "model": call it liblinear_model here. */
#define model liblinear_model
#include <linear.h>
#undef model

/* One distinct n-gram of a text: its bucket, count and where it first was. */
struct slot {
	uint32_t bucket, count, stamp;
	uint32_t start, n;   /* code point offset and length of the first occurrence */
};

struct model_ws {
	uint32_t *cps;            /* the text's code points */
	size_t cps_cap;
	struct slot *slots;       /* open-addressing table, 2^bits slots */
	uint32_t *used;           /* indexes of slots in use, in order */
	size_t slots_cap, nused;
	uint32_t stamp;
	const char *text;         /* for keywords */
	uint32_t *offsets;        /* byte offset of each code point */
};

struct model_ws *model_ws_new(void)
{
	struct model_ws *ws = calloc(1, sizeof *ws);

	if (!ws)
		abort();
	return ws;
}

void model_ws_free(struct model_ws *ws)
{
	if (!ws)
		return;
	free(ws->cps);
	free(ws->offsets);
	free(ws->slots);
	free(ws->used);
	free(ws);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* Decodes (valid, normalised) UTF-8 into ws->cps; returns the count. */
static size_t decode(struct model_ws *ws, const char *s)
{
	size_t len = strlen(s), n = 0;

	if (len + 1 > ws->cps_cap) {
		ws->cps_cap = len + 1;
		ws->cps = xrealloc(ws->cps, ws->cps_cap * sizeof *ws->cps);
		ws->offsets = xrealloc(ws->offsets, ws->cps_cap * sizeof *ws->offsets);
	}
	for (size_t i = 0; i < len; n++) {
		unsigned char c = (unsigned char)s[i];
		int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
		uint32_t cp = extra ? c & (0x3F >> extra) : c;

		ws->offsets[n] = (uint32_t)i;
		for (int k = 1; k <= extra && i + (size_t)k < len; k++)
			cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3F);
		ws->cps[n] = cp;
		i += (size_t)extra + 1;
	}
	ws->offsets[n] = (uint32_t)len;
	return n;
}

/* FNV-1a, one code point at a time: the hash of an n-gram extends its (n-1)-gram's. */
static inline uint32_t hash_step(uint32_t h, uint32_t cp)
{
	return ((h ^ cp) * 16777619u) ^ (cp >> 11);
}

static inline uint32_t hash_final(uint32_t h)
{
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 12);
}

static void slots_reset(struct model_ws *ws, size_t want)
{
	size_t cap = 64;

	while (cap < want * 2)
		cap <<= 1;
	if (cap > ws->slots_cap) {
		ws->slots = xrealloc(ws->slots, cap * sizeof *ws->slots);
		memset(ws->slots, 0, cap * sizeof *ws->slots);
		ws->used = xrealloc(ws->used, cap * sizeof *ws->used);
		ws->slots_cap = cap;
		ws->stamp = 0;
	}
	ws->nused = 0;
	if (++ws->stamp == 0) { /* wrapped: clear once */
		memset(ws->slots, 0, ws->slots_cap * sizeof *ws->slots);
		ws->stamp = 1;
	}
}

static void count(struct model_ws *ws, uint32_t bucket, uint32_t start, int n)
{
	size_t mask = ws->slots_cap - 1, i = (bucket * 2654435761u) & mask;

	while (ws->slots[i].stamp == ws->stamp && ws->slots[i].bucket != bucket)
		i = (i + 1) & mask;
	if (ws->slots[i].stamp != ws->stamp) {
		ws->slots[i] = (struct slot){ bucket, 0, ws->stamp, start, (uint32_t)n };
		ws->used[ws->nused++] = (uint32_t)i;
	}
	ws->slots[i].count++;
}

/* Counts the text's 1..ngram_max-grams into ws (distinct ones in ws->used). */
static void extract(struct model_ws *ws, const char *text, int bits, int ngram_max)
{
	size_t n = decode(ws, text);
	uint32_t mask = (1u << bits) - 1;

	ws->text = text;
	slots_reset(ws, n * (size_t)ngram_max + 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t h = 2166136261u;

		for (int g = 1; g <= ngram_max && i + (size_t)g <= n; g++) {
			h = hash_step(h, ws->cps[i + (size_t)g - 1]);
			count(ws, hash_final(h) & mask, (uint32_t)i, g);
		}
	}
}

/* The row of bucket b: [0] idf, [1 + c] weight of class c. */
static inline float *row(const struct model *m, uint32_t b)
{
	return &m->rows[(size_t)b * (size_t)m->stride];
}

/* TF-IDF weight of a slot, before normalisation: (1 + ln tf) idf. */
static inline float tfidf(const struct model *m, const struct slot *s, float idf)
{
	if (s->count < 64)
		return m->one_plus_log[s->count] * idf;
	return (float)(1.0 + log((double)s->count)) * idf;
}

static void keywords(const struct model *m, struct model_ws *ws, double norm,
		     struct model_result *out)
{
	double best[5] = { 0 };

	out->nkeywords = 0;
	for (size_t k = 0; k < ws->nused; k++) {
		const struct slot *s = &ws->slots[ws->used[k]];
		const float *r = row(m, s->bucket);
		double c = tfidf(m, s, r[0]) / norm * r[1 + out->best];
		int j;

		if (s->n < 2 || c <= best[4])
			continue;
		for (j = 4; j > 0 && c > best[j - 1]; j--) {
			best[j] = best[j - 1];
			memcpy(out->keywords[j], out->keywords[j - 1], sizeof out->keywords[j]);
		}
		best[j] = c;
		uint32_t from = ws->offsets[s->start], to = ws->offsets[s->start + s->n];

		snprintf(out->keywords[j], sizeof out->keywords[j], "%.*s",
			 (int)(to - from), ws->text + from);
		if (out->nkeywords < 5)
			out->nkeywords++;
	}
}

/* acc[0..8) += v * r[0..8): a fixed trip count the compiler vectorises. */
static inline void axpy8(float *acc, float v, const float *r)
{
	for (int j = 0; j < 8; j++)
		acc[j] += v * r[j];
}

int model_predict(const struct model *m, struct model_ws *ws, const char *text,
		  struct model_result *out)
{
	float acc[16] = { 0 }; /* acc[1 + c] is class c's score; acc[0] is junk */
	double norm = 0, sum = 0;

	memset(out, 0, sizeof *out);
	extract(ws, text, m->bucket_bits, m->ngram_max);
	for (size_t k = 0; k < ws->nused; k++) {
		const struct slot *s = &ws->slots[ws->used[k]];
		const float *r = row(m, s->bucket);
		float v;

		/* rows are scattered over megabytes: ask for later ones early */
		if (k + 8 < ws->nused)
			__builtin_prefetch(row(m, ws->slots[ws->used[k + 8]].bucket));
		if (r[0] <= 0)
			continue;
		v = tfidf(m, s, r[0]);
		norm += (double)v * v;
		for (int j = 0; j < m->stride; j += 8)
			axpy8(acc + j, v, r + j);
	}
	if (norm <= 0)
		return -1;
	norm = sqrt(norm);
	for (int c = 0; c < m->nclasses; c++) {
		out->prob[c] = 1.0 / (1.0 + exp(-(acc[1 + c] / norm + m->bias[c])));
		sum += out->prob[c];
		if (out->prob[c] > out->prob[out->best])
			out->best = c;
	}
	out->claim = out->prob[out->best];
	for (int c = 0; c < m->nclasses; c++)
		out->prob[c] /= sum;
	keywords(m, ws, norm, out);
	return 0;
}

void train_opts_default(struct train_opts *o)
{
	o->bucket_bits = 18;
	o->ngram_max = 3;
	o->min_df = 3;
	o->C = 100;
	o->svm = 0;
	o->balanced = 0;
}

static struct model *model_alloc(int nclasses, char *const *classes, int bits, int ngram_max)
{
	struct model *m = calloc(1, sizeof *m);

	if (!m)
		abort();
	m->nclasses = nclasses;
	for (int c = 0; c < nclasses; c++)
		m->classes[c] = strdup(classes[c]);
	m->bucket_bits = bits;
	m->ngram_max = ngram_max;
	m->nbuckets = 1u << bits;
	m->stride = nclasses + 1 <= 8 ? 8 : 16;
	for (int t = 1; t < 64; t++)
		m->one_plus_log[t] = (float)(1.0 + log((double)t));
	m->rows = calloc((size_t)m->nbuckets * (size_t)m->stride, sizeof *m->rows);
	if (!m->rows)
		abort();
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (int c = 0; c < m->nclasses; c++)
		free(m->classes[c]);
	free(m->rows);
	free(m);
}

/* Document frequencies over the used documents, then idf (0 below min_df). */
static void fit_idf(struct model *m, struct model_ws *ws, const struct corpus *c,
		    const unsigned char *use, int min_df)
{
	uint32_t *df = calloc(m->nbuckets, sizeof *df);
	size_t ndocs = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (use && !use[i])
			continue;
		ndocs++;
		extract(ws, c->text[i], m->bucket_bits, m->ngram_max);
		for (size_t k = 0; k < ws->nused; k++)
			df[ws->slots[ws->used[k]].bucket]++;
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
static struct feature_node *doc_vector(const struct model *m, struct model_ws *ws,
				       const char *text)
{
	struct feature_node *x;
	size_t nx = 0;
	double norm = 0;

	extract(ws, text, m->bucket_bits, m->ngram_max);
	x = xrealloc(NULL, (ws->nused + 2) * sizeof *x);
	for (size_t k = 0; k < ws->nused; k++) {
		const struct slot *s = &ws->slots[ws->used[k]];
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

/* Rounds every weight to what the int8 file keeps, so that a trained model
 * and the same model saved and loaded predict exactly alike. */
static void quantize(struct model *m)
{
	double scale[MODEL_MAX_CLASSES];

	quant_scales(m, scale);
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (int c = 0; row(m, b)[0] > 0 && c < m->nclasses; c++)
			row(m, b)[1 + c] = (float)(lround(row(m, b)[1 + c] / scale[c]) * scale[c]);
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

struct model *model_train(const struct corpus *c, const unsigned char *use,
			  const struct train_opts *o, struct sbuf *err)
{
	struct model *m = model_alloc(c->nclasses, c->classes, o->bucket_bits, o->ngram_max);
	struct parameter param = { .solver_type = o->svm ? L2R_L2LOSS_SVC_DUAL : L2R_LR,
				   .eps = o->svm ? 0.1 : 0.01, .C = o->C };
	struct problem prob = { 0, (int)m->nbuckets + 1, NULL, NULL, -1 };
	struct model_ws *ws = model_ws_new();
	struct liblinear_model *lm;

	fit_idf(m, ws, c, use, o->min_df);
	prob.x = xrealloc(NULL, c->n * sizeof *prob.x);
	prob.y = xrealloc(NULL, c->n * sizeof *prob.y);
	for (size_t i = 0; i < c->n; i++) {
		if (use && !use[i])
			continue;
		prob.x[prob.l] = doc_vector(m, ws, c->text[i]);
		prob.y[prob.l++] = c->label[i];
	}
	int labels[MODEL_MAX_CLASSES];
	double weights[MODEL_MAX_CLASSES], count[MODEL_MAX_CLASSES] = { 0 };

	if (o->balanced) { /* rarer classes weigh more, for macro-F1 */
		for (int i = 0; i < prob.l; i++)
			count[(int)prob.y[i]]++;
		for (int k = 0; k < m->nclasses; k++) {
			labels[k] = k;
			weights[k] = count[k] ? prob.l / (m->nclasses * count[k]) : 1;
		}
		param.nr_weight = m->nclasses;
		param.weight_label = labels;
		param.weight = weights;
	}
	set_print_string_function(quiet);
	lm = check_parameter(&prob, &param) ? NULL : train(&prob, &param);
	if (lm) {
		take_weights(m, lm);
		quantize(m);
		free_and_destroy_model(&lm);
	} else {
		sbuf_addf(err, "training failed: %s", check_parameter(&prob, &param));
		model_free(m);
		m = NULL;
	}
	problem_free(&prob);
	model_ws_free(ws);
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

static json_t *header(const struct model *m, const double *scale)
{
	json_t *hdr = json_pack("{s:s, s:s, s:[], s:i, s:i, s:I, s:s, s:[]}",
				"format", "xf-linear-1", "version", m->version, "classes",
				"bucket_bits", m->bucket_bits, "ngram_max", m->ngram_max,
				"features", (json_int_t)m->nfeatures, "weights", "int8",
				"scales");

	for (int c = 0; c < m->nclasses; c++) {
		json_array_append_new(json_object_get(hdr, "classes"), json_string(m->classes[c]));
		json_array_append_new(json_object_get(hdr, "scales"), json_real(scale[c]));
	}
	return hdr;
}

int model_save(const struct model *m, const char *path, json_t *meta, struct sbuf *err)
{
	double scale[MODEL_MAX_CLASSES];
	json_t *hdr;
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	quant_scales(m, scale);
	hdr = header(m, scale);
	if (meta)
		json_object_update(hdr, meta);
	json_dumpf(hdr, f, JSON_COMPACT);
	fputc('\n', f);
	for (uint32_t b = 0; b < m->nbuckets; b++) {
		int8_t q[MODEL_MAX_CLASSES];

		if (row(m, b)[0] <= 0)
			continue;
		for (int c = 0; c < m->nclasses; c++)
			q[c] = (int8_t)lround(row(m, b)[1 + c] / scale[c]);
		fwrite(&b, sizeof b, 1, f);
		fwrite(row(m, b), sizeof(float), 1, f);
		fwrite(q, 1, (size_t)m->nclasses, f);
	}
	fwrite(m->bias, sizeof(float), (size_t)m->nclasses, f);
	if (ferror(f) | fclose(f)) {
		sbuf_addf(err, "%s: write failed", path);
		rc = -1;
	}
	json_decref(hdr);
	return rc;
}

/* Reads the header line; the model with its arrays allocated, or NULL. */
static struct model *load_header(FILE *f, json_t **hdr, struct sbuf *err)
{
	struct sbuf line = SBUF_INIT;
	json_t *classes;
	char *names[MODEL_MAX_CLASSES];
	size_t n;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n')
		sbuf_addch(&line, (char)ch);
	*hdr = json_loads(line.buf, 0, NULL);
	sbuf_release(&line);
	classes = json_object_get(*hdr, "classes");
	n = json_array_size(classes);
	if (!*hdr || strcmp(json_string_value(json_object_get(*hdr, "format")) ?
			    json_string_value(json_object_get(*hdr, "format")) : "", "xf-linear-1") ||
	    n < 2 || n > MODEL_MAX_CLASSES ||
	    json_integer_value(json_object_get(*hdr, "bucket_bits")) < 8 ||
	    json_integer_value(json_object_get(*hdr, "bucket_bits")) > 24) {
		sbuf_adds(err, "not an xf-linear-1 model file");
		return NULL;
	}
	for (size_t c = 0; c < n; c++)
		names[c] = (char *)json_string_value(json_array_get(classes, c));
	return model_alloc((int)n, names,
			   (int)json_integer_value(json_object_get(*hdr, "bucket_bits")),
			   (int)json_integer_value(json_object_get(*hdr, "ngram_max")));
}

/* Reads one feature record (u32 bucket, f32 idf, int8 weights) into m. */
static int read_feature(struct model *m, FILE *f, const double *scale)
{
	int8_t q[MODEL_MAX_CLASSES];
	uint32_t b;
	float *r;

	if (fread(&b, sizeof b, 1, f) != 1 || b >= m->nbuckets)
		return -1;
	r = row(m, b);
	if (fread(r, sizeof(float), 1, f) != 1 || !(r[0] > 0) ||
	    fread(q, 1, (size_t)m->nclasses, f) != (size_t)m->nclasses)
		return -1;
	for (int c = 0; c < m->nclasses; c++)
		r[1 + c] = (float)(q[c] * scale[c]);
	return 0;
}

struct model *model_load(const char *path, struct sbuf *err)
{
	FILE *f = fopen(path, "rb");
	double scale[MODEL_MAX_CLASSES];
	json_t *hdr = NULL;
	struct model *m;
	size_t nf = 0;

	if (!f) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = load_header(f, &hdr, err);
	for (int c = 0; m && c < m->nclasses; c++)
		scale[c] = json_number_value(json_array_get(json_object_get(hdr, "scales"), (size_t)c));
	if (m)
		nf = (size_t)json_integer_value(json_object_get(hdr, "features"));
	for (size_t i = 0; m && i < nf; i++)
		if (read_feature(m, f, scale)) {
			sbuf_addf(err, "%s: truncated or corrupt at feature %zu", path, i);
			model_free(m);
			m = NULL;
		}
	if (m && fread(m->bias, sizeof(float), (size_t)m->nclasses, f) != (size_t)m->nclasses) {
		sbuf_addf(err, "%s: truncated", path);
		model_free(m);
		m = NULL;
	}
	if (m) {
		m->nfeatures = nf;
		snprintf(m->version, sizeof m->version, "%s",
			 json_string_value(json_object_get(hdr, "version")) ?
			 json_string_value(json_object_get(hdr, "version")) : "unknown");
	}
	json_decref(hdr);
	fclose(f);
	return m;
}
