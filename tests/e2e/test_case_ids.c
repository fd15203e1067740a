/*
 * test_case_ids.c - case ids past 999,999 for one county and day (issue 10,
 * item 7): the sequence goes on with 7 digits and more, ids never collide,
 * and every consumer of the id (dispatch, feedback, the schemas, xfctl)
 * takes them. First the two SQL allocators alone, then the whole stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "tharness.h"
#include "util.h"

#define NEVENTS 4

/* The case ids xf_intake_keys gives n new keys of county 330381 on 20261122. */
static void sql_batch(struct e2e *t, const char *const *want, size_t n)
{
	struct sbuf json = SBUF_INIT;
	const char *params[1];
	PGresult *res;

	sbuf_adds(&json, "[");
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&json,
			  "%s{\"i\": %zu, \"system\": \"s\", \"external_id\": \"b%zu\","
			  " \"county\": \"330381\", \"topic\": \"hotline.events\","
			  " \"partition\": 0, \"offset\": %zu}",
			  i ? ", " : "", i, i, i);
	sbuf_adds(&json, "]");
	params[0] = json.buf;
	res = PQexecParams(t->conn, "SELECT case_id FROM xf_intake_keys($1::jsonb, '20261122')", 1,
			   NULL, params, NULL, NULL, 0);
	if (!T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == (int)n))
		fprintf(stderr, "    %s\n", PQresultErrorMessage(res));
	for (int r = 0; r < PQntuples(res) && r < (int)n; r++)
		T_STREQ(PQgetvalue(res, r, 0), want[r]);
	PQclear(res);
	sbuf_release(&json);
}

static void t_sql_allocators(void)
{
	static const char *const want[] = { "XF-330381-20261122-999999",
					    "XF-330381-20261122-1000000",
					    "XF-330381-20261122-1000001" };
	const char *params[1] = { NULL };
	PGresult *res;
	struct e2e t;

	if (!T_CHECK(e2e_setup_db(&t, "caseids") == 0))
		return;
	T_INTEQ(e2e_sql_long(&t,
			     "WITH i AS (INSERT INTO case_seq VALUES"
			     " ('330381', '20261122', 999998) RETURNING 1) SELECT count(*) FROM i"),
		1);
	sql_batch(&t, want, 3);
	/* the per-event allocator of 001 goes on from there */
	res = PQexecParams(t.conn,
			   "SELECT case_id FROM xf_intake_key('s', 'one', '330381',"
			   " '20261122', 'hotline.events', 1, 1)",
			   0, NULL, params, NULL, NULL, 0);
	T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		!strcmp(PQgetvalue(res, 0, 0), "XF-330381-20261122-1000002"));
	PQclear(res);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(DISTINCT case_id) FROM intake_keys"), 4);
	T_INTEQ(e2e_sql_long(&t,
			     "SELECT count(*) FROM (VALUES (xf_case_id('330381', '20261122', 1)"
			     " = 'XF-330381-20261122-000001'), (xf_case_id('330381', '20261122',"
			     " 2147483647) = 'XF-330381-20261122-2147483647')) v(ok) WHERE ok"),
		2);
	e2e_teardown(&t);
}

static char *event(const char *ext)
{
	json_t *ev = json_pack("{s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s}", "schema",
			       "xf.hotline_event.v1", "source", "system", "ci12345", "external_id",
			       ext, "occurred_at", "2026-11-22T09:30:00+08:00", "region_code",
			       "330381", "subject", "公司拖欠工资三个月", "content",
			       "公司拖欠工资，讨薪无果，社保也没有缴纳。");
	char *s = json_dumps(ev, JSON_COMPACT);

	json_decref(ev);
	return s;
}

static int is_lead(const struct e2e_msg *m)
{
	const char *role = json_string_value(json_object_get(m->json, "role"));

	return !strncmp(m->topic, "assignments.", 12) && role && !strcmp(role, "lead");
}

static int leads(struct e2e *t, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += is_lead(&t->msgs[i]);
	return n >= *(size_t *)arg;
}

/* The case.events entry of type for case_id, if collected. */
static const struct e2e_msg *case_event(struct e2e *t, const char *case_id, const char *type)
{
	for (size_t i = 0; i < t->nmsgs; i++) {
		json_t *j = t->msgs[i].json;
		const char *c = json_string_value(json_object_get(j, "case_id"));
		const char *ty = json_string_value(json_object_get(j, "type"));

		if (!strcmp(t->msgs[i].topic, "case.events") && c && ty && !strcmp(c, case_id) &&
		    !strcmp(ty, type))
			return &t->msgs[i];
	}
	return NULL;
}

static int accepted(struct e2e *t, void *arg)
{
	return case_event(t, arg, "accepted") || case_event(t, arg, "refused");
}

/* Sets case_seq of county 330381 to 999998 for the CST day of now and the next. */
static int near_the_limit(struct e2e *t)
{
	char today[9], tomorrow[9], sql[256];

	time_day_cst(time(NULL), today);
	time_day_cst(time(NULL) + 86400, tomorrow);
	snprintf(sql, sizeof sql,
		 "WITH i AS (INSERT INTO case_seq VALUES ('330381', '%s', 999998),"
		 " ('330381', '%s', 999998) RETURNING 1) SELECT count(*) FROM i",
		 today, tomorrow);
	return e2e_sql_long(t, sql) == 2 ? 0 : -1;
}

/* A feedback accept for the case from its lead department, and xfctl case show. */
static void feedback_and_show(struct e2e *t, const char *case_id, const char *dept)
{
	const char *show[] = { "case", "show", case_id, NULL };
	struct sbuf fb = SBUF_INIT, out = SBUF_INIT;

	sbuf_addf(&fb,
		  "{\"schema\": \"xf.feedback.v1\", \"feedback_id\": \"ci-fb-1\","
		  " \"case_id\": \"%s\", \"department\": \"%s\", \"action\": \"accept\","
		  " \"at\": \"2026-11-22T10:00:00+08:00\"}",
		  case_id, dept);
	T_CHECK(e2e_produce_to(t, "department.feedback", case_id, fb.buf, fb.len) == 0 &&
		e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, accepted, (void *)case_id, 60));
	T_CHECK(case_event(t, case_id, "accepted") != NULL);
	T_CHECK(case_event(t, case_id, "refused") == NULL);
	T_INTEQ(e2e_xfctl(t, &out, show), 0);
	T_CHECK(strstr(out.buf, case_id) && strstr(out.buf, "accepted"));
	sbuf_release(&fb);
	sbuf_release(&out);
}

static void t_stack_past_999999(void)
{
	char wide[40] = "", dept[80] = "";
	size_t want = NEVENTS, six = 0, seven = 0;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "caseidstack") == 0))
		return;
	T_CHECK(near_the_limit(&t) == 0);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	for (int i = 0; i < NEVENTS; i++) {
		char ext[16], *ev;

		snprintf(ext, sizeof ext, "ci-%d", i);
		ev = event(ext);
		T_CHECK(e2e_produce(&t, ext, ev, strlen(ev)) == 0);
		free(ev);
	}
	T_CHECK(e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, leads, &want, 120));
	for (size_t i = 0; i < t.nmsgs; i++) {
		const char *id = json_string_value(json_object_get(t.msgs[i].json, "case_id"));

		if (!is_lead(&t.msgs[i]) || !T_CHECK(id && case_id_valid(id, strlen(id))))
			continue;
		six += strlen(id) == 25 && !strcmp(id + 19, "999999");
		if (strlen(id) == 26) {
			seven++;
			snprintf(wide, sizeof wide, "%s", id);
			snprintf(dept, sizeof dept, "%s",
				 json_string_value(json_object_get(t.msgs[i].json, "department")));
		}
	}
	/* 999999, then 7 digits (one of each per day should CST midnight pass) */
	T_CHECK(six >= 1 && six <= 2 && seven >= 1);
	T_INTEQ(six + seven, NEVENTS);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(DISTINCT case_id) FROM cases"), NEVENTS);
	T_INTEQ(e2e_count(&t, "petition.dlq"), 0);
	check_schemas(&t);
	if (T_CHECK(wide[0] != '\0'))
		feedback_and_show(&t, wide, dept);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_case_ids, { "sql_allocators", t_sql_allocators },
	{ "stack_past_999999", t_stack_past_999999 })
/* clang-format on */
