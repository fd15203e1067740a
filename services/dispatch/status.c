/* status.c - see status.h. */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "lag.h"
#include "scorecard.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reading the registry ---- */

/* The series of one metric, copied out of the registry. */
struct sample {
	char *labels;
	double v;
};

struct samples {
	struct sample *v;
	size_t n, alloc;
};

static void keep(void *arg, const char *labels, double v)
{
	struct samples *s = arg;

	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 16;
		if (!(s->v = realloc(s->v, s->alloc * sizeof *s->v)))
			abort();
	}
	if (!(s->v[s->n].labels = strdup(labels)))
		abort();
	s->v[s->n++].v = v;
}

/* Every series of name, in creation order (metrics_each holds the lock). */
static void samples_load(struct samples *s, struct metrics *m, const char *name)
{
	memset(s, 0, sizeof *s);
	metrics_each(m, name, keep, s);
}

static void samples_release(struct samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].labels);
	free(s->v);
}

/*
 * The value of label key in labels (k="v",... as given to metrics_get,
 * with \\, \" and \n escaped), unescaped into out. 1 if found.
 */
static int label(const char *labels, const char *key, struct sbuf *out)
{
	size_t klen = strlen(key);
	const char *p = labels;

	sbuf_reset(out);
	while (*p) {
		const char *eq = strchr(p, '=');
		int hit;

		if (!eq || eq[1] != '"')
			return 0;
		hit = (size_t)(eq - p) == klen && !strncmp(p, key, klen);
		for (p = eq + 2; *p && *p != '"'; p++) {
			char c = *p;

			if (c == '\\' && p[1])
				c = *++p == 'n' ? '\n' : *p;
			if (hit)
				sbuf_addch(out, c);
		}
		if (hit)
			return 1;
		p += *p == '"';
		p += *p == ',';
	}
	return 0;
}

/* Label key of labels as a JSON string ("" when absent). */
static json_t *label_json(const char *labels, const char *key)
{
	struct sbuf v = SBUF_INIT;
	json_t *j;

	label(labels, key, &v);
	j = json_stringn(v.buf, v.len);
	sbuf_release(&v);
	return j;
}

/* 1 if labels a and b have the same value for each of keys (NULL-ended). */
static int same(const char *a, const char *b, const char *const *keys)
{
	struct sbuf va = SBUF_INIT, vb = SBUF_INIT;
	int eq = 1;

	for (; eq && *keys; keys++)
		eq = label(a, *keys, &va) == label(b, *keys, &vb) && !strcmp(va.buf, vb.buf);
	sbuf_release(&va);
	sbuf_release(&vb);
	return eq;
}

/* The sample of s whose keys match those of labels, or NULL. */
static const struct sample *find(const struct samples *s, const char *labels,
				 const char *const *keys)
{
	for (size_t i = 0; i < s->n; i++)
		if (same(s->v[i].labels, labels, keys))
			return &s->v[i];
	return NULL;
}

static json_t *count_json(double v)
{
	return json_integer((json_int_t)llround(v));
}

/* ---- the figures ---- */

/* [{<keys>, "total"}], one entry per series of counter name. */
static json_t *totals(struct metrics *m, const char *name, const char *const *keys)
{
	struct samples s;
	json_t *out = json_array();

	samples_load(&s, m, name);
	for (size_t i = 0; i < s.n; i++) {
		json_t *o = json_object();

		for (const char *const *k = keys; *k; k++)
			json_object_set_new(o, *k, label_json(s.v[i].labels, *k));
		json_object_set_new(o, "total", count_json(s.v[i].v));
		json_array_append_new(out, o);
	}
	samples_release(&s);
	return out;
}

static const char *const case_states[] = { "assigned", "accepted", "resolved", "rated" };

/* The entry of state in arr, appended with count 0 when new. */
static json_t *state_entry(json_t *arr, const char *state)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "state")), state))
			return e;
	e = json_pack("{s:s, s:I}", "state", state, "count", (json_int_t)0);
	json_array_append_new(arr, e);
	return e;
}

/* xf_cases summed by state: the lifecycle's states first, then others. */
static json_t *cases(struct metrics *m)
{
	struct sbuf state = SBUF_INIT;
	struct samples s;
	json_t *out = json_array();

	samples_load(&s, m, "xf_cases");
	for (size_t i = 0; s.n && i < ARRAY_SIZE(case_states); i++)
		state_entry(out, case_states[i]);
	for (size_t i = 0; i < s.n; i++) {
		json_t *count;

		label(s.v[i].labels, "state", &state);
		count = json_object_get(state_entry(out, state.buf), "count");
		json_integer_set(count, json_integer_value(count) + llround(s.v[i].v));
	}
	sbuf_release(&state);
	samples_release(&s);
	return out;
}

/* ---- lag (common/lag.h's gauges, read by name) ---- */

static const char *const by_group[] = { "group", NULL };
static const char *const by_partition[] = { "group", "topic", "partition", NULL };

/* Seconds of a lag gauge; null when there is none or it is unknown (< 0). */
static json_t *seconds_json(const struct sample *s)
{
	return s && s->v >= 0 ? json_real(s->v) : json_null();
}

/* The partitions of group's labels gl: [{"topic", "partition", "lag", "lag_seconds"}]. */
static json_t *lag_partitions(const struct samples *lag, const struct samples *secs,
			      const char *gl, json_int_t *total)
{
	struct sbuf part = SBUF_INIT;
	json_t *out = json_array();

	for (size_t i = 0; i < lag->n; i++) {
		const char *pl = lag->v[i].labels;
		const struct sample *s = find(secs, pl, by_partition);

		if (!same(pl, gl, by_group))
			continue;
		label(pl, "partition", &part);
		*total += llround(lag->v[i].v);
		json_array_append_new(out, json_pack("{s:o, s:I, s:o, s:o}",
			"topic", label_json(pl, "topic"),
			"partition", (json_int_t)strtol(part.buf, NULL, 10),
			"lag", count_json(lag->v[i].v),
			"lag_seconds", seconds_json(s)));
	}
	sbuf_release(&part);
	return out;
}

static json_t *lag_group(const struct sample *st, const struct samples *max,
			 const struct samples *lag, const struct samples *secs)
{
	const struct sample *mx = find(max, st->labels, by_group);
	long status = lround(st->v);
	json_int_t total = 0;
	json_t *parts = lag_partitions(lag, secs, st->labels, &total);

	return json_pack("{s:o, s:i, s:s, s:o, s:I, s:o}",
		"group", label_json(st->labels, "group"), "status", (int)status,
		"status_name", status >= 0 ? lag_status_name((enum lag_status)status) : "UNKNOWN",
		"max_lag_seconds", seconds_json(mx),
		"lag", total, "partitions", parts);
}

static json_t *lag_groups(struct metrics *m)
{
	struct samples st, max, lag, secs;
	json_t *out = json_array();

	samples_load(&st, m, "xf_consumer_group_status");
	samples_load(&max, m, "xf_consumer_group_max_lag_seconds");
	samples_load(&lag, m, "xf_consumer_group_lag");
	samples_load(&secs, m, "xf_consumer_group_lag_seconds");
	for (size_t i = 0; i < st.n; i++)
		json_array_append_new(out, lag_group(&st.v[i], &max, &lag, &secs));
	samples_release(&st);
	samples_release(&max);
	samples_release(&lag);
	samples_release(&secs);
	return out;
}

/* When the lag monitor last sampled (Unix seconds), or null. */
static json_t *lag_sampled_at(struct metrics *m)
{
	struct samples s;
	json_t *j;

	samples_load(&s, m, "xf_consumer_lag_sampled_timestamp_seconds");
	j = s.n && s.v[0].v > 0 ? json_real(s.v[0].v) : json_null();
	samples_release(&s);
	return j;
}

/* ---- the department board (scorecard.h's gauges) ---- */

static const struct {
	const char *key, *metric;
	int ratio;
} dept_figures[] = {
	{ "status", "xf_department_status", 0 },
	{ "open", "xf_department_open_cases", 0 },
	{ "overdue_ratio", "xf_department_overdue_ratio", 1 },
	{ "return_ratio", "xf_department_return_ratio", 1 },
	{ "repeat_ratio", "xf_department_repeat_ratio", 1 },
	{ "satisfaction_ratio", "xf_department_satisfaction_ratio", 1 },
};
static const char *const by_department[] = { "department", NULL };

/* A ratio (null without its series) or a count (0 without). */
static json_t *figure_json(const struct sample *s, int ratio)
{
	if (ratio)
		return s ? json_real(s->v) : json_null();
	return count_json(s ? s->v : 0);
}

static json_t *department(const char *labels, const struct samples *figs)
{
	json_t *o = json_pack("{s:o, s:o}", "department", label_json(labels, "department"),
			      "name", label_json(labels, "name"));
	long status;

	for (size_t f = 0; f < ARRAY_SIZE(dept_figures); f++) {
		const struct sample *s = find(&figs[f], labels, by_department);

		json_object_set_new(o, dept_figures[f].key, figure_json(s, dept_figures[f].ratio));
	}
	status = (long)json_integer_value(json_object_get(o, "status"));
	json_object_set_new(o, "status_name", json_string(
		status >= SCORECARD_GREEN && status <= SCORECARD_RED ?
		scorecard_status_name((enum scorecard_status)status) : "unknown"));
	return o;
}

/* Red first, then yellow, then green; by code within each. */
static int by_status(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t sa = json_integer_value(json_object_get(a, "status"));
	json_int_t sb = json_integer_value(json_object_get(b, "status"));

	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "department")),
		      json_string_value(json_object_get(b, "department")));
}

/* The departments on the scorecard (xf_department_info 1), sorted. */
static json_t *departments(struct metrics *m)
{
	struct samples info, figs[ARRAY_SIZE(dept_figures)];
	json_t **v, *out = json_array();
	size_t n = 0;

	samples_load(&info, m, "xf_department_info");
	for (size_t f = 0; f < ARRAY_SIZE(dept_figures); f++)
		samples_load(&figs[f], m, dept_figures[f].metric);
	if (!(v = calloc(info.n + 1, sizeof *v)))
		abort();
	for (size_t i = 0; i < info.n; i++)
		if (info.v[i].v > 0.5)
			v[n++] = department(info.v[i].labels, figs);
	qsort(v, n, sizeof *v, by_status);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	samples_release(&info);
	for (size_t f = 0; f < ARRAY_SIZE(dept_figures); f++)
		samples_release(&figs[f]);
	return out;
}

json_t *status_json(struct metrics *m)
{
	static const char *const topic[] = { "topic", NULL };
	static const char *const topic_kind[] = { "topic", "kind", NULL };
	static const char *const reason[] = { "reason", NULL };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return json_pack("{s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"now", (double)ts.tv_sec + ts.tv_nsec / 1e9,
		"messages_in", totals(m, "xf_messages_in_total", topic),
		"messages_out", totals(m, "xf_messages_out_total", topic_kind),
		"dead_letters", totals(m, "xf_dead_letters_total", reason),
		"cases", cases(m), "lag", lag_groups(m),
		"lag_sampled_at", lag_sampled_at(m), "departments", departments(m));
}

/* ---- the page ---- */

/* The page, embedded at build time; its markers are filled in as it is served. */
#define STATUS_PAGE "services/dispatch/status.html"

/* Appends j (stolen) as JSON; inside <script> with '<' escaped as \u003c. */
static void add_json(struct sbuf *body, json_t *j, int in_html)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));

	if (!s)
		abort();
	for (const char *p = s; *p; p++)
		if (in_html && *p == '<')
			sbuf_adds(body, "\\u003c");
		else
			sbuf_addch(body, *p);
	free(s);
	json_decref(j);
}

/* The figures the page starts with. */
static void add_figures(struct sbuf *body, struct metrics *m)
{
	add_json(body, status_json(m), 1);
}

/* lag_statuses as [{"name", "label", "colour"}], indexed by status code. */
static void add_lag_statuses(struct sbuf *body, struct metrics *m)
{
	json_t *arr = json_array();

	(void)m;
	for (size_t i = 0; i < ARRAY_SIZE(lag_statuses); i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
			"name", lag_statuses[i].name, "label", lag_statuses[i].label,
			"colour", lag_statuses[i].colour));
	add_json(body, arr, 1);
}

static const struct {
	const char *marker;
	void (*fill)(struct sbuf *body, struct metrics *m);
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
static void add_page(struct sbuf *body, struct metrics *m)
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
		page_fills[i].fill(body, m);
		p = at + strlen(page_fills[i].marker);
	}
	sbuf_adds(body, p);
}

int status_route(void *arg, const char *url, struct sbuf *body, const char **type)
{
	struct metrics *m = arg;

	if (!strcmp(url, "/status.json")) {
		add_json(body, status_json(m), 0);
		sbuf_addch(body, '\n');
		*type = "application/json; charset=utf-8";
		return 200;
	}
	if (!strcmp(url, "/")) {
		add_page(body, m);
		*type = "text/html; charset=utf-8";
		return 200;
	}
	return 0;
}
