/*
 * test_lifecycle.c - the case lifecycle on the real broker and PostgreSQL
 * (issue 4): department feedback and every state transition, returns and
 * re-dispatch, refusals, duplicates, extension, reopening, the choice
 * among candidates by statistics, the deadline timer with a moved clock
 * across a weekend and public holidays, and hot rules during a stream.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "signature.h"
#include "gen.h"
#include "kafka.h"
#include "querycode.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

/* Rules of these tests: two tied 人社 offices (candidates), a 卫健 office. */
static const char lc_rules[] =
	"{\"schema\": \"xf.rules.v1\", \"version\": \"lc-1\", \"departments\": ["
	" {\"code\": \"l-xfj\", \"name\": \"瑞安市信访局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"xfj\", \"capacity\": 100},"
	" {\"code\": \"l-rsj\", \"name\": \"瑞安市人社局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"rsj\", \"capacity\": 100},"
	" {\"code\": \"l-rsj2\", \"name\": \"瑞安市劳动监察大队\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"rsj\", \"capacity\": 100},"
	" {\"code\": \"l-wjj\", \"name\": \"瑞安市卫健局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"wjj\", \"capacity\": 100%s}],"
	" \"rules\": ["
	" {\"id\": \"labor\", \"priority\": 10, \"when\": {\"category\": [\"labor_social_security\"]},"
	"  \"assign\": {\"kind\": \"rsj\", \"level\": \"county\"}},"
	" {\"id\": \"health\", \"priority\": 20, \"when\": {\"category\": [\"health\"]},"
	"  \"assign\": {\"department\": \"l-wjj\"}},"
	" {\"id\": \"all\", \"priority\": 1000, \"assign\": {\"kind\": \"xfj\", \"level\": \"county\"}}],"
	" \"citizen_side\": [{\"code\": \"t-bureau\", \"name\": \"瑞安市信访局（群众评价）\"%s}],"
	" \"triage\": {\"department\": \"l-xfj\"}}";

enum { LABOR, HEALTH };

static const char *rules_file(const char *webhook_field)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/tmp/xf-lc-rules-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (f) {
		fprintf(f, lc_rules, webhook_field ? webhook_field : "", "");
		fclose(f);
	}
	return path;
}

static char clock_path[64];

/* Moves xf-dispatch's clock so that it reads `fake` (XF_CLOCK_FILE). */
static void clock_to(time_t fake)
{
	FILE *f = fopen(clock_path, "w");

	if (f) {
		fprintf(f, "%lld\n", (long long)(fake - time(NULL)));
		fclose(f);
	}
}

static time_t cst(const char *rfc3339)
{
	time_t t = 0;

	time_parse_rfc3339(rfc3339, &t);
	return t;
}

static int start_all(struct e2e *t)
{
	snprintf(clock_path, sizeof clock_path, "/tmp/xf-lc-clock-%d", (int)getpid());
	unlink(clock_path);
	setenv("XF_CLOCK_FILE", clock_path, 1);
	setenv("XF_TIMER_MS", "200", 1);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		if (e2e_start(t, d))
			return -1;
	return 0;
}

static void stop_all(struct e2e *t)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(t, d), 0);
	unsetenv("XF_CLOCK_FILE");
	unsetenv("XF_TIMER_MS");
	unlink(clock_path);
}

/* The collected message on topic (prefix with '*') matching case, type or ext. */
struct want {
	const char *topic, *case_id, *type, *ext;
	int attempt;
	size_t nth;
	const struct e2e_msg *found;
};

static int matches(const struct e2e_msg *m, const struct want *w)
{
	size_t len = strlen(w->topic);
	int prefix = w->topic[len - 1] == '*';
	json_t *j = m->json;

	if (prefix ? strncmp(m->topic, w->topic, len - 1) : strcmp(m->topic, w->topic))
		return 0;
	if (w->case_id && (!json_string_value(json_object_get(j, "case_id")) ||
			   strcmp(json_string_value(json_object_get(j, "case_id")), w->case_id)))
		return 0;
	if (w->type && (!json_string_value(json_object_get(j, "type")) ||
			strcmp(json_string_value(json_object_get(j, "type")), w->type)))
		return 0;
	if (w->attempt && json_integer_value(json_object_get(j, "attempt")) != w->attempt)
		return 0;
	if (w->ext) {
		const char *e = json_string_value(
			json_object_get(json_object_get(j, "petition"), "external_id"));

		if (!e || strcmp(e, w->ext) || !json_object_get(j, "assignment_id"))
			return 0;
	}
	return 1;
}

static size_t count_want(const struct e2e *t, const struct want *w)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += matches(&t->msgs[i], w);
	return n;
}

static int found(struct e2e *t, void *arg)
{
	struct want *w = arg;
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		if (matches(&t->msgs[i], w) && n++ == w->nth) {
			w->found = &t->msgs[i];
			return 1;
		}
	return 0;
}

/* Waits up to 60 s for the message; its JSON or NULL. */
static json_t *await(struct e2e *t, const char *topic, const char *case_id, const char *type)
{
	struct want w = { topic, case_id, type, NULL, 0, 0, NULL };

	return e2e_collect_until(t, found, &w, 60) ? w.found->json : NULL;
}

static const char *sget(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

#define PETITIONER_NAME "王小明"
#define PETITIONER_PHONE "13812345678"
#define PERSONAL ((const char *const[]){ PETITIONER_NAME, PETITIONER_PHONE, "拖欠工资", NULL })

/* Publishes a petition; waits for its lead assignment: case id and department. */
static int petition(struct e2e *t, const char *ext, int kind, char case_id[32], char dept[72])
{
	static const char *const subject[] = { "公司拖欠工资三个月", "医院检查收费过高" };
	static const char *const content[] = {
		"我在一家公司工作，公司拖欠工资，讨薪无果，社保也没有缴纳，请人社部门帮助。",
		"在医院看病时医生开了很多检查，患者负担很重，请卫生部门核查。"
	};
	json_t *ev = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
			       "schema", "xf.hotline_event.v1", "source", "system", "lc12345",
			       "channel", "hotline", "external_id", ext, "occurred_at",
			       "2026-11-22T09:30:00+08:00", "region_code", "330381001", "subject",
			       subject[kind], "content", content[kind], "petitioner", "name",
			       PETITIONER_NAME, "phone", PETITIONER_PHONE);
	char *text = json_dumps(ev, JSON_COMPACT);
	struct want w = { "assignments.*", NULL, NULL, ext, 0, 0, NULL };
	int rc = e2e_produce(t, ext, text, strlen(text)) || e2e_flush(t) ||
		 !e2e_collect_until(t, found, &w, 90);

	free(text);
	json_decref(ev);
	if (rc)
		return -1;
	snprintf(case_id, 32, "%s", sget(w.found->json, "case_id", NULL));
	snprintf(dept, 72, "%s", sget(w.found->json, "department", NULL));
	return 0;
}

/* Sends department feedback: action by dept on the case, extra fields as JSON text. */
static int feedback(struct e2e *t, const char *id, const char *case_id, const char *dept,
		    const char *action, const char *extra)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", dept, "action",
			       action, "at", "2026-11-22T10:00:00+08:00");
	json_t *more = extra ? json_loads(extra, 0, NULL) : NULL;
	char *text;
	int rc;

	if (more)
		json_object_update(fb, more);
	text = json_dumps(fb, JSON_COMPACT);
	/* ratings and follow-ups come from the citizen's side (development: believed unsigned) */
	rc = (!strcmp(action, "rate") || !strcmp(action, "followup")
		      ? e2e_feedback_as(t, "t-bureau", NULL, case_id, text)
		      : e2e_produce_to(t, "department.feedback", case_id, text, strlen(text))) ||
	     e2e_flush(t);
	free(text);
	json_decref(more);
	json_decref(fb);
	return rc;
}

/* One text value of SQL (static buffer; "" on error). */
static const char *sql_text(struct e2e *t, const char *fmt, const char *arg)
{
	static char out[512];
	char sql[512];

	snprintf(sql, sizeof sql, fmt, arg);
	return e2e_sql_text(t, out, sizeof out, sql, 0, NULL);
}

static const char *refusal_code(json_t *ev)
{
	return sget(json_object_get(ev, "data"), "code", NULL);
}

/* accept -> resolve -> rate satisfied, with statistics. */
static void path_happy(struct e2e *t)
{
	char c[32], d[72], sql[256];

	if (!T_CHECK(petition(t, "lc-1", LABOR, c, d) == 0))
		return;
	T_CHECK(!strcmp(d, "l-rsj") || !strcmp(d, "l-rsj2"));
	T_CHECK(feedback(t, "lc-1-a", c, d, "accept", NULL) == 0);
	T_CHECK(await(t, "case.events", c, "accepted") != NULL);
	T_CHECK(feedback(t, "lc-1-r", c, d, "resolve", "{\"result\": \"已督促企业补发工资\"}") ==
		0);
	T_CHECK(await(t, "case.events", c, "resolved") != NULL);
	T_CHECK(feedback(t, "lc-1-s", c, d, "rate", "{\"satisfaction\": \"satisfied\"}") == 0);
	T_CHECK(await(t, "case.events", c, "rated") != NULL);
	T_STREQ(sql_text(t, "SELECT state FROM cases WHERE case_id = '%s'", c), "rated");
	snprintf(sql, sizeof sql,
		 "SELECT accepted + resolved + rated + satisfied FROM dept_stats"
		 " WHERE department = '%s' AND category = 'labor_social_security'",
		 d);
	T_INTEQ(e2e_sql_long(t, sql), 4);
	/* a closed case takes no more feedback */
	T_CHECK(feedback(t, "lc-1-x", c, d, "progress", NULL) == 0);
	T_STREQ(refusal_code(await(t, "case.events", c, "refused")), "closed");
	check_updates(t, c, PERSONAL, "received assigned accepted resolved closed");
}

/* Refusals, duplicates, extension once, dissatisfied -> reopened. */
static void path_refusals_extend_reopen(struct e2e *t)
{
	char c[32], d[72], before[128];
	const char *other;
	json_t *ev;

	if (!T_CHECK(petition(t, "lc-2", LABOR, c, d) == 0))
		return;
	other = strcmp(d, "l-rsj") ? "l-rsj" : "l-rsj2";
	/* from a department that does not hold it */
	T_CHECK(feedback(t, "lc-2-w", c, other, "accept", NULL) == 0);
	T_STREQ(refusal_code(await(t, "case.events", c, "refused")), "not_holder");
	/* out of order: resolve before accept */
	T_CHECK(feedback(t, "lc-2-o", c, d, "resolve", "{\"result\": \"x\"}") == 0);
	T_CHECK(e2e_collect_until(
		t, found, &(struct want){ "case.events", c, "refused", NULL, 0, 1, NULL }, 60));
	/* unknown case, and a message that is not feedback at all */
	T_CHECK(feedback(t, "lc-2-u", "XF-330381-20991231-000001", d, "accept", NULL) == 0);
	T_STREQ(refusal_code(await(t, "case.events", "XF-330381-20991231-000001", "refused")),
		"unknown_case");
	T_CHECK(e2e_produce_to(t, "department.feedback", c, "{not json", 9) == 0 &&
		e2e_flush(t) == 0);
	/* nor text: refused like the other, not processing_failed (fuzz, feedback) */
	T_CHECK(e2e_produce_to(t, "department.feedback", c, "{\xff\xfe\0x", 5) == 0 &&
		e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(
		t, found, &(struct want){ "petition.dlq", NULL, NULL, NULL, 0, 1, NULL }, 60));
	e2e_collect(t, 1000);
	for (size_t i = 0; i < t->nmsgs; i++)
		if (!strcmp(t->msgs[i].topic, "petition.dlq"))
			T_STREQ(t->msgs[i].error_code, "bad_feedback");
	/* the refusals changed nothing */
	T_STREQ(sql_text(t, "SELECT state FROM cases WHERE case_id = '%s'", c), "assigned");
	T_INTEQ(count_want(t, &(struct want){ "case.events", c, "refused", NULL, 0, 0, NULL }), 2);
	/* accept; the same feedback_id again (even saying something else) changes nothing */
	T_CHECK(feedback(t, "lc-2-a", c, d, "accept", NULL) == 0);
	T_CHECK(await(t, "case.events", c, "accepted") != NULL);
	T_CHECK(feedback(t, "lc-2-a", c, d, "resolve", "{\"result\": \"again\"}") == 0);
	/* extension: once, resolve_by moves by the days asked */
	snprintf(before, sizeof before, "%s",
		 sql_text(t,
			  "SELECT extract(epoch FROM resolve_by)::bigint FROM cases"
			  " WHERE case_id = '%s'",
			  c));
	T_CHECK(feedback(t, "lc-2-e", c, d, "extend",
			 "{\"extend_days\": 10, \"reason\": \"需现场核查\"}") == 0);
	ev = await(t, "case.events", c, "extended");
	T_CHECK(ev &&
		json_integer_value(json_object_get(json_object_get(ev, "data"), "days")) == 10);
	T_INTEQ(atoll(sql_text(t,
			       "SELECT extract(epoch FROM resolve_by)::bigint FROM cases"
			       " WHERE case_id = '%s'",
			       c)) -
			atoll(before),
		10 * 86400);
	T_CHECK(feedback(t, "lc-2-e2", c, d, "extend", "{\"extend_days\": 5}") == 0);
	T_CHECK(e2e_collect_until(
		t, found, &(struct want){ "case.events", c, "refused", NULL, 0, 2, NULL }, 60));
	T_INTEQ(count_want(t, &(struct want){ "case.events", c, "resolved", NULL, 0, 0, NULL }), 0);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM feedback WHERE feedback_id = 'lc-2-a'"), 1);
	/* progress is recorded and changes nothing */
	T_CHECK(feedback(t, "lc-2-p", c, d, "progress", "{\"note\": \"已约谈企业\"}") == 0);
	/* resolve, then 不满意: reopened to the same department with a new deadline */
	T_CHECK(feedback(t, "lc-2-r", c, d, "resolve", "{\"result\": \"已答复\"}") == 0);
	T_CHECK(await(t, "case.events", c, "resolved") != NULL);
	T_CHECK(feedback(t, "lc-2-s", c, d, "rate", "{\"satisfaction\": \"dissatisfied\"}") == 0);
	ev = await(t, "case.events", c, "reopened");
	T_CHECK(ev && !strcmp(sget(json_object_get(ev, "data"), "department", NULL), d));
	snprintf(before, sizeof before, "accepted/1/%s", d);
	T_STREQ(sql_text(t,
			 "SELECT state || '/' || reopened || '/' || department FROM cases"
			 " WHERE case_id = '%s'",
			 c),
		before);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM feedback WHERE feedback_id = 'lc-2-p'"
				" AND outcome = 'applied'"),
		1);
	check_updates(t, c, PERSONAL, "received assigned accepted extended resolved reopened");
}

/* Return -> re-dispatch to the other office -> return -> triage (the bureau). */
static void path_returns(struct e2e *t)
{
	char c[32], d[72], sql[200];
	const char *other;
	json_t *ev;
	struct want a2 = { "assignments.*", NULL, NULL, NULL, 2, 0, NULL };

	if (!T_CHECK(petition(t, "lc-3", LABOR, c, d) == 0))
		return;
	other = strcmp(d, "l-rsj") ? "l-rsj" : "l-rsj2";
	T_CHECK(feedback(t, "lc-3-r1", c, d, "return", "{\"reason\": \"不属于本单位职责\"}") == 0);
	T_CHECK(await(t, "case.events", c, "returned") != NULL);
	ev = await(t, "case.events", c, "redispatched");
	T_CHECK(ev && !strcmp(sget(json_object_get(ev, "data"), "department", NULL), other));
	/* the new department's assignment: attempt 2, the original deadlines */
	a2.case_id = c;
	if (T_CHECK(e2e_collect_until(t, found, &a2, 60))) {
		T_STREQ(sget(a2.found->json, "department", NULL), other);
		snprintf(sql, sizeof sql,
			 "SELECT count(DISTINCT body::json->>'deadlines')"
			 " FROM assignments WHERE case_id = '%s'",
			 c);
		T_INTEQ(e2e_sql_long(t, sql), 1);
	}
	T_CHECK(feedback(t, "lc-3-r2", c, other, "return", "{\"reason\": \"也不属于本单位\"}") ==
		0);
	T_CHECK(e2e_collect_until(
		t, found, &(struct want){ "case.events", c, "redispatched", NULL, 0, 1, NULL },
		60));
	T_STREQ(sql_text(
			t,
			"SELECT department || '/' || attempt || '/' || array_length(returned_by, 1)"
			" FROM cases WHERE case_id = '%s'",
			c),
		"l-xfj/3/2");
	/* a return without a reason is malformed */
	T_CHECK(feedback(t, "lc-3-r3", c, "l-xfj", "return", NULL) == 0);
	T_STREQ(refusal_code(await(t, "case.events", c, "refused")), "malformed");
	check_updates(t, c, PERSONAL, "received assigned returned reassigned returned reassigned");
}

/* Two tied offices: the one with the better record gets the next case. */
static void path_choice(struct e2e *t)
{
	static const char good[] =
		"INSERT INTO dept_stats (department, category, assigned,"
		" accepted, resolved, rated, satisfied, accept_hist) VALUES ('%s',"
		" 'labor_social_security', 40, 40, 40, 40, 38, '{10,20,10,0,0,0,0,0,0,0,0,0}')"
		" ON CONFLICT (department, category) DO UPDATE SET assigned = 40, accepted = 40,"
		" resolved = 40, rated = 40, satisfied = 38, dissatisfied = 0,"
		" accept_hist = '{10,20,10,0,0,0,0,0,0,0,0,0}'";
	static const char bad[] =
		"INSERT INTO dept_stats (department, category, assigned,"
		" accepted, resolved, rated, satisfied, dissatisfied, accept_hist) VALUES ('%s',"
		" 'labor_social_security', 40, 40, 40, 40, 3, 30, '{0,0,0,0,0,0,0,10,20,10,0,0}')"
		" ON CONFLICT (department, category) DO UPDATE SET assigned = 40, accepted = 40,"
		" resolved = 40, rated = 40, satisfied = 3, dissatisfied = 30,"
		" accept_hist = '{0,0,0,0,0,0,0,10,20,10,0,0}'";
	char c[32], d[72];
	json_t *choice;

	sql_text(t, good, "l-rsj2");
	sql_text(t, bad, "l-rsj");
	if (!T_CHECK(petition(t, "lc-4", LABOR, c, d) == 0))
		return;
	T_STREQ(d, "l-rsj2");
	choice = json_object_get(
		json_object_get(await(t, "assignments.l-rsj2", c, NULL), "explain"), "choice");
	T_INTEQ(json_array_size(choice), 2);
	T_CHECK(json_is_true(json_object_get(json_array_get(choice, 0), "chosen")));
	/* the record turns: so does the choice */
	sql_text(t, good, "l-rsj");
	sql_text(t, bad, "l-rsj2");
	if (T_CHECK(petition(t, "lc-5", LABOR, c, d) == 0))
		T_STREQ(d, "l-rsj");
}

/* A return after 5 working days is refused and changes nothing. */
static void path_late_return(struct e2e *t)
{
	char c[32], d[72];

	if (!T_CHECK(petition(t, "lc-6", LABOR, c, d) == 0))
		return;
	clock_to(time(NULL) + 12 * 86400);
	T_CHECK(feedback(t, "lc-6-r", c, d, "return", "{\"reason\": \"太晚了\"}") == 0);
	T_STREQ(refusal_code(await(t, "case.events", c, "refused")), "late_return");
	T_STREQ(sql_text(t, "SELECT state || '/' || attempt FROM cases WHERE case_id = '%s'", c),
		"assigned/1");
	clock_to(time(NULL));
}

static void t_paths(void)
{
	struct e2e t;
	const char *verify[] = { "audit", "verify", NULL };

	if (!T_CHECK(e2e_setup_rules(&t, "lifecycle", rules_file(NULL)) == 0))
		return;
	if (T_CHECK(start_all(&t) == 0)) {
		path_happy(&t);
		path_refusals_extend_reopen(&t);
		path_returns(&t);
		path_choice(&t);
		path_late_return(&t);
		e2e_collect(&t, 1000);
		check_schemas(&t);
		T_INTEQ(e2e_xfctl(&t, NULL, verify), 0);
		stop_all(&t);
	}
	printf("    lifecycle: %zu messages collected\n", t.nmsgs);
	unlink(rules_file(NULL));
	e2e_teardown(&t);
}

/*
 * The deadline clock across 中秋, 国庆 and their adjusted working days
 * (the 2026 notice): accept_by 15 days after 09-14 10:00 is 09-29 10:00;
 * warned at 80% (09-26 10:00), overdue then, supervised 3 working days
 * later: 09-30, then 10-08 and 10-09 after the 国庆 holiday, not 10-02 as
 * weekends alone would say. A return within 5 working days of 09-30 15:00
 * is allowed until the end of 10-13 (10-10 is a working Saturday).
 */
static void t_deadlines(void)
{
	struct e2e t;
	char c1[32], d1[72], c2[32], d2[72], c3[32], d3[72];
	json_t *ev;

	if (!T_CHECK(e2e_setup_rules(&t, "deadlines", rules_file(NULL)) == 0))
		return;
	if (!T_CHECK(start_all(&t) == 0))
		goto out;
	clock_to(cst("2026-09-14T10:00:00+08:00"));
	if (!T_CHECK(petition(&t, "dl-1", LABOR, c1, d1) == 0))
		goto stop;
	clock_to(cst("2026-09-26T10:00:05+08:00"));
	ev = await(&t, "case.events", c1, "warned");
	T_CHECK(ev && !strcmp(sget(json_object_get(ev, "data"), "deadline", NULL), "accept"));
	T_CHECK(await(&t, "assignments.*", c1, "warned") != NULL); /* the department hears it */
	e2e_collect(&t, 1500);
	T_INTEQ(count_want(&t, &(struct want){ "case.events", c1, "overdue", NULL, 0, 0, NULL }),
		0);
	clock_to(cst("2026-09-29T10:00:05+08:00"));
	T_CHECK(await(&t, "case.events", c1, "overdue") != NULL);
	clock_to(cst("2026-09-30T15:00:00+08:00"));
	T_CHECK(petition(&t, "dl-2", LABOR, c2, d2) == 0);
	T_CHECK(petition(&t, "dl-3", LABOR, c3, d3) == 0);
	clock_to(cst("2026-10-08T10:00:05+08:00"));
	e2e_collect(&t, 2500);
	T_INTEQ(count_want(&t, &(struct want){ "case.events", c1, "supervised", NULL, 0, 0, NULL }),
		0);
	clock_to(cst("2026-10-09T10:00:05+08:00"));
	ev = await(&t, "case.events", c1, "supervised");
	T_CHECK(ev && !strcmp(sget(json_object_get(ev, "data"), "supervisor", NULL), "l-xfj"));
	T_CHECK(await(&t, "assignments.l-xfj", c1, "supervised") != NULL); /* 督办 to the bureau */
	T_STREQ(sql_text(&t, "SELECT clock_stage::text FROM cases WHERE case_id = '%s'", c1), "3");
	/* the 退单 window across the holiday */
	clock_to(cst("2026-10-13T23:00:00+08:00"));
	T_CHECK(feedback(&t, "dl-2-r", c2, d2, "return", "{\"reason\": \"非本单位职责\"}") == 0);
	T_CHECK(await(&t, "case.events", c2, "redispatched") != NULL);
	clock_to(cst("2026-10-14T00:00:05+08:00"));
	T_CHECK(feedback(&t, "dl-3-r", c3, d3, "return", "{\"reason\": \"非本单位职责\"}") == 0);
	T_STREQ(refusal_code(await(&t, "case.events", c3, "refused")), "late_return");
	check_schemas(&t);
stop:
	stop_all(&t);
out:
	unlink(rules_file(NULL));
	e2e_teardown(&t);
}

/* Labour goes to the bureau under version e2e-2 of the test rules. */
static const char *rules_v2(void)
{
	static char path[64];
	json_t *doc = json_load_file("tests/e2e/rules.json", 0, NULL);
	json_t *rules = json_object_get(doc, "rules");

	snprintf(path, sizeof path, "/tmp/xf-rules-v2-%d.json", (int)getpid());
	json_object_set_new(doc, "version", json_string("e2e-2"));
	for (size_t i = 0; i < json_array_size(rules); i++)
		if (!strcmp(sget(json_array_get(rules, i), "id", NULL), "labor"))
			json_object_set_new(json_object_get(json_array_get(rules, i), "assign"),
					    "kind", json_string("xfj"));
	json_dump_file(doc, path, 0);
	json_decref(doc);
	return path;
}

struct hot {
	size_t want;
};

static int leads_seen(struct e2e *t, void *arg)
{
	struct hot *h = arg;
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strncmp(t->msgs[i].topic, "assignments.", 12) &&
		     !strcmp(sget(t->msgs[i].json, "role", NULL)
				     ? sget(t->msgs[i].json, "role", NULL)
				     : "",
			     "lead");
	return n >= h->want;
}

/* Each lead assignment follows the rule set it names; counts per version. */
static void check_versions(struct e2e *t, const struct gen_event *ev, size_t n, size_t *v1,
			   size_t *v2)
{
	*v1 = *v2 = 0;
	for (size_t i = 0; i < t->nmsgs; i++) {
		json_t *a = t->msgs[i].json;
		const char *ver = sget(json_object_get(a, "rule"), "version", NULL);
		const char *ext = sget(json_object_get(a, "petition"), "external_id", NULL);
		const char *dept = sget(a, "department", NULL);

		if (strncmp(t->msgs[i].topic, "assignments.", 12) || !ext || !ver)
			continue;
		for (size_t k = 0; k < n; k++) {
			const char *want = ev[k].department;

			if (strcmp(ev[k].external_id, ext))
				continue;
			if (!strcmp(ver, "e2e-2") &&
			    !strcmp(ev[k].category, "labor_social_security"))
				want = !strncmp(dept, "t-yq", 4) ? "t-yq-xfj" : "t-xfj";
			if (strcmp(dept, want))
				fprintf(stderr, "    %s under %s went to %s, not %s\n", ext, ver,
					dept, want);
			T_STREQ(dept, want);
		}
		*v1 += !strcmp(ver, "e2e-1");
		*v2 += !strcmp(ver, "e2e-2");
	}
}

static void t_hot_rules(void)
{
	const char *import[] = { "rules", "import", NULL, NULL };
	const char *rollback[] = { "rules", "rollback", NULL };
	struct check_run run = { NULL, 400, 0 };
	struct hot h = { 120 };
	struct e2e t;
	size_t v1, v2;

	if (!T_CHECK(e2e_setup(&t, "hotrules") == 0))
		return;
	run.ev = gen_events("hot", run.n, 0, 0);
	for (size_t i = 0; i < run.n; i++)
		run.nvalid += run.ev[i].kind == GEN_VALID;
	setenv("XF_BATCH_MAX", "20", 1);
	T_CHECK(start_all(&t) == 0);
	/* half the stream; the import while it flows; the other half after
	 * it (so both versions decide some, however fast the daemons are) */
	for (size_t i = 0; i < run.n / 2; i++)
		T_CHECK(e2e_produce(&t, run.ev[i].key, run.ev[i].bytes, run.ev[i].len) == 0);
	T_CHECK(e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, leads_seen, &h, 120));
	import[2] = rules_v2();
	T_INTEQ(e2e_xfctl(&t, NULL, import), 0); /* mid-stream, daemons running */
	for (size_t i = run.n / 2; i < run.n; i++)
		T_CHECK(e2e_produce(&t, run.ev[i].key, run.ev[i].bytes, run.ev[i].len) == 0);
	T_CHECK(e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	e2e_collect(&t, 1500);
	check_versions(&t, run.ev, run.n, &v1, &v2);
	for (size_t i = 0; i < run.n; i++) /* where labour goes depends on the version */
		if (run.ev[i].kind == GEN_VALID &&
		    !strcmp(run.ev[i].category, "labor_social_security"))
			run.ev[i].department = NULL;
	check_run(&t, &run, 0); /* nothing lost, one decision each */
	printf("    hot rules: %zu assignments under e2e-1, %zu under e2e-2\n", v1, v2);
	T_CHECK(v1 > 0 && v2 > 0);
	/* rollback: later petitions follow e2e-1 again */
	T_INTEQ(e2e_xfctl(&t, NULL, rollback), 0);
	T_STREQ(sql_text(&t, "SELECT version FROM rule_sets WHERE active%s", ""), "e2e-1");
	{
		struct gen_event *more = gen_events("hot-after", 40, 0, 0);
		struct check_run run2 = { more, 40, 0 };

		for (size_t i = 0; i < run2.n; i++) {
			run2.nvalid += more[i].kind == GEN_VALID;
			T_CHECK(e2e_produce(&t, more[i].key, more[i].bytes, more[i].len) == 0);
		}
		T_CHECK(e2e_flush(&t) == 0);
		T_CHECK(e2e_collect_until(&t, check_complete, &run2, 120));
		for (size_t i = 0; i < t.nmsgs; i++) {
			const char *ext = sget(json_object_get(t.msgs[i].json, "petition"),
					       "external_id", NULL);

			if (ext && !strncmp(ext, "hot-after", 9) &&
			    !strncmp(t.msgs[i].topic, "assignments.", 12))
				T_STREQ(sget(json_object_get(t.msgs[i].json, "rule"), "version",
					     NULL),
					"e2e-1");
		}
		gen_free(more, 40);
	}
	stop_all(&t);
	unsetenv("XF_BATCH_MAX");
	unlink(import[2]);
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

/* Distinct cases among the collected events of type (for a kill -9 run). */
static int distinct_events(struct e2e *t, const char *type, int *identical)
{
	int n = 0;

	*identical = 1;
	for (size_t i = 0; i < t->nmsgs; i++) {
		const char *c = sget(t->msgs[i].json, "case_id", NULL);
		const char *ty = sget(t->msgs[i].json, "type", NULL);
		size_t k;

		if (strcmp(t->msgs[i].topic, "case.events") || !c || !ty || strcmp(ty, type))
			continue;
		for (k = 0; k < i; k++) /* an earlier copy: the same bytes? */
			if (!strcmp(t->msgs[k].topic, "case.events") &&
			    !strcmp(sget(t->msgs[k].json, "case_id", NULL)
					    ? sget(t->msgs[k].json, "case_id", NULL)
					    : "",
				    c) &&
			    !strcmp(sget(t->msgs[k].json, "type", NULL)
					    ? sget(t->msgs[k].json, "type", NULL)
					    : "",
				    type))
				break;
		if (k < i)
			*identical &= !strcmp(t->msgs[k].value, t->msgs[i].value);
		else
			n++;
	}
	return n;
}

struct accepted_wait {
	int want;
};

static int accepted_enough(struct e2e *t, void *arg)
{
	int identical;

	return distinct_events(t, "accepted", &identical) >= ((struct accepted_wait *)arg)->want;
}

/*
 * Feedback through a kill -9 of xf-dispatch: 40 cases accepted in small
 * batches, the daemon killed in the middle and started again. Every case
 * is accepted once in its chain, redelivered events are byte-identical,
 * nothing is lost.
 */
static void t_feedback_kill(void)
{
	enum { N = 40 };
	const char *verify[] = { "audit", "verify", NULL };
	char cases[N][32], depts[N][72], id[32];
	struct accepted_wait w = { 10 };
	int identical, ok = 1;
	struct e2e t;

	if (!T_CHECK(e2e_setup_rules(&t, "fbkill", rules_file(NULL)) == 0))
		return;
	setenv("XF_BATCH_MAX", "4", 1);
	if (!T_CHECK(start_all(&t) == 0))
		goto out;
	for (int i = 0; i < N && ok; i++) {
		snprintf(id, sizeof id, "fk-%d", i);
		ok = T_CHECK(petition(&t, id, LABOR, cases[i], depts[i]) == 0);
	}
	for (int i = 0; i < N && ok; i++) {
		snprintf(id, sizeof id, "fk-a-%d", i);
		ok = T_CHECK(feedback(&t, id, cases[i], depts[i], "accept", NULL) == 0);
	}
	if (ok) {
		e2e_collect_until(&t, accepted_enough, &w, 60);
		e2e_kill(&t, E2E_DISPATCH, SIGKILL);
		while (e2e_alive(&t, E2E_DISPATCH))
			usleep(10000);
		T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
		w.want = N;
		T_CHECK(e2e_collect_until(&t, accepted_enough, &w, 120));
		e2e_collect(&t, 2000);
		T_INTEQ(distinct_events(&t, "accepted", &identical), N);
		T_CHECK(identical);
		T_INTEQ(e2e_sql_long(&t,
				     "SELECT count(*) FROM case_events WHERE type = 'accepted'"),
			N);
		T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM feedback WHERE outcome = 'applied'"),
			N);
		T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases WHERE state = 'accepted'"), N);
		T_INTEQ(e2e_xfctl(&t, NULL, verify), 0);
	}
	stop_all(&t);
out:
	unsetenv("XF_BATCH_MAX");
	unlink(rules_file(NULL));
	e2e_teardown(&t);
}

/* clang-format off */
/*
 * Feedback bound to its sender (README "Security"): xf-dispatch in
 * production, each department and the bureau signing with a key of its
 * own (rules feedback_secret), the keys in the environment.
 */
#define KEY(x) "e2e-feedback-key-" x "-0123456789abcdef0123456789"

static const struct {
	const char *code, *var, *key;
} senders[] = {
	{ "l-xfj", "XF_FEEDBACK_SECRET_L_XFJ", KEY("xfj") },
	{ "l-rsj", "XF_FEEDBACK_SECRET_L_RSJ", KEY("rsj") },
	{ "l-rsj2", "XF_FEEDBACK_SECRET_L_RSJ2", KEY("rsj2") },
	{ "l-wjj", "XF_FEEDBACK_SECRET_L_WJJ", KEY("wjj") },
	{ "t-bureau", "XF_FEEDBACK_SECRET_T_BUREAU", KEY("bureau") },
};

static const char *key_of(const char *code)
{
	for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
		if (!strcmp(senders[i].code, code))
			return senders[i].key;
	return NULL;
}

/* The test rules with every sender's feedback_secret; the file's path. */
static const char *rules_signed(void)
{
	static char path[64];
	json_t *doc = json_load_file(rules_file(NULL), 0, NULL), *d;
	size_t i;

	snprintf(path, sizeof path, "/tmp/xf-lc-signed-%d.json", (int)getpid());
	json_array_foreach(json_object_get(doc, "departments"), i, d)
	{
		for (size_t k = 0; k < sizeof senders / sizeof senders[0]; k++)
			if (!strcmp(sget(d, "code", NULL), senders[k].code))
				json_object_set_new(d, "feedback_secret",
						    json_string(senders[k].var));
	}
	json_object_set_new(json_array_get(json_object_get(doc, "citizen_side"), 0),
			    "feedback_secret", json_string("XF_FEEDBACK_SECRET_T_BUREAU"));
	json_dump_file(doc, path, 0);
	json_decref(doc);
	return path;
}

/* A feedback message's text: action by dept on the case, extra fields as JSON text. */
static char *fb_text(const char *id, const char *case_id, const char *dept, const char *action,
		     const char *extra)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", dept, "action",
			       action, "at", "2026-11-22T10:00:00+08:00");
	json_t *more = extra ? json_loads(extra, 0, NULL) : NULL;
	char *text;

	if (more)
		json_object_update(fb, more);
	text = json_dumps(fb, JSON_COMPACT);
	json_decref(more);
	json_decref(fb);
	return text;
}

/* Sends feedback as sender, signed with signer's key (NULL: unsigned). */
static int fb_as(struct e2e *t, const char *sender, const char *signer, const char *id,
		 const char *case_id, const char *dept, const char *action, const char *extra)
{
	char *text = fb_text(id, case_id, dept, action, extra);
	int rc = e2e_feedback_as(t, sender, signer ? key_of(signer) : NULL, case_id, text) ||
		 e2e_flush(t);

	free(text);
	return rc;
}

/* The nth refusal of the case: its code, after waiting for it. */
static const char *nth_refusal(struct e2e *t, const char *case_id, size_t nth)
{
	struct want w = { "case.events", case_id, "refused", NULL, 0, nth, NULL };

	return e2e_collect_until(t, found, &w, 60) ? refusal_code(w.found->json) : NULL;
}

/* Every petition.dlq message so far has reason code; how many there are. */
static size_t dlq_all(struct e2e *t, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		if (!strcmp(t->msgs[i].topic, "petition.dlq")) {
			T_STREQ(t->msgs[i].error_code, code);
			n++;
		}
	return n;
}

static void senders_work(struct e2e *t)
{
	char c[32], d[72], *text, sig[FEEDBACK_SIG_LEN];
	const char *other;
	struct kafka_hdr h[2] = { { "xf-sender", "t-bureau" }, { "xf-signature", sig } };
	struct sbuf err = SBUF_INIT;

	if (!T_CHECK(petition(t, "sd-1", LABOR, c, d) == 0))
		return;
	other = strcmp(d, "l-rsj") ? "l-rsj" : "l-rsj2";
	/* unsigned, in production: dead-lettered, refused, nothing changes */
	T_CHECK(fb_as(t, NULL, NULL, "sd-acc", c, d, "accept", NULL) == 0);
	T_STREQ(nth_refusal(t, c, 0), "unauthenticated");
	/* another department signing as itself for the holder: not permitted */
	T_CHECK(fb_as(t, other, other, "sd-acc", c, d, "accept", NULL) == 0);
	T_STREQ(nth_refusal(t, c, 1), "not_permitted");
	/* claiming to be the holder, signed with its own key: not authenticated */
	T_CHECK(fb_as(t, d, other, "sd-acc", c, d, "accept", NULL) == 0);
	T_STREQ(nth_refusal(t, c, 2), "unauthenticated");
	T_STREQ(sql_text(t, "SELECT state FROM cases WHERE case_id = '%s'", c), "assigned");
	/* the holder's own "sd-acc" is not a duplicate of the others' */
	T_CHECK(fb_as(t, d, d, "sd-acc", c, d, "accept", NULL) == 0);
	T_CHECK(await(t, "case.events", c, "accepted") != NULL);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM feedback WHERE feedback_id = 'sd-acc'"
				" AND outcome = 'applied'"),
		1);
	T_CHECK(fb_as(t, d, d, "sd-res", c, d, "resolve", "{\"result\": \"已督促企业补发\"}") ==
		0);
	T_CHECK(await(t, "case.events", c, "resolved") != NULL);
	/* the department rating its own work, however well signed: not permitted */
	T_CHECK(fb_as(t, d, d, "sd-rate", c, d, "rate", "{\"satisfaction\": \"satisfied\"}") ==
		0);
	T_STREQ(nth_refusal(t, c, 3), "not_permitted");
	/* the bureau's signature over another text: not authenticated */
	text = fb_text("sd-rate", c, d, "rate", "{\"satisfaction\": \"dissatisfied\"}");
	feedback_signature(KEY("bureau"), "t-bureau", text, strlen(text), sig);
	free(text);
	text = fb_text("sd-rate", c, d, "rate", "{\"satisfaction\": \"satisfied\"}");
	T_CHECK(kafka_produce(t->producer, "department.feedback", c, strlen(c), text,
			      strlen(text), h, 2, &t->acks, &err) == 0 &&
		e2e_flush(t) == 0);
	free(text);
	T_STREQ(nth_refusal(t, c, 4), "unauthenticated");
	/* the bureau, for the citizen, signed: rated */
	T_CHECK(fb_as(t, "t-bureau", "t-bureau", "sd-rate", c, d, "rate",
		      "{\"satisfaction\": \"satisfied\"}") == 0);
	T_CHECK(await(t, "case.events", c, "rated") != NULL);
	T_STREQ(sql_text(t, "SELECT satisfaction FROM cases WHERE case_id = '%s'", c), "satisfied");
	e2e_collect(t, 1000);
	T_INTEQ(dlq_all(t, "unauthenticated"), 3);
	/* a claim that was not proved is nobody's: it takes no sender's feedback_id */
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM feedback WHERE reason LIKE"
				" 'unauthenticated%' AND sender = '' AND feedback_id LIKE '@%'"),
		3);
	sbuf_release(&err);
}

static void t_senders(void)
{
	struct e2e t;

	if (!T_CHECK(e2e_setup_rules(&t, "senders", rules_signed()) == 0))
		goto out;
	for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
		setenv(senders[i].var, senders[i].key, 1);
	if (!T_CHECK(e2e_start(&t, E2E_INTAKE) == 0 && e2e_start(&t, E2E_CLASSIFY) == 0))
		goto out;
	unsetenv("XF_ENV"); /* production; it needs its own webhook secret */
	setenv("XF_WEBHOOK_SECRET", "e2e-webhook-secret-0123456789abcdef", 1);
	T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
	setenv("XF_ENV", "development", 1);
	unsetenv("XF_WEBHOOK_SECRET");
	if (e2e_alive(&t, E2E_DISPATCH))
		senders_work(&t);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
out:
	for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
		unsetenv(senders[i].var);
	unlink(rules_file(NULL));
	unlink(rules_signed());
	e2e_teardown(&t);
}

/* The department's overdue count on the scorecard (xfctl departments --json); -1 if none. */
static long scorecard_overdue(struct e2e *t, const char *dept)
{
	static const char *const args[] = { "departments", "--json", NULL };
	struct sbuf out = SBUF_INIT;
	json_t *rows, *r;
	long n = -1;
	size_t i;

	T_INTEQ(e2e_xfctl(t, &out, args), 0);
	rows = json_loads(out.buf ? out.buf : "", 0, NULL);
	json_array_foreach(rows, i, r)
	{
		if (!strcmp(sget(r, "department", NULL), dept))
			n = (long)json_integer_value(
				json_object_get(json_object_get(r, "overdue"), "count"));
	}
	json_decref(rows);
	sbuf_release(&out);
	return n;
}

/*
 * 回访 (README "Follow-ups"): resolving schedules callback (48 h), visit
 * (7 d) and review (30 d), announced with the answer; the citizen's side
 * reports them; a missed one is overdue on the case, the department's
 * topic and its scorecard; a dissatisfied one reopens even a rated case.
 */
static void t_followups(void)
{
	static const char *const sat = "{\"followup\": \"callback\", \"channel\": \"phone\","
				       " \"satisfaction\": \"satisfied\", \"note\": \"已收到答复\"}";
	struct e2e t;
	char c[32], d[72], sql[256];
	json_t *ev;

	if (!T_CHECK(e2e_setup_rules(&t, "followups", rules_file(NULL)) == 0))
		return;
	if (!T_CHECK(start_all(&t) == 0))
		goto out;
	clock_to(cst("2026-11-23T10:00:00+08:00"));
	if (!T_CHECK(petition(&t, "fu-1", LABOR, c, d) == 0))
		goto stop;
	T_CHECK(feedback(&t, "fu-a", c, d, "accept", NULL) == 0);
	T_CHECK(feedback(&t, "fu-r", c, d, "resolve", "{\"result\": \"已督促企业补发工资\"}") == 0);
	ev = await(&t, "case.events", c, "resolved");
	T_INTEQ(json_array_size(json_object_get(json_object_get(ev, "data"), "followups")), 3);
	/* the callback, once; no such follow-up; not from the department */
	T_CHECK(feedback(&t, "fu-f1", c, d, "followup", sat) == 0);
	ev = await(&t, "case.events", c, "followed_up");
	T_STREQ(sget(json_object_get(ev, "data"), "followup", NULL), "callback");
	T_CHECK(feedback(&t, "fu-f2", c, d, "followup", sat) == 0);
	T_STREQ(nth_refusal(&t, c, 0), "followed_up_already");
	T_CHECK(feedback(&t, "fu-f3", c, d, "followup",
			 "{\"followup\": \"letter\", \"satisfaction\": \"satisfied\"}") == 0);
	T_STREQ(nth_refusal(&t, c, 1), "unknown_followup");
	T_CHECK(fb_as(&t, d, NULL, "fu-f4", c, d, "followup",
		      "{\"followup\": \"visit\", \"satisfaction\": \"satisfied\"}") == 0);
	T_STREQ(nth_refusal(&t, c, 2), "not_permitted");
	T_CHECK(feedback(&t, "fu-s", c, d, "rate", "{\"satisfaction\": \"satisfied\"}") == 0);
	T_CHECK(await(&t, "case.events", c, "rated") != NULL);
	/* the visit is missed: overdue (the callback, done, is not) */
	clock_to(cst("2026-11-30T11:00:00+08:00"));
	ev = await(&t, "case.events", c, "followup_overdue");
	T_STREQ(sget(json_object_get(ev, "data"), "followup", NULL), "visit");
	T_CHECK(await(&t, "assignments.*", c, "followup_overdue") != NULL);
	snprintf(sql, sizeof sql,
		 "SELECT sum(followup_overdue) FROM dept_stats WHERE department = '%s'", d);
	T_INTEQ(e2e_sql_long(&t, sql), 1);
	T_CHECK(scorecard_overdue(&t, d) == 1);
	e2e_collect(&t, 1000);
	T_INTEQ(count_want(&t, &(struct want){ "case.events", c, "followup_overdue", NULL, 0, 0,
					       NULL }),
		1);
	/* the review finds the citizen dissatisfied: the rated case is reopened */
	T_CHECK(feedback(&t, "fu-f5", c, d, "followup",
			 "{\"followup\": \"review\", \"satisfaction\": \"dissatisfied\"}") == 0);
	T_CHECK(await(&t, "case.events", c, "reopened") != NULL);
	snprintf(sql, sizeof sql, "accepted/1/%s", d);
	T_STREQ(sql_text(&t, "SELECT state || '/' || reopened || '/' || department FROM cases"
			     " WHERE case_id = '%s'",
			 c),
		sql);
	check_updates(&t, c, PERSONAL, "received assigned accepted resolved followed_up closed "
			     "followed_up reopened");
	check_schemas(&t);
stop:
	stop_all(&t);
out:
	unlink(rules_file(NULL));
	e2e_teardown(&t);
}

T_SUITE(e2e_lifecycle, { "feedback_paths", t_paths }, { "deadlines_across_holidays", t_deadlines },
	{ "rules_import_mid_stream", t_hot_rules }, { "feedback_through_kill_9", t_feedback_kill },
	{ "feedback_bound_to_sender", t_senders }, { "followups", t_followups })
/* clang-format on */
