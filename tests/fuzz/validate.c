/*
 * validate.c - fuzzes xf-intake's event validator (services/intake/
 * validate.c) with any bytes, as they come off hotline.events. The schema
 * (schemas/xf.hotline_event.v1.json) is intake's only definition of a
 * valid event, so for any event that parses as an object intake accepts
 * it exactly when jschema does, and a refusal names at least one field
 * with a README code. tests/schema_agree.py compares the verdicts with an
 * independent validator.
 */
#include <jansson.h>

#include "embed.h"
#include "fuzz.h"
#include "intake/validate.h"
#include "jschema.h"
#include "sbuf.h"

static struct jschema_set *schemas;

static void setup(void)
{
	const struct embed_file *f = embed_find("schemas/xf.hotline_event.v1.json");
	struct sbuf err = SBUF_INIT;

	schemas = jschema_set_new();
	if (jschema_add(schemas, f->data, f->len, &err)) {
		fprintf(stderr, "validate fuzzer setup: %s\n", err.buf);
		abort();
	}
	sbuf_release(&err);
}

static void contract_valid(json_t *event)
{
	struct sbuf err = SBUF_INIT;

	if (jschema_validate(schemas, "xf.hotline_event.v1", event, &err))
		fprintf(stderr, "intake accepts what the schema refuses: %s\n", err.buf);
	FUZZ_ASSERT(err.len == 0);
	sbuf_release(&err);
}

/* v refused an event: the schema refuses it too, a field named per fault. */
static void contract_refused(const struct intake_verdict *v)
{
	size_t i;
	json_t *e;

	if (!json_is_object(v->event))
		return;
	if (!jschema_validate(schemas, "xf.hotline_event.v1", v->event, NULL))
		fprintf(stderr, "intake refuses what the schema accepts: %s\n",
			intake_first_code(v));
	FUZZ_ASSERT(jschema_validate(schemas, "xf.hotline_event.v1", v->event, NULL));
	json_array_foreach(v->errors, i, e)
		FUZZ_ASSERT(json_is_string(json_object_get(e, "field")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_verdict v;
	char *text;
	int rc;

	if (!schemas)
		setup();
	rc = intake_validate(schemas, (const char *)data, size, &v);
	FUZZ_ASSERT(json_is_array(v.errors));
	FUZZ_ASSERT(rc == 0 ? json_array_size(v.errors) == 0 : json_array_size(v.errors) > 0);
	if (rc == 0) { /* a valid event names its keys, for dedup and the receipt */
		FUZZ_ASSERT(json_is_object(v.event) && v.source_system && *v.source_system &&
			    v.external_id && *v.external_id);
		contract_valid(v.event);
	} else {
		contract_refused(&v);
	}
	FUZZ_ASSERT(rc == 0 || *intake_first_code(&v));
	text = intake_errors_text(&v);
	FUZZ_ASSERT(rc == 0 || (text && *text));
	free(text);
	intake_verdict_release(&v);
	return 0;
}
