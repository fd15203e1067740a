/*
 * sender.h - who sent a department.feedback message.
 *
 * The broker does not tell a consumer which principal produced a message
 * (ACLs only say who may write the topic at all), so each sender signs
 * its own messages, in two Kafka headers:
 *
 *   xf-sender: <code>        a department's code, or a citizen_side
 *                            sender's (an upstream system, the bureau)
 *   xf-signature: v1=<hex HMAC-SHA256 under the sender's key of
 *                     "<code>.<message value>"> (signature.h)
 *
 * A sender's key is the variable its rules' feedback_secret names (or
 * the file NAME_FILE names), resolved when the rules are loaded. A signed
 * message is checked in every mode. An unsigned one is refused, except
 * with XF_ENV=development, where it is believed: its sender is xf-sender,
 * else its department field.
 */
#ifndef XF_SENDER_H
#define XF_SENDER_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "rules.h"
#include "signature.h"

#define SENDER_REFUSED 1 /* sender_identify: not authenticated */

enum sender_kind {
	SENDER_UNKNOWN,      /* believed in development, in no rules */
	SENDER_DEPARTMENT,   /* a department of the rules */
	SENDER_CITIZEN_SIDE, /* one of the rules' citizen_side */
};

struct sender {
	char code[RULES_CODE_MAX + 1]; /* "" when none could be told */
	enum sender_kind kind;
	int verified; /* the signature was checked */
};

/* The two headers as read from a message; "" when absent. */
struct sender_hdrs {
	char sender[RULES_CODE_MAX + 1];
	char signature[FEEDBACK_SIG_LEN + 1];
	int unusable; /* one was too long or held a NUL */
};

/* Reads rkm's headers (a message librdkafka delivered) into h. */
void sender_hdrs_read(const rd_kafka_message_t *rkm, struct sender_hdrs *h);

struct sender_keys;

/*
 * The keys of every department and citizen_side sender of rs (copies; rs
 * is not kept). A name that does not resolve, or outside development
 * gives fewer than CFG_SECRET_MIN bytes, is logged (the name, never a
 * value); that sender's signed messages are then refused.
 */
struct sender_keys *sender_keys_new(const struct rules_set *rs, int development);
void sender_keys_free(struct sender_keys *k);

/*
 * Who sent the message value (len bytes) with headers h (NULL: none):
 * fills out and returns 0, or returns SENDER_REFUSED with why (a
 * sentence; names a variable, never a secret; out then holds the claim). claimed_dept is the
 * message's department field (may be NULL). k may be NULL (no rules yet).
 */
int sender_identify(const struct sender_keys *k, const struct sender_hdrs *h, const void *value,
		    size_t len, const char *claimed_dept, int development, struct sender *out,
		    char *why, size_t whysz);

#endif
