/* Unit tests for common/jschema.c. */
#include <pthread.h>
#include <string.h>

#include <jansson.h>

#include "jschema.h"
#include "sbuf.h"
#include "tharness.h"

/*
 * Validates the JSON text inst against the schema {"$id":"t", BODY} and
 * checks the outcome: want NULL means valid, otherwise the exact errors.
 */
static void expect(const char *body, const char *inst, const char *want)
{
	struct jschema_set *set = jschema_set_new();
	struct sbuf text = SBUF_INIT, err = SBUF_INIT;
	json_t *doc = json_loads(inst, JSON_DECODE_ANY, NULL);
	int rc;

	sbuf_addf(&text, "{\"$id\": \"t\", %s}", body);
	if (T_CHECK(jschema_add(set, text.buf, text.len, &err) == 0) && T_CHECK(doc != NULL)) {
		rc = jschema_validate(set, "t", doc, &err);
		T_INTEQ(rc, want ? -1 : 0);
		T_STREQ(err.buf, want ? want : "");
	} else {
		T_STREQ(err.buf, "");
	}
	json_decref(doc);
	sbuf_release(&text);
	sbuf_release(&err);
	jschema_set_free(set);
}

/*
 * Adds the schema text and checks that it is refused with exactly want, or
 * with a message starting with want when that ends in "..." (for text that
 * comes from the C library or jansson).
 */
static void expect_refused(const char *text, const char *want)
{
	struct jschema_set *set = jschema_set_new();
	struct sbuf err = SBUF_INIT;
	size_t n = strlen(want);

	T_INTEQ(jschema_add(set, text, strlen(text), &err), -1);
	if (n > 3 && strcmp(want + n - 3, "...") == 0)
		T_CHECK(strncmp(err.buf, want, n - 3) == 0);
	else
		T_STREQ(err.buf, want);
	T_INTEQ(jschema_has(set, "p"), 0);
	sbuf_release(&err);
	jschema_set_free(set);
}

static void t_type(void)
{
	expect("\"type\": \"string\"", "\"x\"", NULL);
	expect("\"type\": \"string\"", "3", "(root): expected string, got integer");
	expect("\"type\": \"object\"", "{}", NULL);
	expect("\"type\": \"object\"", "[]", "(root): expected object, got array");
	expect("\"type\": \"array\"", "[1]", NULL);
	expect("\"type\": \"boolean\"", "false", NULL);
	expect("\"type\": \"boolean\"", "null", "(root): expected boolean, got null");
	expect("\"type\": \"null\"", "null", NULL);
	expect("\"type\": \"null\"", "true", "(root): expected null, got boolean");
	expect("\"type\": [\"string\", \"null\"]", "null", NULL);
	expect("\"type\": [\"string\", \"null\"]", "{}",
	       "(root): expected string or null, got object");
}

static void t_type_numbers(void)
{
	expect("\"type\": \"number\"", "7", NULL);
	expect("\"type\": \"number\"", "7.5", NULL);
	expect("\"type\": \"integer\"", "7", NULL);
	expect("\"type\": \"integer\"", "7.0", NULL);
	expect("\"type\": \"integer\"", "7.5", "(root): expected integer, got number");
	expect("\"type\": \"number\"", "\"7\"", "(root): expected number, got string");
}

static void t_required(void)
{
	expect("\"required\": [\"code\", \"name\"]", "{\"code\": 1, \"name\": 2}", NULL);
	expect("\"required\": [\"code\", \"name\"]", "{\"name\": 2}",
	       "(root): required property \"code\" is missing");
	expect("\"required\": [\"code\"]", "[]", NULL); /* not an object */
}

static void t_properties(void)
{
	static const char body[] = "\"properties\": {\"dept\": {\"properties\": "
				   "{\"code\": {\"type\": \"string\"}}}}";

	expect(body, "{\"dept\": {\"code\": \"110101\"}, \"other\": 1}", NULL);
	expect(body, "{\"dept\": {\"code\": 110101}}", "/dept/code: expected string, got integer");
	expect("\"properties\": {\"x\": false}", "{\"y\": 1}", NULL);
	expect("\"properties\": {\"x\": false}", "{\"x\": 1}", "/x: no value is allowed here");
	expect("\"properties\": {\"x\": true}", "{\"x\": 1}", NULL);
}

static void t_additional(void)
{
	static const char body[] = "\"properties\": {\"a\": {}}, \"additionalProperties\": false";

	expect(body, "{\"a\": 1}", NULL);
	expect(body, "{\"a\": 1, \"levl\": 2}", "(root): unknown property \"levl\" is not allowed");
	expect("\"additionalProperties\": true", "{\"b\": 1}", NULL);
	expect("\"additionalProperties\": false", "{}", NULL);
}

static void t_items(void)
{
	static const char body[] = "\"items\": {\"type\": \"integer\"}";

	expect(body, "[1, 2, 3]", NULL);
	expect(body, "[]", NULL);
	expect(body, "[1, \"two\", 3]", "/1: expected integer, got string");
	expect(body, "{\"0\": \"x\"}", NULL); /* not an array */
}

static void t_enum(void)
{
	static const char body[] = "\"enum\": [\"province\", \"city\", \"county\", \"township\", "
				   "\"village\"]";

	expect(body, "\"county\"", NULL);
	expect(body, "\"country\"",
	       "(root): \"country\" is not one of province, "
	       "city, county, township, village");
	expect("\"enum\": [1, null, [2]]", "[2]", NULL);
	expect("\"enum\": [1, null, [2]]", "2", "(root): 2 is not one of 1, null, [2]");
	expect("\"enum\": [1]", "1.0", "(root): 1 is not one of 1"); /* json_equal */
}

static void t_enum_long_list(void)
{
	expect("\"enum\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14]", "0",
	       "(root): 0 is not one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, "
	       "... (14 values)");
}

static void t_const(void)
{
	expect("\"const\": {\"v\": [1, \"a\"]}", "{\"v\": [1, \"a\"]}", NULL);
	expect("\"const\": {\"v\": 1}", "{\"v\": 2}",
	       "(root): {\"v\":2} is not the constant {\"v\":1}");
	expect("\"const\": null", "null", NULL);
	expect("\"const\": null", "0", "(root): 0 is not the constant null");
	expect("\"const\": \"v1\"", "\"v2\"", "(root): \"v2\" is not the constant \"v1\"");
}

static void t_pattern(void)
{
	static const char body[] = "\"pattern\": \"^[0-9]{6}$\"";

	expect(body, "\"110101\"", NULL);
	expect(body, "\"11010\"", "(root): does not match the pattern \"^[0-9]{6}$\"");
	expect("\"pattern\": \"b\"", "\"abc\"", NULL); /* unanchored search */
	expect("\"pattern\": \"^b\"", "\"abc\"", "(root): does not match the pattern \"^b\"");
	expect(body, "110101", NULL); /* not a string */
}

static void t_pattern_ecma(void)
{
	expect("\"pattern\": \"^\\\\d{6}$\"", "\"110101\"", NULL);
	expect("\"pattern\": \"^\\\\d{6}$\"", "\"dddddd\"",
	       "(root): does not match the pattern \"^\\d{6}$\"");
	expect("\"pattern\": \"^[\\\\w.\\\\-]+@\\\\S+$\"", "\"a-b.c@x\"", NULL);
	expect("\"pattern\": \"^[\\\\w.\\\\-]+$\"", "\"a b\"",
	       "(root): does not match the pattern \"^[\\w.\\-]+$\"");
	expect("\"pattern\": \"^(?:ab)+?$\"", "\"abab\"", NULL);
	expect("\"pattern\": \"^a+?$\"", "\"\"", "(root): does not match the pattern \"^a+?$\"");
	expect("\"pattern\": \"^\\\\.[\\\\]x]$\"", "\".]\"", NULL);
	expect("\"pattern\": \"^[[:digit:]]+$\"", "\"42\"", NULL);
	expect("\"pattern\": \"^[\\\\^]$\"", "\"^\"", NULL);
}

/* PCRE2 in UTF mode: "." is one character, however many bytes it takes. */
static void t_pattern_utf8(void)
{
	expect("\"pattern\": \"^.$\"", "\"访\"", NULL);
	expect("\"pattern\": \"^.{2}$\"", "\"信访\"", NULL);
	expect("\"pattern\": \"^.$\"", "\"信访\"", "(root): does not match the pattern \"^.$\"");
	expect("\"pattern\": \"^[^a]$\"", "\"访\"", NULL);
	expect("\"pattern\": \"^\\\\u8bbf$\"", "\"访\"", NULL); /* \uXXXX */
	expect("\"pattern\": \"^[\\\\u4e00-\\\\u9fff]+$\"", "\"信访件\"", NULL);
	expect("\"pattern\": \"^[\\\\u4e00-\\\\u9fff]+$\"", "\"信访A\"",
	       "(root): does not match the pattern \"^[\\u4e00-\\u9fff]+$\"");
}

/* ECMA-262 features POSIX lacked, and $ only at the very end. */
static void t_pattern_ecma_more(void)
{
	expect("\"pattern\": \"\\\\bword\\\\b\"", "\"a word here\"", NULL);
	expect("\"pattern\": \"\\\\bword\\\\b\"", "\"swordfish\"",
	       "(root): does not match the pattern \"\\bword\\b\"");
	expect("\"pattern\": \"^(?=.*[0-9])[a-z0-9]+$\"", "\"ab1\"", NULL);
	expect("\"pattern\": \"^(a)\\\\1$\"", "\"aa\"", NULL);
	expect("\"pattern\": \"^[0-9]{6}$\"", "\"110101\\n\"",
	       "(root): does not match the pattern \"^[0-9]{6}$\"");
}

static void t_pattern_refused(void)
{
	expect_refused("{\"$id\": \"p\", \"pattern\": \"[a-\"}",
		       "schema \"p\": /pattern: \"[a-\" does not compile: ...");
	expect_refused("{\"$id\": \"p\", \"pattern\": \"x\\\\\"}",
		       "schema \"p\": /pattern: \"x\\\" does not compile: "
		       "\\ at end of pattern at offset 2");
	expect_refused("{\"$id\": \"p\", \"pattern\": \"(?<n\"}",
		       "schema \"p\": /pattern: \"(?<n\" does not compile: ...");
	expect_refused("{\"$id\": \"p\", \"pattern\": \"a\\\\C\"}",
		       "schema \"p\": /pattern: \"a\\C\" does not compile: ...");
	expect_refused("{\"$id\": \"p\", \"pattern\": 5}",
		       "schema \"p\": /pattern: must be a string");
}

/* The named formats asserted; the others are annotations. */
static void t_format(void)
{
	static const char dt[] = "\"format\": \"date-time\"";
	static const char rc[] = "\"format\": \"xf-region-code\"";

	expect(dt, "\"2026-11-22T10:00:00+08:00\"", NULL);
	expect(dt, "\"2026-11-22t10:00:00.5z\"", NULL);
	expect(dt, "\"2026-11-22 10:00:00+08:00\"",
	       "(root): is not an RFC 3339 date-time with offset (with T, years "
	       "0001 to 9999)");
	expect(dt, "\"2026-02-30T10:00:00+08:00\"",
	       "(root): is not an RFC 3339 date-time with offset (with T, years "
	       "0001 to 9999)");
	expect(dt, "\"2026-11-22T10:00:00\"",
	       "(root): is not an RFC 3339 date-time with offset (with T, years "
	       "0001 to 9999)");
	expect(dt, "5", NULL); /* a format is about strings only */
	expect(rc, "\"330381\"", NULL);
	expect(rc, "\"330381001001\"", NULL);
	expect(rc, "\"990101\"",
	       "(root): is not a division code: 6, 9 or 12 "
	       "digits beginning with a province code");
	expect(rc, "\"3303810\"",
	       "(root): is not a division code: 6, 9 or 12 "
	       "digits beginning with a province code");
	expect("\"format\": \"uri\"", "\"not a uri\"", NULL);
	expect_refused("{\"$id\": \"p\", \"format\": 5}",
		       "schema \"p\": /format: must be a string");
}

/* What jschema_check() hands its callback. */
struct seen {
	struct sbuf text;
	int calls;
};

static void on_error(const struct jschema_error *e, void *arg)
{
	struct seen *seen = arg;

	seen->calls++;
	sbuf_addf(&seen->text, "%s[%s|%s|%s|max=%d] ", e->path, e->keyword,
		  e->property ? e->property : "-", json_is_null(e->value) ? "null" : "v",
		  (int)json_integer_value(json_object_get(e->schema, "maxLength")));
}

static void t_check_callback(void)
{
	static const char schema[] =
		"{\"$id\": \"c\", \"required\": [\"a\"], \"properties\": {"
		"\"b\": {\"type\": \"string\", \"maxLength\": 2},"
		"\"d\": {\"type\": \"object\", \"additionalProperties\": false}}}";
	struct jschema_set *set = jschema_set_new();
	struct seen seen = { SBUF_INIT, 0 };
	json_t *doc = json_loads("{\"b\": \"abc\", \"d\": {\"x/y\": null}}", 0, NULL);

	T_INTEQ(jschema_add(set, schema, strlen(schema), NULL), 0);
	T_INTEQ(jschema_check(set, "c", doc, on_error, &seen), -1);
	T_STREQ(seen.text.buf, "[required|a|v|max=0] /b[maxLength|-|v|max=2] "
			       "/d[additionalProperties|x/y|v|max=0] ");
	T_INTEQ(jschema_check(set, "nope", doc, on_error, &seen), -1);
	T_INTEQ(seen.calls, 4);
	T_INTEQ(jschema_check(set, "c", doc, NULL, NULL), -1);
	json_object_set_new(doc, "a", json_null());
	json_object_set_new(doc, "b", json_string("ab"));
	json_object_del(doc, "d");
	T_INTEQ(jschema_check(set, "c", doc, on_error, &seen), 0);
	T_INTEQ(seen.calls, 4);
	json_decref(doc);
	sbuf_release(&seen.text);
	jschema_set_free(set);
}

/* One compiled set, validated from several threads at once. */
struct worker {
	const struct jschema_set *set;
	int failures;
};

static void *validate_many(void *arg)
{
	struct worker *w = arg;
	json_t *good = json_string("信访件"), *bad = json_string("信访A");

	for (int i = 0; i < 2000; i++)
		if (jschema_validate(w->set, "u", good, NULL) != 0 ||
		    jschema_validate(w->set, "u", bad, NULL) != -1)
			w->failures++;
	json_decref(good);
	json_decref(bad);
	return NULL;
}

static void t_threads(void)
{
	static const char schema[] =
		"{\"$id\": \"u\", \"pattern\": \"^[\\\\u4e00-\\\\u9fff]{3}$\"}";
	struct jschema_set *set = jschema_set_new();
	struct worker w[4];
	pthread_t th[4];

	T_INTEQ(jschema_add(set, schema, strlen(schema), NULL), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ set, 0 };
		T_INTEQ(pthread_create(&th[i], NULL, validate_many, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_INTEQ(w[i].failures, 0);
	}
	jschema_set_free(set);
}

static void t_length(void)
{
	static const char body[] = "\"minLength\": 2, \"maxLength\": 3";

	expect(body, "\"北京\"", NULL); /* 2 code points, 6 bytes */
	expect(body, "\"北京市\"", NULL);
	expect(body, "\"北\"", "(root): is 1 characters long, shorter than the minimum of 2");
	expect(body, "\"北京市区\"", "(root): is 4 characters long, longer than the maximum of 3");
	expect(body, "7", NULL); /* not a string */
}

static void t_minimum_maximum(void)
{
	static const char body[] = "\"minimum\": 1, \"maximum\": 10.5";

	expect(body, "1", NULL);
	expect(body, "10.5", NULL);
	expect(body, "0", "(root): 0 is less than the minimum 1");
	expect(body, "0.1", "(root): 0.1 is less than the minimum 1");
	expect(body, "11", "(root): 11 is greater than the maximum 10.5");
	expect("\"maximum\": 9007199254740992", "9007199254740993",
	       "(root): 9007199254740993 is greater than the maximum "
	       "9007199254740992");
	expect(body, "\"11\"", NULL); /* not a number */
}

static void t_min_max_items(void)
{
	static const char body[] = "\"minItems\": 2, \"maxItems\": 3";

	expect(body, "[1, 2]", NULL);
	expect(body, "[1, 2, 3]", NULL);
	expect(body, "[1]", "(root): has 1 item, fewer than the minimum of 2");
	expect(body, "[1, 2, 3, 4]", "(root): has 4 items, more than the maximum of 3");
	expect(body, "{}", NULL); /* not an array */
}

static void t_ref(void)
{
	static const char body[] = "\"$defs\": {\"code\": {\"type\": \"string\", \"pattern\": "
				   "\"^[0-9]{6}$\"}, \"a/b~\": {\"const\": 1}},"
				   "\"properties\": {\"home\": {\"$ref\": \"#/$defs/code\"},"
				   "\"odd\": {\"$ref\": \"#/$defs/a~1b~0\"}}";

	expect(body, "{\"home\": \"110101\", \"odd\": 1}", NULL);
	expect(body, "{\"home\": 110101}", "/home: expected string, got integer");
	expect(body, "{\"home\": \"1101\", \"odd\": 2}",
	       "/home: does not match the pattern \"^[0-9]{6}$\"; "
	       "/odd: 2 is not the constant 1");
}

static void t_ref_recursive(void)
{
	static const char body[] = "\"$ref\": \"#/$defs/node\", \"$defs\": {\"node\": {"
				   "\"type\": \"object\", \"required\": [\"name\"],"
				   "\"properties\": {\"children\": {\"type\": \"array\","
				   "\"items\": {\"$ref\": \"#/$defs/node\"}}}}}";

	expect(body,
	       "{\"name\": \"a\", \"children\": [{\"name\": \"b\","
	       "\"children\": []}]}",
	       NULL);
	expect(body,
	       "{\"name\": \"a\", \"children\": [{\"name\": \"b\"},"
	       "{\"children\": [{}]}]}",
	       "/children/1: required property \"name\" is missing; "
	       "/children/1/children/0: required property \"name\" is missing");
}

static void t_ref_refused(void)
{
	expect_refused("{\"$id\": \"r\", \"$ref\": \"#/$defs/none\"}",
		       "schema \"r\": /$ref: \"#/$defs/none\" names no entry of $defs");
	expect_refused("{\"$id\": \"r\", \"$ref\": \"other.json#/x\"}",
		       "schema \"r\": /$ref: must be a string \"#/$defs/NAME\"; "
		       "other references are not supported");
	expect_refused("{\"$id\": \"r\", \"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"},"
		       "\"b\": {\"$ref\": \"#/$defs/a\"}}}",
		       "schema \"r\": /$defs/a: its $ref chain loops back on itself; "
		       "schema \"r\": /$defs/b: its $ref chain loops back on itself");
}

static void t_ignored_keywords(void)
{
	expect("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
	       "\"title\": \"T\", \"description\": \"D\", \"format\": \"email\","
	       "\"examples\": [1], \"x-unknown\": {\"type\": 5}, \"type\": \"string\"",
	       "\"not an email\"", NULL);
}

/* A rules file with faults in several places, all reported at once. */
static void t_several_errors(void)
{
	static const char body[] =
		"\"type\": \"object\", \"required\": [\"rules\", \"version\"],"
		"\"properties\": {\"rules\": {\"type\": \"array\", \"items\": {"
		"\"type\": \"object\", \"required\": [\"id\"],"
		"\"additionalProperties\": false, \"properties\": {"
		"\"id\": {\"type\": \"string\", \"minLength\": 1},"
		"\"assign\": {\"type\": \"object\", \"properties\": {\"level\": {"
		"\"enum\": [\"province\", \"city\", \"county\", \"township\","
		"\"village\"]}}}}}}}";

	expect(body,
	       "{\"version\": 1, \"rules\": [{\"id\": \"r1\", \"assign\":"
	       "{\"level\": \"city\"}}]}",
	       NULL);
	expect(body,
	       "{\"rules\": [{\"id\": \"r1\"}, {\"id\": \"\"}, {}, {\"id\":"
	       "\"r4\", \"assign\": {\"level\": \"County\"}, \"note\": 1}]}",
	       "(root): required property \"version\" is missing; "
	       "/rules/1/id: is 0 characters long, shorter than the minimum of 1; "
	       "/rules/2: required property \"id\" is missing; "
	       "/rules/3/assign/level: \"County\" is not one of province, city, "
	       "county, township, village; "
	       "/rules/3: unknown property \"note\" is not allowed");
}

static void t_error_cap(void)
{
	struct jschema_set *set = jschema_set_new();
	static const char schema[] = "{\"$id\": \"c\", \"items\": {\"type\": \"string\"}}";
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	json_t *arr = json_array();

	for (int i = 0; i < 30; i++)
		json_array_append_new(arr, json_integer(i));
	for (int i = 0; i < JSCHEMA_MAX_ERRORS; i++)
		sbuf_addf(&want, "%s/%d: expected string, got integer", i ? "; " : "", i);
	sbuf_adds(&want, "; further errors not shown");
	T_INTEQ(jschema_add(set, schema, strlen(schema), &err), 0);
	T_INTEQ(jschema_validate(set, "c", arr, &err), -1);
	T_STREQ(err.buf, want.buf);
	sbuf_reset(&err);
	T_INTEQ(jschema_validate(set, "c", arr, NULL), -1); /* no buffer */
	json_decref(arr);
	sbuf_release(&want);
	sbuf_release(&err);
	jschema_set_free(set);
}

static void t_path_escaping(void)
{
	static const char body[] = "\"additionalProperties\": false, "
				   "\"properties\": {\"a/b\": {\"type\": \"string\"},"
				   "\"c~d\": {\"type\": \"string\"}, \"\": {\"type\": \"string\"}}";

	expect(body, "{\"a/b\": 1, \"c~d\": 2, \"\": 3, \"x\\ny\": 4}",
	       "/a~1b: expected string, got integer; "
	       "/c~0d: expected string, got integer; "
	       "/: expected string, got integer; "
	       "(root): unknown property \"x\\u000ay\" is not allowed");
}

static void t_long_values_cut(void)
{
	static const char body[] = "\"enum\": [\"a\"]";
	struct sbuf inst = SBUF_INIT, want = SBUF_INIT;

	sbuf_addch(&inst, '"');
	for (int i = 0; i < 30; i++)
		sbuf_adds(&inst, "中"); /* 3 bytes each */
	sbuf_addch(&inst, '"');
	sbuf_adds(&want, "(root): \"");
	for (int i = 0; i < 20; i++)
		sbuf_adds(&want, "中");
	sbuf_adds(&want, "...\" is not one of a");
	expect(body, inst.buf, want.buf);
	sbuf_release(&inst);
	sbuf_release(&want);
}

static void t_load_errors(void)
{
	expect_refused("{\"$id\": ", "schema: not valid JSON: ...");
	expect_refused("{\"$id\": \"d\", \"type\": \"string\", \"type\": \"null\"}",
		       "schema: not valid JSON: duplicate object key ...");
	expect_refused("[1]", "schema: (root): the document must be a JSON object");
	expect_refused("{\"type\": \"string\"}",
		       "schema: /$id: must be a non-empty string; it names the schema");
	expect_refused("{\"$id\": \"b\", \"type\": \"text\", \"minLength\": -1,"
		       "\"properties\": {\"x\": {\"maximum\": \"9\"}, \"y\": 3},"
		       "\"additionalProperties\": {}, \"items\": [{}],"
		       "\"enum\": [], \"required\": [1]}",
		       "schema \"b\": /type: \"text\" is not a type; use object, array, "
		       "string, integer, number, boolean or null; "
		       "schema \"b\": /minLength: must be a non-negative integer; "
		       "schema \"b\": /properties/x/maximum: must be a number; "
		       "schema \"b\": /properties/y: a schema must be an object, true "
		       "or false; "
		       "schema \"b\": /additionalProperties: must be true or false "
		       "(a schema here is not supported); "
		       "schema \"b\": /items: must be one schema (an array of them is "
		       "prefixItems in draft 2020-12, not supported); "
		       "schema \"b\": /enum: must be a non-empty array of values; "
		       "schema \"b\": /required: must be an array of property names");
}

static void t_set(void)
{
	struct jschema_set *set = jschema_set_new();
	static const char a[] = "{\"$id\": \"a\", \"type\": \"string\"}";
	struct sbuf err = SBUF_INIT;
	json_t *val = json_string("x");

	T_INTEQ(jschema_add(set, a, strlen(a), &err), 0);
	T_INTEQ(jschema_has(set, "a"), 1);
	T_INTEQ(jschema_has(set, "b"), 0);
	T_INTEQ(jschema_has(set, NULL), 0);
	T_INTEQ(jschema_add(set, a, strlen(a), &err), -1);
	T_STREQ(err.buf, "schema: /$id: a schema named \"a\" was already added");
	T_INTEQ(jschema_has(set, "a"), 1);
	sbuf_reset(&err);
	T_INTEQ(jschema_validate(set, "a", val, &err), 0);
	T_INTEQ(val->refcount, 1); /* borrowed, not kept */
	T_INTEQ(jschema_validate(set, "b", val, &err), -1);
	T_STREQ(err.buf, "no schema named \"b\" was added");
	json_decref(val);
	sbuf_release(&err);
	jschema_set_free(set);
	jschema_set_free(NULL);
}

static void t_err_appends(void)
{
	struct jschema_set *set = jschema_set_new();
	static const char a[] = "{\"$id\": \"a\", \"type\": \"string\"}";
	struct sbuf err = SBUF_INIT;
	json_t *val = json_integer(1);

	T_INTEQ(jschema_add(set, a, strlen(a), NULL), 0);
	sbuf_adds(&err, "line 3");
	T_INTEQ(jschema_validate(set, "a", val, &err), -1);
	T_STREQ(err.buf, "line 3; (root): expected string, got integer");
	T_INTEQ(jschema_add(set, "{", 1, NULL), -1); /* no buffer */
	json_decref(val);
	sbuf_release(&err);
	jschema_set_free(set);
}

/* clang-format off */
T_SUITE(jschema,
	{ "type", t_type },
	{ "type_numbers", t_type_numbers },
	{ "required", t_required },
	{ "properties", t_properties },
	{ "additional", t_additional },
	{ "items", t_items },
	{ "enum", t_enum },
	{ "enum_long_list", t_enum_long_list },
	{ "const", t_const },
	{ "pattern", t_pattern },
	{ "pattern_ecma", t_pattern_ecma },
	{ "pattern_utf8", t_pattern_utf8 },
	{ "pattern_ecma_more", t_pattern_ecma_more },
	{ "pattern_refused", t_pattern_refused },
	{ "format", t_format },
	{ "check_callback", t_check_callback },
	{ "threads", t_threads },
	{ "length", t_length },
	{ "minimum_maximum", t_minimum_maximum },
	{ "min_max_items", t_min_max_items },
	{ "ref", t_ref },
	{ "ref_recursive", t_ref_recursive },
	{ "ref_refused", t_ref_refused },
	{ "ignored_keywords", t_ignored_keywords },
	{ "several_errors", t_several_errors },
	{ "error_cap", t_error_cap },
	{ "path_escaping", t_path_escaping },
	{ "long_values_cut", t_long_values_cut },
	{ "load_errors", t_load_errors },
	{ "set", t_set },
	{ "err_appends", t_err_appends })
/* clang-format on */
