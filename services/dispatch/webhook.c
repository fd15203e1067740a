/* webhook.c - see webhook.h. */
#include "webhook.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "pg.h"
#include "rules.h"
#include "util.h"
#include "xalloc.h"

#define INFLIGHT_MAX 32  /* POSTs under way at once */
#define IDLE_MAX_MS 500  /* longest wait before looking for due rows again */
#define IDLE_MIN_MS 10   /* shortest, so rows another sender holds cannot spin us */
#define POLL_MAX_MS 1000 /* curl wakes earlier for its own timeouts */
#define DB_RETRY_MS 250  /* first back-off after a PostgreSQL error */

_Static_assert(sizeof((struct webhook_delivery *)0)->error >= CURL_ERROR_SIZE,
	       "webhook_delivery.error is curl's error buffer");

/* One POST in flight; CURLOPT_PRIVATE points at it. */
struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	struct webhook_delivery *d;
	/* called once it has finished (NULL: nothing to do) */
	void (*done)(struct webhook_sender *ws, struct transfer *t);
};

/* A claimed row in flight: the thread's, owning its copy of the row. */
struct job {
	struct transfer t; /* first: the transfer is the job */
	struct webhook_delivery d;
	int slot, attempt; /* attempt: this one, counting from 1 */
	int finished;      /* its outcome waits to be recorded */
	int final;         /* a failure not to be retried */
	long retry_ms;     /* after a failure to be retried */
	char *col[6];      /* id, url, kind, body, attempts, department */
	char *secret;      /* the department's signing key, owned; NULL: none */
};

/* A department's signing key, resolved when the rules were loaded. */
struct hook_key {
	char *code;
	char *name;   /* its webhook_secret, or NULL: XF_WEBHOOK_SECRET */
	char *secret; /* the value; NULL when name could not be resolved */
};

struct webhook_sender {
	struct xf_conf conf; /* a copy; its strings are borrowed */
	CURLM *multi;        /* lives as long as we do: connections are reused */
	PGconn *conn;        /* the thread's own */
	pthread_t thread;
	int threaded;
	atomic_int stop;
	atomic_ulong delivered, failed, given_up;
	struct job *jobs[INFLIGHT_MAX]; /* in flight, NULL where free */
	int njobs;
	double next_claim;       /* now_ms() at which to look for due rows */
	long db_backoff;         /* ms; 0 while PostgreSQL answers */
	pthread_mutex_t keys_mu; /* keys and nkeys: set by the Kafka thread */
	struct hook_key *keys;
	size_t nkeys;
	atomic_int keyed; /* webhook_set_keys() has run: rows may be claimed */
};

void webhook_signature(const char *secret, long timestamp, const char *id, const char *kind,
		       const char *body, char out[65])
{
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "%ld.%s.%s.", timestamp, id, kind);
	sbuf_adds(&msg, body);
	hmac_sha256_hex(secret, msg.buf, msg.len, out);
	sbuf_release(&msg);
}

long webhook_backoff_ms(const struct xf_conf *conf, int attempts)
{
	long ms = conf->webhook_backoff_ms, cap = conf->webhook_backoff_max_ms;

	/* ms stays below cap (at most a day), so doubling cannot overflow */
	for (int i = 1; i < attempts && ms < cap; i++)
		ms *= 2;
	return ms < cap ? ms : cap;
}

json_t *webhook_row(const char *case_id, const char *department, const char *url, const char *kind,
		    const char *body)
{
	/* body: a message this process wrote with jansson, so valid UTF-8 */
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "case_id", case_id, "department", department,
			 "url", url, "kind", kind, "body", json_string_nocheck(body));
}

/*
 * curl_global_init once per process. This libcurl (7.84 and later, built
 * thread-safe) allows it while other threads run; it is never undone, as
 * other modules may use curl for the life of the process.
 */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct webhook_sender *webhook_new(const struct xf_conf *conf, struct sbuf *err)
{
	struct webhook_sender *ws;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		sbuf_addf(err, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	ws = xcalloc(1, sizeof *ws);
	ws->conf = *conf;
	atomic_init(&ws->stop, 0);
	atomic_init(&ws->delivered, 0);
	atomic_init(&ws->failed, 0);
	atomic_init(&ws->given_up, 0);
	atomic_init(&ws->keyed, 0);
	pthread_mutex_init(&ws->keys_mu, NULL);
	ws->multi = curl_multi_init();
	if (!ws->multi) {
		sbuf_adds(err, "curl_multi_init failed");
		pthread_mutex_destroy(&ws->keys_mu);
		free(ws);
		return NULL;
	}
	return ws;
}

void webhook_get_stats(const struct webhook_sender *ws, struct webhook_stats *out)
{
	out->delivered = atomic_load(&ws->delivered);
	out->failed = atomic_load(&ws->failed);
	out->given_up = atomic_load(&ws->given_up);
}

/* Like curl_slist_append with a format; allocation failure aborts (sbuf.h). */
static void header_add(struct curl_slist **list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void header_add(struct curl_slist **list, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	*list = xnonnull(curl_slist_append(*list, line));
}

/* The headers of one attempt, signed now. */
static struct curl_slist *headers_new(const struct webhook_sender *ws,
				      const struct webhook_delivery *d)
{
	struct curl_slist *list = NULL;
	long ts = (long)time(NULL);
	char sig[65];

	webhook_signature(d->secret ? d->secret : ws->conf.webhook_secret, ts, d->id, d->kind,
			  d->body, sig);
	header_add(&list, "Content-Type: application/json");
	header_add(&list, "Expect:"); /* no 100-continue round trip */
	header_add(&list, "X-XF-Delivery: %s", d->id);
	header_add(&list, "X-XF-Event: %s", d->kind);
	header_add(&list, "X-XF-Timestamp: %ld", ts);
	header_add(&list, "X-XF-Signature: v1=%s", sig);
	return list;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data, (void)arg;
	return size * n;
}

static void easy_setup(const struct webhook_sender *ws, struct transfer *t)
{
	CURL *easy = t->easy;

	curl_easy_setopt(easy, CURLOPT_URL, t->d->url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); /* we are a thread */
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ws->conf.webhook_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->d->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->d->body));
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "xf-dispatch-webhook/1");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->d->error);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
}

/* Sets d up to fail for good with why. */
static void reject(struct webhook_delivery *d, const char *why)
{
	d->outcome = WEBHOOK_REJECTED;
	snprintf(d->error, sizeof d->error, "%s", why);
}

/*
 * Prepares d's POST and adds it to the multi handle. Returns 0, or -1 when
 * it is over already (d->outcome says how).
 */
static int transfer_start(struct webhook_sender *ws, struct transfer *t, struct webhook_delivery *d)
{
	t->d = d;
	d->outcome = WEBHOOK_NOT_SENT;
	d->status = d->ms = 0;
	d->error[0] = '\0';
	if (strpbrk(d->kind, "\r\n") || strpbrk(d->id, "\r\n")) {
		reject(d, "kind or id holds a line break");
		return -1;
	}
	t->easy = xnonnull(curl_easy_init());
	/* a file:// or smtp:// webhook would read files or send mail */
	if (curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
		reject(d, "cannot restrict the webhook to http and https");
		return -1;
	}
	t->headers = headers_new(ws, d);
	easy_setup(ws, t);
	if (curl_multi_add_handle(ws->multi, t->easy) != CURLM_OK) {
		d->outcome = WEBHOOK_RETRY; /* no memory: later, then */
		snprintf(d->error, sizeof d->error, "curl_multi_add_handle failed");
		return -1;
	}
	return 0;
}

static void transfer_release(struct webhook_sender *ws, struct transfer *t)
{
	if (t->easy) {
		curl_multi_remove_handle(ws->multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
	}
	curl_slist_free_all(t->headers);
	t->headers = NULL;
}

/* Fills in d from its finished transfer easy. */
static void transfer_outcome(struct webhook_delivery *d, CURL *easy, CURLcode rc)
{
	curl_off_t us = 0;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &d->status);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &us);
	d->ms = (long)(us / 1000);
	if (rc == CURLE_OK && d->status >= 200 && d->status < 300) {
		d->outcome = WEBHOOK_DELIVERED;
		d->error[0] = '\0';
		return;
	}
	d->outcome = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT
			     ? WEBHOOK_REJECTED
			     : WEBHOOK_RETRY;
	if (rc == CURLE_OK)
		snprintf(d->error, sizeof d->error, "HTTP status %ld", d->status);
	else if (!d->error[0])
		snprintf(d->error, sizeof d->error, "%s", curl_easy_strerror(rc));
	/* it goes into key="value" logs: 'file', not "file" */
	for (char *q = d->error; (q = strchr(q, '"'));)
		*q = '\'';
}

/* Moves the transfers along; each finished one gets its outcome and done(). */
static int perform(struct webhook_sender *ws)
{
	CURLMsg *msg;
	CURLMcode mc;
	int running = 0, left;

	mc = curl_multi_perform(ws->multi, &running);
	if (mc != CURLM_OK) {
		log_error("webhook_curl_failed", LOG_S("error", curl_multi_strerror(mc)), LOG_END);
		return -1;
	}
	while ((msg = curl_multi_info_read(ws->multi, &left))) {
		struct transfer *t;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		t = (struct transfer *)(void *)priv;
		transfer_outcome(t->d, msg->easy_handle, msg->data.result);
		if (t->done)
			t->done(ws, t); /* msg is not used after this */
	}
	return running;
}

void webhook_post(struct webhook_sender *ws, struct webhook_delivery *v, size_t n)
{
	struct transfer *t;

	if (!n)
		return;
	t = xcalloc(n, sizeof *t);
	for (size_t i = 0; i < n; i++)
		transfer_start(ws, &t[i], &v[i]);
	while (!atomic_load(&ws->stop) && perform(ws) > 0)
		if (curl_multi_poll(ws->multi, NULL, 0, POLL_MAX_MS, NULL) != CURLM_OK)
			break;
	for (size_t i = 0; i < n; i++)
		transfer_release(ws, &t[i]);
	free(t);
}

/*
 * Claims up to room due deliveries by moving their next_at a lease ahead:
 * rows another sender holds are skipped, and the rows of a sender that
 * dies come back once the lease has run out. A claimed row is POSTed at
 * once and recorded when it finishes, well within the lease.
 */
static PGresult *claim(struct webhook_sender *ws, int room, struct sbuf *err)
{
	char lease[24], limit[16];

	snprintf(lease, sizeof lease, "%ld", 2 * ws->conf.webhook_timeout_ms + 10000);
	snprintf(limit, sizeof limit, "%d", room);
	return pg_query(
		ws->conn,
		"UPDATE webhook_deliveries SET next_at = now() + $1::bigint * interval '1 ms'"
		" WHERE id IN (SELECT id FROM webhook_deliveries"
		" WHERE state = 'pending' AND next_at <= now() ORDER BY next_at"
		" LIMIT $2::int FOR UPDATE SKIP LOCKED)"
		" RETURNING id, url, kind, body, attempts, department",
		2, (const char *const[]){ lease, limit }, err);
}

/* Milliseconds until the earliest pending delivery is due, within bounds; -1 with err. */
static long idle_ms(struct webhook_sender *ws, struct sbuf *err)
{
	char lo[16], hi[16];
	PGresult *res;
	long ms;

	snprintf(lo, sizeof lo, "%d", IDLE_MIN_MS);
	snprintf(hi, sizeof hi, "%d", IDLE_MAX_MS);
	res = pg_query(ws->conn,
		       "SELECT least($2::bigint, greatest($1::bigint, coalesce(ceil(extract(epoch"
		       " FROM min(next_at) - clock_timestamp()) * 1000)::bigint, $2::bigint)))"
		       " FROM webhook_deliveries WHERE state = 'pending'",
		       2, (const char *const[]){ lo, hi }, err);
	if (!res)
		return -1;
	ms = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return ms;
}

/* Logs a PostgreSQL failure; returns the back-off before the next claim. */
static long db_failed(struct webhook_sender *ws, const char *what, struct sbuf *err)
{
	for (char *p = err->buf; (p = strpbrk(p, "\n\t"));) /* libpq's lines: one log line */
		*p = ' ';
	ws->db_backoff = ws->db_backoff ? ws->db_backoff * 2 : DB_RETRY_MS;
	if (ws->db_backoff > ws->conf.retry_max_ms)
		ws->db_backoff = ws->conf.retry_max_ms;
	log_warn("webhook_db_failed", LOG_S("during", what), LOG_S("error", err->buf),
		 LOG_I("retry_ms", ws->db_backoff), LOG_END);
	return ws->db_backoff;
}

/* The job's outcome as a row for record_rows(). */
static json_t *outcome_row(struct webhook_sender *ws, struct job *j)
{
	struct webhook_delivery *d = &j->d;
	int delivered = d->outcome == WEBHOOK_DELIVERED;

	j->final = d->outcome == WEBHOOK_REJECTED || j->attempt >= ws->conf.webhook_max_attempts;
	j->retry_ms = delivered || j->final ? 0 : webhook_backoff_ms(&ws->conf, j->attempt);
	if (!utf8_valid(d->error, strlen(d->error)))
		snprintf(d->error, sizeof d->error, "(an error text that is not UTF-8)");
	return json_pack("{s:I, s:o, s:s?, s:s, s:I}", "id", (json_int_t)atoll(d->id), "status",
			 delivered || d->status ? json_integer(d->status) : json_null(), "error",
			 delivered ? NULL : d->error, "state",
			 delivered  ? "delivered"
			 : j->final ? "failed"
				    : "pending",
			 "retry_ms", (json_int_t)j->retry_ms);
}

/* Every finished job's outcome, in one statement. */
static int record_rows(struct webhook_sender *ws, const char *rows, struct sbuf *err)
{
	return pg_exec(ws->conn,
		       "UPDATE webhook_deliveries w SET attempts = w.attempts + 1,"
		       " last_status = r.status, last_error = r.error, state = r.state,"
		       " next_at = CASE WHEN r.state = 'delivered' THEN w.next_at"
		       "   ELSE now() + r.retry_ms * interval '1 ms' END,"
		       " delivered_at = CASE WHEN r.state = 'delivered' THEN now() END"
		       " FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, status integer,"
		       "   error text, state text, retry_ms bigint)"
		       " WHERE w.id = r.id AND w.state = 'pending'",
		       1, (const char *const[]){ rows }, err);
}

/* Counts and logs a recorded outcome. */
static void recorded(struct webhook_sender *ws, const struct job *j)
{
	const struct webhook_delivery *d = &j->d;

	if (d->outcome == WEBHOOK_DELIVERED) {
		atomic_fetch_add(&ws->delivered, 1);
		log_info("webhook_delivered", LOG_S("id", d->id), LOG_S("kind", d->kind),
			 LOG_S("department", j->col[5]), LOG_I("attempt", j->attempt),
			 LOG_I("status", d->status), LOG_I("ms", d->ms), LOG_END);
		return;
	}
	atomic_fetch_add(&ws->failed, 1);
	if (j->final)
		atomic_fetch_add(&ws->given_up, 1);
	else if (ws->next_claim > now_ms() + (double)j->retry_ms)
		ws->next_claim = now_ms() + (double)j->retry_ms; /* due before we meant to look */
	log_at(j->final ? LOG_ERROR : LOG_WARN, j->final ? "webhook_given_up" : "webhook_failed",
	       LOG_S("id", d->id), LOG_S("kind", d->kind), LOG_S("department", j->col[5]),
	       LOG_I("attempt", j->attempt), LOG_I("status", d->status), LOG_S("error", d->error),
	       LOG_I("retry_ms", j->retry_ms), LOG_END);
}

/*
 * Records the outcomes of the jobs that finished, in one statement,
 * reconnecting once if the connection had dropped while we were idle. If
 * that fails too the rows keep their lease and are sent again when it runs
 * out (at least once). Returns 0, or -1 with err.
 */
static int record_all(struct webhook_sender *ws, json_t *rows, struct sbuf *err)
{
	char *text = json_dumps(rows, JSON_COMPACT);
	int rc;

	rc = pg_ensure(&ws->conn, ws->conf.database_url, err) ? -1 : record_rows(ws, text, err);
	if (rc && ws->conn && PQstatus(ws->conn) != CONNECTION_OK) {
		sbuf_reset(err);
		rc = pg_ensure(&ws->conn, ws->conf.database_url, err) ? -1
								      : record_rows(ws, text, err);
	}
	free(text);
	return rc;
}

static void job_free(struct webhook_sender *ws, struct job *j);
static void keys_free(struct hook_key *keys, size_t n);

/* Records every finished job, then frees them. */
static void record_finished(struct webhook_sender *ws)
{
	struct sbuf err = SBUF_INIT;
	json_t *rows = json_array();
	int rc;

	for (int i = 0; i < INFLIGHT_MAX; i++)
		if (ws->jobs[i] && ws->jobs[i]->finished)
			json_array_append_new(rows, outcome_row(ws, ws->jobs[i]));
	if (!json_array_size(rows)) {
		json_decref(rows);
		return;
	}
	rc = record_all(ws, rows, &err);
	if (rc)
		ws->next_claim = now_ms() + (double)db_failed(ws, "record", &err);
	for (int i = 0; i < INFLIGHT_MAX; i++)
		if (ws->jobs[i] && ws->jobs[i]->finished) {
			if (!rc)
				recorded(ws, ws->jobs[i]);
			job_free(ws, ws->jobs[i]);
		}
	json_decref(rows);
	sbuf_release(&err);
}

static void job_free(struct webhook_sender *ws, struct job *j)
{
	transfer_release(ws, &j->t);
	free(j->secret);
	ws->jobs[j->slot] = NULL;
	ws->njobs--;
	for (int i = 0; i < 6; i++)
		free(j->col[i]);
	free(j);
}

/* A finished POST: its connection goes back to the pool, its outcome waits. */
static void job_done(struct webhook_sender *ws, struct transfer *t)
{
	struct job *j = (struct job *)(void *)t;

	transfer_release(ws, t);
	j->finished = 1;
}

/*
 * Gives j its department's signing key (col[5]). Returns 0, or -1 when
 * the department names a secret that could not be resolved: the row is
 * rejected then (its error names the variable, never a value).
 */
static int job_key(struct webhook_sender *ws, struct job *j)
{
	int rc = 0;

	pthread_mutex_lock(&ws->keys_mu);
	for (size_t i = 0; i < ws->nkeys; i++) {
		struct hook_key *k = &ws->keys[i];

		if (strcmp(k->code, j->col[5]))
			continue;
		if (k->name && !k->secret) {
			j->d.outcome = WEBHOOK_REJECTED;
			snprintf(j->d.error, sizeof j->d.error,
				 "webhook secret %s is not set (neither %s nor %s_FILE)", k->name,
				 k->name, k->name);
			rc = -1;
		} else if (k->secret) {
			j->secret = xstrdup(k->secret);
		}
		break;
	}
	pthread_mutex_unlock(&ws->keys_mu);
	j->d.secret = j->secret;
	return rc;
}

/* Starts POSTing row i of a claim into a free slot. */
static void job_start(struct webhook_sender *ws, const PGresult *res, int row)
{
	struct job *j = xcalloc(1, sizeof *j);

	for (int i = 0; i < 6; i++)
		j->col[i] = xstrdup(PQgetvalue(res, row, i));
	j->d.id = j->col[0];
	j->d.url = j->col[1];
	j->d.kind = j->col[2];
	j->d.body = j->col[3];
	j->attempt = atoi(j->col[4]) + 1;
	j->t.done = job_done;
	while (ws->jobs[j->slot])
		j->slot++;
	ws->jobs[j->slot] = j;
	ws->njobs++;
	if (job_key(ws, j)) {
		j->t.d = &j->d;
		job_done(ws, &j->t); /* no key: rejected before sending */
	} else if (transfer_start(ws, &j->t, &j->d)) {
		job_done(ws, &j->t); /* rejected before sending */
	}
}

/* Claims due rows into the free slots and sets when to look again. */
static void sender_claim(struct webhook_sender *ws)
{
	struct sbuf err = SBUF_INIT;
	int room = INFLIGHT_MAX - ws->njobs, n;
	PGresult *res = NULL;
	long wait;

	if (!atomic_load(&ws->keyed)) { /* which key signs what is not known yet */
		ws->next_claim = now_ms() + IDLE_MAX_MS;
		return;
	}
	if (!pg_ensure(&ws->conn, ws->conf.database_url, &err))
		res = claim(ws, room, &err);
	if (!res) {
		ws->next_claim = now_ms() + (double)db_failed(ws, "claim", &err);
		sbuf_release(&err);
		return;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		job_start(ws, res, i);
	PQclear(res);
	wait = n == room ? 0 : idle_ms(ws, &err); /* a full claim: more may be due */
	if (wait < 0)
		wait = db_failed(ws, "claim", &err);
	else
		ws->db_backoff = 0;
	ws->next_claim = now_ms() + (double)wait;
	sbuf_release(&err);
}

/*
 * Abandons the jobs in flight when we stop, handing their rows back so the
 * next sender need not wait out the lease (they may have arrived: at least
 * once).
 */
static void jobs_abandon(struct webhook_sender *ws)
{
	struct sbuf ids = SBUF_INIT, err = SBUF_INIT;

	record_finished(ws);
	for (int i = 0; i < INFLIGHT_MAX; i++)
		if (ws->jobs[i]) {
			sbuf_addf(&ids, "%s%s", ids.len ? "," : "{", ws->jobs[i]->d.id);
			job_free(ws, ws->jobs[i]);
		}
	if (ids.len && ws->conn && PQstatus(ws->conn) == CONNECTION_OK) {
		sbuf_addch(&ids, '}');
		if (pg_exec(ws->conn,
			    "UPDATE webhook_deliveries SET next_at = now()"
			    " WHERE id = ANY($1::bigint[]) AND state = 'pending'",
			    1, (const char *const[]){ ids.buf }, &err))
			log_warn("webhook_release_failed", LOG_S("error", err.buf), LOG_END);
	}
	sbuf_release(&ids);
	sbuf_release(&err);
}

/*
 * Waits for transfer activity, curl's own timers, the next claim or
 * webhook_stop(), whichever comes first.
 */
static void sender_wait(struct webhook_sender *ws)
{
	double ms = ws->next_claim - now_ms();

	if (ws->njobs == INFLIGHT_MAX || ms > POLL_MAX_MS)
		ms = POLL_MAX_MS; /* when full, only a finished POST makes room */
	if (ms <= 0)
		return;
	if (curl_multi_poll(ws->multi, NULL, 0, (int)ms + 1, NULL) != CURLM_OK)
		sleep_ms_unless(10, NULL); /* not to spin; curl logged nothing */
}

static void *sender_main(void *arg)
{
	struct webhook_sender *ws = arg;

	log_info("webhook_sender_started", LOG_I("timeout_ms", ws->conf.webhook_timeout_ms),
		 LOG_I("max_attempts", ws->conf.webhook_max_attempts), LOG_END);
	ws->next_claim = now_ms();
	while (!atomic_load(&ws->stop)) {
		if (ws->njobs < INFLIGHT_MAX && now_ms() >= ws->next_claim)
			sender_claim(ws);
		if (perform(ws) < 0)
			sleep_ms_unless(100, NULL);
		record_finished(ws);
		sender_wait(ws);
	}
	jobs_abandon(ws);
	PQfinish(ws->conn);
	ws->conn = NULL;
	log_info("webhook_sender_stopped", LOG_END);
	return NULL;
}

struct webhook_sender *webhook_start(const struct xf_conf *conf, struct sbuf *err)
{
	struct webhook_sender *ws = webhook_new(conf, err);
	sigset_t all, old;
	int rc;

	if (!ws)
		return NULL;
	/* signals belong to the main thread's stop flag, not to our polls */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ws->thread, NULL, sender_main, ws);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		sbuf_addf(err, "cannot start the webhook thread: %s", strerror(rc));
		webhook_stop(ws);
		return NULL;
	}
	ws->threaded = 1;
	return ws;
}

void webhook_stop(struct webhook_sender *ws)
{
	if (!ws)
		return;
	atomic_store(&ws->stop, 1);
	curl_multi_wakeup(ws->multi); /* out of its poll now */
	if (ws->threaded)
		pthread_join(ws->thread, NULL);
	curl_multi_cleanup(ws->multi);
	PQfinish(ws->conn);
	keys_free(ws->keys, ws->nkeys);
	pthread_mutex_destroy(&ws->keys_mu);
	free(ws);
}

static void keys_free(struct hook_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i].code);
		free(keys[i].name);
		free(keys[i].secret);
	}
	free(keys);
}

void webhook_set_keys(struct webhook_sender *ws, const struct rules_set *rs)
{
	struct hook_key *keys = xcalloc(rs->ndepts ? rs->ndepts : 1, sizeof *keys), *old;
	size_t n = 0, nold;

	for (size_t i = 0; i < rs->ndepts; i++) {
		const struct rules_dept *dp = &rs->depts[i];

		if (!dp->webhook)
			continue;
		keys[n].code = xstrdup(dp->code);
		keys[n].name = dp->webhook_secret ? xstrdup(dp->webhook_secret) : NULL;
		keys[n].secret = dp->webhook_secret ? cfg_secret_read(dp->webhook_secret) : NULL;
		if (keys[n].name && !keys[n].secret)
			log_error("webhook_secret_missing", LOG_S("department", dp->code),
				  LOG_S("name", dp->webhook_secret), LOG_END);
		n++;
	}
	pthread_mutex_lock(&ws->keys_mu);
	old = ws->keys, nold = ws->nkeys;
	ws->keys = keys, ws->nkeys = n;
	pthread_mutex_unlock(&ws->keys_mu);
	atomic_store(&ws->keyed, 1);
	keys_free(old, nold);
}
