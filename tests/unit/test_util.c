/* Unit tests for common/util.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tharness.h"
#include "util.h"

/* utf8_valid over a NUL-terminated literal (its bytes without the NUL). */
static int valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void t_utf8_valid_ok(void)
{
	T_INTEQ(utf8_valid("", 0), 1);
	T_INTEQ(valid("plain ASCII 123 {}"), 1);
	T_INTEQ(valid("瑞安市人力资源和社会保障局"), 1);
	T_INTEQ(valid("拖欠工资，要求支付！"), 1);
	T_INTEQ(valid("\xC3\xA9"), 1);         /* é, 2 bytes */
	T_INTEQ(valid("\xC2\x80"), 1);         /* U+0080, smallest 2-byte */
	T_INTEQ(valid("\xE0\xA0\x80"), 1);     /* U+0800, smallest 3-byte */
	T_INTEQ(valid("\xED\x9F\xBF"), 1);     /* U+D7FF, just below surrogates */
	T_INTEQ(valid("\xEE\x80\x80"), 1);     /* U+E000, just above */
	T_INTEQ(valid("\xEF\xBF\xBF"), 1);     /* U+FFFF */
	T_INTEQ(valid("\xF0\x9F\x98\x80"), 1); /* U+1F600, 4 bytes */
	T_INTEQ(valid("\xF0\x90\x80\x80"), 1); /* U+10000, smallest 4-byte */
	T_INTEQ(valid("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF, the largest */
	T_INTEQ(valid("\xF0\xA0\x80\x80"), 1); /* U+20000, CJK extension B */
	T_INTEQ(utf8_valid("a\0b", 3), 1);     /* NUL is a code point */
}

static void t_utf8_overlong(void)
{
	T_INTEQ(valid("\xC0\xAF"), 0); /* '/' in 2 bytes */
	T_INTEQ(valid("\xC1\xBF"), 0);
	T_INTEQ(valid("\xC0\x80"), 0);         /* NUL in 2 bytes */
	T_INTEQ(valid("\xE0\x80\xAF"), 0);     /* '/' in 3 bytes */
	T_INTEQ(valid("\xE0\x9F\xBF"), 0);     /* U+07FF in 3 bytes */
	T_INTEQ(valid("\xF0\x80\x80\xAF"), 0); /* '/' in 4 bytes */
	T_INTEQ(valid("\xF0\x8F\xBF\xBF"), 0); /* U+FFFF in 4 bytes */
}

static void t_utf8_surrogates(void)
{
	T_INTEQ(valid("\xED\xA0\x80"), 0);             /* U+D800 */
	T_INTEQ(valid("\xED\xAF\xBF"), 0);             /* U+DBFF */
	T_INTEQ(valid("\xED\xB0\x80"), 0);             /* U+DC00 */
	T_INTEQ(valid("\xED\xBF\xBF"), 0);             /* U+DFFF */
	T_INTEQ(valid("\xED\xA0\xBD\xED\xB8\x80"), 0); /* CESU-8 pair */
}

static void t_utf8_bad(void)
{
	static const char zh[] = "中"; /* E4 B8 AD */

	T_INTEQ(utf8_valid(zh, 2), 0); /* truncated 3-byte */
	T_INTEQ(utf8_valid(zh, 1), 0);
	T_INTEQ(utf8_valid("ab\xE4", 3), 0);
	T_INTEQ(valid("\xF0\x9F\x98"), 0); /* truncated 4-byte */
	T_INTEQ(valid("\xC3"), 0);         /* truncated 2-byte */
	T_INTEQ(valid("\x80"), 0);         /* lone continuation */
	T_INTEQ(valid("a\xBFz"), 0);
	T_INTEQ(valid("\xE4\x41\x41"), 0); /* missing continuations */
	T_INTEQ(valid("\xE4\xB8\x41"), 0);
	T_INTEQ(valid("\xF4\x90\x80\x80"), 0); /* above U+10FFFF */
	T_INTEQ(valid("\xF5\x80\x80\x80"), 0);
	T_INTEQ(valid("\xF8\x88\x80\x80\x80"), 0); /* old 5-byte form */
	T_INTEQ(valid("\xFE"), 0);
	T_INTEQ(valid("\xFF"), 0);
	T_INTEQ(valid("\xB9\xFA\xBC\xD2"), 0); /* 国家 in GBK, not UTF-8 */
	T_INTEQ(valid("信访\xC0\xAF事项"), 0); /* a bad byte in the middle */
}

static void t_utf8_len(void)
{
	T_INTEQ(utf8_len(""), 0);
	T_INTEQ(utf8_len("abc"), 3);
	T_INTEQ(utf8_len("信访"), 2);
	T_INTEQ(utf8_len("a中\xC3\xA9\xF0\x9F\x98\x80"), 4);
	T_INTEQ(utf8_len("瑞安市人力资源和社会保障局"), 13);
}

/* Parses s and checks the epoch; want_ok 0 means it must be refused. */
static void expect_time(const char *s, int want_ok, long long want)
{
	time_t t = 12345;
	int rc = time_parse_rfc3339(s, &t);

	if (!T_INTEQ(rc, want_ok ? 0 : -1))
		fprintf(stderr, "    time: \"%s\"\n", s);
	else if (want_ok && !T_INTEQ(t, want))
		fprintf(stderr, "    time: \"%s\" gave %lld\n", s, (long long)t);
}

/* The decoder itself: lengths, code points, and *cp left alone on refusal. */
static void t_utf8_decode(void)
{
	uint32_t cp = 7;

	T_INTEQ(utf8_decode("A", 1, &cp), 1);
	T_INTEQ(cp, 'A');
	T_INTEQ(utf8_decode("\xc3\xa9", 2, &cp), 2);
	T_INTEQ(cp, 0xe9);
	T_INTEQ(utf8_decode("\xe4\xbf\xa1x", 4, &cp), 3); /* 信 */
	T_INTEQ(cp, 0x4fe1);
	T_INTEQ(utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4); /* U+10FFFF */
	T_INTEQ(cp, 0x10ffff);
	cp = 7;
	T_INTEQ(utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* beyond U+10FFFF */
	T_INTEQ(utf8_decode("\xed\xa0\x80", 3, &cp), 0);     /* a surrogate */
	T_INTEQ(utf8_decode("\xe0\x80\xaf", 3, &cp), 0);     /* overlong */
	T_INTEQ(utf8_decode("\xc1\xbf", 2, &cp), 0);         /* overlong */
	T_INTEQ(utf8_decode("\xe4\xbf\xa1", 2, &cp), 0);     /* cut short by n */
	T_INTEQ(utf8_decode("\xbf", 1, &cp), 0);             /* a continuation byte */
	T_INTEQ(utf8_decode("A", 0, &cp), 0);
	T_INTEQ(cp, 7);
	T_INTEQ(utf8_step(0xe4), 3);
	T_INTEQ(utf8_step(0xbf), 1);
}

static void t_time_parse(void)
{
	expect_time("1970-01-01T00:00:00Z", 1, 0);
	expect_time("1969-12-31T23:59:59Z", 1, -1);
	expect_time("2026-11-22T02:00:00Z", 1, 1795312800);
	expect_time("2026-11-22T02:00:00z", 1, 1795312800);
	expect_time("2026-11-22t02:00:00Z", 1, 1795312800);
	expect_time("2026-11-22 02:00:00Z", 1, 1795312800);
	expect_time("2100-01-01T00:00:00Z", 1, 4102444800LL);
	expect_time("2000-02-29T12:34:56Z", 1, 951827696);
}

static void t_time_offsets(void)
{
	expect_time("2026-11-22T10:00:00+08:00", 1, 1795312800);
	expect_time("2026-11-21T21:00:00-05:00", 1, 1795312800);
	expect_time("2026-11-22T02:00:00+00:00", 1, 1795312800);
	expect_time("2026-11-22T02:00:00-00:00", 1, 1795312800);
	expect_time("2026-11-22T07:45:00+05:45", 1, 1795312800); /* Nepal */
	expect_time("2026-11-22T00:00:00+08:00", 1, 1795312800 - 36000);
	expect_time("2026-01-01T00:00:00+08:00", 1, 1767196800); /* new year */
}

static void t_time_fractions(void)
{
	expect_time("2026-11-22T02:00:00.5Z", 1, 1795312800);
	expect_time("2026-11-22T10:00:00.123+08:00", 1, 1795312800);
	expect_time("2026-11-22T10:00:00.123456789+08:00", 1, 1795312800);
	expect_time("2026-11-22T02:00:00.Z", 0, 0);
	expect_time("2026-11-22T02:00:00.+08:00", 0, 0);
	expect_time("2026-11-22T02:00:00,5Z", 0, 0);
}

static void t_time_invalid_dates(void)
{
	expect_time("2024-02-29T00:00:00Z", 1, 1709164800); /* leap year */
	expect_time("2026-02-29T00:00:00Z", 0, 0);
	expect_time("2100-02-29T00:00:00Z", 0, 0); /* century, not leap */
	expect_time("2026-02-30T00:00:00Z", 0, 0);
	expect_time("2026-04-31T00:00:00Z", 0, 0);
	expect_time("2026-13-01T00:00:00Z", 0, 0);
	expect_time("2026-00-10T00:00:00Z", 0, 0);
	expect_time("2026-11-00T00:00:00Z", 0, 0);
	expect_time("2026-11-22T24:00:00Z", 0, 0);
	expect_time("2026-11-22T23:60:00Z", 0, 0);
	expect_time("2026-11-22T23:59:61Z", 0, 0);
	expect_time("2026-11-22T02:00:00+24:00", 0, 0);
	expect_time("2026-11-22T02:00:00+08:60", 0, 0);
}

static void t_time_bad_formats(void)
{
	expect_time("", 0, 0);
	expect_time("2026-11-22", 0, 0);
	expect_time("2026-11-22T10:00:00", 0, 0); /* no offset */
	expect_time("2026-11-22T10:00:00+0800", 0, 0);
	expect_time("2026-11-22T10:00:00+08", 0, 0);
	expect_time("2026-11-22T10:00:00+08:00 ", 0, 0);
	expect_time("2026-11-22T10:00:00Zjunk", 0, 0);
	expect_time("2026/11/22T10:00:00Z", 0, 0);
	expect_time("2026-11-22X10:00:00Z", 0, 0);
	expect_time("2026-11-22T10.00.00Z", 0, 0);
	expect_time(" 2026-11-22T10:00:00Z", 0, 0);
	expect_time("26-11-22T10:00:00Z", 0, 0);
	expect_time("2026-1-22T10:00:00Z", 0, 0);
	expect_time("2026-11-22T1:00:00+08:00", 0, 0);
	expect_time("２０２６-11-22T10:00:00Z", 0, 0); /* full-width digits */
	expect_time("Sun, 22 Nov 2026 10:00:00 +0800", 0, 0);
}

static void t_time_format_cst(void)
{
	char out[32];

	time_format_cst(0, out);
	T_STREQ(out, "1970-01-01T08:00:00+08:00");
	time_format_cst(1795312800, out);
	T_STREQ(out, "2026-11-22T10:00:00+08:00");
	time_format_cst(1795276799, out); /* 15:59:59Z: last second of the CST day */
	T_STREQ(out, "2026-11-21T23:59:59+08:00");
	time_format_cst(1795276800, out); /* 16:00:00Z: CST midnight */
	T_STREQ(out, "2026-11-22T00:00:00+08:00");
	time_format_cst(1767196799, out); /* CST year change */
	T_STREQ(out, "2025-12-31T23:59:59+08:00");
}

static void t_time_day_cst(void)
{
	char day[9];

	time_day_cst(1795276799, day);
	T_STREQ(day, "20261121");
	time_day_cst(1795276800, day);
	T_STREQ(day, "20261122");
	time_day_cst(1795312800, day);
	T_STREQ(day, "20261122");
	time_day_cst(1795363199, day); /* 23:59:59 CST on the 22nd */
	T_STREQ(day, "20261122");
	time_day_cst(1795363200, day);
	T_STREQ(day, "20261123");
	time_day_cst(1767196800, day); /* 2025-12-31T16:00:00Z */
	T_STREQ(day, "20260101");
}

/* What time_format_cst writes, time_parse_rfc3339 reads back. */
static void t_time_round_trip(void)
{
	static const time_t ts[] = {
		0, 1795276799, 1795276800, 1709164800, 4102444800LL, 951827696
	};
	char out[32];
	time_t back;

	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
		time_format_cst(ts[i], out);
		back = -12345;
		T_INTEQ(time_parse_rfc3339(out, &back), 0);
		T_INTEQ(back, ts[i]);
	}
}

static void t_region_code(void)
{
	T_INTEQ(region_code_valid("330381"), 1);        /* 瑞安市 */
	T_INTEQ(region_code_valid("110101"), 1);        /* 北京 东城区 */
	T_INTEQ(region_code_valid("650102"), 1);        /* 新疆 */
	T_INTEQ(region_code_valid("810000"), 1);        /* 香港 */
	T_INTEQ(region_code_valid("820000"), 1);        /* 澳门 */
	T_INTEQ(region_code_valid("710000"), 1);        /* 台湾 */
	T_INTEQ(region_code_valid("330381001"), 1);     /* township */
	T_INTEQ(region_code_valid("330381001001"), 1);  /* village */
	T_INTEQ(region_code_valid("33038"), 0);         /* 5 digits */
	T_INTEQ(region_code_valid("3303810"), 0);       /* 7 digits */
	T_INTEQ(region_code_valid("33038100"), 0);      /* 8 digits */
	T_INTEQ(region_code_valid("3303810010"), 0);    /* 10 digits */
	T_INTEQ(region_code_valid("3303810010010"), 0); /* 13 digits */
	T_INTEQ(region_code_valid("990101"), 0);        /* no province 99 */
	T_INTEQ(region_code_valid("000000"), 0);
	T_INTEQ(region_code_valid("100000"), 0);
	T_INTEQ(region_code_valid("160000"), 0);
	T_INTEQ(region_code_valid("33038a"), 0);
	T_INTEQ(region_code_valid(" 330381"), 0);
	T_INTEQ(region_code_valid("330381 "), 0);
	T_INTEQ(region_code_valid("-33038"), 0);
	T_INTEQ(region_code_valid(""), 0);
}

static void t_region_prefix(void)
{
	T_INTEQ(region_prefix_valid("33"), 1);
	T_INTEQ(region_prefix_valid("3303"), 1);
	T_INTEQ(region_prefix_valid("330381"), 1);
	T_INTEQ(region_prefix_valid("330381001"), 1);
	T_INTEQ(region_prefix_valid("330381001001"), 1);
	T_INTEQ(region_prefix_valid("3"), 0);
	T_INTEQ(region_prefix_valid("330"), 0);
	T_INTEQ(region_prefix_valid("33038"), 0);
	T_INTEQ(region_prefix_valid("3303810"), 0);
	T_INTEQ(region_prefix_valid("99"), 0);
	T_INTEQ(region_prefix_valid("9903"), 0);
	T_INTEQ(region_prefix_valid("33a3"), 0);
	T_INTEQ(region_prefix_valid(""), 0);
}

static void t_sha256(void)
{
	char out[65];

	sha256_hex("", 0, out);
	T_STREQ(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, out);
	T_STREQ(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	T_STREQ(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha256_hex("abcd", 3, out); /* only len bytes count */
	T_STREQ(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	T_INTEQ(strlen(out), 64);
}

static void t_hmac_sha256(void)
{
	static const char data1[] = "Hi There";
	static const char data2[] = "what do ya want for nothing?";
	char key1[21], out[65];

	/* RFC 4231 test case 1: key 0x0b x 20 */
	memset(key1, 0x0b, 20);
	key1[20] = '\0';
	hmac_sha256_hex(key1, data1, strlen(data1), out);
	T_STREQ(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* RFC 4231 test case 2 */
	hmac_sha256_hex("Jefe", data2, strlen(data2), out);
	T_STREQ(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	hmac_sha256_hex("jefe", data2, strlen(data2), out); /* another key */
	T_CHECK(strcmp(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") !=
		0);
	T_INTEQ(strlen(out), 64);
}

/* Only what PostgreSQL's timestamptz can store (issue 10, item 6). */
static void t_time_pg_limits(void)
{
	expect_time("2026-11-22T17:59:00+15:59", 1, 1795312800);
	expect_time("2026-11-21T10:01:00-15:59", 1, 1795312800);
	expect_time("2026-11-22T18:00:00+16:00", 0, 0);
	expect_time("2026-11-21T03:00:00-23:00", 0, 0);
	expect_time("0000-01-01T00:00:00Z", 0, 0); /* no year 0 */
	expect_time("0001-01-01T00:00:00Z", 1, -62135596800LL);
	expect_time("9999-12-31T23:59:59Z", 1, 253402300799LL);
	expect_time("9999-12-31T23:59:60Z", 1, 253402300800LL); /* leap second */
	expect_time("2016-12-31T23:59:60.5Z", 0, 0);            /* past 24:00:00 */
	expect_time("2016-12-31T12:00:60.5Z", 1, 1483185660);
	expect_time("2016-12-31T23:59:59.9999999Z", 1, 1483228800); /* rounds up */
	expect_time("2026-11-22T02:00:00.1234567890123456789012345678901234567890123Z", 1,
		    1795312800); /* 64 characters */
	expect_time("2026-11-22T02:00:00.12345678901234567890123456789012345678901234Z", 0, 0);
}

static void t_time_us(void)
{
	long long us = 0;

	T_INTEQ(time_parse_rfc3339_us("2016-12-31T12:00:00.0000015Z", &us), 0);
	T_INTEQ(us, 1483185600000002LL); /* rint: half to even */
	T_INTEQ(time_parse_rfc3339_us("2016-12-31T12:00:00.0000005Z", &us), 0);
	T_INTEQ(us, 1483185600000000LL);
	T_INTEQ(time_parse_rfc3339_us("1969-12-31T23:59:59.5Z", &us), 0);
	T_INTEQ(us, -500000);
	expect_time("1969-12-31T23:59:59.5Z", 1, -1); /* rounded down */
}

static void t_case_id(void)
{
	static const char *const good[] = { "XF-330381-20261122-000123",
					    "XF-330381-20261122-999999",
					    "XF-330381-20261122-1000000",
					    "XF-330381-20261122-2147483647",
					    "XF-330381-20261122-000000" };
	static const char *const bad[] = {
		"XF-330381-20261122-00123",       "XF-330381-20261122-0999999",
		"XF-330381-20261122-21474836470", "XF-33038-20261122-000123",
		"XF-330381-2026112-0001234",      "XF-330381-20261122-00012a",
		"XF_330381-20261122-000123",      "xf-330381-20261122-000123",
		"XF-330381-20261122-+000123",     "",
		"XF-330381-20261122-1000000 "
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!T_INTEQ(case_id_valid(good[i], strlen(good[i])), 1))
			fprintf(stderr, "    %s\n", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!T_INTEQ(case_id_valid(bad[i], strlen(bad[i])), 0))
			fprintf(stderr, "    %s\n", bad[i]);
	T_INTEQ(case_id_valid("XF-330381-20261122-000123", 24), 0);
	T_INTEQ(case_id_valid(NULL, 0), 0);
}

/* clang-format off */
T_SUITE(util,
	{ "utf8_valid_ok", t_utf8_valid_ok },
	{ "utf8_overlong", t_utf8_overlong },
	{ "utf8_surrogates", t_utf8_surrogates },
	{ "utf8_bad", t_utf8_bad },
	{ "utf8_len", t_utf8_len },
	{ "utf8_decode", t_utf8_decode },
	{ "time_parse", t_time_parse },
	{ "time_offsets", t_time_offsets },
	{ "time_fractions", t_time_fractions },
	{ "time_invalid_dates", t_time_invalid_dates },
	{ "time_bad_formats", t_time_bad_formats },
	{ "time_format_cst", t_time_format_cst },
	{ "time_day_cst", t_time_day_cst },
	{ "time_round_trip", t_time_round_trip },
	{ "time_pg_limits", t_time_pg_limits },
	{ "time_us", t_time_us },
	{ "case_id", t_case_id },
	{ "region_code", t_region_code },
	{ "region_prefix", t_region_prefix },
	{ "sha256", t_sha256 },
	{ "hmac_sha256", t_hmac_sha256 })
/* clang-format on */
