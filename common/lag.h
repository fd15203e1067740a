/*
 * lag.h - consumer-group lag in messages and in seconds, with a verdict.
 *
 * Three layers, each usable alone:
 *
 *  - the evaluator (pure): a window of the last N samples of one
 *    partition and a verdict over it, in the manner of Burrow's consumer
 *    lag evaluation rules (below);
 *  - the sampler: one look at the broker: our groups, their committed
 *    offsets, the log end offsets and how old the oldest unconsumed
 *    message is; the tracker keeps a window per partition across samples;
 *  - the monitor: a thread in a daemon that samples every interval and
 *    exports gauges, plus a JSON snapshot for a status page.
 *
 * One file each: lag_eval.c (the evaluator), lag_track.c (samples, the
 * tracker and its JSON), lag_sampler.c, lag_monitor.c; lag_int.h holds the
 * few helpers they share.
 *
 * "Our" groups are those whose id starts with "<XF_GROUP_PREFIX>-".
 */
#ifndef XF_LAG_H
#define XF_LAG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cfg.h"
#include "sbuf.h"

struct metrics;

/*
 * The verdicts, in order of severity: a group's status is the worst of its
 * partitions'. The codes are the values of the status gauges.
 */
enum lag_status {
	LAG_OK = 0,     /* caught up, or keeping pace, or not enough seen */
	LAG_WARN = 1,   /* moving, but the lag grows: falling behind */
	LAG_STALL = 2,  /* lag, and the committed offset did not move all window */
	LAG_STOP = 3,   /* lag, and no new commit for longer than stop_after */
	LAG_REWIND = 4, /* the committed offset went back inside the window */
};
#define LAG_STATUS_MAX LAG_REWIND

/*
 * How each verdict reads, the one list of them: lag_statuses[code] for
 * LAG_OK .. LAG_STATUS_MAX. xfctl, the gauges' JSON and xf-dispatch's
 * status page all take names, labels and colours from here.
 */
struct lag_status_info {
	const char *name;   /* "OK", "WARN", "STALL", "STOP", "REWIND" */
	const char *label;  /* the status page's label, "正常 OK" */
	const char *colour; /* the status page's colour for it (CSS) */
};
extern const struct lag_status_info lag_statuses[LAG_STATUS_MAX + 1];

/* lag_statuses[st].name, or "UNKNOWN" outside the list. */
const char *lag_status_name(enum lag_status st);

#define LAG_WINDOW_DEFAULT 10
#define LAG_WINDOW_MAX 64
#define LAG_INTERVAL_DEFAULT_MS 10000

/* One sample of one partition. */
struct lag_point {
	double t_ms;    /* when sampled (monotonic milliseconds) */
	int64_t offset; /* the group's position: committed, or log start if none */
	int64_t end;    /* log end offset */
};

/*
 * A ring of the last `size` samples of one partition. since_ms outlives
 * the ring: the time of the first sample that saw the current offset (the
 * commit itself may be older; sampling cannot see commit times).
 */
struct lag_window {
	struct lag_point ring[LAG_WINDOW_MAX];
	int size; /* samples a full window holds, 1..LAG_WINDOW_MAX */
	int n;    /* samples held */
	int head; /* index of the oldest */
	double since_ms;
};

/* An empty window of size samples (clamped to 1..LAG_WINDOW_MAX). */
void lag_window_init(struct lag_window *w, int size);
/* Adds a sample, dropping the oldest when full. */
void lag_window_add(struct lag_window *w, double t_ms, int64_t offset, int64_t end);
/* Sample i, 0 the oldest .. n-1 the newest. */
const struct lag_point *lag_window_at(const struct lag_window *w, int i);

/*
 * The verdict over a window. lag = end - offset, negative counted as 0 (end
 * and commit are read at slightly different times). Rules, first match wins:
 *
 *  1. fewer than 2 samples: OK, partial;
 *  2. newest lag 0: OK, whatever came before (caught up is healthy);
 *  3. the offset went down between two samples: REWIND;
 *  4. the offset has not changed for more than stop_after_ms (measured
 *     from since_ms to the newest sample; <= 0 disables): STOP;
 *  5. fewer samples than the window (partial): OK; the two rules below
 *     need a full window to say anything;
 *  6. lag 0 in any sample: OK (it caught up inside the window);
 *  7. the offset did not move across the whole window: STALL;
 *  8. the lag never decreased between samples and the newest is above the
 *     oldest: WARN. Unlike Burrow a constant lag is OK: the consumer keeps
 *     pace with a steady backlog;
 *  9. otherwise OK.
 *
 * *partial (may be NULL) is set when the window is not full or holds
 * fewer than 2 samples.
 */
enum lag_status lag_evaluate(const struct lag_window *w, double stop_after_ms, int *partial);

/* One partition of one group as one sample saw it. */
struct lag_reading {
	char *group, *topic; /* owned */
	int32_t partition;
	int64_t committed; /* -1: nothing committed on this partition */
	int64_t end;       /* log end offset (high watermark) */
	int64_t lag;       /* messages: end - committed (log start if none), >= 0 */
	double lag_s;      /* seconds since the oldest unconsumed message was
				 produced; 0 when lag is 0; -1 unknown */
};

/* One sample: every partition of every group looked at. */
struct lag_sample {
	double t_ms;    /* monotonic milliseconds */
	double wall_ms; /* Unix time in milliseconds */
	int guessed;    /* the broker cannot list groups (librdkafka's mock
				 cluster): only our three groups were tried */
	struct lag_reading *v;
	size_t n, alloc;
};
/* brace initialisers in macros, which clang-format takes for blocks */
/* clang-format off */
#define LAG_SAMPLE_INIT { 0, 0, 0, NULL, 0, 0 }
/* clang-format on */

/* Appends a reading; group and topic are copied. Returns it. */
struct lag_reading *lag_sample_add(struct lag_sample *smp, const char *group, const char *topic,
				   int32_t partition);
/* Frees the readings; the sample is empty and usable again. */
void lag_sample_release(struct lag_sample *smp);

/* A partition as the tracker keeps it: its newest figures and its window. */
struct lag_part {
	struct lag_reading cur;
	struct lag_window win;
	enum lag_status status;
	int partial;
};

/*
 * Windows per (group, topic, partition) across samples. Partitions that a
 * sample no longer shows are dropped with their windows.
 */
struct lag_tracker {
	int window;
	double stop_after_ms;
	struct lag_part *parts; /* sorted by group, topic, partition */
	size_t n;
	long samples;           /* samples added */
	double sampled_wall_ms; /* Unix ms of the newest sample; 0 before any */
	int changed;            /* the last add added or dropped partitions */
};

/*
 * window samples per partition (<= 0: LAG_WINDOW_DEFAULT; at most
 * LAG_WINDOW_MAX); stop_after_ms is rule 4's (<= 0: never STOP).
 */
void lag_tracker_init(struct lag_tracker *tr, int window, double stop_after_ms);
/* Adds a sample and evaluates every partition; takes smp's readings (smp is emptied). */
void lag_tracker_add(struct lag_tracker *tr, struct lag_sample *smp);
void lag_tracker_release(struct lag_tracker *tr);

/* A group's summary: its partitions are parts[first .. first+count). */
struct lag_group_sum {
	const char *group; /* borrowed from the tracker */
	size_t first, count;
	enum lag_status status; /* the worst of its partitions */
	int partial;            /* any partition's window is not full */
	int64_t lag;            /* total messages */
	double max_lag_s;       /* the largest known of its lagging partitions; 0 when
				    lag is 0; -1 when lag > 0 and none could be dated */
};

/*
 * Summarises the group whose partitions begin at parts[i]:
 *   for (size_t i = 0; i < tr->n; i += g.count) { lag_tracker_group(tr, i, &g); ... }
 */
void lag_tracker_group(const struct lag_tracker *tr, size_t i, struct lag_group_sum *g);

/*
 * The tracker as JSON (a new reference):
 *   {"sampled_at": "2026-11-22T09:30:00.123Z" | null, "samples": 3, "window": 3,
 *    "groups": [{"group", "status", "code", "partial", "lag", "max_lag_seconds",
 *                "partitions": [{"topic", "partition", "committed", "end", "lag",
 *                                "lag_seconds", "status", "code", "partial"}]}]}
 * Unknown seconds and absent commits are null.
 */
json_t *lag_tracker_json(const struct lag_tracker *tr);

/*
 * The sampler: one librdkafka consumer (configured as kafka.h says, group
 * "xf.lag-probe", which never subscribes nor commits) that reads offsets
 * and, to date the oldest unconsumed message, assigns a lagging partition
 * at its committed offset and reads one message. Dates are cached by
 * topic, partition and offset, so a stalled partition is read once.
 */
struct lag_sampler;

/*
 * Looks at the groups "<prefix>-*", or at every group when all is set.
 * timeout_ms bounds each broker call, so a dead broker fails a sample in
 * a few timeouts rather than hanging it. NULL with err.
 */
struct lag_sampler *lag_sampler_new(const char *brokers, const char *prefix, int all,
				    int timeout_ms, struct sbuf *err);
/*
 * Takes one sample into smp (emptied first): every partition of every
 * topic on which a group has committed an offset (a group with no commit
 * at all is not seen). Groups are listed with ListConsumerGroups; a broker
 * that cannot list (the mock cluster) has "<prefix>-intake", "-classify"
 * and "-dispatch" tried instead, with smp->guessed set, and is not asked
 * again. Returns 0, or -1 with err (smp then holds nothing).
 */
int lag_sampler_take(struct lag_sampler *s, struct lag_sample *smp, struct sbuf *err);
/* From another thread: the sample in progress gives up at its next wait. */
void lag_sampler_abort(struct lag_sampler *s);
void lag_sampler_free(struct lag_sampler *s);

/*
 * The monitor: a thread that samples our groups (conf->brokers,
 * conf->group_prefix) every interval_ms (<= 0: LAG_INTERVAL_DEFAULT_MS)
 * with a window of `window` samples (<= 0: LAG_WINDOW_DEFAULT) and STOP
 * after twice the window's time without a new offset, and keeps these
 * gauges in m (kept by reference; it must outlive the monitor; NULL keeps
 * only the snapshot):
 *
 *   xf_consumer_group_lag{group,topic,partition}          messages
 *   xf_consumer_group_lag_seconds{group,topic,partition}  age of the oldest
 *                                                         unconsumed message
 *   xf_consumer_partition_status{group,topic,partition}   enum lag_status
 *   xf_consumer_group_status{group}                        enum lag_status
 *   xf_consumer_group_max_lag_seconds{group}
 *   xf_consumer_lag_sampled_timestamp_seconds              last good sample
 *   xf_consumer_lag_sample_failures_total                  (a counter)
 *
 * A failed sample is logged (lag_sample_failed) and leaves every figure as
 * it was; series of partitions that disappear are set to 0. Each broker
 * call is bounded by LAG_MONITOR_TIMEOUT_MS. NULL with err.
 */
#define LAG_MONITOR_TIMEOUT_MS 1500
struct lag_monitor;

struct lag_monitor *lag_monitor_start(const struct xf_conf *conf, struct metrics *m,
				      long interval_ms, int window, struct sbuf *err);
/*
 * lag_tracker_json() of the newest good sample plus "interval_ms",
 * "error" (the last sample's failure, or null) and "failed_at". A new
 * reference; safe from any thread.
 */
json_t *lag_monitor_snapshot(struct lag_monitor *lm);
/*
 * Calls fn(arg, tr) with the tracker of the newest good sample (no
 * partitions before the first), under the monitor's lock: fn must be
 * quick and keep nothing of tr. A typed snapshot, for a status page.
 */
void lag_monitor_read(struct lag_monitor *lm, void (*fn)(void *arg, const struct lag_tracker *tr),
		      void *arg);
/* Stops the thread (within about LAG_MONITOR_TIMEOUT_MS) and frees; NULL is fine. */
void lag_monitor_stop(struct lag_monitor *lm);

#endif
