/* model.c - see model.h: prediction and the model file. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/model_impl.h"
#include "xalloc.h"
#include "utf8.h"

struct model_ws *model_ws_new(void)
{
	struct model_ws *ws = xcalloc(1, sizeof *ws);

	sbuf_init(&ws->kept, 0);
	return ws;
}

void model_ws_free(struct model_ws *ws)
{
	if (!ws)
		return;
	free(ws->cps);
	free(ws->offsets);
	free(ws->tag);
	free(ws->pos);
	free(ws->feat);
	seg_scratch_release(&ws->sc);
	sbuf_release(&ws->kept);
	free(ws->wstart);
	free(ws->wlen);
	free(ws);
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
	for (size_t i = 0, k; i < len; n++, i += k) {
		uint32_t cp = (unsigned char)s[i];

		ws->offsets[n] = (uint32_t)i;
		k = utf8_decode(s + i, len - i, &cp);
		if (!k)
			k = 1; /* not in normalized text: the byte as it is */
		ws->cps[n] = cp;
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

/* Makes room for a text of `occurrences` n-grams; returns the table's mask. */
static uint32_t table_reset(struct model_ws *ws, size_t occurrences)
{
	size_t cap = 64;

	while (cap < occurrences * 2)
		cap <<= 1;
	if (cap > ws->table_cap) {
		ws->tag = xrealloc(ws->tag, cap * sizeof *ws->tag);
		ws->pos = xrealloc(ws->pos, cap * sizeof *ws->pos);
		ws->table_cap = cap;
	}
	if (occurrences > ws->feat_cap) {
		ws->feat_cap = occurrences;
		ws->feat = xrealloc(ws->feat, ws->feat_cap * sizeof *ws->feat);
	}
	/* only this text's part: a short text after a long one stays in cache */
	memset(ws->tag, 0, cap * sizeof *ws->tag);
	ws->nfeat = 0;
	return (uint32_t)cap - 1;
}

static inline void count(struct model_ws *ws, uint32_t mask, uint32_t bucket, uint32_t start, int n)
{
	uint32_t i = (bucket * 2654435761u) & mask;

	while (ws->tag[i] && ws->tag[i] != bucket + 1)
		i = (i + 1) & mask;
	if (ws->tag[i]) {
		ws->feat[ws->pos[i]].count++;
		return;
	}
	ws->tag[i] = bucket + 1;
	ws->pos[i] = (uint32_t)ws->nfeat;
	ws->feat[ws->nfeat++] = (struct slot){ bucket, 1, start, (uint32_t)n };
}

/* segment_fn: appends a kept word to ws->kept and notes its span. */
static void keep_word(void *arg, const char *word, size_t len, unsigned flags)
{
	struct model_ws *ws = arg;
	uint32_t cps = 0;

	(void)flags;
	if (ws->nwords == ws->words_cap) {
		ws->words_cap = ws->words_cap ? 2 * ws->words_cap : 256;
		ws->wstart = xreallocarray(ws->wstart, ws->words_cap, sizeof *ws->wstart);
		ws->wlen = xreallocarray(ws->wlen, ws->words_cap, sizeof *ws->wlen);
	}
	for (size_t i = 0; i < len; i++)
		cps += ((unsigned char)word[i] & 0xC0) != 0x80;
	sbuf_add(&ws->kept, word, len);
	ws->wstart[ws->nwords] = ws->kept_cps;
	ws->wlen[ws->nwords++] = cps;
	ws->kept_cps += cps;
}

/* Cuts text into ws's words (without stop words if m->stop); returns the
 * text the character n-grams are taken over: the kept words joined (the
 * text itself, if nothing is left out: normalised text has no spaces). */
static const char *cut_words(const struct model *m, struct model_ws *ws, const char *text)
{
	sbuf_reset(&ws->kept);
	ws->nwords = 0;
	ws->kept_cps = 0;
	if (!m->seg)
		return text;
	segment_words(m->seg, &ws->sc, text, strlen(text), m->stop ? SEG_SKIP_STOP : 0, keep_word,
		      ws);
	return ws->kept.buf;
}

/* Word n-grams are hashed like character ones, from another seed, and a
 * bigram continues its first word's hash past a separator no text has. */
#define WORD_SEED 0x9747b28cu
#define WORD_SEP 0x110000u

/* The hash of word w (before hash_final), its code points from ws->cps. */
static uint32_t word_hash(const struct model_ws *ws, uint32_t h, size_t w)
{
	for (uint32_t i = 0; i < ws->wlen[w]; i++)
		h = hash_step(h, ws->cps[ws->wstart[w] + i]);
	return h;
}

/* Counts the kept words (words >= 1) and their pairs (words == 2). */
static void count_words(const struct model *m, struct model_ws *ws, uint32_t tmask)
{
	uint32_t mask = m->nbuckets - 1;

	for (size_t w = 0; w < ws->nwords; w++) {
		uint32_t h = word_hash(ws, WORD_SEED, w);

		count(ws, tmask, hash_final(h) & mask, ws->wstart[w], (int)ws->wlen[w]);
		if (m->words < 2 || w + 1 == ws->nwords)
			continue;
		h = word_hash(ws, hash_step(h, WORD_SEP), w + 1);
		count(ws, tmask, hash_final(h) & mask, ws->wstart[w],
		      (int)(ws->wlen[w] + ws->wlen[w + 1]));
	}
}

void model_extract(const struct model *m, struct model_ws *ws, const char *text)
{
	const char *chars = cut_words(m, ws, text);
	size_t n = decode(ws, chars), ngram_max = (size_t)m->ngram_max;
	uint32_t mask = m->nbuckets - 1, tmask;

	ws->text = chars;
	tmask = table_reset(ws, n * ngram_max + 2 * ws->nwords + 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t h = 2166136261u;

		for (size_t g = 1; g <= ngram_max && i + g <= n; g++) {
			h = hash_step(h, ws->cps[i + g - 1]);
			count(ws, tmask, hash_final(h) & mask, (uint32_t)i, (int)g);
		}
	}
	if (m->words)
		count_words(m, ws, tmask);
}

/* The packed row of bucket b (model.h). */
static inline const int8_t *prow(const struct model *m, uint32_t b)
{
	return &m->packed[(size_t)b * (size_t)m->pstride];
}

static inline float level_idf(const struct model *m, const int8_t *r)
{
	return m->idf_level[(uint8_t)r[0]];
}

/* The five n-grams of two or more characters that added most to the best
 * class (tf-idf times weight: the common factors do not change the order). */
static void keywords(const struct model *m, struct model_ws *ws, struct model_result *out)
{
	float best[5] = { 0 };

	out->nkeywords = 0;
	for (size_t k = 0; k < ws->nfeat; k++) {
		const struct slot *s = &ws->feat[k];
		const int8_t *r;
		float c;
		int j;

		if (s->n < 2 ||
		    ws->offsets[s->start + s->n] - ws->offsets[s->start] >= sizeof out->keywords[0])
			continue;
		r = prow(m, s->bucket);
		c = tfidf(m, s, level_idf(m, r)) * (float)r[1 + out->best];
		if (c <= best[4])
			continue;
		for (j = 4; j > 0 && c > best[j - 1]; j--) {
			best[j] = best[j - 1];
			memcpy(out->keywords[j], out->keywords[j - 1], sizeof out->keywords[j]);
		}
		best[j] = c;
		uint32_t from = ws->offsets[s->start], to = ws->offsets[s->start + s->n];

		memcpy(out->keywords[j], ws->text + from, to - from);
		out->keywords[j][to - from] = '\0';
		if (out->nkeywords < 5)
			out->nkeywords++;
	}
}

/* acc[0..8) += v * r[0..8): a fixed trip count the compiler vectorises. */
static inline void axpy8(float *acc, float v, const int8_t *r)
{
	for (int j = 0; j < 8; j++)
		acc[j] += v * (float)r[j];
}

int model_predict(const struct model *m, struct model_ws *ws, const char *text,
		  struct model_result *out)
{
	float acc[16] = { 0 }; /* acc[1 + c] is class c's score; acc[0] is junk */
	double norm = 0, sum = 0;

	memset(out, 0, sizeof *out);
	model_extract(m, ws, text);
	for (size_t k = 0; k < ws->nfeat; k++) {
		const struct slot *s = &ws->feat[k];
		const int8_t *r = prow(m, s->bucket);
		float v;

		/* rows are scattered over megabytes: ask for later ones early */
		if (k + 8 < ws->nfeat)
			__builtin_prefetch(prow(m, ws->feat[k + 8].bucket));
		if (!r[0])
			continue;
		v = tfidf(m, s, level_idf(m, r));
		norm += (double)v * v;
		for (int j = 0; j < m->pstride; j += 8)
			axpy8(acc + j, v, r + j);
	}
	if (norm <= 0)
		return -1;
	norm = sqrt(norm);
	for (int c = 0; c < m->nclasses; c++) {
		double z = (double)acc[1 + c] * m->wscale[c] / norm + m->bias[c];

		out->prob[c] = 1.0 / (1.0 + exp(-z));
		sum += out->prob[c];
		if (out->prob[c] > out->prob[out->best])
			out->best = c;
	}
	out->claim = out->prob[out->best];
	for (int c = 0; c < m->nclasses; c++)
		out->prob[c] /= sum;
	keywords(m, ws, out);
	return 0;
}

const char *const model_tf_names[3] = { "log", "raw", "binary" };

void model_set_tf(struct model *m, int tf)
{
	m->tf = tf;
	for (int t = 1; t < 64; t++)
		m->tf_weight[t] = tf == MODEL_TF_LOG   ? (float)(1.0 + log((double)t))
				  : tf == MODEL_TF_RAW ? (float)t
						       : 1.0f;
}

/* A model with its packed table, and the training rows if training. */
struct model *model_alloc(int nclasses, char *const *classes, int bits, int ngram_max, int training)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nclasses = nclasses;
	for (int c = 0; c < nclasses; c++)
		m->classes[c] = xstrdup(classes[c]);
	m->bucket_bits = bits;
	m->ngram_max = ngram_max;
	m->nbuckets = 1u << bits;
	m->stride = m->pstride = nclasses + 1 <= 8 ? 8 : 16;
	model_set_tf(m, MODEL_TF_LOG);
	if (training)
		m->rows = xcalloc((size_t)m->nbuckets * (size_t)m->stride, sizeof *m->rows);
	m->packed = xcalloc(m->nbuckets, (size_t)m->pstride);
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (int c = 0; c < m->nclasses; c++)
		free(m->classes[c]);
	free(m->rows);
	free(m->packed);
	segmenter_free(m->seg);
	free(m);
}

/* The idf levels spread evenly over [lo, hi]: level 1 is lo, 255 is hi. */
void model_pack_levels(struct model *m, float lo, float hi)
{
	m->idf_level[0] = 0;
	for (int l = 1; l < 256; l++)
		m->idf_level[l] = lo + (hi - lo) * (float)(l - 1) / 254.0f;
}

/* Packs one kept feature: its idf to the nearest level, its int8 weights as they are. */
void model_pack_row(struct model *m, uint32_t b, float idf, const int8_t *q)
{
	int8_t *r = &m->packed[(size_t)b * (size_t)m->pstride];
	float lo = m->idf_level[1], hi = m->idf_level[255];
	long l = hi > lo ? 1 + lroundf((idf - lo) / (hi - lo) * 254.0f) : 1;

	r[0] = (int8_t)(uint8_t)(l < 1 ? 1 : l > 255 ? 255 : l);
	memcpy(r + 1, q, (size_t)m->nclasses);
}

static json_t *header(const struct model *m, const double *scale)
{
	json_t *hdr = json_pack("{s:s, s:s, s:[], s:i, s:i, s:I, s:s, s:[], s:s}", "format",
				"xf-linear-1", "version", m->version, "classes", "bucket_bits",
				m->bucket_bits, "ngram_max", m->ngram_max, "features",
				(json_int_t)m->nfeatures, "weights", "int8", "scales", "tf",
				model_tf_names[m->tf]);

	for (int c = 0; c < m->nclasses; c++) {
		json_array_append_new(json_object_get(hdr, "classes"), json_string(m->classes[c]));
		json_array_append_new(json_object_get(hdr, "scales"), json_real(scale[c]));
	}
	if (m->seg) {
		json_object_set_new(hdr, "segment", json_string(m->segment));
		json_object_set_new(hdr, "stop", json_boolean(m->stop));
		json_object_set_new(hdr, "words", json_integer(m->words));
	}
	return hdr;
}

int model_save(const struct model *m, const char *path, json_t *meta, struct sbuf *err)
{
	double scale[MODEL_MAX_CLASSES];
	json_t *hdr;
	FILE *f;
	int rc = 0;

	if (!m->rows) {
		sbuf_addf(err, "%s: only a model trained in this process can be saved", path);
		return -1;
	}
	if (!(f = fopen(path, "wb"))) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int c = 0; c < m->nclasses; c++)
		scale[c] = m->wscale[c];
	hdr = header(m, scale);
	if (meta)
		json_object_update(hdr, meta);
	json_dumpf(hdr, f, JSON_COMPACT);
	fputc('\n', f);
	for (uint32_t b = 0; b < m->nbuckets; b++) {
		int8_t q[MODEL_MAX_CLASSES];

		if (row(m, b)[0] <= 0)
			continue;
		memcpy(q, prow(m, b) + 1, (size_t)m->nclasses);
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
	if (!*hdr ||
	    strcmp(json_string_value(json_object_get(*hdr, "format"))
			   ? json_string_value(json_object_get(*hdr, "format"))
			   : "",
		   "xf-linear-1") ||
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
			   (int)json_integer_value(json_object_get(*hdr, "ngram_max")), 0);
}

/* One feature record of the file: u32 bucket, f32 idf, int8 weights. */
struct record {
	uint32_t bucket;
	float idf;
	int8_t q[MODEL_MAX_CLASSES];
};

static int read_record(const struct model *m, FILE *f, struct record *r)
{
	if (fread(&r->bucket, sizeof r->bucket, 1, f) != 1 || r->bucket >= m->nbuckets ||
	    fread(&r->idf, sizeof r->idf, 1, f) != 1 || !(r->idf > 0) ||
	    fread(r->q, 1, (size_t)m->nclasses, f) != (size_t)m->nclasses)
		return -1;
	return 0;
}

/* Reads the nf feature records into the packed table; 0 or the index of
 * the first bad record + 1. */
static size_t read_features(struct model *m, FILE *f, size_t nf)
{
	struct record *rec = xrealloc(NULL, (nf ? nf : 1) * sizeof *rec);
	float lo = INFINITY, hi = 0;
	size_t bad = 0;

	for (size_t i = 0; !bad && i < nf; i++) {
		if (read_record(m, f, &rec[i]))
			bad = i + 1;
		else
			lo = fminf(lo, rec[i].idf), hi = fmaxf(hi, rec[i].idf);
	}
	if (!bad) {
		model_pack_levels(m, nf ? lo : 1, nf ? hi : 1);
		for (size_t i = 0; i < nf; i++)
			model_pack_row(m, rec[i].bucket, rec[i].idf, rec[i].q);
	}
	free(rec);
	return bad;
}

/* The header's "tf" into m (absent: log); -1 if unknown. */
static int header_tf(struct model *m, json_t *hdr)
{
	const char *tf = json_string_value(json_object_get(hdr, "tf"));

	for (int t = 0; t < 3; t++)
		if (!tf || !strcmp(tf, model_tf_names[t])) {
			model_set_tf(m, tf ? t : MODEL_TF_LOG);
			return 0;
		}
	return -1;
}

/* The header's "segment", "stop" and "words" into m, the dictionary loaded
 * from the directory of the model file at path; 0, or -1 with err. */
static int header_words(struct model *m, json_t *hdr, const char *path, struct sbuf *err)
{
	const char *name = json_string_value(json_object_get(hdr, "segment"));
	const char *slash = strrchr(path, '/');
	json_int_t words = json_integer_value(json_object_get(hdr, "words"));
	struct sbuf dict = SBUF_INIT, why = SBUF_INIT;

	if (!name && !json_object_get(hdr, "words") && !json_object_get(hdr, "stop"))
		return 0;
	if (!name || !*name || strchr(name, '/') || strlen(name) >= sizeof m->segment ||
	    words < 0 || words > 2) {
		sbuf_addf(err, "%s: bad \"segment\", \"stop\" or \"words\"", path);
		return -1;
	}
	if (slash)
		sbuf_add(&dict, path, (size_t)(slash - path) + 1);
	sbuf_adds(&dict, name);
	m->seg = segmenter_load(dict.buf, &why);
	if (!m->seg)
		sbuf_addf(err, "%s: cannot load the word dictionary it names: %s", path, why.buf);
	snprintf(m->segment, sizeof m->segment, "%s", name);
	m->stop = json_is_true(json_object_get(hdr, "stop"));
	m->words = (int)words;
	sbuf_release(&dict);
	sbuf_release(&why);
	return m->seg ? 0 : -1;
}

struct model *model_load(const char *path, struct sbuf *err)
{
	FILE *f = fopen(path, "rb");
	json_t *hdr = NULL;
	struct model *m;
	size_t nf = 0, bad;

	if (!f) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = load_header(f, &hdr, err);
	for (int c = 0; m && c < m->nclasses; c++)
		m->wscale[c] = (float)json_number_value(
			json_array_get(json_object_get(hdr, "scales"), (size_t)c));
	if (m && header_tf(m, hdr)) {
		sbuf_addf(err, "%s: unknown \"tf\"", path);
		model_free(m);
		m = NULL;
	}
	if (m && header_words(m, hdr, path, err)) {
		model_free(m);
		m = NULL;
	}
	if (m)
		nf = (size_t)json_integer_value(json_object_get(hdr, "features"));
	if (m && nf > m->nbuckets) {
		sbuf_addf(err, "%s: more features than buckets", path);
		model_free(m);
		m = NULL;
	}
	if (m && (bad = read_features(m, f, nf))) {
		sbuf_addf(err, "%s: truncated or corrupt at feature %zu", path, bad - 1);
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
			 json_string_value(json_object_get(hdr, "version"))
				 ? json_string_value(json_object_get(hdr, "version"))
				 : "unknown");
	}
	json_decref(hdr);
	fclose(f);
	return m;
}
