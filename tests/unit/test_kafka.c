/*
 * Unit tests for common/kafka.c against librdkafka's in-process mock
 * cluster: produce and acknowledge, consume and commit, injected produce
 * errors, a broker outage, and configuration from the environment.
 * Each case has its own cluster; every wait is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka.h"
#include "metrics.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

#define NMSG 100
#define APIKEY_PRODUCE 0 /* RD_KAFKAP_Produce, not in the public headers */

/* A one-broker mock cluster and the handle it lives in. */
struct mock {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mcluster;
	const char *brokers;
};

static int mock_start(struct mock *mk, const char *topic, int partitions)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[256];

	memset(mk, 0, sizeof *mk);
	rd_kafka_conf_set(conf, "log_level", "3", why, sizeof why);
	mk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
	if (!mk->rk) {
		fprintf(stderr, "    mock handle: %s\n", why);
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	conf = NULL; /* owned by mk->rk */
	mk->mcluster = rd_kafka_mock_cluster_new(mk->rk, 1);
	if (!mk->mcluster) {
		rd_kafka_destroy(mk->rk);
		mk->rk = NULL;
		return -1;
	}
	mk->brokers = rd_kafka_mock_cluster_bootstraps(mk->mcluster);
	return rd_kafka_mock_topic_create(mk->mcluster, topic, partitions, 1) ? -1 : 0;
}

static void mock_stop(struct mock *mk)
{
	if (mk->mcluster)
		rd_kafka_mock_cluster_destroy(mk->mcluster);
	if (mk->rk)
		rd_kafka_destroy(mk->rk);
	memset(mk, 0, sizeof *mk);
}

static rd_kafka_t *producer(const struct mock *mk, struct kafka_health *health)
{
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = kafka_producer_new(mk->brokers, health, &err);

	if (!rk)
		fprintf(stderr, "    kafka_producer_new: %s\n", err.buf);
	sbuf_release(&err);
	return rk;
}

/* Message i: key "k%03d", value "v%03d", headers trace=t%03d, schema. */
static int produce_n(rd_kafka_t *rk, const char *topic, int from, int n, struct kafka_acks *acks)
{
	struct sbuf err = SBUF_INIT;
	int rc = 0;

	for (int i = from; i < from + n && !rc; i++) {
		char key[16], val[16], trace[16];
		struct kafka_hdr hdrs[2] = {
			{ "trace", trace },
			{ "schema", "xf.test.v1" },
		};

		snprintf(key, sizeof key, "k%03d", i);
		snprintf(val, sizeof val, "v%03d", i);
		snprintf(trace, sizeof trace, "t%03d", i);
		rc = kafka_produce(rk, topic, key, strlen(key), val, strlen(val), hdrs, 2, acks,
				   &err);
	}
	if (rc)
		fprintf(stderr, "    kafka_produce: %s\n", err.buf);
	sbuf_release(&err);
	return rc;
}

/* Sum of the high watermarks of partitions 0..n-1, or -1. */
static long watermark_sum(rd_kafka_t *rk, const char *topic, int n)
{
	long sum = 0;

	for (int p = 0; p < n; p++) {
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000))
			return -1;
		sum += (long)hi;
	}
	return sum;
}

static void t_produce(void)
{
	struct kafka_health health = { 0 };
	struct kafka_acks acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;

	if (!T_CHECK(mock_start(&mk, "t.produce", 4) == 0) ||
	    !T_CHECK((rk = producer(&mk, &health)) != NULL))
		goto out;
	T_INTEQ(produce_n(rk, "t.produce", 0, NMSG, &acks), 0);
	T_INTEQ(acks.sent, NMSG);
	T_INTEQ(kafka_acks_wait(rk, &acks, 10000, &err), 0);
	T_STREQ(err.buf, "");
	T_INTEQ(acks.sent, NMSG);
	T_INTEQ(acks.done, NMSG);
	T_INTEQ(acks.failed, 0);
	T_INTEQ(acks.first_err, RD_KAFKA_RESP_ERR_NO_ERROR);
	T_INTEQ(watermark_sum(rk, "t.produce", 4), NMSG);
	T_INTEQ(health.fatal, 0);
out:
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/* A message that cannot even be queued fails at once and leaves acks alone. */
static void t_produce_too_big(void)
{
	struct kafka_acks acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct kafka_hdr hdr = { "trace", "x" };
	size_t len = 5u << 20; /* over message.max.bytes (4 MiB) */
	char *big = calloc(1, len);
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;

	if (!T_CHECK(big != NULL) || !T_CHECK(mock_start(&mk, "t.big", 1) == 0) ||
	    !T_CHECK((rk = producer(&mk, NULL)) != NULL))
		goto out;
	T_INTEQ(kafka_produce(rk, "t.big", "k", 1, big, len, &hdr, 1, &acks, &err), -1);
	T_CHECK(strstr(err.buf, "t.big") != NULL);
	T_INTEQ(acks.sent, 0);
	T_INTEQ(acks.done, 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 100, NULL), 0); /* nothing to wait for */
out:
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	free(big);
	sbuf_release(&err);
}

/* Checks that rkm is message i as produce_n made it. */
static void check_message(const rd_kafka_message_t *rkm, int i)
{
	char want[16];
	rd_kafka_headers_t *hdrs = NULL;
	const void *v;
	size_t vlen;

	T_STREQ(rd_kafka_topic_name(rkm->rkt), "t.consume");
	snprintf(want, sizeof want, "v%03d", i);
	if (T_INTEQ(rkm->len, 4))
		T_CHECK(memcmp(rkm->payload, want, 4) == 0);
	if (!T_INTEQ(rd_kafka_message_headers(rkm, &hdrs), 0))
		return;
	snprintf(want, sizeof want, "t%03d", i);
	if (T_INTEQ(rd_kafka_header_get_last(hdrs, "trace", &v, &vlen), 0) && T_INTEQ(vlen, 4))
		T_CHECK(memcmp(v, want, 4) == 0);
	if (T_INTEQ(rd_kafka_header_get_last(hdrs, "schema", &v, &vlen), 0) && T_INTEQ(vlen, 10))
		T_CHECK(memcmp(v, "xf.test.v1", 10) == 0);
	T_INTEQ(rd_kafka_header_cnt(hdrs), 2);
}

/* The index of key "kNNN", or -1. */
static int key_index(const rd_kafka_message_t *rkm)
{
	const char *k = rkm->key;
	int i = 0;

	if (rkm->key_len != 4 || k[0] != 'k')
		return -1;
	for (int d = 1; d < 4; d++) {
		if (k[d] < '0' || k[d] > '9')
			return -1;
		i = i * 10 + (k[d] - '0');
	}
	return i;
}

/* Every message once, in offset order per partition; last offsets in last[]. */
static void check_batch(rd_kafka_message_t **msgs, size_t n, int64_t last[4])
{
	int seen[NMSG] = { 0 };

	for (int p = 0; p < 4; p++)
		last[p] = -1;
	for (size_t j = 0; j < n; j++) {
		int i = key_index(msgs[j]);
		int p = msgs[j]->partition;

		if (!T_CHECK(i >= 0 && i < NMSG && !seen[i]++) || !T_CHECK(p >= 0 && p < 4))
			continue;
		check_message(msgs[j], i);
		T_CHECK(msgs[j]->offset > last[p]);
		last[p] = msgs[j]->offset;
	}
	for (int i = 0; i < NMSG; i++)
		T_INTEQ(seen[i], 1);
}

/* The committed offsets of partitions 0..3 are last + 1 (none when unused). */
static void check_committed(rd_kafka_t *rk, const int64_t last[4])
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
	int used = 0;

	for (int p = 0; p < 4; p++)
		rd_kafka_topic_partition_list_add(list, "t.consume", p);
	if (T_INTEQ(rd_kafka_committed(rk, list, 10000), 0)) {
		for (int p = 0; p < 4; p++) {
			const rd_kafka_topic_partition_t *tp = &list->elems[p];

			T_INTEQ(tp->err, 0);
			T_INTEQ(tp->offset, last[p] >= 0 ? last[p] + 1 : RD_KAFKA_OFFSET_INVALID);
			used += last[p] >= 0;
		}
	}
	T_CHECK(used >= 2); /* the keys spread over partitions */
	rd_kafka_topic_partition_list_destroy(list);
}

static void t_consume_commit(void)
{
	const char *const topics[] = { "t.consume", NULL };
	struct kafka_acks acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	rd_kafka_message_t *msgs[NMSG + 1];
	rd_kafka_t *rk = NULL, *consumer = NULL;
	char group[32];
	size_t n = 0, extra;
	int64_t last[4];
	double deadline;
	struct mock mk = { NULL, NULL, NULL };

	if (!T_CHECK(mock_start(&mk, "t.consume", 4) == 0) ||
	    !T_CHECK((rk = producer(&mk, NULL)) != NULL))
		goto out;
	T_INTEQ(produce_n(rk, "t.consume", 0, NMSG, &acks), 0);
	if (!T_INTEQ(kafka_acks_wait(rk, &acks, 10000, &err), 0))
		goto out;
	snprintf(group, sizeof group, "t-%ld", (long)getpid());
	consumer = kafka_consumer_new(mk.brokers, group, topics, NULL, &err);
	if (!T_CHECK(consumer != NULL))
		goto out;
	deadline = now_ms() + 30000;      /* the mock delays the first join ~3 s */
	while (!n && now_ms() < deadline) /* a byte bound below one message: one */
		n += kafka_poll_batch(consumer, msgs + n, NMSG - n, 1, 500);
	T_INTEQ(n, 1);
	while (n < NMSG && now_ms() < deadline)
		n += kafka_poll_batch(consumer, msgs + n, NMSG - n, 0, 500);
	T_INTEQ(n, NMSG);
	extra = kafka_poll_batch(consumer, msgs + n, 1, 0, 300);
	T_INTEQ(extra, 0); /* no more */
	kafka_batch_release(msgs + n, extra);
	check_batch(msgs, n, last);
	T_INTEQ(kafka_commit_batch(consumer, msgs, 0, &err), 0);
	T_INTEQ(kafka_commit_batch(consumer, msgs, n, &err), 0);
	T_STREQ(err.buf, "");
	check_committed(consumer, last);
	kafka_batch_release(msgs, n);
out:
	kafka_consumer_close(consumer);
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/* Retriable produce errors are retried: delivered once each, nothing failed. */
static void t_retriable_errors(void)
{
	struct kafka_acks acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;
	size_t left = 99;

	if (!T_CHECK(mock_start(&mk, "t.retry", 1) == 0) ||
	    !T_CHECK((rk = producer(&mk, NULL)) != NULL))
		goto out;
	T_INTEQ(rd_kafka_mock_broker_push_request_error_rtts(
			mk.mcluster, 1, APIKEY_PRODUCE, 3,
			RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
			RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
			RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0),
		0);
	T_INTEQ(rd_kafka_mock_broker_error_stack_cnt(mk.mcluster, 1, APIKEY_PRODUCE, &left), 0);
	T_INTEQ(left, 3);
	T_INTEQ(produce_n(rk, "t.retry", 0, 20, &acks), 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 15000, &err), 0);
	T_STREQ(err.buf, "");
	T_INTEQ(acks.done, 20);
	T_INTEQ(acks.failed, 0);
	/* the errors were really served, and no message was written twice */
	T_INTEQ(rd_kafka_mock_broker_error_stack_cnt(mk.mcluster, 1, APIKEY_PRODUCE, &left), 0);
	T_INTEQ(left, 0);
	T_INTEQ(watermark_sum(rk, "t.retry", 1), 20);
out:
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/* A permanent produce error fails the messages; the producer lives on. */
static void t_permanent_error(void)
{
	rd_kafka_resp_err_t errs[10];
	struct kafka_health health = { 0 };
	struct kafka_acks acks = { 0, 0, 0, 0 }, again = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;

	for (size_t i = 0; i < 10; i++)
		errs[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
	if (!T_CHECK(mock_start(&mk, "t.perm", 1) == 0) ||
	    !T_CHECK((rk = producer(&mk, &health)) != NULL))
		goto out;
	rd_kafka_mock_push_request_errors_array(mk.mcluster, APIKEY_PRODUCE, 10, errs);
	T_INTEQ(produce_n(rk, "t.perm", 0, 5, &acks), 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 15000, &err), -1);
	T_INTEQ(acks.done, 5);
	T_CHECK(acks.failed > 0);
	T_INTEQ(acks.first_err, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	T_CHECK(strstr(err.buf, "failed") != NULL);
	T_CHECK(strstr(err.buf, rd_kafka_err2str(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)) != NULL);

	rd_kafka_mock_clear_request_errors(mk.mcluster, APIKEY_PRODUCE);
	sbuf_reset(&err);
	T_INTEQ(produce_n(rk, "t.perm", 5, 3, &again), 0);
	T_INTEQ(kafka_acks_wait(rk, &again, 15000, &err), 0);
	T_STREQ(err.buf, "");
	T_INTEQ(again.done, 3);
	T_INTEQ(again.failed, 0);
	T_INTEQ(health.fatal, 0);
out:
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/* Messages produced while the broker is down are delivered once it is back. */
static void t_broker_outage(void)
{
	struct kafka_health health = { 0 };
	struct kafka_acks first = { 0, 0, 0, 0 }, acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;

	if (!T_CHECK(mock_start(&mk, "t.outage", 1) == 0) ||
	    !T_CHECK((rk = producer(&mk, &health)) != NULL))
		goto out;
	T_INTEQ(produce_n(rk, "t.outage", 0, 1, &first), 0);
	if (!T_INTEQ(kafka_acks_wait(rk, &first, 10000, &err), 0))
		goto out;
	T_INTEQ(rd_kafka_mock_broker_set_down(mk.mcluster, 1), 0);
	T_INTEQ(produce_n(rk, "t.outage", 1, 10, &acks), 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 1500, &err), -1);
	T_CHECK(strstr(err.buf, "10 of 10 messages not acknowledged") != NULL);
	T_INTEQ(acks.done, 0);

	T_INTEQ(rd_kafka_mock_broker_set_up(mk.mcluster, 1), 0);
	sbuf_reset(&err);
	T_INTEQ(kafka_acks_wait(rk, &acks, 20000, &err), 0);
	T_STREQ(err.buf, "");
	T_INTEQ(acks.done, 10);
	T_INTEQ(acks.failed, 0);
	T_INTEQ(watermark_sum(rk, "t.outage", 1), 11);
	T_INTEQ(health.fatal, 0);
out:
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/*
 * kafka_acks_wait waits timeout_ms of wall time, however often delivery
 * reports arrive meanwhile (a slow broker answering one message at a time).
 */
static void t_acks_wait_timeout(void)
{
	struct kafka_acks acks = { 0, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *rk = NULL;
	double t0, waited;
	int rc;

	setenv("XF_KAFKA_BATCH_NUM_MESSAGES", "1", 1);
	if (!T_CHECK(mock_start(&mk, "t.slow", 1) == 0) ||
	    !T_CHECK((rk = producer(&mk, NULL)) != NULL))
		goto out;
	T_INTEQ(rd_kafka_mock_broker_set_rtt(mk.mcluster, 1, 50), 0);
	T_INTEQ(produce_n(rk, "t.slow", 0, 300, &acks), 0);
	t0 = now_ms();
	rc = kafka_acks_wait(rk, &acks, 1000, &err);
	waited = now_ms() - t0;
	if (rc == -1) { /* not all in time: then the whole second was waited */
		if (!T_CHECK(waited >= 900))
			fprintf(stderr, "    gave up after %.0f ms of 1000 (%ld of %ld done)\n",
				waited, acks.done, acks.sent);
	}
	T_CHECK(waited < 1500);
	rd_kafka_mock_broker_set_rtt(mk.mcluster, 1, 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 10000, NULL), 0);
	T_INTEQ(acks.done, 300);
out:
	unsetenv("XF_KAFKA_BATCH_NUM_MESSAGES");
	kafka_producer_close(rk, 5000);
	mock_stop(&mk);
	sbuf_release(&err);
}

/* The value of property name in rk's configuration, in out. */
static int conf_get(rd_kafka_t *rk, const char *name, char *out, size_t outsz)
{
	return rd_kafka_conf_get(rd_kafka_conf(rk), name, out, &outsz) == RD_KAFKA_CONF_OK ? 0 : -1;
}

/* XF_KAFKA_<NAME> becomes property <name>, in producers and consumers. */
static void t_env_passthrough(void)
{
	const char *const no_topics[] = { NULL };
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = NULL, *consumer = NULL;
	char val[128];

	setenv("XF_KAFKA_CLIENT_ID", "xf-test-client", 1);
	setenv("XF_KAFKA_SOCKET_KEEPALIVE_ENABLE", "true", 1);
	rk = kafka_producer_new("127.0.0.1:1", NULL, &err);
	if (T_CHECK(rk != NULL)) {
		T_CHECK(strncmp(rd_kafka_name(rk), "xf-test-client#producer-", 24) == 0);
		if (T_INTEQ(conf_get(rk, "client.id", val, sizeof val), 0))
			T_STREQ(val, "xf-test-client");
		if (T_INTEQ(conf_get(rk, "socket.keepalive.enable", val, sizeof val), 0))
			T_STREQ(val, "true");
		if (T_INTEQ(conf_get(rk, "bootstrap.servers", val, sizeof val), 0))
			T_STREQ(val, "127.0.0.1:1");
		if (T_INTEQ(conf_get(rk, "enable.idempotence", val, sizeof val), 0))
			T_STREQ(val, "true");
	}
	consumer = kafka_consumer_new("127.0.0.1:1", "t-env", no_topics, NULL, &err);
	if (T_CHECK(consumer != NULL)) {
		T_CHECK(strncmp(rd_kafka_name(consumer), "xf-test-client#consumer-", 24) == 0);
		if (T_INTEQ(conf_get(consumer, "enable.auto.commit", val, sizeof val), 0))
			T_STREQ(val, "false");
		if (T_INTEQ(conf_get(consumer, "group.id", val, sizeof val), 0))
			T_STREQ(val, "t-env");
	}
	unsetenv("XF_KAFKA_CLIENT_ID");
	unsetenv("XF_KAFKA_SOCKET_KEEPALIVE_ENABLE");
	kafka_consumer_close(consumer);
	kafka_producer_close(rk, 0);
	sbuf_release(&err);
}

/* Settings from the environment win over the built-in defaults. */
static void t_env_overrides_defaults(void)
{
	const char *const no_topics[] = { NULL };
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = NULL, *consumer = NULL;
	char val[128];

	setenv("XF_KAFKA_LINGER_MS", "20", 1);
	setenv("XF_KAFKA_SESSION_TIMEOUT_MS", "7000", 1);
	rk = kafka_producer_new("127.0.0.1:1", NULL, &err);
	consumer = kafka_consumer_new("127.0.0.1:1", "t-env", no_topics, NULL, &err);
	unsetenv("XF_KAFKA_LINGER_MS");
	unsetenv("XF_KAFKA_SESSION_TIMEOUT_MS");
	if (T_CHECK(consumer != NULL) &&
	    T_INTEQ(conf_get(consumer, "session.timeout.ms", val, sizeof val), 0))
		T_STREQ(val, "7000");
	if (T_CHECK(rk != NULL) && T_INTEQ(conf_get(rk, "linger.ms", val, sizeof val), 0))
		T_STREQ(val, "20");
	kafka_consumer_close(consumer);
	kafka_producer_close(rk, 0);
	sbuf_release(&err);
}

/* Overrides that break at-least-once delivery are refused, each by name. */
static void t_env_guards(void)
{
	static const char *const bad[][2] = {
		{ "XF_KAFKA_ENABLE_AUTO_COMMIT", "true" },
		{ "XF_KAFKA_GROUP_ID", "mine" },
		{ "XF_KAFKA_ENABLE_IDEMPOTENCE", "false" },
		{ "XF_KAFKA_AUTO_OFFSET_RESET", "latest" },
		{ "XF_KAFKA_ACKS", "1" },
		{ "XF_KAFKA_REQUEST_REQUIRED_ACKS", "0" }, /* another name of acks */
		{ "XF_KAFKA_TRANSACTIONAL_ID", "tx" },
	};
	struct sbuf err = SBUF_INIT;

	T_INTEQ(kafka_check_env(&err), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv(bad[i][0], bad[i][1], 1);
		sbuf_reset(&err);
		T_INTEQ(kafka_check_env(&err), -1);
		T_CHECK(strstr(err.buf, bad[i][0]) != NULL);
		T_CHECK(strstr(err.buf, "at-least-once") != NULL);
		unsetenv(bad[i][0]);
	}
	/* the guarded values themselves, other spellings of them, and the rest pass */
	setenv("XF_KAFKA_ENABLE_AUTO_COMMIT", "false", 1);
	setenv("XF_KAFKA_ACKS", "-1", 1);
	setenv("XF_KAFKA_AUTO_OFFSET_RESET", "smallest", 1);
	setenv("XF_KAFKA_MAX_POLL_INTERVAL_MS", "10000", 1);
	sbuf_reset(&err);
	T_INTEQ(kafka_check_env(&err), 0);
	T_STREQ(err.buf, "");
	/* every refusal at once */
	setenv("XF_KAFKA_ENABLE_IDEMPOTENCE", "false", 1);
	setenv("XF_KAFKA_GROUP_ID", "mine", 1);
	T_INTEQ(kafka_check_env(&err), -1);
	T_CHECK(strstr(err.buf, "XF_KAFKA_ENABLE_IDEMPOTENCE") &&
		strstr(err.buf, "XF_KAFKA_GROUP_ID"));
	unsetenv("XF_KAFKA_ENABLE_AUTO_COMMIT");
	unsetenv("XF_KAFKA_ACKS");
	unsetenv("XF_KAFKA_AUTO_OFFSET_RESET");
	unsetenv("XF_KAFKA_MAX_POLL_INTERVAL_MS");
	unsetenv("XF_KAFKA_ENABLE_IDEMPOTENCE");
	unsetenv("XF_KAFKA_GROUP_ID");
	sbuf_release(&err);
}

/* An unknown property is refused by name, for producers and consumers. */
static void t_env_bad_property(void)
{
	const char *const no_topics[] = { NULL };
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk, *consumer;

	setenv("XF_KAFKA_NO_SUCH_PROPERTY", "1", 1);
	rk = kafka_producer_new("127.0.0.1:1", NULL, &err);
	T_CHECK(rk == NULL);
	T_CHECK(strstr(err.buf, "no.such.property") != NULL);
	sbuf_reset(&err);
	consumer = kafka_consumer_new("127.0.0.1:1", "t-env", no_topics, NULL, &err);
	T_CHECK(consumer == NULL);
	T_CHECK(strstr(err.buf, "no.such.property") != NULL);
	unsetenv("XF_KAFKA_NO_SUCH_PROPERTY");
	kafka_consumer_close(consumer);
	kafka_producer_close(rk, 0);

	/* XF_KAFKA_BROKERS is not a property; a bad value is refused too */
	setenv("XF_KAFKA_BROKERS", "ignored:9092", 1);
	setenv("XF_KAFKA_LINGER_MS", "-5", 1);
	sbuf_reset(&err);
	rk = kafka_producer_new("127.0.0.1:1", NULL, &err);
	unsetenv("XF_KAFKA_LINGER_MS");
	T_CHECK(rk == NULL);
	T_CHECK(strstr(err.buf, "linger.ms") != NULL);
	kafka_producer_close(rk, 0);
	sbuf_reset(&err);
	rk = kafka_producer_new("127.0.0.1:1", NULL, &err);
	unsetenv("XF_KAFKA_BROKERS");
	T_CHECK(rk != NULL);
	T_STREQ(err.buf, "");
	kafka_producer_close(rk, 0);
	sbuf_release(&err);
}

/* A consumer's statistics (librdkafka STATISTICS.md, trimmed) become gauges. */
static void t_stats_gauges(void)
{
	static const char stats[] =
		"{\"name\": \"rdkafka#consumer-2\", \"type\": \"consumer\", \"msg_cnt\": 7,"
		" \"replyq\": 1,"
		" \"brokers\": {"
		"  \"GroupCoordinator\": {\"nodeid\": -1, \"state\": \"UP\", \"rtt\": {\"avg\": 9, \"cnt\": 3}},"
		"  \"127.0.0.1:9092/1\": {\"nodeid\": 1, \"state\": \"UP\", \"rtt\": {\"avg\": 2500, \"cnt\": 12}},"
		"  \"127.0.0.1:9093/2\": {\"nodeid\": 2, \"state\": \"DOWN\", \"rtt\": {\"avg\": 0, \"cnt\": 0}}},"
		" \"topics\": {\"hotline.events\": {\"partitions\": {"
		"  \"0\": {\"consumer_lag\": 42}, \"1\": {\"consumer_lag\": -1},"
		"  \"-1\": {\"consumer_lag\": 5}}}}}";
	struct metrics *m = metrics_new();
	struct sbuf out = SBUF_INIT;

	kafka_stats_apply(m, stats);
	kafka_stats_apply(m, "not json"); /* ignored */
	metrics_render(m, &out);
	T_CHECK(strstr(out.buf,
		       "xf_kafka_consumer_lag{topic=\"hotline.events\",partition=\"0\"} 42\n") !=
		NULL);
	T_CHECK(strstr(out.buf, "partition=\"1\"") == NULL);  /* not consumed: no figure */
	T_CHECK(strstr(out.buf, "partition=\"-1\"") == NULL); /* the internal partition */
	T_CHECK(strstr(out.buf, "xf_kafka_broker_rtt_seconds{handle=\"rdkafka#consumer-2\","
				"broker=\"127.0.0.1:9092/1\"} 0.0025\n") != NULL);
	T_CHECK(strstr(out.buf, "GroupCoordinator") == NULL);
	T_CHECK(strstr(out.buf, "xf_kafka_queue_messages{handle=\"rdkafka#consumer-2\"} 7\n") !=
		NULL);
	T_CHECK(strstr(out.buf, "xf_kafka_replyq{handle=\"rdkafka#consumer-2\"} 1\n") != NULL);
	T_INTEQ(kafka_stats_brokers_up(stats), 1);
	T_INTEQ(kafka_stats_brokers_up("{}"), 0);
	sbuf_release(&out);
	metrics_free(m);
}

/* clang-format off */
T_SUITE(kafka,
	{ "produce", t_produce },
	{ "produce_too_big", t_produce_too_big },
	{ "consume_commit", t_consume_commit },
	{ "retriable_errors", t_retriable_errors },
	{ "permanent_error", t_permanent_error },
	{ "broker_outage", t_broker_outage },
	{ "acks_wait_timeout", t_acks_wait_timeout },
	{ "env_passthrough", t_env_passthrough },
	{ "env_overrides_defaults", t_env_overrides_defaults },
	{ "env_bad_property", t_env_bad_property },
	{ "env_guards", t_env_guards },
	{ "stats_gauges", t_stats_gauges })
/* clang-format on */
