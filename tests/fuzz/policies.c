/*
 * policies.c - fuzzes the related policies file (xf.policies.v1,
 * services/classify/policy.c via classifier_policies) with any text. A
 * table it takes then tags petitions built from its own phrases: the
 * related policies are at most POLICY_MAX_RELATED distinct entries of the
 * table with an id and a title, and an entry without categories whose
 * phrase the text has is among them unless the list is full. A table it
 * refuses says why and leaves the one in use.
 */
#include <jansson.h>

#include "classify/classifier.h"
#include "classify/policy.h"
#include "embed.h"
#include "fuzz.h"
#include "sbuf.h"

static struct classifier cl;
static int ready;

static void setup(void)
{
	struct sbuf err = SBUF_INIT;

	if (classifier_init(&cl, NULL, &err)) {
		fprintf(stderr, "policies fuzzer setup: %s\n", err.buf);
		abort();
	}
	sbuf_release(&err);
	ready = 1;
}

/* The properties of one tagged text's related policies. */
static void check_related(json_t *related, const char *must_id)
{
	json_t *seen = json_object(), *e;
	int found = !must_id;
	size_t i;

	FUZZ_ASSERT(json_is_array(related) && json_array_size(related) <= POLICY_MAX_RELATED);
	json_array_foreach(related, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));

		FUZZ_ASSERT(id && json_is_string(json_object_get(e, "title")));
		FUZZ_ASSERT(!json_object_get(seen, id));
		json_object_set_new(seen, id, json_true());
		found |= must_id && !strcmp(id, must_id);
	}
	FUZZ_ASSERT(found || json_array_size(related) == POLICY_MAX_RELATED);
	json_decref(seen);
}

/* Tags a petition made of the first entry's phrases. */
static void tag_phrases(const struct policy_table *t)
{
	struct sbuf content = SBUF_INIT;
	struct classifier_text ct;

	for (size_t i = 0; i < t->nphrases && t->of[i] == 0; i++)
		sbuf_addf(&content, "%s，", t->phrase[i]);
	classifier_text(&cl, "反映问题", content.buf ? content.buf : "", NULL, &ct);
	check_related(ct.policies, t->p[0].cats ? NULL : t->p[0].id);
	classifier_text_release(&ct);
	sbuf_release(&content);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf err = SBUF_INIT;
	char *text = fuzz_str(data, size);
	char before[80];

	if (!ready)
		setup();
	snprintf(before, sizeof before, "%s", classifier_policies_version(&cl));
	if (classifier_policies(&cl, text, &err) == 0) {
		FUZZ_ASSERT(cl.policies->n > 0 && cl.policies->nphrases >= cl.policies->n);
		tag_phrases(cl.policies);
		/* back to the starter table, so that each input starts alike */
		FUZZ_ASSERT(classifier_policies(&cl,
						embed_find("deploy/examples/policies.json")->data,
						NULL) == 0);
	} else {
		FUZZ_ASSERT(err.len > 0);
		FUZZ_ASSERT(!strcmp(before, classifier_policies_version(&cl)));
	}
	sbuf_release(&err);
	free(text);
	return 0;
}
