/*
 * check.h - what the integration tests assert about the collected outputs.
 */
#ifndef XF_E2E_CHECK_H
#define XF_E2E_CHECK_H

#include "e2e.h"
#include "gen.h"

/* Outputs for one published event, found among the collected messages. */
struct check_seen {
	int accepted, duplicate, rejected;  /* receipts by status */
	const char *case_id;                /* of the first accepted receipt */
	const char *dup_case_id;            /* of the first duplicate receipt */
	int dlq;                            /* dead letters with this key */
	const struct e2e_msg *dlq_msg;
};

/*
 * 1 once every event of the run (a struct check_run) has its outputs: a
 * valid one its accepted receipt and the lead assignment of that case, a
 * duplicate its duplicate receipt, a malformed one its dead letter.
 */
int check_complete(struct e2e *t, void *arg);

struct check_run {
	struct gen_event *ev;
	size_t n;
	size_t nvalid;
};

/*
 * Asserts (with T_CHECK) everything the spine promises for the run:
 * one case and one lead assignment on the right topic per valid event
 * (any topic when the event's department is NULL),
 * never two decisions for a case, duplicates answered with the original
 * case id, malformed events dead-lettered with the right code and their
 * bytes unchanged, a receipt for everything. allow_redelivery relaxes
 * "exactly one message" to "identical messages" (after a crash).
 */
void check_run(struct e2e *t, const struct check_run *run, int allow_redelivery);

/*
 * 1 if dead letter m carries malformed event e: its bytes unchanged, or,
 * for an event over DLQ_VALUE_MAX, its prefix of that size with
 * xf-truncated, xf-original-bytes and xf-original-sha256 (common/dlq.h).
 */
int check_dlq_bytes(const struct e2e_msg *m, const struct gen_event *e);

/* Asserts every collected output message conforms to its JSON Schema. */
void check_schemas(struct e2e *t);

#endif
