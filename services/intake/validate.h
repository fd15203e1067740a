/*
 * validate.h - xf-intake's checks of one hotline event (xf.hotline_event.v1),
 * pure logic: bytes in, a verdict out.
 */
#ifndef XF_INTAKE_VALIDATE_H
#define XF_INTAKE_VALIDATE_H

#include <stddef.h>

#include <jansson.h>

#include "sbuf.h"

struct jschema_set;

#define INTAKE_MAX_BYTES (1024 * 1024)

struct intake_verdict {
	json_t *event;             /* owned; the parsed object, NULL if none */
	const char *source_system; /* borrowed from event; NULL if unreadable */
	const char *external_id;   /* borrowed from event; NULL if unreadable */
	json_t *errors;            /* owned; [{code, field, message}], empty if valid */
};

/*
 * A new set holding the embedded schema xf.hotline_event.v1 compiled, for
 * intake_validate(); free it with jschema_set_free(). NULL, with the
 * reason appended to err, if it does not compile.
 */
struct jschema_set *intake_schemas_new(struct sbuf *err);

/*
 * Checks buf[0..len): its size, encoding, value count and JSON first, then
 * the schema xf.hotline_event.v1 in schemas (from intake_schemas_new(),
 * only read: several threads may share it). Returns 0 if the event is
 * valid, -1 if not; either way v is filled and must be released. Error
 * codes: too_large, not_utf8, too_many_values (more than JLIMIT_VALUES,
 * see jlimit.h), not_json, not_object, then the schema's faults as
 * bad_schema, missing_field (or null where null is not allowed),
 * wrong_type, empty_field, too_long, bad_region_code (pattern or format
 * xf-region-code), bad_time (format date-time), bad_value (enum, range,
 * other patterns); at most one error per field. A valid event's
 * co_signers written 3.0 becomes the JSON integer 3.
 */
int intake_validate(const struct jschema_set *schemas, const char *buf, size_t len,
		    struct intake_verdict *v);
void intake_verdict_release(struct intake_verdict *v);

/* The code of the first error ("" if none). */
const char *intake_first_code(const struct intake_verdict *v);
/* All messages joined by "; " into a new string (free() it). */
char *intake_errors_text(const struct intake_verdict *v);

#endif
