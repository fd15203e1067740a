/*
 * metrics.h - counters, gauges and histograms in the Prometheus text format.
 *
 * A series is a metric name plus a label set ("reason=\"not_json\""), found
 * or created by metrics_get(); updates are atomic so the HTTP thread may
 * render while the service loop counts. Values are kept in millionths.
 */
#ifndef XF_METRICS_H
#define XF_METRICS_H

#include "sbuf.h"

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* Bucket bounds (seconds) for durations: 0.5 ms .. 30 s, and latencies: 0.1 s .. 1 day. */
extern const double metrics_buckets_duration[];
extern const double metrics_buckets_latency[];

struct metrics;
struct metrics_series;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/*
 * The series of name with labels (NULL or "" for none; the caller formats
 * them, e.g. "topic=\"x\""), created on first use with help and type.
 * The returned pointer lives as long as m.
 */
struct metrics_series *metrics_get(struct metrics *m, const char *name, const char *help,
				   enum metrics_type type, const char *labels);
void metrics_add(struct metrics_series *s, double v);
void metrics_set(struct metrics_series *s, double v);
double metrics_value(const struct metrics_series *s);
/*
 * A histogram series of name with labels; bounds is a list ending in a
 * value <= 0 (the buckets above), kept by reference.
 */
struct metrics_series *metrics_histogram(struct metrics *m, const char *name, const char *help,
					 const double *bounds, const char *labels);
void metrics_observe(struct metrics_series *s, double v);
/* n observations of the same value (a batch's per-message time), in one update. */
void metrics_observe_n(struct metrics_series *s, double v, long n);
/* One label of a series: its key and its value, unescaped. */
struct metrics_label {
	const char *key, *value;
};
/*
 * Calls fn(arg, labels, nlabels, value) for every series of name, in
 * creation order (a histogram's value is its sum), under the registry's
 * lock: fn must be quick and keep nothing of labels. The labels are read
 * once, when the series is created. For readers such as a status page.
 */
void metrics_each(struct metrics *m, const char *name,
		  void (*fn)(void *arg, const struct metrics_label *labels, size_t nlabels,
			     double value),
		  void *arg);
/* The value of key among labels[0..n), or NULL. */
const char *metrics_label(const struct metrics_label *labels, size_t n, const char *key);
/* Sets every series of gauge name to 0. */
void metrics_zero(struct metrics *m, const char *name);
/*
 * A round of a gauge family whose label sets come and go (cases by
 * department): begin marks every series of name stale, each set or add
 * of this round makes its series current, end sets what is still stale to
 * 0. Between the two, readers still see the last round's values, never a
 * transient 0.
 */
void metrics_round_begin(struct metrics *m, const char *name);
void metrics_round_end(struct metrics *m, const char *name);
/* Appends every series, grouped by name with HELP and TYPE lines. */
void metrics_render(struct metrics *m, struct sbuf *out);

#endif
