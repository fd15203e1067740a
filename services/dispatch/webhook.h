/*
 * webhook.h - deliveries to departments that have a webhook.
 *
 * The dispatcher writes one webhook_deliveries row per message for such a
 * department, in the transaction that made the message (webhook_row, in
 * the batch's one write: xf_dispatch_write, migration 007).
 * A sender thread of its own (own PostgreSQL connection, own curl multi
 * handle) claims due rows, POSTs them concurrently and records each
 * outcome: delivered, or retried with exponential back-off until
 * XF_WEBHOOK_MAX_ATTEMPTS, then failed. A slow or dead endpoint costs the
 * sender at most XF_WEBHOOK_TIMEOUT_MS per attempt and never holds up the
 * Kafka loop or the other departments' deliveries.
 *
 * attempts counts every POST made, the one that succeeded included;
 * last_status and last_error describe the latest.
 *
 * Delivery is at least once: a sender that dies with POSTs in flight
 * leaves their rows leased, and they are sent again when the lease runs
 * out. Receivers deduplicate on X-XF-Delivery.
 *
 * Each POST carries the body as it was enqueued and the headers
 *   Content-Type: application/json
 *   X-XF-Delivery: <webhook_deliveries.id>
 *   X-XF-Event: <kind>
 *   X-XF-Timestamp: <unix seconds of this attempt>
 *   X-XF-Signature: v1=<hex HMAC-SHA256 under the department's secret
 *                   of "<timestamp>.<delivery>.<event>.<body>">
 *
 * The department's secret is the variable its rules' webhook_secret names
 * (or the file NAME_FILE names), resolved when the rules are loaded
 * (webhook_set_keys); a department naming none is signed with
 * XF_WEBHOOK_SECRET. A department whose secret cannot be resolved gets
 * no POSTs: its rows fail at once with an error naming the variable.
 */
#ifndef XF_WEBHOOK_H
#define XF_WEBHOOK_H

#include <jansson.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "sbuf.h"

/*
 * The delivery of body (JSON) to url for department, kind being
 * "assignment" or the case event type: a row of the webhooks array of
 * xf_dispatch_write (new reference; NULL if a string is not UTF-8: body,
 * a message this process wrote with jansson, is not checked again).
 */
json_t *webhook_row(const char *case_id, const char *department, const char *url, const char *kind,
		    const char *body);

struct webhook_sender;
struct rules_set;

/*
 * Starts the sender thread. conf is copied; the strings it points to must
 * outlive the sender. The thread connects to conf->database_url itself and
 * reconnects with back-off, so PostgreSQL being down is not an error here.
 * Initialises libcurl globally once (pthread_once). Returns NULL with err
 * when curl or the thread cannot be set up.
 */
struct webhook_sender *webhook_start(const struct xf_conf *conf, struct sbuf *err);
/*
 * Stops the thread, if any, and frees everything. It returns within about
 * a second even with a POST in flight: the transfer is abandoned and its
 * row handed back, due at once, for the next sender (not counted as an
 * attempt). NULL is ignored.
 */
void webhook_stop(struct webhook_sender *ws);
/*
 * Resolves the signing key of each department of rs that has a webhook
 * (copies; rs is not kept). Until the first call the sender claims no
 * rows. From the dispatcher's thread, while the sender runs.
 */
void webhook_set_keys(struct webhook_sender *ws, const struct rules_set *rs);

/* Counters since the start, for metrics. */
struct webhook_stats {
	unsigned long delivered; /* POSTs answered 2xx */
	unsigned long failed;    /* attempts that failed (retried or not) */
	unsigned long given_up;  /* deliveries marked failed */
};
void webhook_get_stats(const struct webhook_sender *ws, struct webhook_stats *out);

/* What became of one POST. */
enum webhook_outcome {
	WEBHOOK_NOT_SENT,  /* stopped before it finished: not to be recorded */
	WEBHOOK_DELIVERED, /* 2xx */
	WEBHOOK_RETRY,     /* non-2xx or transport error: try again later */
	WEBHOOK_REJECTED,  /* can never succeed (not an http/https URL) */
};

/* One claimed delivery: the input fields are borrowed, the rest filled in. */
struct webhook_delivery {
	const char *id; /* webhook_deliveries.id as text */
	const char *url, *kind, *body;
	const char *secret; /* signing key; NULL: XF_WEBHOOK_SECRET */
	enum webhook_outcome outcome;
	long status;     /* HTTP status; 0 when no response came */
	long ms;         /* how long the attempt took */
	char error[256]; /* why it failed; "" when delivered */
};

/*
 * A sender without thread or database: for webhook_post() alone (tests).
 * Free it with webhook_stop(). NULL with err.
 */
struct webhook_sender *webhook_new(const struct xf_conf *conf, struct sbuf *err);
/*
 * POSTs the n deliveries in v concurrently and fills in their outcomes.
 * Returns when all have finished (at most about XF_WEBHOOK_TIMEOUT_MS) or
 * the sender is stopping (those unfinished stay WEBHOOK_NOT_SENT). Only on
 * a sender from webhook_new(), in one thread at a time. (The thread of
 * webhook_start() runs the same transfers as a pipeline instead: up to 32
 * at once, each recorded as soon as it finishes (those that finished
 * together in one statement), new rows claimed as others finish, so one
 * slow endpoint holds up nothing but its own row.)
 */
void webhook_post(struct webhook_sender *ws, struct webhook_delivery *v, size_t n);

/*
 * out = lower-case hex HMAC-SHA256 under secret of
 * "<timestamp>.<id>.<kind>.<body>" (the v1 signature).
 */
void webhook_signature(const char *secret, long timestamp, const char *id, const char *kind,
		       const char *body, char out[65]);
/*
 * Delay before the next try after `attempts` failed attempts (1 or more):
 * XF_WEBHOOK_BACKOFF_MS doubled attempts-1 times, at most
 * XF_WEBHOOK_BACKOFF_MAX_MS.
 */
long webhook_backoff_ms(const struct xf_conf *conf, int attempts);

#endif
