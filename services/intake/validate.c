/*
 * validate.c - see validate.h. The embedded schema xf.hotline_event.v1 is
 * the only definition of a valid event; this file turns what jschema finds
 * into the README's error codes, fields and messages.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "jlimit.h"
#include "jschema.h"
#include "sbuf.h"
#include "util.h"

#define EVENT_SCHEMA "xf.hotline_event.v1"

struct jschema_set *intake_schemas_new(struct sbuf *err)
{
	const struct embed_file *f = embed_find("schemas/" EVENT_SCHEMA ".json");
	struct jschema_set *set = jschema_set_new();

	if (!f) {
		if (err)
			sbuf_addf(err, "schemas/%s.json is not embedded", EVENT_SCHEMA);
	} else if (jschema_add(set, f->data, f->len, err) == 0) {
		return set;
	}
	jschema_set_free(set);
	return NULL;
}

static void add_error(struct intake_verdict *v, const char *code, const char *field,
		      const char *msg)
{
	json_array_append_new(v->errors, json_pack("{s:s, s:s?, s:s}", "code", code, "field", field,
						   "message", msg));
}

/*
 * The README's field name of a JSON pointer and, for required, the
 * missing property: "/attachments/0/url" is "attachments[0].url". With
 * any_index, indexes are written "[]" (the key of field_rules).
 */
static void field_name(const char *path, const char *property, int any_index, struct sbuf *out)
{
	size_t n;

	for (const char *seg = path; *seg == '/'; seg += n + 1) {
		n = strcspn(seg + 1, "/");
		if (strspn(seg + 1, "0123456789") == n && n)
			sbuf_addf(out, any_index ? "[]" : "[%.*s]", (int)n, seg + 1);
		else
			sbuf_addf(out, "%s%.*s", out->len ? "." : "", (int)n, seg + 1);
	}
	if (property)
		sbuf_addf(out, "%s%s", out->len ? "." : "", property);
}

/* Fields whose faults, beyond missing, wrong type and empty, have a code of their own. */
static const struct field_rule {
	const char *field; /* as field_name() with any_index writes it */
	const char *code, *message;
} field_rules[] = {
	{ "occurred_at", "bad_time", "not an RFC 3339 date-time with offset" },
	{ "region_code", "bad_region_code",
	  "not a division code: 6, 9 or 12 digits beginning with a province code" },
	{ "attachments[].sha256", "bad_value", "not 64 hexadecimal digits" },
};

static const struct field_rule *field_rule(const char *field)
{
	for (size_t i = 0; i < sizeof field_rules / sizeof field_rules[0]; i++)
		if (!strcmp(field_rules[i].field, field))
			return &field_rules[i];
	return NULL;
}

/* "must be a string" and so on, after the first type the schema allows. */
static const char *type_message(const json_t *schema)
{
	static const char *const names[][2] = {
		{ "string", "must be a string" }, { "object", "must be an object" },
		{ "array", "must be an array" },  { "integer", "must be an integer" },
		{ "number", "must be a number" }, { "boolean", "must be true or false" },
	};
	json_t *type = json_object_get(schema, "type");
	const char *first = json_string_value(json_is_array(type) ? json_array_get(type, 0) : type);

	for (size_t i = 0; first && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(first, names[i][0]))
			return names[i][1];
	return "wrong type";
}

/* The code and message of one schema fault at field. */
static const char *fault_code(const struct jschema_error *e, const char *field, struct sbuf *msg)
{
	const char *kw = e->keyword;
	const struct field_rule *rule = field_rule(field);

	if (!strcmp(field, "schema")) {
		sbuf_adds(msg, "must be \"" EVENT_SCHEMA "\"");
		return "bad_schema";
	}
	if (!strcmp(kw, "required") || (!strcmp(kw, "type") && json_is_null(e->value))) {
		sbuf_adds(msg, "required field is missing");
		return "missing_field";
	}
	if (!strcmp(kw, "type")) {
		sbuf_adds(msg, type_message(e->schema));
		return "wrong_type";
	}
	if (json_is_string(e->value) && !json_string_length(e->value)) {
		sbuf_adds(msg, "must not be empty");
		return "empty_field";
	}
	if (rule) {
		sbuf_adds(msg, rule->message);
		return rule->code;
	}
	if (!strcmp(kw, "maxLength")) {
		sbuf_addf(msg, "longer than %" JSON_INTEGER_FORMAT " characters",
			  json_integer_value(json_object_get(e->schema, "maxLength")));
		return "too_long";
	}
	sbuf_adds(msg, strcmp(kw, "enum") ? "out of range" : "not one of the allowed values");
	return "bad_value";
}

/* jschema_check()'s callback: one error per field, in the README's terms. */
static void on_fault(const struct jschema_error *e, void *arg)
{
	struct intake_verdict *v = arg;
	struct sbuf field = SBUF_INIT, key = SBUF_INIT, msg = SBUF_INIT;
	json_t *last = json_array_get(v->errors, json_array_size(v->errors) - 1);
	const char *code, *last_field = json_string_value(json_object_get(last, "field"));

	field_name(e->path, e->property, 0, &field);
	field_name(e->path, e->property, 1, &key);
	code = fault_code(e, key.buf, &msg);
	if (!last || strcmp(last_field ? last_field : "", field.buf))
		add_error(v, code, field.len ? field.buf : NULL, msg.buf);
	if (!strcmp(field.buf, "source") || !strcmp(field.buf, "source.system"))
		v->source_system = NULL;
	if (!strcmp(field.buf, "external_id"))
		v->external_id = NULL;
	sbuf_release(&field);
	sbuf_release(&key);
	sbuf_release(&msg);
}

/*
 * co_signers 3.0 is an integer by the schema; xf-classify reads a JSON
 * integer, so it gets one (past 9.2e18, 9.2e18).
 */
static void co_signers_integer(json_t *event)
{
	json_t *co = json_object_get(event, "co_signers");
	double d;

	if (!json_is_real(co))
		return;
	d = json_real_value(co);
	json_object_set_new(
		event, "co_signers",
		json_integer(d >= 9.2e18 ? (json_int_t)9200000000000000000 : (json_int_t)d));
}

/* The checks before the schema: size, encoding, value count, JSON, object. */
static int read_event(const char *buf, size_t len, struct intake_verdict *v)
{
	json_error_t jerr;

	if (len > INTAKE_MAX_BYTES)
		add_error(v, "too_large", NULL, "larger than 1 MiB");
	else if (!utf8_valid(buf, len))
		add_error(v, "not_utf8", NULL, "not valid UTF-8");
	else if (!jlimit_ok(buf, len, JLIMIT_VALUES))
		add_error(v, "too_many_values", NULL,
			  "more than 10000 JSON values (object keys included)");
	else if (!(v->event = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
					 &jerr)))
		add_error(v, "not_json", NULL, jerr.text);
	else if (!json_is_object(v->event))
		add_error(v, "not_object", NULL, "the event must be a JSON object");
	return json_array_size(v->errors) ? -1 : 0;
}

int intake_validate(const struct jschema_set *schemas, const char *buf, size_t len,
		    struct intake_verdict *v)
{
	json_t *source;

	memset(v, 0, sizeof *v);
	v->errors = json_array();
	if (read_event(buf, len, v))
		return -1;
	/* the keys as read; on_fault() forgets a key the schema refuses */
	source = json_object_get(v->event, "source");
	v->source_system = json_string_value(json_object_get(source, "system"));
	v->external_id = json_string_value(json_object_get(v->event, "external_id"));
	if (jschema_check(schemas, EVENT_SCHEMA, v->event, on_fault, v) == 0) {
		co_signers_integer(v->event);
		return 0;
	}
	if (!json_array_size(v->errors)) /* cannot be: jschema reports each fault */
		add_error(v, "bad_value", NULL, "refused by the schema");
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

	json_array_foreach(v->errors, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));

		sbuf_addf(&sb, "%s%s%s%s", i ? "; " : "", f ? f : "", f ? ": " : "",
			  json_string_value(json_object_get(e, "message")));
	}
	return sbuf_detach(&sb, NULL);
}
