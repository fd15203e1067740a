/*
 * svc.h - the loop all three daemons share: consume a batch, let the
 * daemon do its PostgreSQL work and queue its outputs, wait until the
 * broker has acknowledged every output, then commit the batch's offsets.
 *
 * Anything that fails before the commit makes the whole batch run again
 * after a back-off (each daemon's PostgreSQL work is idempotent), so a
 * crash at any point loses nothing: at-least-once in, dedup makes it once.
 */
#ifndef XF_SVC_H
#define XF_SVC_H

#include <signal.h>
#include <stdatomic.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "cfg.h"
#include "http.h"
#include "kafka.h"
#include "metrics.h"
#include "sbuf.h"

/*
 * A batch of svc_run's: consumed, worked, then committed once the broker
 * has acknowledged its outputs. Two take turns: while one's outputs are on
 * their way, the next one works.
 */
struct svc_batch {
	rd_kafka_message_t **msgs;
	size_t n;               /* 0: none */
	unsigned revokes;       /* health.revokes when it was consumed */
	struct kafka_acks acks; /* its outputs (an address librdkafka keeps) */
	double busy_ms;         /* its time so far (for the metrics) */
};

struct svc {
	const char *name; /* "xf-intake" */
	struct xf_conf conf;
	struct kafka_health health;
	rd_kafka_t *consumer;
	rd_kafka_t *producer;
	PGconn *conn;
	struct metrics *metrics;
	struct http_server *http;
	const volatile sig_atomic_t *stop;
	int consuming;     /* for /readyz */
	_Atomic int pg_ok; /* the last PostgreSQL work found it up */
	/* An extra readiness condition of the daemon's (xf-dispatch: a rule
	 * set is loaded); called from the HTTP thread. */
	int (*ready_extra)(void *arg, struct sbuf *why);
	void *ready_arg;
	struct metrics_series *m_batches, *m_retries;
	struct metrics_series *m_batch_time, *m_msg_time, *m_pg_time;
	/* where a batch's time goes: polling, the work, the acks, the commit */
	struct metrics_series *m_phase_poll, *m_phase_work, *m_phase_acks, *m_phase_commit;
	/* Optional periodic work between batches (xf-dispatch's deadline
	 * timer): called about every tick_ms; a failure is logged and the
	 * work tried again at the next tick. */
	int (*tick)(void *self, struct sbuf *err);
	void *tick_self;
	long tick_ms;
	struct svc_batch batches[2]; /* svc_run's: batches[turn] is consumed next */
	int turn;
	int finishing;   /* in svc.c's flight_finish (not re-entered) */
	int flight_lost; /* the batch in flight was dropped at a revocation */
};

/*
 * Return codes, here as in the whole tree: 0 is success and -1 a failure
 * with the reason in err. A function with another outcome to tell (not a
 * failure: "not ready", "cannot be placed", "done, but some were not sent")
 * gives it a name and a positive value, as SVC_NOT_READY below; no bare
 * -2 or 2 stands for one.
 *
 * The daemon's batch work. Runs its PostgreSQL transaction on svc->conn
 * and queues every output with kafka_produce(svc->producer, ..., acks).
 * Returns 0 when all outputs are queued; -1 (with err) when the work
 * failed, to be retried and, if it keeps failing while PostgreSQL is
 * reachable, narrowed down to the message at fault, which is dead-lettered;
 * SVC_NOT_READY (with err) when the daemon cannot work yet (no rules, say):
 * retried with back-off, never dead-lettered.
 */
#define SVC_NOT_READY 1
typedef int (*svc_batch_fn)(void *self, rd_kafka_message_t **msgs, size_t n,
			    struct kafka_acks *acks, struct sbuf *err);

/*
 * Loads configuration, starts logging, connects to PostgreSQL (applying
 * migrations), creates the producer and a consumer in group
 * <XF_GROUP_PREFIX>-<group> subscribed to topics (NULL-terminated), and
 * starts the HTTP endpoints. Returns 0, or -1 with err.
 */
int svc_init(struct svc *svc, const char *name, const char *http_default, const char *group,
	     const char *const *topics, const volatile sig_atomic_t *stop, struct sbuf *err);
/* Runs until *stop is set or a handle dies. Returns 0 on a clean stop. */
int svc_run(struct svc *svc, svc_batch_fn fn, void *self);
/* Stops consuming, closes the consumer, flushes the producer, PQfinish. */
void svc_release(struct svc *svc);

/*
 * Dead-letters one message: stores the whole original in PostgreSQL
 * (svc->conn, which may be inside a transaction), then produces the
 * bounded copy with the xf-* headers to petition.dlq (see dlq.h).
 * Returns 0, or -1 with err (then nothing is counted or logged).
 */
int svc_dead_letter(struct svc *svc, const rd_kafka_message_t *rkm, const char *code,
		    const char *why, struct kafka_acks *acks, struct sbuf *err);
/* Counts a message out on topic (metric xf_messages_out_total). */
void svc_count_out(struct svc *svc, const char *topic, const char *what);

/* Installs SIGINT/SIGTERM handlers that set *flag (sigaction). */
void svc_signals(volatile sig_atomic_t *flag);

#endif
