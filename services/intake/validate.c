/* validate.c - see validate.h. */
#include "validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jlimit.h"
#include "sbuf.h"
#include "util.h"

static void add_error(struct intake_verdict *v, const char *code,
		      const char *field, const char *msg)
{
	json_array_append_new(v->errors, json_pack("{s:s, s:s?, s:s}", "code", code,
						   "field", field, "message", msg));
}

/* A field of the event by dotted path ("source.system"), borrowed. */
static json_t *field(json_t *event, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[32];
	size_t n;

	if (!dot)
		return json_object_get(event, path);
	n = (size_t)(dot - path);
	if (n >= sizeof head)
		return NULL;
	memcpy(head, path, n);
	head[n] = '\0';
	event = json_object_get(event, head);
	return json_is_object(event) ? field(event, dot + 1) : NULL;
}

/* The string j at path, required or optional; returns it or NULL after an error. */
static const char *check_str_at(struct intake_verdict *v, json_t *j, const char *path,
				int required, size_t max_chars)
{
	struct sbuf msg = SBUF_INIT;
	const char *s = NULL;

	if (!j || json_is_null(j)) {
		if (required)
			add_error(v, "missing_field", path, "required field is missing");
	} else if (!json_is_string(j)) {
		add_error(v, "wrong_type", path, "must be a string");
	} else if (!*(s = json_string_value(j)) && required) {
		add_error(v, "empty_field", path, "must not be empty");
		s = NULL;
	} else if (max_chars && utf8_len(s) > max_chars) {
		sbuf_addf(&msg, "longer than %zu characters", max_chars);
		add_error(v, "too_long", path, msg.buf);
		s = NULL;
	}
	sbuf_release(&msg);
	return s;
}

/* A required or optional string field; returns it or NULL after an error. */
static const char *check_str(struct intake_verdict *v, const char *path,
			     int required, size_t max_chars)
{
	return check_str_at(v, field(v->event, path), path, required, max_chars);
}

static void check_enum(struct intake_verdict *v, const char *path,
		       const char *const *allowed)
{
	const char *s = check_str(v, path, 0, 0);

	if (!s)
		return;
	for (; *allowed; allowed++)
		if (!strcmp(s, *allowed))
			return;
	add_error(v, "bad_value", path, "not one of the allowed values");
}

static void check_number(struct intake_verdict *v, const char *path,
			 double lo, double hi, int integer)
{
	json_t *j = field(v->event, path);

	if (!j || json_is_null(j))
		return;
	if (integer ? !json_is_integer(j) : !json_is_number(j))
		add_error(v, "wrong_type", path, integer ? "must be an integer" : "must be a number");
	else if (json_number_value(j) < lo || json_number_value(j) > hi || isnan(json_number_value(j)))
		add_error(v, "bad_value", path, "out of range");
}

static void check_type(struct intake_verdict *v, const char *path, json_type type,
		       const char *what)
{
	json_t *j = field(v->event, path);

	if (j && !json_is_null(j) && json_typeof(j) != type)
		add_error(v, "wrong_type", path, what);
}

/* 1 if s is 64 hexadecimal digits. */
static int sha256_hex_ok(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* Each attachment is {url, name?, sha256?}, as xf.hotline_event.v1 has it. */
static void check_attachments(struct intake_verdict *v)
{
	json_t *list = field(v->event, "attachments"), *a;
	char path[64];
	const char *sha;
	size_t i;

	json_array_foreach(list, i, a) {
		snprintf(path, sizeof path, "attachments[%zu]", i);
		if (!json_is_object(a)) {
			add_error(v, "wrong_type", path, "must be an object");
			continue;
		}
		snprintf(path, sizeof path, "attachments[%zu].url", i);
		check_str_at(v, json_object_get(a, "url"), path, 1, 2048);
		snprintf(path, sizeof path, "attachments[%zu].name", i);
		check_str_at(v, json_object_get(a, "name"), path, 0, 255);
		snprintf(path, sizeof path, "attachments[%zu].sha256", i);
		sha = check_str_at(v, json_object_get(a, "sha256"), path, 0, 0);
		if (sha && !sha256_hex_ok(sha))
			add_error(v, "bad_value", path, "not 64 hexadecimal digits");
	}
}

/* A location, when given, has both lat and lon. */
static void check_location(struct intake_verdict *v)
{
	static const char *const axes[] = { "location.lat", "location.lon" };

	if (!json_is_object(field(v->event, "location")))
		return;
	for (size_t i = 0; i < 2; i++)
		if (!field(v->event, axes[i]) || json_is_null(field(v->event, axes[i])))
			add_error(v, "missing_field", axes[i], "required field is missing");
	check_number(v, "location.lat", -90, 90, 0);
	check_number(v, "location.lon", -180, 180, 0);
}

static void check_required(struct intake_verdict *v)
{
	const char *region, *at;
	time_t t;

	v->source_system = check_str(v, "source.system", 1, 128);
	v->external_id = check_str(v, "external_id", 1, 256);
	check_type(v, "source", JSON_OBJECT, "must be an object");
	/* the time parser also takes a space for the T; the contract does not */
	if ((at = check_str(v, "occurred_at", 1, 0)) &&
	    (time_parse_rfc3339(at, &t) || (at[10] != 'T' && at[10] != 't')))
		add_error(v, "bad_time", "occurred_at", "not an RFC 3339 date-time with offset");
	if ((region = check_str(v, "region_code", 1, 0)) && !region_code_valid(region))
		add_error(v, "bad_region_code", "region_code",
			  "not a division code: 6, 9 or 12 digits beginning with a province code");
	check_str(v, "subject", 1, 200);
	check_str(v, "content", 1, 20000);
}

static void check_optional(struct intake_verdict *v)
{
	static const char *const channels[] = { "hotline", "web", "app", "grid",
		"walk_in", "letter", "e_station", NULL };
	json_t *schema = json_object_get(v->event, "schema");

	if (schema && (!json_is_string(schema) ||
		       strcmp(json_string_value(schema), "xf.hotline_event.v1")))
		add_error(v, "bad_schema", "schema", "must be \"xf.hotline_event.v1\"");
	check_enum(v, "source.channel", channels);
	check_type(v, "petitioner", JSON_OBJECT, "must be an object");
	check_str(v, "petitioner.name", 0, 100);
	check_str(v, "petitioner.phone", 0, 40);
	check_str(v, "petitioner.id_number", 0, 40);
	check_str(v, "address", 0, 500);
	check_str(v, "category_hint", 0, 100);
	check_str(v, "language", 0, 35);
	check_type(v, "location", JSON_OBJECT, "must be an object");
	check_location(v);
	check_number(v, "co_signers", 1, 1e9, 1);
	check_type(v, "attachments", JSON_ARRAY, "must be an array");
	check_attachments(v);
	json_t *anon = field(v->event, "petitioner.anonymous");

	if (anon && !json_is_null(anon) && !json_is_boolean(anon))
		add_error(v, "wrong_type", "petitioner.anonymous", "must be true or false");
}

int intake_validate(const char *buf, size_t len, struct intake_verdict *v)
{
	json_error_t jerr;

	memset(v, 0, sizeof *v);
	v->errors = json_array();
	if (len > INTAKE_MAX_BYTES)
		add_error(v, "too_large", NULL, "larger than 1 MiB");
	else if (!utf8_valid(buf, len))
		add_error(v, "not_utf8", NULL, "not valid UTF-8");
	else if (!jlimit_ok(buf, len, JLIMIT_VALUES))
		add_error(v, "too_many_values", NULL,
			  "more than 10000 JSON values (object keys included)");
	else if (!(v->event = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr)))
		add_error(v, "not_json", NULL, jerr.text);
	else if (!json_is_object(v->event))
		add_error(v, "not_object", NULL, "the event must be a JSON object");
	if (json_array_size(v->errors))
		return -1;
	check_required(v);
	check_optional(v);
	if (!json_array_size(v->errors))
		return 0;
	/* a receipt names the event only if both keys could be read */
	if (!v->source_system || !v->external_id)
		v->source_system = v->external_id = NULL;
	return -1;
}

void intake_verdict_release(struct intake_verdict *v)
{
	json_decref(v->event);
	json_decref(v->errors);
	memset(v, 0, sizeof *v);
}

const char *intake_first_code(const struct intake_verdict *v)
{
	json_t *first = json_array_get(v->errors, 0);

	return first ? json_string_value(json_object_get(first, "code")) : "";
}

char *intake_errors_text(const struct intake_verdict *v)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *e;

	json_array_foreach(v->errors, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));

		sbuf_addf(&sb, "%s%s%s%s", i ? "; " : "", f ? f : "", f ? ": " : "",
			  json_string_value(json_object_get(e, "message")));
	}
	return sbuf_detach(&sb, NULL);
}
