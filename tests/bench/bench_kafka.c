/*
 * bench_kafka.c - the broker side of make bench (tests/bench.sh).
 *
 *   bench-kafka create PARTITIONS TOPIC...
 *       creates the topics (existing ones are fine).
 *   bench-kafka clear PREFIX...
 *       deletes every record of every topic whose name starts with one of
 *       the prefixes (DeleteRecords up to the end), so that a new consumer
 *       group of the next run starts where this one ends.
 *   bench-kafka produce TOPIC FILE [RATE]
 *       publishes FILE's lines "KEY<TAB>VALUE" in order, RATE per second
 *       (0 or absent: as fast as the client goes), and waits for the acks.
 *   bench-kafka collect IN OUT-PREFIX COUNT IDLE-S MAX-S [lead]
 *       reads topic IN and the topics named OUT-PREFIX* from their start
 *       until each of the COUNT ids "<tag>-<i>" (i = 0..COUNT-1) has been
 *       seen on IN (the Kafka key) and on the outputs (the key, or with
 *       "lead" the petition.external_id of assignments whose role is lead),
 *       until no new output came for IDLE-S seconds (exit 1: something is
 *       stuck), or until MAX-S seconds after it started (exit 3: the flow
 *       is slower than the bench waits for; the figures are partial).
 *       Prints one JSON object: counts, first input and last output
 *       timestamps (ms), the throughput between them, and the per-id
 *       latency from the input's timestamp to its first output's (p50,
 *       p99, max, ms); in a partial run an id without output counts with
 *       its wait so far, so the percentiles are lower bounds.
 *
 * The broker is XF_KAFKA_BROKERS; XF_KAFKA_* properties apply (kafka.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cfg.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#define ADMIN_TIMEOUT_MS 30000

static int fail(const char *what, struct sbuf *err)
{
	fprintf(stderr, "bench-kafka: %s: %s\n", what, err->buf);
	return 1;
}

static int cmd_create(rd_kafka_t *rk, int argc, char **argv, struct sbuf *err)
{
	if (argc < 2)
		return 2;
	if (kafka_topics_create(rk, (const char *const *)argv + 1, (size_t)argc - 1, atoi(argv[0]),
				ADMIN_TIMEOUT_MS, err))
		return fail("create", err);
	return 0;
}

static int has_prefix(const char *topic, int n, char **prefixes)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(topic, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* Every partition of the topics named by the prefixes, at offset `at`. */
static rd_kafka_topic_partition_list_t *partitions(rd_kafka_t *rk, int n, char **prefixes,
						   int64_t at, struct sbuf *err)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t rc = rd_kafka_metadata(rk, 1, NULL, &md, ADMIN_TIMEOUT_MS);

	if (rc) {
		sbuf_addf(err, "metadata: %s", rd_kafka_err2str(rc));
		return NULL;
	}
	list = rd_kafka_topic_partition_list_new(64);
	for (int t = 0; t < md->topic_cnt; t++) {
		if (!has_prefix(md->topics[t].topic, n, prefixes))
			continue;
		for (int p = 0; p < md->topics[t].partition_cnt; p++)
			rd_kafka_topic_partition_list_add(list, md->topics[t].topic,
							  md->topics[t].partitions[p].id)
				->offset = at;
	}
	rd_kafka_metadata_destroy(md);
	return list;
}

static int delete_result(rd_kafka_event_t *ev, struct sbuf *err)
{
	const rd_kafka_topic_partition_list_t *res;

	if (rd_kafka_event_error(ev)) {
		sbuf_addf(err, "%s", rd_kafka_event_error_string(ev));
		return -1;
	}
	res = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
	for (int i = 0; res && i < res->cnt; i++)
		if (res->elems[i].err) {
			sbuf_addf(err, "%s [%d]: %s", res->elems[i].topic,
				  (int)res->elems[i].partition,
				  rd_kafka_err2str(res->elems[i].err));
			return -1;
		}
	return 0;
}

static int cmd_clear(rd_kafka_t *rk, int argc, char **argv, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *list = partitions(rk, argc, argv, RD_KAFKA_OFFSET_END,
							   err);
	rd_kafka_DeleteRecords_t *del;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	int rc, n;

	if (!list)
		return fail("clear", err);
	n = list->cnt;
	if (!list->cnt) {
		rd_kafka_topic_partition_list_destroy(list);
		return 0;
	}
	del = rd_kafka_DeleteRecords_new(list);
	q = rd_kafka_queue_new(rk);
	rd_kafka_DeleteRecords(rk, &del, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, ADMIN_TIMEOUT_MS + 5000);
	if (!ev)
		sbuf_adds(err, "no answer");
	rc = ev ? delete_result(ev, err) : -1;
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_DeleteRecords_destroy(del);
	rd_kafka_queue_destroy(q);
	rd_kafka_topic_partition_list_destroy(list);
	if (!rc)
		printf("cleared %d partitions\n", n);
	return rc ? fail("clear", err) : 0;
}

/* Waits until the next message's time, serving delivery reports. */
/* Waits until `at` (ms), serving rk meanwhile; sleeps under a millisecond
 * rather than spinning, so that the offered load does not take a core. */
static void pace(rd_kafka_t *rk, double at)
{
	double left;

	while ((left = at - now_ms()) > 0) {
		if (left >= 1) {
			rd_kafka_poll(rk, (int)left);
		} else {
			struct timespec ts = { 0, (long)(left * 1e6) };

			nanosleep(&ts, NULL);
		}
	}
}

static int cmd_produce(rd_kafka_t *rk, int argc, char **argv, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	FILE *f = argc >= 2 ? fopen(argv[1], "r") : NULL;
	double rate = argc >= 3 ? atof(argv[2]) : 0, t0 = now_ms();
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;
	long n = 0;
	int rc = 0;

	if (argc < 2 || !f) {
		fprintf(stderr, "bench-kafka: produce: cannot read %s\n", argc >= 2 ? argv[1] : "");
		return 2;
	}
	while (!rc && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!(tab = strchr(line, '\t')))
			continue;
		if (rate > 0)
			pace(rk, t0 + 1000.0 * (double)n / rate);
		rc = kafka_produce(rk, argv[0], line, (size_t)(tab - line), tab + 1,
				   (size_t)(len - (tab + 1 - line)), NULL, 0, &acks, err);
		n++;
		rd_kafka_poll(rk, 0);
	}
	free(line);
	fclose(f);
	if (kafka_acks_wait(rk, &acks, 120000, rc ? NULL : err))
		rc = -1;
	fprintf(stderr, "bench-kafka: produced %ld messages in %.2f s\n", n,
		(now_ms() - t0) / 1000);
	return rc ? fail("produce", err) : 0;
}

/* What collect has seen: per id, the input's and the first output's time. */
struct seen {
	long count, inputs, outputs, distinct;
	int64_t stopped_ms; /* when a partial run stopped, else 0 */
	int64_t *in_ms, *out_ms;
	int lead;
	const char *in_topic;
};

/* The index of id "<tag>-<i>", or -1. */
static long id_index(const char *id, size_t len, long count)
{
	char buf[128];
	const char *dash;
	char *end;
	long i;

	if (!id || len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, id, len);
	buf[len] = '\0';
	if (!(dash = strrchr(buf, '-')))
		return -1;
	i = strtol(dash + 1, &end, 10);
	return *end || i < 0 || i >= count ? -1 : i;
}

/* The id an output stands for: its key, or a lead assignment's petition. */
static long output_index(struct seen *s, const rd_kafka_message_t *rkm)
{
	json_t *j;
	const char *role, *ext;
	long i;

	if (!s->lead)
		return id_index(rkm->key, rkm->key_len, s->count);
	j = json_loadb(rkm->payload, rkm->len, 0, NULL);
	role = json_string_value(json_object_get(j, "role"));
	ext = json_string_value(json_object_get(json_object_get(j, "petition"), "external_id"));
	i = role && !strcmp(role, "lead") && ext ? id_index(ext, strlen(ext), s->count) : -1;
	json_decref(j);
	return i;
}

/* Notes one message; 1 when it is an id's first output. */
static int seen_add(struct seen *s, const rd_kafka_message_t *rkm)
{
	int64_t ts = rd_kafka_message_timestamp(rkm, NULL);
	long i;

	if (!strcmp(rd_kafka_topic_name(rkm->rkt), s->in_topic)) {
		i = id_index(rkm->key, rkm->key_len, s->count);
		if (i >= 0 && !s->in_ms[i]) {
			s->in_ms[i] = ts;
			s->inputs++;
		}
		return 0;
	}
	if ((i = output_index(s, rkm)) < 0)
		return 0;
	s->outputs++;
	if (s->out_ms[i])
		return 0;
	s->out_ms[i] = ts;
	s->distinct++;
	return 1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The latencies, sorted; an id without output counts its wait until stopped_ms. */
static int64_t *latencies(const struct seen *s, long *m)
{
	int64_t *lat = calloc((size_t)s->count + 1, sizeof *lat);

	*m = 0;
	for (long i = 0; i < s->count; i++) {
		if (s->in_ms[i] && s->out_ms[i])
			lat[(*m)++] = s->out_ms[i] - s->in_ms[i];
		else if (s->in_ms[i] && s->stopped_ms)
			lat[(*m)++] = s->stopped_ms - s->in_ms[i];
	}
	qsort(lat, (size_t)*m, sizeof *lat, cmp_i64);
	return lat;
}

static void seen_report(const struct seen *s)
{
	int64_t first_in = 0, last_out = 0, *lat;
	long m;
	double secs;

	for (long i = 0; i < s->count; i++) {
		if (s->in_ms[i] && (!first_in || s->in_ms[i] < first_in))
			first_in = s->in_ms[i];
		if (s->out_ms[i] > last_out)
			last_out = s->out_ms[i];
	}
	lat = latencies(s, &m);
	secs = (double)(last_out - first_in) / 1000.0;
	printf("{\"count\": %ld, \"inputs\": %ld, \"outputs\": %ld, \"distinct\": %ld,"
	       " \"missing\": %ld, \"partial\": %s, \"first_in_ms\": %lld,"
	       " \"last_out_ms\": %lld, \"seconds\": %.3f, \"per_second\": %.1f,"
	       " \"latency_ms\": {\"p50\": %lld, \"p99\": %lld, \"max\": %lld}}\n",
	       s->count, s->inputs, s->outputs, s->distinct, s->count - s->distinct,
	       s->stopped_ms ? "true" : "false", (long long)first_in, (long long)last_out, secs,
	       secs > 0 ? (double)s->distinct / secs : 0.0,
	       (long long)(m ? lat[(size_t)(0.50 * (double)(m - 1))] : 0),
	       (long long)(m ? lat[(size_t)(0.99 * (double)(m - 1))] : 0),
	       (long long)(m ? lat[m - 1] : 0));
	free(lat);
}

/* The wall clock in ms since the epoch, as Kafka timestamps are. */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads until done, stuck (idle_ms without a new output) or past max_ms. */
static void collect_loop(rd_kafka_t *rk, struct seen *s, double idle_ms, double max_ms)
{
	double start = now_ms(), last_new = start, last_note = start;

	while ((s->distinct < s->count || s->inputs < s->count) && now_ms() - last_new < idle_ms) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

		if (rkm && !rkm->err && seen_add(s, rkm))
			last_new = now_ms();
		if (rkm)
			rd_kafka_message_destroy(rkm);
		if (now_ms() - last_note > 10000) {
			fprintf(stderr, "bench-kafka: %ld of %ld in, %ld out\n", s->inputs,
				s->count, s->distinct);
			last_note = now_ms();
		}
		if (now_ms() - start > max_ms) {
			s->stopped_ms = wall_ms();
			break;
		}
	}
}

static int cmd_collect(const struct xf_conf *conf, int argc, char **argv, struct sbuf *err)
{
	struct seen s = { 0 };
	char group[64], *prefixes[2];
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_t *rk;
	rd_kafka_resp_err_t rc;

	if (argc < 5 || (s.count = atol(argv[2])) <= 0)
		return 2;
	s.in_topic = prefixes[0] = argv[0];
	prefixes[1] = argv[1];
	s.lead = argc >= 6 && !strcmp(argv[5], "lead");
	s.in_ms = calloc((size_t)s.count, sizeof *s.in_ms);
	s.out_ms = calloc((size_t)s.count, sizeof *s.out_ms);
	snprintf(group, sizeof group, "bench-collect-%ld", (long)getpid());
	rk = kafka_consumer_new(conf->brokers, group, (const char *const[]){ NULL }, NULL, err);
	list = rk ? partitions(rk, 2, prefixes, RD_KAFKA_OFFSET_BEGINNING, err) : NULL;
	if (!list)
		return fail("collect", err);
	if ((rc = rd_kafka_assign(rk, list))) {
		sbuf_addf(err, "assign: %s", rd_kafka_err2str(rc));
		return fail("collect", err);
	}
	rd_kafka_topic_partition_list_destroy(list);
	collect_loop(rk, &s, atof(argv[3]) * 1000, atof(argv[4]) * 1000);
	seen_report(&s);
	kafka_consumer_close(rk);
	free(s.in_ms);
	free(s.out_ms);
	return s.distinct == s.count ? 0 : s.stopped_ms ? 3 : 1;
}

int main(int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct xf_conf conf;
	rd_kafka_t *rk = NULL;
	int rc = 2;

	log_init("bench-kafka", LOG_WARN);
	if (argc < 2 || cfg_load(&conf, "off", &err))
		goto usage;
	if (!strcmp(argv[1], "collect")) {
		rc = cmd_collect(&conf, argc - 2, argv + 2, &err);
		goto usage;
	}
	if (!(rk = kafka_producer_new(conf.brokers, NULL, &err)))
		return fail("producer", &err);
	if (!strcmp(argv[1], "create"))
		rc = cmd_create(rk, argc - 2, argv + 2, &err);
	else if (!strcmp(argv[1], "clear"))
		rc = cmd_clear(rk, argc - 2, argv + 2, &err);
	else if (!strcmp(argv[1], "produce"))
		rc = cmd_produce(rk, argc - 2, argv + 2, &err);
	kafka_producer_close(rk, 10000);
usage:
	if (rc == 2)
		fprintf(stderr, "usage: bench-kafka create|clear|produce|collect ...%s%s\n",
			err.len ? "\n" : "", err.buf);
	sbuf_release(&err);
	return rc;
}
