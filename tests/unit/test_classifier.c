/* Unit tests for services/classify/classifier.c: keyword tagging and risk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify/classifier.h"
#include "petitioner.h"
#include "tharness.h"

/* A classifier without a model: the starter keyword table alone. */
static struct classifier *kw_only(void)
{
	static struct classifier cl;
	static int ready;

	if (!ready) {
		T_CHECK(classifier_init(&cl, NULL, NULL) == 0);
		ready = 1;
	}
	return &cl;
}

/* Checks the category text lands in and returns its confidence. */
static double expect_category(const char *subject, const char *content, const char *want)
{
	struct classifier_text t;
	double conf;

	classifier_text(kw_only(), subject, content, NULL, &t);
	if (!T_STREQ(t.category, want))
		fprintf(stderr, "    text: %s / %s\n", subject, content);
	T_STREQ(json_string_value(json_object_get(json_array_get(t.top, 0), "category")), want);
	T_CHECK(t.confidence > 0 && t.confidence <= 1);
	conf = t.confidence;
	classifier_text_release(&t);
	return conf;
}

static void t_categories(void)
{
	int n = 0;

	while (classifier_categories[n])
		n++;
	T_INTEQ(n, 14);
	T_STREQ(classifier_categories[0], "urban_construction");
	T_STREQ(classifier_categories[13], "other");
	for (int i = 0; i < n; i++)
		T_INTEQ(classifier_category_known(classifier_categories[i]), 1);
	T_INTEQ(classifier_category_known("labour"), 0);
	T_INTEQ(classifier_category_known(""), 0);
}

static void t_labor(void)
{
	expect_category("讨要工资", "老板拖欠我们三个月工资不发，多次讨要无果。",
			"labor_social_security");
	expect_category("农民工欠薪", "工地包工头欠薪跑路。", "labor_social_security");
	expect_category("", "公司不给交社保，也不签劳动合同。", "labor_social_security");
}

static void t_environment(void)
{
	expect_category("噪音扰民", "楼下工厂夜间施工噪音很大。", "environment");
	expect_category("饭店油烟", "楼下饭店油烟直排，家里全是油烟味。", "environment");
	expect_category("", "化工厂偷排废水，河道发黑发臭。", "environment");
}

static void t_land_acquisition(void)
{
	expect_category("拆迁补偿", "我家房子被拆迁，补偿款至今没有到位。", "land_acquisition");
	expect_category("", "夜里被强拆，安置房也没有落实。", "land_acquisition");
}

static void t_civil_affairs(void)
{
	expect_category("低保问题", "我家是困难家庭，低保被无故取消了。", "civil_affairs");
}

static void t_discipline(void)
{
	expect_category("举报贪污", "村干部贪污扶贫款，挪用公款。", "discipline");
}

static void t_empty_is_other(void)
{
	struct classifier_text t;

	classifier_text(kw_only(), "", "", NULL, &t);
	T_STREQ(t.category, "other");
	T_CHECK(t.confidence > 0 && t.confidence <= 1);
	T_INTEQ(json_array_size(t.top), 1);
	T_STREQ(json_string_value(json_object_get(json_array_get(t.top, 0), "category")), "other");
	T_INTEQ(json_array_size(t.keywords), 0);
	T_INTEQ(json_array_size(t.danger), 0);
	T_CHECK(t.intensity >= 0 && t.intensity < 20);
	classifier_text_release(&t);
	T_CHECK(t.top == NULL && t.keywords == NULL && t.danger == NULL);
	classifier_text(kw_only(), NULL, NULL, NULL, &t); /* absent text is empty text */
	T_STREQ(t.category, "other");
	classifier_text_release(&t);
	classifier_text(kw_only(), "你好", "请问今天天气怎么样", NULL, &t); /* no keyword */
	T_STREQ(t.category, "other");
	classifier_text_release(&t);
}

/* At most three, best first, summing to at most 1, the first the category. */
static void t_top(void)
{
	struct classifier_text t;
	double sum = 0, last = 2;
	size_t i;
	json_t *e;

	classifier_text(kw_only(), "拆迁补偿款被村干部贪污",
			"征地拆迁补偿款被村干部贪污挪用，低保也被取消，老板还拖欠工资，"
			"楼下噪音扰民，公交站台被占。",
			NULL, &t);
	T_CHECK(json_array_size(t.top) >= 2);
	T_CHECK(json_array_size(t.top) <= 3);
	json_array_foreach(t.top, i, e)
	{
		double s = json_number_value(json_object_get(e, "score"));

		T_CHECK(classifier_category_known(
			json_string_value(json_object_get(e, "category"))));
		T_CHECK(s > 0 && s <= last);
		last = s;
		sum += s;
	}
	T_CHECK(sum <= 1.0 + 1e-9);
	T_STREQ(json_string_value(json_object_get(json_array_get(t.top, 0), "category")),
		t.category);
	T_CHECK(t.confidence ==
		json_number_value(json_object_get(json_array_get(t.top, 0), "score")));
	T_CHECK(json_array_size(t.keywords) > 0);
	classifier_text_release(&t);
}

/* More words of one category mean more confidence. */
static void t_confidence_grows(void)
{
	double one = expect_category("", "工资", "labor_social_security");
	double many = expect_category("欠薪", "拖欠工资，不交社保，工伤不赔。",
				      "labor_social_security");

	T_CHECK(many > one);
}

static void t_hint(void)
{
	struct classifier_text t;

	classifier_text(kw_only(), "你好", "请问", "transport", &t);
	T_STREQ(t.category, "transport");
	classifier_text_release(&t);
	classifier_text(kw_only(), "你好", "请问", "no_such_code", &t);
	T_STREQ(t.category, "other");
	classifier_text_release(&t);
	/* a hint does not outweigh clear words */
	classifier_text(kw_only(), "拆迁补偿", "强拆，安置房没有落实，补偿款没到位。", "transport",
			&t);
	T_STREQ(t.category, "land_acquisition");
	classifier_text_release(&t);
}

static int intensity(const char *subject, const char *content)
{
	struct classifier_text t;
	int v;

	classifier_text(kw_only(), subject, content, NULL, &t);
	v = t.intensity;
	T_CHECK(v >= 0 && v <= 100);
	classifier_text_release(&t);
	return v;
}

static void t_intensity(void)
{
	int calm = intensity("咨询", "请问社保怎么转移。");
	int angry = intensity("忍无可忍", "非常愤怒，多次反映一直没有解决，投诉无门。");
	int louder = intensity("忍无可忍", "非常愤怒，多次反映一直没有解决，投诉无门！！！");
	int max = intensity("忍无可忍！走投无路，活不下去，绝望",
			    "愤怒气愤欺人太甚，再不解决就上访、拉横幅、堵路、找媒体曝光！！！"
			    "我要跳楼自焚，同归于尽！！！！！！");

	T_CHECK(angry > calm);
	T_CHECK(louder > angry);
	T_INTEQ(max, 100);
}

/* A credible threat of an extreme act is risk A, with a reason naming it. */
static void t_danger_risk_a(void)
{
	struct classifier_text t;
	struct classifier_history h = { 0, NULL, NULL, 0 };
	json_t *petition = json_object(), *cls, *reasons;
	int found = 0;
	size_t i;
	json_t *r;

	h.related = json_array();
	classifier_text(kw_only(), "工资拖欠", "再不给钱我就去跳楼。", NULL, &t);
	T_INTEQ(json_array_size(t.danger), 1);
	T_STREQ(json_string_value(json_array_get(t.danger, 0)), "跳楼");
	cls = classifier_build(petition, &t, &h, NULL);
	if (T_CHECK(cls != NULL)) {
		T_STREQ(json_string_value(json_object_get(json_object_get(cls, "risk"), "level")),
			"A");
		reasons = json_object_get(json_object_get(cls, "risk"), "reasons");
		json_array_foreach(reasons, i, r) if (strstr(json_string_value(r), "跳楼"))
			found = 1;
		T_CHECK(found);
	}
	json_decref(cls);
	json_decref(h.related);
	json_decref(petition);
	classifier_text_release(&t);
}

/* Builds the classification of a calm text for petition and history. */
static json_t *build(const char *petition_text, int repeat_count, const char *cluster)
{
	struct classifier_text t;
	json_t *related = json_pack("[s]", "XF-330381-20261101-000001");
	struct classifier_history h = { repeat_count, related, cluster, cluster != NULL };
	json_t *petition = json_loads(petition_text, 0, NULL);
	json_t *cls;

	classifier_text(kw_only(), "咨询", "请问社保怎么转移。", NULL, &t);
	cls = classifier_build(petition, &t, &h, NULL);
	T_CHECK(cls != NULL);
	classifier_text_release(&t);
	json_decref(petition);
	json_decref(related);
	return cls;
}

static const char *level(json_t *cls)
{
	return json_string_value(json_object_get(json_object_get(cls, "risk"), "level"));
}

static size_t nreasons(json_t *cls)
{
	return json_array_size(json_object_get(json_object_get(cls, "risk"), "reasons"));
}

static void t_calm_risk_c(void)
{
	json_t *cls = build("{}", 0, NULL);

	T_STREQ(level(cls), "C");
	T_INTEQ(nreasons(cls), 0);
	T_CHECK(json_is_false(json_object_get(cls, "collective")));
	T_CHECK(json_is_null(json_object_get(cls, "cluster_id")));
	T_STREQ(json_string_value(json_object_get(cls, "model")), CLASSIFIER_MODEL);
	T_STREQ(json_string_value(json_object_get(cls, "category")), "labor_social_security");
	T_CHECK(json_is_number(json_object_get(cls, "confidence")));
	T_CHECK(json_is_array(json_object_get(cls, "top")));
	T_CHECK(json_is_array(json_object_get(cls, "keywords")));
	T_CHECK(json_is_integer(json_object_get(json_object_get(cls, "emotion"), "intensity")));
	json_decref(cls);
}

static void t_collective(void)
{
	json_t *cls = build("{\"co_signers\": 12}", 0, NULL);

	T_CHECK(json_is_true(json_object_get(cls, "collective")));
	T_STREQ(level(cls), "B");
	T_INTEQ(nreasons(cls), 1);
	T_CHECK(strstr(json_string_value(json_array_get(
			       json_object_get(json_object_get(cls, "risk"), "reasons"), 0)),
		       "12") != NULL);
	json_decref(cls);
	cls = build("{\"co_signers\": 4}", 0, NULL);
	T_CHECK(json_is_false(json_object_get(cls, "collective")));
	T_STREQ(level(cls), "C");
	json_decref(cls);
	cls = build("{\"co_signers\": 5}", 0, NULL); /* 条例 第二十条: 5 or more */
	T_CHECK(json_is_true(json_object_get(cls, "collective")));
	json_decref(cls);
	cls = build("{\"co_signers\": 50}", 0, NULL);
	T_STREQ(level(cls), "A");
	json_decref(cls);
}

static void t_repeat(void)
{
	json_t *cls = build("{}", 3, NULL); /* issue 3's default: repeat >= 3 is B */
	json_t *rep = json_object_get(cls, "repeat");

	T_STREQ(level(cls), "B");
	T_INTEQ(nreasons(cls), 1);
	T_INTEQ(json_integer_value(json_object_get(rep, "count")), 3);
	T_STREQ(json_string_value(json_array_get(json_object_get(rep, "related"), 0)),
		"XF-330381-20261101-000001");
	json_decref(cls);
	cls = build("{}", 2, NULL);
	T_STREQ(level(cls), "C");
	json_decref(cls);
}

static void t_cluster(void)
{
	json_t *cls = build("{}", 0, "CL-330381-20261122-environment");

	T_STREQ(level(cls), "B");
	T_STREQ(json_string_value(json_object_get(cls, "cluster_id")),
		"CL-330381-20261122-environment");
	json_decref(cls);
}

/* The key of a petition (JSON text); returns the rc, key in out. */
static int pkey(const char *text, const char *key, char out[65])
{
	json_t *p = json_loads(text, 0, NULL);
	int rc;

	T_CHECK(p != NULL);
	memset(out, 0, 65);
	rc = petitioner_key_of(p, key, out);
	json_decref(p);
	return rc;
}

static void t_petitioner_key(void)
{
	char a[65], b[65], c[65], d[65], e[65];

	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"33038119900101123X\"}}", "k", a), 0);
	T_INTEQ(strlen(a), 64);
	T_INTEQ(strspn(a, "0123456789abcdef"), 64);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \" 330381 19900101 123x \","
		     " \"name\": \"张三\"}}",
		     "k", b),
		0);
	T_STREQ(a, b);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"330381199001011234\"}}", "k", c), 0);
	T_CHECK(strcmp(a, c) != 0);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"33038119900101123X\"}}", "k2", d), 0);
	T_CHECK(strcmp(a, d) != 0); /* keyed: another key, another hash */
	/* the id number wins over the phone */
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"33038119900101123X\","
		     " \"phone\": \"13800000000\"}}",
		     "k", e),
		0);
	T_STREQ(a, e);
}

static void t_petitioner_key_phone(void)
{
	char a[65], b[65], c[65];

	T_INTEQ(pkey("{\"petitioner\": {\"phone\": \"138-0000-0000\"}}", "k", a), 0);
	T_INTEQ(pkey("{\"petitioner\": {\"phone\": \"138 0000 0000\", \"id_number\": \"\"}}", "k",
		     b),
		0);
	T_STREQ(a, b);
	T_INTEQ(pkey("{\"petitioner\": {\"phone\": \"13800000001\"}}", "k", c), 0);
	T_CHECK(strcmp(a, c) != 0);
}

static void t_petitioner_key_none(void)
{
	char out[65];

	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"33038119900101123X\","
		     " \"anonymous\": true}}",
		     "k", out),
		-1);
	T_INTEQ(pkey("{\"petitioner\": {\"name\": \"张三\"}}", "k", out), -1);
	T_INTEQ(pkey("{}", "k", out), -1);
	T_INTEQ(pkey("{\"petitioner\": \"张三\"}", "k", out), -1);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"\", \"phone\": \"\"}}", "k", out), -1);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": 330381}}", "k", out), -1);
	T_INTEQ(pkey("{\"petitioner\": {\"id_number\": \"33038119900101123X\","
		     " \"anonymous\": false}}",
		     "k", out),
		0);
}

/* clang-format off */
T_SUITE(classifier,
	{ "categories", t_categories },
	{ "labor", t_labor },
	{ "environment", t_environment },
	{ "land_acquisition", t_land_acquisition },
	{ "civil_affairs", t_civil_affairs },
	{ "discipline", t_discipline },
	{ "empty_is_other", t_empty_is_other },
	{ "top", t_top },
	{ "confidence_grows", t_confidence_grows },
	{ "hint", t_hint },
	{ "intensity", t_intensity },
	{ "danger_risk_a", t_danger_risk_a },
	{ "calm_risk_c", t_calm_risk_c },
	{ "collective", t_collective },
	{ "repeat", t_repeat },
	{ "cluster", t_cluster },
	{ "petitioner_key", t_petitioner_key },
	{ "petitioner_key_phone", t_petitioner_key_phone },
	{ "petitioner_key_none", t_petitioner_key_none })
/* clang-format on */

/* The keyword table is data: replaced by an imported document, traditional
 * phrases match simplified text, a bad document leaves the table in use. */
static void t_keyword_table(void)
{
	struct classifier cl;
	struct classifier_text t;
	struct sbuf err = SBUF_INIT;

	if (!T_CHECK(classifier_init(&cl, NULL, &err) == 0))
		return;
	T_STREQ(classifier_keywords_version(&cl), "2026-11-22.1");
	T_INTEQ(classifier_keywords(
			&cl,
			"{\"schema\": \"xf.keywords.v1\", \"version\": \"t-1\","
			" \"keywords\": [{\"category\": \"discipline\", \"phrase\": \"濫發獎金\","
			" \"weight\": 5}]}",
			&err),
		0);
	T_STREQ(classifier_keywords_version(&cl), "t-1");
	classifier_text(&cl, "举报", "单位领导滥发奖金。", NULL, &t);
	T_STREQ(t.category, "discipline");
	classifier_text_release(&t);
	T_INTEQ(classifier_keywords(&cl,
				    "{\"keywords\": [{\"category\": \"nope\","
				    " \"phrase\": \"x\", \"weight\": 1}]}",
				    &err),
		-1);
	T_CHECK(strstr(err.buf, "/keywords/0") != NULL);
	T_STREQ(classifier_keywords_version(&cl), "t-1"); /* still the good one */
	classifier_release(&cl);
	sbuf_release(&err);
}

/* clang-format off */
T_SUITE(classifier_keywords, { "keyword_table", t_keyword_table })
/* clang-format on */

static int hamming(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

/* SimHash: the same text alike, a reworded one near, another matter far. */
static void t_simhash(void)
{
	const char *a =
		"我们小区门口的道路被挖开已经三个月了没有人来修雨天全是泥水老人孩子出行很不方便";
	const char *b =
		"我们小区门口的道路被挖开已经三个多月了一直没有人来修雨天全是泥水老人和孩子出行很不方便";
	const char *c = "公司拖欠我们工资半年了老板跑路了请人社局帮我们讨回血汗钱";

	T_CHECK(classifier_simhash(a) == classifier_simhash(a));
	T_CHECK(hamming(classifier_simhash(a), classifier_simhash(b)) <= 12);
	T_CHECK(hamming(classifier_simhash(a), classifier_simhash(c)) > 16);
	T_CHECK(classifier_simhash("") == 0);
}

/* clang-format off */
T_SUITE(classifier_simhash, { "near_and_far", t_simhash })
/* clang-format on */
