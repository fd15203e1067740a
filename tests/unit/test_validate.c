/* Unit tests for services/intake/validate.c: checks of xf.hotline_event.v1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intake/validate.h"
#include "sbuf.h"
#include "jlimit.h"
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

/* The required fields, valid; EV(extra) adds fields after them. */
#define EV_BASE                                                                 \
	"{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"              \
	" 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381'," \
	" 'subject': '拖欠工资', 'content': '公司拖欠三个月工资，要求支付。'"
#define EV(extra) EV_BASE extra "}"

/* A copy of text with ' turned into " (JSON written readably). */
static char *dq(const char *text)
{
	char *s = strdup(text);

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/* The errors as "code@field, ..." ("-" for a null field). */
static void summary(const struct intake_verdict *v, struct sbuf *out)
{
	size_t i;
	json_t *e;

	json_array_foreach(v->errors, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));

		sbuf_addf(out, "%s%s@%s", i ? ", " : "",
			  json_string_value(json_object_get(e, "code")), f ? f : "-");
	}
}

/*
 * Validates text (with ' for ") and checks the errors: want "" means valid,
 * otherwise the summary above.
 */
static void expect(const char *text, const char *want)
{
	struct intake_verdict v;
	struct sbuf got = SBUF_INIT;
	char *s = dq(text);
	int rc = intake_validate(schemas(), s, strlen(s), &v);

	summary(&v, &got);
	if (!T_STREQ(got.buf, want))
		fprintf(stderr, "    event: %s\n", s);
	T_INTEQ(rc, *want ? -1 : 0);
	intake_verdict_release(&v);
	sbuf_release(&got);
	free(s);
}

static void t_valid_minimal(void)
{
	struct intake_verdict v;
	char *s = dq(EV(""));

	T_INTEQ(intake_validate(schemas(), s, strlen(s), &v), 0);
	T_CHECK(json_is_object(v.event));
	T_CHECK(json_is_array(v.errors));
	T_INTEQ(json_array_size(v.errors), 0);
	T_STREQ(v.source_system, "wz12345");
	T_STREQ(v.external_id, "WO-1");
	T_STREQ(intake_first_code(&v), "");
	intake_verdict_release(&v);
	T_CHECK(v.event == NULL && v.errors == NULL);
	free(s);
}

static void t_valid_full(void)
{
	expect("{'schema': 'xf.hotline_event.v1',"
	       " 'source': {'system': 'wz12345', 'channel': 'hotline', 'operator': 'A07'},"
	       " 'external_id': 'WO-20261122-0001',"
	       " 'occurred_at': '2026-11-22T02:00:00.250Z',"
	       " 'region_code': '330381001001', 'subject': '楼下饭店油烟噪音扰民',"
	       " 'content': '每天晚上十点以后还在营业，油烟和噪音严重影响休息。',"
	       " 'petitioner': {'name': '张三', 'phone': '138-0000-0000',"
	       "   'id_number': '33038119900101123X', 'anonymous': false},"
	       " 'address': '瑞安市安阳街道某小区', 'location': {'lat': 27.78, 'lon': 120.65},"
	       " 'co_signers': 3,"
	       " 'attachments': [{'name': 'a.jpg', 'url': 'https://x/a.jpg',"
	       "   'sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'}],"
	       " 'category_hint': 'environment', 'language': 'zh-Hans',"
	       " 'x_upstream': {'kept': [1, 2]}}",
	       "");
	expect("{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381001',"
	       " 'subject': 'x', 'content': 'y', 'co_signers': 1,"
	       " 'petitioner': {'anonymous': true}, 'location': {'lat': -90, 'lon': 180}}",
	       "");
	expect(EV(", 'address': '', 'language': ''"), ""); /* optional may be empty */
}

/* null is "absent" for every optional field, petitioner.anonymous too. */
static void t_optional_null(void)
{
	expect(EV(", 'petitioner': null, 'address': null, 'co_signers': null,"
		  " 'location': null, 'attachments': null, 'language': null"),
	       "");
	expect(EV(", 'petitioner': {'name': null, 'phone': null, 'id_number': null}"), "");
	expect(EV(", 'petitioner': {'anonymous': null}"), "");
}

/* A valid event with `values` values in all (10 of them in EV_BASE plus a pad array). */
static void many_values(struct sbuf *text, size_t pad)
{
	char *base = dq(EV_BASE ", 'pad': [");

	sbuf_adds(text, base);
	for (size_t i = 0; i < pad; i++)
		sbuf_adds(text, i ? ",{}" : "{}");
	sbuf_adds(text, "]}");
	free(base);
}

/* 1 MiB of "{}" would parse to ~77 MiB: refused on a count before parsing. */
static void t_too_many_values(void)
{
	struct intake_verdict v;
	struct sbuf text = SBUF_INIT;
	size_t base;

	many_values(&text, 0);
	base = jlimit_count(text.buf, text.len, 100000);
	sbuf_reset(&text);
	many_values(&text, JLIMIT_VALUES - base); /* exactly the limit */
	T_INTEQ(jlimit_count(text.buf, text.len, 100000), JLIMIT_VALUES);
	T_INTEQ(intake_validate(schemas(), text.buf, text.len, &v), 0);
	intake_verdict_release(&v);
	sbuf_reset(&text);
	many_values(&text, JLIMIT_VALUES - base + 1);
	T_INTEQ(intake_validate(schemas(), text.buf, text.len, &v), -1);
	T_STREQ(intake_first_code(&v), "too_many_values");
	T_CHECK(v.event == NULL);
	intake_verdict_release(&v);
	sbuf_release(&text);
}

static void t_too_large(void)
{
	struct intake_verdict v;
	struct sbuf text = SBUF_INIT;
	char *base = dq(EV_BASE ", 'pad': '");

	/* exactly 1 MiB is accepted ... */
	sbuf_adds(&text, base);
	while (text.len < INTAKE_MAX_BYTES - 2)
		sbuf_addch(&text, 'x');
	sbuf_adds(&text, "\"}");
	T_INTEQ(text.len, INTAKE_MAX_BYTES);
	T_INTEQ(intake_validate(schemas(), text.buf, text.len, &v), 0);
	intake_verdict_release(&v);
	/* ... one byte more is not */
	sbuf_reset(&text);
	sbuf_adds(&text, base);
	while (text.len < INTAKE_MAX_BYTES - 1)
		sbuf_addch(&text, 'x');
	sbuf_adds(&text, "\"}");
	T_INTEQ(intake_validate(schemas(), text.buf, text.len, &v), -1);
	T_STREQ(intake_first_code(&v), "too_large");
	T_INTEQ(json_array_size(v.errors), 1);
	T_CHECK(json_is_null(json_object_get(json_array_get(v.errors, 0), "field")));
	T_CHECK(v.event == NULL);
	T_CHECK(v.source_system == NULL && v.external_id == NULL);
	intake_verdict_release(&v);
	sbuf_release(&text);
	free(base);
}

static void t_not_utf8(void)
{
	expect("{'subject': '\xC0\xAF'}", "not_utf8@-");
	expect("{'subject': '\xED\xA0\x80'}", "not_utf8@-"); /* a surrogate */
	expect("{'subject': '\xE4\xB8'}", "not_utf8@-");     /* truncated */
	expect(EV(", 'address': '\xB9\xFA'"), "not_utf8@-"); /* GBK */
}

static void t_not_json(void)
{
	struct intake_verdict v;

	expect("", "not_json@-");
	expect("{'source': ", "not_json@-");
	expect("{'a': 1,}", "not_json@-");
	expect("{'a': 1} trailing", "not_json@-");
	expect("{'a': '\\ud800'}", "not_json@-");                 /* a lone surrogate escape */
	expect(EV(", 'region_code': '330381001'"), "not_json@-"); /* duplicate key */
	T_INTEQ(intake_validate(schemas(), "{\"a\":", 5, &v), -1);
	T_CHECK(v.event == NULL);
	T_CHECK(json_string_value(json_object_get(json_array_get(v.errors, 0), "message")));
	intake_verdict_release(&v);
	/* bytes after len are not read */
	T_INTEQ(intake_validate(schemas(), "{}xx", 2, &v), -1);
	T_STREQ(intake_first_code(&v), "missing_field");
	intake_verdict_release(&v);
}

static void t_not_object(void)
{
	expect("[]", "not_object@-");
	expect("[{'source': {'system': 'a'}}]", "not_object@-");
}

/* Valid JSON that is not an object is not_object, not not_json. */
static void t_not_object_scalar(void)
{
	expect("42", "not_object@-");
	expect("'text'", "not_object@-");
	expect("null", "not_object@-");
}

static void t_bad_schema(void)
{
	expect(EV(", 'schema': 'xf.petition.v1'"), "bad_schema@schema");
	expect(EV(", 'schema': 1"), "bad_schema@schema");
	expect(EV(", 'schema': 'xf.hotline_event.v1'"), "");
}

static void t_missing_field(void)
{
	expect("{'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
	       " 'region_code': '330381', 'subject': 's', 'content': 'c'}",
	       "missing_field@source");
	expect("{'source': {}, 'external_id': 'WO-1',"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
	       " 'subject': 's', 'content': 'c'}",
	       "missing_field@source.system");
	expect("{'source': {'system': 'wz12345'}, 'external_id': null,"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
	       " 'subject': 's', 'content': 'c'}",
	       "missing_field@external_id");
	expect("{}", "missing_field@source, missing_field@external_id, "
		     "missing_field@occurred_at, missing_field@region_code, "
		     "missing_field@subject, missing_field@content");
}

static void t_wrong_type(void)
{
	expect("{'source': {'system': 7}, 'external_id': 8,"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': 330381,"
	       " 'subject': ['s'], 'content': {'c': 1}}",
	       "wrong_type@source.system, wrong_type@external_id, "
	       "wrong_type@region_code, wrong_type@subject, wrong_type@content");
	expect("{'source': 'wz12345', 'external_id': 'WO-1',"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
	       " 'subject': 's', 'content': 'c'}",
	       "wrong_type@source");
	expect(EV(", 'co_signers': '3'"), "wrong_type@co_signers");
	expect(EV(", 'co_signers': 2.5"), "wrong_type@co_signers");
	expect(EV(", 'location': {'lat': '27.78', 'lon': 120.65}"), "wrong_type@location.lat");
	expect(EV(", 'location': [27.78, 120.65]"), "wrong_type@location");
	expect(EV(", 'attachments': {'name': 'a'}"), "wrong_type@attachments");
	expect(EV(", 'petitioner': 'anonymous'"), "wrong_type@petitioner");
	expect(EV(", 'petitioner': {'anonymous': 'yes'}"), "wrong_type@petitioner.anonymous");
	expect(EV(", 'petitioner': {'phone': 13800000000}"), "wrong_type@petitioner.phone");
	expect("{'source': {'system': 'wz12345', 'channel': 1}, 'external_id': 'WO-1',"
	       " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
	       " 'subject': 's', 'content': 'c'}",
	       "wrong_type@source.channel");
}

static void t_empty_field(void)
{
	expect("{'source': {'system': ''}, 'external_id': '',"
	       " 'occurred_at': '', 'region_code': '', 'subject': '', 'content': ''}",
	       "empty_field@source.system, empty_field@external_id, "
	       "empty_field@occurred_at, empty_field@region_code, "
	       "empty_field@subject, empty_field@content");
}

/* subject of n copies of 访 (3 bytes, 1 character each) */
static void expect_subject(int n, const char *want)
{
	struct sbuf text = SBUF_INIT;

	sbuf_adds(&text, "{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
			 " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
			 " 'content': 'c', 'subject': '");
	for (int i = 0; i < n; i++)
		sbuf_adds(&text, "访");
	sbuf_adds(&text, "'}");
	expect(text.buf, want);
	sbuf_release(&text);
}

static void t_too_long(void)
{
	struct intake_verdict v;
	struct sbuf text = SBUF_INIT;
	char *msg;

	expect_subject(200, ""); /* 600 bytes, 200 characters */
	expect_subject(201, "too_long@subject");
	sbuf_adds(&text,
		  "{\"source\": {\"system\": \"wz12345\"}, \"external_id\": \"WO-1\","
		  " \"occurred_at\": \"2026-11-22T10:00:00+08:00\", \"region_code\": \"330381\","
		  " \"subject\": \"s\", \"content\": \"");
	for (int i = 0; i < 20001; i++)
		sbuf_adds(&text, "信");
	sbuf_adds(&text, "\"}");
	T_INTEQ(intake_validate(schemas(), text.buf, text.len, &v), -1);
	msg = intake_errors_text(&v);
	T_STREQ(msg, "content: longer than 20000 characters");
	free(msg);
	intake_verdict_release(&v);
	sbuf_release(&text);
}

static void expect_region(const char *code, const char *want)
{
	struct sbuf text = SBUF_INIT;

	sbuf_addf(&text,
		  "{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
		  " 'occurred_at': '2026-11-22T10:00:00+08:00', 'subject': 's',"
		  " 'content': 'c', 'region_code': '%s'}",
		  code);
	expect(text.buf, want);
	sbuf_release(&text);
}

static void t_bad_region_code(void)
{
	expect_region("330381", "");
	expect_region("330381001", "");
	expect_region("330381001001", "");
	expect_region("33038", "bad_region_code@region_code");
	expect_region("3303810", "bad_region_code@region_code");
	expect_region("990101", "bad_region_code@region_code");
	expect_region("33038a", "bad_region_code@region_code");
	expect_region("3303810010", "bad_region_code@region_code");
}

/* A code of too many digits is not a division code either (DESIGN §2). */
static void t_region_code_too_many_digits(void)
{
	expect_region("3303810010010", "bad_region_code@region_code");
	expect_region("33038100100100", "bad_region_code@region_code");
}

static void expect_time(const char *at, const char *want)
{
	struct sbuf text = SBUF_INIT;

	sbuf_addf(&text,
		  "{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
		  " 'region_code': '330381', 'subject': 's', 'content': 'c',"
		  " 'occurred_at': '%s'}",
		  at);
	expect(text.buf, want);
	sbuf_release(&text);
}

static void t_bad_time(void)
{
	expect_time("2026-11-22T10:00:00Z", "");
	expect_time("2026-02-29T10:00:00+08:00", "bad_time@occurred_at");
	expect_time("2026-11-22T10:00:00", "bad_time@occurred_at");
	expect_time("2026-11-22 10:00", "bad_time@occurred_at");
	expect_time("yesterday", "bad_time@occurred_at");
	/* what PostgreSQL cannot store is bad input here, not a failure later */
	expect_time("2026-11-22T10:00:00+15:59", "");
	expect_time("2026-11-22T10:00:00+16:00", "bad_time@occurred_at");
	expect_time("2026-11-22T10:00:00-23:00", "bad_time@occurred_at");
	expect_time("0000-01-01T00:00:00Z", "bad_time@occurred_at");
	expect_time("2016-12-31T23:59:60Z", "");
	expect_time("2016-12-31T23:59:60.5Z", "bad_time@occurred_at");
	expect("{'source': {'system': 'wz12345'}, 'external_id': 'WO-1',"
	       " 'region_code': '330381', 'subject': 's', 'content': 'c',"
	       " 'occurred_at': 1795312800}",
	       "wrong_type@occurred_at");
}

static void t_bad_value(void)
{
	static const char *const channels[] = { "hotline", "web",    "app",      "grid",
						"walk_in", "letter", "e_station" };
	struct sbuf text = SBUF_INIT;

	for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
		sbuf_reset(&text);
		sbuf_addf(&text,
			  "{'source': {'system': 'wz12345', 'channel': '%s'},"
			  " 'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
			  " 'region_code': '330381', 'subject': 's', 'content': 'c'}",
			  channels[i]);
		expect(text.buf, "");
	}
	expect("{'source': {'system': 'wz12345', 'channel': 'fax'},"
	       " 'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
	       " 'region_code': '330381', 'subject': 's', 'content': 'c'}",
	       "bad_value@source.channel");
	expect("{'source': {'system': 'wz12345', 'channel': 'Hotline'},"
	       " 'external_id': 'WO-1', 'occurred_at': '2026-11-22T10:00:00+08:00',"
	       " 'region_code': '330381', 'subject': 's', 'content': 'c'}",
	       "bad_value@source.channel");
	expect(EV(", 'co_signers': 0"), "bad_value@co_signers");
	expect(EV(", 'co_signers': -3"), "bad_value@co_signers");
	expect(EV(", 'co_signers': 1"), "");
	expect(EV(", 'location': {'lat': 91, 'lon': 120}"), "bad_value@location.lat");
	expect(EV(", 'location': {'lat': 27, 'lon': -180.5}"), "bad_value@location.lon");
	sbuf_release(&text);
}

/*
 * Every problem is reported, in a fixed order (missing properties first, then
 * the event's fields as they come), and the keys stay readable.
 */
static void t_several(void)
{
	struct intake_verdict v;
	struct sbuf got = SBUF_INIT;
	char *s = dq("{'source': {'system': 'wz12345', 'channel': 'fax'},"
		     " 'external_id': 'WO-9', 'occurred_at': '2026-02-29T10:00:00+08:00',"
		     " 'region_code': '990101', 'content': 'c', 'co_signers': 0}");
	char *text;

	T_INTEQ(intake_validate(schemas(), s, strlen(s), &v), -1);
	summary(&v, &got);
	T_STREQ(got.buf, "missing_field@subject, bad_value@source.channel, "
			 "bad_time@occurred_at, bad_region_code@region_code, bad_value@co_signers");
	T_STREQ(v.source_system, "wz12345");
	T_STREQ(v.external_id, "WO-9");
	T_STREQ(intake_first_code(&v), "missing_field");
	text = intake_errors_text(&v);
	T_STREQ(text, "subject: required field is missing; "
		      "source.channel: not one of the allowed values; "
		      "occurred_at: not an RFC 3339 date-time with offset; "
		      "region_code: not a division code: 6, 9 or 12 digits beginning with "
		      "a province code; co_signers: out of range");
	free(text);
	T_CHECK(json_is_object(v.event)); /* kept for the dead letter's context */
	intake_verdict_release(&v);
	sbuf_release(&got);
	free(s);
}

/* A receipt names the event only when both keys were read. */
static void t_keys_unreadable(void)
{
	struct intake_verdict v;
	char *a = dq("{'source': {'system': 'wz12345'}, 'external_id': 5,"
		     " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
		     " 'subject': 's', 'content': 'c'}");
	char *b = dq("{'external_id': 'WO-1',"
		     " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code': '330381',"
		     " 'subject': 's', 'content': 'c'}");
	char *c = dq(EV(", 'co_signers': 0"));

	T_INTEQ(intake_validate(schemas(), a, strlen(a), &v), -1);
	T_CHECK(v.source_system == NULL && v.external_id == NULL);
	intake_verdict_release(&v);
	T_INTEQ(intake_validate(schemas(), b, strlen(b), &v), -1);
	T_CHECK(v.source_system == NULL && v.external_id == NULL);
	intake_verdict_release(&v);
	T_INTEQ(intake_validate(schemas(), c, strlen(c), &v), -1); /* both read: named */
	T_STREQ(v.source_system, "wz12345");
	T_STREQ(v.external_id, "WO-1");
	intake_verdict_release(&v);
	T_INTEQ(intake_validate(schemas(), "\xFF", 1, &v), -1);
	T_CHECK(v.source_system == NULL && v.external_id == NULL && v.event == NULL);
	intake_verdict_release(&v);
	free(a);
	free(b);
	free(c);
}

static void t_first_code(void)
{
	struct intake_verdict v;

	intake_validate(schemas(), "[1]", 3, &v);
	T_STREQ(intake_first_code(&v), "not_object");
	intake_verdict_release(&v);
	intake_validate(schemas(), "{", 1, &v);
	T_STREQ(intake_first_code(&v), "not_json");
	intake_verdict_release(&v);
	intake_validate(schemas(), "{}", 2, &v);
	T_STREQ(intake_first_code(&v), "missing_field");
	intake_verdict_release(&v);
}

/* Errors without a field read as the message alone. */
static void t_errors_text_no_field(void)
{
	struct intake_verdict v;
	char *text;

	intake_validate(schemas(), "\xC0\xAF", 2, &v);
	text = intake_errors_text(&v);
	T_STREQ(text, "not valid UTF-8");
	free(text);
	intake_verdict_release(&v);
	intake_validate(schemas(), "[]", 2, &v);
	text = intake_errors_text(&v);
	T_STREQ(text, "the event must be a JSON object");
	free(text);
	intake_verdict_release(&v);
}

static void t_errors_text_valid(void)
{
	struct intake_verdict v;
	char *s = dq(EV(""));
	char *text;

	intake_validate(schemas(), s, strlen(s), &v);
	text = intake_errors_text(&v);
	T_STREQ(text, "");
	free(text);
	intake_verdict_release(&v);
	free(s);
}

/*
 * What intake accepts, the contract's schema (xf.hotline_event.v1) accepts
 * too: found by fuzzing (tests/fuzz/validate.c).
 */
static void t_contract_shapes(void)
{
	expect(EV(", 'attachments': [{'name': 'a.jpg'}]"), "missing_field@attachments[0].url");
	expect(EV(", 'attachments': [{'url': ''}, 7]"),
	       "empty_field@attachments[0].url, wrong_type@attachments[1]");
	expect(EV(", 'attachments': [{'url': 'https://x/a', 'name': 5, 'sha256': 'ab'}]"),
	       "wrong_type@attachments[0].name, bad_value@attachments[0].sha256");
	expect(EV(", 'attachments': [{'url': 'https://x/a', 'name': null, 'sha256': null}]"), "");
	expect(EV(", 'location': {}"), "missing_field@location.lat, missing_field@location.lon");
	expect(EV(", 'location': {'lat': 27.78, 'lon': null}"), "missing_field@location.lon");
	expect_time("2026-11-22 10:00:00+08:00", "bad_time@occurred_at");
	expect_time("2026-11-22t10:00:00+08:00", "");
	/* a long fraction, up to the 64 characters of the schema and PostgreSQL */
	expect_time("2026-11-22T10:00:00.00000000000000000000000000000000000000+08:00", "");
	expect_time("2026-11-22T10:00:00.000000000000000000000000000000000000000+08:00",
		    "bad_time@occurred_at");
}

/* The schema's lengths, no shorter (found by fuzzing too). */
static void t_contract_lengths(void)
{
	static const struct {
		const char *field;
		size_t max;
	} f[] = {
		{ "external_id", 256 },
		{ "category_hint", 100 },
		{ "language", 35 },
	};
	struct sbuf text = SBUF_INIT, val = SBUF_INIT, want = SBUF_INIT;

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		for (size_t n = f[i].max; n <= f[i].max + 1; n++) {
			sbuf_reset(&val);
			while (val.len < n)
				sbuf_addch(&val, 'x');
			sbuf_reset(&text);
			sbuf_addf(&text,
				  "{'source': {'system': 'wz12345'}, %s"
				  " 'occurred_at': '2026-11-22T10:00:00+08:00', 'region_code':"
				  " '330381', 'subject': 's', 'content': 'c', '%s': '%s'}",
				  i ? "'external_id': 'WO-1'," : "", f[i].field, val.buf);
			sbuf_reset(&want);
			if (n > f[i].max)
				sbuf_addf(&want, "too_long@%s", f[i].field);
			expect(text.buf, want.buf);
		}
	}
	expect(EV(", 'petitioner': {'phone': '1234567890123456789012345678901234567890',"
		  " 'id_number': '1234567890123456789012345678901234567890'}"),
	       "");
	sbuf_release(&text);
	sbuf_release(&val);
	sbuf_release(&want);
}

/* 41 characters of x: one past the phone's and id number's 40. */
#define X41 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/*
 * The schema decides where the hand-written checks did otherwise: co_signers
 * 3.0 is an integer (made a JSON integer for xf-classify) and has no upper
 * bound; the phone and id number stop at 40; a null required field is
 * missing.
 */
static void t_schema_wins(void)
{
	struct intake_verdict v;
	char *s = dq(EV(", 'co_signers': 3.0"));

	T_INTEQ(intake_validate(schemas(), s, strlen(s), &v), 0);
	T_CHECK(json_is_integer(json_object_get(v.event, "co_signers")));
	T_INTEQ(json_integer_value(json_object_get(v.event, "co_signers")), 3);
	intake_verdict_release(&v);
	free(s);
	expect(EV(", 'co_signers': 5000000000"), "");
	expect(EV(", 'co_signers': 1e300"), "");
	expect(EV(", 'co_signers': 0.0"), "bad_value@co_signers");
	expect(EV(", 'petitioner': {'phone': '" X41 "'}"), "too_long@petitioner.phone");
	expect(EV(", 'petitioner': {'id_number': '" X41 "'}"), "too_long@petitioner.id_number");
	expect(EV(", 'attachments': [{'url': 'https://x/a', 'sha256': ''}]"),
	       "empty_field@attachments[0].sha256");
	expect(EV(", 'attachments': [{'url': 'https://x/a'}, {'url': 'https://x/b',"
		  " 'sha256': 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B85'}]"),
	       "bad_value@attachments[1].sha256");
	expect_time("2026-11-22T10:00:00+08:00\\n", "bad_time@occurred_at");
	expect_region("330381\\n", "bad_region_code@region_code");
}

/* One error per field, the first the schema finds. */
static void t_one_error_per_field(void)
{
	expect_time("", "empty_field@occurred_at");
	expect_time("2026-11-22 10:00:00+08:00 and more text than sixty-four characters",
		    "bad_time@occurred_at");
	expect_region("", "empty_field@region_code");
}

/* clang-format off */
T_SUITE(validate,
	{ "valid_minimal", t_valid_minimal },
	{ "valid_full", t_valid_full },
	{ "optional_null", t_optional_null },
	{ "too_large", t_too_large },
	{ "too_many_values", t_too_many_values },
	{ "not_utf8", t_not_utf8 },
	{ "not_json", t_not_json },
	{ "not_object", t_not_object },
	{ "not_object_scalar", t_not_object_scalar },
	{ "bad_schema", t_bad_schema },
	{ "missing_field", t_missing_field },
	{ "wrong_type", t_wrong_type },
	{ "empty_field", t_empty_field },
	{ "too_long", t_too_long },
	{ "bad_region_code", t_bad_region_code },
	{ "region_code_too_many_digits", t_region_code_too_many_digits },
	{ "bad_time", t_bad_time },
	{ "bad_value", t_bad_value },
	{ "several", t_several },
	{ "schema_wins", t_schema_wins },
	{ "one_error_per_field", t_one_error_per_field },
	{ "keys_unreadable", t_keys_unreadable },
	{ "first_code", t_first_code },
	{ "errors_text_no_field", t_errors_text_no_field },
	{ "errors_text_valid", t_errors_text_valid },
	{ "contract_shapes", t_contract_shapes },
	{ "contract_lengths", t_contract_lengths })
/* clang-format on */
