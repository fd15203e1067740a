/* metrics.c - see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct metrics_series {
	char *name, *help, *labels;
	enum metrics_type type;
	_Atomic long long milli; /* value x 1000 */
	struct metrics_series *next;
};

struct metrics {
	pthread_mutex_t lock;
	struct metrics_series *head, *tail;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof *m);

	if (!m)
		abort();
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
		free(s);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct metrics_series *series_new(const char *name, const char *help,
					 enum metrics_type type, const char *labels)
{
	struct metrics_series *s = calloc(1, sizeof *s);

	if (!s)
		abort();
	s->name = strdup(name);
	s->help = strdup(help);
	s->labels = strdup(labels ? labels : "");
	s->type = type;
	if (!s->name || !s->help || !s->labels)
		abort();
	return s;
}

struct metrics_series *metrics_get(struct metrics *m, const char *name,
				   const char *help, enum metrics_type type,
				   const char *labels)
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
	atomic_fetch_add(&s->milli, llround(v * 1000.0));
}

void metrics_set(struct metrics_series *s, double v)
{
	atomic_store(&s->milli, llround(v * 1000.0));
}

double metrics_value(const struct metrics_series *s)
{
	return (double)atomic_load(&((struct metrics_series *)s)->milli) / 1000.0;
}

static void render_one(const struct metrics_series *s, struct sbuf *out)
{
	sbuf_adds(out, s->name);
	if (*s->labels)
		sbuf_addf(out, "{%s}", s->labels);
	sbuf_addf(out, " %.17g\n", metrics_value(s));
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
		sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help,
			  s->name, s->type == METRICS_COUNTER ? "counter" : "gauge");
		for (p = s; p; p = p->next)
			if (!strcmp(p->name, s->name))
				render_one(p, out);
	}
	pthread_mutex_unlock(&m->lock);
}
