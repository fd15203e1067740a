/*
 * Unit tests for xf-dispatch's status page (services/dispatch/status.c):
 * the figures of /status.json read from a registry filled by hand, the
 * page itself; and for the scorecard's pure parts (domain/scorecard.c).
 */
#include <stdio.h>
#include <string.h>

#include "dispatch/status.h"
#include "lag.h"
#include "scorecard.h"
#include "tharness.h"

static void set(struct metrics *m, const char *name, const char *labels, double v)
{
	metrics_set(metrics_get(m, name, "test", METRICS_GAUGE, labels), v);
}

/* The entry of arr whose key is val, or NULL. */
static json_t *entry(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *e;

	json_array_foreach(
		arr, i, e) if (!strcmp(json_string_value(json_object_get(e, key)), val)) return e;
	return NULL;
}

static long long ival(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void fill_flow(struct metrics *m)
{
	set(m, "xf_messages_in_total", "topic=\"petition.classified\"", 30);
	set(m, "xf_messages_in_total", "topic=\"department.feedback\"", 5);
	set(m, "xf_messages_out_total", "topic=\"assignments\",kind=\"message\"", 31);
	set(m, "xf_dead_letters_total", "reason=\"bad_feedback\"", 1);
	set(m, "xf_cases", "state=\"triage\",department=\"x\"", 4);
	set(m, "xf_cases", "state=\"assigned\",department=\"a\"", 3);
	set(m, "xf_cases", "state=\"assigned\",department=\"b\"", 2);
	set(m, "xf_cases", "state=\"accepted\",department=\"a\"", 1);
}

static void t_flow(void)
{
	struct metrics *m = metrics_new();
	json_t *j, *e, *cases;

	fill_flow(m);
	j = status_json(&(struct status_src){ m, NULL, NULL, NULL });
	T_CHECK(json_real_value(json_object_get(j, "now")) > 1.7e9);
	e = entry(json_object_get(j, "messages_in"), "topic", "department.feedback");
	T_INTEQ(e ? ival(e, "total") : -1, 5);
	e = json_array_get(json_object_get(j, "messages_out"), 0);
	T_STREQ(json_string_value(json_object_get(e, "kind")), "message");
	T_INTEQ(ival(e, "total"), 31);
	e = entry(json_object_get(j, "dead_letters"), "reason", "bad_feedback");
	T_INTEQ(e ? ival(e, "total") : -1, 1);
	/* summed by state, the lifecycle's states first, then others */
	cases = json_object_get(j, "cases");
	T_INTEQ(json_array_size(cases), 5);
	T_STREQ(json_string_value(json_object_get(json_array_get(cases, 0), "state")), "assigned");
	T_INTEQ(ival(json_array_get(cases, 0), "count"), 5);
	T_INTEQ(ival(json_array_get(cases, 1), "count"), 1);
	T_INTEQ(ival(json_array_get(cases, 3), "count"), 0); /* rated */
	T_STREQ(json_string_value(json_object_get(json_array_get(cases, 4), "state")), "triage");
	T_INTEQ(ival(json_array_get(cases, 4), "count"), 4);
	json_decref(j);
	metrics_free(m);
}

/* Before any figure: empty lists, not missing ones. */
static void t_empty(void)
{
	struct metrics *m = metrics_new();
	json_t *j = status_json(&(struct status_src){ m, NULL, NULL, NULL });
	const char *keys[] = { "messages_in", "messages_out", "dead_letters",
			       "cases",       "lag",          "departments" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		T_INTEQ(json_array_size(json_object_get(j, keys[i])), 0);
	T_CHECK(json_is_null(json_object_get(j, "lag_sampled_at")));
	json_decref(j);
	metrics_free(m);
}

/* A reading of group's topic/partition: committed, end, seconds (-1 unknown). */
static void reading(struct lag_sample *smp, const char *group, const char *topic, int32_t partition,
		    int64_t committed, int64_t end, double lag_s)
{
	struct lag_reading *r = lag_sample_add(smp, group, topic, partition);

	r->committed = committed;
	r->end = end;
	r->lag = end - committed;
	r->lag_s = lag_s;
}

/* Two samples with a window of 2: xf-dispatch's offsets never move (STALL). */
static void fill_tracker(struct lag_tracker *tr)
{
	lag_tracker_init(tr, 2, 0);
	for (int k = 0; k < 2; k++) {
		struct lag_sample smp = LAG_SAMPLE_INIT;

		smp.t_ms = 1000.0 * k;
		smp.wall_ms = 1795430400000.0 + 1000 * k;
		reading(&smp, "xf-intake", "h", 0, 10 * k, 100 + 10 * k, -1);
		reading(&smp, "xf-dispatch", "t", 1, 3, 10, 3.25);
		reading(&smp, "xf-dispatch", "t", 0, 5, 10, -1);
		lag_tracker_add(tr, &smp);
	}
}

static void t_lag(void)
{
	struct lag_tracker tr;
	json_t *j = json_object(), *g, *p;

	fill_tracker(&tr);
	status_set_lag(j, &tr);
	T_CHECK(json_real_value(json_object_get(j, "lag_sampled_at")) == 1795430401);
	g = entry(json_object_get(j, "lag"), "group", "xf-dispatch");
	if (!T_CHECK(g != NULL))
		goto out;
	T_INTEQ(ival(g, "status"), LAG_STALL);
	T_STREQ(json_string_value(json_object_get(g, "status_name")), "STALL");
	T_CHECK(json_real_value(json_object_get(g, "max_lag_seconds")) == 3.25);
	T_INTEQ(ival(g, "lag"), 12);
	T_INTEQ(json_array_size(json_object_get(g, "partitions")), 2);
	p = json_array_get(json_object_get(g, "partitions"), 0);
	T_STREQ(json_string_value(json_object_get(p, "topic")), "t");
	T_INTEQ(ival(p, "partition"), 0);
	T_INTEQ(ival(p, "lag"), 5);
	T_CHECK(json_is_null(json_object_get(p, "lag_seconds"))); /* -1: unknown */
	p = json_array_get(json_object_get(g, "partitions"), 1);
	T_CHECK(json_real_value(json_object_get(p, "lag_seconds")) == 3.25);
	g = entry(json_object_get(j, "lag"), "group", "xf-intake");
	T_CHECK(g && json_is_null(json_object_get(g, "max_lag_seconds")));
	T_CHECK(g && ival(g, "lag") == 100);
	T_CHECK(g && ival(g, "status") == LAG_OK); /* moving, lag steady */
	T_STREQ(json_string_value(json_object_get(g, "status_name")), "OK");
out:
	json_decref(j);
	lag_tracker_release(&tr);
}

/* Before the first sample or without a monitor: [] and null. */
static void t_lag_none(void)
{
	struct lag_tracker tr;
	json_t *j = json_object();

	lag_tracker_init(&tr, 2, 0);
	status_set_lag(j, &tr);
	T_INTEQ(json_array_size(json_object_get(j, "lag")), 0);
	T_CHECK(json_is_null(json_object_get(j, "lag_sampled_at")));
	status_set_lag(j, NULL);
	T_INTEQ(json_array_size(json_object_get(j, "lag")), 0);
	json_decref(j);
}

static void t_departments(void)
{
	struct scorecard_row rows[] = {
		{ .code = "b",
		  .name = "乙局 \"B\" \\ x",
		  .open = 3,
		  .overdue = { 1, 4 },
		  .status = SCORECARD_YELLOW },
		{ .code = "c", .name = "丙", .satisfied = { 1, 3 }, .status = SCORECARD_GREEN },
		{ .code = "a", .name = "甲", .status = SCORECARD_RED },
		{ .code = "0", .name = "零", .status = SCORECARD_GREEN },
	};
	struct scorecard sc = { rows, 4, NULL };
	json_t *j = json_object(), *d;

	status_set_departments(j, &sc);
	d = json_object_get(j, "departments");
	if (!T_INTEQ(json_array_size(d), 4))
		goto out;
	/* red first, then yellow, then green; by code within each */
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 0), "department")), "a");
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 0), "status_name")), "red");
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 1), "department")), "b");
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 2), "department")), "0");
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 3), "department")), "c");
	/* as /metrics has a ratio: in millionths */
	T_CHECK(json_real_value(json_object_get(json_array_get(d, 3), "satisfaction_ratio")) ==
		0.333333);
	d = json_array_get(d, 1);
	T_STREQ(json_string_value(json_object_get(d, "name")), "乙局 \"B\" \\ x");
	T_STREQ(json_string_value(json_object_get(d, "status_name")), "yellow");
	T_INTEQ(ival(d, "status"), 1);
	T_INTEQ(ival(d, "open"), 3);
	T_CHECK(json_real_value(json_object_get(d, "overdue_ratio")) == 0.25);
	T_CHECK(json_is_null(json_object_get(d, "return_ratio")));
	T_CHECK(json_is_null(json_object_get(d, "satisfaction_ratio")));
	status_set_departments(j, NULL);
	T_INTEQ(json_array_size(json_object_get(j, "departments")), 0);
out:
	json_decref(j);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void t_route(void)
{
	struct metrics *m = metrics_new();
	struct status_src src = { m, NULL, NULL, NULL };
	struct sbuf body = SBUF_INIT;
	const char *type = NULL;
	json_t *j;

	fill_flow(m);
	set(m, "xf_dead_letters_total", "reason=\"</script><b>\"", 2);
	T_INTEQ(status_route(&src, "/status.json", NULL, &body, &type), 200);
	T_STREQ(type, "application/json; charset=utf-8");
	j = json_loads(body.buf, 0, NULL);
	T_CHECK(j && entry(json_object_get(j, "dead_letters"), "reason", "</script><b>"));
	json_decref(j);
	sbuf_reset(&body);
	T_INTEQ(status_route(&src, "/", NULL, &body, &type), 200);
	T_STREQ(type, "text/html; charset=utf-8");
	T_CHECK(!strncmp(body.buf, "<!DOCTYPE html>", 15));
	T_CHECK(strstr(body.buf, "<meta charset='utf-8'>") != NULL);
	T_CHECK(strstr(body.buf, "fetch('status.json'") != NULL);
	/* the embedded figures cannot close their <script> */
	T_INTEQ(count(body.buf, "</script>"), 3);
	T_CHECK(strstr(body.buf, "\\u003c/script>\\u003cb>") != NULL);
	/* no external assets */
	T_INTEQ(count(body.buf, "http://") + count(body.buf, "https://") + count(body.buf, "src=") +
			count(body.buf, "<link") + count(body.buf, "@import"),
		0);
	sbuf_reset(&body);
	T_INTEQ(status_route(&src, "/metrics", NULL, &body, &type), 0);
	T_INTEQ(status_route(&src, "/status", NULL, &body, &type), 0);
	T_INTEQ(status_route(&src, "/index.html", NULL, &body, &type), 0);
	sbuf_release(&body);
	metrics_free(m);
}

/* The JSON of the page's <script type='application/json' id=id>, or NULL. */
static json_t *page_block(const char *page, const char *id)
{
	struct sbuf open = SBUF_INIT;
	const char *p, *end;
	json_t *j = NULL;

	sbuf_addf(&open, "<script type='application/json' id='%s'>\n", id);
	p = strstr(page, open.buf);
	end = p ? strstr(p, "</script>") : NULL;
	if (end)
		j = json_loadb(p + open.len, (size_t)(end - p) - open.len, 0, NULL);
	sbuf_release(&open);
	return j;
}

/* The page's lag statuses are lag.h's, one for each code, and no other list. */
static void t_lag_statuses(void)
{
	struct metrics *m = metrics_new();
	struct status_src src = { m, NULL, NULL, NULL };
	struct sbuf body = SBUF_INIT;
	const char *type = NULL;
	json_t *arr, *e;
	size_t i;

	T_INTEQ(status_route(&src, "/", NULL, &body, &type), 200);
	arr = page_block(body.buf, "lag-statuses");
	if (!T_CHECK(json_is_array(arr)))
		goto out;
	T_INTEQ(json_array_size(arr), LAG_STATUS_MAX + 1);
	json_array_foreach(arr, i, e)
	{
		const struct lag_status_info *st = &lag_statuses[i];

		T_STREQ(json_string_value(json_object_get(e, "name")), st->name);
		T_STREQ(json_string_value(json_object_get(e, "label")), st->label);
		T_STREQ(json_string_value(json_object_get(e, "colour")), st->colour);
	}
	/* no names, labels or colours of lag statuses written into the page itself */
	T_INTEQ(count(body.buf, "REWIND"), 2); /* its name and its label, in the block */
	T_INTEQ(count(body.buf, "回退"), 1);
	T_INTEQ(count(body.buf, lag_statuses[LAG_REWIND].colour), 1);
	T_CHECK(strstr(body.buf, "@LAG_STATUSES@") == NULL);
	T_CHECK(strstr(body.buf, "@FIGURES@") == NULL);
	e = page_block(body.buf, "initial");
	T_CHECK(json_is_array(json_object_get(e, "lag")));
	json_decref(e);
out:
	json_decref(arr);
	sbuf_release(&body);
	metrics_free(m);
}

/* clang-format off */
T_SUITE(status, { "flow_figures", t_flow }, { "empty_registry", t_empty },
	{ "lag_groups", t_lag }, { "lag_none", t_lag_none },
	{ "departments", t_departments },
	{ "route", t_route }, { "lag_statuses_from_lag_h", t_lag_statuses })
/* clang-format on */

/* ---- domain/scorecard.c: the parts that need no database ---- */

static struct xf_conf thresholds(void)
{
	struct xf_conf conf = { 0 };

	conf.card_overdue_yellow = 10, conf.card_overdue_red = 20;
	conf.card_return_yellow = 15, conf.card_return_red = 30;
	conf.card_satisfied_yellow = 80, conf.card_satisfied_red = 60;
	return conf;
}

static void t_judge(void)
{
	struct xf_conf conf = thresholds();
	struct scorecard_row r = { .code = "a", .name = "A" };

	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_GREEN); /* nothing to divide */
	r.overdue = (struct scorecard_frac){ 1, 10 };
	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_YELLOW); /* 10% reaches yellow */
	r.overdue = (struct scorecard_frac){ 2, 10 };
	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_RED);
	r.overdue = (struct scorecard_frac){ 0, 10 };
	r.satisfied = (struct scorecard_frac){ 4, 5 };
	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_GREEN); /* 80% is not below 80 */
	r.satisfied = (struct scorecard_frac){ 3, 5 };
	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_YELLOW);
	r.satisfied = (struct scorecard_frac){ 0, 0 };
	r.returned = (struct scorecard_frac){ 3, 10 };
	T_INTEQ(scorecard_judge(&r, &conf), SCORECARD_RED);
	T_STREQ(scorecard_status_name(SCORECARD_RED), "red");
	T_STREQ(scorecard_status_name(SCORECARD_GREEN), "green");
}

static void t_render(void)
{
	struct xf_conf conf = thresholds();
	struct scorecard_row rows[] = {
		{ "ruian-gaj",
		  "瑞安市公安局",
		  400,
		  2,
		  2,
		  { 2, 2 },
		  { 0, 2 },
		  { 0, 2 },
		  { 0, 0 },
		  SCORECARD_RED },
		{ "x", "X", 0, 0, 0, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 1, 3 }, SCORECARD_GREEN },
	};
	struct scorecard sc = { rows, 2, NULL };
	struct sbuf out = SBUF_INIT;
	char buf[16];
	json_t *j;

	T_STREQ(scorecard_rate_str((struct scorecard_frac){ 1, 3 }, buf), "33.3%");
	T_STREQ(scorecard_rate_str((struct scorecard_frac){ 0, 0 }, buf), "-");
	scorecard_table(&sc, &conf, &out);
	T_STREQ(out.buf,
		"status  department   open    cap  cases  overdue   return   repeat  satisfied  name\n"
		"red     ruian-gaj       2    400      2   100.0%     0.0%     0.0%          -  "
		"瑞安市公安局\n"
		"green   x               0      -      0        -        -        -      33.3%  X\n"
		"\n2 departments: 1 red, 0 yellow, 1 green. thresholds (yellow/red): overdue >="
		" 10/20%, return >= 15/30%, satisfied < 80/60%\n");
	j = scorecard_json(&sc);
	T_CHECK(json_is_null(
		json_object_get(json_object_get(json_array_get(j, 1), "overdue"), "pct")));
	T_CHECK(json_real_value(json_object_get(json_object_get(json_array_get(j, 1), "satisfied"),
						"pct")) == 33.3);
	T_STREQ(json_string_value(json_object_get(json_array_get(j, 0), "status")), "red");
	json_decref(j);
	sbuf_release(&out);
}

/* clang-format off */
T_SUITE(scorecard, { "judge", t_judge }, { "table_and_json", t_render })
/* clang-format on */
