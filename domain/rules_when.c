/* rules_when.c - the rules engine's vocabularies and `when` tests (rules_int.h). */
#include "rules_int.h"

#include "util.h"
#include "vocab.h"

/* ---- fixed vocabularies (DESIGN §2, §3; the shared ones: vocab.h) ---- */

struct level {
	const char *name;
	size_t digits;
};

static const struct level levels[] = {
	{ "province", 2 }, { "city", 4 }, { "county", 6 }, { "township", 9 }, { "village", 12 },
};

static const char *const risks[] = { "A", "B", "C", NULL };

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (str_eq(*list, s))
			return 1;
	return 0;
}

/* Digits of a region at this level; 0 if the level is unknown. */
size_t rules_level_digits(const char *level)
{
	for (size_t i = 0; i < NELEM(levels); i++)
		if (str_eq(levels[i].name, level))
			return levels[i].digits;
	return 0;
}

/* ---- the petition, as the tests see it ---- */

/* Follows a NULL-terminated path of object keys; NULL where it breaks. */
static json_t *dig(json_t *j, const char *const *path)
{
	for (; *path && j; path++)
		j = json_object_get(j, *path);
	return j;
}
#define DIG(j, ...) dig((j), (const char *const[]){ __VA_ARGS__, NULL })

void rules_pview_init(struct pview *pv, json_t *p)
{
	json_t *cl = json_object_get(p, "classification");

	pv->region = json_string_value(json_object_get(p, "region_code"));
	pv->subject = json_string_value(json_object_get(p, "subject"));
	pv->content = json_string_value(json_object_get(p, "content"));
	pv->channel = json_string_value(DIG(p, "source", "channel"));
	pv->category = json_string_value(json_object_get(cl, "category"));
	pv->risk = json_string_value(DIG(cl, "risk", "level"));
	pv->collective = json_object_get(cl, "collective");
	pv->repeat = DIG(cl, "repeat", "count");
	pv->intensity = DIG(cl, "emotion", "intensity");
	pv->keywords = json_object_get(cl, "keywords");
}

/* 1 if s equals one of the strings of the JSON array list. */
static int list_has(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) if (str_eq(json_string_value(v), s)) return 1;
	return 0;
}

/* ---- `when` tests: one row each ---- */

static int category_ok(const char *s)
{
	return vocab_category_index(s) >= 0;
}
static int risk_ok(const char *s)
{
	return in_list(risks, s);
}
static int channel_ok(const char *s)
{
	return vocab_channel_known(s);
}
static int nonempty_ok(const char *s)
{
	return *s != '\0';
}

static int holds_category(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->category);
}

static int holds_risk(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->risk);
}

static int holds_channel(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->channel);
}

static int holds_region_prefix(json_t *arg, const struct pview *pv)
{
	size_t i;
	json_t *v;

	if (!pv->region)
		return 0;
	json_array_foreach(arg, i, v)
	{
		const char *p = json_string_value(v);

		if (p && strncmp(pv->region, p, strlen(p)) == 0)
			return 1;
	}
	return 0;
}

static int holds_collective(json_t *arg, const struct pview *pv)
{
	return json_is_boolean(pv->collective) && json_is_true(pv->collective) == json_is_true(arg);
}

static int at_least(json_t *v, json_t *min)
{
	return json_is_number(v) && json_number_value(v) >= json_number_value(min);
}

static int holds_repeat_min(json_t *arg, const struct pview *pv)
{
	return at_least(pv->repeat, arg);
}

static int holds_intensity_min(json_t *arg, const struct pview *pv)
{
	return at_least(pv->intensity, arg);
}

static int holds_keywords_any(json_t *arg, const struct pview *pv)
{
	size_t i;
	json_t *v;

	json_array_foreach(arg, i, v)
	{
		const char *k = json_string_value(v);

		if (!k || !*k)
			continue;
		if ((pv->subject && strstr(pv->subject, k)) ||
		    (pv->content && strstr(pv->content, k)) || list_has(pv->keywords, k))
			return 1;
	}
	return 0;
}

const struct when_test rules_when_tests[] = {
	{ "category", ARG_LIST, category_ok, "a category code", holds_category },
	{ "region_prefix", ARG_LIST, region_prefix_valid,
	  "a division-code prefix (2, 4, 6, 9 or 12 digits)", holds_region_prefix },
	{ "risk", ARG_LIST, risk_ok, "A, B or C", holds_risk },
	{ "channel", ARG_LIST, channel_ok,
	  "a channel (hotline, web, app, grid, walk_in, letter, e_station)", holds_channel },
	{ "collective", ARG_BOOL, NULL, "true or false", holds_collective },
	{ "repeat_min", ARG_COUNT, NULL, "a whole number >= 0", holds_repeat_min },
	{ "intensity_min", ARG_PERCENT, NULL, "a number from 0 to 100", holds_intensity_min },
	{ "keywords_any", ARG_LIST, nonempty_ok, "a non-empty string", holds_keywords_any },
};
const size_t rules_nwhen_tests = NELEM(rules_when_tests);

const struct when_test *rules_when_find(const char *name)
{
	for (size_t i = 0; i < rules_nwhen_tests; i++)
		if (str_eq(rules_when_tests[i].name, name))
			return &rules_when_tests[i];
	return NULL;
}

/* NULL if every test of r holds for the petition, else the first that does not. */
const char *rules_rule_fails(const struct rules_rule *r, const struct pview *pv)
{
	for (size_t i = 0; i < rules_nwhen_tests; i++) {
		json_t *arg = json_object_get(r->when, rules_when_tests[i].name);

		if (arg && !rules_when_tests[i].holds(arg, pv))
			return rules_when_tests[i].name;
	}
	return NULL;
}
