/*
 * test_times.c - whatever time xf-intake accepts, PostgreSQL stores, as the
 * same instant (issue 10, item 6): the parser (time_parse_rfc3339_us) and
 * intake's validator against `SELECT $1::timestamptz` on the real server,
 * over a table of edge cases and a deterministic pseudo-random sweep of
 * well-formed-looking strings (offsets, leap seconds, years 0000 and 9999,
 * fractions, lower-case t and z, a space for T).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "intake/validate.h"
#include "tharness.h"
#include "util.h"
#include "jschema.h"

/* The compiled event schema, made once for the whole test run. */
static const struct jschema_set *schemas(void)
{
	static struct jschema_set *set;

	if (!set)
		set = intake_schemas_new(NULL);
	return set;
}

#define NRANDOM 4000

/* What each side said of the strings tried. */
struct tally {
	size_t tried, accepted, pg_only, mismatch, pg_refused;
};

/* PostgreSQL's instant of s in microseconds; 0, or -1 when it refuses s. */
static int pg_instant(PGconn *conn, const char *s, long long *us)
{
	const char *params[1] = { s };
	PGresult *res = PQexecPrepared(conn, "t", 1, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (!rc)
		*us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

/* 1 if intake's validator takes an event whose occurred_at is s. */
static int intake_takes(const char *s)
{
	json_t *ev = json_pack("{s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s}", "schema",
			       "xf.hotline_event.v1", "source", "system", "t", "external_id", "e",
			       "occurred_at", s, "region_code", "330381", "subject", "s", "content",
			       "c");
	char *text = json_dumps(ev, JSON_COMPACT);
	struct intake_verdict v;
	int ok = intake_validate(schemas(), text, strlen(text), &v) == 0;

	intake_verdict_release(&v);
	free(text);
	json_decref(ev);
	return ok;
}

/* One string: if the parser or the validator accepts it, so must PG, with the same instant. */
static void try_one(PGconn *conn, const char *s, struct tally *n)
{
	long long ours = 0, theirs = 0;
	int parsed = time_parse_rfc3339_us(s, &ours) == 0;
	int taken = intake_takes(s);
	int stored = pg_instant(conn, s, &theirs) == 0;

	n->tried++;
	/* the validator also wants the schema's T (or t) between date and time */
	if (!T_INTEQ(taken, parsed && (s[10] == 'T' || s[10] == 't')))
		fprintf(stderr, "    validator and parser differ on \"%s\"\n", s);
	if (!parsed) {
		n->pg_only += stored;
		return;
	}
	n->accepted++;
	if (!stored) {
		if (n->pg_refused++ < 5)
			fprintf(stderr, "    accepted, PostgreSQL refuses: \"%s\"\n", s);
	} else if (ours != theirs && n->mismatch++ < 5) {
		fprintf(stderr, "    \"%s\": parser %lld us, PostgreSQL %lld us\n", s, ours,
			theirs);
	}
}

static const char *const edges[] = {
	"2026-11-22T10:00:00+08:00",
	"2026-11-22T02:00:00Z",
	"2026-11-22T02:00:00z",
	"2026-11-22t02:00:00Z",
	"2026-11-22 02:00:00Z",
	"2026-11-22t02:00:00z",
	"2026-11-22T02:00:00+15:59",
	"2026-11-22T02:00:00-15:59",
	"2026-11-22T02:00:00+16:00",
	"2026-11-22T02:00:00-16:00",
	"2026-11-22T02:00:00+23:59",
	"2026-11-22T02:00:00-23:00",
	"2026-11-22T02:00:00+14:00",
	"2026-11-22T02:00:00-12:00",
	"2026-11-22T02:00:00+05:45",
	"2026-11-22T02:00:00-00:00",
	"2016-12-31T23:59:60Z",
	"2016-12-31T23:59:60+08:00",
	"2016-12-31T23:59:60.5Z",
	"2016-12-31T23:59:60.0000004Z",
	"2016-12-31T23:59:60.0000005Z",
	"2016-12-31T23:59:60.0000006Z",
	"2016-12-31T12:30:60.5Z",
	"2016-12-31T12:30:60.9999999Z",
	"2016-12-31T23:59:59.9999999Z",
	"2016-12-31T23:59:59.9999995Z",
	"2016-12-31T23:59:59.9999994Z",
	"2016-12-31T23:59:61Z",
	"0000-01-01T00:00:00Z",
	"0000-12-31T23:59:59-15:59",
	"0001-01-01T00:00:00Z",
	"0001-01-01T00:00:00+15:59",
	"0001-01-01T00:00:00-15:59",
	"9999-12-31T23:59:59Z",
	"9999-12-31T23:59:60Z",
	"9999-12-31T23:59:60-15:59",
	"9999-12-31T23:59:59.999999+15:59",
	"1969-12-31T23:59:59.5Z",
	"1970-01-01T00:00:00.000001Z",
	"2026-11-22T02:00:00.0000015Z",
	"2026-11-22T02:00:00.0000025Z",
	"2026-11-22T02:00:00.123456789+08:00",
	"2026-11-22T02:00:00.1234567890123456789012345678901234567890123Z",
	"2026-11-22T02:00:00.12345678901234567890123456789012345678901234Z",
	"2026-11-22T02:00:00.Z",
	"2026-02-29T00:00:00Z",
	"2024-02-29T00:00:00Z",
	"2000-02-29T00:00:00Z",
	"1900-02-29T00:00:00Z",
	"2026-11-22T24:00:00Z",
	"2026-11-22T02:00:00+08:60",
	"2026-11-22T02:00:00+0800",
};

/* A pseudo-random string shaped like a date-time, each part near its limits. */
static void random_time(unsigned *seed, char *out, size_t size)
{
	static const char *const years[] = { "0000", "0001", "0002", "1582", "1899", "1969", "1970",
					     "2000", "2024", "2026", "2100", "9998", "9999" };
	static const char seps[] = "Tt ";
	char frac[24] = "", off[16];
	int r = rand_r(seed);

	if (r % 3 == 0) {
		int digits = 1 + rand_r(seed) % 12;

		frac[0] = '.';
		for (int i = 1; i <= digits; i++)
			frac[i] = (char)('0' + (rand_r(seed) % 4 ? rand_r(seed) % 10 : 9));
		frac[digits + 1] = '\0';
	}
	if (rand_r(seed) % 5 == 0)
		snprintf(off, sizeof off, "%c", "Zz"[rand_r(seed) % 2]);
	else
		snprintf(off, sizeof off, "%c%02d:%02d", "+-"[rand_r(seed) % 2], rand_r(seed) % 25,
			 rand_r(seed) % 4 ? rand_r(seed) % 60 : 59);
	snprintf(out, size, "%s-%02d-%02d%c%02d:%02d:%02d%s%s",
		 years[rand_r(seed) % (sizeof years / sizeof years[0])], rand_r(seed) % 14,
		 rand_r(seed) % 33, seps[rand_r(seed) % 3], rand_r(seed) % 25,
		 rand_r(seed) % 4 ? rand_r(seed) % 60 : 59, 56 + rand_r(seed) % 6, frac, off);
}

static void t_times_against_pg(void)
{
	struct tally n = { 0, 0, 0, 0, 0 };
	unsigned seed = 20261122;
	char s[96];
	struct e2e t;
	PGresult *res;

	if (!T_CHECK(e2e_setup_db(&t, "times") == 0))
		return;
	res = PQprepare(t.conn, "t",
			"SELECT (extract(epoch FROM $1::timestamptz)"
			" * 1000000)::bigint",
			1, NULL);
	T_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		try_one(t.conn, edges[i], &n);
	for (int i = 0; i < NRANDOM; i++) {
		random_time(&seed, s, sizeof s);
		try_one(t.conn, s, &n);
	}
	T_INTEQ(n.pg_refused, 0);
	T_INTEQ(n.mismatch, 0);
	T_CHECK(n.accepted > 500 && n.accepted < n.tried); /* the sweep reaches both sides */
	printf("    times: %zu strings, %zu accepted (all stored as the same instant),"
	       " %zu refused that PostgreSQL would take\n",
	       n.tried, n.accepted, n.pg_only);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_times, { "parser_against_timestamptz", t_times_against_pg })
/* clang-format on */
