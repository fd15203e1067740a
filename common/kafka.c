/* kafka.c - see kafka.h. */
#include "kafka.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "metrics.h"
#include "util.h"
#include "xalloc.h"

extern char **environ;

static void kafka_error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
	struct kafka_health *health = opaque;
	rd_kafka_resp_err_t err = (rd_kafka_resp_err_t)code;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[512];

		rd_kafka_fatal_error(rk, why, sizeof why);
		log_error("kafka_fatal", LOG_S("handle", rd_kafka_name(rk)), LOG_S("reason", why),
			  LOG_END);
		if (health)
			health->fatal = 1;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && health)
		health->brokers_up = 0;
	log_warn("kafka_error", LOG_S("handle", rd_kafka_name(rk)),
		 LOG_S("err", rd_kafka_err2name(err)), LOG_S("reason", reason), LOG_END);
}

/* librdkafka's own log lines join ours (syslog levels: 3 error .. 7 debug). */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	enum log_level lv = level <= 3   ? LOG_ERROR
			    : level == 4 ? LOG_WARN
			    : level <= 6 ? LOG_INFO
					 : LOG_DEBUG;

	log_at(lv, "rdkafka", LOG_S("handle", rd_kafka_name(rk)), LOG_S("fac", fac),
	       LOG_S("msg", buf), LOG_END);
}

static void kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct kafka_acks *acks = rkm->_private;

	(void)rk;
	(void)opaque;
	if (!acks)
		return;
	acks->done++;
	if (rkm->err) {
		if (!acks->failed++)
			acks->first_err = rkm->err;
		log_warn("kafka_delivery_failed", LOG_S("topic", rd_kafka_topic_name(rkm->rkt)),
			 LOG_S("err", rd_kafka_err2name(rkm->err)), LOG_END);
	}
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *val, struct sbuf *err)
{
	char why[512];

	if (rd_kafka_conf_set(conf, name, val, why, sizeof why) == RD_KAFKA_CONF_OK)
		return 0;
	sbuf_addf(err, "kafka property %s: %s", name, why);
	return -1;
}

/* XF_KAFKA_SASL_MECHANISM -> sasl.mechanism */
static void env_to_prop(const char *name, size_t len, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; i < len && i + 1 < outsz; i++)
		out[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
	out[i] = '\0';
}

static int conf_from_env(rd_kafka_conf_t *conf, struct sbuf *err)
{
	static const char prefix[] = "XF_KAFKA_";

	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		char prop[256];

		if (strncmp(*e, prefix, sizeof prefix - 1) || !eq ||
		    !strncmp(*e, "XF_KAFKA_BROKERS=", 17))
			continue;
		env_to_prop(*e + sizeof prefix - 1, (size_t)(eq - *e) - (sizeof prefix - 1), prop,
			    sizeof prop);
		if (conf_set(conf, prop, eq + 1, err))
			return -1;
	}
	return 0;
}

/*
 * Properties an XF_KAFKA_* override must not change: each would silently
 * break at-least-once delivery. value is what the programs set (NULL: unset).
 */
static const struct kafka_guard {
	const char *prop, *value, *why;
} guards[] = {
	{ "enable.auto.commit", "false",
	  "offsets must be committed only after a batch's "
	  "outputs are acknowledged" },
	{ "group.id", "xf-guard",
	  "the groups are <XF_GROUP_PREFIX>-<daemon>; set XF_GROUP_PREFIX" },
	{ "auto.offset.reset", "earliest",
	  "a new group must start at the earliest offset, "
	  "or events waiting in the topic are skipped" },
	{ "enable.idempotence", "true", "the producer must be idempotent" },
	{ "acks", "all", "outputs must be acknowledged by every in-sync replica" },
	{ "transactional.id", NULL, "the programs do not use Kafka transactions" },
};

#define NGUARDS (sizeof guards / sizeof guards[0])

static void guard_value(const rd_kafka_conf_t *conf, const char *prop, char out[64])
{
	size_t n = 64;

	if (rd_kafka_conf_get(conf, prop, out, &n) != RD_KAFKA_CONF_OK)
		out[0] = '\0';
}

/* Appends to err (and counts) the guarded properties env_var=val changes. */
static int guard_check(const rd_kafka_conf_t *base, char (*want)[64], const char *prop,
		       const char *env, struct sbuf *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_dup(base);
	const char *val = strchr(env, '=') + 1;
	char why[256], got[64];
	int bad = 0;

	if (rd_kafka_conf_set(conf, prop, val, why, sizeof why) == RD_KAFKA_CONF_OK) {
		for (size_t i = 0; i < NGUARDS; i++) {
			guard_value(conf, guards[i].prop, got);
			if (!strcmp(got, want[i]))
				continue;
			sbuf_addf(err,
				  "%s%.*s is refused: it changes %s, which would break "
				  "at-least-once delivery (%s)",
				  err && err->len ? "; " : "", (int)(val - env - 1), env,
				  guards[i].prop, guards[i].why);
			bad++;
		}
	}
	rd_kafka_conf_destroy(conf);
	return bad;
}

int kafka_check_env(struct sbuf *err)
{
	static const char prefix[] = "XF_KAFKA_";
	rd_kafka_conf_t *base = rd_kafka_conf_new();
	char want[NGUARDS][64], prop[256], why[256];
	int bad = 0;

	for (size_t i = 0; i < NGUARDS; i++)
		if (guards[i].value)
			rd_kafka_conf_set(base, guards[i].prop, guards[i].value, why, sizeof why);
	for (size_t i = 0; i < NGUARDS; i++)
		guard_value(base, guards[i].prop, want[i]);
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');

		if (strncmp(*e, prefix, sizeof prefix - 1) || !eq ||
		    !strncmp(*e, "XF_KAFKA_BROKERS=", 17))
			continue;
		env_to_prop(*e + sizeof prefix - 1, (size_t)(eq - *e) - (sizeof prefix - 1), prop,
			    sizeof prop);
		bad += guard_check(base, want, prop, *e, err);
	}
	rd_kafka_conf_destroy(base);
	return bad ? -1 : 0;
}

static void stats_gauge(struct metrics *m, const char *name, const char *help, const char *labels,
			double v)
{
	metrics_set(metrics_get(m, name, help, METRICS_GAUGE, labels), v);
}

/* Per-partition consumer lag of a consumer's statistics. */
static void stats_topics(struct metrics *m, json_t *topics)
{
	const char *topic, *part;
	json_t *t, *p;
	char labels[256];

	json_object_foreach(topics, topic, t)
	{
		json_object_foreach(json_object_get(t, "partitions"), part, p)
		{
			json_int_t lag = json_integer_value(json_object_get(p, "consumer_lag"));

			if (atoi(part) < 0 ||
			    !json_is_integer(json_object_get(p, "consumer_lag")) || lag < 0)
				continue; /* the internal UA partition, or not consumed */
			snprintf(labels, sizeof labels, "topic=\"%s\",partition=\"%s\"", topic,
				 part);
			stats_gauge(m, "xf_kafka_consumer_lag",
				    "Messages behind the log end, per partition (librdkafka)",
				    labels, (double)lag);
		}
	}
}

/* The gauges of one parsed statistics document. */
static void stats_gauges(struct metrics *m, json_t *st)
{
	const char *handle = json_string_value(json_object_get(st, "name"));
	const char *broker;
	char labels[256];
	json_t *b;

	if (!handle)
		return;
	snprintf(labels, sizeof labels, "handle=\"%s\"", handle);
	stats_gauge(m, "xf_kafka_queue_messages", "Messages waiting in the client (librdkafka)",
		    labels, (double)json_integer_value(json_object_get(st, "msg_cnt")));
	stats_gauge(m, "xf_kafka_replyq", "Requests waiting for a broker reply (librdkafka)",
		    labels, (double)json_integer_value(json_object_get(st, "replyq")));
	json_object_foreach(json_object_get(st, "brokers"), broker, b)
	{
		json_t *rtt = json_object_get(b, "rtt");

		if (json_integer_value(json_object_get(b, "nodeid")) < 0 ||
		    json_integer_value(json_object_get(rtt, "cnt")) <= 0)
			continue; /* bootstrap entries and idle connections */
		snprintf(labels, sizeof labels, "handle=\"%s\",broker=\"%s\"", handle, broker);
		stats_gauge(m, "xf_kafka_broker_rtt_seconds",
			    "Average broker round trip time (librdkafka)", labels,
			    (double)json_integer_value(json_object_get(rtt, "avg")) / 1e6);
	}
	if (!strcmp(json_string_value(json_object_get(st, "type"))
			    ? json_string_value(json_object_get(st, "type"))
			    : "",
		    "consumer"))
		stats_topics(m, json_object_get(st, "topics"));
}

/* The brokers of one parsed statistics document whose state is UP. */
static int stats_brokers_up(json_t *st)
{
	const char *name;
	json_t *b;
	int up = 0;

	json_object_foreach(json_object_get(st, "brokers"), name, b)
		up += json_integer_value(json_object_get(b, "nodeid")) >= 0 &&
		      !strcmp(json_string_value(json_object_get(b, "state"))
				      ? json_string_value(json_object_get(b, "state"))
				      : "",
			      "UP");
	return up;
}

void kafka_stats_apply(struct metrics *m, const char *text)
{
	json_t *st = json_loads(text, 0, NULL);

	if (st)
		stats_gauges(m, st);
	json_decref(st);
}

int kafka_stats_brokers_up(const char *text)
{
	json_t *st = json_loads(text, 0, NULL);
	int up = stats_brokers_up(st);

	json_decref(st);
	return up;
}

/* librdkafka's statistics, parsed once: gauges and readiness. */
static int kafka_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka_health *health = opaque;
	json_t *st = json_loadb(json, len, 0, NULL);

	(void)rk;
	if (health && st) {
		if (health->metrics)
			stats_gauges(health->metrics, st);
		health->brokers_up = stats_brokers_up(st);
	}
	json_decref(st);
	return 0; /* librdkafka frees json */
}

/*
 * Takes (or gives up) partitions as librdkafka's default would, noting
 * for readiness that the group was joined and how much it holds.
 */
static void kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			       rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka_health *health = opaque;
	int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	int assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
	rd_kafka_error_t *e = NULL;

	if (!assign && health && health->before_revoke)
		health->before_revoke(health->before_revoke_arg);
	if (cooperative)
		e = assign ? rd_kafka_incremental_assign(rk, parts)
			   : rd_kafka_incremental_unassign(rk, parts);
	else
		rd_kafka_assign(rk, assign ? parts : NULL);
	if (e) {
		log_warn("kafka_rebalance_failed", LOG_S("reason", rd_kafka_error_string(e)),
			 LOG_END);
		rd_kafka_error_destroy(e);
	}
	if (!health)
		return;
	if (assign && health->paused &&
	    rd_kafka_pause_partitions(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("kafka_pause_failed", LOG_I("assigned", parts->cnt), LOG_END);
	if (!assign)
		health->revokes++;
	health->joined = 1;
	if (!cooperative)
		health->assigned = assign ? parts->cnt : 0;
	else
		health->assigned += assign ? parts->cnt : -parts->cnt;
	log_info("kafka_rebalance", LOG_S("handle", rd_kafka_name(rk)),
		 LOG_I(assign ? "assigned" : "revoked", parts->cnt),
		 LOG_I("holding", health->assigned), LOG_END);
}

static rd_kafka_conf_t *conf_base(const char *brokers, struct kafka_health *health,
				  struct sbuf *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	rd_kafka_conf_set_opaque(conf, health);
	if (health && health->metrics) {
		rd_kafka_conf_set_stats_cb(conf, kafka_stats_cb);
		if (conf_set(conf, "statistics.interval.ms", KAFKA_STATS_INTERVAL_MS, err)) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	if (conf_set(conf, "bootstrap.servers", brokers, err) ||
	    conf_set(conf, "message.max.bytes", "4194304", err) || conf_from_env(conf, err)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

static rd_kafka_t *handle_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, struct sbuf *err)
{
	char why[512];
	rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof why);

	if (!rk) {
		sbuf_addf(err, "kafka: %s", why);
		rd_kafka_conf_destroy(conf);
	}
	return rk; /* on success conf now belongs to rk */
}

rd_kafka_t *kafka_producer_new(const char *brokers, struct kafka_health *health, struct sbuf *err)
{
	rd_kafka_conf_t *conf = conf_base(brokers, health, err);

	if (!conf)
		return NULL;
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr_cb);
	if (conf_set(conf, "enable.idempotence", "true", err) ||
	    conf_set(conf, "linger.ms", "5", err) ||
	    conf_from_env(conf, err)) { /* XF_KAFKA_* overrides our defaults */
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return handle_new(RD_KAFKA_PRODUCER, conf, err);
}

static int subscribe(rd_kafka_t *rk, const char *const *topics, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t rc;
	size_t n = 0;

	while (topics[n])
		n++;
	if (!n)
		return 0; /* an assign()-only consumer, or one that only commits */
	list = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
	rc = rd_kafka_subscribe(rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (rc) {
		sbuf_addf(err, "kafka subscribe: %s", rd_kafka_err2str(rc));
		return -1;
	}
	return 0;
}

rd_kafka_t *kafka_consumer_new(const char *brokers, const char *group, const char *const *topics,
			       struct kafka_health *health, struct sbuf *err)
{
	rd_kafka_conf_t *conf = conf_base(brokers, health, err);
	rd_kafka_t *rk;

	if (!conf)
		return NULL;
	rd_kafka_conf_set_rebalance_cb(conf, kafka_rebalance_cb);
	if (conf_set(conf, "group.id", group, err) ||
	    conf_set(conf, "enable.auto.commit", "false", err) ||
	    conf_set(conf, "auto.offset.reset", "earliest", err) ||
	    conf_set(conf, "session.timeout.ms", "6000", err) ||
	    conf_set(conf, "heartbeat.interval.ms", "1000", err) || conf_from_env(conf, err)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = handle_new(RD_KAFKA_CONSUMER, conf, err);
	if (!rk)
		return NULL;
	rd_kafka_poll_set_consumer(rk);
	if (subscribe(rk, topics, err)) {
		rd_kafka_destroy(rk);
		return NULL;
	}
	return rk;
}

static rd_kafka_headers_t *headers_new(const struct kafka_hdr *hdrs, size_t n)
{
	rd_kafka_headers_t *h;

	if (!n)
		return NULL;
	h = rd_kafka_headers_new(n);
	for (size_t i = 0; i < n; i++)
		rd_kafka_header_add(h, hdrs[i].name, -1, hdrs[i].value, -1);
	return h;
}

int kafka_produce(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen,
		  const void *val, size_t vallen, const struct kafka_hdr *hdrs, size_t nhdrs,
		  struct kafka_acks *acks, struct sbuf *err)
{
	return kafka_produce_headers(rk, topic, key, keylen, val, vallen, headers_new(hdrs, nhdrs),
				     acks, err);
}

int kafka_produce_headers(rd_kafka_t *rk, const char *topic, const void *key, size_t keylen,
			  const void *val, size_t vallen, rd_kafka_headers_t *h,
			  struct kafka_acks *acks, struct sbuf *err)
{
	rd_kafka_resp_err_t rc;

	for (;;) {
		rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, keylen),
				       RD_KAFKA_V_VALUE((void *)val, vallen),
				       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				       RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(acks),
				       RD_KAFKA_V_END);
		if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 100); /* make room: serve delivery reports */
	}
	if (rc) {
		if (h)
			rd_kafka_headers_destroy(h); /* not handed over on failure */
		sbuf_addf(err, "produce to %s: %s", topic, rd_kafka_err2str(rc));
		return -1;
	}
	acks->sent++; /* h now belongs to librdkafka */
	return 0;
}

int kafka_acks_wait(rd_kafka_t *rk, struct kafka_acks *acks, int timeout_ms, struct sbuf *err)
{
	double deadline = now_ms() + timeout_ms;

	while (acks->done < acks->sent && now_ms() < deadline)
		rd_kafka_poll(rk, 50);
	if (acks->done < acks->sent) {
		sbuf_addf(err, "%ld of %ld messages not acknowledged in %d ms",
			  acks->sent - acks->done, acks->sent, timeout_ms);
		return -1;
	}
	if (acks->failed) {
		sbuf_addf(err, "%ld of %ld messages failed: %s", acks->failed, acks->sent,
			  rd_kafka_err2str(acks->first_err));
		return -1;
	}
	return 0;
}

size_t kafka_poll_batch(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t max, size_t max_bytes,
			int wait_ms)
{
	double deadline = 0;
	size_t n = 0, bytes = 0;
	int timeout = wait_ms;

	while (n < max && (!max_bytes || bytes < max_bytes)) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, timeout);

		if (!rkm)
			break;
		if (rkm->err) {
			if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_warn("kafka_consume_error",
					 LOG_S("err", rd_kafka_err2name(rkm->err)),
					 LOG_S("reason", rd_kafka_message_errstr(rkm)), LOG_END);
			rd_kafka_message_destroy(rkm);
		} else {
			bytes += rkm->len + rkm->key_len;
			msgs[n++] = rkm;
		}
		if (!deadline)
			deadline = now_ms() + wait_ms; /* fill for wait_ms after the first */
		timeout = (int)(deadline - now_ms());
		if (timeout > KAFKA_BATCH_GAP_MS)
			timeout = KAFKA_BATCH_GAP_MS; /* a pause in the flow closes the batch */
		if (timeout < 0)
			timeout = 0;
	}
	return n;
}

int kafka_pause_all(rd_kafka_t *rk, struct kafka_health *health, int pause, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *own = NULL;
	rd_kafka_resp_err_t rc = rd_kafka_assignment(rk, &own);

	health->paused = pause;
	if (!rc)
		rc = pause ? rd_kafka_pause_partitions(rk, own)
			   : rd_kafka_resume_partitions(rk, own);
	if (own)
		rd_kafka_topic_partition_list_destroy(own);
	if (rc) {
		sbuf_addf(err, "%s: %s", pause ? "pause" : "resume", rd_kafka_err2str(rc));
		return -1;
	}
	return 0;
}

void kafka_poll_paused(rd_kafka_t *rk, int ms, const volatile sig_atomic_t *stop)
{
	double end = now_ms() + ms;
	int left = ms;

	do {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, left < 100 ? left : 100);
		struct sbuf err = SBUF_INIT;

		if (rkm && !rkm->err && kafka_seek_back(rk, &rkm, 1, &err))
			log_warn("kafka_seek_failed", LOG_S("error", err.buf), LOG_END);
		if (rkm)
			rd_kafka_message_destroy(rkm);
		sbuf_release(&err);
		left = (int)(end - now_ms());
	} while (left > 0 && !*stop);
}

/* The partitions of msgs the consumer holds, each at its first offset in msgs. */
static rd_kafka_topic_partition_list_t *first_offsets(rd_kafka_t *rk, rd_kafka_message_t **msgs,
						      size_t n)
{
	rd_kafka_topic_partition_list_t *own = NULL, *list;

	if (rd_kafka_assignment(rk, &own))
		return NULL;
	list = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++) {
		const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
		int32_t part = msgs[i]->partition;
		rd_kafka_topic_partition_t *tp;

		if (!rd_kafka_topic_partition_list_find(own, topic, part))
			continue; /* another member's now: it starts at the commit */
		tp = rd_kafka_topic_partition_list_find(list, topic, part);
		if (!tp)
			rd_kafka_topic_partition_list_add(list, topic, part)->offset =
				msgs[i]->offset;
		else if (msgs[i]->offset < tp->offset)
			tp->offset = msgs[i]->offset;
	}
	rd_kafka_topic_partition_list_destroy(own);
	return list;
}

int kafka_seek_back(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t n, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *list = first_offsets(rk, msgs, n);
	rd_kafka_error_t *e;
	int rc = 0;

	if (!list) {
		sbuf_adds(err, "seek: no assignment");
		return -1;
	}
	e = list->cnt ? rd_kafka_seek_partitions(rk, list, 10000) : NULL;
	for (int i = 0; !e && i < list->cnt; i++) {
		if (!list->elems[i].err)
			continue;
		sbuf_addf(err, "seek %s [%d]: %s ", list->elems[i].topic,
			  (int)list->elems[i].partition, rd_kafka_err2str(list->elems[i].err));
		rc = -1;
	}
	if (e) {
		sbuf_addf(err, "seek: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		rc = -1;
	}
	rd_kafka_topic_partition_list_destroy(list);
	return rc;
}

void kafka_batch_release(rd_kafka_message_t **msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rd_kafka_message_destroy(msgs[i]);
}

int kafka_commit_batch(rd_kafka_t *rk, rd_kafka_message_t **msgs, size_t n, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
	rd_kafka_resp_err_t rc;

	for (size_t i = 0; i < n; i++) {
		const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
		rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(
			list, topic, msgs[i]->partition);

		if (!tp)
			tp = rd_kafka_topic_partition_list_add(list, topic, msgs[i]->partition);
		if (tp->offset < msgs[i]->offset + 1)
			tp->offset = msgs[i]->offset + 1;
	}
	rc = n ? rd_kafka_commit(rk, list, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_topic_partition_list_destroy(list);
	if (rc) {
		sbuf_addf(err, "commit: %s", rd_kafka_err2str(rc));
		return -1;
	}
	return 0;
}

static int create_result(rd_kafka_event_t *ev, struct sbuf *err)
{
	const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
	const rd_kafka_topic_result_t **tr;
	size_t n = 0;
	int rc = 0;

	if (rd_kafka_event_error(ev)) {
		sbuf_addf(err, "create topics: %s", rd_kafka_event_error_string(ev));
		return -1;
	}
	tr = rd_kafka_CreateTopics_result_topics(res, &n);
	for (size_t i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

		if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			sbuf_addf(err, "%stopic %s: %s", rc ? "; " : "",
				  rd_kafka_topic_result_name(tr[i]),
				  rd_kafka_topic_result_error_string(tr[i]));
			rc = -1;
		}
	}
	return rc;
}

int kafka_topics_create(rd_kafka_t *rk, const char *const *topics, size_t n, int partitions,
			int timeout_ms, struct sbuf *err)
{
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_NewTopic_t **nt = xcalloc(n ? n : 1, sizeof *nt);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	char why[256];
	int rc;

	for (size_t i = 0; i < n; i++)
		nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, -1, why, sizeof why);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why, sizeof why);
	rd_kafka_CreateTopics(rk, nt, n, opts, q);
	ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
	if (!ev) {
		sbuf_addf(err, "create topics: no answer in %d ms", timeout_ms);
		rc = -1;
	} else {
		rc = create_result(ev, err);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_NewTopic_destroy_array(nt, n);
	rd_kafka_AdminOptions_destroy(opts);
	free(nt);
	rd_kafka_queue_destroy(q);
	return rc;
}

void kafka_consumer_close(rd_kafka_t *rk)
{
	if (!rk)
		return;
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

void kafka_producer_close(rd_kafka_t *rk, int flush_ms)
{
	if (!rk)
		return;
	if (rd_kafka_flush(rk, flush_ms))
		log_warn("kafka_flush_incomplete", LOG_I("left", rd_kafka_outq_len(rk)), LOG_END);
	rd_kafka_destroy(rk);
}
