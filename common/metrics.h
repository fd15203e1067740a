/*
 * metrics.h - counters and gauges in the Prometheus text format.
 *
 * A series is a metric name plus a label set ("reason=\"not_json\""), found
 * or created by metrics_get(); updates are atomic so the HTTP thread may
 * render while the service loop counts.
 */
#ifndef XF_METRICS_H
#define XF_METRICS_H

#include "sbuf.h"

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE };

struct metrics;
struct metrics_series;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/*
 * The series of name with labels (NULL or "" for none; the caller formats
 * them, e.g. "topic=\"x\""), created on first use with help and type.
 * The returned pointer lives as long as m.
 */
struct metrics_series *metrics_get(struct metrics *m, const char *name,
				   const char *help, enum metrics_type type,
				   const char *labels);
void metrics_add(struct metrics_series *s, double v);
void metrics_set(struct metrics_series *s, double v);
double metrics_value(const struct metrics_series *s);
/* Appends every series, grouped by name with HELP and TYPE lines. */
void metrics_render(struct metrics *m, struct sbuf *out);

#endif
