/* Unit tests for services/xfctl/xfctl.c: text from the database made safe to print. */
#include <string.h>

#include "sbuf.h"
#include "tharness.h"
#include "xfctl/xfctl.h"

static const char *escaped(struct sbuf *out, const char *s)
{
	sbuf_reset(out);
	xfctl_escape(out, s);
	return out->buf;
}

/* Terminal escapes, C1 controls, bidi overrides and broken UTF-8 come out visible. */
static void t_escape(void)
{
	/* clang-format off */
	static const struct { const char *in, *want; } cases[] = {
		{ "不属于本单位 ok", "不属于本单位 ok" },
		{ "\x1b[2J\x1b]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07" },
		{ "a\r\nchain: intact\tx", "a\\r\\nchain: intact\\tx" },
		{ "del\x7f c1\xc2\x9b"
		  "31m",
		  "del\\x7f c1\\u009b31m" },
		{ "\xe2\x80\xae"
		  "gpj.exe \xe2\x81\xa6",
		  "\\u202egpj.exe \\u2066" },
		{ "bad \xff \xc0\xaf \xed\xa0\x80 \xe4\xbf",
		  "bad \\xff \\xc0\\xaf \\xed\\xa0\\x80 \\xe4\\xbf" },
		{ "back\\slash", "back\\slash" },
		{ "", "" },
	};
	/* clang-format on */
	struct sbuf out = SBUF_INIT;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_STREQ(escaped(&out, cases[i].in), cases[i].want);
	sbuf_release(&out);
}

/* clang-format off */
T_SUITE(xfctl, { "escape", t_escape })
/* clang-format on */
