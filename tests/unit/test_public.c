/*
 * Unit tests for what the citizen is told: domain/querycode.c (the query
 * code, against an independent computation in Python's hmac) and
 * domain/public_update.c (the public view of chain events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public_update.h"
#include "querycode.h"
#include "rules.h"
#include "tharness.h"

#define CASE "XF-330381-20261122-000123"

static void t_query_code(void)
{
	char code[QUERY_CODE_LEN + 1];

	/*
	 * hmac.new(b'test-query-key', b'xf-query-code.v1.' + CASE, sha256):
	 * first 40 bits 1f25db3ece, in Crockford base 32
	 */
	query_code("test-query-key", CASE, code);
	T_STREQ(code, "3WJXPFPE");
	T_CHECK(query_code_ok("test-query-key", CASE, "3WJXPFPE"));
	T_CHECK(query_code_ok("test-query-key", CASE, "3wjx-pfpe"));
	T_CHECK(!query_code_ok("test-query-key", CASE, "3WJXPFPF"));
	T_CHECK(!query_code_ok("test-query-key", CASE, "3WJXPFP"));
	T_CHECK(!query_code_ok("test-query-key", CASE, "3WJXPFPEE"));
	T_CHECK(!query_code_ok("test-query-key", CASE, ""));
	T_CHECK(!query_code_ok("test-query-key", CASE, NULL));
	T_CHECK(!query_code_ok("another-key", CASE, "3WJXPFPE"));
	T_CHECK(!query_code_ok("test-query-key", "XF-330381-20261122-000124", "3WJXPFPE"));
	/* O reads as 0, I and L as 1 */
	query_code("k", CASE, code);
	for (char *p = code; *p; p++)
		*p = *p == '0' ? 'o' : *p == '1' ? 'l' : *p;
	T_CHECK(query_code_ok("k", CASE, code));
}

static json_t *event(const char *type, const char *data)
{
	json_t *ev = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "schema", "xf.case_event.v1",
			       "case_id", CASE, "seq", 4, "type", type, "at",
			       "2026-11-22T10:00:00+08:00", "prev_hash", "x", "hash", "y");

	json_object_set_new(ev, "data", json_loads(data, 0, NULL));
	return ev;
}

static struct rules_set *rules(void)
{
	json_t *doc = json_loads(
		"{\"schema\": \"xf.rules.v1\", \"version\": \"p-1\", \"departments\": ["
		" {\"code\": \"p-rsj\", \"name\": \"瑞安市人社局\", \"region\": \"330381\","
		"  \"level\": \"county\", \"kind\": \"rsj\"}],"
		" \"rules\": [{\"id\": \"all\", \"priority\": 1, \"assign\": {\"department\": \"p-rsj\"}}],"
		" \"triage\": {\"department\": \"p-rsj\"}}",
		0, NULL);
	struct rules_set *rs = rules_parse(doc, NULL);

	json_decref(doc);
	return rs;
}

/* The update of an event of type with data (JSON text), from system's ext. */
static json_t *told(const char *type, const char *data, const char *system, const char *ext,
		    const struct rules_set *rs)
{
	json_t *ev = event(type, data), *u = public_update(ev, system, ext, rs);

	json_decref(ev);
	return u;
}

/* Each told step: its status and what it carries; nothing else of the event. */
static void t_update(void)
{
	struct rules_set *rs = rules();
	json_t *u;
	char *text;

	if (!T_CHECK(rs != NULL))
		return;
	u = told("assigned",
		 "{\"department\": \"p-rsj\", \"rule\": \"labor\","
		 " \"explain\": {\"x\": 1}, \"rules_version\": \"p-1\","
		 " \"accept_by\": \"2026-12-07T10:00:00+08:00\","
		 " \"resolve_by\": \"2027-01-21T10:00:00+08:00\"}",
		 "wz12345", "WO-1", rs);
	text = json_dumps(u, JSON_SORT_KEYS | JSON_COMPACT);
	T_STREQ(text,
		"{\"accept_by\":\"2026-12-07T10:00:00+08:00\",\"at\":\"2026-11-22T10:00:00+08:00\","
		"\"case_id\":\"" CASE "\",\"department\":{\"code\":\"p-rsj\",\"name\":"
		"\"瑞安市人社局\"},\"resolve_by\":\"2027-01-21T10:00:00+08:00\",\"schema\":"
		"\"xf.petition_update.v1\",\"seq\":4,\"source\":{\"external_id\":\"WO-1\","
		"\"system\":\"wz12345\"},\"status\":\"assigned\",\"text\":"
		"\"已交办瑞安市人社局办理。\"}");
	free(text);
	json_decref(u);
	/* a return's reason and feedback id stay inside */
	u = told("returned",
		 "{\"department\": \"p-rsj\", \"reason\": \"内部意见\","
		 " \"feedback_id\": \"f1\"}",
		 "wz12345", "WO-1", rs);
	T_STREQ(json_string_value(json_object_get(u, "status")), "returned");
	T_CHECK(!json_object_get(u, "reason") && !json_object_get(u, "feedback_id"));
	json_decref(u);
	/* closed with the rating; a dissatisfied rating is not a closing */
	u = told("rated", "{\"department\": \"p-rsj\", \"satisfaction\": \"basic\"}", "wz12345",
		 "WO-1", rs);
	T_STREQ(json_string_value(json_object_get(u, "status")), "closed");
	T_STREQ(json_string_value(json_object_get(u, "satisfaction")), "basic");
	json_decref(u);
	T_CHECK(told("rated", "{\"satisfaction\": \"dissatisfied\"}", "s", "e", rs) == NULL);
	/* steps the citizen is not told of */
	T_CHECK(told("classified", "{\"risk\": \"A\"}", "s", "e", rs) == NULL);
	T_CHECK(told("overdue", "{}", "s", "e", rs) == NULL);
	T_CHECK(told("refused", "{}", "s", "e", rs) == NULL);
	/* a department the rules no longer name: a neutral name */
	u = told("accepted", "{\"department\": \"gone\"}", "s", "e", rs);
	T_STREQ(json_string_value(json_object_get(u, "text")), "承办单位已受理，正在办理。");
	json_decref(u);
	rules_free(rs);
}

static const char *masked(const char *s)
{
	static struct sbuf out = SBUF_INIT;

	sbuf_reset(&out);
	public_mask(s, &out);
	return out.buf ? out.buf : "";
}

/* Long numbers in the answer are masked: phones, id numbers; short ones stay. */
static void t_mask(void)
{
	T_STREQ(masked("已联系张三（13812345678）"), "已联系张三（****）");
	T_STREQ(masked("身份证330381199001011234"), "身份证****");
	T_STREQ(masked("身份证33038119900101123X核实"), "身份证****核实");
	T_STREQ(masked("电话：１３８１２３４５６７８"), "电话：****");
	T_STREQ(masked("已补发3个月工资共12000元，2026年11月30日前"),
		"已补发3个月工资共12000元，2026年11月30日前");
	T_STREQ(masked("座机0577-6588888"), "座机0577-****");
	T_STREQ(masked(""), "");
	T_STREQ(masked("1234567"), "****");
	T_STREQ(masked("123456"), "123456");
}

/* clang-format off */
T_SUITE(public,
	{ "query_code", t_query_code },
	{ "update", t_update },
	{ "mask", t_mask })
/* clang-format on */
