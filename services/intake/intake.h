/*
 * intake.h - xf-intake: hotline.events -> validation, dedup and case ids ->
 * petition.received, petition.receipts, petition.dlq.
 */
#ifndef XF_INTAKE_H
#define XF_INTAKE_H

#include <jansson.h>

#include "svc.h"

struct intake {
	struct svc svc;
	struct jschema_set *schemas; /* owned: xf.hotline_event.v1 (validate.h) */
};

int intake_init(struct intake *in, const volatile sig_atomic_t *stop, struct sbuf *err);
int intake_run(struct intake *in);
void intake_release(struct intake *in);

/*
 * The receipt (xf.receipt.v1) for an event: status accepted|duplicate|
 * rejected; case_id NULL when rejected; errors (borrowed) when rejected.
 * Returns a new reference.
 */
json_t *intake_receipt(const char *source_system, const char *external_id, const char *status,
		       const char *case_id, json_t *errors);
/*
 * The petition (xf.petition.v1) for a valid event (borrowed): a copy of
 * every field plus schema, case_id and received_at; an anonymous
 * petitioner's identity replaced by its keyed hash under petitioner_key
 * (petitioner_strip). New reference.
 */
json_t *intake_petition(json_t *event, const char *case_id, const char *received_at,
			const char *petitioner_key);

#endif
