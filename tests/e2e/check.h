/*
 * check.h - what the integration tests assert about the collected outputs.
 */
#ifndef XF_E2E_CHECK_H
#define XF_E2E_CHECK_H

#include "e2e.h"
#include "gen.h"
#include "jschema.h"

/* Outputs for one published event, found among the collected messages. */
struct check_seen {
	int accepted, duplicate, rejected; /* receipts by status */
	const char *case_id;               /* of the first accepted receipt */
	const char *dup_case_id;           /* of the first duplicate receipt */
	int dlq;                           /* dead letters with this key */
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

/*
 * Asserts every valid event has accepted receipts that all name one case
 * id (redeliveries repeat it), and that the lead assignments on the topics
 * name nvalid distinct cases.
 */
void check_one_case_each(struct e2e *t, const struct check_run *run);

/* The dead letters of a run as check_dead_letters counted them. */
struct check_counts {
	size_t dlq;               /* messages on petition.dlq */
	size_t dlq_distinct;      /* distinct (key, source partition, source offset) */
	size_t processing_failed; /* of them with that code */
};

/*
 * Asserts the dead letters: each one is of a malformed event of the run,
 * with its code, its bytes unchanged and its source coordinates; each
 * malformed event has exactly one distinct dead letter (redelivered copies
 * name the same source partition and offset); none is processing_failed.
 * Fills c when not NULL.
 */
void check_dead_letters(struct e2e *t, const struct check_run *run, struct check_counts *c);

/*
 * Asserts the tables: one intake key, case and lead assignment per valid
 * event, and `xfctl audit verify` finds every chain intact.
 */
void check_tables(struct e2e *t, const struct check_run *run);

/* Produces events ev[from..to) and waits for their acks; 0 or -1. */
int check_publish(struct e2e *t, const struct gen_event *ev, size_t from, size_t to);
/* For e2e_collect_until: at least *(long *)arg cases in the table. */
int check_cases_at_least(struct e2e *t, void *arg);

/*
 * Asserts case_id's petition.updates are the steps statuses (space-separated),
 * in order, keyed lc12345/..., with public fields only and none of personal
 * (NULL-terminated), and that its receipt's query code is the case id's
 * under the development key. Waits up to 60 s for them.
 */
void check_updates(struct e2e *t, const char *case_id, const char *const *personal,
		   const char *statuses);

/* The embedded JSON schemas (schemas/xf.*.json), loaded once. */
struct jschema_set *check_schema_set(void);

/* Asserts every collected output message conforms to its JSON Schema. */
void check_schemas(struct e2e *t);

#endif
