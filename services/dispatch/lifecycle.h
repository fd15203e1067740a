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
#include "sender.h"

struct lifecycle {
	struct jschema_set *schemas;           /* with xf.feedback.v1 (borrowed) */
	struct metrics_series *m_feedback_dup; /* xf_feedback_duplicates_total */
	struct sender_keys *keys;              /* of the rules loaded (borrowed); NULL before */
	int development;                       /* XF_ENV=development: unsigned is believed */
};

/* Tells co what feedback msg (borrowed, may be NULL) will read: before caseops_load. */
void lifecycle_want(const struct lifecycle *lc, struct caseops *co, json_t *msg,
		    const rd_kafka_message_t *rkm, const struct sender_hdrs *h);

/*
 * Works one department.feedback message msg (borrowed; NULL if it was not
 * JSON) from rkm with headers h (sender_hdrs_read; NULL: none) at now,
 * after caseops_load. Who sent it is told by sender_identify (sender.h);
 * feedback whose sender is not authenticated
 * gets *dlq_code "unauthenticated", malformed feedback "bad_feedback",
 * with *dlq_why (malloc'd), besides its refusal. Each sender's
 * feedback_ids are its own: another sender's same id is a different
 * message. Returns 0, or -1 with err.
 */
int lifecycle_feedback(struct lifecycle *lc, struct caseops *co, json_t *msg,
		       const rd_kafka_message_t *rkm, const struct sender_hdrs *h, time_t now,
		       const char **dlq_code, char **dlq_why, struct sbuf *err);

/* The name of feedback action i (xf.feedback.v1 action), or NULL past the last. */
const char *lifecycle_action_name(size_t i);

#endif
