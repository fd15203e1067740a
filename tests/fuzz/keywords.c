/*
 * keywords.c - fuzzes the classifier's keyword file (xf.keywords.v1,
 * services/classify/classifier.c classifier_keywords) with any text; a
 * table it takes then tags petitions built from its own phrases, and a
 * table it refuses leaves the one in use. What a table that passes the
 * schema (as `xfctl keywords import` checks it) tags must make sense: a
 * known category, a confidence in 0..1; any other text must only not
 * crash it.
 */
#include <jansson.h>

#include "classify/classifier.h"
#include "embed.h"
#include "fuzz.h"
#include "jschema.h"
#include "sbuf.h"

static struct classifier cl;
static struct jschema_set *schemas;

static void setup(void)
{
	const struct embed_file *f = embed_find("schemas/xf.keywords.v1.json");
	struct sbuf err = SBUF_INIT;

	schemas = jschema_set_new();
	if (jschema_add(schemas, f->data, f->len, &err) || classifier_init(&cl, NULL, &err)) {
		fprintf(stderr, "keywords fuzzer setup: %s\n", err.buf);
		abort();
	}
	sbuf_release(&err);
}

static void tag(const char *subject, const char *content, int checked)
{
	struct classifier_text t;

	classifier_text(&cl, subject, content, NULL, &t);
	FUZZ_ASSERT(t.category && classifier_category_known(t.category));
	FUZZ_ASSERT(json_is_array(t.top) && json_is_array(t.keywords));
	if (checked)
		FUZZ_ASSERT(t.confidence >= 0 && t.confidence <= 1);
	classifier_text_release(&t);
}

/* Tags a petition made of the first phrases of the document. */
static void tag_phrases(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL), *e;
	int checked = doc && !jschema_validate(schemas, "xf.keywords.v1", doc, NULL);
	struct sbuf content = SBUF_INIT;
	size_t i;

	json_array_foreach(json_object_get(doc, "keywords"), i, e)
	{
		const char *phrase = json_string_value(json_object_get(e, "phrase"));

		if (i == 16)
			break;
		if (phrase)
			sbuf_addf(&content, "%s，", phrase);
	}
	tag(content.len ? content.buf : "", "工地老板拖欠三个月工资，我要去市政府上访", checked);
	sbuf_release(&content);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf err = SBUF_INIT;
	char *text = fuzz_str(data, size);
	char before[64];

	if (!schemas)
		setup();
	snprintf(before, sizeof before, "%s", classifier_keywords_version(&cl));
	if (classifier_keywords(&cl, text, &err) == 0) {
		tag_phrases(text);
		/* back to the starter table, so that each input starts alike */
		FUZZ_ASSERT(classifier_keywords(&cl,
						embed_find("deploy/examples/keywords.json")->data,
						NULL) == 0);
	} else {
		FUZZ_ASSERT(err.len > 0);
		FUZZ_ASSERT(!strcmp(before, classifier_keywords_version(&cl)));
	}
	tag("拖欠工资", "三个月没发工资", 1);
	sbuf_release(&err);
	free(text);
	return 0;
}
