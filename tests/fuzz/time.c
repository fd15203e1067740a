/*
 * time.c - fuzzes time_parse_rfc3339 (common/util.c) on any string, and
 * checks what it accepts against timegm(3) over the same fields.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "fuzz.h"
#include "util.h"

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The instant s names, computed independently of the parser. */
static time_t reference(const char *s)
{
	const char *off = s + strlen(s) - 1;
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 5, 2) - 1;
	tm.tm_mday = num(s + 8, 2);
	tm.tm_hour = num(s + 11, 2);
	tm.tm_min = num(s + 14, 2);
	tm.tm_sec = num(s + 17, 2);
	t = timegm(&tm);
	/* a fraction is rounded to microseconds, as PostgreSQL does: .9999995 and
	 * over is the next second */
	if (s[19] == '.' && rint(strtod(s + 19, NULL) * 1e6) >= 1e6)
		t++;
	if (*off == 'Z' || *off == 'z')
		return t;
	off = s + strlen(s) - 6;
	return t - (*off == '+' ? 1 : -1) * (num(off + 1, 2) * 3600 + num(off + 4, 2) * 60);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	time_t t = 0;

	if (time_parse_rfc3339(s, &t) == 0) {
		FUZZ_ASSERT(strlen(s) >= 20);
		FUZZ_ASSERT(t == reference(s));
	}
	free(s);
	return 0;
}
