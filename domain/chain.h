/*
 * chain.h - the audit chain of a case (xf.case_event.v1).
 *
 * Each event's body is its canonical JSON without "hash" (keys sorted,
 * compact, prev_hash included); hash = hex SHA-256 of that body. The first
 * event's prev_hash is 64 zeros. PostgreSQL stores the body exactly as
 * hashed, so editing any field of history breaks the chain.
 */
#ifndef XF_CHAIN_H
#define XF_CHAIN_H

#include <jansson.h>

#include "sbuf.h"

extern const char chain_genesis[65];

struct chain_event {
	char *body; /* canonical JSON without hash; malloc'd */
	char hash[65];
	json_t *message; /* new ref: the published message, body plus hash */
};

/*
 * Seals event seq of case_id: type, at (RFC 3339), data (stolen; may be
 * NULL for {}), chained to prev_hash. Fills *ev; release with
 * chain_event_release().
 */
void chain_seal(struct chain_event *ev, const char *case_id, int seq, const char *type,
		const char *at, json_t *data, const char *prev_hash);
void chain_event_release(struct chain_event *ev);

/*
 * The same event as chain_seal(), written without building its message:
 * ev->body and ev->hash as there, ev->message NULL, and *message (malloc'd)
 * the text json_dumps(message, JSON_COMPACT) gives, byte for byte.
 */
void chain_seal_text(struct chain_event *ev, char **message, const char *case_id, int seq,
		     const char *type, const char *at, json_t *data, const char *prev_hash);

/*
 * Checks one stored event: its body hashes to hash, names case_id and seq,
 * and points at prev_hash. Returns 0, or -1 with the reason in err.
 */
int chain_check(const char *case_id, int seq, const char *body, const char *hash,
		const char *prev_hash, struct sbuf *err);

#endif
