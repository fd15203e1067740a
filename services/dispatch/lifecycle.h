/*
 * lifecycle.h - department.feedback and the case state machine of
 * xf-dispatch (README "Case lifecycle"): accept, return (退单) and
 * re-dispatch, progress, extend, resolve, rate; refusals for feedback
 * that cannot apply; each feedback recorded once with the messages it
 * produced, so that a redelivery publishes them again.
 */
#ifndef XF_LIFECYCLE_H
#define XF_LIFECYCLE_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "caseops.h"
#include "jschema.h"
#include "metrics.h"

struct lifecycle {
	struct jschema_set *schemas;           /* with xf.feedback.v1 (borrowed) */
	struct metrics_series *m_feedback_dup; /* xf_feedback_duplicates_total */
};

/* Tells co what feedback msg (borrowed, may be NULL) will read: before caseops_load. */
void lifecycle_want(struct caseops *co, json_t *msg, const rd_kafka_message_t *rkm);

/*
 * Works one department.feedback message msg (borrowed; NULL if it was not
 * JSON) from rkm at now, after caseops_load. Malformed feedback gets
 * *dlq_code "bad_feedback" and *dlq_why (malloc'd) besides its refusal.
 * Returns 0, or -1 with err.
 */
int lifecycle_feedback(struct lifecycle *lc, struct caseops *co, json_t *msg,
		       const rd_kafka_message_t *rkm, time_t now, const char **dlq_code,
		       char **dlq_why, struct sbuf *err);

/* The name of feedback action i (xf.feedback.v1 action), or NULL past the last. */
const char *lifecycle_action_name(size_t i);

#endif
