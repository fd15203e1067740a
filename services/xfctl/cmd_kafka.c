/* cmd_kafka.c - xfctl lag, topics create, publish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "pg.h"
#include "xfctl.h"

const char *const xfctl_core_topics[] = {
	"hotline.events", "petition.received", "petition.receipts", "petition.dlq",
	"petition.classified", "case.events", "department.feedback", NULL,
};

/* Our consumer groups (after XF_GROUP_PREFIX-) and what each reads. */
static const struct group { const char *suffix, *topic; } groups[] = {
	{ "intake", "hotline.events" },
	{ "classify", "petition.received" },
	{ "dispatch", "petition.classified" },
};

int xfctl_create_topics(struct xfctl *x, const char *const *topics, size_t n)
{
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = kafka_producer_new(x->conf.brokers, NULL, &err);
	int rc = rk ? kafka_topics_create(rk, topics, n, 4, 15000, &err) : -1;

	if (rc)
		fprintf(stderr, "xfctl: topics not created: %s\n", err.buf);
	else
		printf("topics ready: %zu\n", n);
	if (rk)
		rd_kafka_destroy(rk);
	sbuf_release(&err);
	return rc;
}

int cmd_topics(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	const char *topics[64];
	size_t n = 0;
	PGresult *res;
	int rc;

	if (argc != 1 || strcmp(argv[0], "create"))
		return -1;
	while (xfctl_core_topics[n])
		topics[n] = xfctl_core_topics[n], n++;
	res = xfctl_db(x) ? pg_query(x->conn, "SELECT 'assignments.' || code FROM departments"
				     " ORDER BY code LIMIT 56", 0, NULL, &err) : NULL;
	for (int i = 0; res && i < PQntuples(res); i++)
		topics[n++] = PQgetvalue(res, i, 0);
	rc = xfctl_create_topics(x, topics, n);
	PQclear(res);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

/* Lag of one group on one topic, a line per partition. */
static int lag_group(struct xfctl *x, const char *group, const char *topic,
		     struct sbuf *err)
{
	const char *none[] = { NULL };
	rd_kafka_t *rk = kafka_consumer_new(x->conf.brokers, group, none, NULL, err);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_topic_t *rkt;

	if (!rk)
		return -1;
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
	    md->topics[0].err) {
		sbuf_addf(err, "no metadata for %s", topic);
		goto out;
	}
	list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int p = 0; p < md->topics[0].partition_cnt; p++)
		rd_kafka_topic_partition_list_add(list, topic, md->topics[0].partitions[p].id);
	if (rd_kafka_committed(rk, list, 10000))
		sbuf_addf(err, "committed offsets of %s unavailable", group);
	for (int p = 0; !err->len && p < list->cnt; p++) {
		int64_t lo = 0, hi = 0, c = list->elems[p].offset;

		rd_kafka_query_watermark_offsets(rk, topic, list->elems[p].partition, &lo, &hi, 10000);
		printf("%-16s %-22s %9d %12lld %12lld %10lld\n", group, topic,
		       list->elems[p].partition, (long long)c, (long long)hi,
		       (long long)(c >= 0 ? hi - c : hi - lo));
	}
	rd_kafka_topic_partition_list_destroy(list);
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return err->len ? -1 : 0;
}

int cmd_lag(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	char group[128];
	int rc = 0;

	(void)argv;
	if (argc)
		return -1;
	printf("%-16s %-22s %9s %12s %12s %10s\n", "group", "topic", "partition",
	       "committed", "end", "lag");
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		snprintf(group, sizeof group, "%s-%s", x->conf.group_prefix, groups[i].suffix);
		if (lag_group(x, group, groups[i].topic, &err)) {
			fprintf(stderr, "xfctl: lag %s: %s\n", group, err.buf);
			sbuf_reset(&err);
			rc = 1;
		}
	}
	sbuf_release(&err);
	return rc;
}

/* The key of a message: the event's external_id, else its case_id, else none. */
static const char *message_key(json_t *j)
{
	const char *k = json_string_value(json_object_get(j, "external_id"));

	return k ? k : json_string_value(json_object_get(j, "case_id"));
}

int cmd_publish(struct xfctl *x, int argc, char **argv)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	struct sbuf err = SBUF_INIT, line = SBUF_INIT;
	FILE *f = argc == 2 ? (strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin) : NULL;
	rd_kafka_t *rk;
	int c, rc = 0;

	if (argc != 2)
		return -1;
	if (!f || !(rk = kafka_producer_new(x->conf.brokers, NULL, &err))) {
		if (f && f != stdin)
			fclose(f);
		return xfctl_fail(argv[1], &err);
	}
	while (!rc && (c = getc(f)) != EOF) {
		if (c != '\n') {
			sbuf_addch(&line, (char)c);
			continue;
		}
		json_t *j = json_loadb(line.buf, line.len, 0, NULL);
		const char *key = message_key(j);

		if (line.len)
			rc = kafka_produce(rk, argv[0], key, key ? strlen(key) : 0, line.buf,
					   line.len, NULL, 0, &acks, &err);
		json_decref(j);
		sbuf_reset(&line);
	}
	if (!rc)
		rc = kafka_acks_wait(rk, &acks, 60000, &err);
	printf("published %ld of %ld messages to %s\n", acks.done - acks.failed, acks.sent, argv[0]);
	kafka_producer_close(rk, 10000);
	if (f != stdin)
		fclose(f);
	sbuf_release(&line);
	return rc ? xfctl_fail("publish", &err) : 0;
}
