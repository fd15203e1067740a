/*
 * validate.c - fuzzes xf-intake's event validator (services/intake/
 * validate.c) with any bytes, as they come off hotline.events. An event
 * it accepts must also be valid by the contract's schema
 * (schemas/xf.hotline_event.v1.json): intake passes nothing on that the
 * contract refuses. And an event it refuses that the schema takes may only
 * fail intake's own further checks: the province code and the calendar
 * date (bad_region_code, bad_time). Left as it is: co_signers must be a
 * JSON integer up to 10^9 (xf-classify reads it as one), where the schema
 * takes 2.0 and any size.
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

/* v refused an event: if the schema takes it, only for intake's own checks. */
static void contract_refused(const struct intake_verdict *v)
{
	size_t i;
	json_t *e;

	if (!v->event || jschema_validate(schemas, "xf.hotline_event.v1", v->event, NULL))
		return;
	json_array_foreach(v->errors, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *f = json_string_value(json_object_get(e, "field"));
		int own = !strcmp(code, "bad_region_code") || !strcmp(code, "bad_time") ||
			  (f && !strcmp(f, "co_signers"));

		if (!own)
			fprintf(stderr, "intake refuses what the schema accepts: %s %s\n", code,
				f ? f : "-");
		FUZZ_ASSERT(own);
	}
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
