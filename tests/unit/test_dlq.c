/* Unit tests for common/dlq.c: the bounds of a dead letter's copy. */
#include <string.h>

#include "dlq.h"
#include "tharness.h"

static void t_value_room(void)
{
	/* a roomy producer: the contract's largest message, whole */
	T_INTEQ(dlq_value_room(4194304, 500), DLQ_VALUE_MAX);
	/* a tight one: what is left beside key, headers and framing */
	T_INTEQ(dlq_value_room(1000000, 500), 1000000 - 500 - DLQ_FRAMING);
	T_INTEQ(dlq_value_room(2000, 976), 0);
	T_INTEQ(dlq_value_room(2000, 5000), 0);
	T_INTEQ(dlq_value_room(0, 0), 0);
	T_INTEQ(dlq_value_room(-1, 0), 0);
}

static void clip(const char *s, size_t max, const char *want)
{
	struct sbuf out = SBUF_INIT;

	dlq_clip_text(&out, s, max);
	T_STREQ(out.buf, want);
	T_CHECK(out.len <= max);
	sbuf_release(&out);
}

static void t_clip_text(void)
{
	clip("region_code: not a division code", 100, "region_code: not a division code");
	clip("abcdef", 3, "abc");
	/* a character is kept whole or left out */
	clip("ab\xe4\xb8\xad\xe6\x96\x87", 4, "ab");
	clip("ab\xe4\xb8\xad\xe6\x96\x87", 5, "ab\xe4\xb8\xad");
	/* controls become spaces, bytes that are not UTF-8 '?' */
	clip("a\nb\tc\x1b[31m", 100, "a b c [31m");
	clip("\xff\xfe ok \xc0\xaf", 100, "?? ok ??");
	clip(NULL, 10, "");
}

static void t_hex(void)
{
	struct sbuf out = SBUF_INIT;

	dlq_hex(&out, "\x00\x7f\xff" "a", 4);
	T_STREQ(out.buf, "007fff61");
	dlq_hex(&out, "", 0);
	T_INTEQ(out.len, 8);
	sbuf_release(&out);
}

T_SUITE(dlq, { "value_room", t_value_room }, { "clip_text", t_clip_text }, { "hex", t_hex })
