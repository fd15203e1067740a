/*
 * validate.h - xf-intake's checks of one hotline event (xf.hotline_event.v1),
 * pure logic: bytes in, a verdict out.
 */
#ifndef XF_INTAKE_VALIDATE_H
#define XF_INTAKE_VALIDATE_H

#include <stddef.h>

#include <jansson.h>

#define INTAKE_MAX_BYTES (1024 * 1024)

struct intake_verdict {
	json_t *event;              /* owned; the parsed object, NULL if none */
	const char *source_system;  /* borrowed from event; NULL if unreadable */
	const char *external_id;    /* borrowed from event; NULL if unreadable */
	json_t *errors;             /* owned; [{code, field, message}], empty if valid */
};

/*
 * Checks buf[0..len). Returns 0 if the event is valid, -1 if not; either
 * way v is filled and must be released. Error codes: too_large, not_utf8,
 * too_many_values (more than JLIMIT_VALUES, see jlimit.h), not_json, not_object, bad_schema, missing_field, wrong_type, empty_field,
 * too_long, bad_region_code, bad_time, bad_value.
 */
int intake_validate(const char *buf, size_t len, struct intake_verdict *v);
void intake_verdict_release(struct intake_verdict *v);

/* The code of the first error ("" if none). */
const char *intake_first_code(const struct intake_verdict *v);
/* All messages joined by "; " into a new string (free() it). */
char *intake_errors_text(const struct intake_verdict *v);

#endif
