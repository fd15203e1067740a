/* lag_monitor.c - the monitor thread and its gauges (see lag.h). */
#include "lag.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lag_int.h"
#include "log.h"
#include "metrics.h"

/* --- the monitor -------------------------------------------------------- */

enum { G_LAG, G_LAG_S, G_PART_STATUS, G_GROUP_STATUS, G_GROUP_MAX_S, G_COUNT };

struct lag_monitor {
	pthread_t thread;
	pthread_mutex_t lock; /* guards stopping, tracker, error, failed_wall_ms */
	pthread_cond_t wake;
	int stopping;
	struct lag_tracker tracker;
	char *error; /* the last sample's failure; NULL after a good one */
	double failed_wall_ms;
	struct lag_sampler *sampler; /* the thread's alone (but for abort) */
	struct metrics *m;
	long interval_ms;
	struct metrics_series *m_sampled, *m_failures;
	char *help[G_COUNT]; /* the gauges' help texts */
};
enum { CODES_NONE, CODES_EACH, CODES_RANGE }; /* how a help text ends */

static const struct gauge {
	const char *name, *help;
	int codes; /* the verdicts' codes that end the help (lag_statuses) */
} gauges[G_COUNT] = {
	{ "xf_consumer_group_lag", "Messages between the committed offset and the log end",
	  CODES_NONE },
	{ "xf_consumer_group_lag_seconds",
	  "Age of the oldest message not yet consumed (0 when caught up)", CODES_NONE },
	{ "xf_consumer_partition_status", "Lag verdict of a partition: ", CODES_EACH },
	{ "xf_consumer_group_status",
	  "Lag verdict of a group, the worst of its partitions: ", CODES_RANGE },
	{ "xf_consumer_group_max_lag_seconds", "The largest lag in seconds of a group's partitions",
	  CODES_NONE },
};

/* Each gauge's help: "... 0 OK, 1 WARN, ..." or "... 0 OK .. 4 REWIND". */
static void monitor_help(struct lag_monitor *lm)
{
	for (int k = 0; k < G_COUNT; k++) {
		struct sbuf h = SBUF_INIT;

		sbuf_adds(&h, gauges[k].help);
		for (int st = LAG_OK; gauges[k].codes == CODES_EACH && st <= LAG_STATUS_MAX; st++)
			sbuf_addf(&h, "%s%d %s", st ? ", " : "", st, lag_statuses[st].name);
		if (gauges[k].codes == CODES_RANGE)
			sbuf_addf(&h, "%d %s .. %d %s", LAG_OK, lag_statuses[LAG_OK].name,
				  LAG_STATUS_MAX, lag_statuses[LAG_STATUS_MAX].name);
		lm->help[k] = sbuf_detach(&h, NULL);
	}
}

static void gauge_set(const struct lag_monitor *lm, int which, const char *labels, double v)
{
	metrics_set(metrics_get(lm->m, gauges[which].name, lm->help[which], METRICS_GAUGE, labels),
		    v);
}

/* name="value" with \, " and newline escaped as the exposition format wants. */
static void label_add(struct sbuf *sb, const char *name, const char *value)
{
	sbuf_addf(sb, "%s%s=\"", sb->len ? "," : "", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			sbuf_addch(sb, '\\');
		if (*c == '\n')
			sbuf_adds(sb, "\\n");
		else
			sbuf_addch(sb, *c);
	}
	sbuf_addch(sb, '"');
}

static void export_group(const struct lag_monitor *lm, const struct lag_tracker *tr,
			 const struct lag_group_sum *g, struct sbuf *labels)
{
	char part[16];

	sbuf_reset(labels);
	label_add(labels, "group", g->group);
	gauge_set(lm, G_GROUP_STATUS, labels->buf, g->status);
	if (g->max_lag_s >= 0)
		gauge_set(lm, G_GROUP_MAX_S, labels->buf, g->max_lag_s);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct lag_part *p = &tr->parts[i];

		sbuf_reset(labels);
		snprintf(part, sizeof part, "%d", (int)p->cur.partition);
		label_add(labels, "group", g->group);
		label_add(labels, "topic", p->cur.topic);
		label_add(labels, "partition", part);
		gauge_set(lm, G_LAG, labels->buf, (double)p->cur.lag);
		gauge_set(lm, G_PART_STATUS, labels->buf, p->status);
		if (p->cur.lag_s >= 0) /* unknown: the last known value stays */
			gauge_set(lm, G_LAG_S, labels->buf, p->cur.lag_s);
	}
}

/* Under lm->lock. Series of partitions gone are zeroed (they cannot be removed). */
static void monitor_export(struct lag_monitor *lm)
{
	const struct lag_tracker *tr = &lm->tracker;
	struct sbuf labels = SBUF_INIT;
	struct lag_group_sum g;

	if (!lm->m)
		return;
	/* readers see last round's figures until this one is complete */
	for (int k = 0; tr->changed && k < G_COUNT; k++)
		metrics_round_begin(lm->m, gauges[k].name);
	for (size_t i = 0; i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		export_group(lm, tr, &g, &labels);
	}
	for (int k = 0; tr->changed && k < G_COUNT; k++)
		metrics_round_end(lm->m, gauges[k].name);
	metrics_set(lm->m_sampled, tr->sampled_wall_ms / 1000);
	sbuf_release(&labels);
}

static void monitor_sample(struct lag_monitor *lm)
{
	struct lag_sample smp = LAG_SAMPLE_INIT;
	struct sbuf err = SBUF_INIT;
	int rc = lag_sampler_take(lm->sampler, &smp, &err);

	pthread_mutex_lock(&lm->lock);
	if (!rc) {
		lag_tracker_add(&lm->tracker, &smp);
		free(lm->error);
		lm->error = NULL;
		monitor_export(lm);
	} else if (!lm->stopping) { /* an abort is not a failure */
		free(lm->error);
		lm->error = xstrdup(err.buf);
		lm->failed_wall_ms = lag_wall_ms();
		if (lm->m)
			metrics_add(lm->m_failures, 1);
		log_warn("lag_sample_failed", LOG_S("error", err.buf), LOG_END);
	}
	pthread_mutex_unlock(&lm->lock);
	lag_sample_release(&smp);
	sbuf_release(&err);
}

static void deadline_in(struct timespec *at, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, at);
	at->tv_sec += ms / 1000;
	at->tv_nsec += (ms % 1000) * 1000000L;
	if (at->tv_nsec >= 1000000000L) {
		at->tv_sec++;
		at->tv_nsec -= 1000000000L;
	}
}

static void *monitor_main(void *arg)
{
	struct lag_monitor *lm = arg;
	struct timespec at;

	pthread_mutex_lock(&lm->lock);
	while (!lm->stopping) {
		deadline_in(&at, lm->interval_ms); /* every interval, however long a sample */
		pthread_mutex_unlock(&lm->lock);
		monitor_sample(lm);
		pthread_mutex_lock(&lm->lock);
		while (!lm->stopping && pthread_cond_timedwait(&lm->wake, &lm->lock, &at) == 0)
			; /* woken, but not to stop */
	}
	pthread_mutex_unlock(&lm->lock);
	return NULL;
}

static void monitor_free(struct lag_monitor *lm)
{
	lag_sampler_free(lm->sampler);
	lag_tracker_release(&lm->tracker);
	free(lm->error);
	for (int k = 0; k < G_COUNT; k++)
		free(lm->help[k]);
	pthread_cond_destroy(&lm->wake);
	pthread_mutex_destroy(&lm->lock);
	free(lm);
}

static void monitor_metrics(struct lag_monitor *lm)
{
	if (!lm->m)
		return;
	lm->m_sampled = metrics_get(lm->m, "xf_consumer_lag_sampled_timestamp_seconds",
				    "Unix time of the last good consumer lag sample", METRICS_GAUGE,
				    NULL);
	lm->m_failures = metrics_get(lm->m, "xf_consumer_lag_sample_failures_total",
				     "Consumer lag samples that failed (figures left as they were)",
				     METRICS_COUNTER, NULL);
}

struct lag_monitor *lag_monitor_start(const struct xf_conf *conf, struct metrics *m,
				      long interval_ms, int window, struct sbuf *err)
{
	struct lag_monitor *lm = xcalloc(1, sizeof *lm);
	pthread_condattr_t ca;

	lm->m = m;
	lm->interval_ms = interval_ms > 0 ? interval_ms : LAG_INTERVAL_DEFAULT_MS;
	lag_tracker_init(&lm->tracker, window, 0);
	lm->tracker.stop_after_ms = 2.0 * lm->tracker.window * (double)lm->interval_ms;
	pthread_mutex_init(&lm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lm->wake, &ca);
	pthread_condattr_destroy(&ca);
	lm->sampler = lag_sampler_new(conf->brokers, conf->group_prefix, 0, LAG_MONITOR_TIMEOUT_MS,
				      err);
	if (!lm->sampler) {
		monitor_free(lm);
		return NULL;
	}
	monitor_help(lm);
	monitor_metrics(lm);
	if (pthread_create(&lm->thread, NULL, monitor_main, lm)) {
		sbuf_addf(err, "lag monitor: cannot start a thread");
		monitor_free(lm);
		return NULL;
	}
	return lm;
}

json_t *lag_monitor_snapshot(struct lag_monitor *lm)
{
	json_t *j;

	pthread_mutex_lock(&lm->lock);
	j = lag_tracker_json(&lm->tracker);
	json_object_set_new(j, "interval_ms", json_integer(lm->interval_ms));
	json_object_set_new(j, "error", lm->error ? json_string(lm->error) : json_null());
	json_object_set_new(j, "failed_at", lag_json_time(lm->failed_wall_ms));
	pthread_mutex_unlock(&lm->lock);
	return j;
}

void lag_monitor_read(struct lag_monitor *lm, void (*fn)(void *arg, const struct lag_tracker *tr),
		      void *arg)
{
	pthread_mutex_lock(&lm->lock);
	fn(arg, &lm->tracker);
	pthread_mutex_unlock(&lm->lock);
}

void lag_monitor_stop(struct lag_monitor *lm)
{
	if (!lm)
		return;
	pthread_mutex_lock(&lm->lock);
	lm->stopping = 1;
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
	lag_sampler_abort(lm->sampler);
	pthread_join(lm->thread, NULL);
	monitor_free(lm);
}
