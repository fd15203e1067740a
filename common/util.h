/*
 * util.h - small pure helpers: UTF-8, RFC 3339 times, division codes,
 * SHA-256 and HMAC (OpenSSL libcrypto), back-off sleeps.
 */
#ifndef XF_UTIL_H
#define XF_UTIL_H

#include <stddef.h>
#include <signal.h>
#include <time.h>

#include "utf8.h"

/*
 * Parses an RFC 3339 date-time with offset ("2026-11-22T10:00:00+08:00",
 * "...Z", optional fraction) as PostgreSQL's timestamptz reads it, and
 * only what it can store: years 0001 to 9999, offsets within +-15:59
 * (TIME_MAX_OFFSET_H), second 60 (a leap second: the next minute's first
 * instant, and at 23:59:60 no fraction), at most TIME_MAX_LEN characters.
 * Returns 0 and the UTC epoch in *out (whole seconds, rounded down), or -1.
 */
#define TIME_MAX_OFFSET_H 15
#define TIME_MAX_LEN 64
int time_parse_rfc3339(const char *s, time_t *out);
/* The same in microseconds, the fraction rounded as PostgreSQL rounds it. */
int time_parse_rfc3339_us(const char *s, long long *out);
/* Formats t in China Standard Time (+08:00): "2026-11-22T18:00:00+08:00". */
void time_format_cst(time_t t, char out[32]);
/* The CST calendar day of t as "yyyymmdd". */
void time_day_cst(time_t t, char out[9]);

/*
 * 1 if code is a well-formed GB/T 2260 division code: 6, 9 or 12 digits
 * beginning with a real province-level code.
 */
int region_code_valid(const char *code);
/* 1 if s is 2, 4, 6, 9 or 12 digits (a region prefix of some level). */
int region_prefix_valid(const char *s);

/*
 * 1 if s[0..len) is a case id, XF-<6-digit county>-<yyyymmdd>-<sequence>:
 * the sequence is 6 digits up to 999999, past it the number's own 7 to
 * 10 digits (no leading zero), so ids never collide and earlier ones keep
 * their form.
 */
#define CASE_ID_MIN 25
#define CASE_ID_MAX 29
int case_id_valid(const char *s, size_t len);

/* Lower-case hex SHA-256 of data into out (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Lower-case hex HMAC-SHA-256 of data under key. */
void hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65]);

/* Monotonic milliseconds. */
double now_ms(void);
/* Sleeps ms milliseconds in short steps, returning early once *stop is set. */
void sleep_ms_unless(long ms, const volatile sig_atomic_t *stop);

#endif
