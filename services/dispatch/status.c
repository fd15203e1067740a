/* status.c - see status.h. */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const char *const lag_status_names[] = { "OK", "WARN", "STALL", "STOP", "REWIND" };
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
		"status_name", status >= 0 && status < (long)ARRAY_SIZE(lag_status_names) ?
			       lag_status_names[status] : "UNKNOWN",
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

/* The page around the figures it starts with (<script type=application/json>). */
static const char *const page_head[] = {
	"<!DOCTYPE html>\n"
	"<html lang='zh-CN'>\n"
	"<head>\n"
	"<meta charset='utf-8'>\n"
	"<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
	"<title>xf-dispatch 运行状态 · status</title>\n"
	"<style>\n"
	":root { --ok: #1a7f37; --warn: #b7791f; --bad: #c62828; --stop: #5b21b6;\n"
	"\t--mute: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; }\n"
	"* { box-sizing: border-box; }\n"
	"body { margin: 0; background: var(--bg); color: #111827;\n"
	"\tfont: 13px/1.35 system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei',\n"
	"\t\tsans-serif; }\n"
	"header { display: flex; align-items: baseline; gap: 14px; padding: 9px 16px;\n"
	"\tbackground: #1f2937; color: #f9fafb; }\n"
	"header h1 { margin: 0; font-size: 18px; }\n"
	"header .sub { color: #9ca3af; }\n"
	"#refreshed { margin-left: auto; color: #d1d5db; }\n"
	"#banner { display: none; padding: 8px 16px; background: var(--bad); color: #fff;\n"
	"\tfont-weight: 600; }\n"
	"#banner.show { display: block; }\n"
	"main { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px;\n"
	"\tpadding: 10px 16px; }\n"
	"main.stale section { opacity: .55; }\n"
	"section { background: #fff; border: 1px solid var(--line); border-radius: 6px;\n"
	"\tpadding: 8px 10px; }\n"
	".span2 { grid-column: span 2; }\n"
	".wide { grid-column: 1 / -1; }\n"
	"h2 { margin: 0 0 6px; font-size: 14px; }\n"
	"h2 small, th small { color: var(--mute); font-weight: normal; }\n"
	"table { width: 100%; border-collapse: collapse; }\n"
	"th, td { padding: 2px 6px; border-bottom: 1px solid var(--line); text-align: left;\n"
	"\twhite-space: nowrap; }\n"
	"th { font-weight: 600; color: #374151; }\n"
	".n { text-align: right; font-variant-numeric: tabular-nums; }\n"
	".empty { color: var(--mute); font-style: italic; }\n"
	".pill { display: inline-block; min-width: 54px; padding: 0 7px; border-radius: 9px;\n"
	"\tcolor: #fff; font-size: 12px; text-align: center; }\n"
	".c0 { background: var(--ok); } .c1 { background: var(--warn); }\n"
	".c2 { background: var(--bad); } .c3 { background: var(--stop); }\n"
	".c4 { background: #0e7490; }\n"
	".chip { display: inline-block; margin: 1px 6px 1px 0; color: #374151; }\n"
	".chip b { font-weight: 600; }\n"
	".headline { display: flex; gap: 24px; margin-bottom: 4px; }\n"
	".headline b { font-size: 20px; font-variant-numeric: tabular-nums; }\n"
	"#board { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0 16px;\n"
	"\talign-items: start; }\n"
	"#board table { table-layout: fixed; }\n"
	"#board th:nth-child(1), #board td:nth-child(1) { width: 72px; }\n"
	"#board th:nth-child(n+3), #board td:nth-child(n+3) { width: 62px; }\n"
	"#board th small { display: block; }\n"
	"#board .dept { overflow: hidden; text-overflow: ellipsis; }\n"
	"#board .code { color: var(--mute); margin-left: 4px; }\n"
	"#board tr.s1 td { background: #fffbeb; }\n"
	"#board tr.s2 td { background: #fef2f2; }\n"
	"td.parts { white-space: normal; }\n"
	"#counts .pill { margin-left: 6px; }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n"
	"<header>\n"
	"<h1>信访分派 运行状态 <span class='sub'>Xinfang Router · xf-dispatch status</span></h1>\n"
	"<span id='refreshed' data-fetches='0'></span>\n"
	"</header>\n"
	"<div id='banner' role='alert'></div>\n"
	"<main id='main'>\n"
	"<section class='span2'>\n"
	"<h2>吞吐 <small>Throughput · 消息总数与每秒速率 totals and rates per second</small></h2>\n"
	"<div class='headline'>\n"
	"<span>流入 in <b id='rate-in'>-</b> <small>条/秒 msg/s</small></span>\n"
	"<span>流出 out <b id='rate-out'>-</b> <small>条/秒 msg/s</small></span>\n"
	"</div>\n"
	"<table>\n"
	"<thead><tr><th>流入主题 <small>topic in</small></th><th></th>\n"
	"<th class='n'>总数 <small>total</small></th><th class='n'>速率 <small>/s</small></th></tr></thead>\n"
	"<tbody id='in'></tbody>\n"
	"</table>\n"
	"<table>\n",
	"<thead><tr><th>流出主题 <small>topic out</small></th><th>类别 <small>kind</small></th>\n"
	"<th class='n'>总数 <small>total</small></th><th class='n'>速率 <small>/s</small></th></tr></thead>\n"
	"<tbody id='out'></tbody>\n"
	"</table>\n"
	"</section>\n"
	"<section>\n"
	"<h2>案件状态 <small>Cases by state</small></h2>\n"
	"<table>\n"
	"<thead><tr><th>状态 <small>state</small></th><th class='n'>件数 <small>cases</small></th></tr></thead>\n"
	"<tbody id='cases'></tbody>\n"
	"</table>\n"
	"</section>\n"
	"<section>\n"
	"<h2>死信 <small>Dead letters by reason</small></h2>\n"
	"<table>\n"
	"<thead><tr><th>原因 <small>reason</small></th><th class='n'>总数 <small>total</small></th></tr></thead>\n"
	"<tbody id='dlq'></tbody>\n"
	"</table>\n"
	"</section>\n"
	"<section class='wide'>\n"
	"<h2>消费延迟 <small>Consumer lag per group <span id='lag-sampled'></span></small></h2>\n"
	"<table>\n"
	"<thead><tr><th>消费组 <small>group</small></th><th>状态 <small>status</small></th>\n"
	"<th class='n'>最大延迟 <small>max lag, s</small></th>\n"
	"<th class='n'>积压 <small>messages behind</small></th>\n"
	"<th>分区 <small>partitions: behind (s)</small></th></tr></thead>\n"
	"<tbody id='lag'></tbody>\n"
	"</table>\n"
	"</section>\n"
	"<section class='wide'>\n"
	"<h2>部门三色预警 <small>Department board (scorecard)</small><span id='counts'></span></h2>\n"
	"<div id='board'></div>\n"
	"</section>\n"
	"</main>\n"
	"<noscript>此页需要 JavaScript · this page needs JavaScript; the figures are at\n"
	"<a href='status.json'>status.json</a>.</noscript>\n"
	"<script type='application/json' id='initial'>\n",
	NULL,
};

static const char *const page_tail[] = {
	"</script>\n"
	"<script>\n"
	"'use strict';\n"
	"var EVERY_MS = 2000, TIMEOUT_MS = 5000;\n"
	"var STATES = { assigned: '已交办', accepted: '已受理', resolved: '已办结', rated: '已评价' };\n"
	"var LAG = ['正常 OK', '预警 WARN', '停滞 STALL', '停止 STOP', '回退 REWIND'];\n"
	"var CARD = ['绿 green', '黄 yellow', '红 red'];\n"
	"var prev = null, last = null, fetches = 0;\n"
	"\n"
	"function el(tag, attrs, text) {\n"
	"\tvar e = document.createElement(tag);\n"
	"\tfor (var k in attrs)\n"
	"\t\te.setAttribute(k, attrs[k]);\n"
	"\tif (text !== undefined)\n"
	"\t\te.textContent = text;\n"
	"\treturn e;\n"
	"}\n"
	"function num(v) { return v == null ? '-' : Number(v).toLocaleString('en-US'); }\n"
	"function pct(v) { return v == null ? '-' : (v * 100).toFixed(1) + '%'; }\n"
	"function secs(v) { return v == null ? '-' : Number(v).toFixed(1); }\n"
	"function clock(t) { return new Date(t * 1000).toLocaleTimeString('zh-CN', { hour12: false }); }\n"
	"/* A figure: data-metric, data-<label> for each label, data-value. */\n"
	"function fig(tag, metric, labels, value, text) {\n"
	"\tvar a = { 'data-metric': metric };\n"
	"\tfor (var k in labels)\n"
	"\t\ta['data-' + k] = labels[k];\n"
	"\ta['data-value'] = value == null ? '' : String(value);\n"
	"\tif (tag === 'td')\n"
	"\t\ta['class'] = 'n';\n"
	"\treturn el(tag, a, text);\n"
	"}\n"
	"function fill(id, list, cells, empty, cols) {\n"
	"\tvar body = document.getElementById(id);\n"
	"\tbody.textContent = '';\n"
	"\tif (!list.length) {\n"
	"\t\tvar tr = el('tr');\n"
	"\t\ttr.appendChild(el('td', { colspan: cols, 'class': 'empty' }, empty));\n"
	"\t\tbody.appendChild(tr);\n"
	"\t}\n"
	"\tlist.forEach(function (x) {\n"
	"\t\tvar tr = el('tr');\n"
	"\t\tcells(x).forEach(function (c) {\n"
	"\t\t\ttr.appendChild(typeof c === 'string' ? el('td', {}, c) : c);\n"
	"\t\t});\n"
	"\t\tbody.appendChild(tr);\n"
	"\t});\n"
	"}\n"
	"/* Messages per second since the previous figures, '-' before there are two. */\n"
	"function rate(key, total, d) {\n"
	"\tif (!prev || !(key in prev.totals) || d.now <= prev.now)\n"
	"\t\treturn null;\n"
	"\treturn (total - prev.totals[key]) / (d.now - prev.now);\n"
	"}\n"
	"function rateText(r) { return r == null ? '-' : r.toFixed(1); }\n"
	"function drawThroughput(d, totals) {\n"
	"\tvar sumIn = null, sumOut = null;\n"
	"\tfunction add(s, r) { return r == null ? s : (s || 0) + r; }\n"
	"\tfill('in', d.messages_in, function (x) {\n"
	"\t\tvar r = rate('in ' + x.topic, x.total, d);\n"
	"\t\ttotals['in ' + x.topic] = x.total;\n"
	"\t\tsumIn = add(sumIn, r);\n"
	"\t\treturn [x.topic, '', fig('td', 'xf_messages_in_total', { topic: x.topic },\n"
	"\t\t\t\t\t x.total, num(x.total)), el('td', { 'class': 'n' }, rateText(r))];\n"
	"\t}, '尚无消息 no messages yet', 4);\n"
	"\tfill('out', d.messages_out, function (x) {\n"
	"\t\tvar key = 'out ' + x.topic + ' ' + x.kind, r = rate(key, x.total, d);\n"
	"\t\ttotals[key] = x.total;\n"
	"\t\tsumOut = add(sumOut, r);\n"
	"\t\treturn [x.topic, x.kind, fig('td', 'xf_messages_out_total',\n"
	"\t\t\t{ topic: x.topic, kind: x.kind }, x.total, num(x.total)),\n"
	"\t\t\tel('td', { 'class': 'n' }, rateText(r))];\n"
	"\t}, '尚无消息 no messages yet', 4);\n"
	"\tdocument.getElementById('rate-in').textContent = rateText(sumIn);\n"
	"\tdocument.getElementById('rate-out').textContent = rateText(sumOut);\n"
	"}\n"
	"function drawCases(d) {\n"
	"\tfill('cases', d.cases, function (x) {\n"
	"\t\treturn [(STATES[x.state] || '') + ' ' + x.state,\n"
	"\t\t\tfig('td', 'xf_cases', { state: x.state }, x.count, num(x.count))];\n"
	"\t}, '尚无统计 no case figures yet (every 10 s)', 2);\n"
	"\tfill('dlq', d.dead_letters, function (x) {\n"
	"\t\treturn [x.reason, fig('td', 'xf_dead_letters_total', { reason: x.reason },\n"
	"\t\t\t\t      x.total, num(x.total))];\n"
	"\t}, '无死信 none', 2);\n"
	"}\n"
	"function partitionChips(g) {\n"
	"\tvar td = el('td', { 'class': 'parts' });\n"
	"\tg.partitions.forEach(function (p) {\n",
	"\t\tvar c = el('span', { 'class': 'chip' }, p.topic + '/' + p.partition + ': ');\n"
	"\t\tvar l = { group: g.group, topic: p.topic, partition: p.partition };\n"
	"\t\tc.appendChild(fig('b', 'xf_consumer_group_lag', l, p.lag, num(p.lag)));\n"
	"\t\tc.appendChild(document.createTextNode(' ('));\n"
	"\t\tc.appendChild(fig('span', 'xf_consumer_group_lag_seconds', l, p.lag_seconds,\n"
	"\t\t\t\t  secs(p.lag_seconds)));\n"
	"\t\tc.appendChild(document.createTextNode(')'));\n"
	"\t\ttd.appendChild(c);\n"
	"\t});\n"
	"\treturn td;\n"
	"}\n"
	"function drawLag(d) {\n"
	"\tdocument.getElementById('lag-sampled').textContent = d.lag_sampled_at ?\n"
	"\t\t'· 采样于 sampled ' + clock(d.lag_sampled_at) : '';\n"
	"\tfill('lag', d.lag, function (g) {\n"
	"\t\tvar st = el('td');\n"
	"\t\tst.appendChild(fig('span', 'xf_consumer_group_status', { group: g.group },\n"
	"\t\t\t\t   g.status, LAG[g.status] || g.status_name));\n"
	"\t\tst.firstChild.className = 'pill c' + g.status;\n"
	"\t\treturn [g.group, st, fig('td', 'xf_consumer_group_max_lag_seconds',\n"
	"\t\t\t{ group: g.group }, g.max_lag_seconds, secs(g.max_lag_seconds)),\n"
	"\t\t\tel('td', { 'class': 'n' }, num(g.lag)), partitionChips(g)];\n"
	"\t}, '尚无延迟采样 no lag sample yet', 5);\n"
	"}\n"
	"var DEPT_FIGS = [\n"
	"\t['open', 'xf_department_open_cases', '在办', 'open', num],\n"
	"\t['overdue_ratio', 'xf_department_overdue_ratio', '超期', 'overdue', pct],\n"
	"\t['return_ratio', 'xf_department_return_ratio', '退单', 'returned', pct],\n"
	"\t['repeat_ratio', 'xf_department_repeat_ratio', '重复', 'repeat', pct],\n"
	"\t['satisfaction_ratio', 'xf_department_satisfaction_ratio', '满意', 'satisfied', pct]\n"
	"];\n"
	"function boardTable(list) {\n"
	"\tvar table = el('table'), head = el('tr'), body = el('tbody');\n"
	"\t[['状态', 'status', ''], ['部门', 'department', '']].concat(DEPT_FIGS.map(function (f) {\n"
	"\t\treturn [f[2], f[3], 'n'];\n"
	"\t})).forEach(function (h) {\n"
	"\t\tvar th = el('th', { 'class': h[2] }, h[0]);\n"
	"\t\tth.appendChild(el('small', {}, h[1]));\n"
	"\t\thead.appendChild(th);\n"
	"\t});\n"
	"\ttable.appendChild(el('thead')).appendChild(head);\n"
	"\tlist.forEach(function (x) {\n"
	"\t\tvar tr = el('tr', { 'class': 's' + x.status, 'data-department': x.department });\n"
	"\t\tvar st = el('td'), dept = el('td', { 'class': 'dept', title: x.name + ' ' + x.department },\n"
	"\t\t\t\t\t     x.name);\n"
	"\t\tst.appendChild(fig('span', 'xf_department_status', { department: x.department },\n"
	"\t\t\t\t   x.status, CARD[x.status] || x.status_name));\n"
	"\t\tst.firstChild.className = 'pill c' + x.status;\n"
	"\t\tdept.appendChild(el('span', { 'class': 'code' }, x.department));\n"
	"\t\ttr.appendChild(st);\n"
	"\t\ttr.appendChild(dept);\n"
	"\t\tDEPT_FIGS.forEach(function (f) {\n"
	"\t\t\ttr.appendChild(fig('td', f[1], { department: x.department }, x[f[0]],\n"
	"\t\t\t\t\t   f[4](x[f[0]])));\n"
	"\t\t});\n"
	"\t\tbody.appendChild(tr);\n"
	"\t});\n"
	"\ttable.appendChild(body);\n"
	"\treturn table;\n"
	"}\n"
	"function drawBoard(d) {\n"
	"\tvar board = document.getElementById('board'), counts = [0, 0, 0];\n"
	"\tvar span = document.getElementById('counts'), half = Math.ceil(d.departments.length / 2);\n"
	"\tboard.textContent = '';\n"
	"\tspan.textContent = '';\n"
	"\tif (!d.departments.length) {\n"
	"\t\tboard.appendChild(el('div', { 'class': 'empty' },\n"
	"\t\t\t\t     '尚无部门统计 no department figures yet (every 10 s)'));\n"
	"\t\treturn;\n"
	"\t}\n"
	"\td.departments.forEach(function (x) { counts[x.status]++; });\n"
	"\tboard.appendChild(boardTable(d.departments.slice(0, half)));\n"
	"\tboard.appendChild(boardTable(d.departments.slice(half)));\n"
	"\t[2, 1, 0].forEach(function (s) {\n"
	"\t\tspan.appendChild(el('span', { 'class': 'pill c' + s, id: 'count-' + s },\n"
	"\t\t\t\t    CARD[s] + ' ' + counts[s]));\n"
	"\t});\n"
	"}\n"
	"function draw(d) {\n"
	"\tvar totals = {};\n"
	"\tdrawThroughput(d, totals);\n"
	"\tdrawCases(d);\n"
	"\tdrawLag(d);\n"
	"\tdrawBoard(d);\n",
	"\tprev = { now: d.now, totals: totals };\n"
	"\tlast = d.now;\n"
	"}\n"
	"function failed(why) {\n"
	"\tvar b = document.getElementById('banner');\n"
	"\tb.textContent = '无法获取最新数据 Cannot fetch status.json (' + why + '); ' +\n"
	"\t\t(last ? '下列数字截至 figures below are from ' + clock(last) :\n"
	"\t\t '下列数字可能已过时 figures below may be stale') + '. 正在重试 retrying every 2 s.';\n"
	"\tb.className = 'show';\n"
	"\tdocument.getElementById('main').className = 'stale';\n"
	"}\n"
	"function refreshed(d) {\n"
	"\tvar r = document.getElementById('refreshed');\n"
	"\tfetches++;\n"
	"\tr.setAttribute('data-fetches', String(fetches));\n"
	"\tr.setAttribute('data-now', String(d.now));\n"
	"\tr.textContent = '更新于 refreshed ' + clock(d.now) + ' · 每 2 秒 every 2 s';\n"
	"\tdocument.getElementById('banner').className = '';\n"
	"\tdocument.getElementById('main').className = '';\n"
	"}\n"
	"function poll() {\n"
	"\tvar ctl = window.AbortController ? new AbortController() : null;\n"
	"\tvar timer = setTimeout(function () { if (ctl) ctl.abort(); }, TIMEOUT_MS);\n"
	"\tfetch('status.json', { cache: 'no-store', signal: ctl ? ctl.signal : undefined })\n"
	"\t\t.then(function (res) {\n"
	"\t\t\tif (!res.ok)\n"
	"\t\t\t\tthrow new Error('HTTP ' + res.status);\n"
	"\t\t\treturn res.json();\n"
	"\t\t})\n"
	"\t\t.then(function (d) { draw(d); refreshed(d); })\n"
	"\t\t.catch(function (e) { failed(e && e.message ? e.message : String(e)); })\n"
	"\t\t.then(function () { clearTimeout(timer); setTimeout(poll, EVERY_MS); });\n"
	"}\n"
	"(function () {\n"
	"\tvar d = JSON.parse(document.getElementById('initial').textContent);\n"
	"\tdraw(d);\n"
	"\tdocument.getElementById('refreshed').textContent = '页面生成 rendered ' + clock(d.now);\n"
	"\tpoll();\n"
	"})();\n"
	"</script>\n"
	"</body>\n"
	"</html>\n",
	NULL,
};

/* Appends the figures as JSON; inside <script> with '<' escaped as \u003c. */
static void add_json(struct sbuf *body, struct metrics *m, int in_html)
{
	json_t *j = status_json(m);
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));

	if (!s)
		abort();
	for (const char *p = s; *p; p++)
		if (in_html && *p == '<')
			sbuf_adds(body, "\\u003c");
		else
			sbuf_addch(body, *p);
	sbuf_addch(body, '\n');
	free(s);
	json_decref(j);
}

static void add_parts(struct sbuf *body, const char *const *parts)
{
	for (; *parts; parts++)
		sbuf_adds(body, *parts);
}

int status_route(void *arg, const char *url, struct sbuf *body, const char **type)
{
	struct metrics *m = arg;

	if (!strcmp(url, "/status.json")) {
		add_json(body, m, 0);
		*type = "application/json; charset=utf-8";
		return 200;
	}
	if (!strcmp(url, "/")) {
		add_parts(body, page_head);
		add_json(body, m, 1);
		add_parts(body, page_tail);
		*type = "text/html; charset=utf-8";
		return 200;
	}
	return 0;
}
