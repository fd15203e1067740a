/*
 * test_board.c - the situation board (domain/board.h) against a planted
 * quarter, on the real stack.
 *
 * 2026-09-01..2026-11-30: one petition a day, its township and category
 * turning over three townships and four categories, its hour moving with
 * the day; a surge of environment petitions in 塘下镇 in the last week;
 * six petitioners who come again on the same day about the same matter
 * (published once their first petitions are cases; two of them make 塘下镇's
 * September yellow, so that its red October is escalated). All go through the
 * three daemons, with xf-dispatch's clock on 2026-10-01: the first thirty
 * are accepted and resolved, ten rated satisfied and five dissatisfied;
 * then the clock moves to 2026-11-10 and every case not accepted misses
 * its deadline. The quarter's board (`xfctl board --json`, and
 * /board.json, which must be the same) is checked figure by figure against
 * the planted truth: totals, each township's and cell's counts, the tide
 * table, the week's rising hotspot and each township's 信访指数, and the
 * metric xf_petition_index; so is October's report (`xfctl report month
 * 2026-10 --json`), whose escalations xf-dispatch published once on the
 * bureau's topic and the board shows. Chromium renders /board (screenshot
 * kept as $XF_TEST_LOGS/board-board.png).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "jschema.h"
#include "check.h"
#include "gen.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

#define QUARTER_FROM "2026-09-01"
#define QUARTER "2026-09-01..2026-11-30"
#define QUARTER_DAYS 91
#define LAST_WEEK "2026-11-24..2026-11-30"
#define LAST_WEEK_DAY 84 /* 2026-11-24, days after QUARTER_FROM */
#define NTOWNS 3
#define NCATS 4
#define SURGE 7      /* environment petitions in 塘下镇 in the last week, beyond the daily one */
#define PAIRS 6      /* petitioners who come again */
#define RESOLVED 30  /* the first cases, accepted and resolved */
#define SATISFIED 10 /* of them rated satisfied */
#define DISSATISFIED 5 /* and dissatisfied */
#define NMAX (QUARTER_DAYS + SURGE + PAIRS)

static const char *const towns[NTOWNS] = { "330381001", "330381101", "330381002" };
static const char *const cats[NCATS] = { "labor_social_security", "urban_construction",
					 "environment", "education_culture" };

struct planted {
	char ext[32], case_id[32], dept[72];
	int town, cat, hour, person, again;
	long day; /* after QUARTER_FROM */
};

static struct planted p[NMAX];
/* The days of the petitions whose petitioners come again: two in 塘下镇 in September */
static const int again_days[PAIRS] = { 10, 13, 40, 50, 60, 70 };
static size_t np;
static char clock_path[64];

static void plant(void)
{
	np = 0;
	for (long d = 0; d < QUARTER_DAYS; d++, np++)
		p[np] = (struct planted){ .town = (int)(d % NTOWNS),
					  .cat = (int)((d / NTOWNS) % NCATS),
					  .hour = (int)((8 + d * 5) % 24),
					  .person = (int)np,
					  .day = d };
	for (int i = 0; i < SURGE; i++, np++)
		p[np] = (struct planted){ .town = 1,
					  .cat = 2,
					  .hour = 9 + i,
					  .person = (int)np,
					  .day = LAST_WEEK_DAY + i };
	for (int i = 0; i < PAIRS; i++, np++) {
		p[np] = p[again_days[i]];
		p[np].hour = p[np].hour < 23 ? p[np].hour + 1 : 0;
		p[np].again = 1;
	}
	for (size_t i = 0; i < np; i++)
		snprintf(p[i].ext, sizeof p[i].ext, "bd-%03zu", i);
}

static long day_number(const char *ymd)
{
	struct tm tm = { 0 };

	tm.tm_year = atoi(ymd) - 1900;
	tm.tm_mon = atoi(ymd + 5) - 1;
	tm.tm_mday = atoi(ymd + 8);
	return (long)(timegm(&tm) / 86400);
}

/* 0 Monday .. 6 Sunday of planted day d. */
static int weekday(long d)
{
	return (int)((day_number(QUARTER_FROM) + d + 3) % 7); /* 1970-01-01 was a Thursday */
}

static int publish(struct e2e *t, const struct planted *x)
{
	const char *subject, *content;
	char at[32], phone[16], date[11];
	time_t day = (time_t)(day_number(QUARTER_FROM) + x->day) * 86400;
	struct tm tm;
	json_t *ev;
	char *text;
	int rc;

	gmtime_r(&day, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(at, sizeof at, "%sT%02d:30:00+08:00", date, x->hour);
	snprintf(phone, sizeof phone, "1390000%04d", x->person);
	if (gen_template(cats[x->cat], &subject, &content))
		return -1;
	ev = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "schema",
		       "xf.hotline_event.v1", "source", "system", "bd12345", "channel", "hotline",
		       "external_id", x->ext, "occurred_at", at, "region_code", towns[x->town],
		       "subject", subject, "content", content, "petitioner", "name", GEN_NAME,
		       "phone", phone);
	text = json_dumps(ev, JSON_COMPACT);
	rc = e2e_produce(t, x->ext, text, strlen(text));
	free(text);
	json_decref(ev);
	return rc;
}

/* Waits (up to 120 s) until sql counts n. */
static int await_count(struct e2e *t, const char *sql, long n)
{
	long got = -1;

	for (int i = 0; i < 1200 && (got = e2e_sql_long(t, sql)) != n; i++)
		usleep(100000);
	if (got != n)
		fprintf(stderr, "    %s: %ld, want %ld\n", sql, got, n);
	return got == n;
}

static void clock_to(const char *rfc3339)
{
	time_t fake = 0;
	FILE *f = fopen(clock_path, "w");

	time_parse_rfc3339(rfc3339, &fake);
	if (f) {
		fprintf(f, "%lld\n", (long long)(fake - time(NULL)));
		fclose(f);
	}
}

/* Every planted petition a case, with its category; the case ids and departments read back. */
static int run_petitions(struct e2e *t)
{
	char sql[256];
	PGresult *res;
	int ok = 1;

	for (size_t i = 0; i < np; i++)
		if (!p[i].again && publish(t, &p[i]))
			return 0;
	if (!await_count(t, "SELECT count(*) FROM cases WHERE source_system = 'bd12345'",
			 (long)(np - PAIRS)))
		return 0;
	for (size_t i = 0; i < np; i++) /* the same people again, once they are known */
		if (p[i].again && publish(t, &p[i]))
			return 0;
	if (!await_count(t, "SELECT count(*) FROM cases WHERE source_system = 'bd12345'", (long)np))
		return 0;
	res = PQexec(t->conn, "SELECT external_id, case_id, department, category FROM cases"
			      " WHERE source_system = 'bd12345' ORDER BY external_id");
	if (!T_INTEQ(PQntuples(res), (long)np)) {
		PQclear(res);
		return 0;
	}
	for (size_t i = 0; i < np; i++) {
		T_STREQ(PQgetvalue(res, (int)i, 0), p[i].ext);
		snprintf(p[i].case_id, sizeof p[i].case_id, "%s", PQgetvalue(res, (int)i, 1));
		snprintf(p[i].dept, sizeof p[i].dept, "%s", PQgetvalue(res, (int)i, 2));
		ok &= T_STREQ(PQgetvalue(res, (int)i, 3), cats[p[i].cat]);
	}
	PQclear(res);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM cases WHERE source_system = 'bd12345'"
		 " AND petition @? '$.classification.repeat.count ? (@ > 0)'");
	return ok && T_INTEQ(e2e_sql_long(t, sql), PAIRS);
}

static int feedback(struct e2e *t, const struct planted *x, const char *action, const char *extra)
{
	char id[64];
	json_t *fb, *more = extra ? json_loads(extra, 0, NULL) : NULL;
	char *text;
	int rc;

	snprintf(id, sizeof id, "%s-%s", x->ext, action);
	fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1", "feedback_id",
		       id, "case_id", x->case_id, "department", x->dept, "action", action, "at",
		       "2026-10-01T10:00:00+08:00");
	if (more)
		json_object_update(fb, more);
	text = json_dumps(fb, JSON_COMPACT);
	rc = !strcmp(action, "rate")
		     ? e2e_feedback_as(t, "t-bureau", NULL, x->case_id, text)
		     : e2e_produce_to(t, "department.feedback", x->case_id, text, strlen(text));
	free(text);
	json_decref(more);
	json_decref(fb);
	return rc;
}

/* On 2026-10-01: thirty accepted and resolved, fifteen rated; on 2026-11-10 the rest overdue. */
static int run_lifecycle(struct e2e *t)
{
	for (size_t i = 0; i < RESOLVED; i++)
		if (feedback(t, &p[i], "accept", NULL))
			return 0;
	if (!await_count(t, "SELECT count(*) FROM case_events WHERE type = 'accepted'", RESOLVED))
		return 0;
	for (size_t i = 0; i < RESOLVED; i++)
		if (feedback(t, &p[i], "resolve", "{\"result\": \"已处理\"}"))
			return 0;
	if (!await_count(t, "SELECT count(*) FROM case_events WHERE type = 'resolved'", RESOLVED))
		return 0;
	for (size_t i = 0; i < SATISFIED + DISSATISFIED; i++)
		if (feedback(t, &p[i], "rate",
			     i < SATISFIED ? "{\"satisfaction\": \"satisfied\"}"
					   : "{\"satisfaction\": \"dissatisfied\"}"))
			return 0;
	if (!await_count(t, "SELECT count(*) FROM case_events WHERE type = 'rated'",
			 SATISFIED + DISSATISFIED) ||
	    !await_count(t, "SELECT count(*) FROM case_events WHERE type = 'reopened'",
			 DISSATISFIED))
		return 0;
	/* every accept deadline (15 days, 2026's National Day holidays included) is missed
	   in October; then November: xf-dispatch closes October (domain/month.h) */
	clock_to("2026-10-31T23:00:00+08:00");
	if (!await_count(t, "SELECT count(*) FROM case_events WHERE type = 'overdue'",
			 (long)np - RESOLVED))
		return 0;
	clock_to("2026-11-10T10:00:00+08:00");
	return await_count(t, "SELECT count(*) FROM month_closed WHERE month = '2026-10-01'", 1) &&
	       await_count(t, "SELECT count(*) FROM outbox", 0);
}

static long jint(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static json_t *area_in(json_t *board, const char *region)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(board, "areas"), i, a)
	{
		if (!strcmp(json_string_value(json_object_get(a, "region")), region))
			return a;
	}
	return NULL;
}

static json_t *xfctl_board(struct e2e *t, const char *period, const char *region)
{
	const char *args[] = { "board", "--json", "--period", period, "--region", region, NULL };
	struct sbuf out = SBUF_INIT;
	json_t *j = NULL;

	if (T_INTEQ(e2e_xfctl(t, &out, args), 0))
		j = json_loads(out.buf, 0, NULL);
	if (!j)
		fprintf(stderr, "    xfctl board: %s\n", out.buf ? out.buf : "");
	sbuf_release(&out);
	return j;
}

/* b conforms to xf.board.v1. */
static void check_schema(json_t *b)
{
	struct sbuf err = SBUF_INIT;

	if (!T_CHECK(jschema_validate(check_schema_set(), "xf.board.v1", b, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	sbuf_release(&err);
}

/* The quarter: totals, areas, cells, tide. */
static void check_quarter(json_t *b)
{
	check_schema(b);
	json_t *tot = json_object_get(b, "totals"), *tide;
	long tide_want[7][24] = { { 0 } };

	T_INTEQ(jint(json_object_get(b, "period"), "days"), QUARTER_DAYS);
	T_INTEQ(jint(tot, "petitions"), (long)np);
	T_INTEQ(jint(tot, "previous"), 0);
	T_INTEQ(jint(tot, "repeats"), PAIRS);
	T_INTEQ(jint(tot, "assigned"), (long)np);
	T_INTEQ(jint(tot, "returned"), 0);
	T_INTEQ(jint(tot, "overdue"), (long)np - RESOLVED);
	T_INTEQ(jint(tot, "resolved"), RESOLVED);
	T_INTEQ(jint(tot, "resolved_late"), 0);
	T_INTEQ(jint(tot, "rated"), SATISFIED + DISSATISFIED);
	T_INTEQ(jint(tot, "satisfied"), SATISFIED);
	T_INTEQ(jint(tot, "dissatisfied"), DISSATISFIED);
	T_INTEQ(json_array_size(json_object_get(b, "areas")), NTOWNS);
	for (int w = 0; w < NTOWNS; w++) {
		json_t *a = area_in(b, towns[w]);
		long n = 0, over = 0, cell[NCATS] = { 0 };

		for (size_t i = 0; i < np; i++)
			if (p[i].town == w) {
				n++;
				cell[p[i].cat]++;
				over += i >= RESOLVED;
			}
		if (!T_CHECK(a != NULL))
			continue;
		T_INTEQ(jint(a, "petitions"), n);
		T_INTEQ(jint(a, "assigned"), n);
		T_INTEQ(jint(a, "overdue"), over);
		for (int c = 0; c < NCATS; c++)
			T_INTEQ(jint(json_object_get(json_object_get(a, "cells"), cats[c]),
				     "petitions"),
				cell[c]);
	}
	T_STREQ(json_string_value(json_object_get(area_in(b, "330381101"), "name")),
		"瑞安市塘下镇人民政府");
	for (size_t i = 0; i < np; i++)
		tide_want[weekday(p[i].day)][p[i].hour]++;
	tide = json_object_get(json_object_get(b, "tide"), "petitions");
	for (size_t d = 0; d < 7; d++)
		for (size_t h = 0; h < 24; h++)
			if (!T_INTEQ(json_integer_value(json_array_get(json_array_get(tide, d), h)),
				     tide_want[d][h]))
				fprintf(stderr, "    tide %zu %zu\n", d, h);
}

/* Planted petitions of town in [from, to] days, and their cases of risk A. */
static struct board_index_in window_in(struct e2e *t, int town, long from, long to)
{
	struct board_index_in in = { 0 };
	char sql[512];
	size_t n = 0;

	for (size_t i = 0; i < np; i++)
		if (p[i].town == town && p[i].day >= from && p[i].day <= to) {
			in.petitions++;
			in.repeats += p[i].again;
		}
	n += (size_t)snprintf(sql, sizeof sql,
			      "SELECT count(*) FROM cases WHERE risk = 'A' AND external_id IN (''");
	for (size_t i = 0; i < np && n < sizeof sql - 16; i++)
		if (p[i].town == town && p[i].day >= from && p[i].day <= to)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ",'%s'", p[i].ext);
	snprintf(sql + n, sizeof sql - n, ")");
	in.risk_a = e2e_sql_long(t, sql);
	return in;
}

/* The default XF_INDEX_* (README), divided by their sum. */
static const struct board_index_conf index_conf = { 0.3, 0.2, 0.2, 0.2, 0.1, 50, 3 };

/* The last week: the surge is the first rising hotspot; each township's index. */
static void check_week(struct e2e *t, json_t *b)
{
	json_t *h = json_array_get(json_object_get(b, "hotspots"), 0), *ph;
	long now = 0, prev = 0;
	size_t i;
	int known = 0;

	for (i = 0; i < np; i++)
		if (p[i].town == 1 && p[i].cat == 2) {
			now += p[i].day >= LAST_WEEK_DAY && p[i].day < LAST_WEEK_DAY + 7;
			prev += p[i].day >= LAST_WEEK_DAY - 7 && p[i].day < LAST_WEEK_DAY;
		}
	if (T_CHECK(h != NULL)) {
		T_STREQ(json_string_value(json_object_get(h, "region")), "330381101");
		T_STREQ(json_string_value(json_object_get(h, "category")), "environment");
		T_INTEQ(jint(h, "petitions"), now);
		T_INTEQ(jint(h, "previous"), prev);
		T_INTEQ(jint(h, "increase"), now - prev);
		json_array_foreach(json_object_get(h, "phrases"), i, ph)
		{
			const char *s = json_string_value(json_object_get(ph, "phrase"));

			known |= !strcmp(s, "废气") || !strcmp(s, "噪音") || !strcmp(s, "排放") ||
				 !strcmp(s, "污染");
		}
		T_CHECK(known);
	}
	for (int w = 0; w < NTOWNS; w++) {
		struct board_index_in in = window_in(t, w, LAST_WEEK_DAY, LAST_WEEK_DAY + 6);
		struct board_index_in before = window_in(t, w, LAST_WEEK_DAY - 7,
							 LAST_WEEK_DAY - 1);
		json_t *a = area_in(b, towns[w]);

		if (!T_CHECK(a != NULL))
			continue;
		T_CHECK(fabs(json_number_value(json_object_get(a, "index")) -
			     board_index(&index_conf, &in)) < 1e-9);
		T_CHECK(fabs(json_number_value(json_object_get(a, "index_week_ago")) -
			     board_index(&index_conf, &before)) < 1e-9);
	}
}

/* Planted petitions of town in month ("2026-10" or "2026-11") that pick takes. */
static long planted_month(int town, const char *month, int (*pick)(size_t i))
{
	char first[11], last[11];
	long from, to, n = 0, d0 = day_number(QUARTER_FROM);

	snprintf(first, sizeof first, "%s-01", month);
	snprintf(last, sizeof last, "%s-%s", month, strcmp(month, "2026-11") ? "31" : "30");
	from = day_number(first);
	to = day_number(last);
	for (size_t i = 0; i < np; i++)
		n += p[i].town == town && d0 + p[i].day >= from && d0 + p[i].day <= to && pick(i);
	return n;
}

static int any(size_t i)
{
	(void)i;
	return 1;
}

static int again(size_t i)
{
	return p[i].again;
}

/* A town's cases among the planted ones [from, to): resolved, rated, satisfied, missed. */
static long planted_cases(int town, size_t from, size_t to)
{
	long n = 0;

	for (size_t i = from; i < to && i < np; i++)
		n += p[i].town == town;
	return n;
}

static long fig(json_t *subject, const char *figure, const char *key)
{
	return (long)json_integer_value(json_object_get(json_object_get(subject, figure), key));
}

static int is_escalation(const struct e2e_msg *m)
{
	const char *schema = json_string_value(json_object_get(m->json, "schema"));

	return schema && !strcmp(schema, "xf.escalation.v1");
}

/* For e2e_collect_until: *(size_t *)arg escalations collected. */
static int escalations_seen(struct e2e *t, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += is_escalation(&t->msgs[i]);
	return n >= *(size_t *)arg;
}

/* The report's subject of kind and code, or NULL. */
static json_t *subject_in(json_t *rep, const char *kind, const char *code)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rep, "subjects"), i, s)
	{
		if (!strcmp(json_string_value(json_object_get(s, "kind")), kind) &&
		    !strcmp(json_string_value(json_object_get(s, "subject")), code))
			return s;
	}
	return NULL;
}

/*
 * October's report: each township's figures as planted (every case was
 * assigned, resolved and rated on 2026-10-01 and missed its deadline in
 * October); its escalations published once each, and on the board.
 */
static void check_month(struct e2e *t, json_t *quarter)
{
	const char *args[] = { "report", "month", "2026-10", "--json", NULL };
	struct sbuf out = SBUF_INIT;
	json_t *rep = NULL, *s, *e;
	size_t i, want = 0, seen = 0;

	if (T_INTEQ(e2e_xfctl(t, &out, args), 0))
		rep = json_loads(out.buf, 0, NULL);
	if (!T_CHECK(rep != NULL))
		goto out;
	for (int w = 0; w < NTOWNS; w++) {
		json_t *a = subject_in(rep, "area", towns[w]);
		long vol = planted_month(w, "2026-10", any);

		if (!T_CHECK(a != NULL))
			continue;
		T_INTEQ(fig(a, "volume", "count"), vol);
		T_INTEQ(fig(a, "repeat", "count"), planted_month(w, "2026-10", again));
		T_INTEQ(fig(a, "repeat", "of"), vol);
		T_INTEQ(fig(a, "overdue", "count"), planted_cases(w, RESOLVED, np));
		T_INTEQ(fig(a, "overdue", "of"), vol);
		T_INTEQ(fig(a, "ontime", "count"), planted_cases(w, 0, RESOLVED));
		T_INTEQ(fig(a, "ontime", "of"), planted_cases(w, 0, RESOLVED));
		T_INTEQ(fig(a, "satisfied", "count"), planted_cases(w, 0, SATISFIED));
		T_INTEQ(fig(a, "satisfied", "of"), planted_cases(w, 0, SATISFIED + DISSATISFIED));
	}
	json_array_foreach(json_object_get(rep, "subjects"), i, s)
		want += json_integer_value(json_object_get(s, "escalation")) > 0;
	/* 塘下镇: repeats 2 of 12 in September (yellow), overdue in October (red) */
	s = subject_in(rep, "area", "330381101");
	T_INTEQ(json_integer_value(json_object_get(s, "escalation")), 1);
	T_STREQ(json_string_value(json_object_get(s, "colour")), "red");
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM month_escalations"
				" WHERE month = '2026-10-01'"),
		(long)want);
	T_CHECK(e2e_collect_until(t, escalations_seen, &want, 30));
	e2e_collect(t, 500);
	for (i = 0; i < t->nmsgs; i++) {
		json_t *m = t->msgs[i].json;

		if (!is_escalation(&t->msgs[i]))
			continue;
		seen++;
		s = subject_in(rep, json_string_value(json_object_get(m, "kind")),
			       json_string_value(json_object_get(m, "subject")));
		T_CHECK(s && json_integer_value(json_object_get(s, "escalation")) ==
				     json_integer_value(json_object_get(m, "level")));
		T_STREQ(json_string_value(json_object_get(m, "month")), "2026-10");
		T_STREQ(t->msgs[i].topic, "assignments.t-xfj");
	}
	T_INTEQ(seen, want); /* once each */
	fprintf(stderr, "    2026-10: %zu escalations published\n", want);
	T_INTEQ(json_array_size(json_object_get(quarter, "escalations")), want);
	json_array_foreach(json_object_get(quarter, "escalations"), i, e)
		T_STREQ(json_string_value(json_object_get(e, "month")), "2026-10");
out:
	json_decref(rep);
	sbuf_release(&out);
}

/*
 * xf_petition_index{region} on /metrics: the 7 days ending 2026-11-10 (the
 * dispatcher's today), with the overdue steps recorded then (a missed
 * deadline counts on the day it fell).
 */
static void check_metric(struct e2e *t, int port)
{
	long to = day_number("2026-11-10") - day_number(QUARTER_FROM);

	for (int w = 0; w < NTOWNS; w++) {
		struct board_index_in in = window_in(t, w, to - 6, to);
		char want[128], sql[512];
		struct sbuf body = SBUF_INIT;
		int seen = 0;

		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM case_events e JOIN cases c USING (case_id)"
			 " WHERE e.type = 'overdue' AND left(c.region_code, 9) = '%s'"
			 " AND (e.at AT TIME ZONE 'Asia/Shanghai')::date"
			 " BETWEEN '2026-11-04' AND '2026-11-10'",
			 towns[w]);
		in.overdue = e2e_sql_long(t, sql);
		snprintf(want, sizeof want, "xf_petition_index{region=\"%s\"} %g", towns[w],
			 board_index(&index_conf, &in));
		for (int i = 0; i < 300 && !seen; i++) { /* the gauges refresh every 10 s */
			sbuf_reset(&body);
			seen = e2e_http_get(port, "/metrics", &body) == 200 && body.buf &&
			       strstr(body.buf, want);
			if (!seen)
				usleep(100000);
		}
		if (!T_CHECK(seen))
			fprintf(stderr, "    no %s in:\n%s\n", want,
				body.buf && strstr(body.buf, "xf_petition_index{")
					? strstr(body.buf, "xf_petition_index{")
					: "");
		sbuf_release(&body);
	}
}

/*
 * The numbers of the <td>s of the heat grid's row of region in dom: its
 * total, then a cell per column; how many, at most max.
 */
static size_t row_numbers(const char *dom, const char *region, long *v, size_t max)
{
	char mark[64];
	const char *row, *end, *td;
	size_t n = 0;

	snprintf(mark, sizeof mark, "<tr data-region=\"%s\">", region);
	if (!dom || !(row = strstr(dom, mark)) || !(end = strstr(row, "</tr>")))
		return 0;
	for (td = strstr(row, "<td"); td && td < end && n < max; td = strstr(td + 3, "<td")) {
		const char *gt = strchr(td, '>');

		if (!gt || gt > end)
			break;
		v[n++] = strtol(gt + 1, NULL, 10);
	}
	return n;
}

/* The heat grid Chromium shows holds /board.json's numbers, row by row. */
static void check_grid(json_t *b, const char *dom)
{
	json_t *a, *c;
	size_t i, j;

	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		long v[32];
		size_t n = row_numbers(dom, json_string_value(json_object_get(a, "region")), v, 32);

		if (!T_INTEQ(n, 1 + json_array_size(json_object_get(b, "categories"))))
			continue;
		T_INTEQ(v[0], jint(a, "petitions"));
		json_array_foreach(json_object_get(b, "categories"), j, c)
			T_INTEQ(v[j + 1],
				jint(json_object_get(json_object_get(a, "cells"),
						     json_string_value(json_object_get(c, "code"))),
				     "petitions"));
	}
}

/* /board.json is xfctl's board; bad arguments are 400; the page in Chromium. */
static void check_http(struct e2e *t, int port, json_t *quarter)
{
	struct sbuf body = SBUF_INIT, dom = SBUF_INIT;
	char url[256], profile[64] = "/tmp/xf-chromium-board-XXXXXX";
	json_t *j;

	T_INTEQ(e2e_http_get(port, "/board.json?period=" QUARTER, &body), 200);
	j = json_loads(body.buf ? body.buf : "", 0, NULL);
	T_CHECK(j && json_equal(j, quarter));
	json_decref(j);
	sbuf_reset(&body);
	T_INTEQ(e2e_http_get(port, "/board.json?period=2026-13", &body), 400);
	T_INTEQ(e2e_http_get(port, "/board?region=9x", &body), 400);
	if (!T_CHECK(mkdtemp(profile) != NULL))
		goto out;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/board?period=%s", port, QUARTER);
	if (T_INTEQ(e2e_chromium(t, profile, url, "board", 1280, 1500, &dom), 0)) {
		T_CHECK(dom.buf && strstr(dom.buf, "data-region=\"330381101\""));
		check_grid(quarter, dom.buf);
		T_CHECK(dom.buf && strstr(dom.buf, "瑞安市塘下镇人民政府"));
		T_CHECK(dom.buf && strstr(dom.buf, "潮汐表"));
		T_CHECK(dom.buf && strstr(dom.buf, "data-key=\"petitions\">104<"));
		T_CHECK(dom.buf && !strstr(dom.buf, GEN_NAME) && !strstr(dom.buf, "13900000"));
	}
	sbuf_reset(&body);
	snprintf(url, sizeof url, "rm -rf '%s'", profile);
	e2e_run(url, &body);
out:
	sbuf_release(&body);
	sbuf_release(&dom);
}

static void t_board(void)
{
	int port = e2e_free_port();
	json_t *quarter = NULL, *week = NULL, *one = NULL;
	char addr[32];
	struct e2e t;

	plant();
	if (!T_CHECK(np == NMAX) || !T_CHECK(port > 0) || !T_CHECK(e2e_setup(&t, "board") == 0))
		return;
	snprintf(clock_path, sizeof clock_path, "/tmp/xf-board-clock-%d", (int)getpid());
	clock_to("2026-10-01T10:00:00+08:00");
	setenv("XF_CLOCK_FILE", clock_path, 1);
	setenv("XF_TIMER_MS", "200", 1);
	setenv("XF_FOLLOWUPS", "review:365d", 1); /* no follow-up falls due in the test */
	T_CHECK(e2e_start(&t, E2E_INTAKE) == 0 && e2e_start(&t, E2E_CLASSIFY) == 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	setenv("XF_HTTP_ADDR", addr, 1); /* xf-dispatch only */
	T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
	setenv("XF_HTTP_ADDR", "off", 1);
	if (T_CHECK(run_petitions(&t)) && T_CHECK(run_lifecycle(&t))) {
		if ((quarter = xfctl_board(&t, QUARTER, ""))) {
			check_quarter(quarter);
			check_month(&t, quarter);
		}
		if ((week = xfctl_board(&t, LAST_WEEK, "3303")))
			check_week(&t, week);
		if ((one = xfctl_board(&t, QUARTER, "330381101")) &&
		    T_INTEQ(json_array_size(json_object_get(one, "areas")), 1))
			T_INTEQ(jint(json_object_get(one, "totals"), "petitions"),
				jint(area_in(quarter, "330381101"), "petitions"));
		check_metric(&t, port);
		if (quarter)
			check_http(&t, port, quarter);
	}
	json_decref(quarter);
	json_decref(week);
	json_decref(one);
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_INTEQ(e2e_stop(&t, k), 0);
	unsetenv("XF_CLOCK_FILE");
	unsetenv("XF_TIMER_MS");
	unsetenv("XF_FOLLOWUPS");
	unlink(clock_path);
	e2e_teardown(&t);
}

/* A bad period or region: xfctl board says what it wants and exits 2. */
static void t_board_args(void)
{
	static const char *const bad[][3] = { { "board", "--period", "0d" },
					      { "board", "--period", "2026-02-30..2026-03-01" },
					      { "board", "--period", "2026-11-30..2026-11-01" },
					      { "board", "--region", "33x" } };
	struct sbuf out = SBUF_INIT;
	struct e2e t;

	if (!T_CHECK(e2e_setup_db(&t, "board_args") == 0))
		return;
	setenv("XF_DATABASE_URL", t.db_url, 1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *args[] = { bad[i][0], bad[i][1], bad[i][2], NULL };

		sbuf_reset(&out);
		T_CHECK(e2e_xfctl(&t, &out, args) != 0);
		T_CHECK(out.buf && (strstr(out.buf, "period") || strstr(out.buf, "region")));
	}
	sbuf_release(&out);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_board, { "planted_quarter", t_board }, { "bad_arguments", t_board_args })
/* clang-format on */
