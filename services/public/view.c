/* view.c - see view.h. */
#include "view.h"

#include <string.h>

#include "public_update.h"

const char *const view_stage_names[VIEW_STAGES] = { "受理", "交办", "受理确认",
						    "办理", "办结", "评价" };

int view_stage_of(const char *status)
{
	/* clang-format off */
	static const struct { const char *status; int stage; } map[] = {
		{ "received", 0 }, { "assigned", 1 }, { "returned", 1 }, { "reassigned", 1 },
		{ "accepted", 2 }, { "extended", 3 }, { "reopened", 3 }, { "resolved", 4 },
		{ "followed_up", 5 }, { "closed", 5 },
	};
	/* clang-format on */

	for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i].status, status))
			return map[i].stage;
	return 0;
}

/* The step as shown: the update without what the citizen knows already. */
static json_t *step_of(json_t *ev, const struct rules_set *rs)
{
	json_t *u = public_update(ev, "", "", rs);

	if (!u)
		return NULL;
	json_object_del(u, "schema");
	json_object_del(u, "case_id");
	json_object_del(u, "source");
	return u;
}

/* Takes step's key into view (a reopened case's result is gone). */
static void carry(json_t *view, json_t *step, const char *key)
{
	json_t *v = json_object_get(step, key);

	if (v)
		json_object_set(view, key, v);
}

/* Folds one step into the summary. */
static void summarise(json_t *view, json_t *step)
{
	const char *status = json_string_value(json_object_get(step, "status"));

	json_object_set_new(view, "status", json_string(status));
	json_object_set_new(view, "stage", json_integer(view_stage_of(status)));
	carry(view, step, "department");
	carry(view, step, "accept_by");
	carry(view, step, "resolve_by");
	if (!strcmp(status, "reopened"))
		json_object_del(view, "result");
	carry(view, step, "result");
}

json_t *view_case(const char *case_id, json_t *events, const struct rules_set *rs)
{
	json_t *view = json_pack("{s:s, s:s}", "schema", PUBLIC_CASE_SCHEMA, "case_id", case_id);
	json_t *steps = json_array();
	json_t *ev, *step;
	size_t i;

	json_array_foreach(events, i, ev)
	{
		if (!(step = step_of(ev, rs)))
			continue;
		summarise(view, step);
		json_array_append_new(steps, step);
	}
	if (!json_array_size(steps)) {
		json_decref(steps);
		json_decref(view);
		return NULL;
	}
	json_object_set_new(view, "steps", steps); /* last, after the summary */
	return view;
}
