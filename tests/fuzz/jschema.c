/*
 * jschema.c - fuzzes the JSON Schema validator (common/jschema.c) two ways
 * with each input: as an instance checked against every embedded schema
 * (schemas/xf.*.json), and as a schema document of its own, which, if
 * jschema_add() takes it, is checked against the embedded documents and
 * against itself.
 */
#include <jansson.h>

#include "embed.h"
#include "fuzz.h"
#include "jschema.h"
#include "sbuf.h"

static struct jschema_set *set;

static int is_schema(const struct embed_file *f)
{
	return !strncmp(f->path, "schemas/xf.", 11) && strstr(f->path, ".json");
}

static void load_schemas(void)
{
	struct sbuf err = SBUF_INIT;

	set = jschema_set_new();
	for (size_t i = 0; i < embed_nfiles; i++)
		if (is_schema(&embed_files[i]) &&
		    jschema_add(set, embed_files[i].data, embed_files[i].len, &err)) {
			fprintf(stderr, "%s: %s\n", embed_files[i].path, err.buf);
			abort();
		}
	sbuf_release(&err);
}

/* Validates doc against name with and without an error buffer: both agree. */
static void check(const struct jschema_set *s, const char *name, json_t *doc)
{
	struct sbuf err = SBUF_INIT;
	int rc = jschema_validate(s, name, doc, &err);

	FUZZ_ASSERT(rc == jschema_validate(s, name, doc, NULL));
	FUZZ_ASSERT(rc == 0 ? err.len == 0 : err.len > 0);
	sbuf_release(&err);
}

static void as_instance(json_t *doc)
{
	for (size_t i = 0; i < embed_nfiles; i++) {
		const char *p = embed_files[i].path;
		char name[64];

		if (!is_schema(&embed_files[i]))
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(strlen(p) - 13), p + 8);
		FUZZ_ASSERT(jschema_has(set, name));
		check(set, name, doc);
	}
}

static void as_schema(const uint8_t *data, size_t size, json_t *doc)
{
	struct jschema_set *own = jschema_set_new();
	struct sbuf err = SBUF_INIT;
	const char *name = json_string_value(json_object_get(doc, "$id"));

	if (!jschema_add(own, (const char *)data, size, &err)) {
		FUZZ_ASSERT(jschema_has(own, name));
		check(own, name, doc);
		for (size_t i = 0; i < embed_nfiles; i++) {
			json_t *other = json_loadb(embed_files[i].data, embed_files[i].len, 0,
						   NULL);

			if (other)
				check(own, name, other);
			json_decref(other);
		}
	} else {
		FUZZ_ASSERT(err.len > 0);
	}
	sbuf_release(&err);
	jschema_set_free(own);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc;

	if (!set)
		load_schemas();
	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (doc)
		as_instance(doc);
	as_schema(data, size, doc);
	json_decref(doc);
	return 0;
}
