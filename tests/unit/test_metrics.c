/* Unit tests for common/metrics.c. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "metrics.h"
#include "sbuf.h"
#include "tharness.h"

/* Occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void t_counter(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *s = metrics_get(m, "xf_in_total", "Consumed.", METRICS_COUNTER,
					       NULL);

	T_CHECK(metrics_value(s) == 0);
	metrics_add(s, 1);
	metrics_add(s, 2.5);
	T_CHECK(metrics_value(s) == 3.5);
	metrics_add(s, 0.001); /* the resolution is a millionth */
	T_CHECK(fabs(metrics_value(s) - 3.501) < 1e-9);
	metrics_free(m);
}

static void t_gauge(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *s = metrics_get(m, "xf_lag", "Lag.", METRICS_GAUGE, "");

	metrics_set(s, 42);
	T_CHECK(metrics_value(s) == 42);
	metrics_set(s, 7);
	T_CHECK(metrics_value(s) == 7);
	metrics_add(s, -10);
	T_CHECK(metrics_value(s) == -3);
	metrics_set(s, 0.25);
	T_CHECK(metrics_value(s) == 0.25);
	metrics_free(m);
}

/* A value with a whole number of thousandths is kept as it is. */
static void t_value_rounding(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *s = metrics_get(m, "xf_seconds", "S.", METRICS_GAUGE, NULL);

	metrics_set(s, 1.005); /* 1.005 * 1000 is 1004.999... in binary */
	T_CHECK(fabs(metrics_value(s) - 1.005) < 1e-9);
	metrics_set(s, -1.005);
	T_CHECK(fabs(metrics_value(s) + 1.005) < 1e-9);
	metrics_free(m);
}

/* One series per name and label set, found again by metrics_get(). */
static void t_label_sets(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *a = metrics_get(m, "xf_out_total", "Produced.", METRICS_COUNTER,
					       "topic=\"a\"");
	struct metrics_series *b = metrics_get(m, "xf_out_total", "Produced.", METRICS_COUNTER,
					       "topic=\"b\"");
	struct metrics_series *none = metrics_get(m, "xf_out_total", "Produced.", METRICS_COUNTER,
						  NULL);
	struct metrics_series *other = metrics_get(m, "xf_dlq_total", "DLQ.", METRICS_COUNTER,
						   "topic=\"a\"");

	T_CHECK(a != b && a != none && b != none && a != other);
	T_CHECK(metrics_get(m, "xf_out_total", "Produced.", METRICS_COUNTER, "topic=\"a\"") == a);
	T_CHECK(metrics_get(m, "xf_out_total", "Produced.", METRICS_COUNTER, "") == none);
	metrics_add(a, 2);
	metrics_add(b, 5);
	metrics_add(metrics_get(m, "xf_out_total", "x", METRICS_COUNTER, "topic=\"a\""), 1);
	T_CHECK(metrics_value(a) == 3);
	T_CHECK(metrics_value(b) == 5);
	T_CHECK(metrics_value(none) == 0);
	T_CHECK(metrics_value(other) == 0);
	metrics_free(m);
}

static void t_render(void)
{
	struct metrics *m = metrics_new();
	struct sbuf out = SBUF_INIT;

	metrics_add(
		metrics_get(m, "xf_in_total", "Messages consumed.", METRICS_COUNTER, "topic=\"a\""),
		3);
	metrics_set(metrics_get(m, "xf_lag", "Consumer lag.", METRICS_GAUGE, NULL), 42);
	metrics_add(metrics_get(m, "xf_in_total", "Messages consumed.", METRICS_COUNTER,
				"topic=\"b\",partition=\"0\""),
		    1);
	metrics_set(metrics_get(m, "xf_ratio", "A ratio.", METRICS_GAUGE, NULL), -0.5);
	metrics_render(m, &out);
	T_STREQ(out.buf, "# HELP xf_in_total Messages consumed.\n"
			 "# TYPE xf_in_total counter\n"
			 "xf_in_total{topic=\"a\"} 3\n"
			 "xf_in_total{topic=\"b\",partition=\"0\"} 1\n"
			 "# HELP xf_lag Consumer lag.\n"
			 "# TYPE xf_lag gauge\n"
			 "xf_lag 42\n"
			 "# HELP xf_ratio A ratio.\n"
			 "# TYPE xf_ratio gauge\n"
			 "xf_ratio -0.5\n");
	T_INTEQ(count(out.buf, "# HELP xf_in_total "), 1);
	T_INTEQ(count(out.buf, "# TYPE xf_in_total "), 1);
	metrics_free(m);
	sbuf_release(&out);
}

/* HELP and TYPE once per name, however many label sets and renders. */
static void t_render_many(void)
{
	struct metrics *m = metrics_new();
	struct sbuf out = SBUF_INIT, label = SBUF_INIT;

	for (int i = 0; i < 20; i++) {
		sbuf_reset(&label);
		sbuf_addf(&label, "reason=\"r%d\"", i);
		metrics_add(
			metrics_get(m, "xf_dlq_total", "Dead letters.", METRICS_COUNTER, label.buf),
			i);
		metrics_add(
			metrics_get(m, "xf_retry_total", "Retries.", METRICS_COUNTER, label.buf),
			1);
	}
	metrics_render(m, &out);
	T_INTEQ(count(out.buf, "# HELP xf_dlq_total Dead letters.\n"), 1);
	T_INTEQ(count(out.buf, "# TYPE xf_dlq_total counter\n"), 1);
	T_INTEQ(count(out.buf, "# HELP xf_retry_total Retries.\n"), 1);
	T_INTEQ(count(out.buf, "\nxf_dlq_total{"), 20);
	T_INTEQ(count(out.buf, "\nxf_retry_total{"), 20);
	T_INTEQ(count(out.buf, "\n"), 2 * (2 + 20));
	T_CHECK(strstr(out.buf, "xf_dlq_total{reason=\"r19\"} 19\n") != NULL);
	/* a series' lines follow its own HELP/TYPE, not another name's */
	T_CHECK(strstr(out.buf, "# TYPE xf_dlq_total counter\nxf_dlq_total{reason=\"r0\"} 0\n"
				"xf_dlq_total{reason=\"r1\"} 1\n") != NULL);
	T_CHECK(strstr(out.buf, "# TYPE xf_retry_total counter\n"
				"xf_retry_total{reason=\"r0\"} 1\n") != NULL);
	sbuf_reset(&out);
	sbuf_adds(&out, "head\n");
	metrics_render(m, &out); /* appends */
	T_CHECK(strncmp(out.buf, "head\n# HELP xf_dlq_total ", 25) == 0);
	metrics_free(m);
	sbuf_release(&out);
	sbuf_release(&label);
}

static void t_render_empty(void)
{
	struct metrics *m = metrics_new();
	struct sbuf out = SBUF_INIT;

	metrics_render(m, &out);
	T_STREQ(out.buf, "");
	metrics_free(m);
	metrics_free(NULL);
	sbuf_release(&out);
}

static void *adder(void *arg)
{
	struct metrics *m = arg;

	for (int i = 0; i < 20000; i++)
		metrics_add(metrics_get(m, "xf_in_total", "In.", METRICS_COUNTER,
					i % 2 ? "p=\"1\"" : "p=\"0\""),
			    1);
	return NULL;
}

/* Updates from several threads are not lost. */
static void t_threads(void)
{
	struct metrics *m = metrics_new();
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		T_INTEQ(pthread_create(&th[i], NULL, adder, m), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	T_CHECK(metrics_value(metrics_get(m, "xf_in_total", "In.", METRICS_COUNTER, "p=\"0\"")) ==
		40000);
	T_CHECK(metrics_value(metrics_get(m, "xf_in_total", "In.", METRICS_COUNTER, "p=\"1\"")) ==
		40000);
	metrics_free(m);
}

/* Cumulative buckets, +Inf, sum and count, labels merged with le. */
static void t_histogram(void)
{
	static const double bounds[] = { 0.1, 1, 10, 0 };
	struct metrics *m = metrics_new();
	struct metrics_series *h = metrics_histogram(m, "xf_batch_duration_seconds", "Batch time.",
						     bounds, "service=\"x\"");
	struct sbuf out = SBUF_INIT;

	metrics_observe(h, 0.05);
	metrics_observe(h, 0.1); /* le is inclusive */
	metrics_observe(h, 5);
	metrics_observe(h, 50);
	T_CHECK(h == metrics_histogram(m, "xf_batch_duration_seconds", "Batch time.", bounds,
				       "service=\"x\""));
	metrics_render(m, &out);
	T_CHECK(strstr(out.buf, "# TYPE xf_batch_duration_seconds histogram\n") != NULL);
	T_CHECK(strstr(out.buf, "xf_batch_duration_seconds_bucket{service=\"x\",le=\"0.1\"} 2\n") !=
		NULL);
	T_CHECK(strstr(out.buf, "xf_batch_duration_seconds_bucket{service=\"x\",le=\"1\"} 2\n") !=
		NULL);
	T_CHECK(strstr(out.buf, "xf_batch_duration_seconds_bucket{service=\"x\",le=\"10\"} 3\n") !=
		NULL);
	T_CHECK(strstr(out.buf,
		       "xf_batch_duration_seconds_bucket{service=\"x\",le=\"+Inf\"} 4\n") != NULL);
	T_CHECK(strstr(out.buf,
		       "xf_batch_duration_seconds_sum{service=\"x\"} 55.149999999999999\n") ||
		strstr(out.buf, "xf_batch_duration_seconds_sum{service=\"x\"} 55.15\n"));
	T_CHECK(strstr(out.buf, "xf_batch_duration_seconds_count{service=\"x\"} 4\n") != NULL);
	sbuf_release(&out);
	metrics_free(m);
}

/* metrics_zero clears a gauge family before this round's values. */
static void t_zero(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *a = metrics_get(m, "xf_cases", "C.", METRICS_GAUGE, "state=\"a\"");
	struct metrics_series *b = metrics_get(m, "xf_cases", "C.", METRICS_GAUGE, "state=\"b\"");
	struct metrics_series *o = metrics_get(m, "xf_other", "O.", METRICS_GAUGE, NULL);

	metrics_set(a, 3);
	metrics_set(b, 4);
	metrics_set(o, 5);
	metrics_zero(m, "xf_cases");
	T_CHECK(metrics_value(a) == 0 && metrics_value(b) == 0);
	T_CHECK(metrics_value(o) == 5);
	metrics_free(m);
}

/* A round keeps the old values readable until it ends, then zeroes the unset. */
static void t_round(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *a = metrics_get(m, "xf_cases", "C.", METRICS_GAUGE, "d=\"a\"");
	struct metrics_series *b = metrics_get(m, "xf_cases", "C.", METRICS_GAUGE, "d=\"b\"");

	metrics_set(a, 3);
	metrics_set(b, 4);
	metrics_round_begin(m, "xf_cases");
	T_CHECK(metrics_value(a) == 3 && metrics_value(b) == 4); /* never a transient 0 */
	metrics_set(a, 5);
	metrics_round_end(m, "xf_cases");
	T_CHECK(metrics_value(a) == 5);
	T_CHECK(metrics_value(b) == 0); /* gone this round */
	metrics_free(m);
}

/* "key=value;" per label, then "=value|" per series. */
static void see(void *arg, const struct metrics_label *labels, size_t n, double v)
{
	struct sbuf *out = arg;

	for (size_t i = 0; i < n; i++)
		sbuf_addf(out, "%s=%s;", labels[i].key, labels[i].value);
	sbuf_addf(out, "=%g|", v);
}

/* Readers get each series' labels as keys and unescaped values, in creation order. */
static void t_each_labels(void)
{
	struct metrics *m = metrics_new();
	struct sbuf out = SBUF_INIT;
	const struct metrics_label pairs[] = { { "a", "1" }, { "b", "2" } };

	metrics_set(metrics_get(m, "x", "X.", METRICS_GAUGE, "topic=\"t\",kind=\"k\""), 2);
	metrics_set(metrics_get(m, "x", "X.", METRICS_GAUGE, "r=\"q\\\"\\\\\\n,z\",e=\"\""), 3);
	metrics_set(metrics_get(m, "x", "X.", METRICS_GAUGE, NULL), 4);
	metrics_set(metrics_get(m, "y", "Y.", METRICS_GAUGE, "topic=\"other\""), 5);
	metrics_each(m, "x", see, &out);
	T_STREQ(out.buf, "topic=t;kind=k;=2|r=q\"\\\n,z;e=;=3|=4|");
	T_STREQ(metrics_label(pairs, 2, "b"), "2");
	T_CHECK(metrics_label(pairs, 2, "c") == NULL);
	sbuf_release(&out);
	metrics_free(m);
}

/* clang-format off */
T_SUITE(metrics,
	{ "counter", t_counter },
	{ "gauge", t_gauge },
	{ "value_rounding", t_value_rounding },
	{ "label_sets", t_label_sets },
	{ "render", t_render },
	{ "render_many", t_render_many },
	{ "render_empty", t_render_empty },
	{ "threads", t_threads }, { "histogram", t_histogram }, { "zero", t_zero },
	{ "round", t_round }, { "each_labels", t_each_labels })
/* clang-format on */
