/* test_rules.c - the routing rules engine (domain/rules.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules.h"
#include "sbuf.h"
#include "tharness.h"

/*
 * A small realistic rule set: 瑞安市 (county 330381) with its 人社局, 住建局
 * and 信访局, the 安阳街道 (township 330381001), 温州市信访局 (city 3303) and
 * 鹿城区人社局 (county 330302). JSON is written with ' for " to stay readable.
 */
static const char rules_text[] =
	"{'schema': 'xf.rules.v1', 'version': '2026-11-22.1',"
	" 'departments': ["
	"  {'code': 'ruian-rsj', 'name': '瑞安市人力资源和社会保障局', 'region': '330381',"
	"   'level': 'county', 'kind': 'rsj', 'capacity': 300, 'webhook': null},"
	"  {'code': 'ruian-zjj', 'name': '瑞安市住房和城乡建设局', 'region': '330381',"
	"   'level': 'county', 'kind': 'zjj', 'capacity': 200},"
	"  {'code': 'ruian-xfj', 'name': '瑞安市信访局', 'region': '330381',"
	"   'level': 'county', 'kind': 'xfj', 'capacity': 100},"
	"  {'code': 'ruian-anyang', 'name': '瑞安市安阳街道办事处', 'region': '330381001',"
	"   'level': 'township', 'kind': 'jd', 'capacity': 50},"
	"  {'code': 'wenzhou-xfj', 'name': '温州市信访局', 'region': '3303',"
	"   'level': 'city', 'kind': 'xfj', 'capacity': 500,"
	"   'webhook': 'https://xf.wenzhou.example/hook'},"
	"  {'code': 'lucheng-rsj', 'name': '温州市鹿城区人力资源和社会保障局',"
	"   'region': '330302', 'level': 'county', 'kind': 'rsj', 'capacity': 300}],"
	" 'rules': ["
	"  {'id': 'catch-all', 'priority': 1000, 'assign': {'kind': 'xfj', 'level': 'county'}},"
	"  {'id': 'labor', 'priority': 100,"
	"   'when': {'category': ['labor_social_security'], 'region_prefix': ['3303']},"
	"   'assign': {'kind': 'rsj', 'level': 'county'}, 'co_handlers': [], 'deadline_days': 60},"
	"  {'id': 'high-risk', 'priority': 10, 'when': {'risk': ['A']},"
	"   'assign': {'department': 'wenzhou-xfj'}, 'co_handlers': ['ruian-xfj'],"
	"   'deadline_days': 30},"
	"  {'id': 'housing', 'priority': 200, 'when': {'category': ['urban_construction']},"
	"   'assign': {'kind': 'zjj', 'level': 'county'}, 'co_handlers': ['ruian-anyang']},"
	"  {'id': 'street', 'priority': 300, 'when': {'keywords_any': ['噪音']},"
	"   'assign': {'kind': 'jd', 'level': 'township'}}],"
	" 'triage': {'kind': 'xfj', 'level': 'city'}}";

/* A labour petition from 安阳街道, risk B, classified. */
static const char petition_text[] =
	"{'schema': 'xf.petition.v1', 'case_id': 'XF-330381-20261122-000123',"
	" 'region_code': '330381001', 'subject': '拖欠工资',"
	" 'content': '公司拖欠三个月工资，要求支付。',"
	" 'source': {'system': 'wz12345', 'channel': 'hotline'},"
	" 'classification': {'category': 'labor_social_security', 'confidence': 0.91,"
	"  'emotion': {'intensity': 75}, 'risk': {'level': 'B', 'reasons': []},"
	"  'repeat': {'count': 2, 'related': []}, 'collective': false,"
	"  'keywords': ['欠薪', '劳动合同']}}";

/* The child of j at one path step (object key or array index). */
static json_t *step(json_t *j, const char *key)
{
	if (json_is_array(j))
		return json_array_get(j, strtoul(key, NULL, 10));
	return json_object_get(j, key);
}

/* Sets root at "a/b/0/c" to the value written in jq form, or deletes it if NULL. */
static void set_path(json_t *root, const char *path, const char *value)
{
	char *p = strdup(path), *key = p, *slash;
	json_t *parent = root, *v = value ? t_jq(value) : NULL;

	while ((slash = strchr(key, '/'))) {
		*slash = '\0';
		parent = step(parent, key);
		key = slash + 1;
	}
	if (json_is_array(parent) && v)
		json_array_set_new(parent, strtoul(key, NULL, 10), v);
	else if (json_is_array(parent))
		json_array_remove(parent, strtoul(key, NULL, 10));
	else if (v)
		json_object_set_new(parent, key, v);
	else
		json_object_del(parent, key);
	free(p);
}

static struct rules_set *parse_text(const char *text)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = t_jq(text);
	struct rules_set *rs = rules_parse(doc, &err);

	if (!T_CHECK(rs != NULL))
		fprintf(stderr, "    err: %s\n", err.buf);
	json_decref(doc); /* the set keeps its own reference */
	sbuf_release(&err);
	return rs;
}

/* Decides petition_text changed at path (NULL: unchanged); returns rules_decide's result. */
static int decide_with(const struct rules_set *rs, const char *path, const char *value,
		       struct rules_decision *dec, struct sbuf *err)
{
	json_t *p = t_jq(petition_text);
	int rc;

	if (path)
		set_path(p, path, value);
	rc = rules_decide(rs, p, dec, err);
	json_decref(p);
	return rc;
}

static const char *explain_str(const struct rules_decision *dec, const char *key)
{
	return json_string_value(json_object_get(dec->explain, key));
}

/* considered[i].result of a decision. */
static const char *considered(const struct rules_decision *dec, size_t i)
{
	json_t *c = json_array_get(json_object_get(dec->explain, "considered"), i);

	return json_string_value(json_object_get(c, "result"));
}

static void t_parse_ok(void)
{
	static const char *const order[] = { "high-risk", "labor", "housing", "street",
					     "catch-all" };
	struct rules_set *rs = parse_text(rules_text);
	const struct rules_dept *d;

	if (!rs)
		return;
	T_STREQ(rs->version, "2026-11-22.1");
	T_INTEQ(rs->ndepts, 6);
	T_INTEQ(rs->nrules, 5);
	for (size_t i = 0; i < 5; i++)
		T_STREQ(rs->rules[i].id, order[i]);
	T_CHECK(rs->rules[4].when == NULL);
	T_INTEQ(rs->rules[0].deadline_days, 30);
	T_INTEQ(rs->rules[1].deadline_days, 60);
	T_INTEQ(rs->rules[2].deadline_days, 60); /* default */
	T_INTEQ(rs->rules[0].nco, 1);
	T_STREQ(rs->rules[0].co_handlers[0], "ruian-xfj");
	T_STREQ(rs->rules[0].assign.department, "wenzhou-xfj");
	T_STREQ(rs->rules[1].assign.kind, "rsj");
	T_STREQ(rs->triage.level, "city");
	d = rules_dept_find(rs, "wenzhou-xfj");
	T_CHECK(d && d->capacity == 500 && !strcmp(d->region, "3303"));
	T_STREQ(d ? d->webhook : NULL, "https://xf.wenzhou.example/hook");
	d = rules_dept_find(rs, "ruian-rsj");
	T_CHECK(d && d->webhook == NULL && !strcmp(d->name, "瑞安市人力资源和社会保障局"));
	T_CHECK(rules_dept_find(rs, "nobody") == NULL);
	T_CHECK(rules_dept_find(rs, NULL) == NULL);
	rules_free(rs);
	rules_free(NULL);
}

static void t_catch_all_empty_when(void)
{
	json_t *doc = t_jq(rules_text);
	struct rules_set *rs;

	set_path(doc, "rules/0/when", "{}");
	rs = rules_parse(doc, NULL);
	T_CHECK(rs != NULL);
	T_CHECK(rs && rs->rules[4].when == NULL);
	rules_free(rs);
	json_decref(doc);
}

struct refusal {
	const char *path, *value; /* value NULL: delete */
	const char *want;         /* substring of the error */
};

static const struct refusal refusals[] = {
	{ "rules/0/when", "{'channel': ['hotline']}", "rules: no catch-all rule" },
	{ "rules/2/id", "'labor'", "rule \"labor\": id \"labor\" is used twice (rules #2 and #3)" },
	{ "departments/1/code", "'ruian-rsj'",
	  "department \"ruian-rsj\": code \"ruian-rsj\" is used twice (departments #1 and #2)" },
	{ "departments/5/code", "'Lucheng RSJ'",
	  "department \"Lucheng RSJ\": code \"Lucheng RSJ\" is not usable in a Kafka topic name" },
	{ "departments/5/code",
	  "'a2345678901234567890123456789012345678901234567890123456789012345'",
	  "is not usable in a Kafka topic name" }, /* 65 characters */
	{ "departments/0/region", "'33038'",
	  "department \"ruian-rsj\": region \"33038\" is not a division-code prefix" },
	{ "departments/0/region", "'990381'", "region \"990381\" is not a division-code prefix" },
	{ "departments/0/region", "'3303'",
	  "department \"ruian-rsj\": region \"3303\" does not fit level \"county\" (6 digits)" },
	{ "departments/3/region", "'330381'",
	  "department \"ruian-anyang\": region \"330381\" does not fit level \"township\" (9 digits)" },
	{ "departments/0/level", "'district'",
	  "department \"ruian-rsj\": level \"district\" is not province, city" },
	{ "departments/0/capacity", "-1",
	  "department \"ruian-rsj\": capacity is not a whole number" },
	{ "departments/0/webhook", "'ftp://x'",
	  "department \"ruian-rsj\": webhook \"ftp://x\" is not" },
	{ "departments/4/webhook", "'http://xf.wenzhou.example/hook'",
	  "department \"wenzhou-xfj\": webhook \"http://xf.wenzhou.example/hook\" is http: "
	  "webhooks must be https unless the department has \"local_testing\": true" },
	{ "departments/4/webhook_secret", "'hunter2-Secret'",
	  "department \"wenzhou-xfj\": webhook_secret is not a variable name" },
	{ "departments/4/webhook_secret", "'xf_webhook_secret_tax'",
	  "department \"wenzhou-xfj\": webhook_secret is not a variable name" },
	{ "departments/4/webhook_secret", "'XF_DATABASE_URL'",
	  "webhook_secret is not a variable name" },
	{ "departments/4/webhook_secret", "'XF_WEBHOOK_SECRET_'",
	  "webhook_secret is not a variable name" },
	{ "departments/4/local_testing", "'yes'",
	  "department \"wenzhou-xfj\": local_testing is not true or false" },
	{ "departments/2/name", NULL, "department \"ruian-xfj\": name is missing" },
	{ "departments/2/code", "7", "department #3: code is not a string" },
	{ "departments/2", "'oops'", "department #3: is not an object" },
	{ "departments", "{}", "departments is not a list" },
	{ "rules/2/assign/department", "'nobody'",
	  "rule \"high-risk\": assign.department \"nobody\" names no department" },
	{ "rules/1/assign/kind", "'rsjj'",
	  "rule \"labor\": assign.kind \"rsjj\" names no department kind" },
	{ "rules/1/assign/level", "'city'",
	  "rule \"labor\": assign: no department of kind \"rsj\" is at level \"city\"" },
	{ "rules/1/assign/level", "'ward'",
	  "rule \"labor\": assign.level \"ward\" is not province" },
	{ "rules/2/assign/kind", "'xfj'",
	  "rule \"high-risk\": assign gives more than one of department, kind and level, candidates, triage" },
	{ "rules/2/assign/triage", "true",
	  "rule \"high-risk\": assign gives more than one of department, kind and level, candidates, triage" },
	{ "rules/1/assign", "{'triage': false}", "rule \"labor\": assign.triage is not true" },
	{ "triage", "{'triage': true}", "triage.triage is only for a rule's assign" },
	{ "rules/1/assign", "{}",
	  "rule \"labor\": assign needs a department, or a kind and a level" },
	{ "rules/1/assign/level", NULL,
	  "rule \"labor\": assign needs a department, or a kind and a level" },
	{ "rules/1/assign", NULL, "rule \"labor\": assign is missing" },
	{ "rules/1/assign", "'rsj'", "rule \"labor\": assign is not an object" },
	{ "rules/1/assign/kind", "['rsj']", "rule \"labor\": assign.kind is not a string" },
	{ "rules/2/co_handlers/0", "'nobody'",
	  "rule \"high-risk\": co_handlers \"nobody\" names no department" },
	{ "rules/3/co_handlers", "['ruian-anyang', 'ruian-anyang']",
	  "rule \"housing\": co_handlers lists \"ruian-anyang\" twice" },
	{ "rules/2/co_handlers", "['wenzhou-xfj']",
	  "rule \"high-risk\": co_handlers \"wenzhou-xfj\" is the lead" },
	{ "rules/2/co_handlers", "'ruian-xfj'", "rule \"high-risk\": co_handlers is not a list" },
	{ "rules/2/co_handlers", "[3]", "rule \"high-risk\": co_handlers[0] is not a string" },
	{ "triage", NULL, "triage is missing" },
	{ "triage", "{'department': 'nobody'}",
	  "triage.department \"nobody\" names no department" },
	{ "triage/level", "'province'",
	  "triage: no department of kind \"xfj\" is at level \"province\"" },
	{ "triage/kind", "'fxj'", "triage.kind \"fxj\" names no department kind" },
	{ "rules/1/when/colour", "['red']",
	  "rule \"labor\": when.colour is not a test (category, region_prefix" },
	{ "rules/1/when/category", "'labor_social_security'",
	  "rule \"labor\": when.category is not a non-empty list" },
	{ "rules/1/when/category", "[]", "rule \"labor\": when.category is not a non-empty list" },
	{ "rules/1/when/category", "['labour']",
	  "rule \"labor\": when.category \"labour\" is not a category code" },
	{ "rules/1/when/category", "[1]", "rule \"labor\": when.category[0] is not a string" },
	{ "rules/1/when/region_prefix", "['330']",
	  "rule \"labor\": when.region_prefix \"330\" is not a division-code prefix" },
	{ "rules/2/when/risk", "['D']", "rule \"high-risk\": when.risk \"D\" is not A, B or C" },
	{ "rules/2/when/channel", "['fax']",
	  "rule \"high-risk\": when.channel \"fax\" is not a channel" },
	{ "rules/2/when/collective", "'yes'",
	  "rule \"high-risk\": when.collective is not true or false" },
	{ "rules/2/when/repeat_min", "-1",
	  "rule \"high-risk\": when.repeat_min is not a whole number >= 0" },
	{ "rules/2/when/repeat_min", "1.5", "when.repeat_min is not a whole number >= 0" },
	{ "rules/2/when/intensity_min", "150",
	  "rule \"high-risk\": when.intensity_min is not a number from 0 to 100" },
	{ "rules/2/when/keywords_any", "['']",
	  "rule \"high-risk\": when.keywords_any \"\" is not a non-empty string" },
	{ "rules/1/when", "[]", "rule \"labor\": when is not an object" },
	{ "rules/1/priority", "'high'",
	  "rule \"labor\": priority is not a whole number from 0 to" },
	{ "rules/1/priority", NULL, "rule \"labor\": priority is missing" },
	{ "rules/1/deadline_days", "0",
	  "rule \"labor\": deadline_days is not a whole number from 1 to 60" },
	{ "rules/1/deadline_days", "61",
	  "rule \"labor\": deadline_days is not a whole number from 1 to 60" },
	{ "rules/1/id", "5", "rule #2: id is not a string" },
	{ "rules/1/id", NULL, "rule #2: id is missing" },
	{ "rules/1", "'oops'", "rule #2: is not an object" },
	{ "rules", "{}", "rules is not a list" },
	{ "schema", "'xf.rules.v2'", "schema \"xf.rules.v2\" is not \"xf.rules.v1\"" },
	{ "version", NULL, "version is missing" },
	{ "version", "''", "version is empty" },
};

static void t_refusals(void)
{
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		const struct refusal *rf = &refusals[i];
		struct sbuf err = SBUF_INIT;
		json_t *doc = t_jq(rules_text);
		struct rules_set *rs;

		set_path(doc, rf->path, rf->value);
		rs = rules_parse(doc, &err);
		if (!T_CHECK(rs == NULL) || !T_CHECK(strstr(err.buf, rf->want) != NULL))
			fprintf(stderr, "    case %s=%s\n    got: %s\n    want: %s\n", rf->path,
				rf->value ? rf->value : "(deleted)", err.buf, rf->want);
		rules_free(rs);
		rs = rules_parse(doc, NULL); /* no error buffer: still refused */
		T_CHECK(rs == NULL);
		rules_free(rs);
		json_decref(doc);
		sbuf_release(&err);
	}
}

/* A clear secret is refused without being echoed; a local test receiver may be http. */
static void t_webhook_fields(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = t_jq(rules_text);
	struct rules_set *rs;
	const struct rules_dept *d;

	set_path(doc, "departments/4/webhook_secret", "'hunter2-Secret'");
	T_CHECK((rs = rules_parse(doc, &err)) == NULL);
	T_CHECK(strstr(err.buf, "hunter2") == NULL);
	rules_free(rs);
	set_path(doc, "departments/4/webhook_secret", "'XF_WEBHOOK_SECRET_WZ'");
	set_path(doc, "departments/4/webhook", "'http://127.0.0.1:8099/hook'");
	set_path(doc, "departments/4/local_testing", "true");
	sbuf_reset(&err);
	rs = rules_parse(doc, &err);
	T_STREQ(err.buf, "");
	d = rs ? rules_dept_find(rs, "wenzhou-xfj") : NULL;
	T_STREQ(d ? d->webhook_secret : NULL, "XF_WEBHOOK_SECRET_WZ");
	T_INTEQ(d ? d->local_testing : -1, 1);
	d = rs ? rules_dept_find(rs, "ruian-xfj") : NULL;
	T_CHECK(d && !d->webhook_secret && !d->local_testing);
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
}

static void t_refusal_all_reported(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = t_jq(rules_text);

	set_path(doc, "rules/1/assign/kind", "'rsjj'");
	set_path(doc, "departments/0/region", "'3303'");
	sbuf_adds(&err, "earlier");
	T_CHECK(rules_parse(doc, &err) == NULL);
	T_CHECK(strncmp(err.buf, "earlier; ", 9) == 0);
	T_CHECK(strstr(err.buf, "; department \"ruian-rsj\": region \"3303\" does not fit") !=
		NULL);
	T_CHECK(strstr(err.buf, "; rule \"labor\": assign.kind \"rsjj\"") != NULL);
	json_decref(doc);
	sbuf_release(&err);
}

static void t_refusal_not_object(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *arr = json_array();

	T_CHECK(rules_parse(arr, &err) == NULL);
	T_STREQ(err.buf, "rules document is not a JSON object");
	T_CHECK(rules_parse(NULL, NULL) == NULL);
	json_decref(arr);
	sbuf_release(&err);
}

static void t_priority_order(void)
{
	struct rules_set *rs = parse_text(rules_text);
	struct rules_decision dec;

	if (!rs)
		return;
	/* risk A: high-risk (10) wins over labor (100), though later in the file */
	T_INTEQ(decide_with(rs, "classification/risk/level", "'A'", &dec, NULL), 0);
	T_STREQ(dec.rule ? dec.rule->id : NULL, "high-risk");
	T_STREQ(dec.lead->code, "wenzhou-xfj");
	T_INTEQ(json_array_size(json_object_get(dec.explain, "considered")), 1);
	rules_decision_release(&dec);
	/* risk B: high-risk does not match, labor does */
	T_INTEQ(decide_with(rs, NULL, NULL, &dec, NULL), 0);
	T_STREQ(dec.rule ? dec.rule->id : NULL, "labor");
	T_STREQ(considered(&dec, 0), "no match: risk");
	T_STREQ(considered(&dec, 1), "matched");
	rules_decision_release(&dec);
	rules_free(rs);
}

static void t_priority_ties_file_order(void)
{
	struct rules_set *rs = parse_text(
		"{'schema': 'xf.rules.v1', 'version': 't', 'departments': ["
		"  {'code': 'a', 'name': 'A', 'region': '33', 'level': 'province', 'kind': 'x'}],"
		" 'rules': [{'id': 'z', 'priority': 5, 'assign': {'department': 'a'}},"
		"  {'id': 'y', 'priority': 5, 'assign': {'department': 'a'}},"
		"  {'id': 'first', 'priority': 1, 'assign': {'department': 'a'}},"
		"  {'id': 'x', 'priority': 5, 'assign': {'department': 'a'}}],"
		" 'triage': {'department': 'a'}}");

	if (!rs)
		return;
	T_STREQ(rs->rules[0].id, "first");
	T_STREQ(rs->rules[1].id, "z");
	T_STREQ(rs->rules[2].id, "y");
	T_STREQ(rs->rules[3].id, "x");
	rules_free(rs);
}

/* One rule "t" with the test under trial, then "rest" (a catch-all). */
static const char one_rule_text[] =
	"{'schema': 'xf.rules.v1', 'version': 't', 'departments': ["
	"  {'code': 'ruian-rsj', 'name': 'R', 'region': '330381', 'level': 'county', 'kind': 'rsj'},"
	"  {'code': 'ruian-xfj', 'name': 'X', 'region': '330381', 'level': 'county', 'kind': 'xfj'}],"
	" 'rules': [{'id': 't', 'priority': 1, 'when': {}, 'assign': {'department': 'ruian-rsj'}},"
	"  {'id': 'rest', 'priority': 2, 'assign': {'department': 'ruian-xfj'}}],"
	" 'triage': {'department': 'ruian-xfj'}}";

struct when_case {
	const char *when;
	const char *fails; /* the test reported as not holding; NULL: the rule matches */
};

static const struct when_case when_cases[] = {
	{ "{'category': ['labor_social_security']}", NULL },
	{ "{'category': ['health', 'transport']}", "category" },
	{ "{'region_prefix': ['33', '3303']}", NULL },
	{ "{'region_prefix': ['330381001']}", NULL },
	{ "{'region_prefix': ['3301', '330381002']}", "region_prefix" },
	{ "{'risk': ['A', 'B']}", NULL },
	{ "{'risk': ['A']}", "risk" },
	{ "{'channel': ['hotline']}", NULL },
	{ "{'channel': ['web', 'app']}", "channel" },
	{ "{'collective': false}", NULL },
	{ "{'collective': true}", "collective" },
	{ "{'repeat_min': 2}", NULL },
	{ "{'repeat_min': 3}", "repeat_min" },
	{ "{'intensity_min': 75}", NULL },
	{ "{'intensity_min': 75.5}", "intensity_min" },
	{ "{'keywords_any': ['噪音', '拖欠']}", NULL }, /* in the subject */
	{ "{'keywords_any': ['三个月']}", NULL },       /* in the content */
	{ "{'keywords_any': ['劳动合同']}", NULL },     /* a classification keyword */
	{ "{'keywords_any': ['噪音', '合同']}", "keywords_any" },
	{ "{'category': ['labor_social_security'], 'risk': ['C'], 'channel': ['hotline']}",
	  "risk" },
	{ "{'category': ['labor_social_security'], 'region_prefix': ['3303'], 'risk': ['B'],"
	  " 'channel': ['hotline'], 'collective': false, 'repeat_min': 1, 'intensity_min': 50,"
	  " 'keywords_any': ['工资']}",
	  NULL },
};

/* Decides petition (borrowed) under one_rule_text with rule t's when set to `when`. */
static void check_when(const char *when, json_t *petition, const char *fails)
{
	json_t *doc = t_jq(one_rule_text);
	struct rules_set *rs;
	struct rules_decision dec;
	struct sbuf want = SBUF_INIT;

	set_path(doc, "rules/0/when", when);
	rs = rules_parse(doc, NULL);
	if (T_CHECK(rs != NULL) && T_INTEQ(rules_decide(rs, petition, &dec, NULL), 0)) {
		sbuf_addf(&want, "no match: %s", fails ? fails : "");
		if (!T_STREQ(dec.rule->id, fails ? "rest" : "t") ||
		    !T_STREQ(considered(&dec, 0), fails ? want.buf : "matched"))
			fprintf(stderr, "    case when=%s\n", when);
		rules_decision_release(&dec);
	}
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&want);
}

static void t_when_tests(void)
{
	json_t *petition = t_jq(petition_text);

	for (size_t i = 0; i < sizeof when_cases / sizeof when_cases[0]; i++)
		check_when(when_cases[i].when, petition, when_cases[i].fails);
	json_decref(petition);
}

/* A test whose petition field is absent or of the wrong type does not hold. */
static void t_when_fields_missing(void)
{
	static const char *const whens[] = {
		"{'category': ['other']}",  "{'region_prefix': ['33']}", "{'risk': ['C']}",
		"{'channel': ['hotline']}", "{'collective': false}",     "{'repeat_min': 0}",
		"{'intensity_min': 0}",     "{'keywords_any': ['x']}",
	};
	static const char *const fails[] = {
		"category",   "region_prefix", "risk",          "channel",
		"collective", "repeat_min",    "intensity_min", "keywords_any",
	};
	json_t *bare = t_jq("{'schema': 'xf.petition.v1'}");
	json_t *wrong = t_jq("{'region_code': 330381, 'subject': 1, 'content': [],"
			     " 'source': 'x', 'classification': {'category': 3, 'risk': 'C',"
			     " 'collective': 0, 'repeat': {'count': '2'}, 'emotion': null,"
			     " 'keywords': 'x'}}");

	for (size_t i = 0; i < sizeof whens / sizeof whens[0]; i++) {
		check_when(whens[i], bare, fails[i]);
		check_when(whens[i], wrong, fails[i]);
	}
	json_decref(bare);
	json_decref(wrong);
}

static void t_local_resolution(void)
{
	struct rules_set *rs = parse_text(rules_text);
	struct rules_decision dec;

	if (!rs)
		return;
	/* a township code resolves to the county bureau covering it, not 鹿城 */
	T_INTEQ(decide_with(rs, NULL, NULL, &dec, NULL), 0);
	T_STREQ(dec.lead->code, "ruian-rsj");
	rules_decision_release(&dec);
	T_INTEQ(decide_with(rs, "region_code", "'330302'", &dec, NULL), 0);
	T_STREQ(dec.lead->code, "lucheng-rsj");
	rules_decision_release(&dec);
	/* township level: 安阳街道, also for a village code under it */
	T_INTEQ(decide_with(rs, "content", "'夜间施工噪音扰民'", &dec, NULL), 0);
	T_STREQ(dec.lead->code, "ruian-rsj"); /* labor still wins on priority */
	rules_decision_release(&dec);
	T_INTEQ(decide_with(rs, "classification/category", "'environment'", &dec, NULL), 0);
	T_STREQ(dec.rule->id, "catch-all"); /* no 噪音: catch-all, county xfj (not the city) */
	T_STREQ(dec.lead->code, "ruian-xfj");
	rules_decision_release(&dec);
	rules_free(rs);
}

static void t_local_skips_unresolved(void)
{
	struct rules_set *rs = parse_text(rules_text);
	json_t *p = t_jq(petition_text);
	struct rules_decision dec;

	if (!rs)
		return;
	set_path(p, "classification/category", "'environment'");
	set_path(p, "content", "'夜间施工噪音扰民'");
	set_path(p, "region_code", "'330381001005'"); /* a village of 安阳街道 */
	T_INTEQ(rules_decide(rs, p, &dec, NULL), 0);
	T_STREQ(dec.rule->id, "street");
	T_STREQ(dec.lead->code, "ruian-anyang");
	rules_decision_release(&dec);
	set_path(p, "region_code", "'330381002'"); /* a township without a department */
	T_INTEQ(rules_decide(rs, p, &dec, NULL), 0);
	T_STREQ(dec.rule->id, "catch-all");
	T_STREQ(dec.lead->code, "ruian-xfj");
	T_INTEQ(dec.triage, 0);
	T_STREQ(considered(&dec, 3),
		"unresolved: no jd department at township level covers region 330381002");
	T_STREQ(considered(&dec, 4), "matched");
	rules_decision_release(&dec);
	json_decref(p);
	rules_free(rs);
}

static void t_co_handlers(void)
{
	struct rules_set *rs = parse_text(rules_text);
	struct rules_decision dec;

	if (!rs)
		return;
	T_INTEQ(decide_with(rs, "classification/risk/level", "'A'", &dec, NULL), 0);
	T_INTEQ(dec.nco, 1);
	T_STREQ(dec.nco ? dec.co[0]->code : NULL, "ruian-xfj");
	rules_decision_release(&dec);
	T_INTEQ(decide_with(rs, "classification/category", "'urban_construction'", &dec, NULL), 0);
	T_STREQ(dec.lead->code, "ruian-zjj");
	T_INTEQ(dec.nco, 1);
	T_STREQ(dec.nco ? dec.co[0]->code : NULL, "ruian-anyang");
	rules_decision_release(&dec);
	T_INTEQ(decide_with(rs, NULL, NULL, &dec, NULL), 0); /* labor: none */
	T_INTEQ(dec.nco, 0);
	rules_decision_release(&dec);
	rules_decision_release(&dec); /* releasing twice is harmless */
	rules_free(rs);
}

/* A co-handler that 属地 resolution makes the lead is left out. */
static void t_co_handler_same_as_lead(void)
{
	json_t *doc = t_jq(rules_text);
	struct rules_set *rs;
	struct rules_decision dec;

	set_path(doc, "rules/0/co_handlers", "['ruian-xfj', 'ruian-anyang']");
	rs = rules_parse(doc, NULL);
	json_decref(doc);
	if (!T_CHECK(rs != NULL))
		return;
	T_INTEQ(decide_with(rs, "classification/category", "'environment'", &dec, NULL), 0);
	T_STREQ(dec.lead->code, "ruian-xfj");
	T_INTEQ(dec.nco, 1);
	T_STREQ(dec.nco ? dec.co[0]->code : NULL, "ruian-anyang");
	rules_decision_release(&dec);
	rules_free(rs);
}

static void t_triage_fallback(void)
{
	struct rules_set *rs = parse_text(rules_text);
	struct rules_decision dec;
	json_t *cand;

	if (!rs)
		return;
	/* 瓯海区 330304: no county rsj or xfj there, so 温州市信访局 triages */
	T_INTEQ(decide_with(rs, "region_code", "'330304'", &dec, NULL), 0);
	T_CHECK(dec.rule == NULL);
	T_INTEQ(dec.triage, 1);
	T_STREQ(dec.lead->code, "wenzhou-xfj");
	T_INTEQ(dec.nco, 0);
	T_CHECK(json_is_null(json_object_get(dec.explain, "rule")));
	T_CHECK(json_is_true(json_object_get(dec.explain, "triage")));
	T_INTEQ(json_array_size(json_object_get(dec.explain, "matched")), 0);
	T_INTEQ(json_array_size(json_object_get(dec.explain, "considered")), 5);
	T_STREQ(considered(&dec, 1),
		"unresolved: no rsj department at county level covers region 330304");
	T_STREQ(considered(&dec, 4),
		"unresolved: no xfj department at county level covers region 330304");
	cand = json_array_get(json_object_get(dec.explain, "candidates"), 0);
	T_STREQ(json_string_value(json_object_get(cand, "department")), "wenzhou-xfj");
	T_INTEQ(json_integer_value(json_object_get(cand, "score")), 4);
	rules_decision_release(&dec);
	rules_free(rs);
}

/* A rule may send a case to triage: {"triage": true} resolves the triage target. */
static void t_assign_triage(void)
{
	json_t *doc = t_jq(rules_text);
	struct rules_set *rs;
	struct rules_decision dec;
	json_t *cand;

	set_path(doc, "rules/4",
		 "{'id': 'collective', 'priority': 5, 'when': {'collective': true},"
		 " 'assign': {'triage': true}, 'co_handlers': ['ruian-rsj']}");
	rs = rules_parse(doc, NULL);
	json_decref(doc);
	if (!T_CHECK(rs != NULL))
		return;
	T_CHECK(rs->rules[0].assign.triage == 1);
	T_INTEQ(decide_with(rs, "classification/collective", "true", &dec, NULL), 0);
	T_STREQ(dec.rule ? dec.rule->id : NULL, "collective");
	T_INTEQ(dec.triage, 1);
	T_STREQ(dec.lead->code, "wenzhou-xfj");
	T_STREQ(dec.nco ? dec.co[0]->code : NULL, "ruian-rsj");
	T_STREQ(json_string_value(json_object_get(json_object_get(dec.explain, "rule"), "id")),
		"collective");
	T_CHECK(json_is_true(json_object_get(dec.explain, "triage")));
	cand = json_array_get(json_object_get(dec.explain, "candidates"), 0);
	T_STREQ(json_string_value(json_object_get(cand, "department")), "wenzhou-xfj");
	rules_decision_release(&dec);
	T_INTEQ(decide_with(rs, NULL, NULL, &dec, NULL), 0); /* not collective: labor */
	T_STREQ(dec.rule ? dec.rule->id : NULL, "labor");
	T_INTEQ(dec.triage, 0);
	rules_decision_release(&dec);
	rules_free(rs);
}

static void t_triage_unresolved(void)
{
	struct rules_set *rs = parse_text(rules_text);
	struct sbuf err = SBUF_INIT;
	struct rules_decision dec;

	if (!rs)
		return;
	T_INTEQ(decide_with(rs, "region_code", "'110101'", &dec, &err), -1);
	T_STREQ(err.buf, "no rule resolves and neither does triage: "
			 "no xfj department at city level covers region 110101");
	T_CHECK(dec.explain == NULL && dec.co == NULL && dec.lead == NULL);
	sbuf_reset(&err);
	T_INTEQ(decide_with(rs, "region_code", NULL, &dec, &err), -1);
	T_STREQ(err.buf, "no rule resolves and neither does triage: petition has no region_code");
	sbuf_reset(&err);
	T_INTEQ(rules_decide(rs, NULL, &dec, &err), -1);
	T_STREQ(err.buf, "petition is not a JSON object");
	T_INTEQ(decide_with(rs, "region_code", "'110101'", &dec, NULL), -1); /* no err buffer */
	sbuf_release(&err);
	rules_free(rs);
}

static void t_explain(void)
{
	struct rules_set *rs = parse_text(rules_text);
	json_t *want = t_jq(
		"{'version': '2026-11-22.1',"
		" 'rule': {'id': 'labor', 'priority': 100, 'version': '2026-11-22.1'},"
		" 'matched': ['category', 'region_prefix'],"
		" 'considered': [{'rule': 'high-risk', 'priority': 10, 'result': 'no match: risk'},"
		"                {'rule': 'labor', 'priority': 100, 'result': 'matched'}],"
		" 'candidates': [{'department': 'ruian-rsj', 'region': '330381', 'level': 'county',"
		"                 'score': 6, 'covers': true},"
		"                {'department': 'lucheng-rsj', 'region': '330302', 'level': 'county',"
		"                 'score': 4, 'covers': false}],"
		" 'triage': false}");
	struct rules_decision dec;

	if (!rs)
		return;
	T_INTEQ(decide_with(rs, NULL, NULL, &dec, NULL), 0);
	if (!T_CHECK(json_equal(dec.explain, want))) {
		char *got = json_dumps(dec.explain, JSON_SORT_KEYS);

		fprintf(stderr, "    explain: %s\n", got);
		free(got);
	}
	T_STREQ(explain_str(&dec, "version"), "2026-11-22.1");
	rules_decision_release(&dec);
	/* a department code: the one candidate is that department */
	T_INTEQ(decide_with(rs, "classification/risk/level", "'A'", &dec, NULL), 0);
	json_decref(want);
	want = t_jq("{'matched': ['risk'], 'candidates': [{'department': 'wenzhou-xfj',"
		    " 'region': '3303', 'level': 'city', 'score': 4, 'covers': true}]}");
	T_CHECK(json_equal(json_object_get(dec.explain, "matched"),
			   json_object_get(want, "matched")));
	T_CHECK(json_equal(json_object_get(dec.explain, "candidates"),
			   json_object_get(want, "candidates")));
	rules_decision_release(&dec);
	json_decref(want);
	rules_free(rs);
}

/* Two 人社 offices for one county (tied) and a rule naming candidates. */
static const char choice_text[] =
	"{'schema': 'xf.rules.v1', 'version': 'c1', 'departments': ["
	"  {'code': 'rsj-a', 'name': 'A', 'region': '330381', 'level': 'county', 'kind': 'rsj'},"
	"  {'code': 'rsj-b', 'name': 'B', 'region': '330381', 'level': 'county', 'kind': 'rsj'},"
	"  {'code': 'zjj', 'name': 'Z', 'region': '330381', 'level': 'county', 'kind': 'zjj'},"
	"  {'code': 'xfj', 'name': 'X', 'region': '330381', 'level': 'county', 'kind': 'xfj'}],"
	" 'rules': ["
	"  {'id': 'labor', 'priority': 1, 'when': {'category': ['labor_social_security']},"
	"   'assign': {'kind': 'rsj', 'level': 'county'}},"
	"  {'id': 'housing', 'priority': 2, 'when': {'category': ['urban_construction']},"
	"   'assign': {'candidates': ['zjj', 'rsj-b']}},"
	"  {'id': 'all', 'priority': 9, 'assign': {'department': 'xfj'}}],"
	" 'triage': {'department': 'xfj'}}";

struct chooser_log {
	size_t calls, n, pick;
	const char *seen[4];
};

static size_t pick_cb(void *arg, json_t *petition, const struct rules_dept *const *c, size_t n,
		      json_t **explain)
{
	struct chooser_log *log = arg;

	(void)petition;
	log->calls++;
	log->n = n;
	for (size_t i = 0; i < n && i < 4; i++)
		log->seen[i] = c[i]->code;
	*explain = json_pack("{s:s}", "picked", c[log->pick]->code);
	return log->pick;
}

static void t_candidates_and_exclusion(void)
{
	struct rules_set *rs = parse_text(choice_text);
	struct chooser_log log = { 0, 0, 1, { NULL } };
	const char *excl[] = { "rsj-b", "zjj" };
	struct rules_options opt = { NULL, 0, pick_cb, &log };
	struct rules_decision dec;
	json_t *p = t_jq(petition_text);

	if (!rs)
		return;
	/* tied 属地 departments go to the chooser, which picks the second */
	T_INTEQ(rules_decide_opt(rs, p, &opt, &dec, NULL), 0);
	T_INTEQ(log.calls, 1);
	T_INTEQ(log.n, 2);
	T_STREQ(dec.lead->code, "rsj-b");
	T_STREQ(json_string_value(
			json_object_get(json_object_get(dec.explain, "choice"), "picked")),
		"rsj-b");
	rules_decision_release(&dec);
	/* without a chooser: the first in file order */
	T_INTEQ(rules_decide(rs, p, &dec, NULL), 0);
	T_STREQ(dec.lead->code, "rsj-a");
	rules_decision_release(&dec);
	/* a department that returned the case is no candidate: no choice left */
	opt.exclude = excl;
	opt.nexclude = 1;
	log.calls = 0;
	log.pick = 0;
	T_INTEQ(rules_decide_opt(rs, p, &opt, &dec, NULL), 0);
	T_INTEQ(log.calls, 0);
	T_STREQ(dec.lead->code, "rsj-a");
	T_INTEQ(json_array_size(json_object_get(dec.explain, "excluded")), 1);
	rules_decision_release(&dec);
	/* candidates list; with both excluded the rule is skipped to the catch-all */
	set_path(p, "classification/category", "'urban_construction'");
	opt.nexclude = 0;
	T_INTEQ(rules_decide_opt(rs, p, &opt, &dec, NULL), 0);
	T_INTEQ(log.calls, 1);
	T_STREQ(log.seen[0], "zjj");
	T_STREQ(dec.lead->code, "zjj");
	rules_decision_release(&dec);
	opt.nexclude = 2;
	T_INTEQ(rules_decide_opt(rs, p, &opt, &dec, NULL), 0);
	T_STREQ(dec.rule->id, "all");
	T_STREQ(dec.lead->code, "xfj");
	T_STREQ(considered(&dec, 1), "unresolved: every candidate returned the case");
	rules_decision_release(&dec);
	/* triage is never excluded: the bureau decides even if it returned it */
	T_STREQ(rules_triage(rs, "330381001")->code, "xfj");
	json_decref(p);
	rules_free(rs);
}

static void t_candidates_refused(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = t_jq(choice_text);

	set_path(doc, "rules/1/assign/candidates", "['zjj', 'nope']");
	T_CHECK(rules_parse(doc, &err) == NULL);
	T_CHECK(strstr(err.buf, "assign.candidates \"nope\" names no department") != NULL);
	sbuf_reset(&err);
	set_path(doc, "rules/1/assign/candidates", "['zjj', 'zjj']");
	T_CHECK(rules_parse(doc, &err) == NULL);
	T_CHECK(strstr(err.buf, "lists \"zjj\" twice") != NULL);
	sbuf_reset(&err);
	set_path(doc, "rules/1/assign/department", "'zjj'");
	set_path(doc, "rules/1/assign/candidates", "['zjj']");
	T_CHECK(rules_parse(doc, &err) == NULL);
	T_CHECK(strstr(err.buf, "more than one of") != NULL);
	json_decref(doc);
	sbuf_release(&err);
}

/* clang-format off */
T_SUITE(rules,
	{ "parse_ok", t_parse_ok },
	{ "catch_all_empty_when", t_catch_all_empty_when },
	{ "refusals", t_refusals },
	{ "refusal_all_reported", t_refusal_all_reported },
	{ "webhook_fields", t_webhook_fields },
	{ "refusal_not_object", t_refusal_not_object },
	{ "priority_order", t_priority_order },
	{ "priority_ties_file_order", t_priority_ties_file_order },
	{ "when_tests", t_when_tests },
	{ "when_fields_missing", t_when_fields_missing },
	{ "local_resolution", t_local_resolution },
	{ "local_skips_unresolved", t_local_skips_unresolved },
	{ "co_handlers", t_co_handlers },
	{ "co_handler_same_as_lead", t_co_handler_same_as_lead },
	{ "triage_fallback", t_triage_fallback },
	{ "assign_triage", t_assign_triage },
	{ "triage_unresolved", t_triage_unresolved },
	{ "explain", t_explain }, { "candidates_and_exclusion", t_candidates_and_exclusion },
	{ "candidates_refused", t_candidates_refused })
/* clang-format on */
