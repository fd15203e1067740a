/*
 * Unit tests for services/classify/policy.c and its use by the classifier:
 * the related policies table (关联政策, xf.policies.v1). Run from the
 * repository root (the starter file is read against its schema).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "classify/classifier.h"
#include "classify/normalize.h"
#include "classify/policy.h"
#include "embed.h"
#include "jschema.h"
#include "tharness.h"

/* A classifier without a model, with the starter tables. */
static struct classifier *starter(void)
{
	static struct classifier cl;
	static int ready;

	if (!ready) {
		T_CHECK(classifier_init(&cl, NULL, NULL) == 0);
		ready = 1;
	}
	return &cl;
}

/* The ids of t.policies, space-separated, into out. */
static const char *ids(const struct classifier_text *t, char *out, size_t n)
{
	size_t i, len = 0;
	json_t *e;

	out[0] = '\0';
	json_array_foreach(t->policies, i, e)
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? " " : "",
					json_string_value(json_object_get(e, "id")));
	return out;
}

/* The starter table as operators get it: valid by its schema, loaded by default. */
static void t_starter_file(void)
{
	const struct embed_file *f = embed_find("schemas/xf.policies.v1.json");
	struct jschema_set *set = jschema_set_new();
	json_t *doc = json_load_file("deploy/examples/policies.json", 0, NULL);
	struct sbuf err = SBUF_INIT;

	T_CHECK(f && jschema_add(set, f->data, f->len, &err) == 0);
	if (T_CHECK(doc != NULL) &&
	    !T_CHECK(jschema_validate(set, "xf.policies.v1", doc, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	T_CHECK(json_array_size(json_object_get(doc, "policies")) >= 25);
	T_STREQ(classifier_policies_version(starter()),
		json_string_value(json_object_get(doc, "version")));
	json_decref(doc);
	jschema_set_free(set);
	sbuf_release(&err);
}

/* A wage-arrears petition gets the wage regulation first, with its article. */
static void t_wage_arrears(void)
{
	struct classifier_text t;
	json_t *first;
	char buf[256];

	classifier_text(starter(), "讨要工资", "工地包工头拖欠我们三个月工资不发，多次讨要无果。",
			NULL, &t);
	T_STREQ(t.category, "labor_social_security");
	first = json_array_get(t.policies, 0);
	if (!T_STREQ(json_string_value(json_object_get(first, "id")), "wage-3"))
		fprintf(stderr, "    got: %s\n", ids(&t, buf, sizeof buf));
	T_STREQ(json_string_value(json_object_get(first, "title")), "保障农民工工资支付条例");
	T_STREQ(json_string_value(json_object_get(first, "article")), "第三条");
	T_CHECK(strstr(ids(&t, buf, sizeof buf), "wage-30") != NULL); /* 包工头, 工地 */
	T_CHECK(json_array_size(t.policies) <= POLICY_MAX_RELATED);
	classifier_text_release(&t);
}

/* Nothing concerned: an empty list; an entry of another category stays out. */
static void t_none_and_category(void)
{
	struct classifier_text t;
	char buf[256];

	classifier_text(starter(), "你好", "请问今天天气怎么样", NULL, &t);
	T_CHECK(json_is_array(t.policies) && json_array_size(t.policies) == 0);
	classifier_text_release(&t);
	/* 仲裁 is a phrase of xf-32 (law_litigation) and ldr-27 (labour) */
	classifier_text(starter(), "劳动仲裁", "公司拖欠工资，我申请了劳动仲裁。", NULL, &t);
	T_STREQ(t.category, "labor_social_security");
	T_CHECK(strstr(ids(&t, buf, sizeof buf), "ldr-27") != NULL);
	T_CHECK(strstr(ids(&t, buf, sizeof buf), "xf-32") == NULL);
	classifier_text_release(&t);
}

static const char small[] =
	"{'schema': 'xf.policies.v1', 'version': 't-1', 'policies': ["
	" {'id': 'any', 'title': '甲', 'issuer': '乙', 'phrases': ['超期']},"
	" {'id': 'one', 'title': '丙', 'issuer': '乙', 'article': '第一条',"
	"  'categories': ['labor_social_security'], 'phrases': ['欠薪', '工地', '欠薪']},"
	" {'id': 'two', 'title': '丁', 'issuer': '乙', 'article': '第二条',"
	"  'categories': ['labor_social_security', 'discipline'],"
	"  'phrases': ['欠薪', '工地']},"
	" {'id': 'other-cat', 'title': '戊', 'issuer': '乙', 'categories': ['health'],"
	"  'phrases': ['欠薪']},"
	" {'id': 'trad', 'title': '己', 'issuer': '乙', 'phrases': ['拖欠工資']}]}";

static void load_small(struct classifier *cl)
{
	json_t *doc = t_jq(small);
	char *text = json_dumps(doc, JSON_COMPACT);
	struct sbuf err = SBUF_INIT;

	if (!T_CHECK(classifier_policies(cl, text, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	free(text);
	json_decref(doc);
	sbuf_release(&err);
}

/* Rank by distinct phrases found (a repeated phrase counts once), ties in
 * file order; the category gate; a phrase alone without categories;
 * traditional phrases match simplified text. */
static void t_rank_and_rules(void)
{
	struct classifier cl;
	struct classifier_text t;
	char buf[256];

	if (!T_CHECK(classifier_init(&cl, NULL, NULL) == 0))
		return;
	load_small(&cl);
	T_STREQ(classifier_policies_version(&cl), "t-1");
	classifier_text(&cl, "欠薪", "工地老板拖欠工资，已经超期了。", NULL, &t);
	T_STREQ(t.category, "labor_social_security");
	T_STREQ(ids(&t, buf, sizeof buf), "one two any trad");
	T_CHECK(json_object_get(json_array_get(t.policies, 2), "article") == NULL);
	T_STREQ(json_string_value(json_object_get(json_array_get(t.policies, 0), "article")),
		"第一条");
	classifier_text_release(&t);
	/* health: 欠薪 alone does not bring in the labour entries */
	classifier_text(&cl, "医院", "医院欠薪护士，手术后感染，医疗事故", "health", &t);
	T_STREQ(t.category, "health");
	T_STREQ(ids(&t, buf, sizeof buf), "other-cat");
	classifier_text_release(&t);
	classifier_release(&cl);
}

/* At most POLICY_MAX_RELATED, the first ones in file order on a tie. */
static void t_cap(void)
{
	struct classifier cl;
	struct classifier_text t;
	struct sbuf doc = SBUF_INIT;
	char buf[256];

	if (!T_CHECK(classifier_init(&cl, NULL, NULL) == 0))
		return;
	sbuf_adds(&doc, "{\"schema\": \"xf.policies.v1\", \"version\": \"cap\", \"policies\": [");
	for (int i = 0; i < 8; i++)
		sbuf_addf(&doc,
			  "%s{\"id\": \"p%d\", \"title\": \"t\", \"issuer\": \"i\","
			  " \"phrases\": [\"超期\"%s]}",
			  i ? ", " : "", i, i == 6 ? ", \"久拖\"" : "");
	sbuf_adds(&doc, "]}");
	T_CHECK(classifier_policies(&cl, doc.buf, NULL) == 0);
	classifier_text(&cl, "超期", "久拖不决", NULL, &t);
	T_STREQ(ids(&t, buf, sizeof buf), "p6 p0 p1 p2 p3");
	classifier_text_release(&t);
	classifier_release(&cl);
	sbuf_release(&doc);
}

struct bad_case {
	const char *doc, *want;
};

/* A bad document is refused, naming the entry, and the table in use stays. */
static void t_bad_documents(void)
{
	static const struct bad_case bad[] = {
		{ "{'policies': []}", "not an xf.policies.v1 document" },
		{ "{'policies': [{'id': 'a', 'title': 't', 'phrases': ['欠薪']}]}",
		  "/policies/0: needs an id, a title and an issuer" },
		{ "{'policies': [{'id': 'a', 'title': 't', 'issuer': 'i', 'phrases': ['欠薪']},"
		  " {'id': 'a', 'title': 't', 'issuer': 'i', 'phrases': ['欠薪']}]}",
		  "/policies/1: id \"a\" is used twice" },
		{ "{'policies': [{'id': 'a', 'title': 't', 'issuer': 'i', 'categories': ['x'],"
		  " 'phrases': ['欠薪']}]}",
		  "/policies/0/categories/0: not a category code" },
		{ "{'policies': [{'id': 'a', 'title': 't', 'issuer': 'i', 'phrases': []}]}",
		  "/policies/0/phrases: needs at least one phrase" },
		{ "{'policies': [{'id': 'a', 'title': 't', 'issuer': 'i', 'phrases': ['欠薪', '!a']}]}",
		  "/policies/0/phrases/1: not a phrase" },
	};
	struct classifier *cl = starter();
	char before[80];

	snprintf(before, sizeof before, "%s", classifier_policies_version(cl));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *doc = t_jq(bad[i].doc);
		char *text = json_dumps(doc, JSON_COMPACT);
		struct sbuf err = SBUF_INIT;

		T_INTEQ(classifier_policies(cl, text, &err), -1);
		if (!T_CHECK(strstr(err.buf, bad[i].want) != NULL))
			fprintf(stderr, "    case %zu: %s\n", i, err.buf);
		T_STREQ(classifier_policies_version(cl), before);
		sbuf_release(&err);
		free(text);
		json_decref(doc);
	}
	T_INTEQ(classifier_policies(cl, "not json", NULL), -1);
}

/* The classification object carries related_policies ([] when none). */
static void t_classification(void)
{
	struct classifier_history h = { 0, NULL, NULL, 0 };
	struct classifier_text t;
	json_t *p = t_jq("{'case_id': 'XF-330381-20261122-000001'}"), *cls;

	classifier_text(starter(), "拖欠工资", "老板拖欠工资三个月", NULL, &t);
	cls = classifier_build(p, &t, &h, NULL);
	T_CHECK(json_array_size(json_object_get(cls, "related_policies")) >= 1);
	T_CHECK(json_equal(json_object_get(cls, "related_policies"), t.policies));
	json_decref(cls);
	classifier_text_release(&t);
	memset(&t, 0, sizeof t); /* a text tagged without policies */
	t.category = "other";
	t.top = json_array();
	t.keywords = json_array();
	t.danger = json_array();
	cls = classifier_build(p, &t, &h, NULL);
	T_CHECK(json_is_array(json_object_get(cls, "related_policies")) &&
		json_array_size(json_object_get(cls, "related_policies")) == 0);
	json_decref(cls);
	classifier_text_release(&t);
	json_decref(p);
}

/* clang-format off */
T_SUITE(policies,
	{ "starter_file", t_starter_file },
	{ "wage_arrears", t_wage_arrears },
	{ "none_and_category", t_none_and_category },
	{ "rank_and_rules", t_rank_and_rules },
	{ "cap", t_cap },
	{ "bad_documents", t_bad_documents },
	{ "classification", t_classification })
/* clang-format on */
