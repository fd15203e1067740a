/* Unit tests for services/dispatch/caseops.c and deadline.c: the assignment message, the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dispatch/caseops.h"
#include "dispatch/deadline.h"
#include "rules.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

#define CASE "XF-330381-20261122-000123"
/* 2026-11-22T10:00:00+08:00 */
#define NOW ((time_t)1795312800)

/*
 * 瑞安市 (330381): 人社局, 住建局, 信访局. Labour goes to 人社局 with 住建局
 * as co-handler within 30 days; everything else to 信访局; triage by code.
 */
static const char rules_text[] =
	"{'schema': 'xf.rules.v1', 'version': '2026-11-22.1',"
	" 'departments': ["
	"  {'code': 'ruian-rsj', 'name': '瑞安市人力资源和社会保障局', 'region': '330381',"
	"   'level': 'county', 'kind': 'rsj'},"
	"  {'code': 'ruian-zjj', 'name': '瑞安市住房和城乡建设局', 'region': '330381',"
	"   'level': 'county', 'kind': 'zjj'},"
	"  {'code': 'ruian-xfj', 'name': '瑞安市信访局', 'region': '330381',"
	"   'level': 'county', 'kind': 'xfj'}],"
	" 'rules': ["
	"  {'id': 'labor', 'priority': 100,"
	"   'when': {'category': ['labor_social_security'], 'region_prefix': ['3303']},"
	"   'assign': {'kind': 'rsj', 'level': 'county'}, 'co_handlers': ['ruian-zjj'],"
	"   'deadline_days': 30},"
	"  {'id': 'catch-all', 'priority': 1000, 'assign': {'kind': 'xfj', 'level': 'county'}}],"
	" 'triage': {'department': 'ruian-xfj'}}";

/* A classified petition of category in region, risk level (NULL: none). */
static json_t *petition(const char *category, const char *region, const char *risk)
{
	json_t *p = t_jq("{'schema': 'xf.petition.v1', 'case_id': '" CASE "',"
			 " 'source': {'system': 'wz12345', 'channel': 'hotline'},"
			 " 'external_id': 'WO-1', 'subject': '拖欠工资', 'content': '三个月',"
			 " 'received_at': '2026-11-22T10:00:00+08:00',"
			 " 'classification': {'confidence': 0.9, 'collective': false,"
			 "  'emotion': {'intensity': 20}, 'repeat': {'count': 0, 'related': []},"
			 "  'keywords': ['工资'], 'model': 'kw-1'}}");
	json_t *cls = json_object_get(p, "classification");

	json_object_set_new(p, "region_code", json_string(region));
	json_object_set_new(cls, "category", json_string(category));
	if (risk)
		json_object_set_new(cls, "risk",
				    json_pack("{s:s, s:[]}", "level", risk, "reasons"));
	return p;
}

static struct rules_set *rules(void)
{
	json_t *doc = t_jq(rules_text);
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs = rules_parse(doc, &err);

	if (!T_CHECK(rs != NULL))
		fprintf(stderr, "    rules: %s\n", err.buf);
	json_decref(doc);
	sbuf_release(&err);
	return rs;
}

static const char *str(json_t *j, const char *key, const char *sub)
{
	j = json_object_get(j, key);
	return json_string_value(sub ? json_object_get(j, sub) : j);
}

static void t_assignment_id(void)
{
	char id[160];

	caseops_assignment_id(CASE, 1, "lead", "ruian-rsj", id, sizeof id);
	T_STREQ(id, CASE "-A1");
	caseops_assignment_id(CASE, 3, "lead", "ruian-xfj", id, sizeof id);
	T_STREQ(id, CASE "-A3");
	caseops_assignment_id(CASE, 1, "co", "ruian-zjj", id, sizeof id);
	T_STREQ(id, CASE "-A1-ruian-zjj");
	caseops_assignment_id(CASE, 2, "co", "ruian-zjj", id, sizeof id);
	T_STREQ(id, CASE "-A2-ruian-zjj");
	caseops_assignment_id(CASE, 12, "co", "x", id, 10); /* cut, terminated */
	T_STREQ(id, "XF-330381");
}

/* The lead's assignment under the labor rule: every field. */
static void t_assignment_lead(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("labor_social_security", "330381001", "B");
	struct rules_decision dec;
	struct sbuf err = SBUF_INIT;
	json_t *a;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, &err), 0)) {
		rules_free(rs);
		json_decref(p);
		sbuf_release(&err);
		return;
	}
	T_STREQ(dec.lead->code, "ruian-rsj");
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	if (T_CHECK(a != NULL)) {
		T_STREQ(str(a, "schema", NULL), "xf.assignment.v1");
		T_STREQ(str(a, "case_id", NULL), CASE);
		T_STREQ(str(a, "assignment_id", NULL), CASE "-A1");
		T_STREQ(str(a, "department", NULL), "ruian-rsj");
		T_STREQ(str(a, "role", NULL), "lead");
		T_INTEQ(json_array_size(json_object_get(a, "co_handlers")), 1);
		T_STREQ(json_string_value(json_array_get(json_object_get(a, "co_handlers"), 0)),
			"ruian-zjj");
		T_STREQ(str(a, "category", NULL), "labor_social_security");
		T_STREQ(str(a, "risk", NULL), "B");
		T_STREQ(str(a, "deadlines", "accept_by"), "2026-12-07T10:00:00+08:00");
		T_STREQ(str(a, "deadlines", "resolve_by"), "2026-12-22T10:00:00+08:00");
		T_STREQ(str(a, "rule", "id"), "labor");
		T_STREQ(str(a, "rule", "version"), "2026-11-22.1");
		T_INTEQ(json_integer_value(json_object_get(a, "attempt")), 1);
		T_CHECK(json_equal(json_object_get(a, "explain"), dec.explain));
		T_CHECK(json_equal(json_object_get(a, "petition"), p));
		T_STREQ(str(json_object_get(a, "petition"), "classification", "category"),
			"labor_social_security");
		T_CHECK(json_is_object(json_object_get(a, "explain")));
		json_decref(a);
	}
	T_INTEQ(p->refcount, 1); /* borrowed */
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
	sbuf_release(&err);
}

/* The co-handler's assignment: its own id, department and role. */
static void t_assignment_co(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("labor_social_security", "330381", "C");
	struct rules_decision dec;
	json_t *a;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	if (T_INTEQ(dec.nco, 1)) {
		a = caseops_assignment(p, &dec, rs, dec.co[0], "co", 2, NOW);
		T_STREQ(str(a, "assignment_id", NULL), CASE "-A2-ruian-zjj");
		T_STREQ(str(a, "department", NULL), "ruian-zjj");
		T_STREQ(str(a, "role", NULL), "co");
		T_INTEQ(json_integer_value(json_object_get(a, "attempt")), 2);
		T_STREQ(json_string_value(json_array_get(json_object_get(a, "co_handlers"), 0)),
			"ruian-zjj");
		T_STREQ(str(a, "rule", "id"), "labor");
		T_STREQ(str(a, "deadlines", "resolve_by"), "2026-12-22T10:00:00+08:00");
		json_decref(a);
	}
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

/*
 * The catch-all has no deadline_days: 60 days (条例 第三十四条). Dispatched
 * at 00:30 CST, just after UTC+8 midnight: the days count in CST.
 */
static void t_assignment_default_deadline(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("environment", "330381", NULL);
	struct rules_decision dec;
	time_t now = 1795278600; /* 2026-11-21T16:30:00Z */
	json_t *a;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, now);
	T_STREQ(str(a, "department", NULL), "ruian-xfj");
	T_STREQ(str(a, "rule", "id"), "catch-all");
	T_STREQ(str(a, "deadlines", "accept_by"), "2026-12-07T00:30:00+08:00");
	T_STREQ(str(a, "deadlines", "resolve_by"), "2027-01-21T00:30:00+08:00");
	T_STREQ(str(a, "risk", NULL), "C"); /* no risk in the petition */
	T_INTEQ(json_array_size(json_object_get(a, "co_handlers")), 0);
	T_CHECK(json_is_array(json_object_get(a, "co_handlers")));
	json_decref(a);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

/* No rule resolves outside 瑞安: triage, rule id "triage", 60 days. */
static void t_assignment_triage(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("environment", "330302", "B");
	struct rules_decision dec;
	json_t *a;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	T_INTEQ(dec.triage, 1);
	T_CHECK(dec.rule == NULL);
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	T_STREQ(str(a, "department", NULL), "ruian-xfj");
	T_STREQ(str(a, "rule", "id"), "triage");
	T_STREQ(str(a, "rule", "version"), "2026-11-22.1");
	T_STREQ(str(a, "deadlines", "accept_by"), "2026-12-07T10:00:00+08:00");
	T_STREQ(str(a, "deadlines", "resolve_by"), "2027-01-21T10:00:00+08:00");
	json_decref(a);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

/* The same decision at the same time gives the same message. */
static void t_assignment_stable(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("labor_social_security", "330381", "B");
	struct rules_decision dec;
	json_t *a, *b;
	char *ta, *tb;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	b = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	tb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	T_STREQ(ta, tb);
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

/*
 * rules_decide() routes a petition whose classification lacks category or
 * risk (the catch-all needs neither); its assignment must still be built.
 */
static void t_assignment_sparse_classification(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("environment", "330381", NULL);
	struct rules_decision dec;
	json_t *a;

	json_object_del(json_object_get(p, "classification"), "category");
	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	T_STREQ(dec.rule ? dec.rule->id : "", "catch-all");
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	if (T_CHECK(a != NULL)) {
		T_STREQ(str(a, "assignment_id", NULL), CASE "-A1");
		T_STREQ(str(a, "department", NULL), "ruian-xfj");
		T_STREQ(str(a, "risk", NULL), "C");
		T_CHECK(json_object_get(a, "category") != NULL);
	}
	json_decref(a);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

static time_t at_cst(const char *s)
{
	time_t t = 0;

	time_parse_rfc3339(s, &t);
	return t;
}

/*
 * The deadline clock with the 2026 calendar: accept_by 09-29 10:00 after
 * an assignment on 09-14 10:00 warns at 80% (09-26 10:00), is overdue at
 * 09-29 10:00 and supervised 3 working days later, after 国庆: 10-09.
 */
static void t_clock_plan(void)
{
	struct deadline_conf d;
	struct deadline_plan p;
	struct sbuf err = SBUF_INIT;
	json_t *notice = calendar_default_notice();
	time_t start = at_cst("2026-09-14T10:00:00+08:00");
	time_t accept_by = at_cst("2026-09-29T10:00:00+08:00");
	time_t resolve_by = at_cst("2026-11-13T10:00:00+08:00");
	struct calendar *cal = calendar_new();

	memset(&d, 0, sizeof d);
	d.warn_pct = 80;
	d.supervise_workdays = 3;
	d.cal = cal;
	T_INTEQ(calendar_add_notice(cal, notice, &err), 0);
	deadline_plan(&d, CASE_ASSIGNED, start, accept_by, resolve_by, &p);
	T_CHECK(p.running);
	T_STREQ(p.deadline, "accept");
	T_INTEQ(p.at[0], at_cst("2026-09-26T10:00:00+08:00"));
	T_INTEQ(p.at[1], accept_by);
	T_INTEQ(p.at[2], at_cst("2026-10-09T10:00:00+08:00"));
	T_INTEQ(deadline_stage_at(&p, at_cst("2026-09-26T09:59:59+08:00")), 0);
	T_INTEQ(deadline_stage_at(&p, at_cst("2026-09-26T10:00:00+08:00")), 1);
	T_INTEQ(deadline_stage_at(&p, at_cst("2026-10-08T12:00:00+08:00")), 2);
	T_INTEQ(deadline_stage_at(&p, at_cst("2026-10-09T10:00:00+08:00")), 3);
	/* accepted: the resolve deadline runs; closed cases have no clock */
	deadline_plan(&d, CASE_ACCEPTED, start, accept_by, resolve_by, &p);
	T_STREQ(p.deadline, "resolve");
	T_INTEQ(p.at[1], resolve_by);
	deadline_plan(&d, CASE_RATED, start, accept_by, resolve_by, &p);
	T_CHECK(!p.running);
	T_INTEQ(deadline_stage_at(&p, resolve_by + 86400 * 30), 0);
	/* without the notice 10-02 would be the third working day */
	calendar_free(cal);
	d.cal = cal = calendar_new();
	deadline_plan(&d, CASE_ASSIGNED, start, accept_by, resolve_by, &p);
	T_INTEQ(p.at[2], at_cst("2026-10-02T10:00:00+08:00"));
	calendar_free(cal);
	json_decref(notice);
	sbuf_release(&err);
}

/*
 * A new case's messages in the batch: each assignment (lead and co-handler,
 * with a petition text needing escapes) is byte for byte the compact dump
 * of caseops_assignment(), on its topic and in the write's replay.
 */
static void t_assign_messages(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("labor_social_security", "330381001", "B");
	struct calendar *cal = calendar_new();
	struct caseops_env env;
	struct outbox ob = OUTBOX_INIT;
	struct caseops co;
	struct rules_decision dec;
	struct sbuf err = SBUF_INIT;
	size_t seen = 0;

	json_object_set_new(p, "content", json_string("三个月 \"未付\"\n\t\\ \x01 end"));
	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, &err), 0)) {
		rules_free(rs);
		json_decref(p);
		calendar_free(cal);
		sbuf_release(&err);
		return;
	}
	memset(&env, 0, sizeof env);
	env.rules = rs;
	env.clock.warn_pct = 80;
	env.clock.cal = cal;
	caseops_init(&co, &env, &ob);
	caseops_case_new(&co, p, &dec, NOW);
	caseops_assign(&co, p, &dec, dec.lead, "lead", 1, NOW, caseops_accept_by(NOW),
		       caseops_resolve_by(&dec, NOW));
	caseops_assign(&co, p, &dec, dec.co[0], "co", 1, NOW, caseops_accept_by(NOW),
		       caseops_resolve_by(&dec, NOW));
	for (size_t i = 0; i < ob.n; i++) {
		const struct rules_dept *dept = strcmp(ob.v[i].topic, "assignments.ruian-rsj")
							? dec.co[0]
							: dec.lead;
		json_t *a = caseops_assignment(p, &dec, rs, dept, dept == dec.lead ? "lead" : "co",
					       1, NOW);
		char *want = json_dumps(a, JSON_COMPACT);

		T_STREQ(ob.v[i].value, want);
		seen++;
		free(want);
		json_decref(a);
	}
	T_INTEQ(seen, 2);
	caseops_release(&co);
	outbox_release(&ob);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
	calendar_free(cal);
	sbuf_release(&err);
}

/* 关联政策 and 历史处置: the classification's related policies and what it
 * found of the history, under its own names, with a summary; a first
 * petition without policies gets [] and 首次信访. */
static void t_assignment_policies_history(void)
{
	struct rules_set *rs = rules();
	json_t *p = petition("labor_social_security", "330381", "C");
	json_t *cls = json_object_get(p, "classification"), *a, *h;
	struct rules_decision dec;

	if (!rs || !T_INTEQ(rules_decide(rs, p, &dec, NULL), 0)) {
		rules_free(rs);
		json_decref(p);
		return;
	}
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	T_CHECK(json_is_array(json_object_get(a, "related_policies")) &&
		json_array_size(json_object_get(a, "related_policies")) == 0);
	h = json_object_get(a, "history");
	T_INTEQ(json_integer_value(json_object_get(json_object_get(h, "repeat"), "count")), 0);
	T_CHECK(json_is_null(json_object_get(h, "cluster_id")));
	T_CHECK(json_is_false(json_object_get(h, "collective")));
	T_STREQ(str(h, "summary", NULL), "首次信访: 未发现此前同一事项");
	json_decref(a);
	json_object_set_new(cls, "related_policies",
			    t_jq("[{'id': 'wage-3', 'title': '保障农民工工资支付条例',"
				 " 'article': '第三条'}]"));
	json_object_set_new(cls, "repeat",
			    t_jq("{'count': 2, 'related': ['XF-330381-20261001-000007',"
				 " 'XF-330381-20261020-000011']}"));
	json_object_set_new(cls, "cluster_id", json_string("330381-c1"));
	a = caseops_assignment(p, &dec, rs, dec.lead, "lead", 1, NOW);
	T_CHECK(json_equal(json_object_get(a, "related_policies"),
			   json_object_get(cls, "related_policies")));
	h = json_object_get(a, "history");
	T_CHECK(json_equal(json_object_get(h, "repeat"), json_object_get(cls, "repeat")));
	T_STREQ(str(h, "cluster_id", NULL), "330381-c1");
	T_STREQ(str(h, "summary", NULL),
		"重复信访: 此前同一事项 2 次 (XF-330381-20261001-000007, "
		"XF-330381-20261020-000011); 同一地区相似诉求聚集 330381-c1");
	json_decref(a);
	rules_decision_release(&dec);
	rules_free(rs);
	json_decref(p);
}

/* clang-format off */
T_SUITE(dispatch,
	{ "clock_plan", t_clock_plan },
	{ "assignment_id", t_assignment_id },
	{ "assignment_lead", t_assignment_lead },
	{ "assignment_co", t_assignment_co },
	{ "assignment_default_deadline", t_assignment_default_deadline },
	{ "assignment_triage", t_assignment_triage },
	{ "assignment_stable", t_assignment_stable },
	{ "assignment_sparse_classification", t_assignment_sparse_classification },
	{ "assign_messages", t_assign_messages },
	{ "assignment_policies_history", t_assignment_policies_history })
/* clang-format on */
