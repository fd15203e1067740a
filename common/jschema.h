/*
 * jschema.h - a small JSON Schema (draft 2020-12 subset) validator over
 * jansson.
 *
 *   struct jschema_set *set = jschema_set_new();
 *   if (jschema_add(set, text, len, &err)) ... err.buf says why ...
 *   if (jschema_validate(set, "rules", doc, &err)) ... err.buf lists faults ...
 *   jschema_set_free(set);
 *
 * Keywords understood: type (a name or an array of names among object,
 * array, string, integer, number, boolean, null), required, properties,
 * additionalProperties (true or false only), items (one schema), enum,
 * const, pattern, format, minLength, maxLength, minimum, maximum, minItems,
 * maxItems, $defs (at the document root) and $ref of the form
 * "#/$defs/NAME" within the same document. The schemas true and false are
 * accepted wherever a subschema is. $id names the document; $schema,
 * title, description, examples, unknown keywords and $defs below the root
 * are ignored.
 *
 * Semantics follow the specification: a keyword about one type (minLength,
 * minimum, properties, ...) ignores instances of other types; an integer
 * satisfies "number", and a number with no fractional part (1.0) satisfies
 * "integer"; lengths count Unicode code points; enum and const compare with
 * json_equal(), so 1 and 1.0 differ there.
 *
 * Patterns are ECMA-262 as PCRE2 reads them (pcre2-8, UTF mode), compiled
 * once by jschema_add() and searched unanchored (use ^ and $ to anchor):
 * "." matches one character (a whole Chinese character), "$" matches only
 * at the end (not before a final newline), \uXXXX is a code point; \d, \w
 * and \b are ASCII, as in ECMA-262, and so is \s (ECMA-262's takes the
 * Unicode spaces too). A pattern PCRE2 cannot compile is refused when the
 * schema is added; a string PCRE2 gives up on (its match limit) fails the
 * pattern. Compiled patterns are only read while validating: one
 * set may be used by several threads at once.
 *
 * Named formats asserted (format keyword): "date-time", an RFC 3339
 * date-time with offset and T that PostgreSQL stores as the same instant
 * (time_parse_rfc3339() in util.h), and "xf-region-code", a GB/T 2260
 * division code of 6, 9 or 12 digits beginning with a province code
 * (region_code_valid()). Any other format (uri, email, ...) is an
 * annotation only, as draft 2020-12 has it by default.
 *
 * A value of the wrong type gets only the type error, not one per keyword.
 * Error messages quote instance values (strings and property names cut
 * to 60 bytes, control characters escaped) only where the value is the
 * fault: enum and const mismatches, numbers out of range, unknown
 * properties. Strings failing pattern or length checks are not echoed, so
 * a petitioner's text does not end up in logs.
 *
 * Allocation failure aborts, as in sbuf.
 */
#ifndef XF_JSCHEMA_H
#define XF_JSCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "sbuf.h"

/* At most this many errors are reported by one jschema_validate() call. */
#define JSCHEMA_MAX_ERRORS 20

/* A set of compiled schemas, each known by its "$id". */
struct jschema_set;

/* Returns an empty set; never NULL. Free it with jschema_set_free(). */
struct jschema_set *jschema_set_new(void);

/*
 * Parses one schema document from text[0..len) (JSON, duplicate keys
 * refused), checks every keyword it understands and compiles its patterns.
 * The document must be an object whose "$id" (a non-empty string) names
 * it; that name must not be in the set yet. Returns 0, or -1 with every
 * fault found appended to err (may be NULL), joined by "; ", as
 *   schema "rules": /properties/level/pattern: "[a-" does not compile: ...
 *   schema: not valid JSON: ... (line 3, column 7)
 * and the set unchanged. The set keeps its own reference to the document.
 */
int jschema_add(struct jschema_set *set, const char *text, size_t len, struct sbuf *err);

/* 1 if a schema of that name was added, else 0 (also for a NULL name). */
int jschema_has(const struct jschema_set *set, const char *name);

/*
 * Validates instance (a borrowed reference; it is not modified) against
 * the schema `name`. Returns 0 if valid, -1 otherwise. On -1 every error
 * found, up to JSCHEMA_MAX_ERRORS, is appended to err (may be NULL) as
 * "<JSON pointer>: <message>" joined by "; ", the root being "(root)":
 *   /rules/3/assign/level: "county" is not one of province, city
 *   /departments/0: required property "code" is missing
 * with "; further errors not shown" after the last one if there were more.
 * An unknown schema name is an error too. If err already holds text, "; "
 * separates it from what is appended. With err NULL validation stops at
 * the first error.
 */
int jschema_validate(const struct jschema_set *set, const char *name, json_t *instance,
		     struct sbuf *err);

/* One error found by jschema_check(); every pointer is borrowed for the call. */
struct jschema_error {
	const char *path;     /* JSON pointer of the failing value, "" for the root */
	const char *keyword;  /* the keyword that failed: "type", "required", ... */
	const char *property; /* required, additionalProperties: the property
				 * missing or refused (in the object at path); else NULL */
	const json_t *value;  /* the failing value; NULL if there is no instance */
	const json_t *schema; /* the (sub)schema whose keyword failed; NULL
				 * for keyword "$id" */
	const char *message;  /* as jschema_validate() words it after "path: " */
};

typedef void jschema_error_fn(const struct jschema_error *e, void *arg);

/*
 * Validates as jschema_validate() does, calling fn(e, arg) (may be NULL)
 * for each error found, up to JSCHEMA_MAX_ERRORS of them. An unknown
 * schema name or a NULL instance is one error with keyword "$id". Returns
 * 0 if valid, -1 otherwise.
 */
int jschema_check(const struct jschema_set *set, const char *name, json_t *instance,
		  jschema_error_fn *fn, void *arg);

/* Frees the set, its schemas and compiled patterns; NULL is allowed. */
void jschema_set_free(struct jschema_set *set);

#endif
