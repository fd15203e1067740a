/* status.c - see status.h. */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "lag.h"
#include "vocab.h"
#include "xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the counters (read from the registry, label by label) ---- */

static json_t *count_json(double v)
{
	return json_integer((json_int_t)llround(v));
}

/* Label key of a series as a JSON string ("" when absent). */
static json_t *label_json(const struct metrics_label *labels, size_t n, const char *key)
{
	const char *v = metrics_label(labels, n, key);

	return json_string(v ? v : "");
}

struct totals {
	json_t *out;
	const char *const *keys;
};

static void add_total(void *arg, const struct metrics_label *labels, size_t n, double v)
{
	struct totals *t = arg;
	json_t *o = json_object();

	for (const char *const *k = t->keys; *k; k++)
		json_object_set_new(o, *k, label_json(labels, n, *k));
	json_object_set_new(o, "total", count_json(v));
	json_array_append_new(t->out, o);
}

/* [{<keys>, "total"}], one entry per series of counter name. */
static json_t *totals(struct metrics *m, const char *name, const char *const *keys)
{
	struct totals t = { json_array(), keys };

	metrics_each(m, name, add_total, &t);
	return t.out;
}

/* The entry of state in arr, appended with count 0 when new. */
static json_t *state_entry(json_t *arr, const char *state)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) if (!strcmp(json_string_value(json_object_get(e, "state")),
						  state)) return e;
	e = json_pack("{s:s, s:I}", "state", state, "count", (json_int_t)0);
	json_array_append_new(arr, e);
	return e;
}

/* Adds a series of xf_cases to its state's count, the lifecycle's states first. */
static void add_case(void *arg, const struct metrics_label *labels, size_t n, double v)
{
	const char *state = metrics_label(labels, n, "state");
	json_t *count;

	if (!json_array_size(arg))
		for (int i = CASE_UNKNOWN + 1; i < VOCAB_NSTATES; i++)
			state_entry(arg, vocab_state_name((enum case_state)i));
	count = json_object_get(state_entry(arg, state ? state : ""), "count");
	json_integer_set(count, json_integer_value(count) + llround(v));
}

/* xf_cases summed by state: the lifecycle's states first, then others. */
static json_t *cases(struct metrics *m)
{
	json_t *out = json_array();

	metrics_each(m, "xf_cases", add_case, out);
	return out;
}

/* ---- lag (common/lag.h's tracker, read from the monitor) ---- */

/* Seconds; null when unknown (< 0). */
static json_t *seconds_json(double s)
{
	return s >= 0 ? json_real(s) : json_null();
}

/* {"topic", "partition", "lag", "lag_seconds"} */
static json_t *lag_partition(const struct lag_part *p)
{
	const struct lag_reading *r = &p->cur;

	return json_pack("{s:s, s:I, s:I, s:o}", "topic", r->topic, "partition",
			 (json_int_t)r->partition, "lag", (json_int_t)r->lag, "lag_seconds",
			 seconds_json(r->lag ? r->lag_s : 0));
}

static json_t *lag_group(const struct lag_tracker *tr, const struct lag_group_sum *g)
{
	json_t *parts = json_array();

	for (size_t i = g->first; i < g->first + g->count; i++)
		json_array_append_new(parts, lag_partition(&tr->parts[i]));
	return json_pack("{s:s, s:i, s:s, s:o, s:I, s:o}", "group", g->group, "status",
			 (int)g->status, "status_name", lag_status_name(g->status),
			 "max_lag_seconds", seconds_json(g->max_lag_s), "lag", (json_int_t)g->lag,
			 "partitions", parts);
}

void status_set_lag(json_t *out, const struct lag_tracker *tr)
{
	json_t *groups = json_array();
	struct lag_group_sum g;

	for (size_t i = 0; tr && i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		json_array_append_new(groups, lag_group(tr, &g));
	}
	json_object_set_new(out, "lag", groups);
	json_object_set_new(out, "lag_sampled_at",
			    tr && tr->sampled_wall_ms > 0 ? json_real(tr->sampled_wall_ms / 1000)
							  : json_null());
}

static void read_lag(void *arg, const struct lag_tracker *tr)
{
	status_set_lag(arg, tr);
}

/* ---- the department board (scorecard.h's board) ---- */

/* n / of as /metrics has it (in millionths); null with nothing to divide by. */
static json_t *ratio_json(struct scorecard_frac f)
{
	if (!f.of)
		return json_null();
	return json_real((double)llround((double)f.n / (double)f.of * 1e6) / 1e6);
}

static json_t *department(const struct scorecard_row *r)
{
	return json_pack("{s:s, s:s, s:i, s:I, s:o, s:o, s:o, s:o, s:s}", "department", r->code,
			 "name", r->name, "status", (int)r->status, "open", (json_int_t)r->open,
			 "overdue_ratio", ratio_json(r->overdue), "return_ratio",
			 ratio_json(r->returned), "repeat_ratio", ratio_json(r->repeats),
			 "satisfaction_ratio", ratio_json(r->satisfied), "status_name",
			 scorecard_status_name(r->status));
}

/* Red first, then yellow, then green; by code within each. */
static int by_status(const void *pa, const void *pb)
{
	const struct scorecard_row *a = *(const struct scorecard_row *const *)pa;
	const struct scorecard_row *b = *(const struct scorecard_row *const *)pb;

	if (a->status != b->status)
		return a->status > b->status ? -1 : 1;
	return strcmp(a->code, b->code);
}

void status_set_departments(json_t *out, const struct scorecard *sc)
{
	const struct scorecard_row **v;
	json_t *arr = json_array();
	int n = sc ? sc->n : 0;

	v = xcalloc((size_t)n + 1, sizeof *v);
	for (int i = 0; i < n; i++)
		v[i] = &sc->rows[i];
	qsort(v, (size_t)n, sizeof *v, by_status);
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, department(v[i]));
	free(v);
	json_object_set_new(out, "departments", arr);
}

static void read_board(void *arg, const struct scorecard *sc)
{
	status_set_departments(arg, sc);
}

json_t *status_json(const struct status_src *src)
{
	static const char *const topic[] = { "topic", NULL };
	static const char *const topic_kind[] = { "topic", "kind", NULL };
	static const char *const reason[] = { "reason", NULL };
	struct metrics *m = src->m;
	struct timespec ts;
	json_t *out;

	clock_gettime(CLOCK_REALTIME, &ts);
	out = json_pack("{s:f, s:o, s:o, s:o, s:o}", "now", (double)ts.tv_sec + ts.tv_nsec / 1e9,
			"messages_in", totals(m, "xf_messages_in_total", topic), "messages_out",
			totals(m, "xf_messages_out_total", topic_kind), "dead_letters",
			totals(m, "xf_dead_letters_total", reason), "cases", cases(m));
	if (src->lag)
		lag_monitor_read(src->lag, read_lag, out);
	else
		status_set_lag(out, NULL);
	if (src->board)
		scorecard_board_read(src->board, read_board, out);
	else
		status_set_departments(out, NULL);
	return out;
}

/* ---- the page ---- */

/* The page, embedded at build time; its markers are filled in as it is served. */
#define STATUS_PAGE "services/dispatch/status.html"

/* Appends j (stolen) as JSON; inside <script> with '<' escaped as \u003c. */
static void add_json(struct sbuf *body, json_t *j, int in_html)
{
	char *s = xnonnull(json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12)));

	for (const char *p = s; *p; p++)
		if (in_html && *p == '<')
			sbuf_adds(body, "\\u003c");
		else
			sbuf_addch(body, *p);
	free(s);
	json_decref(j);
}

/* The figures the page starts with. */
static void add_figures(struct sbuf *body, const struct status_src *src)
{
	add_json(body, status_json(src), 1);
}

/* lag_statuses as [{"name", "label", "colour"}], indexed by status code. */
static void add_lag_statuses(struct sbuf *body, const struct status_src *src)
{
	json_t *arr = json_array();

	(void)src;
	for (size_t i = 0; i < ARRAY_SIZE(lag_statuses); i++)
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s}", "name", lag_statuses[i].name, "label",
				       lag_statuses[i].label, "colour", lag_statuses[i].colour));
	add_json(body, arr, 1);
}

static const struct {
	const char *marker;
	void (*fill)(struct sbuf *body, const struct status_src *src);
} page_fills[] = {
	{ "@FIGURES@", add_figures },
	{ "@LAG_STATUSES@", add_lag_statuses },
};

/* The index of the fill whose marker starts at p, or ARRAY_SIZE(page_fills). */
static size_t fill_at(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(page_fills); i++)
		if (!strncmp(p, page_fills[i].marker, strlen(page_fills[i].marker)))
			return i;
	return ARRAY_SIZE(page_fills);
}

/* The page with each marker replaced by what its fill writes. */
static void add_page(struct sbuf *body, const struct status_src *src)
{
	const char *p = embed_find(STATUS_PAGE)->data, *at;

	while ((at = strchr(p, '@'))) {
		size_t i = fill_at(at);

		sbuf_add(body, p, (size_t)(at - p));
		if (i == ARRAY_SIZE(page_fills)) {
			sbuf_addch(body, '@');
			p = at + 1;
			continue;
		}
		page_fills[i].fill(body, src);
		p = at + strlen(page_fills[i].marker);
	}
	sbuf_adds(body, p);
}

int status_route(void *arg, const char *url, const struct http_req *req, struct sbuf *body,
		 const char **type)
{
	const struct status_src *src = arg;

	if (src->page && !strncmp(url, "/board", 6))
		return board_page_route(src->page, url, req, body, type);
	if (!strcmp(url, "/status.json")) {
		add_json(body, status_json(src), 0);
		sbuf_addch(body, '\n');
		*type = "application/json; charset=utf-8";
		return 200;
	}
	if (!strcmp(url, "/")) {
		add_page(body, src);
		*type = "text/html; charset=utf-8";
		return 200;
	}
	return 0;
}
