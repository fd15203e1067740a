/*
 * test_vocab.c - the fixed vocabularies (domain/vocab.c) and the feedback
 * action table (services/dispatch/lifecycle.c): lookups, round trips,
 * unknown strings, and each table against the enums of the compiled-in
 * schemas, so that a code added to one and not the other fails here.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dispatch/lifecycle.h"
#include "embed.h"
#include "tharness.h"
#include "vocab.h"

/* The compiled-in schema file (schemas/<id>.json), new reference; NULL if absent. */
static json_t *schema_load(const char *id)
{
	char path[96];
	const struct embed_file *ef;

	snprintf(path, sizeof path, "schemas/%s.json", id);
	ef = embed_find(path);
	if (!T_CHECK(ef != NULL))
		return NULL;
	return json_loadb(ef->data, ef->len, 0, NULL);
}

/*
 * The strings of the enum at the NULL-terminated key path of schema id
 * (a null member left out), new reference: an empty array if there is none.
 */
static json_t *schema_enum(const char *id, const char *const *path)
{
	json_t *schema = schema_load(id), *j = schema, *out = json_array(), *v;
	size_t i;

	for (; *path && j; path++)
		j = json_object_get(j, *path);
	json_array_foreach(json_object_get(j, "enum"), i, v) if (json_is_string(v))
		json_array_append(out, v);
	json_decref(schema);
	T_CHECK(json_array_size(out) > 0);
	return out;
}
#define SCHEMA_ENUM(id, ...) schema_enum((id), (const char *const[]){ __VA_ARGS__, NULL })

/* 1 if the strings of arr are exactly list (NULL-terminated), in its order. */
static int same_list(json_t *arr, const char *const *list, const char *what)
{
	size_t n = 0;

	for (; list[n]; n++)
		if (!json_is_string(json_array_get(arr, n)) ||
		    strcmp(json_string_value(json_array_get(arr, n)), list[n]))
			break;
	if (!list[n] && n == json_array_size(arr))
		return 1;
	fprintf(stderr, "    %s: the schema and the table differ at item %zu\n", what, n);
	return 0;
}

static void t_categories(void)
{
	for (int i = 0; i < VOCAB_NCATEGORIES; i++) {
		const struct vocab_category *c = &vocab_categories[i];

		T_STREQ(vocab_category_codes[i], c->code);
		T_INTEQ(vocab_category_index(c->code), i);
		T_INTEQ(vocab_category_label(c->code), i);
		T_INTEQ(vocab_category_label(c->name), i);
		T_CHECK(*c->name && strcmp(c->name, c->code));
	}
	T_CHECK(vocab_category_codes[VOCAB_NCATEGORIES] == NULL);
	T_STREQ(vocab_categories[VOCAB_NCATEGORIES - 1].code, "other");
	T_STREQ(vocab_categories[7].name, "征地拆迁");
	T_INTEQ(vocab_category_label("劳动和社会保障"),
		vocab_category_index("labor_social_security"));
	/* the Chinese name is a label, not a code */
	T_INTEQ(vocab_category_index("城乡建设"), -1);
	T_INTEQ(vocab_category_index("labour"), -1);
	T_INTEQ(vocab_category_index("Transport"), -1);
	T_INTEQ(vocab_category_index(""), -1);
	T_INTEQ(vocab_category_index(NULL), -1);
	T_INTEQ(vocab_category_label("无此类"), -1);
	T_INTEQ(vocab_category_label(NULL), -1);
}

static void t_categories_schemas(void)
{
	static const struct {
		const char *id;
		const char *const path[6];
	} at[] = {
		{ "xf.petition.v1", { "$defs", "category" } },
		{ "xf.assignment.v1", { "$defs", "category" } },
		{ "xf.rules.v1", { "$defs", "category" } },
		{ "xf.keywords.v1",
		  { "properties", "keywords", "items", "properties", "category" } },
	};

	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		json_t *e = schema_enum(at[i].id, at[i].path);

		T_CHECK(same_list(e, vocab_category_codes, at[i].id));
		json_decref(e);
	}
}

static void t_channels(void)
{
	json_t *e[] = {
		SCHEMA_ENUM("xf.petition.v1", "$defs", "source", "properties", "channel"),
		SCHEMA_ENUM("xf.hotline_event.v1", "$defs", "source", "properties", "channel"),
		SCHEMA_ENUM("xf.rules.v1", "$defs", "when", "properties", "channel", "items"),
	};

	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
		T_CHECK(same_list(e[i], vocab_channels, "channel"));
		json_decref(e[i]);
	}
	for (size_t i = 0; vocab_channels[i]; i++)
		T_INTEQ(vocab_channel_known(vocab_channels[i]), 1);
	T_INTEQ(vocab_channel_known("phone"), 0);
	T_INTEQ(vocab_channel_known("Hotline"), 0);
	T_INTEQ(vocab_channel_known(""), 0);
	T_INTEQ(vocab_channel_known(NULL), 0);
}

static void t_states(void)
{
	static const char *const names[] = { "assigned", "accepted", "resolved", "rated" };
	static const enum case_state states[] = { CASE_ASSIGNED, CASE_ACCEPTED, CASE_RESOLVED,
						  CASE_RATED };

	T_INTEQ(sizeof names / sizeof names[0], VOCAB_NSTATES - 1);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		T_STREQ(vocab_state_name(states[i]), names[i]);
		T_INTEQ(vocab_state_parse(names[i]), states[i]);
	}
	for (int s = 0; s < VOCAB_NSTATES; s++)
		T_INTEQ(vocab_state_parse(vocab_state_name((enum case_state)s)), s);
	T_INTEQ(vocab_state_parse("closed"), CASE_UNKNOWN);
	T_INTEQ(vocab_state_parse("Assigned"), CASE_UNKNOWN);
	T_INTEQ(vocab_state_parse("assigned "), CASE_UNKNOWN);
	T_INTEQ(vocab_state_parse(""), CASE_UNKNOWN);
	T_INTEQ(vocab_state_parse(NULL), CASE_UNKNOWN);
	T_STREQ(vocab_state_name(CASE_UNKNOWN), "unknown");
	T_STREQ(vocab_state_name((enum case_state)VOCAB_NSTATES), "unknown");
	/* open: what SQL counts as state IN ('assigned', 'accepted') */
	T_CHECK(vocab_state_open(CASE_ASSIGNED) && vocab_state_open(CASE_ACCEPTED));
	T_CHECK(!vocab_state_open(CASE_RESOLVED) && !vocab_state_open(CASE_RATED));
	T_CHECK(!vocab_state_open(CASE_UNKNOWN));
	T_CHECK(!vocab_state_open((enum case_state)VOCAB_NSTATES));
}

/* Each state is entered by the case.events event of its name. */
static void t_states_events(void)
{
	json_t *types = SCHEMA_ENUM("xf.case_event.v1", "properties", "type");

	for (int s = CASE_UNKNOWN + 1; s < VOCAB_NSTATES; s++) {
		const char *name = vocab_state_name((enum case_state)s);
		size_t i;
		json_t *v;
		int found = 0;

		json_array_foreach(types, i, v) found |= !strcmp(json_string_value(v), name);
		if (!T_CHECK(found))
			fprintf(stderr, "    state %s is no case event type\n", name);
	}
	json_decref(types);
}

/* The feedback action table holds exactly the schema's actions. */
static void t_feedback_actions(void)
{
	json_t *e = SCHEMA_ENUM("xf.feedback.v1", "properties", "action");
	size_t n = 0, i;
	json_t *v;

	while (lifecycle_action_name(n))
		n++;
	T_INTEQ(n, json_array_size(e));
	json_array_foreach(e, i, v)
	{
		size_t k = 0;

		while (lifecycle_action_name(k) &&
		       strcmp(lifecycle_action_name(k), json_string_value(v)))
			k++;
		if (!T_CHECK(k < n))
			fprintf(stderr, "    action %s has no handler\n", json_string_value(v));
	}
	json_decref(e);
}

/* clang-format off */
T_SUITE(vocab,
	{ "categories", t_categories },
	{ "categories_schemas", t_categories_schemas },
	{ "channels", t_channels },
	{ "states", t_states },
	{ "states_events", t_states_events },
	{ "feedback_actions", t_feedback_actions })
/* clang-format on */
