/*
 * Unit tests for common/dlq.c: the bounds of a dead letter's copy, and
 * dlq_produce against librdkafka's in-process mock cluster (the store
 * half needs PostgreSQL: tests/e2e/test_dlq.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "dlq.h"
#include "tharness.h"
#include "util.h"

static void t_value_room(void)
{
	/* a roomy producer: the contract's largest message, whole */
	T_INTEQ(dlq_value_room(4194304, 500), DLQ_VALUE_MAX);
	/* a tight one: what is left beside key, headers and framing */
	T_INTEQ(dlq_value_room(1000000, 500), 1000000 - 500 - DLQ_FRAMING);
	T_INTEQ(dlq_value_room(2000, 976), 0);
	T_INTEQ(dlq_value_room(2000, 5000), 0);
	T_INTEQ(dlq_value_room(0, 0), 0);
	T_INTEQ(dlq_value_room(-1, 0), 0);
}

static void clip(const char *s, size_t max, const char *want)
{
	struct sbuf out = SBUF_INIT;

	dlq_clip_text(&out, s, max);
	T_STREQ(out.buf, want);
	T_CHECK(out.len <= max);
	sbuf_release(&out);
}

static void t_clip_text(void)
{
	clip("region_code: not a division code", 100, "region_code: not a division code");
	clip("abcdef", 3, "abc");
	/* a character is kept whole or left out */
	clip("ab\xe4\xb8\xad\xe6\x96\x87", 4, "ab");
	clip("ab\xe4\xb8\xad\xe6\x96\x87", 5, "ab\xe4\xb8\xad");
	/* controls become spaces, bytes that are not UTF-8 '?' */
	clip("a\nb\tc\x1b[31m", 100, "a b c [31m");
	clip("\xff\xfe ok \xc0\xaf", 100, "?? ok ??");
	clip(NULL, 10, "");
}

static void t_hex(void)
{
	struct sbuf out = SBUF_INIT;

	dlq_hex(&out,
		"\x00\x7f\xff"
		"a",
		4);
	T_STREQ(out.buf, "007fff61");
	dlq_hex(&out, "", 0);
	T_INTEQ(out.len, 8);
	sbuf_release(&out);
}

/* A mock cluster with hotline.events and petition.dlq, in its own handle. */
struct mock {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	const char *brokers;
};

static int mock_start(struct mock *mk)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[256];

	rd_kafka_conf_set(conf, "log_level", "3", why, sizeof why);
	mk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
	if (!mk->rk) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	if (!(mk->mc = rd_kafka_mock_cluster_new(mk->rk, 1)))
		return -1;
	mk->brokers = rd_kafka_mock_cluster_bootstraps(mk->mc);
	return rd_kafka_mock_topic_create(mk->mc, "hotline.events", 1, 1) ||
			       rd_kafka_mock_topic_create(mk->mc, DLQ_TOPIC, 1, 1)
		       ? -1
		       : 0;
}

static void mock_stop(struct mock *mk)
{
	if (mk->mc)
		rd_kafka_mock_cluster_destroy(mk->mc);
	if (mk->rk)
		rd_kafka_destroy(mk->rk);
}

/* Produces val with producer rk to topic and waits for the ack. */
static int put(rd_kafka_t *rk, const char *topic, const char *val, size_t len)
{
	struct kafka_acks acks = { 0, 0, 0, 0 };

	return kafka_produce(rk, topic, "k1", 2, val, len, NULL, 0, &acks, NULL) ||
			       kafka_acks_wait(rk, &acks, 10000, NULL)
		       ? -1
		       : 0;
}

/* The message at offset of topic (partition 0), NULL after 10 s. */
static rd_kafka_message_t *get(const char *brokers, const char *topic, int64_t offset,
			       rd_kafka_t **consumer)
{
	const char *none[] = { NULL };
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_message_t *rkm = NULL;

	*consumer = kafka_consumer_new(brokers, "t-dlq", none, NULL, NULL);
	rd_kafka_topic_partition_list_add(list, topic, 0)->offset = offset;
	if (*consumer && !rd_kafka_assign(*consumer, list))
		for (int i = 0; i < 100 && (!rkm || rkm->err); i++) {
			if (rkm)
				rd_kafka_message_destroy(rkm);
			rkm = rd_kafka_consumer_poll(*consumer, 100);
		}
	rd_kafka_topic_partition_list_destroy(list);
	return rkm && !rkm->err ? rkm : NULL;
}

static void check_header(const rd_kafka_message_t *rkm, const char *name, const char *want)
{
	rd_kafka_headers_t *hdrs;
	const void *val = NULL;
	size_t size = 0;
	char got[128] = "";

	if (!rd_kafka_message_headers(rkm, &hdrs) &&
	    !rd_kafka_header_get_last(hdrs, name, &val, &size))
		snprintf(got, sizeof got, "%.*s", (int)size, (const char *)val);
	T_STREQ(got, want);
}

/*
 * The copy of orig (len bytes, consumed as rkm) through producer rk, the
 * copy at offset of petition.dlq, keeps lo..hi bytes.
 */
static void check_copy(const char *brokers, rd_kafka_t *rk, const rd_kafka_message_t *rkm,
		       const char *orig, size_t len, int64_t offset, size_t lo, size_t hi)
{
	struct dlq_letter dl = { "xf-test", rkm, "too_large", "larger than 1 MiB", 42, "" };
	struct kafka_acks acks = { 0, 0, 0, 0 };
	char bytes[32], sha[65];
	rd_kafka_message_t *copy;
	rd_kafka_t *c = NULL;

	sha256_hex(orig, len, dl.sha256); /* as dlq_store does */

	T_INTEQ(dlq_produce(rk, &dl, &acks, NULL), 0);
	T_INTEQ(kafka_acks_wait(rk, &acks, 10000, NULL), 0);
	if (!T_CHECK((copy = get(brokers, DLQ_TOPIC, offset, &c)) != NULL))
		goto out;
	snprintf(bytes, sizeof bytes, "%zu", len);
	sha256_hex(orig, len, sha);
	T_CHECK(copy->len >= lo && copy->len <= hi);
	T_CHECK(!memcmp(copy->payload, orig, copy->len));
	check_header(copy, "xf-original-bytes", bytes);
	check_header(copy, "xf-original-sha256", sha);
	check_header(copy, "xf-truncated", "true");
	check_header(copy, "xf-dlq-id", "42");
	check_header(copy, "xf-error-code", "too_large");
	check_header(copy, "xf-source-topic", "hotline.events");
	rd_kafka_message_destroy(copy);
out:
	kafka_consumer_close(c);
}

/*
 * A gzip-compressed 6 MiB original (as a consumer gets it, decompressed)
 * dead-lettered by a producer allowing 4 MiB: the 1 MiB prefix; by one
 * allowing 200,000 bytes: what fits beside key, headers and framing.
 */
static void t_produce_bounded(void)
{
	size_t len = 6u << 20;
	char *orig = malloc(len);
	struct mock mk = { NULL, NULL, NULL };
	rd_kafka_t *gz, *rk = NULL, *rk4 = NULL, *c = NULL;
	rd_kafka_message_t *rkm = NULL;
	const char *brokers;

	if (!T_CHECK(orig && !mock_start(&mk)))
		goto out;
	brokers = mk.brokers;
	for (size_t i = 0; i < len; i++)
		orig[i] = (char)('a' + i % 26);
	setenv("XF_KAFKA_COMPRESSION_TYPE", "gzip", 1);
	setenv("XF_KAFKA_MESSAGE_MAX_BYTES", "16777216", 1);
	gz = kafka_producer_new(brokers, NULL, NULL);
	setenv("XF_KAFKA_MESSAGE_MAX_BYTES", "200000", 1);
	rk = kafka_producer_new(brokers, NULL, NULL);
	unsetenv("XF_KAFKA_COMPRESSION_TYPE");
	unsetenv("XF_KAFKA_MESSAGE_MAX_BYTES");
	rk4 = kafka_producer_new(brokers, NULL, NULL);
	T_INTEQ(gz ? put(gz, "hotline.events", orig, len) : -1, 0);
	kafka_producer_close(gz, 5000);
	if (!T_CHECK(rk && rk4 && (rkm = get(brokers, "hotline.events", 0, &c)) && rkm->len == len))
		goto out;
	check_copy(brokers, rk4, rkm, orig, len, 0, DLQ_VALUE_MAX, DLQ_VALUE_MAX);
	check_copy(brokers, rk, rkm, orig, len, 1, 200000 - DLQ_FRAMING - 2048,
		   200000 - DLQ_FRAMING);
out:
	if (rkm)
		rd_kafka_message_destroy(rkm);
	kafka_consumer_close(c);
	kafka_producer_close(rk, 5000);
	kafka_producer_close(rk4, 5000);
	mock_stop(&mk);
	free(orig);
}

/* clang-format off */
T_SUITE(dlq, { "value_room", t_value_room }, { "clip_text", t_clip_text }, { "hex", t_hex },
	{ "produce_bounded", t_produce_bounded })
/* clang-format on */
