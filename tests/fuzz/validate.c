/*
 * validate.c - fuzzes xf-intake's event validator (services/intake/
 * validate.c) with any bytes, as they come off hotline.events.
 */
#include <jansson.h>

#include "fuzz.h"
#include "intake/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_verdict v;
	char *text;
	int rc = intake_validate((const char *)data, size, &v);

	FUZZ_ASSERT(json_is_array(v.errors));
	FUZZ_ASSERT(rc == 0 ? json_array_size(v.errors) == 0 : json_array_size(v.errors) > 0);
	if (rc == 0) /* a valid event names its keys, for dedup and the receipt */
		FUZZ_ASSERT(json_is_object(v.event) && v.source_system && *v.source_system &&
			    v.external_id && *v.external_id);
	FUZZ_ASSERT(rc == 0 || *intake_first_code(&v));
	text = intake_errors_text(&v);
	FUZZ_ASSERT(rc == 0 || (text && *text));
	free(text);
	intake_verdict_release(&v);
	return 0;
}
