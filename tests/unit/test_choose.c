/*
 * test_choose.c - choosing among candidate departments (domain/choose.c):
 * each figure moves the choice the way it should, configuration weights
 * change the winner, the median estimate, deterministic ties, explain.
 */
#include <math.h>
#include <string.h>

#include "choose.h"
#include "tharness.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* The shipped defaults: fit 40, speed 20, satisfaction 20, load 20. */
static void default_weights(struct choose_weights *w)
{
	struct xf_conf conf = { .choice_w_fit = 40,
				.choice_w_speed = 20,
				.choice_w_satisfaction = 20,
				.choice_w_load = 20 };

	choose_weights_from_conf(&conf, w);
}

/* A department with a middling record: 20 resolved, 10 rated, accepts in 4-8 h. */
static struct choose_stats plain(const char *code)
{
	struct choose_stats s = { .department = code,
				  .assigned = 24,
				  .accepted = 20,
				  .resolved = 20,
				  .rated = 10,
				  .satisfied = 5,
				  .dissatisfied = 5,
				  .open_cases = 10,
				  .capacity = 100 };

	s.accept_hist[3] = 20;
	return s;
}

static void t_weights_from_conf(void)
{
	struct xf_conf conf = { .choice_w_fit = 40,
				.choice_w_speed = 20,
				.choice_w_satisfaction = 20,
				.choice_w_load = 20 };
	struct choose_weights w;

	choose_weights_from_conf(&conf, &w);
	T_CHECK(NEAR(w.fit, 0.4));
	T_CHECK(NEAR(w.speed, 0.2));
	T_CHECK(NEAR(w.satisfaction, 0.2));
	T_CHECK(NEAR(w.load, 0.2));
	conf.choice_w_fit = conf.choice_w_speed = 0;
	conf.choice_w_satisfaction = conf.choice_w_load = 0;
	choose_weights_from_conf(&conf, &w);
	T_CHECK(NEAR(w.fit, 0.25) && NEAR(w.speed, 0.25));
	T_CHECK(NEAR(w.satisfaction, 0.25) && NEAR(w.load, 0.25));
	conf.choice_w_load = 7;
	choose_weights_from_conf(&conf, &w);
	T_CHECK(NEAR(w.load, 1) && NEAR(w.fit, 0));
}

/* Listed second and first: the index must not be what decides. */
static void t_better_history_wins(void)
{
	struct choose_stats c[2] = { plain("a-weak"), plain("b-strong") };
	struct choose_weights w;

	default_weights(&w);
	c[0].satisfied = 2;
	c[1].satisfied = 9;
	T_INTEQ(choose_best(c, 2, &w, NULL), 1);
	c[0].satisfied = 9;
	c[1].satisfied = 2;
	T_INTEQ(choose_best(c, 2, &w, NULL), 0);
}

/* A full department with a fine record loses to an idle one when load counts most. */
static void t_full_loses_to_idle(void)
{
	struct choose_stats c[2] = { plain("a-full"), plain("b-idle") };
	struct xf_conf conf = { .choice_w_fit = 10,
				.choice_w_speed = 10,
				.choice_w_satisfaction = 10,
				.choice_w_load = 70 };
	struct choose_weights w;

	c[0].satisfied = 10;
	c[0].open_cases = 120; /* over capacity: load 0, not negative */
	c[1].satisfied = 3;
	c[1].open_cases = 0;
	choose_weights_from_conf(&conf, &w);
	T_INTEQ(choose_best(c, 2, &w, NULL), 1);
	c[0].open_cases = 100;
	T_INTEQ(choose_best(c, 2, &w, NULL), 1);
}

/* The same figures, two configurations, two winners. */
static void t_conf_changes_winner(void)
{
	struct choose_stats c[2] = { plain("a-good-busy"), plain("b-fast-idle") };
	struct xf_conf conf = { .choice_w_fit = 40,
				.choice_w_speed = 20,
				.choice_w_satisfaction = 20,
				.choice_w_load = 20 };
	struct choose_weights w;

	c[0].resolved = c[0].rated = 40;
	c[0].satisfied = 38;
	c[0].open_cases = 90;
	c[1].satisfied = 4;
	c[1].open_cases = 5;
	memset(c[1].accept_hist, 0, sizeof c[1].accept_hist);
	c[1].accept_hist[0] = 20; /* accepts within the hour */
	choose_weights_from_conf(&conf, &w);
	T_INTEQ(choose_best(c, 2, &w, NULL), 0);
	conf.choice_w_fit = conf.choice_w_satisfaction = 5;
	conf.choice_w_speed = conf.choice_w_load = 45;
	choose_weights_from_conf(&conf, &w);
	T_INTEQ(choose_best(c, 2, &w, NULL), 1);
}

static void t_median(void)
{
	long h[CHOOSE_HIST] = { 0 };

	T_CHECK(choose_median_hours(h) == -1);
	h[3] = 2; /* [4, 8): the middle */
	T_CHECK(NEAR(choose_median_hours(h), 6));
	memset(h, 0, sizeof h);
	h[0] = 1; /* [0, 1) */
	T_CHECK(NEAR(choose_median_hours(h), 0.5));
	memset(h, 0, sizeof h);
	h[1] = h[4] = h[6] = 1; /* half (1.5) falls in [8, 16) */
	T_CHECK(NEAR(choose_median_hours(h), 12));
	memset(h, 0, sizeof h);
	h[2] = 3; /* [2, 4), half at 1.5 of 3 */
	h[10] = 3;
	T_CHECK(NEAR(choose_median_hours(h), 4));
	memset(h, 0, sizeof h);
	h[11] = 4; /* the open bucket, taken as [1024, 2048) */
	T_CHECK(NEAR(choose_median_hours(h), 1536));
	h[0] = -5; /* negative counts are ignored */
	T_CHECK(NEAR(choose_median_hours(h), 1536));
}

/* Equal scores: fewer open cases, then the lower code, then the lower index. */
static void t_ties_deterministic(void)
{
	struct choose_stats c[3] = { plain("c-dept"), plain("a-dept"), plain("b-dept") };
	struct choose_weights w;

	default_weights(&w);
	T_INTEQ(choose_best(c, 3, &w, NULL), 1);
	T_INTEQ(choose_best(c + 2, 1, &w, NULL), 0);
	T_INTEQ(choose_best(c, 3, &w, NULL), 1); /* again: the same */
	/* no capacity: load from the open cases alone, so equal ones tie */
	for (int i = 0; i < 3; i++)
		c[i].capacity = 0;
	c[1].open_cases = 12;
	c[0].open_cases = 11;
	c[2].open_cases = 11;
	T_INTEQ(choose_best(c, 3, &w, NULL), 2);
	c[0].department = "b-dept"; /* same code twice: the lower index */
	T_INTEQ(choose_best(c, 3, &w, NULL), 0);
}

static void t_no_history(void)
{
	struct choose_stats c = { .department = "new" };
	struct choose_weights w;
	json_t *ex, *e;

	default_weights(&w);
	T_INTEQ(choose_best(&c, 1, &w, &ex), 0);
	e = json_array_get(ex, 0);
	T_CHECK(NEAR(json_real_value(json_object_get(e, "fit")), 0.5));
	T_CHECK(NEAR(json_real_value(json_object_get(e, "speed")), 0.5));
	T_CHECK(NEAR(json_real_value(json_object_get(e, "satisfaction")), 0.5));
	/* no open cases and no limit: the least loaded of its candidates */
	T_CHECK(NEAR(json_real_value(json_object_get(e, "load")), 1.0));
	T_CHECK(NEAR(json_real_value(json_object_get(e, "score")),
		     0.5 * (w.fit + w.speed + w.satisfaction) + w.load));
	T_CHECK(json_is_null(json_object_get(e, "median_accept_hours")));
	json_decref(ex);
	T_INTEQ(choose_best(&c, 0, &w, &ex), -1);
	T_CHECK(ex == NULL);
}

static double num(json_t *e, const char *key)
{
	return json_number_value(json_object_get(e, key));
}

static void t_explain(void)
{
	struct choose_stats c[3] = { plain("x-mid"), plain("y-best"), plain("z-worst") };
	struct choose_weights w;
	json_t *ex, *e;

	default_weights(&w);
	c[1].satisfied = 10;
	c[1].accept_hist[3] = 0;
	c[1].accept_hist[5] = 2; /* median 24 h: speed 0.5 */
	c[2].satisfied = 0;
	c[2].open_cases = 150;
	T_INTEQ(choose_best(c, 3, &w, &ex), 1);
	if (!T_CHECK(json_is_array(ex) && json_array_size(ex) == 3))
		return;
	T_STREQ(json_string_value(json_object_get(json_array_get(ex, 0), "department")), "y-best");
	T_STREQ(json_string_value(json_object_get(json_array_get(ex, 1), "department")), "x-mid");
	T_STREQ(json_string_value(json_object_get(json_array_get(ex, 2), "department")), "z-worst");
	T_CHECK(json_is_true(json_object_get(json_array_get(ex, 0), "chosen")));
	T_CHECK(json_is_false(json_object_get(json_array_get(ex, 1), "chosen")));
	T_CHECK(json_is_false(json_object_get(json_array_get(ex, 2), "chosen")));
	e = json_array_get(ex, 0);
	T_CHECK(NEAR(num(e, "fit"), 11.0 / 22));
	T_CHECK(NEAR(num(e, "satisfaction"), 11.0 / 12));
	T_CHECK(NEAR(num(e, "median_accept_hours"), 24));
	T_CHECK(NEAR(num(e, "speed"), 0.5));
	T_CHECK(NEAR(num(e, "load"), 0.9));
	T_CHECK(NEAR(num(e, "score"), 0.4 * 0.5 + 0.2 * 0.5 + 0.2 * 11 / 12 + 0.2 * 0.9));
	T_INTEQ(num(e, "resolved"), 20);
	T_INTEQ(num(e, "satisfied"), 10);
	T_INTEQ(num(e, "rated"), 10);
	T_INTEQ(num(e, "open"), 10);
	T_INTEQ(num(e, "capacity"), 100);
	e = json_array_get(ex, 2);
	T_CHECK(NEAR(num(e, "load"), 0));
	T_CHECK(NEAR(num(e, "median_accept_hours"), 6));
	T_CHECK(num(json_array_get(ex, 0), "score") > num(json_array_get(ex, 1), "score"));
	T_CHECK(num(json_array_get(ex, 1), "score") > num(e, "score"));
	json_decref(ex);
}

/*
 * A department with no capacity (none in the rules file: no limit) is not
 * scored as half loaded whatever its open cases: the load term follows the
 * open cases, the least loaded 1. Before, both had 0.5 and a department
 * with 40 open cases tied with one with none on load.
 */
static void t_no_capacity_load(void)
{
	struct choose_stats c[2] = { plain("busy"), plain("idle") };
	struct choose_weights w = { 0, 0, 0, 1 }; /* load alone */
	json_t *ex;

	c[0].capacity = c[1].capacity = 0;
	c[0].open_cases = 40;
	c[1].open_cases = 0;
	T_INTEQ(choose_best(c, 2, &w, &ex), 1);
	T_CHECK(num(json_array_get(ex, 0), "load") == 1.0);
	T_CHECK(fabs(num(json_array_get(ex, 1), "load") - 1.0 / 41) < 1e-9);
	json_decref(ex);
	c[1].open_cases = 79; /* twice the load: about half */
	T_INTEQ(choose_best(c, 2, &w, &ex), 0);
	T_CHECK(fabs(num(json_array_get(ex, 1), "load") - 41.0 / 80) < 1e-9);
	json_decref(ex);
}

/* clang-format off */
T_SUITE(choose,
	{ "weights from configuration", t_weights_from_conf },
	{ "better satisfied history wins", t_better_history_wins },
	{ "full department loses to idle", t_full_loses_to_idle },
	{ "configuration changes the winner", t_conf_changes_winner },
	{ "median accept estimate", t_median },
	{ "ties are deterministic", t_ties_deterministic },
	{ "no history scores 0.5 on its record", t_no_history },
	{ "no capacity: load from open cases", t_no_capacity_load },
	{ "explain lists every candidate", t_explain })
/* clang-format on */
