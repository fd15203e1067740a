/* Unit tests for services/intake/intake.c: receipts and petitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intake/intake.h"
#include "intake/validate.h"
#include "tharness.h"

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
	T_INTEQ(errors->refcount, 2);   /* borrowed: the receipt took its own */
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

	T_INTEQ(intake_validate(bad, strlen(bad), &v), -1);
	r = intake_receipt(v.source_system, v.external_id, "rejected", NULL, v.errors);
	T_CHECK(json_is_null(json_object_get(r, "source_system")));
	T_CHECK(json_is_null(json_object_get(r, "external_id")));
	T_STREQ(json_string_value(json_object_get(r, "status")), "rejected");
	T_STREQ(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "errors"), 0), "code")), "not_json");
	T_CHECK(json_object_get(r, "case_id") == NULL);
	intake_verdict_release(&v);   /* the receipt outlives the verdict */
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
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00");

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
	json_t *p = intake_petition(event, CASE, "2026-11-22T10:00:05+08:00");

	T_STREQ(json_string_value(json_object_get(p, "schema")), "xf.petition.v1");
	T_CHECK(json_object_get(event, "schema") == NULL);
	T_CHECK(json_object_get(event, "case_id") == NULL);
	T_CHECK(json_object_get(event, "received_at") == NULL);
	T_INTEQ(event->refcount, 1);
	json_object_set_new(json_object_get(p, "petitioner"), "name", json_string("李四"));
	T_STREQ(json_string_value(json_object_get(json_object_get(event, "petitioner"),
						  "name")), "张三");
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

	T_INTEQ(intake_validate(text, strlen(text), &v), 0);
	p = intake_petition(v.event, CASE, "2026-11-22T10:00:05+08:00");
	T_INTEQ(json_object_size(p), json_object_size(v.event) + 2);
	json_object_foreach(v.event, key, val)
		if (strcmp(key, "schema"))
			T_CHECK(json_equal(json_object_get(p, key), val));
	intake_verdict_release(&v);
	T_STREQ(json_string_value(json_array_get(json_object_get(p, "unknown"), 0)), "kept");
	json_decref(p);
}

T_SUITE(intake,
	{ "receipt_accepted", t_receipt_accepted },
	{ "receipt_duplicate", t_receipt_duplicate },
	{ "receipt_rejected", t_receipt_rejected },
	{ "receipt_unreadable", t_receipt_unreadable },
	{ "receipt_from_verdict", t_receipt_from_verdict },
	{ "petition", t_petition },
	{ "petition_copy", t_petition_copy },
	{ "petition_from_verdict", t_petition_from_verdict })
