/* lag_track.c - samples, the tracker and its JSON (see lag.h). */
#include "lag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lag_int.h"
#include "xalloc.h"

/* --- samples and the tracker -------------------------------------------- */

struct lag_reading *lag_sample_add(struct lag_sample *smp, const char *group, const char *topic,
				   int32_t partition)
{
	struct lag_reading *r;

	XALLOC_GROW(smp->v, smp->n, smp->alloc, 16);
	r = &smp->v[smp->n++];
	r->group = xstrdup(group);
	r->topic = xstrdup(topic);
	r->partition = partition;
	r->committed = -1;
	r->end = 0;
	r->lag = 0;
	r->lag_s = -1;
	return r;
}

void lag_sample_release(struct lag_sample *smp)
{
	for (size_t i = 0; i < smp->n; i++) {
		free(smp->v[i].group);
		free(smp->v[i].topic);
	}
	free(smp->v);
	smp->v = NULL;
	smp->n = smp->alloc = 0;
	smp->guessed = 0;
}

static int reading_cmp(const void *a, const void *b)
{
	const struct lag_reading *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (!c)
		c = strcmp(x->topic, y->topic);
	if (!c)
		c = (x->partition > y->partition) - (x->partition < y->partition);
	return c;
}

void lag_tracker_init(struct lag_tracker *tr, int window, double stop_after_ms)
{
	memset(tr, 0, sizeof *tr);
	tr->window = window <= 0               ? LAG_WINDOW_DEFAULT
		     : window > LAG_WINDOW_MAX ? LAG_WINDOW_MAX
					       : window;
	tr->stop_after_ms = stop_after_ms;
}

static void part_free(struct lag_part *p)
{
	free(p->cur.group);
	free(p->cur.topic);
}

void lag_tracker_release(struct lag_tracker *tr)
{
	for (size_t i = 0; i < tr->n; i++)
		part_free(&tr->parts[i]);
	free(tr->parts);
	tr->parts = NULL;
	tr->n = 0;
}

/* p's window: carried over from old (sorted) when p was there, else a new one. */
static void part_carry(struct lag_part *p, struct lag_part *old, size_t nold, int window,
		       size_t *found)
{
	struct lag_part *o = nold ? bsearch(&p->cur, old, nold, sizeof *old, reading_cmp) : NULL;

	if (o && o->win.size) {
		p->win = o->win;
		o->win.size = 0; /* moved: a duplicate reading starts afresh */
		(*found)++;
	} else {
		lag_window_init(&p->win, window);
	}
}

void lag_tracker_add(struct lag_tracker *tr, struct lag_sample *smp)
{
	struct lag_part *parts = xcalloc(smp->n ? smp->n : 1, sizeof *parts);
	size_t found = 0;

	if (smp->n) /* an empty sample has no array at all */
		qsort(smp->v, smp->n, sizeof *smp->v, reading_cmp);
	for (size_t i = 0; i < smp->n; i++) {
		struct lag_part *p = &parts[i];
		const struct lag_reading *r = &smp->v[i];

		p->cur = *r; /* the strings move to the tracker */
		part_carry(p, tr->parts, tr->n, tr->window, &found);
		lag_window_add(&p->win, smp->t_ms,
			       r->committed >= 0 ? r->committed : r->end - r->lag, r->end);
		p->status = lag_evaluate(&p->win, tr->stop_after_ms, &p->partial);
	}
	tr->changed = found != tr->n || found != smp->n;
	lag_tracker_release(tr); /* the old parts: their windows were copied */
	tr->parts = parts;
	tr->n = smp->n;
	tr->samples++;
	tr->sampled_wall_ms = smp->wall_ms;
	free(smp->v);
	smp->v = NULL;
	smp->n = smp->alloc = 0;
}

void lag_tracker_group(const struct lag_tracker *tr, size_t i, struct lag_group_sum *g)
{
	memset(g, 0, sizeof *g);
	g->group = tr->parts[i].cur.group;
	g->first = i;
	g->max_lag_s = -1;
	for (; i < tr->n && !strcmp(tr->parts[i].cur.group, g->group); i++) {
		const struct lag_part *p = &tr->parts[i];

		if (p->status > g->status)
			g->status = p->status;
		g->partial |= p->partial;
		g->lag += p->cur.lag;
		if (p->cur.lag && p->cur.lag_s > g->max_lag_s)
			g->max_lag_s = p->cur.lag_s; /* only the lagging ones count */
		g->count++;
	}
	if (!g->lag)
		g->max_lag_s = 0;
}

/* --- JSON ---------------------------------------------------------------- */

/* Unix milliseconds as "2026-11-22T09:30:00.123Z", or JSON null for 0. */
json_t *lag_json_time(double wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	char buf[40], out[48];
	struct tm tm;

	if (wall_ms <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof out, "%s.%03dZ", buf, (int)((long long)wall_ms % 1000));
	return json_string(out);
}

/* Seconds, rounded to tenths; null when unknown. */
static json_t *json_seconds(double s)
{
	return s < 0 ? json_null() : json_real((double)(long long)(s * 10 + 0.5) / 10);
}

static json_t *part_json(const struct lag_part *p)
{
	const struct lag_reading *r = &p->cur;

	return json_pack("{s:s, s:i, s:o, s:I, s:I, s:o, s:s, s:i, s:b}", "topic", r->topic,
			 "partition", (int)r->partition, "committed",
			 r->committed >= 0 ? json_integer(r->committed) : json_null(), "end",
			 (json_int_t)r->end, "lag", (json_int_t)r->lag, "lag_seconds",
			 json_seconds(r->lag ? r->lag_s : 0), "status", lag_status_name(p->status),
			 "code", (int)p->status, "partial", p->partial);
}

static json_t *group_json(const struct lag_tracker *tr, const struct lag_group_sum *g)
{
	json_t *parts = json_array();

	for (size_t i = g->first; i < g->first + g->count; i++)
		json_array_append_new(parts, part_json(&tr->parts[i]));
	return json_pack("{s:s, s:s, s:i, s:b, s:I, s:o, s:o}", "group", g->group, "status",
			 lag_status_name(g->status), "code", (int)g->status, "partial", g->partial,
			 "lag", (json_int_t)g->lag, "max_lag_seconds", json_seconds(g->max_lag_s),
			 "partitions", parts);
}

json_t *lag_tracker_json(const struct lag_tracker *tr)
{
	json_t *groups = json_array();
	struct lag_group_sum g;

	for (size_t i = 0; i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		json_array_append_new(groups, group_json(tr, &g));
	}
	return json_pack("{s:o, s:I, s:i, s:o}", "sampled_at", lag_json_time(tr->sampled_wall_ms),
			 "samples", (json_int_t)tr->samples, "window", tr->window, "groups",
			 groups);
}
