/*
 * outbox.h - the messages a unit of work produces, held until its
 * transaction commits, then produced to Kafka; and the durable outbox
 * table for work with no input message to replay it (the deadline timer):
 * its rows are written in the work's transaction (caseops_write) and
 * published by outbox_flush().
 */
#ifndef XF_OUTBOX_H
#define XF_OUTBOX_H

#include <stddef.h>

#include <jansson.h>

#include "sbuf.h"
#include "svc.h"

struct outbox {
	struct out_msg {
		char *topic, *key, *value;
	} * v;
	size_t n, alloc;
};
/* brace initialisers in macros, which clang-format takes for blocks */
/* clang-format off */
#define OUTBOX_INIT { NULL, 0, 0 }
/* clang-format on */

/* Adds a message; topic and key are copied, value (malloc'd) is taken. */
void outbox_add(struct outbox *ob, const char *topic, const char *key, char *value);
void outbox_release(struct outbox *ob);
/* ob->v[from..n) as a JSON array of {"topic", "key", "value"} (new reference). */
json_t *outbox_json(const struct outbox *ob, size_t from);
/* Adds the messages of such an array (borrowed) to ob. */
void outbox_add_json(struct outbox *ob, json_t *arr);

/*
 * Produces every message of ob with svc's producer (acks counts them),
 * counting each on xf_messages_out_total as `what`. Returns 0, or -1 with err.
 */
int outbox_produce(struct svc *svc, const struct outbox *ob, const char *what,
		   struct kafka_acks *acks, struct sbuf *err);

/*
 * Publishes up to a page of the outbox table, waits for the broker, then
 * deletes what it published (rows are taken with SKIP LOCKED, so several
 * dispatchers can flush at once). Returns the number of rows published
 * (a full page, OUTBOX_PAGE, may have more behind it), or -1 with err.
 */
#define OUTBOX_PAGE 1000
int outbox_flush(struct svc *svc, struct sbuf *err);

#endif
