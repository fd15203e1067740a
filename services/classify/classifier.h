/*
 * classifier.h - the first version of petition tagging: weighted keyword
 * tables for category, emotion and risk words. Pure logic. The category
 * model is behind classifier_text() alone, so a trained model can replace
 * it without touching the daemon.
 */
#ifndef XF_CLASSIFIER_H
#define XF_CLASSIFIER_H

#include <jansson.h>

#define CLASSIFIER_MODEL "kw-1"

/* The 14 taxonomy codes of DESIGN, in its order; NULL-terminated. */
extern const char *const classifier_categories[];
/* 1 if code is one of them. */
int classifier_category_known(const char *code);

struct classifier_text {
	const char *category;       /* best code, static storage */
	double confidence;          /* 0..1 */
	json_t *top;                /* new ref: [{category, score}] best 3 */
	json_t *keywords;           /* new ref: matched words, strongest first */
	int intensity;              /* 0..100 */
	json_t *danger;             /* new ref: extreme-act words found */
};

/* Tags subject + content; hint (may be NULL) is upstream's category_hint. */
void classifier_text(const char *subject, const char *content, const char *hint,
		     struct classifier_text *out);
void classifier_text_release(struct classifier_text *t);

/* What PostgreSQL knows of the petitioner and the area. */
struct classifier_history {
	int repeat_count;
	json_t *related;            /* borrowed: [case ids] */
	const char *cluster_id;     /* NULL if not part of a cluster */
};

/*
 * The `classification` object (new reference) for a petition (borrowed,
 * for co_signers) from the text tags and the history: risk level A/B/C
 * with its reasons, repeat, collective (co-signers >= 5), cluster_id.
 */
json_t *classifier_build(json_t *petition, const struct classifier_text *t,
			 const struct classifier_history *h);

/*
 * The petitioner's keyed hash (HMAC-SHA-256 under key) of the id number,
 * else the phone digits, into out; returns 0, or -1 when the petition is
 * anonymous or names neither.
 */
int classifier_petitioner_key(json_t *petition, const char *key, char out[65]);

#endif
