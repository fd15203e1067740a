/*
 * Unit tests for services/dispatch/figures.c: what a batch changed is what
 * a later decision of it sees, and what its one write adds.
 */
#include <string.h>

#include <jansson.h>

#include "dispatch/figures.h"
#include "tharness.h"

static const struct rules_dept rsj = { .code = "t-rsj", .capacity = 3 };
static const struct rules_dept zjj = { .code = "t-zjj", .capacity = 5 };

static void t_changes_seen(void)
{
	struct figures fg;
	struct choose_stats st;
	json_t *depts = json_array();

	figures_init(&fg);
	figures_add(&fg, "t-rsj", "labor", "assigned", -1);
	figures_add(&fg, "t-rsj", "labor", "assigned", -1);
	figures_add(&fg, "t-rsj", "labor", "accepted", 2);
	figures_add(&fg, "t-rsj", "health", "resolved", -1);
	figures_open_add(&fg, "t-rsj", 2);
	figures_open_add(&fg, "t-rsj", -1);
	figures_candidate(&fg, "labor", &rsj, &st);
	T_STREQ(st.department, "t-rsj");
	T_INTEQ(st.capacity, 3);
	T_INTEQ(st.assigned, 2);
	T_INTEQ(st.accepted, 1);
	T_INTEQ(st.resolved, 0); /* another category */
	T_INTEQ(st.accept_hist[2], 1);
	T_INTEQ(st.open_cases, 1);
	figures_candidate(&fg, "labor", &zjj, &st);
	T_INTEQ(st.assigned, 0);
	T_INTEQ(st.open_cases, 0);
	figures_open_departments(&fg, depts);
	T_INTEQ(json_array_size(depts), 1);
	T_STREQ(json_string_value(json_array_get(depts, 0)), "t-rsj");
	json_decref(depts);
	figures_release(&fg);
}

static void t_rows(void)
{
	struct figures fg;
	json_t *rows = json_array(), *r;

	figures_init(&fg);
	figures_add(&fg, "t-zjj", NULL, "overdue", -1);
	figures_add(&fg, "t-rsj", "labor", "accepted", 11);
	figures_add(&fg, "t-rsj", "labor", "accepted", 0);
	figures_add(&fg, "t-rsj", "labor", "rated", 99); /* no such bucket */
	figures_rows(&fg, rows);
	T_INTEQ(json_array_size(rows), 2);
	r = json_array_get(rows, 0);
	T_STREQ(json_string_value(json_object_get(r, "category")), "other");
	T_INTEQ(json_integer_value(json_object_get(r, "overdue")), 1);
	T_INTEQ(json_integer_value(json_object_get(r, "assigned")), 0);
	r = json_array_get(rows, 1);
	T_INTEQ(json_integer_value(json_object_get(r, "accepted")), 2);
	T_INTEQ(json_integer_value(json_object_get(r, "rated")), 1);
	T_INTEQ(json_array_size(json_object_get(r, "hist")), CHOOSE_HIST);
	T_INTEQ(json_integer_value(json_array_get(json_object_get(r, "hist"), 0)), 1);
	T_INTEQ(json_integer_value(json_array_get(json_object_get(r, "hist"), 11)), 1);
	json_decref(rows);
	figures_release(&fg);
}

/* clang-format off */
T_SUITE(figures, { "batch_changes_seen_by_later_decisions", t_changes_seen },
	{ "increments_as_write_rows", t_rows })
/* clang-format on */
