/*
 * test_ops.c - the operator's side on the real stack: migrations applied
 * once, a rule set without a catch-all refused, rules test/export, the
 * audit chain catching an edited event, case show, lag, the HTTP endpoints.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tharness.h"

static void t_migrate_once(void)
{
	const char *migrate[] = { "migrate", NULL };
	struct sbuf out = SBUF_INIT;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "migrate") == 0))
		return;
	T_INTEQ(e2e_xfctl(&t, &out, migrate), 0);
	T_CHECK(strstr(out.buf, "migrations applied: 0") != NULL);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM schema_migrations"),
		e2e_sql_long(&t, "SELECT count(*) FROM schema_migrations WHERE version > 0"));
	T_CHECK(e2e_sql_long(&t, "SELECT count(*) FROM schema_migrations") >= 1);
	sbuf_release(&out);
	e2e_teardown(&t);
}

/* Writes text to a temporary file; returns its path (static buffer). */
static const char *tmpfile_with(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/tmp/xf-e2e-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void t_rules_refused(void)
{
	static const char no_catch_all[] =
		"{\"schema\": \"xf.rules.v1\", \"version\": \"bad-1\","
		" \"departments\": [{\"code\": \"d-xfj\", \"name\": \"信访局\", \"region\": \"330381\","
		" \"level\": \"county\", \"kind\": \"xfj\", \"capacity\": 1}],"
		" \"rules\": [{\"id\": \"only-labor\", \"priority\": 1,"
		" \"when\": {\"category\": [\"labor_social_security\"]},"
		" \"assign\": {\"department\": \"d-xfj\"}}],"
		" \"triage\": {\"department\": \"d-xfj\"}}";
	static const char bad_field[] =
		"{\"schema\": \"xf.rules.v1\", \"version\": \"bad-2\","
		" \"departments\": [{\"code\": \"d-xfj\", \"name\": \"信访局\", \"region\": \"330381\","
		" \"level\": \"county\", \"kind\": \"xfj\", \"capacity\": 1}],"
		" \"rules\": [{\"id\": \"all\", \"priority\": 1,"
		" \"assign\": {\"kind\": \"xfj\", \"level\": \"countyy\"}}],"
		" \"triage\": {\"department\": \"d-xfj\"}}";
	const char *import[] = { "rules", "import", NULL, NULL };
	struct sbuf out = SBUF_INIT;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "rules") == 0))
		return;
	import[2] = tmpfile_with(no_catch_all);
	T_INTEQ(e2e_xfctl(&t, &out, import), 1);
	T_CHECK(strstr(out.buf, "catch-all") != NULL);
	sbuf_reset(&out);
	import[2] = tmpfile_with(bad_field);
	T_INTEQ(e2e_xfctl(&t, &out, import), 1);
	T_CHECK(strstr(out.buf, "/rules/0/assign/level") != NULL);
	/* the rules of the setup are still the active ones */
	T_INTEQ(e2e_sql_long(&t,
			     "SELECT count(*) FROM rule_sets WHERE active AND version = 'e2e-1'"),
		1);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM rule_sets"), 1);
	unlink(import[2]);
	sbuf_release(&out);
	e2e_teardown(&t);
}

static int all_assigned(struct e2e *t, void *arg)
{
	return e2e_sql_long(t, "SELECT count(*) FROM cases") >= *(long *)arg;
}

static void t_audit_and_show(void)
{
	const char *verify[] = { "audit", "verify", NULL };
	const char *show[] = { "case", "show", NULL, NULL };
	const char *lag[] = { "lag", NULL };
	struct check_run run = { NULL, 40, 0 };
	struct sbuf out = SBUF_INIT;
	char case_id[64] = "";
	long want;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "audit") == 0))
		return;
	run.ev = gen_events("audit", run.n, 0, 0);
	want = (long)run.n;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	for (size_t i = 0; i < run.n; i++)
		e2e_produce(&t, run.ev[i].key, run.ev[i].bytes, run.ev[i].len);
	T_CHECK(e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, all_assigned, &want, 120));
	T_INTEQ(e2e_xfctl(&t, &out, verify), 0);
	T_CHECK(strstr(out.buf, "40 cases checked, 0 broken") != NULL);

	PGresult *res = PQexec(t.conn, "SELECT case_id FROM cases ORDER BY case_id LIMIT 1");
	if (PQntuples(res) == 1)
		snprintf(case_id, sizeof case_id, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	show[2] = case_id;
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(&t, &out, show), 0);
	T_CHECK(strstr(out.buf, "chain: intact") != NULL && strstr(out.buf, "assigned"));

	/* someone edits history: the classified event's risk, whatever it was
	 * (repeats among the 40 events can make any case A, B or C) */
	char sql[512];
	snprintf(sql, sizeof sql,
		 "UPDATE case_events SET body = regexp_replace(body,"
		 " '\"level\":\"[ABC]\"', '\"level\":\"tampered\"')"
		 " WHERE case_id = '%s' AND seq = 2 AND body ~ '\"level\":\"[ABC]\"'",
		 case_id);
	res = PQexec(t.conn, sql);
	T_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK && !strcmp(PQcmdTuples(res), "1"));
	PQclear(res);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(&t, &out, verify), 1);
	T_CHECK(strstr(out.buf, case_id) != NULL && strstr(out.buf, "1 broken") != NULL);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(&t, &out, show), 1);
	T_CHECK(strstr(out.buf, "BROKEN") != NULL);

	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(&t, &out, lag), 0);
	T_CHECK(strstr(out.buf, "-dispatch") && strstr(out.buf, "petition.classified"));
	gen_free(run.ev, run.n);
	sbuf_release(&out);
	e2e_teardown(&t);
}

/*
 * xfctl model eval --errors lists the misfiled: a wage petition labelled
 * environment is one, a pollution petition labelled environment is not.
 * With --whole the classifier decides as xf-classify does: a short
 * consultation is `other`, counted in the elsewhere column.
 */
static void t_model_errors(void)
{
	static const char data[] =
		"{\"id\": \"w\", \"text\": \"公司 拖欠 工资 三个月 讨薪 无果 社保 没有 缴纳\","
		" \"label\": \"环境保护\"}\n"
		"{\"id\": \"p\", \"text\": \"工厂 夜间 排放 废气 刺鼻 异味 噪音 污染 环境\","
		" \"label\": \"环境保护\"}\n"
		"{\"id\": \"q\", \"text\": \"想 咨询 一下 办事 流程 谢谢\", \"label\": \"环境保护\"}\n";
	char path[64];
	const char *args[] = {
		"model", "eval", "models/xf-category.model", path, "--errors", NULL
	};
	const char *whole[] = { "model",   "eval", "models/xf-category.model", path, "--errors",
				"--whole", NULL };
	struct sbuf out = SBUF_INIT;
	struct e2e t;
	FILE *f;

	snprintf(path, sizeof path, "/tmp/xf-errors-%d.jsonl", (int)getpid());
	if (!T_CHECK((f = fopen(path, "w")) != NULL))
		return;
	fputs(data, f);
	fclose(f);
	if (T_CHECK(e2e_setup_db(&t, "model_errors") == 0)) {
		T_INTEQ(e2e_xfctl(&t, &out, args), 0);
		T_CHECK(out.buf && strstr(out.buf, "misfiled"));
		T_CHECK(out.buf && strstr(out.buf, "environment -> labor_social_security"));
		T_CHECK(out.buf && !strstr(out.buf, "environment -> environment"));
		T_CHECK(out.buf && !strstr(out.buf, "排放"));
		sbuf_reset(&out);
		T_INTEQ(e2e_xfctl(&t, &out, whole), 0);
		T_CHECK(out.buf && strstr(out.buf, "environment -> labor_social_security"));
		T_CHECK(out.buf && strstr(out.buf, "environment -> other"));
		T_CHECK(out.buf && strstr(out.buf, "elsewhere  other 1\n"));
		T_CHECK(out.buf && strstr(out.buf, "accuracy   0.3333"));
		e2e_teardown(&t);
	}
	sbuf_release(&out);
	unlink(path);
}

/* clang-format off */
T_SUITE(e2e_ops, { "migrations_once", t_migrate_once }, { "model_eval_errors", t_model_errors },
	{ "rules_without_catch_all_refused", t_rules_refused },
	{ "audit_verify_and_case_show", t_audit_and_show })
/* clang-format on */

/* xf_intake_key: the case id format, redelivery versus duplicate, per-county days. */
static void t_case_ids(void)
{
	static const char *const calls[][4] = {
		/* external_id, county, offset, expected "status case_id" */
		{ "a", "330381", "7", "new XF-330381-20261122-000001" },
		{ "b", "330381", "8", "new XF-330381-20261122-000002" },
		{ "c", "330382", "9", "new XF-330382-20261122-000001" },
		{ "a", "330381", "7", "redelivery XF-330381-20261122-000001" },
		{ "a", "330381", "99", "duplicate XF-330381-20261122-000001" },
	};
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "caseid") == 0))
		return;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		const char *params[7] = { "sys",      calls[i][0],      calls[i][1],
					  "20261122", "hotline.events", "0",
					  calls[i][2] };
		PGresult *res = PQexecParams(
			t.conn,
			"SELECT status || ' ' || case_id FROM xf_intake_key($1, $2, $3, $4, $5, $6, $7)",
			7, NULL, params, NULL, NULL, 0);

		if (T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1))
			T_STREQ(PQgetvalue(res, 0, 0), calls[i][3]);
		PQclear(res);
	}
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM intake_keys"), 3);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_caseid, { "case_id_format_and_dedup", t_case_ids })
/* clang-format on */

static int case_for(struct e2e *t, void *arg)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE external_id = '%s'",
		 (const char *)arg);
	return e2e_sql_long(t, sql) == 1;
}

static void publish_one(struct e2e *t, const char *ext)
{
	char buf[512];

	snprintf(buf, sizeof buf,
		 "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
		 " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"330381\","
		 " \"subject\": \"反映问题\", \"content\": \"单位领导滥发奖金，请查处。\"}",
		 ext);
	T_CHECK(e2e_produce(t, ext, buf, strlen(buf)) == 0 && e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, case_for, (void *)ext, 120));
}

/* An imported keyword table reaches the running xf-classify without a restart. */
static void t_keywords_reload(void)
{
	const char *import[] = { "keywords", "import", NULL, NULL };
	struct sbuf out = SBUF_INIT;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "keywords") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	publish_one(&t, "kw-1");
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases WHERE external_id = 'kw-1'"
				 " AND category = 'discipline'"),
		0);
	import[2] = tmpfile_with("{\"schema\": \"xf.keywords.v1\", \"version\": \"e2e-kw-1\","
				 " \"keywords\": [{\"category\": \"discipline\","
				 " \"phrase\": \"濫發獎金\", \"weight\": 9}]}");
	T_INTEQ(e2e_xfctl(&t, &out, import), 0);
	publish_one(&t, "kw-2");
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases WHERE external_id = 'kw-2'"
				 " AND category = 'discipline'"),
		1);
	unlink(import[2]);
	sbuf_release(&out);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_keywords, { "keyword_table_reloaded_without_restart", t_keywords_reload })
/* clang-format on */

/* The classification xf-classify gave the event with external id ext. */
static json_t *classified(struct e2e *t, const char *ext)
{
	for (size_t i = 0; i < t->nmsgs; i++)
		if (!strcmp(t->msgs[i].topic, "petition.classified") &&
		    !strcmp(json_string_value(json_object_get(t->msgs[i].json, "external_id"))
				    ? json_string_value(
					      json_object_get(t->msgs[i].json, "external_id"))
				    : "",
			    ext))
			return json_object_get(t->msgs[i].json, "classification");
	return NULL;
}

static void publish_text(struct e2e *t, const char *ext, const char *phone, const char *region,
			 const char *content)
{
	char buf[1024];

	snprintf(
		buf, sizeof buf,
		"{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
		" \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"%s\","
		" \"petitioner\": {\"phone\": \"%s\"}, \"subject\": \"反映问题\", \"content\": \"%s\"}",
		ext, region, phone, content);
	T_CHECK(e2e_produce(t, ext, buf, strlen(buf)) == 0 && e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, case_for, (void *)ext, 120));
}

static int classified_count(struct e2e *t, void *arg)
{
	return e2e_count(t, "petition.classified") >= *(size_t *)arg;
}

/* Same petitioner, same matter: repeats; many people, one matter, one county: a cluster. */
static void t_repeat_and_cluster(void)
{
	static const char road[] = "我们小区门口的道路被挖开已经三个月了没有人来修，雨天全是泥水，"
				   "老人孩子出行很不方便，请尽快修复路面。";
	char ext[32], phone[16];
	size_t want = 8;
	json_t *c;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "similar") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	for (int i = 0; i < 3; i++) { /* one petitioner, three times, county 330381 */
		snprintf(ext, sizeof ext, "rep-%d", i);
		publish_text(&t, ext, "13900139000", "330381", road);
	}
	for (int i = 0; i < 5; i++) { /* five people, county 330382 */
		snprintf(ext, sizeof ext, "cl-%d", i);
		snprintf(phone, sizeof phone, "1370000000%d", i);
		publish_text(&t, ext, phone, "330382", road);
	}
	e2e_collect_until(&t, classified_count, &want, 60);
	c = classified(&t, "rep-2");
	if (T_CHECK(c != NULL)) {
		T_INTEQ(json_integer_value(json_object_get(json_object_get(c, "repeat"), "count")),
			2);
		T_INTEQ(json_array_size(json_object_get(json_object_get(c, "repeat"), "related")),
			2);
	}
	c = classified(&t, "cl-3");
	T_CHECK(c && json_is_null(json_object_get(c, "cluster_id")));
	c = classified(&t, "cl-4"); /* the fifth completes the cluster */
	if (T_CHECK(c != NULL)) {
		T_CHECK(json_is_string(json_object_get(c, "cluster_id")));
		T_STREQ(json_string_value(json_object_get(json_object_get(c, "risk"), "level")),
			"B");
	}
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_similar, { "repeat_and_cluster", t_repeat_and_cluster })
/* clang-format on */
