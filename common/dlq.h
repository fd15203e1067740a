/*
 * dlq.h - dead letters: the whole original kept in PostgreSQL, and a copy
 * on petition.dlq that is always writable.
 *
 * A message a daemon gives up on is stored first in table dead_letters
 * (migration 009: key, original headers, the whole value, its size and
 * SHA-256; one row per service and source position, so a redelivery is
 * stored once), then produced to petition.dlq with its key and at most
 * DLQ_VALUE_MAX bytes of its value, fewer when the producer's
 * message.max.bytes leaves less room beside the key and headers. The
 * copy's headers: xf-error-code, xf-error (at most DLQ_ERROR_MAX bytes),
 * xf-service, xf-source-topic, xf-source-partition, xf-source-offset,
 * xf-original-bytes, xf-original-sha256, xf-dlq-id (the row's id) and,
 * when the value or the key was cut, xf-truncated: true. The size limit
 * is checked on the decompressed message, so a compressed message that
 * expands past it is cut too.
 *
 * Originals hold personal data: the table is the place for it; nothing
 * here logs any of it.
 */
#ifndef XF_DLQ_H
#define XF_DLQ_H

#include <stddef.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "sbuf.h"

#define DLQ_TOPIC "petition.dlq"
#define DLQ_VALUE_MAX (1024 * 1024) /* the contract's largest message */
#define DLQ_KEY_MAX 1024
#define DLQ_ERROR_MAX 1024
/* Room left for Kafka's record and batch framing beside key and headers. */
#define DLQ_FRAMING 1024

/* One message a daemon gives up on. */
struct dlq_letter {
	const char *service;           /* "xf-intake" */
	const rd_kafka_message_t *rkm; /* the original, as consumed */
	const char *code, *why;        /* xf-error-code, xf-error */
	long long id;                  /* dead_letters.id, set by dlq_store */
	char sha256[65];               /* of the value, set by dlq_store */
};

/*
 * Stores dl's original in dead_letters unless that service already stored
 * the message at that source position; sets dl->id either way. conn may be
 * inside a transaction. Returns 0, or -1 with err.
 */
int dlq_store(PGconn *conn, struct dlq_letter *dl, struct sbuf *err);

/*
 * Produces dl's bounded copy to petition.dlq (see above), after dlq_store
 * filled in dl's id and hash; acks is credited
 * by the delivery report. Returns 0, or -1 with err when it could not be
 * queued.
 */
int dlq_produce(rd_kafka_t *rk, const struct dlq_letter *dl, struct kafka_acks *acks,
		struct sbuf *err);

/*
 * The bytes of value a copy may keep when the producer allows max_msg
 * bytes (message.max.bytes) and key and headers take fixed bytes:
 * at most DLQ_VALUE_MAX, 0 when nothing fits.
 */
size_t dlq_value_room(long max_msg, size_t fixed);

/*
 * Appends s to out as printable UTF-8 of at most max bytes: control
 * characters become spaces, bytes that are not UTF-8 become '?', and a
 * character that would pass max is left out with everything after it.
 */
void dlq_clip_text(struct sbuf *out, const char *s, size_t max);

/* Appends the lower-case hex of data[0..len) to out. */
void dlq_hex(struct sbuf *out, const void *data, size_t len);

#endif
