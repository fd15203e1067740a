/* Unit tests for services/intake/intake.c: receipts and petitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intake/intake.h"
#include "intake/validate.h"
#include "petitioner.h"
#include "tharness.h"
#include "jschema.h"

/* The compiled event schema, made once for the whole test run. */
static const struct jschema_set *schemas(void)
{
	static struct jschema_set *set;

	if (!set)
		set = intake_schemas_new(NULL);
	return set;
}

#define CASE "XF-330381-20261122-000123"

/* Checks that got equals the JSON text want (with ' for "). */
static void expect_json(json_t *got, const char *want)
{
	json_t *w = t_jq(want);

	if (!T_CHECK(json_equal(got, w))) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

		fprintf(stderr, "    got %s\n", g ? g : "NULL");
		free(g);
	}
	json_decref(w);
}

static void t_receipt_accepted(void)
{
	json_t *r = intake_receipt("wz12345", "WO-1", "accepted", CASE, NULL);

	expect_json(r, "{'schema': 'xf.receipt.v1', 'source_system': 'wz12345',"
		       " 'external_id': 'WO-1', 'status': 'accepted', 'case_id': '" CASE "'}");
	json_decref(r);
}

static void t_receipt_duplicate(void)
{
	json_t *r = intake_receipt("wz12345", "WO-1", "duplicate", CASE, NULL);

	expect_json(r, "{'schema': 'xf.receipt.v1', 'source_system': 'wz12345',"
		       " 'external_id': 'WO-1', 'status': 'duplicate', 'case_id': '" CASE "'}");
	json_decref(r);
}

static void t_receipt_rejected(void)
{
	json_t *errors = t_jq("[{'code': 'bad_time', 'field': 'occurred_at',"
			      "  'message': 'not an RFC 3339 date-time with offset'}]");
	json_t *r = intake_receipt("wz12345", "WO-1", "rejected", NULL, errors);

	expect_json(r, "{'schema': 'xf.receipt.v1', 'source_system': 'wz12345',"
		       " 'external_id': 'WO-1', 'status': 'rejected', 'errors':"
		       " [{'code': 'bad_time', 'field': 'occurred_at',"
		       "   'message': 'not an RFC 3339 date-time with offset'}]}");
	T_CHECK(json_object_get(r, "case_id") == NULL);
	T_INTEQ(errors->refcount, 2); /* borrowed: the receipt took its own */
	json_decref(r);
	T_INTEQ(errors->refcount, 1);
	json_decref(errors);
}

/* Where the keys could not be read, they are null, not absent. */
static void t_receipt_unreadable(void)
{
	json_t *errors = t_jq("[{'code': 'not_json', 'field': null, 'message': 'x'}]");
	json_t *r = intake_receipt(NULL, NULL, "rejected", NULL, errors);

	expect_json(r, "{'schema': 'xf.receipt.v1', 'source_system': null,"
		       " 'external_id': null, 'status': 'rejected',"
		       " 'errors': [{'code': 'not_json', 'field': null, 'message': 'x'}]}");
	json_decref(r);
	r = intake_receipt("wz12345", NULL, "rejected", NULL, errors);
	T_CHECK(json_is_null(json_object_get(r, "external_id")));
	T_STREQ(json_string_value(json_object_get(r, "source_system")), "wz12345");
	json_decref(r);
	json_decref(errors);
}

/* A verdict's keys and errors make the receipt, as xf-intake does. */
static void t_receipt_from_verdict(void)
{
	static const char bad[] = "{\"source\": {\"system\": \"wz12345\"}";
	struct intake_verdict v;
	json_t *r;

	T_INTEQ(intake_validate(schemas(), bad, strlen(bad), &v), -1);
	r = intake_receipt(v.source_system, v.external_id, "rejected", NULL, v.errors);
	T_CHECK(json_is_null(json_object_get(r, "source_system")));
	T_CHECK(json_is_null(json_object_get(r, "external_id")));
	T_STREQ(json_string_value(json_object_get(r, "status")), "rejected");
	T_STREQ(json_string_value(
			json_object_get(json_array_get(json_object_get(r, "errors"), 0), "code")),
		"not_json");
	T_CHECK(json_object_get(r, "case_id") == NULL);
	intake_verdict_release(&v); /* the receipt outlives the verdict */
	T_INTEQ(json_array_size(json_object_get(r, "errors")), 1);
	json_decref(r);
}

static void t_petition(void)
{
	json_t *event = t_jq("{'schema': 'xf.hotline_event.v1',"
			     " 'source': {'system': 'wz12345', 'channel': 'hotline'},"
			     " 'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
			     " 'region_code': '330381', 'subject': '拖欠工资', 'content': '三个月',"
			     " 'x_upstream': {'ticket': [1, 2, {'k': null}]}, 'x_flag': true}");
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00", "k");

	expect_json(p, "{'schema': 'xf.petition.v1',"
		       " 'source': {'system': 'wz12345', 'channel': 'hotline'},"
		       " 'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
		       " 'region_code': '330381', 'subject': '拖欠工资', 'content': '三个月',"
		       " 'x_upstream': {'ticket': [1, 2, {'k': null}]}, 'x_flag': true,"
		       " 'case_id': '" CASE "', 'received_at': '2026-11-22T10:00:05+08:00'}");
	json_decref(p);
	json_decref(event);
}

/* The event is borrowed: the petition is a copy, and editing it leaves the event. */
static void t_petition_copy(void)
{
	json_t *event = t_jq("{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
			     " 'petitioner': {'name': '张三'}}");
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00", "k");

	T_STREQ(json_string_value(json_object_get(p, "schema")), "xf.petition.v1");
	T_CHECK(json_object_get(event, "schema") == NULL);
	T_CHECK(json_object_get(event, "case_id") == NULL);
	T_CHECK(json_object_get(event, "received_at") == NULL);
	T_INTEQ(event->refcount, 1);
	json_object_set_new(json_object_get(p, "petitioner"), "name", json_string("李四"));
	T_STREQ(json_string_value(json_object_get(json_object_get(event, "petitioner"), "name")),
		"张三");
	json_decref(p);
	json_decref(event);
}

/* A petition made from a validated event keeps every field of it. */
static void t_petition_from_verdict(void)
{
	static const char text[] =
		"{\"schema\": \"xf.hotline_event.v1\", \"source\": {\"system\": \"web\"},"
		" \"external_id\": \"W-7\", \"occurred_at\": \"2026-11-22T02:00:00Z\","
		" \"region_code\": \"330381001\", \"subject\": \"s\", \"content\": \"c\","
		" \"category_hint\": \"environment\", \"unknown\": [\"kept\"]}";
	struct intake_verdict v;
	json_t *p;
	const char *key;
	json_t *val;

	T_INTEQ(intake_validate(schemas(), text, strlen(text), &v), 0);
	p = intake_petition(v.event, CASE, "2026-11-22T10:00:05+08:00", "k");
	T_INTEQ(json_object_size(p), json_object_size(v.event) + 2);
	json_object_foreach(v.event, key, val) if (strcmp(key, "schema"))
		T_CHECK(json_equal(json_object_get(p, key), val));
	intake_verdict_release(&v);
	T_STREQ(json_string_value(json_array_get(json_object_get(p, "unknown"), 0)), "kept");
	json_decref(p);
}

/*
 * An anonymous petitioner leaves xf-intake as {anonymous, key}: no name,
 * phone, id number nor any other field of theirs, and the key is the hash
 * xf-classify would have made of the identity.
 */
static void t_petition_anonymous(void)
{
	json_t *event = t_jq(
		"{'external_id': 'WO-1', 'region_code': '330381',"
		" 'petitioner': {'name': '王五', 'phone': '139-1234-5678',"
		"  'id_number': '33038119900101123X', 'wechat': 'ww', 'anonymous': true}}");
	json_t *named = t_jq("{'petitioner': {'id_number': '33038119900101123X'}}");
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00", "k");
	json_t *who = json_object_get(p, "petitioner");
	char want[65], got[65];

	T_INTEQ(petitioner_key_of(named, "k", want), 0);
	T_INTEQ(json_object_size(who), 2);
	T_CHECK(json_is_true(json_object_get(who, "anonymous")));
	T_STREQ(json_string_value(json_object_get(who, "key")), want);
	T_INTEQ(petitioner_key_of(p, "another", got), 0); /* the key carried wins */
	T_STREQ(got, want);
	T_STREQ(json_string_value(json_object_get(p, "region_code")), "330381");
	/* the event itself is untouched */
	T_STREQ(json_string_value(json_object_get(json_object_get(event, "petitioner"), "name")),
		"王五");
	json_decref(p);
	json_decref(named);
	json_decref(event);
}

/* Anonymous with a phone only: keyed by the phone; with neither: no key. */
static void t_petition_anonymous_phone_or_none(void)
{
	json_t *a = t_jq("{'petitioner': {'phone': '13912345678', 'anonymous': true}}");
	json_t *b = t_jq("{'petitioner': {'name': '王五', 'anonymous': true}}");
	json_t *named = t_jq("{'petitioner': {'phone': '139 1234 5678', 'name': '王五'}}");
	json_t *pa = intake_petition(a, CASE, "2026-11-22T10:00:05+08:00", "k");
	json_t *pb = intake_petition(b, CASE, "2026-11-22T10:00:05+08:00", "k");
	char want[65], got[65];

	T_INTEQ(petitioner_key_of(named, "k", want), 0);
	T_INTEQ(petitioner_key_of(pa, "k", got), 0);
	T_STREQ(got, want);
	expect_json(json_object_get(pb, "petitioner"), "{'anonymous': true}");
	T_INTEQ(petitioner_key_of(pb, "k", got), -1);
	json_decref(pa);
	json_decref(pb);
	json_decref(named);
	json_decref(a);
	json_decref(b);
}

/* Only xf-intake writes petitioner.key: an upstream's is dropped, the rest kept. */
static void t_petition_upstream_key(void)
{
	json_t *event = t_jq("{'petitioner': {'name': '王五', 'key': '"
			     "0000000000000000000000000000000000000000000000000000000000000000'}}");
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00", "k");
	char got[65];

	expect_json(json_object_get(p, "petitioner"), "{'name': '王五'}");
	T_INTEQ(petitioner_key_of(p, "k", got), -1);
	json_decref(p);
	json_decref(event);
}

/* clang-format off */
T_SUITE(intake,
	{ "receipt_accepted", t_receipt_accepted },
	{ "receipt_duplicate", t_receipt_duplicate },
	{ "receipt_rejected", t_receipt_rejected },
	{ "receipt_unreadable", t_receipt_unreadable },
	{ "receipt_from_verdict", t_receipt_from_verdict },
	{ "petition", t_petition },
	{ "petition_copy", t_petition_copy },
	{ "petition_from_verdict", t_petition_from_verdict },
	{ "petition_anonymous", t_petition_anonymous },
	{ "petition_anonymous_phone_or_none", t_petition_anonymous_phone_or_none },
	{ "petition_upstream_key", t_petition_upstream_key })
/* clang-format on */
