/* util.c - see util.h. */
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int utf8_valid(const char *buf, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, k; i < len; i += k)
		if (!(k = utf8_decode(buf + i, len - i, &cp)))
			return 0;
	return 1;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/*
 * The fraction at p ("." and digits) in microseconds, rounded as
 * PostgreSQL rounds it (strtod, then rint of the microseconds), so both
 * read the same instant; *end after it. -1 if no digit follows the dot.
 */
static int fraction_us(const char *p, const char **end, long *us)
{
	char *e;
	double frac;

	if (!isdigit((unsigned char)p[1]))
		return -1;
	for (*end = p + 1; isdigit((unsigned char)**end); (*end)++)
		;
	frac = strtod(p, &e);
	if (e != *end)
		return -1;
	*us = (long)rint(frac * 1e6);
	return 0;
}

/* "Z", "z" or "+hh:mm" / "-hh:mm" within PostgreSQL's +-15:59, alone at p. */
static int offset_s(const char *p, long *off)
{
	int oh, om;

	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		*off = 0;
		return 0;
	}
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
	    digits(p + 4, 2, &om) || oh > TIME_MAX_OFFSET_H || om > 59)
		return -1;
	*off = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	return 0;
}

int time_parse_rfc3339_us(const char *s, long long *out)
{
	int y, mo, d, h, mi, sec;
	long us = 0, off;
	const char *p = s + 19;

	if (strlen(s) < 20 || strlen(s) > TIME_MAX_LEN || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (*p == '.' && fraction_us(p, &p, &us))
		return -1;
	/* a leap second may be 23:59:60 but nothing after it */
	if (offset_s(p, &off) || (h * 3600L + mi * 60L + sec) * 1000000LL + us > 86400000000LL)
		return -1;
	*out = ((long long)days_from_civil(y, mo, d) * 86400 + h * 3600L + mi * 60L + sec - off) *
		       1000000LL +
	       us;
	return 0;
}

int time_parse_rfc3339(const char *s, time_t *out)
{
	long long us;

	if (time_parse_rfc3339_us(s, &us))
		return -1;
	/* whole seconds, rounded down (before 1970 too) */
	*out = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000));
	return 0;
}

void time_format_cst(time_t t, char out[32])
{
	time_t local = t + 8 * 3600;
	struct tm tm;

	gmtime_r(&local, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

void time_day_cst(time_t t, char out[9])
{
	time_t local = t + 8 * 3600;
	struct tm tm;

	gmtime_r(&local, &tm);
	strftime(out, 9, "%Y%m%d", &tm);
}

static const char *const provinces[] = {
	"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
	"35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
	"53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
};

static int all_digits(const char *s, size_t *len)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isdigit((unsigned char)s[n]))
			return 0;
	*len = n;
	return 1;
}

static int province_known(const char *code)
{
	for (size_t i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
		if (!strncmp(code, provinces[i], 2))
			return 1;
	return 0;
}

int region_code_valid(const char *code)
{
	size_t n;

	if (!all_digits(code, &n) || (n != 6 && n != 9 && n != 12))
		return 0;
	return province_known(code);
}

int region_prefix_valid(const char *s)
{
	size_t n;

	if (!all_digits(s, &n) || (n != 2 && n != 4 && n != 6 && n != 9 && n != 12))
		return 0;
	return province_known(s);
}

static int digits_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int case_id_valid(const char *s, size_t len)
{
	if (!s || len < CASE_ID_MIN || len > CASE_ID_MAX || memcmp(s, "XF-", 3) || s[9] != '-' ||
	    s[18] != '-')
		return 0;
	if (!digits_only(s + 3, 6) || !digits_only(s + 10, 8) || !digits_only(s + 19, len - 19))
		return 0;
	return len == CASE_ID_MIN || s[19] != '0'; /* past 999999 the number as it is */
}

static void to_hex(const unsigned char *md, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * len] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, out);
}

void hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), data, len, md, &mdlen);
	to_hex(md, mdlen, out);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms_unless(long ms, const volatile sig_atomic_t *stop)
{
	while (ms > 0 && !(stop && *stop)) {
		long step = ms < 100 ? ms : 100;
		struct timespec ts = { step / 1000, (step % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}
