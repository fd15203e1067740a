/*
 * risk.h - the `classification` object of a classified petition: its tags
 * (classifier.h) with the risk level A/B/C and its reasons, repeat,
 * collective and cluster.
 */
#ifndef XF_CLASSIFY_RISK_H
#define XF_CLASSIFY_RISK_H

#include <jansson.h>

struct classifier_text;

/* Risk thresholds (configuration: XF_RISK_*); defaults of issue 3. */
struct classifier_risk {
	int a_intensity; /* threats, or intensity >= this: A */
	int b_intensity; /* intensity >= this: B */
	int b_repeat;    /* this many earlier same-matter cases: B */
};

/* What PostgreSQL knows of the petitioner and the area. */
struct classifier_history {
	int repeat_count;
	json_t *related;        /* borrowed: [case ids] */
	const char *cluster_id; /* NULL if not part of a cluster */
	int cluster_completed;  /* this petition completed its cluster */
};

/*
 * The `classification` object (new reference) for a petition (borrowed,
 * for co_signers) from the text tags and the history: risk level A/B/C
 * with its reasons under thresholds r (NULL: the defaults), repeat,
 * collective (co-signers >= 5), cluster_id, related_policies (the
 * text's, policy.h; [] when t has none). A: threats, intensity >=
 * a_intensity, or 50+ co-signers; B: collective, repeat >= b_repeat,
 * intensity >= b_intensity, or completing a cluster; else C.
 */
json_t *classifier_build(json_t *petition, const struct classifier_text *t,
			 const struct classifier_history *h, const struct classifier_risk *r);
/* The defaults: 80, 60, 3. */
void classifier_risk_default(struct classifier_risk *r);

#endif
