/*
 * passthrough.c - the ceiling of make bench: one hop that does what a
 * daemon's loop does around its work, and no work. It consumes a batch
 * (XF_BATCH_MAX, XF_BATCH_WAIT_MS, as the daemons read them), produces each
 * message unchanged (key and value) to the next topic, waits for the
 * broker's acknowledgements, then commits the batch; with the handles and
 * librdkafka settings of common/kafka.c, like the daemons.
 *
 *   xf-passthrough IN OUT GROUP [READY-FILE]
 *
 * READY-FILE is created once the consumer holds partitions. Runs until
 * SIGINT/SIGTERM; exits 1 if the broker does not acknowledge a batch.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "kafka.h"
#include "log.h"
#include "svc.h"

static volatile sig_atomic_t stop;

struct hop {
	const char *out;
	rd_kafka_t *consumer, *producer;
	struct kafka_health health;
	rd_kafka_message_t **msgs;
	size_t max;
	int wait_ms;
};

/* Forwards one batch; 0 when it is acknowledged and committed. */
static int hop_batch(struct hop *h, size_t n, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = kafka_produce(h->producer, h->out, h->msgs[i]->key, h->msgs[i]->key_len,
				   h->msgs[i]->payload, h->msgs[i]->len, NULL, 0, &acks, err);
	if (kafka_acks_wait(h->producer, &acks, 120000, rc ? NULL : err))
		rc = -1;
	if (!rc && kafka_commit_batch(h->consumer, h->msgs, n, err))
		log_warn("commit_failed", LOG_S("error", err->buf), LOG_END);
	return rc;
}

static void touch(const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f)
		fclose(f);
}

static int hop_run(struct hop *h, const char *ready_file)
{
	struct sbuf err = SBUF_INIT;
	int rc = 0, ready = 0;

	while (!stop && !h->health.fatal && !rc) {
		size_t n = kafka_poll_batch(h->consumer, h->msgs, h->max, 0, h->wait_ms);

		if (!ready && h->health.assigned > 0) {
			touch(ready_file);
			ready = 1;
		}
		rd_kafka_poll(h->producer, 0);
		if (n && (rc = hop_batch(h, n, &err)))
			log_error("batch_failed", LOG_S("error", err.buf), LOG_END);
		kafka_batch_release(h->msgs, n);
		sbuf_reset(&err);
	}
	sbuf_release(&err);
	return rc || h->health.fatal ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct xf_conf conf;
	struct hop h = { 0 };
	int rc = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: xf-passthrough IN OUT GROUP [READY-FILE]\n");
		return 2;
	}
	svc_signals(&stop);
	log_init("xf-passthrough", LOG_INFO);
	if (cfg_load(&conf, "off", &err))
		goto out;
	h.out = argv[2];
	h.max = (size_t)conf.batch_max;
	h.wait_ms = (int)conf.batch_wait_ms;
	h.msgs = calloc(h.max, sizeof *h.msgs);
	h.producer = kafka_producer_new(conf.brokers, &h.health, &err);
	if (h.msgs && h.producer)
		h.consumer = kafka_consumer_new(conf.brokers, argv[3],
						(const char *const[]){ argv[1], NULL }, &h.health,
						&err);
	if (h.consumer)
		rc = hop_run(&h, argc == 5 ? argv[4] : NULL) ? 1 : 0;
out:
	if (err.len)
		log_error("passthrough_failed", LOG_S("error", err.buf), LOG_END);
	kafka_consumer_close(h.consumer);
	kafka_producer_close(h.producer, 10000);
	free(h.msgs);
	sbuf_release(&err);
	return rc;
}
