/* svc.c - see svc.h. */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlq.h"
#include "log.h"
#include "pg.h"
#include "util.h"
#include "xalloc.h"

static volatile sig_atomic_t *signal_flag;

static void on_signal(int sig)
{
	(void)sig;
	*signal_flag = 1;
}

void svc_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	signal_flag = flag;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int svc_healthy(void *arg, struct sbuf *why)
{
	struct svc *svc = arg;

	if (svc->health.fatal) {
		sbuf_adds(why, "kafka handle failed fatally");
		return 0;
	}
	return 1;
}

static int svc_ready(void *arg, struct sbuf *why)
{
	struct svc *svc = arg;

	if (!svc_healthy(arg, why))
		return 0;
	if (!svc->health.brokers_up) {
		sbuf_adds(why, "no Kafka broker connected");
		return 0;
	}
	if (!svc->pg_ok) {
		sbuf_adds(why, "PostgreSQL not connected");
		return 0;
	}
	if (!svc->health.joined) {
		sbuf_adds(why, "not in the consumer group yet");
		return 0;
	}
	if (!svc->consuming) {
		sbuf_adds(why, "not consuming (retrying a batch)");
		return 0;
	}
	return svc->ready_extra ? svc->ready_extra(svc->ready_arg, why) : 1;
}

static int svc_connect(struct svc *svc, struct sbuf *err)
{
	int applied;

	svc->conn = pg_connect(svc->conf.database_url, err);
	if (!svc->conn)
		return -1;
	applied = pg_migrate(svc->conn, err);
	if (applied < 0)
		return -1;
	svc->pg_ok = 1;
	if (applied)
		log_info("migrated", LOG_I("applied", applied), LOG_END);
	return 0;
}

static void observe_pg(void *arg, double seconds)
{
	struct svc *svc = arg;

	metrics_observe(svc->m_pg_time, seconds);
}

/* Counts a batch's messages per input topic. */
static void count_in(struct svc *svc, rd_kafka_message_t **msgs, size_t n)
{
	char labels[160];
	size_t i = 0;

	while (i < n) {
		const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
		size_t j = i;

		while (j < n && !strcmp(rd_kafka_topic_name(msgs[j]->rkt), topic))
			j++;
		snprintf(labels, sizeof labels, "topic=\"%s\"", topic);
		metrics_add(metrics_get(svc->metrics, "xf_messages_in_total",
					"Messages consumed, by topic", METRICS_COUNTER, labels),
			    (double)(j - i));
		i = j;
	}
}

static struct metrics_series *phase_histogram(struct svc *svc, const char *phase)
{
	char labels[64];

	snprintf(labels, sizeof labels, "phase=\"%s\"", phase);
	return metrics_histogram(
		svc->metrics, "xf_batch_phase_seconds",
		"A batch's time by phase: poll (filling it), work (parsing, PostgreSQL, "
		"queueing outputs), acks (waiting for the broker), commit (offsets)",
		metrics_buckets_duration, labels);
}

int svc_init(struct svc *svc, const char *name, const char *http_default, const char *group,
	     const char *const *topics, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	struct http_hooks hooks = { NULL, svc_healthy, svc_ready, svc, NULL };
	enum log_level level = LOG_INFO;
	char group_id[128];

	memset(svc, 0, sizeof *svc);
	svc->name = name;
	svc->stop = stop;
	if (cfg_load(&svc->conf, http_default, err) | cfg_check_secrets(&svc->conf, name, err) |
	    kafka_check_env(err))
		return -1; /* every problem at once */
	hooks.token = svc->conf.http_token;
	log_level_parse(svc->conf.log_level, &level);
	log_init(name, level);
	cfg_log(&svc->conf);
	svc->metrics = hooks.metrics = metrics_new();
	svc->health.metrics = svc->metrics;
	svc->m_batch_time = metrics_histogram(svc->metrics, "xf_batch_duration_seconds",
					      "Time to process and commit one batch",
					      metrics_buckets_duration, NULL);
	svc->m_msg_time = metrics_histogram(
		svc->metrics, "xf_message_duration_seconds",
		"Processing time per message (its batch's time over its size)",
		metrics_buckets_duration, NULL);
	svc->m_pg_time = metrics_histogram(svc->metrics, "xf_pg_query_duration_seconds",
					   "PostgreSQL statement time", metrics_buckets_duration,
					   NULL);
	pg_on_query(observe_pg, svc);
	svc->m_phase_poll = phase_histogram(svc, "poll");
	svc->m_phase_work = phase_histogram(svc, "work");
	svc->m_phase_acks = phase_histogram(svc, "acks");
	svc->m_phase_commit = phase_histogram(svc, "commit");
	svc->m_batches = metrics_get(svc->metrics, "xf_batches_total", "Batches committed",
				     METRICS_COUNTER, NULL);
	svc->m_retries = metrics_get(svc->metrics, "xf_batch_retries_total",
				     "Batches run again after a failure", METRICS_COUNTER, NULL);
	snprintf(group_id, sizeof group_id, "%s-%s", svc->conf.group_prefix, group);
	if (svc_connect(svc, err))
		return -1;
	svc->producer = kafka_producer_new(svc->conf.brokers, &svc->health, err);
	if (!svc->producer)
		return -1;
	svc->consumer = kafka_consumer_new(svc->conf.brokers, group_id, topics, &svc->health, err);
	if (!svc->consumer)
		return -1;
	svc->http = http_start(svc->conf.http_addr, &hooks, err);
	return svc->http ? 0 : -1;
}

/* Waits for every outstanding delivery report (message.timeout.ms bounds it). */
static void acks_drain(struct svc *svc, struct kafka_acks *acks)
{
	while (acks->done < acks->sent)
		rd_kafka_poll(svc->producer, 100);
}

/*
 * Says in err which kind of SQL error failed the batch. A read-only server
 * (a standby after a fail-over, say) is left: the next try connects again
 * and may find the primary (target_session_attrs=read-write in the URL).
 */
static void pg_fault_note(struct svc *svc, enum pg_fault fault, struct sbuf *err)
{
	const char *state = pg_error_state();
	struct sbuf why = SBUF_INIT;

	/* first, so that a long message does not push it out of the log line */
	sbuf_addf(&why, "[SQLSTATE %s: %s] %s", state,
		  fault == PG_FAULT_DATA ? "the message's data"
					 : "transient, retried until it passes",
		  err->buf);
	sbuf_reset(err);
	sbuf_add(err, why.buf, why.len);
	sbuf_release(&why);
	if (!strcmp(state, "25006") && PQstatus(svc->conn) == CONNECTION_OK) {
		PQfinish(svc->conn);
		svc->conn = NULL;
	}
}

/*
 * A try at a batch ends in one of these. TRY_INFRA: the infrastructure
 * failed (PostgreSQL unreachable, the broker did not acknowledge), or the
 * daemon is not ready; TRY_REFUSED: the work itself failed with PostgreSQL
 * reachable (a message it refuses, say), which retrying alone will not cure;
 * TRY_NONE: no try was made yet.
 */
enum try_rc { TRY_OK = 0, TRY_INFRA, TRY_REFUSED, TRY_NONE };

/* A batch's work, one try: TRY_OK when every output is queued (acks counts them). */
static enum try_rc batch_work(struct svc *svc, svc_batch_fn fn, void *self,
			      rd_kafka_message_t **msgs, size_t n, struct kafka_acks *acks,
			      struct sbuf *err)
{
	int rc, work_failed = 0;
	enum pg_fault fault;
	double t = now_ms();

	if (pg_ensure(&svc->conn, svc->conf.database_url, err)) {
		svc->pg_ok = 0;
		return TRY_INFRA;
	}
	pg_error_reset();
	rc = fn(self, msgs, n, acks, err);
	fault = pg_fault_of(pg_error_state());
	svc->pg_ok = PQstatus(svc->conn) == CONNECTION_OK;
	if (rc == -1 && PQstatus(svc->conn) == CONNECTION_OK && fault != PG_FAULT_TRANSIENT)
		work_failed = 1;
	if (PQtransactionStatus(svc->conn) != PQTRANS_IDLE)
		pg_rollback(svc->conn); /* fn failed mid-transaction */
	if (rc && fault != PG_FAULT_NONE)
		pg_fault_note(svc, fault, err);
	metrics_observe(svc->m_phase_work, (now_ms() - t) / 1000.0);
	return rc ? (work_failed ? TRY_REFUSED : TRY_INFRA) : TRY_OK;
}

/*
 * After a batch's work (rc its outcome): waits for the acks of whatever it
 * queued, then, when the work and every ack succeeded, commits its offsets.
 * TRY_OK when committed; rc, or TRY_INFRA when the broker did not acknowledge.
 */
static enum try_rc batch_commit(struct svc *svc, rd_kafka_message_t **msgs, size_t n,
				struct kafka_acks *acks, enum try_rc rc, struct sbuf *err)
{
	double t = now_ms();

	if (rc == TRY_OK && kafka_acks_wait(svc->producer, acks, 120000, err))
		rc = TRY_INFRA;
	acks_drain(svc, acks);
	metrics_observe(svc->m_phase_acks, (now_ms() - t) / 1000.0);
	if (rc)
		return rc;
	t = now_ms();
	if (kafka_commit_batch(svc->consumer, msgs, n, err))
		log_warn("commit_failed", LOG_S("error", err->buf), LOG_I("n", n), LOG_END);
	sbuf_reset(err); /* a lost commit only means a harmless redelivery */
	metrics_observe(svc->m_phase_commit, (now_ms() - t) / 1000.0);
	return TRY_OK;
}

/* One attempt at a batch, waited for: TRY_OK when committed, else as batch_work. */
static enum try_rc batch_once(struct svc *svc, svc_batch_fn fn, void *self,
			      rd_kafka_message_t **msgs, size_t n, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	enum try_rc rc = batch_work(svc, fn, self, msgs, n, &acks, err);

	return batch_commit(svc, msgs, n, &acks, rc, err);
}

/* Dead-letters one message the daemon cannot process, then commits it. */
static int give_up(struct svc *svc, rd_kafka_message_t *rkm, struct sbuf *why)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	struct sbuf err = SBUF_INIT;
	int rc = svc_dead_letter(svc, rkm, "processing_failed", why->buf, &acks, &err);

	if (!rc)
		rc = kafka_acks_wait(svc->producer, &acks, 120000, &err);
	acks_drain(svc, &acks);
	if (!rc && kafka_commit_batch(svc->consumer, &rkm, 1, &err))
		log_warn("commit_failed", LOG_S("error", err.buf), LOG_I("n", 1), LOG_END);
	if (rc)
		log_warn("dead_letter_failed", LOG_S("error", err.buf), LOG_END);
	sbuf_release(&err);
	return rc ? -1 : 0;
}

#define WORK_TRIES 3 /* failures of the work itself before isolating */

/*
 * Waits out a back-off with the consumer paused and polled, so that a long
 * outage does not exceed max.poll.interval.ms and make the group rebalance.
 */
static void backoff_wait(struct svc *svc, long ms)
{
	struct sbuf err = SBUF_INIT;

	if (!svc->health.paused && kafka_pause_all(svc->consumer, &svc->health, 1, &err))
		log_warn("kafka_pause_failed", LOG_S("error", err.buf), LOG_END);
	kafka_poll_paused(svc->consumer, (int)ms, svc->stop);
	sbuf_release(&err);
}

/*
 * Runs a batch until it is committed or the daemon stops, backing off
 * between tries; rc is the outcome of a try already made (err says why),
 * or TRY_NONE. When the work itself keeps failing, a batch is split
 * into single messages and a single message is dead-lettered, so one bad
 * message never stalls the daemon. Once partitions were revoked since the
 * batch was consumed (revokes no longer equal to the count then), the batch
 * is dropped: the partition's new owner, or this consumer again, consumes
 * it from the last commit. Returns how many of the messages, from the
 * first, are done (n when all are).
 */
static size_t batch_until_done(struct svc *svc, svc_batch_fn fn, void *self,
			       rd_kafka_message_t **msgs, size_t n, unsigned revokes,
			       enum try_rc rc, struct sbuf *err)
{
	long backoff = 100;
	size_t done = 0;
	int work_fails = 0;

	if (rc == TRY_NONE)
		rc = svc->health.revokes == revokes ? batch_once(svc, fn, self, msgs, n, err)
						    : TRY_INFRA;
	while (svc->health.revokes == revokes && rc != TRY_OK) {
		svc->consuming = 0;
		metrics_add(svc->m_retries, 1);
		log_warn("batch_retry", LOG_I("n", n), LOG_I("backoff_ms", backoff),
			 LOG_S("error", err->buf), LOG_END);
		work_fails = rc == TRY_REFUSED ? work_fails + 1 : 0;
		if (work_fails >= WORK_TRIES && n > 1) {
			while (done < n && !*svc->stop) {
				struct sbuf one = SBUF_INIT;
				size_t ok = batch_until_done(svc, fn, self, &msgs[done], 1, revokes,
							     TRY_NONE, &one);

				sbuf_release(&one);
				if (!ok)
					break;
				done++;
			}
			break;
		}
		if (work_fails >= WORK_TRIES && !give_up(svc, msgs[0], err)) {
			done = n;
			break;
		}
		sbuf_reset(err);
		backoff_wait(svc, backoff);
		if (*svc->stop || svc->health.fatal)
			break; /* not committed: the batch is consumed again later */
		backoff = backoff * 2 > svc->conf.retry_max_ms ? svc->conf.retry_max_ms
							       : backoff * 2;
		if (svc->health.revokes != revokes)
			break;
		rc = batch_once(svc, fn, self, msgs, n, err);
	}
	if (svc->health.revokes == revokes && rc == TRY_OK)
		done = n;
	return done;
}

/* Messages not done are consumed again, unless the daemon stops. */
static void seek_again(struct svc *svc, rd_kafka_message_t **msgs, size_t n)
{
	struct sbuf err = SBUF_INIT;

	if (n && !*svc->stop && !svc->health.fatal && kafka_seek_back(svc->consumer, msgs, n, &err))
		log_warn("kafka_seek_failed", LOG_S("error", err.buf), LOG_END);
	sbuf_release(&err);
}

/* After a batch: consumption resumes; what was not done is consumed again. */
static void batch_end(struct svc *svc, rd_kafka_message_t **msgs, size_t n, size_t done)
{
	struct sbuf err = SBUF_INIT;

	if (svc->health.paused && kafka_pause_all(svc->consumer, &svc->health, 0, &err))
		log_warn("kafka_resume_failed", LOG_S("error", err.buf), LOG_END);
	if (done < n && !*svc->stop && !svc->health.fatal)
		log_warn("batch_dropped", LOG_I("n", n - done),
			 LOG_S("reason", "partitions revoked while retrying"), LOG_END);
	seek_again(svc, msgs + done, n - done);
	sbuf_release(&err);
}

/* Lets go of a batch's messages. */
static void batch_release(struct svc_batch *b)
{
	kafka_batch_release(b->msgs, b->n);
	b->n = 0;
}

/* A batch is over (committed, dead-lettered or dropped): its figures. */
static void batch_metrics(struct svc *svc, rd_kafka_message_t **msgs, size_t n, double ms)
{
	svc->consuming = !*svc->stop;
	count_in(svc, msgs, n);
	metrics_add(svc->m_batches, 1);
	metrics_observe(svc->m_batch_time, ms / 1000.0);
	metrics_observe_n(svc->m_msg_time, ms / 1000.0 / (double)n, (long)n);
	log_debug("batch_done", LOG_I("n", n), LOG_F("ms", ms), LOG_END);
}

/*
 * The batch in flight (the one before batches[turn]): waits for its acks
 * and commits it. When its outputs did not all get through, it is run again
 * until done, as a failed first try. Returns 1 when it is committed (or none
 * was in flight); 0 when it could not be (the daemon stops, its partitions
 * were revoked): then `later`, consumed after it and not to be committed
 * past it, is sought back first, then what of it was not done.
 */
static int flight_finish(struct svc *svc, svc_batch_fn fn, void *self, rd_kafka_message_t **later,
			 size_t nlater)
{
	struct svc_batch *b = &svc->batches[!svc->turn];
	struct sbuf err = SBUF_INIT;
	double t0 = now_ms();
	size_t done;
	enum try_rc rc;
	int ok;

	if (!b->n) {
		ok = !svc->flight_lost;
		svc->flight_lost = 0;
		if (!ok)
			seek_again(svc, later, nlater);
		return ok;
	}
	svc->finishing = 1;
	rc = batch_commit(svc, b->msgs, b->n, &b->acks, TRY_OK, &err);
	done = rc != TRY_OK ? batch_until_done(svc, fn, self, b->msgs, b->n, b->revokes, rc, &err)
			    : b->n;
	ok = done == b->n;
	if (!ok)
		seek_again(svc, later, nlater); /* before b's own, which are earlier */
	if (rc != TRY_OK)
		batch_end(svc, b->msgs, b->n, done);
	batch_metrics(svc, b->msgs, b->n, b->busy_ms + now_ms() - t0);
	batch_release(b);
	svc->finishing = 0;
	sbuf_release(&err);
	return ok;
}

/*
 * Before partitions are revoked (from inside the consumer's poll): the
 * batch in flight is committed once acknowledged, so that the partitions'
 * next owner does not consume it again. If its outputs did not get through,
 * it is dropped (the next owner does it again) and so is the batch
 * consumed after it.
 */
static void flight_before_revoke(void *arg)
{
	struct svc *svc = arg;
	struct svc_batch *b = &svc->batches[!svc->turn];
	struct sbuf err = SBUF_INIT;

	if (svc->finishing || !b->n)
		return;
	if (batch_commit(svc, b->msgs, b->n, &b->acks, TRY_OK, &err)) {
		log_warn("batch_dropped", LOG_I("n", b->n), LOG_S("error", err.buf),
			 LOG_S("reason", "partitions revoked before its outputs were acknowledged"),
			 LOG_END);
		svc->flight_lost = 1;
	} else {
		batch_metrics(svc, b->msgs, b->n, b->busy_ms);
	}
	batch_release(b);
	sbuf_release(&err);
}

/*
 * One consumed batch (batches[turn]). Its work runs while the outputs of
 * the batch before are on their way; then that one is committed, and this
 * one, its outputs queued, takes its place in flight. A batch whose first
 * try failed is run to the end here (retries, isolation), as before
 * pipelining; one that cannot be committed after the one before it is
 * consumed again.
 */
static void batch_take(struct svc *svc, svc_batch_fn fn, void *self)
{
	struct svc_batch *b = &svc->batches[svc->turn];
	struct sbuf err = SBUF_INIT;
	double t0 = now_ms();
	size_t done;
	enum try_rc rc;

	b->acks = (struct kafka_acks){ 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	rc = batch_work(svc, fn, self, b->msgs, b->n, &b->acks, &err);
	b->busy_ms = now_ms() - t0;
	if (!flight_finish(svc, fn, self, b->msgs, b->n)) {
		acks_drain(svc, &b->acks);
		batch_release(b);
	} else if (rc == TRY_OK) {
		svc->turn = !svc->turn; /* b is in flight */
	} else {
		t0 = now_ms();
		acks_drain(svc, &b->acks);
		done = batch_until_done(svc, fn, self, b->msgs, b->n, b->revokes, rc, &err);
		batch_end(svc, b->msgs, b->n, done);
		batch_metrics(svc, b->msgs, b->n, b->busy_ms + now_ms() - t0);
		batch_release(b);
	}
	sbuf_release(&err);
}

/* The periodic work, when it is due. */
#define PING_MS 5000.0

/* Between batches: is PostgreSQL still there? (for /readyz) */
static void maybe_ping(struct svc *svc, double *last)
{
	struct sbuf err = SBUF_INIT;

	if (now_ms() - *last < PING_MS)
		return;
	*last = now_ms();
	svc->pg_ok = !pg_ensure(&svc->conn, svc->conf.database_url, &err) &&
		     !pg_exec(svc->conn, "SELECT 1", 0, NULL, &err);
	sbuf_release(&err);
}

static void maybe_tick(struct svc *svc, double *last)
{
	struct sbuf err = SBUF_INIT;

	if (!svc->tick || now_ms() - *last < (double)svc->tick_ms)
		return;
	*last = now_ms();
	if (pg_ensure(&svc->conn, svc->conf.database_url, &err) ||
	    svc->tick(svc->tick_self, &err)) {
		if (PQstatus(svc->conn) == CONNECTION_OK &&
		    PQtransactionStatus(svc->conn) != PQTRANS_IDLE)
			pg_rollback(svc->conn);
		log_warn("tick_failed", LOG_S("error", err.buf), LOG_END);
	}
	sbuf_release(&err);
}

int svc_run(struct svc *svc, svc_batch_fn fn, void *self)
{
	size_t max = (size_t)svc->conf.batch_max;
	double last_tick = 0, last_ping = now_ms();

	for (int i = 0; i < 2; i++) {
		svc->batches[i].msgs = xcalloc(max, sizeof *svc->batches[i].msgs);
		svc->batches[i].n = 0;
	}
	svc->turn = 0;
	svc->health.before_revoke = flight_before_revoke;
	svc->health.before_revoke_arg = svc;
	svc->consuming = 1;
	log_info("started", LOG_END);
	while (!*svc->stop && !svc->health.fatal) {
		struct svc_batch *b = &svc->batches[svc->turn];
		double t = now_ms();

		b->revokes = svc->health.revokes;
		b->n = kafka_poll_batch(svc->consumer, b->msgs, max,
					(size_t)svc->conf.batch_max_bytes,
					(int)svc->conf.batch_wait_ms);
		rd_kafka_poll(svc->producer, 0);
		if (b->n) {
			metrics_observe(svc->m_phase_poll, (now_ms() - t) / 1000.0);
			batch_take(svc, fn, self);
		} else {
			flight_finish(svc, fn, self, NULL, 0); /* a pause in the flow */
		}
		maybe_tick(svc, &last_tick);
		maybe_ping(svc, &last_ping);
	}
	if (!svc->health.fatal)
		flight_finish(svc, fn, self, NULL, 0);
	svc->health.before_revoke = NULL;
	for (int i = 0; i < 2; i++) {
		struct svc_batch *b = &svc->batches[i];

		if (b->n)
			acks_drain(svc, &b->acks);
		batch_release(b);
		free(b->msgs);
		b->msgs = NULL;
	}
	log_info("stopping", LOG_I("fatal", svc->health.fatal), LOG_END);
	return svc->health.fatal ? -1 : 0;
}

void svc_release(struct svc *svc)
{
	pg_on_query(NULL, NULL);
	http_stop(svc->http);
	svc->http = NULL;
	kafka_consumer_close(svc->consumer);
	svc->consumer = NULL;
	kafka_producer_close(svc->producer, 10000);
	svc->producer = NULL;
	if (svc->conn)
		PQfinish(svc->conn);
	svc->conn = NULL;
	metrics_free(svc->metrics);
	svc->metrics = NULL;
	cfg_release(&svc->conf);
}

int svc_dead_letter(struct svc *svc, const rd_kafka_message_t *rkm, const char *code,
		    const char *why, struct kafka_acks *acks, struct sbuf *err)
{
	struct dlq_letter dl = { svc->name, rkm, code, why, 0, "" };
	char part[16], off[32], labels[96];
	const char *topic = rd_kafka_topic_name(rkm->rkt);

	/* the whole original first: the copy on the topic may be cut */
	if (dlq_store(svc->conn, &dl, err) || dlq_produce(svc->producer, &dl, acks, err))
		return -1;
	snprintf(part, sizeof part, "%d", (int)rkm->partition);
	snprintf(off, sizeof off, "%lld", (long long)rkm->offset);
	snprintf(labels, sizeof labels, "reason=\"%s\"", code);
	/* the key is a case id or an upstream work-order id, never personal data */
	log_info("dead_letter", LOG_S("reason", code), LOG_S("topic", topic),
		 LOG_I("partition", rkm->partition), LOG_I("offset", rkm->offset),
		 LOG_SN(case_id_valid((const char *)rkm->key, rkm->key_len) ? "case_id" : "key",
			rkm->key ? (const char *)rkm->key : "",
			rkm->key_len > 128 ? 128 : rkm->key_len),
		 LOG_END);
	metrics_add(metrics_get(svc->metrics, "xf_dead_letters_total",
				"Messages sent to petition.dlq", METRICS_COUNTER, labels),
		    1);
	return 0;
}

void svc_count_out(struct svc *svc, const char *topic, const char *what)
{
	char labels[160];

	snprintf(labels, sizeof labels, "topic=\"%s\",kind=\"%s\"", topic, what);
	metrics_add(metrics_get(svc->metrics, "xf_messages_out_total",
				"Messages produced, by topic and kind", METRICS_COUNTER, labels),
		    1);
}
