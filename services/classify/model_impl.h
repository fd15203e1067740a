/*
 * model_impl.h - what model.c (prediction, the file) and model_train.c
 * (training) share: the n-gram counting and the model's rows. Not for
 * other files.
 */
#ifndef XF_CLASSIFY_MODEL_IMPL_H
#define XF_CLASSIFY_MODEL_IMPL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "classify/model.h"
#include "xalloc.h"

/* One distinct n-gram of a text: its bucket, count and where it first was. */
struct slot {
	uint32_t bucket, count;
	uint32_t start, n; /* code point offset and length of the first occurrence */
};

struct model_ws {
	uint32_t *cps;     /* the text's code points */
	uint32_t *offsets; /* byte offset of each code point */
	size_t cps_cap;
	/* A small open-addressing table from bucket to n-gram: tag[i] is the
	 * bucket + 1 (0: free), pos[i] its index in feat. 4 bytes a slot, so a
	 * text's table stays in the first-level cache. */
	uint32_t *tag, *pos;
	size_t table_cap;
	struct slot *feat; /* the distinct n-grams, in order of first occurrence */
	size_t nfeat, feat_cap;
	const char *text; /* for keywords: the text, or kept.buf */
	/* A model with words: the kept words joined, and each one's span in
	 * code points of that text. */
	struct seg_scratch sc;
	struct sbuf kept;
	uint32_t *wstart, *wlen;
	size_t nwords, words_cap;
	uint32_t kept_cps; /* code points in kept so far */
};

/* Counts the text's features (model.h: character 1..ngram_max-grams, of the
 * kept words if m has stop words left out, and word n-grams): the distinct
 * ones into ws->feat. */
void model_extract(const struct model *m, struct model_ws *ws, const char *text);

/* A model with its packed table, and the training rows if training. */
struct model *model_alloc(int nclasses, char *const *classes, int bits, int ngram_max,
			  int training);

/* The idf levels spread evenly over [lo, hi]: level 1 is lo, 255 is hi. */
void model_pack_levels(struct model *m, float lo, float hi);
/* Packs one kept feature: its idf to the nearest level, its int8 weights as they are. */
void model_pack_row(struct model *m, uint32_t b, float idf, const int8_t *q);

/* The training row of bucket b: [0] idf, [1 + c] weight of class c. */
static inline float *row(const struct model *m, uint32_t b)
{
	return &m->rows[(size_t)b * (size_t)m->stride];
}

/* Sets the term-frequency factor (MODEL_TF_*) and its table. */
void model_set_tf(struct model *m, int tf);

/* TF-IDF weight of a slot, before normalisation: tf factor times idf. */
static inline float tfidf(const struct model *m, const struct slot *s, float idf)
{
	if (s->count < 64)
		return m->tf_weight[s->count] * idf;
	if (m->tf == MODEL_TF_LOG)
		return (float)(1.0 + log((double)s->count)) * idf;
	return (m->tf == MODEL_TF_RAW ? (float)s->count : 1.0f) * idf;
}

#endif
