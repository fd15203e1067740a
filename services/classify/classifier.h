/*
 * classifier.h - petition tagging. The category comes from the trained
 * model (model.h, over the normalised text) combined with a weighted
 * keyword table that also covers the categories the model has no training
 * data for; emotion and risk words come from tables. Pure logic but for
 * loading the model. The `classification` object is built by risk.h, the
 * SimHash by simhash.h.
 */
#ifndef XF_CLASSIFIER_H
#define XF_CLASSIFIER_H

#include <jansson.h>

#include <stdint.h>

#include "sbuf.h"
#include "vocab.h"
#include "classify/risk.h"
#include "classify/simhash.h"

/* the version reported without a model */
#define CLASSIFIER_MODEL "kw-1"
/* The defaults of classifier.other_below, .other_short and .keyword_strong. */
#define CLASSIFIER_OTHER_BELOW 0.6
#define CLASSIFIER_OTHER_SHORT 30
#define CLASSIFIER_KEYWORD_STRONG 6.0

struct model;
struct model_ws;
struct normalizer;
struct phrase_index;
struct kw_table;
struct policy_table;

/* What classifier_text needs; one per thread. */
struct classifier {
	struct normalizer *nz;
	struct kw_table *table;        /* the category keyword table */
	struct policy_table *policies; /* the related policies table (policy.h) */
	struct phrase_index *kw;       /* both tables' phrases, for one pass per text */
	unsigned char *cat_hits;       /* scratch, one per keyword then policy phrase */
	struct model *model;           /* NULL: keyword tables only */
	struct model_ws *ws;
	int model_cat[16];     /* the category index of each model class */
	int trained[16];       /* per category: 1 if the model knows it */
	struct sbuf text;      /* scratch: normalised subject + content */
	struct sbuf subject;   /* scratch: normalised subject */
	double low_confidence; /* below it: a low_confidence risk reason */
	/* A text shorter than other_short characters (normalised) that no
	 * one-vs-rest classifier claims this strongly (model_result.claim) and
	 * no keyword backs is "other"; a longer one keeps the model's best
	 * class (issue 15: three in four of the petitions below 0.6 are
	 * longer, and the model has half of them right). */
	double other_below;
	int other_short;
	/* A category the model was not trained on wins with a keyword score
	 * of at least keyword_strong, above the model's category's, whose
	 * confidence kw / (kw + 3) beats the model's claim. */
	double keyword_strong;
	int model_borrowed; /* classifier_use_model(): not freed here */
	struct classifier_risk risk;
};

/*
 * Loads the model at model_path (NULL: keyword tables only) and the
 * normaliser. Returns 0, or -1 with err.
 */
int classifier_init(struct classifier *cl, const char *model_path, struct sbuf *err);
/* Uses m (borrowed: the caller frees it after the classifier) instead of
 * the model loaded, as cross-validation of the whole classifier does. */
int classifier_use_model(struct classifier *cl, struct model *m, struct sbuf *err);
void classifier_release(struct classifier *cl);
/*
 * Replaces the category keyword table with an xf.keywords.v1 document
 * (JSON text; phrases are normalised like petitions, so traditional and
 * simplified phrases both match). On error the table in use stays.
 * classifier_init loads the starter table compiled in from
 * deploy/examples/keywords.json.
 */
int classifier_keywords(struct classifier *cl, const char *json, struct sbuf *err);
const char *classifier_keywords_version(const struct classifier *cl);
/*
 * Replaces the related policies table with an xf.policies.v1 document
 * (JSON text; policy.h says when an entry applies). On error the table
 * in use stays. classifier_init loads the starter table compiled in from
 * deploy/examples/policies.json.
 */
int classifier_policies(struct classifier *cl, const char *json, struct sbuf *err);
const char *classifier_policies_version(const struct classifier *cl);
/* The model's version, or CLASSIFIER_MODEL. */
const char *classifier_version(const struct classifier *cl);

/* The 14 taxonomy codes of DESIGN, in its order; NULL-terminated (vocab.h). */
#define classifier_categories vocab_category_codes
/* 1 if code is one of them (0 for NULL). */
int classifier_category_known(const char *code);

struct classifier_text {
	const char *category; /* best code, static storage */
	double confidence;    /* 0..1 */
	json_t *top;          /* new ref: [{category, score}] best 3 */
	json_t *keywords;     /* new ref: matched words, strongest first */
	int intensity;        /* 0..100 */
	json_t *danger;       /* new ref: extreme-act words found */
	int low_confidence;   /* confidence under cl->low_confidence */
	uint64_t simhash;     /* of the normalised subject + content */
	const char *model;    /* version, static or owned by cl */
	json_t *policies;     /* new ref: related policies [{id, title, article?}] */
};

/*
 * Tags subject + content; hint (may be NULL) is upstream's category_hint.
 */
void classifier_text(struct classifier *cl, const char *subject, const char *content,
		     const char *hint, struct classifier_text *out);
void classifier_text_release(struct classifier_text *t);

#endif
