/* metrics.c - see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define SCALE 1e6 /* values are kept in millionths */

struct metrics_series {
	char *name, *help, *labels;
	struct metrics_label *pairs; /* labels read into keys and values (owned) */
	size_t npairs;
	enum metrics_type type;
	_Atomic long long micro; /* value (a histogram's sum) x SCALE */
	_Atomic int stale;       /* not yet set in this round (metrics_round_begin) */
	const double *bounds;    /* a histogram's bucket bounds, ending <= 0 */
	size_t nbounds;
	_Atomic long long *counts; /* per bucket, not cumulative; [nbounds]: +Inf */
	struct metrics_series *next;
};

const double metrics_buckets_duration[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 0,
};
const double metrics_buckets_latency[] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400, 0,
};

struct metrics {
	pthread_mutex_t lock;
	struct metrics_series *head, *tail;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (struct metrics_series *s = m->head, *next; s; s = next) {
		next = s->next;
		free(s->name);
		free(s->help);
		free(s->labels);
		for (size_t i = 0; i < s->npairs; i++) {
			free((void *)s->pairs[i].key);
			free((void *)s->pairs[i].value);
		}
		free(s->pairs);
		free((void *)s->counts);
		free(s);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Reads the value that starts after k=" up to its closing quote; returns it. */
static char *label_value(const char **p)
{
	struct sbuf v = SBUF_INIT;

	for (; **p && **p != '"'; (*p)++) {
		char c = **p;

		if (c == '\\' && (*p)[1])
			c = *++*p == 'n' ? '\n' : **p;
		sbuf_addch(&v, c);
	}
	*p += **p == '"';
	return sbuf_detach(&v, NULL);
}

/* The label set k="v",... (\\, \" and \n escaped) as pairs, up to the first malformed one. */
static void labels_read(struct metrics_series *s)
{
	size_t alloc = 0;

	for (const char *p = s->labels, *eq; *p && (eq = strchr(p, '=')) && eq[1] == '"';) {
		struct metrics_label *l;

		XALLOC_GROW(s->pairs, s->npairs, alloc, 4);
		l = &s->pairs[s->npairs++];
		l->key = xstrndup(p, (size_t)(eq - p));
		p = eq + 2;
		l->value = label_value(&p);
		p += *p == ',';
	}
}

static struct metrics_series *series_new(const char *name, const char *help, enum metrics_type type,
					 const char *labels)
{
	struct metrics_series *s = xcalloc(1, sizeof *s);

	s->name = xstrdup(name);
	s->help = xstrdup(help);
	s->labels = xstrdup(labels ? labels : "");
	s->type = type;
	labels_read(s);
	return s;
}

struct metrics_series *metrics_get(struct metrics *m, const char *name, const char *help,
				   enum metrics_type type, const char *labels)
{
	struct metrics_series *s;

	if (!labels)
		labels = "";
	pthread_mutex_lock(&m->lock);
	for (s = m->head; s; s = s->next)
		if (!strcmp(s->name, name) && !strcmp(s->labels, labels))
			break;
	if (!s) {
		s = series_new(name, help, type, labels);
		if (m->tail)
			m->tail->next = s;
		else
			m->head = s;
		m->tail = s;
	}
	pthread_mutex_unlock(&m->lock);
	return s;
}

void metrics_add(struct metrics_series *s, double v)
{
	atomic_fetch_add(&s->micro, llround(v * SCALE));
	atomic_store(&s->stale, 0);
}

void metrics_set(struct metrics_series *s, double v)
{
	atomic_store(&s->micro, llround(v * SCALE));
	atomic_store(&s->stale, 0);
}

double metrics_value(const struct metrics_series *s)
{
	return (double)atomic_load(&((struct metrics_series *)s)->micro) / SCALE;
}

struct metrics_series *metrics_histogram(struct metrics *m, const char *name, const char *help,
					 const double *bounds, const char *labels)
{
	struct metrics_series *s = metrics_get(m, name, help, METRICS_HISTOGRAM, labels);

	pthread_mutex_lock(&m->lock);
	if (!s->counts) {
		while (bounds[s->nbounds] > 0)
			s->nbounds++;
		s->bounds = bounds;
		s->counts = xcalloc(s->nbounds + 1, sizeof *s->counts);
	}
	pthread_mutex_unlock(&m->lock);
	return s;
}

void metrics_observe_n(struct metrics_series *s, double v, long n)
{
	size_t b = 0;

	while (b < s->nbounds && v > s->bounds[b])
		b++;
	atomic_fetch_add(&s->counts[b], n);
	atomic_fetch_add(&s->micro, llround(v * (double)n * SCALE));
}

void metrics_observe(struct metrics_series *s, double v)
{
	metrics_observe_n(s, v, 1);
}

void metrics_each(struct metrics *m, const char *name,
		  void (*fn)(void *arg, const struct metrics_label *labels, size_t nlabels,
			     double value),
		  void *arg)
{
	pthread_mutex_lock(&m->lock);
	for (struct metrics_series *s = m->head; s; s = s->next)
		if (!strcmp(s->name, name))
			fn(arg, s->pairs, s->npairs, metrics_value(s));
	pthread_mutex_unlock(&m->lock);
}

const char *metrics_label(const struct metrics_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(labels[i].key, key))
			return labels[i].value;
	return NULL;
}

void metrics_round_begin(struct metrics *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	for (struct metrics_series *s = m->head; s; s = s->next)
		if (!strcmp(s->name, name))
			atomic_store(&s->stale, 1);
	pthread_mutex_unlock(&m->lock);
}

void metrics_round_end(struct metrics *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	for (struct metrics_series *s = m->head; s; s = s->next)
		if (!strcmp(s->name, name) && atomic_exchange(&s->stale, 0))
			atomic_store(&s->micro, 0);
	pthread_mutex_unlock(&m->lock);
}

void metrics_zero(struct metrics *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	for (struct metrics_series *s = m->head; s; s = s->next)
		if (!strcmp(s->name, name))
			atomic_store(&s->micro, 0);
	pthread_mutex_unlock(&m->lock);
}

static void render_labels(struct sbuf *out, const char *labels, const char *le)
{
	if (!*labels && !le)
		return;
	sbuf_addf(out, "{%s%s", labels, *labels && le ? "," : "");
	if (le)
		sbuf_addf(out, "le=\"%s\"", le);
	sbuf_addch(out, '}');
}

static void render_histogram(const struct metrics_series *s, struct sbuf *out)
{
	long long cum = 0;
	char le[32];

	if (!s->counts)
		return; /* being created by metrics_histogram() */
	for (size_t b = 0; b <= s->nbounds; b++) {
		cum += atomic_load(&s->counts[b]);
		if (b < s->nbounds)
			snprintf(le, sizeof le, "%g", s->bounds[b]);
		sbuf_addf(out, "%s_bucket", s->name);
		render_labels(out, s->labels, b < s->nbounds ? le : "+Inf");
		sbuf_addf(out, " %lld\n", cum);
	}
	sbuf_addf(out, "%s_sum", s->name);
	render_labels(out, s->labels, NULL);
	sbuf_addf(out, " %.15g\n%s_count", metrics_value(s), s->name);
	render_labels(out, s->labels, NULL);
	sbuf_addf(out, " %lld\n", cum);
}

static void render_one(const struct metrics_series *s, struct sbuf *out)
{
	if (s->type == METRICS_HISTOGRAM) {
		render_histogram(s, out);
		return;
	}
	sbuf_adds(out, s->name);
	render_labels(out, s->labels, NULL);
	sbuf_addf(out, " %.15g\n", metrics_value(s));
}

static const char *type_name(enum metrics_type t)
{
	return t == METRICS_COUNTER ? "counter" : t == METRICS_GAUGE ? "gauge" : "histogram";
}

void metrics_render(struct metrics *m, struct sbuf *out)
{
	pthread_mutex_lock(&m->lock);
	for (struct metrics_series *s = m->head; s; s = s->next) {
		const struct metrics_series *p;

		for (p = m->head; p != s && strcmp(p->name, s->name); p = p->next)
			;
		if (p != s)
			continue; /* this name was rendered with its first series */
		sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help, s->name,
			  type_name(s->type));
		for (p = s; p; p = p->next)
			if (!strcmp(p->name, s->name))
				render_one(p, out);
	}
	pthread_mutex_unlock(&m->lock);
}
