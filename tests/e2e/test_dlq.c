/*
 * test_dlq.c - dead letters on the real stack (issue 10, items 3 and 5).
 *
 * oversized: an event just under the broker's message.max.bytes and a
 * gzip-compressed one that expands past it are dead-lettered as bounded
 * copies (a prefix, with their size and SHA-256 in headers), PostgreSQL
 * keeps them whole, the partition moves on and /readyz stays true.
 *
 * replay: petitions for a county no department of the rule set covers are
 * dead-lettered by xf-dispatch as unroutable; once rules covering it are
 * imported, xfctl dlq replay sends them again and each becomes one case;
 * replaying them again makes no second case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlq.h"
#include "e2e.h"
#include "gen.h"
#include "kafka.h"
#include "tharness.h"
#include "util.h"

/* The broker's message.max.bytes (deploy/scripts/kafka.sh), as the producers' (common/kafka.c). */
#define BROKER_MAX 4194304

/* A valid event for region, as upstream sends it (a new string). */
static char *event(const char *ext, const char *region, size_t *len)
{
	json_t *j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
			      "schema", "xf.hotline_event.v1", "source", "system", "t12345",
			      "channel", "hotline", "external_id", ext, "occurred_at",
			      "2026-11-22T09:30:00+08:00", "region_code", region, "subject",
			      "咨询办事流程", "content", "想咨询一下办事的流程，谢谢。",
			      "petitioner", "name", GEN_NAME, "phone", GEN_PHONE);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	*len = strlen(s);
	return s;
}

/* An event of exactly len bytes whose content is one letter repeated. */
static char *big_event(size_t len)
{
	static const char head[] = "{\"schema\":\"xf.hotline_event.v1\",\"content\":\"";
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memset(s, 'x', len);
	memcpy(s, head, sizeof head - 1);
	memcpy(s + len - 2, "\"}", 2);
	s[len] = '\0';
	return s;
}

/* Waits up to s seconds for /readyz to answer want. */
static int ready_is(int port, long want, int s)
{
	struct sbuf body = SBUF_INIT;
	long got = 0;

	for (int i = 0; i < 5 * s && (got = e2e_http_get(port, "/readyz", &body)) != want; i++)
		usleep(200000);
	if (got != want)
		fprintf(stderr, "    /readyz: %ld, not %ld: %s\n", got, want, body.buf);
	sbuf_release(&body);
	return got == want;
}

struct want {
	const char *topic, *key;
	size_t n;
};

static size_t count_key(const struct e2e *t, const char *topic, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strcmp(t->msgs[i].topic, topic) && (!key || !strcmp(t->msgs[i].key, key));
	return n;
}

static int have(struct e2e *t, void *arg)
{
	const struct want *w = arg;

	return count_key(t, w->topic, w->key) >= w->n;
}

/* Header name of m equals want. */
static int header_is(const struct e2e_msg *m, const char *name, const char *want)
{
	char *v = e2e_header(m, name);
	int ok = T_STREQ(v, want);

	free(v);
	return ok;
}

/* The dead letter of original (len bytes): a prefix, with size and hash. */
static void check_copy(struct e2e *t, const struct e2e_msg *m, const char *original, size_t len)
{
	char bytes[32], sha[65], sql[256];
	char *id = e2e_header(m, "xf-dlq-id");

	snprintf(bytes, sizeof bytes, "%zu", len);
	sha256_hex(original, len, sha);
	T_CHECK(m->len <= DLQ_VALUE_MAX && m->len < len);
	T_CHECK(!memcmp(m->value, original, m->len));
	header_is(m, "xf-error-code", "too_large");
	header_is(m, "xf-truncated", "true");
	header_is(m, "xf-original-bytes", bytes);
	header_is(m, "xf-original-sha256", sha);
	if (!T_CHECK(id != NULL))
		return;
	/* PostgreSQL holds the whole original under that id */
	snprintf(sql, sizeof sql,
		 "SELECT octet_length(original) FROM dead_letters"
		 " WHERE id = %ld AND sha256 = encode(sha256(original), 'hex')"
		 " AND size = octet_length(original)",
		 atol(id));
	T_INTEQ(e2e_sql_long(t, sql), len);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dead_letters WHERE id = %ld"
		 " AND sha256 = '%s' AND source_topic = 'hotline.events'",
		 atol(id), sha);
	T_INTEQ(e2e_sql_long(t, sql), 1);
	free(id);
}

/* A producer that gzips and takes messages of up to 16 MiB before compression. */
static rd_kafka_t *gzip_producer(void)
{
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk;

	setenv("XF_KAFKA_COMPRESSION_TYPE", "gzip", 1);
	setenv("XF_KAFKA_MESSAGE_MAX_BYTES", "16777216", 1);
	rk = kafka_producer_new(getenv("XF_KAFKA_BROKERS"), NULL, &err);
	unsetenv("XF_KAFKA_COMPRESSION_TYPE");
	unsetenv("XF_KAFKA_MESSAGE_MAX_BYTES");
	if (!rk)
		fprintf(stderr, "    gzip producer: %s\n", err.buf);
	sbuf_release(&err);
	return rk;
}

static int produce_gzip(const char *key, const char *val, size_t len)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = gzip_producer();
	int rc = rk ? kafka_produce(rk, "hotline.events", key, strlen(key), val, len, NULL, 0,
				    &acks, &err)
		    : -1;

	if (!rc)
		rc = kafka_acks_wait(rk, &acks, 60000, &err);
	if (rc)
		fprintf(stderr, "    gzip produce: %s\n", err.buf);
	if (rk)
		kafka_producer_close(rk, 5000);
	sbuf_release(&err);
	return rc;
}

static void t_oversized(void)
{
	size_t near = BROKER_MAX - 128, huge = 6 * 1024 * 1024, len;
	char *a = big_event(near), *b = big_event(huge), *ok = event("dlq-after", "330381", &len);
	struct want dlq = { "petition.dlq", "dlq-big", 2 },
		    receipt = { "petition.receipts", "t12345/dlq-after", 1 };
	char addr[32];
	int port = e2e_free_port();
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "dlq_big") == 0))
		goto out;
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	T_CHECK(e2e_start_instance(&t, E2E_INTAKE, 0, addr) == 0);
	T_CHECK(ready_is(port, 200, 60));
	/* one partition (one key): the two, then a good event behind them */
	T_CHECK(e2e_produce(&t, "dlq-big", a, near) == 0 && e2e_flush(&t) == 0);
	T_CHECK(produce_gzip("dlq-big", b, huge) == 0);
	T_CHECK(e2e_produce(&t, "dlq-big", ok, len) == 0 && e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, have, &receipt, 120));
	T_CHECK(e2e_collect_until(&t, have, &dlq, 30));
	T_INTEQ(count_key(&t, "petition.dlq", "dlq-big"), 2);
	for (size_t i = 0; i < t.nmsgs; i++) {
		const struct e2e_msg *m = &t.msgs[i];
		char *bytes = e2e_header(m, "xf-original-bytes");

		if (!strcmp(m->topic, "petition.dlq"))
			check_copy(&t, m, bytes && atol(bytes) == (long)huge ? b : a,
				   bytes && atol(bytes) == (long)huge ? huge : near);
		free(bytes);
	}
	T_CHECK(ready_is(port, 200, 30));
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM dead_letters"), 2);
	T_INTEQ(e2e_stop(&t, E2E_INTAKE), 0);
	e2e_teardown(&t);
out:
	free(a);
	free(b);
	free(ok);
}

#define NREPLAY 20
#define YONGJIA "330324" /* a county only the second rule set covers */

/* Runs xfctl with args; 1 if it exits 0 and its output contains want. */
static int xfctl_says(struct e2e *t, const char *const *args, const char *want)
{
	struct sbuf out = SBUF_INIT;
	int rc = e2e_xfctl(t, &out, args);
	int ok = T_INTEQ(rc, 0) && T_CHECK(strstr(out.buf, want) != NULL);

	if (!ok)
		fprintf(stderr, "    xfctl %s %s: %s\n", args[0], args[1], out.buf);
	/* never the petition's text or the petitioner */
	T_CHECK(!strstr(out.buf, GEN_NAME) && !strstr(out.buf, GEN_PHONE) &&
		!strstr(out.buf, "咨询"));
	sbuf_release(&out);
	return ok;
}

/* Publishes NREPLAY petitions for Yongjia and waits for their dead letters. */
static void dead_letter_yongjia(struct e2e *t)
{
	struct want w = { "petition.dlq", NULL, NREPLAY };
	char ext[32];
	size_t len;

	for (int i = 0; i < NREPLAY; i++) {
		char *ev;

		snprintf(ext, sizeof ext, "dlq-yj-%d", i);
		ev = event(ext, YONGJIA, &len);
		e2e_produce(t, ext, ev, len);
		free(ev);
	}
	T_CHECK(e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, have, &w, 120));
	for (size_t i = 0; i < t->nmsgs; i++)
		if (!strcmp(t->msgs[i].topic, "petition.dlq"))
			T_STREQ(t->msgs[i].error_code, "unroutable");
	T_INTEQ(e2e_sql_long(t,
			     "SELECT count(*) FROM dead_letters WHERE reason = 'unroutable'"
			     " AND service = 'xf-dispatch' AND source_topic = 'petition.classified'"
			     " AND replayed_at IS NULL"),
		NREPLAY);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM cases"), 0);
}

static void t_replay(void)
{
	const char *list[] = { "dlq", "list", "--reason", "unroutable", NULL };
	const char *import[] = { "rules", "import", "tests/e2e/rules_dlq_after.json", NULL };
	const char *replay[] = { "dlq", "replay", "--reason", "unroutable", NULL };
	const char *again[] = { "dlq", "replay", "--reason", "unroutable", "--again", NULL };
	struct want leads = { "assignments.t-yj", NULL, NREPLAY };
	struct e2e t;

	if (!T_CHECK(e2e_setup_rules(&t, "dlq_replay", "tests/e2e/rules_dlq_before.json") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	dead_letter_yongjia(&t);
	xfctl_says(&t, list, "20 dead letters match, 20 never replayed");
	xfctl_says(&t, import, "e2e-dlq-2");
	xfctl_says(&t, replay, "20 replayed, 0 skipped");
	T_CHECK(e2e_collect_until(&t, have, &leads, 120));
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases WHERE department = 't-yj'"), NREPLAY);
	/* a second replay sends nothing; a forced one makes no second case */
	xfctl_says(&t, replay, "0 replayed, 20 skipped");
	xfctl_says(&t, again, "20 replayed, 0 skipped");
	leads.n = 2 * NREPLAY; /* xf-dispatch sends a known case's outputs again */
	T_CHECK(e2e_collect_until(&t, have, &leads, 120));
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases"), NREPLAY);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM assignments"), NREPLAY);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM dead_letters"), NREPLAY);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM dead_letters WHERE replays = 2"), NREPLAY);
	T_INTEQ(count_key(&t, "petition.dlq", NULL), NREPLAY);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_dlq, { "oversized_and_compressed", t_oversized },
	{ "replay_unroutable_once", t_replay })
/* clang-format on */
