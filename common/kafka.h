/*
 * kafka.h - librdkafka handles the way every program here uses them.
 *
 * Configuration: bootstrap.servers from XF_KAFKA_BROKERS, then every
 * environment variable XF_KAFKA_<NAME> (other than XF_KAFKA_BROKERS) as
 * property <name> lower-cased with '_' -> '.', so TLS and SASL need no code.
 *
 * Producers are idempotent; a produce is known to have succeeded only in
 * the delivery report, which credits the struct kafka_acks passed as the
 * message opaque. Consumers never auto-commit: the caller commits a batch
 * after its outputs are acknowledged (kafka_commit_batch).
 */
#ifndef XF_KAFKA_H
#define XF_KAFKA_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "sbuf.h"

struct metrics;

/*
 * Health of one handle, written by its error callback. With metrics set,
 * the handle also reports librdkafka's statistics every
 * KAFKA_STATS_INTERVAL_MS (statistics.interval.ms; XF_KAFKA_STATISTICS_INTERVAL_MS
 * overrides) as gauges: xf_kafka_consumer_lag{topic,partition} (messages),
 * xf_kafka_broker_rtt_seconds{handle,broker} (average round trip),
 * xf_kafka_queue_messages{handle} (messages waiting in the client) and
 * xf_kafka_replyq{handle} (requests waiting for a reply).
 */
struct kafka_health {
	volatile sig_atomic_t fatal; /* a fatal error: the handle is dead */
	struct metrics *metrics;     /* optional */
	/* For readiness, written by librdkafka's threads: brokers seen up in
	 * the last statistics (0 after "all brokers down"), whether the
	 * consumer has joined its group, and how many partitions it holds. */
	_Atomic int brokers_up, joined, assigned;
	/* Consumers: partitions revoked so far (a batch held across a
	 * revocation is no longer ours), and whether consumption is paused
	 * (kafka_pause_all: partitions assigned meanwhile are paused too). */
	_Atomic unsigned revokes;
	_Atomic int paused;
	/* Consumers: called on the polling thread just before partitions are
	 * revoked (svc commits the batch whose outputs are on their way). */
	void (*before_revoke)(void *arg);
	void *before_revoke_arg;
};

#define KAFKA_STATS_INTERVAL_MS "5000"

/* Sets the gauges above from one statistics JSON document (for tests too). */
void kafka_stats_apply(struct metrics *m, const char *json);
/* The brokers whose state is UP in a statistics document. */
int kafka_stats_brokers_up(const char *json);

/* Outcome of a group of produced messages (one batch). */
struct kafka_acks {
	long sent;   /* messages handed to librdkafka */
	long done;   /* delivery reports received */
	long failed; /* of those, failures */
	rd_kafka_resp_err_t first_err;
};

/*
 * Checks the XF_KAFKA_* overrides: one that changes a property at-least-once
 * delivery depends on (enable.auto.commit, group.id, auto.offset.reset,
 * enable.idempotence, acks, transactional.id; under any of librdkafka's
 * names for it) is refused. Returns 0, or -1 with every refusal in err,
 * each naming its variable.
 */
int kafka_check_env(struct sbuf *err);

/* A new producer; health (may be NULL) must outlive it. NULL with err. */
rd_kafka_t *kafka_producer_new(const char *brokers, struct kafka_health *health, struct sbuf *err);
/*
 * A new consumer in group `group`, subscribed to the NULL-terminated topics,
 * starting at the earliest offset when the group has none. With no topics
 * it subscribes to nothing (for assign() or committing offsets). NULL with err.
 */
rd_kafka_t *kafka_consumer_new(const char *brokers, const char *group, const char *const *topics,
			       struct kafka_health *health, struct sbuf *err);

/* A header to attach to a produced message. */
struct kafka_hdr {
	const char *name;
	const char *value;
};

/*
 * Produces one message (copied) to topic; acks is credited by the
 * delivery report. hdrs may be NULL. Returns 0, or -1 with err when the
 * message could not even be queued (acks is then not touched).
 */
int kafka_produce(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen,
		  const void *val, size_t vallen, const struct kafka_hdr *hdrs, size_t nhdrs,
		  struct kafka_acks *acks, struct sbuf *err);
/*
 * kafka_produce with headers the caller built (rd_kafka_headers_new; NULL
 * for none, values may be any bytes), which it takes over in every case.
 */
int kafka_produce_headers(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen,
			  const void *val, size_t vallen, rd_kafka_headers_t *h,
			  struct kafka_acks *acks, struct sbuf *err);
/*
 * Serves delivery reports until every message in acks is reported or
 * timeout_ms passes. Returns 0 if all were delivered, -1 with err otherwise.
 */
int kafka_acks_wait(rd_kafka_t *rk, struct kafka_acks *acks, int timeout_ms, struct sbuf *err);

/*
 * Polls up to max messages into msgs: waits up to wait_ms for the first,
 * then keeps taking messages while they come, until max, until their
 * values and keys reach max_bytes in all (so a batch holds at most
 * max_bytes plus one message; 0: no byte bound), until wait_ms
 * have passed since the first, or until none came for KAFKA_BATCH_GAP_MS.
 * Under load the fetched messages are already queued, so batches grow to
 * max; when the flow is thin a batch closes at once instead of waiting out
 * wait_ms (latency stays low). Errors that are not messages are logged and
 * not returned. Returns the count.
 */
#define KAFKA_BATCH_GAP_MS 2
size_t kafka_poll_batch(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t max, size_t max_bytes,
			int wait_ms);
/*
 * Pauses (pause 1) or resumes (0) every partition the consumer holds, so
 * that it can be polled (to stay in its group: max.poll.interval.ms) while
 * a batch is retried, without taking messages. Pausing drops what was
 * fetched and not yet returned; resuming fetches from the position after
 * the last message returned. Returns 0, or -1 with err.
 */
int kafka_pause_all(rd_kafka_t *rk, struct kafka_health *health, int pause, struct sbuf *err);
/*
 * Polls a paused consumer for up to ms milliseconds (serving the group
 * protocol and rebalances), returning early once *stop is set. A message
 * that still comes is sought back to, so it is fetched again after the
 * resume.
 */
void kafka_poll_paused(rd_kafka_t *rk, int ms, const volatile sig_atomic_t *stop);
/*
 * Seeks every partition of msgs that the consumer still holds back to its
 * first offset in msgs, so that the messages are consumed again (a batch
 * given up without a commit). Returns 0, or -1 with err.
 */
int kafka_seek_back(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t n, struct sbuf *err);
/* Destroys the messages of a batch. */
void kafka_batch_release(rd_kafka_message_t **msgs, size_t n);
/* Commits (synchronously) the offsets after every message of the batch. */
int kafka_commit_batch(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t n, struct sbuf *err);

/*
 * Creates topics that do not exist, with `partitions` partitions and the
 * broker's default replication factor; existing topics are fine. Gives up
 * after timeout_ms. Returns 0, or -1 with err. (librdkafka's mock cluster
 * never answers CreateTopics: it only times out.)
 */
int kafka_topics_create(rd_kafka_t *rk, const char *const *topics, size_t n, int partitions,
			int timeout_ms, struct sbuf *err);

/* Closes a consumer (leaves the group) or flushes a producer, then destroys. */
void kafka_consumer_close(rd_kafka_t *rk);
void kafka_producer_close(rd_kafka_t *rk, int flush_ms);

#endif
