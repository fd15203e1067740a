/*
 * normalize.c - fuzzes the classifier's text normaliser (services/
 * classify/normalize.c) with any bytes: its output must be valid UTF-8
 * (it goes into JSON and PostgreSQL), count the code points it says, and
 * keep what the buffer held before; of ASCII only lower-case letters and
 * digits are left (steps 4 and 5 of normalize.h).
 */
#include "classify/normalize.h"
#include "fuzz.h"
#include "sbuf.h"
#include "util.h"

static struct normalizer *nz;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT;
	size_t n;

	if (!nz && !(nz = normalizer_new(NULL)))
		abort();
	sbuf_adds(&out, "前");
	n = normalizer_apply(nz, (const char *)data, size, &out);
	FUZZ_ASSERT(!strncmp(out.buf, "前", strlen("前")));
	FUZZ_ASSERT(strlen(out.buf) == out.len);
	FUZZ_ASSERT(utf8_valid(out.buf, out.len));
	FUZZ_ASSERT(utf8_len(out.buf + strlen("前")) == n);
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.buf[i];

		FUZZ_ASSERT(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	}
	sbuf_release(&out);
	return 0;
}
