/*
 * model.h - the category model: a linear classifier (one-vs-rest logistic
 * regression, trained with liblinear) over hashed character 1-n-grams of
 * the normalised text, weighted by TF-IDF and L2-normalised.
 *
 * This is prediction and the model file, all xf-classify links. Training
 * (model_train.h) shares the feature extraction, so xfctl and the tests
 * train on exactly the features the daemon uses. Texts given to model_*
 * are already normalised (normalize.h).
 *
 * File format: one JSON header line ({"format": "xf-linear-1", "version",
 * "classes", "bucket_bits", "ngram_max", "features", "weights": "int8",
 * "scales": [per class], "tf": "log" (the default) | "raw" | "binary", ...}) then, little-endian, for each kept feature:
 * u32 bucket, f32 idf, int8 weight per class (times its class's scale);
 * then f32 bias per class.
 *
 * Words (header "segment", "stop", "words"; absent: characters only). A
 * model with "segment": "xf-words.dict" cuts the text into words with that
 * dictionary (segment.h), which model_load() loads from the model file's
 * own directory. With "stop": true the stop words are left out and the
 * character n-grams are taken over the kept words joined, so that raw text
 * looks like the pre-tokenised training texts. "words": 1 adds each kept
 * word as a feature, 2 also each pair of consecutive kept words (across a
 * stop word left out), hashed into the same buckets with their own seed.
 */
#ifndef XF_CLASSIFY_MODEL_H
#define XF_CLASSIFY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "classify/segment.h"
#include "sbuf.h"

#define MODEL_MAX_CLASSES 15 /* + the idf fit a 16-float row */

/* The term-frequency factor of a feature's weight (header "tf"). */
enum {
	MODEL_TF_LOG,   /* 1 + ln tf (sublinear; files without "tf") */
	MODEL_TF_RAW,   /* tf */
	MODEL_TF_BINARY /* 1 */
};
extern const char *const model_tf_names[3]; /* "log", "raw", "binary" */

struct model {
	char version[96];
	int nclasses;
	char *classes[MODEL_MAX_CLASSES]; /* taxonomy codes, owned */
	int bucket_bits, ngram_max;
	uint32_t nbuckets;
	/* Training form, one row per bucket: the idf (0 = feature not kept),
	 * then the weight of each class, padded to `stride` (8 or 16) floats.
	 * NULL in a model read from a file. */
	float *rows;
	int stride;
	/* Prediction form, `pstride` (8 or 16) bytes a bucket, so that the
	 * table (4 MB at 19 bits, 7 classes) stays in the caches: byte 0 is the
	 * idf level (0 = feature not kept, idf_level[] gives the idf), byte 1 + c
	 * the int8 weight of class c in units of wscale[c], as in the file. */
	int8_t *packed;
	int pstride;
	float idf_level[256];
	float wscale[MODEL_MAX_CLASSES];
	int tf;              /* MODEL_TF_*: the term-frequency factor */
	float tf_weight[64]; /* that factor for small tf */
	float bias[MODEL_MAX_CLASSES];
	size_t nfeatures; /* kept features */
	/* Words (see the file format above): */
	struct segmenter *seg; /* owned; NULL: characters only */
	char segment[64];      /* the dictionary's file name ("" with no seg) */
	int stop;              /* 1: stop words left out */
	int words;             /* word n-grams: 0 none, 1 unigrams, 2 and bigrams */
};

/* Reusable scratch for feature extraction (one per thread). */
struct model_ws;
struct model_ws *model_ws_new(void);
void model_ws_free(struct model_ws *ws);

/* One prediction. */
struct model_result {
	int best;                       /* class index */
	double prob[MODEL_MAX_CLASSES]; /* normalised, sum 1 */
	double claim;                   /* the best class's own sigmoid, before
					     normalising: low when no one-vs-rest
					     classifier claims the text */
	char keywords[5][32];           /* the n-grams that weighed most for best */
	int nkeywords;
};

/* Predicts the class of normalised text; 0, or -1 if the text has no known feature. */
int model_predict(const struct model *m, struct model_ws *ws, const char *text,
		  struct model_result *out);

int model_save(const struct model *m, const char *path, json_t *meta, struct sbuf *err);
/* Loads a model file, and the dictionary it names (from the file's
 * directory); NULL with err, which names a dictionary that is missing. */
struct model *model_load(const char *path, struct sbuf *err);
void model_free(struct model *m);

#endif
