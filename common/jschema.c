/* jschema.c - see jschema.h. */
#include "jschema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util.h"
#include "xalloc.h"

#define JS_QUOTE_MAX 60 /* bytes of a value or key quoted in a message */
#define JS_LIST_MAX 12  /* enum values listed in a message */
#define JS_MSG_MAX 256  /* one simple message */

enum js_type {
	JS_T_OBJECT = 1 << 0,
	JS_T_ARRAY = 1 << 1,
	JS_T_STRING = 1 << 2,
	JS_T_INTEGER = 1 << 3,
	JS_T_NUMBER = 1 << 4,
	JS_T_BOOLEAN = 1 << 5,
	JS_T_NULL = 1 << 6,
};

static const struct js_type_name {
	const char *name;
	unsigned bit;
} js_type_names[] = {
	{ "object", JS_T_OBJECT },   { "array", JS_T_ARRAY },   { "string", JS_T_STRING },
	{ "integer", JS_T_INTEGER }, { "number", JS_T_NUMBER }, { "boolean", JS_T_BOOLEAN },
	{ "null", JS_T_NULL },
};

#define JS_NTYPES (sizeof js_type_names / sizeof js_type_names[0])

struct js_node;
struct js_format;

struct js_prop {
	const char *name;     /* borrowed from the schema document */
	struct js_node *node; /* owned */
};

/*
 * One compiled (sub)schema. The json_t and string pointers are borrowed
 * from the schema document, which the js_schema keeps a reference to.
 */
struct js_node {
	const json_t *doc; /* this schema's JSON */
	int never;         /* the schema false */
	unsigned types;    /* JS_T_* bits; 0 when any will do */
	const json_t *enums, *konst, *minimum, *maximum, *required;
	const char *pattern;
	pcre2_code *re;                                   /* owned; NULL without a pattern */
	const struct js_format *format;                   /* NULL: none, or one only annotated */
	long long min_len, max_len, min_items, max_items; /* -1: unset */
	struct js_prop *props;                            /* owned, nprops of them */
	size_t nprops;
	int closed;                /* additionalProperties: false */
	struct js_node *items;     /* owned */
	const struct js_node *ref; /* a $defs entry, not owned */
};

struct js_def {
	const char *name;     /* borrowed from the schema document */
	struct js_node *node; /* owned */
};

struct js_schema {
	json_t *doc;      /* owned reference; the nodes borrow from it */
	const char *name; /* "$id", borrowed from doc */
	struct js_node *root;
	struct js_def *defs;
	size_t ndefs;
	struct js_schema *next;
};

struct jschema_set {
	struct js_schema *head;
};

/* State of one jschema_add(). */
struct js_load {
	struct js_schema *schema;
	struct sbuf *err; /* may be NULL */
	struct sbuf path; /* JSON pointer of the keyword being compiled */
	int nerr;
};

/* State of one jschema_validate() or jschema_check(). */
struct js_ctx {
	struct sbuf *err;     /* may be NULL */
	jschema_error_fn *fn; /* may be NULL */
	void *arg;            /* fn's */
	struct sbuf path;     /* JSON pointer of the value being checked */
	struct sbuf msg;      /* the message of the error being reported */
	int nerr;
	int max; /* errors kept; one more ends the walk */
};

/* ---- memory ---------------------------------------------------------- */

static struct js_node *node_new(void)
{
	struct js_node *node = xcalloc(1, sizeof *node);

	node->min_len = node->max_len = -1;
	node->min_items = node->max_items = -1;
	return node;
}

static void node_free(struct js_node *node)
{
	if (!node)
		return;
	pcre2_code_free(node->re);
	for (size_t i = 0; i < node->nprops; i++)
		node_free(node->props[i].node);
	free(node->props);
	node_free(node->items);
	free(node);
}

static void schema_free(struct js_schema *schema)
{
	if (!schema)
		return;
	node_free(schema->root);
	for (size_t i = 0; i < schema->ndefs; i++)
		node_free(schema->defs[i].node);
	free(schema->defs);
	json_decref(schema->doc);
	free(schema);
}

/* ---- message text ---------------------------------------------------- */

enum js_text { TEXT_PLAIN, TEXT_QUOTED, TEXT_SEGMENT };

static void add_char(struct sbuf *sb, unsigned char c, enum js_text how)
{
	if (c < 0x20 || c == 0x7f)
		sbuf_addf(sb, "\\u%04x", c);
	else if (how == TEXT_SEGMENT && (c == '~' || c == '/'))
		sbuf_adds(sb, c == '~' ? "~0" : "~1");
	else if (how == TEXT_QUOTED && (c == '"' || c == '\\'))
		sbuf_addf(sb, "\\%c", c);
	else
		sbuf_addch(sb, (char)c);
}

/*
 * Appends s for a message: control characters escaped, and in a JSON
 * pointer segment ~ and / too; cut to JS_QUOTE_MAX bytes on a character
 * boundary.
 */
static void add_text(struct sbuf *sb, const char *s, enum js_text how)
{
	size_t n = 0;

	if (how == TEXT_QUOTED)
		sbuf_addch(sb, '"');
	for (; *s; s++, n++) {
		if (n >= JS_QUOTE_MAX && ((unsigned char)*s & 0xC0) != 0x80) {
			sbuf_adds(sb, "...");
			break;
		}
		add_char(sb, (unsigned char)*s, how);
	}
	if (how == TEXT_QUOTED)
		sbuf_addch(sb, '"');
}

/* Appends a number in its shortest form that reads back the same. */
static void add_number(struct sbuf *sb, const json_t *num)
{
	double d;
	char buf[40];

	if (json_is_integer(num)) {
		sbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(num));
		return;
	}
	d = json_real_value(num);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	sbuf_adds(sb, buf);
}

/* Appends a value for a message; strings quoted unless how is TEXT_PLAIN. */
static void add_value(struct sbuf *sb, const json_t *val, enum js_text how)
{
	char *dump;

	if (json_is_string(val)) {
		add_text(sb, json_string_value(val), how);
	} else if (json_is_number(val)) {
		add_number(sb, val);
	} else {
		dump = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
		add_text(sb, dump ? dump : "?", TEXT_PLAIN);
		free(dump);
	}
}

/* Appends "a, b, c" (strings unquoted), at most JS_LIST_MAX of them. */
static void add_list(struct sbuf *sb, const json_t *arr)
{
	size_t i;
	json_t *val;

	json_array_foreach(arr, i, val)
	{
		if (i == JS_LIST_MAX) {
			sbuf_addf(sb, ", ... (%zu values)", json_array_size(arr));
			break;
		}
		if (i)
			sbuf_adds(sb, ", ");
		add_value(sb, val, TEXT_PLAIN);
	}
}

/* ---- JSON pointer paths ---------------------------------------------- */

/* Appends "/seg" to path; returns the length to restore with path_pop(). */
static size_t path_push(struct sbuf *path, const char *seg)
{
	size_t old = path->len;

	sbuf_addch(path, '/');
	add_text(path, seg, TEXT_SEGMENT);
	return old;
}

static size_t path_push_index(struct sbuf *path, size_t i)
{
	size_t old = path->len;

	sbuf_addf(path, "/%zu", i);
	return old;
}

static void path_pop(struct sbuf *path, size_t old)
{
	path->len = old;
	path->buf[old] = '\0';
}

/* 1 if the JSON pointer segment seg (with ~0 and ~1 escapes) is key. */
static int segment_is(const char *seg, const char *key)
{
	for (; *seg; seg++, key++) {
		char c = *seg;

		if (c == '~' && (seg[1] == '0' || seg[1] == '1'))
			c = *++seg == '0' ? '~' : '/';
		else if (c == '/' || c == '~')
			return 0;
		if (c != *key)
			return 0;
	}
	return *key == '\0';
}

/* ---- load errors ----------------------------------------------------- */

/* Records one fault at the current schema path; returns -1. */
__attribute__((format(printf, 2, 3))) static int load_fail(struct js_load *ld, const char *fmt, ...)
{
	char msg[JS_MSG_MAX];
	va_list ap;

	ld->nerr++;
	if (!ld->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sbuf_adds(ld->err, ld->err->len ? "; schema" : "schema");
	if (ld->schema->name)
		sbuf_addf(ld->err, " \"%s\"", ld->schema->name);
	sbuf_addf(ld->err, ": %s: %s", ld->path.len ? ld->path.buf : "(root)", msg);
	return -1;
}

/* ---- keywords -------------------------------------------------------- */

static void compile_into(struct js_load *ld, struct js_node *node, json_t *val);

static struct js_node *compile(struct js_load *ld, json_t *val)
{
	struct js_node *node = node_new();

	compile_into(ld, node, val);
	return node;
}

static int type_add(struct js_load *ld, struct js_node *node, const json_t *name)
{
	const char *s = json_string_value(name);

	if (!s)
		return load_fail(ld, "type names must be strings");
	for (size_t i = 0; i < JS_NTYPES; i++) {
		if (strcmp(s, js_type_names[i].name) == 0) {
			node->types |= js_type_names[i].bit;
			return 0;
		}
	}
	return load_fail(ld,
			 "\"%s\" is not a type; use object, array, string, "
			 "integer, number, boolean or null",
			 s);
}

static int kw_type(struct js_load *ld, struct js_node *node, json_t *val)
{
	size_t i;
	json_t *name;

	if (json_is_string(val))
		return type_add(ld, node, val);
	if (!json_is_array(val) || !json_array_size(val))
		return load_fail(ld, "must be a type name or a non-empty array of them");
	json_array_foreach(val, i, name) if (type_add(ld, node, name)) return -1;
	return 0;
}

static int kw_enum(struct js_load *ld, struct js_node *node, json_t *val)
{
	if (!json_is_array(val) || !json_array_size(val))
		return load_fail(ld, "must be a non-empty array of values");
	node->enums = val;
	return 0;
}

static int kw_const(struct js_load *ld, struct js_node *node, json_t *val)
{
	(void)ld;
	node->konst = val;
	return 0;
}

static int kw_required(struct js_load *ld, struct js_node *node, json_t *val)
{
	size_t i;
	json_t *name;

	if (!json_is_array(val))
		return load_fail(ld, "must be an array of property names");
	json_array_foreach(val, i, name) if (!json_is_string(name)) return load_fail(
		ld, "must be an array of property names");
	node->required = val;
	return 0;
}

static int kw_properties(struct js_load *ld, struct js_node *node, json_t *val)
{
	const char *key;
	json_t *sub;
	size_t old;

	if (!json_is_object(val))
		return load_fail(ld, "must be an object of schemas");
	node->props = xcalloc(json_object_size(val), sizeof *node->props);
	json_object_foreach(val, key, sub)
	{
		old = path_push(&ld->path, key);
		node->props[node->nprops].name = key;
		node->props[node->nprops++].node = compile(ld, sub);
		path_pop(&ld->path, old);
	}
	return 0;
}

static int kw_additional(struct js_load *ld, struct js_node *node, json_t *val)
{
	if (!json_is_boolean(val))
		return load_fail(ld, "must be true or false (a schema here is not supported)");
	node->closed = json_is_false(val);
	return 0;
}

static int kw_items(struct js_load *ld, struct js_node *node, json_t *val)
{
	if (json_is_array(val))
		return load_fail(ld, "must be one schema (an array of them is "
				     "prefixItems in draft 2020-12, not supported)");
	node->items = compile(ld, val);
	return 0;
}

/*
 * ECMA-262 as far as PCRE2 goes: UTF-8 (so "." is one character), "$" only
 * at the very end (not before a final newline), \uXXXX, and no \C (it
 * could split a character).
 */
#define JS_PCRE2_OPTIONS \
	(PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_NEVER_BACKSLASH_C)

static int kw_pattern(struct js_load *ld, struct js_node *node, json_t *val)
{
	PCRE2_UCHAR why[128];
	PCRE2_SIZE at;
	int code;

	if (!json_is_string(val))
		return load_fail(ld, "must be a string");
	node->pattern = json_string_value(val);
	node->re = pcre2_compile((PCRE2_SPTR)node->pattern, PCRE2_ZERO_TERMINATED, JS_PCRE2_OPTIONS,
				 &code, &at, NULL);
	if (node->re)
		return 0;
	pcre2_get_error_message(code, why, sizeof why);
	return load_fail(ld, "\"%s\" does not compile: %s at offset %zu", node->pattern,
			 (const char *)why, (size_t)at);
}

/* RFC 3339 date-time with offset and a T, as PostgreSQL stores it. */
static int format_date_time(const char *s)
{
	time_t t;

	return time_parse_rfc3339(s, &t) == 0 && (s[10] == 'T' || s[10] == 't');
}

/* A named format; check() is 1 when s has it. */
static const struct js_format {
	const char *name;
	int (*check)(const char *s);
	const char *what; /* the message's "is not ..." */
} js_formats[] = {
	{ "date-time", format_date_time,
	  "an RFC 3339 date-time with offset (with T, years 0001 to 9999)" },
	{ "xf-region-code", region_code_valid,
	  "a division code: 6, 9 or 12 digits beginning with a province code" },
};

#define JS_NFORMATS (sizeof js_formats / sizeof js_formats[0])

/* A format not in js_formats (uri, email, ...) is an annotation only. */
static int kw_format(struct js_load *ld, struct js_node *node, json_t *val)
{
	const char *name = json_string_value(val);

	if (!name)
		return load_fail(ld, "must be a string");
	for (size_t i = 0; i < JS_NFORMATS; i++)
		if (strcmp(name, js_formats[i].name) == 0)
			node->format = &js_formats[i];
	return 0;
}

static int load_count(struct js_load *ld, const json_t *val, long long *out)
{
	if (!json_is_integer(val) || json_integer_value(val) < 0)
		return load_fail(ld, "must be a non-negative integer");
	*out = json_integer_value(val);
	return 0;
}

static int kw_min_length(struct js_load *ld, struct js_node *node, json_t *val)
{
	return load_count(ld, val, &node->min_len);
}

static int kw_max_length(struct js_load *ld, struct js_node *node, json_t *val)
{
	return load_count(ld, val, &node->max_len);
}

static int kw_min_items(struct js_load *ld, struct js_node *node, json_t *val)
{
	return load_count(ld, val, &node->min_items);
}

static int kw_max_items(struct js_load *ld, struct js_node *node, json_t *val)
{
	return load_count(ld, val, &node->max_items);
}

static int kw_minimum(struct js_load *ld, struct js_node *node, json_t *val)
{
	if (!json_is_number(val))
		return load_fail(ld, "must be a number");
	node->minimum = val;
	return 0;
}

static int kw_maximum(struct js_load *ld, struct js_node *node, json_t *val)
{
	if (!json_is_number(val))
		return load_fail(ld, "must be a number");
	node->maximum = val;
	return 0;
}

static int kw_ref(struct js_load *ld, struct js_node *node, json_t *val)
{
	static const char prefix[] = "#/$defs/";
	const char *ref = json_string_value(val);
	const struct js_schema *schema = ld->schema;

	if (!ref || strncmp(ref, prefix, sizeof prefix - 1) != 0)
		return load_fail(ld, "must be a string \"#/$defs/NAME\"; other "
				     "references are not supported");
	for (size_t i = 0; i < schema->ndefs; i++) {
		if (segment_is(ref + sizeof prefix - 1, schema->defs[i].name)) {
			node->ref = schema->defs[i].node;
			return 0;
		}
	}
	return load_fail(ld, "\"%s\" names no entry of $defs", ref);
}

static const struct js_keyword {
	const char *name;
	int (*compile)(struct js_load *ld, struct js_node *node, json_t *val);
} js_keywords[] = {
	{ "type", kw_type },
	{ "enum", kw_enum },
	{ "const", kw_const },
	{ "required", kw_required },
	{ "properties", kw_properties },
	{ "additionalProperties", kw_additional },
	{ "items", kw_items },
	{ "pattern", kw_pattern },
	{ "format", kw_format },
	{ "minLength", kw_min_length },
	{ "maxLength", kw_max_length },
	{ "minItems", kw_min_items },
	{ "maxItems", kw_max_items },
	{ "minimum", kw_minimum },
	{ "maximum", kw_maximum },
	{ "$ref", kw_ref },
};

#define JS_NKEYWORDS (sizeof js_keywords / sizeof js_keywords[0])

/* Compiles the schema val into node; faults are recorded in ld. */
static void compile_into(struct js_load *ld, struct js_node *node, json_t *val)
{
	const char *key;
	json_t *sub;
	size_t old;

	node->doc = val;
	if (json_is_boolean(val)) {
		node->never = json_is_false(val);
		return;
	}
	if (!json_is_object(val)) {
		load_fail(ld, "a schema must be an object, true or false");
		return;
	}
	json_object_foreach(val, key, sub)
	{
		for (size_t i = 0; i < JS_NKEYWORDS; i++) {
			if (strcmp(key, js_keywords[i].name) != 0)
				continue;
			old = path_push(&ld->path, key);
			js_keywords[i].compile(ld, node, sub);
			path_pop(&ld->path, old);
		}
	}
}

/* ---- documents ------------------------------------------------------- */

static struct js_schema *schema_find(const struct jschema_set *set, const char *name)
{
	struct js_schema *schema;

	for (schema = set->head; schema; schema = schema->next)
		if (strcmp(schema->name, name) == 0)
			break;
	return schema;
}

/* Reads "$id" into schema->name; -1 if missing, bad or taken. */
static int load_name(struct js_load *ld, const struct jschema_set *set)
{
	json_t *doc = ld->schema->doc;
	const char *name = json_string_value(json_object_get(doc, "$id"));
	size_t old;
	int rc = 0;

	if (!json_is_object(doc))
		return load_fail(ld, "the document must be a JSON object");
	old = path_push(&ld->path, "$id");
	if (!name || !*name)
		rc = load_fail(ld, "must be a non-empty string; it names the schema");
	else if (schema_find(set, name))
		rc = load_fail(ld, "a schema named \"%s\" was already added", name);
	else
		ld->schema->name = name;
	path_pop(&ld->path, old);
	return rc;
}

/* Makes a node per $defs entry first, so that $ref may point anywhere. */
static void load_defs(struct js_load *ld)
{
	struct js_schema *schema = ld->schema;
	json_t *defs = json_object_get(schema->doc, "$defs"), *sub;
	size_t old = path_push(&ld->path, "$defs"), i = 0, inner;
	const char *key;

	if (defs && !json_is_object(defs))
		load_fail(ld, "must be an object of schemas");
	if (!json_is_object(defs)) {
		path_pop(&ld->path, old);
		return;
	}
	schema->ndefs = json_object_size(defs);
	schema->defs = xcalloc(schema->ndefs, sizeof *schema->defs);
	json_object_foreach(defs, key, sub)
	{
		schema->defs[i].name = key;
		schema->defs[i++].node = node_new();
	}
	i = 0;
	json_object_foreach(defs, key, sub)
	{
		inner = path_push(&ld->path, key);
		compile_into(ld, schema->defs[i++].node, sub);
		path_pop(&ld->path, inner);
	}
	path_pop(&ld->path, old);
}

/* Refuses $defs entries whose $ref chain loops back without a schema. */
static void check_cycles(struct js_load *ld)
{
	const struct js_schema *schema = ld->schema;
	const struct js_node *node;
	size_t steps, old;

	for (size_t i = 0; i < schema->ndefs; i++) {
		node = schema->defs[i].node;
		for (steps = 0; node->ref && steps <= schema->ndefs; steps++)
			node = node->ref;
		if (!node->ref)
			continue;
		old = path_push(&ld->path, "$defs");
		path_push(&ld->path, schema->defs[i].name);
		load_fail(ld, "its $ref chain loops back on itself");
		path_pop(&ld->path, old);
	}
}

struct jschema_set *jschema_set_new(void)
{
	return xcalloc(1, sizeof(struct jschema_set));
}

int jschema_add(struct jschema_set *set, const char *text, size_t len, struct sbuf *err)
{
	struct js_load ld = { NULL, err, SBUF_INIT, 0 };
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc) {
		if (err)
			sbuf_addf(err, "%sschema: not valid JSON: %s (line %d, column %d)",
				  err->len ? "; " : "", jerr.text, jerr.line, jerr.column);
		return -1;
	}
	ld.schema = xcalloc(1, sizeof *ld.schema);
	ld.schema->doc = doc; /* the schema owns the reference now */
	doc = NULL;
	if (load_name(&ld, set) == 0) {
		load_defs(&ld);
		ld.schema->root = compile(&ld, ld.schema->doc);
		check_cycles(&ld);
	}
	sbuf_release(&ld.path);
	if (ld.nerr) {
		schema_free(ld.schema);
		return -1;
	}
	ld.schema->next = set->head;
	set->head = ld.schema;
	return 0;
}

int jschema_has(const struct jschema_set *set, const char *name)
{
	return name && schema_find(set, name) != NULL;
}

void jschema_set_free(struct jschema_set *set)
{
	struct js_schema *schema, *next;

	if (!set)
		return;
	for (schema = set->head; schema; schema = next) {
		next = schema->next;
		schema_free(schema);
	}
	free(set);
}

/* ---- validation errors ----------------------------------------------- */

static int val_full(const struct js_ctx *ctx)
{
	return ctx->nerr > ctx->max;
}

/*
 * Counts one error at the current path; returns the emptied buffer to
 * write its message to, then to hand to val_done(), or NULL when the error
 * is not to be kept.
 */
static struct sbuf *val_error(struct js_ctx *ctx)
{
	if (++ctx->nerr > ctx->max || (!ctx->err && !ctx->fn))
		return NULL;
	sbuf_reset(&ctx->msg);
	return &ctx->msg;
}

/*
 * Reports the error whose message val_error() gave the buffer for: the
 * keyword that failed, the property it names (or NULL), the value at the
 * current path. Returns -1.
 */
static int val_done(struct js_ctx *ctx, const struct js_node *node, const char *keyword,
		    const char *property, const json_t *inst)
{
	struct jschema_error e = {
		ctx->path.buf, keyword, property, inst, node->doc, ctx->msg.buf
	};

	if (ctx->err) {
		if (ctx->err->len)
			sbuf_adds(ctx->err, "; ");
		sbuf_adds(ctx->err, ctx->path.len ? ctx->path.buf : "(root)");
		sbuf_adds(ctx->err, ": ");
		sbuf_adds(ctx->err, ctx->msg.buf);
	}
	if (ctx->fn)
		ctx->fn(&e, ctx->arg);
	return -1;
}

/* Reports one error with a simple message; returns -1. */
__attribute__((format(printf, 5, 6))) static int val_fail(struct js_ctx *ctx,
							  const struct js_node *node,
							  const char *keyword, const json_t *inst,
							  const char *fmt, ...)
{
	struct sbuf *e = val_error(ctx);
	char msg[JS_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sbuf_adds(e, msg);
	return val_done(ctx, node, keyword, NULL, inst);
}

/* ---- validation ------------------------------------------------------ */

static int check(struct js_ctx *ctx, const struct js_node *node, json_t *inst);

/* 1 if the real d has no fractional part (every double from 2^53 up). */
static int is_integral(double d)
{
	if (d >= 9007199254740992.0 || d <= -9007199254740992.0)
		return 1;
	return (double)(long long)d == d;
}

/* The JS_T_* bits an instance satisfies. */
static unsigned type_bits(const json_t *inst)
{
	switch (json_typeof(inst)) {
	case JSON_OBJECT:
		return JS_T_OBJECT;
	case JSON_ARRAY:
		return JS_T_ARRAY;
	case JSON_STRING:
		return JS_T_STRING;
	case JSON_INTEGER:
		return JS_T_INTEGER | JS_T_NUMBER;
	case JSON_REAL:
		return JS_T_NUMBER | (is_integral(json_real_value(inst)) ? JS_T_INTEGER : 0);
	case JSON_TRUE:
	case JSON_FALSE:
		return JS_T_BOOLEAN;
	default:
		return JS_T_NULL;
	}
}

static const char *type_name(const json_t *inst)
{
	switch (json_typeof(inst)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static int check_type(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	struct sbuf *e;
	int n = 0;

	if (node->types & type_bits(inst))
		return 0;
	if (!(e = val_error(ctx)))
		return -1;
	sbuf_adds(e, "expected ");
	for (size_t i = 0; i < JS_NTYPES; i++)
		if (node->types & js_type_names[i].bit)
			sbuf_addf(e, "%s%s", n++ ? " or " : "", js_type_names[i].name);
	sbuf_addf(e, ", got %s", type_name(inst));
	return val_done(ctx, node, "type", NULL, inst);
}

static int check_enum(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	struct sbuf *e;
	size_t i;
	json_t *val;

	json_array_foreach(node->enums, i, val) if (json_equal(inst, val)) return 0;
	if (!(e = val_error(ctx)))
		return -1;
	add_value(e, inst, TEXT_QUOTED);
	sbuf_adds(e, " is not one of ");
	add_list(e, node->enums);
	return val_done(ctx, node, "enum", NULL, inst);
}

static int check_const(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	struct sbuf *e;

	if (json_equal(inst, node->konst))
		return 0;
	if (!(e = val_error(ctx)))
		return -1;
	add_value(e, inst, TEXT_QUOTED);
	sbuf_adds(e, " is not the constant ");
	add_value(e, node->konst, TEXT_QUOTED);
	return val_done(ctx, node, "const", NULL, inst);
}

/* 1 if s[0..len) matches the node's pattern, 0 if not, <0 on a PCRE2 error. */
static int pattern_match(const struct js_node *node, const char *s, size_t len)
{
	pcre2_match_data *md = xnonnull(pcre2_match_data_create(1, NULL));
	int rc;

	rc = pcre2_match(node->re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

static int check_pattern(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	PCRE2_UCHAR why[128];
	int rc = pattern_match(node, json_string_value(inst), json_string_length(inst));

	if (rc > 0)
		return 0;
	if (rc == 0)
		return val_fail(ctx, node, "pattern", inst, "does not match the pattern \"%s\"",
				node->pattern);
	pcre2_get_error_message(rc, why, sizeof why);
	return val_fail(ctx, node, "pattern", inst,
			"cannot be matched against the "
			"pattern \"%s\": %s",
			node->pattern, (const char *)why);
}

static int check_string(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	const char *s = json_string_value(inst);
	size_t len = node->min_len >= 0 || node->max_len >= 0 ? utf8_len(s) : 0;
	int rc = 0;

	if (node->re && check_pattern(ctx, node, inst))
		rc = -1;
	if (node->format && !node->format->check(s))
		rc = val_fail(ctx, node, "format", inst, "is not %s", node->format->what);
	if (node->min_len >= 0 && len < (unsigned long long)node->min_len)
		rc = val_fail(ctx, node, "minLength", inst,
			      "is %zu characters long, "
			      "shorter than the minimum of %lld",
			      len, node->min_len);
	if (node->max_len >= 0 && len > (unsigned long long)node->max_len)
		rc = val_fail(ctx, node, "maxLength", inst,
			      "is %zu characters long, "
			      "longer than the maximum of %lld",
			      len, node->max_len);
	return rc;
}

/* <0, 0 or >0 as a is below, equal to or above b. */
static int number_cmp(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return (i > j) - (i < j);
	}
	x = json_number_value(a);
	y = json_number_value(b);
	return (x > y) - (x < y);
}

static int number_fail(struct js_ctx *ctx, const struct js_node *node, const char *keyword,
		       const json_t *inst, const char *what, const json_t *bound)
{
	struct sbuf *e = val_error(ctx);

	if (!e)
		return -1;
	add_number(e, inst);
	sbuf_addf(e, " is %s ", what);
	add_number(e, bound);
	return val_done(ctx, node, keyword, NULL, inst);
}

static int check_number(struct js_ctx *ctx, const struct js_node *node, const json_t *inst)
{
	int rc = 0;

	if (node->minimum && number_cmp(inst, node->minimum) < 0)
		rc = number_fail(ctx, node, "minimum", inst, "less than the minimum",
				 node->minimum);
	if (node->maximum && number_cmp(inst, node->maximum) > 0)
		rc = number_fail(ctx, node, "maximum", inst, "greater than the maximum",
				 node->maximum);
	return rc;
}

static int check_array(struct js_ctx *ctx, const struct js_node *node, json_t *inst)
{
	size_t n = json_array_size(inst), i, old;
	json_t *item;
	int rc = 0;

	if (node->min_items >= 0 && n < (unsigned long long)node->min_items)
		rc = val_fail(ctx, node, "minItems", inst,
			      "has %zu item%s, fewer than the minimum of %lld", n,
			      n == 1 ? "" : "s", node->min_items);
	if (node->max_items >= 0 && n > (unsigned long long)node->max_items)
		rc = val_fail(ctx, node, "maxItems", inst,
			      "has %zu item%s, more than the maximum of %lld", n, n == 1 ? "" : "s",
			      node->max_items);
	if (!node->items)
		return rc;
	json_array_foreach(inst, i, item)
	{
		if (val_full(ctx))
			return -1;
		old = path_push_index(&ctx->path, i);
		if (check(ctx, node->items, item))
			rc = -1;
		path_pop(&ctx->path, old);
	}
	return rc;
}

static const struct js_node *prop_find(const struct js_node *node, const char *key)
{
	for (size_t i = 0; i < node->nprops; i++)
		if (strcmp(node->props[i].name, key) == 0)
			return node->props[i].node;
	return NULL;
}

static int unknown_prop(struct js_ctx *ctx, const struct js_node *node, const char *key,
			const json_t *inst)
{
	struct sbuf *e = val_error(ctx);

	if (!e)
		return -1;
	sbuf_adds(e, "unknown property ");
	add_text(e, key, TEXT_QUOTED);
	sbuf_adds(e, " is not allowed");
	return val_done(ctx, node, "additionalProperties", key, inst);
}

static int required_fail(struct js_ctx *ctx, const struct js_node *node, const char *name,
			 const json_t *inst)
{
	struct sbuf *e = val_error(ctx);

	if (!e)
		return -1;
	sbuf_addf(e, "required property \"%s\" is missing", name);
	return val_done(ctx, node, "required", name, inst);
}

static int check_object(struct js_ctx *ctx, const struct js_node *node, json_t *inst)
{
	const struct js_node *sub;
	const char *key;
	size_t i, old;
	json_t *val;
	int rc = 0;

	json_array_foreach(node->required, i,
			   val) if (!json_object_get(inst, json_string_value(val)))
		rc = required_fail(ctx, node, json_string_value(val), inst);
	json_object_foreach(inst, key, val)
	{
		if (val_full(ctx))
			return -1;
		if (!(sub = prop_find(node, key))) {
			if (node->closed)
				rc = unknown_prop(ctx, node, key, inst);
			continue;
		}
		old = path_push(&ctx->path, key);
		if (check(ctx, sub, val))
			rc = -1;
		path_pop(&ctx->path, old);
	}
	return rc;
}

/* Checks inst against node, recording errors in ctx; 0 if valid. */
static int check(struct js_ctx *ctx, const struct js_node *node, json_t *inst)
{
	int rc = 0;

	if (val_full(ctx))
		return -1;
	if (node->never)
		return val_fail(ctx, node, "false", inst, "no value is allowed here");
	if (node->ref && check(ctx, node->ref, inst))
		rc = -1;
	if (node->types && check_type(ctx, node, inst))
		return -1; /* the other keywords would only repeat it */
	if (node->enums && check_enum(ctx, node, inst))
		rc = -1;
	if (node->konst && check_const(ctx, node, inst))
		rc = -1;
	if (json_is_string(inst) && check_string(ctx, node, inst))
		rc = -1;
	if (json_is_number(inst) && check_number(ctx, node, inst))
		rc = -1;
	if (json_is_array(inst) && check_array(ctx, node, inst))
		rc = -1;
	if (json_is_object(inst) && check_object(ctx, node, inst))
		rc = -1;
	return rc;
}

/* Validates with ctx's reporting; see jschema_validate(). */
static int validate(struct js_ctx *ctx, const struct jschema_set *set, const char *name,
		    json_t *instance)
{
	const struct js_schema *schema = name ? schema_find(set, name) : NULL;
	struct jschema_error e = { "", "$id", NULL, instance, NULL, NULL };
	int rc;

	if (!schema || !instance) {
		if (!schema)
			sbuf_addf(&ctx->msg, "no schema named \"%s\" was added",
				  name ? name : "(null)");
		else
			sbuf_adds(&ctx->msg, "no instance to validate");
		if (ctx->err)
			sbuf_addf(ctx->err, "%s%s", ctx->err->len ? "; " : "", ctx->msg.buf);
		e.message = ctx->msg.buf;
		if (ctx->fn)
			ctx->fn(&e, ctx->arg);
		return -1;
	}
	rc = check(ctx, schema->root, instance);
	if (val_full(ctx) && ctx->err)
		sbuf_adds(ctx->err, "; further errors not shown");
	return rc;
}

int jschema_validate(const struct jschema_set *set, const char *name, json_t *instance,
		     struct sbuf *err)
{
	struct js_ctx ctx = {
		err, NULL, NULL, SBUF_INIT, SBUF_INIT, 0, err ? JSCHEMA_MAX_ERRORS : 0
	};
	int rc = validate(&ctx, set, name, instance);

	sbuf_release(&ctx.path);
	sbuf_release(&ctx.msg);
	return rc;
}

int jschema_check(const struct jschema_set *set, const char *name, json_t *instance,
		  jschema_error_fn *fn, void *arg)
{
	struct js_ctx ctx = { NULL, fn, arg, SBUF_INIT, SBUF_INIT, 0, fn ? JSCHEMA_MAX_ERRORS : 0 };
	int rc = validate(&ctx, set, name, instance);

	sbuf_release(&ctx.path);
	sbuf_release(&ctx.msg);
	return rc;
}
