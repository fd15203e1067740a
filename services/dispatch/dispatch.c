/* dispatch.c - see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "jschema.h"
#include "lag.h"
#include "jlimit.h"
#include "log.h"
#include "outbox.h"
#include "pg.h"
#include "status.h"
#include "util.h"
#include "webhook.h"
#include "xalloc.h"

/* Reads XF_CLOCK_FILE's offset (tests only), once per batch and tick. */
static void clock_refresh(struct dispatch *d)
{
	const char *path = d->svc.conf.clock_file;
	long long offset = 0;
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "r")))
		return;
	if (fscanf(f, "%lld", &offset) == 1)
		__atomic_store_n(&d->clock_offset, (time_t)offset, __ATOMIC_RELAXED);
	fclose(f);
}

/* The clock: real time, moved by XF_CLOCK_FILE in tests (read per batch and tick). */
static time_t dispatch_now(const struct dispatch *d)
{
	return time(NULL) + __atomic_load_n(&d->clock_offset, __ATOMIC_RELAXED);
}

/* LISTENs for imports on a new connection; a new one may have missed some. */
static int listen_imports(struct dispatch *d, struct sbuf *err)
{
	PGconn *conn = d->svc.conn;

	if (PQbackendPID(conn) == d->listen_pid)
		return 0;
	if (pg_exec(conn, "LISTEN xf_rules", 0, NULL, err) ||
	    pg_exec(conn, "LISTEN xf_calendar", 0, NULL, err))
		return -1;
	d->listen_pid = PQbackendPID(conn);
	d->rules_dirty = d->cal_dirty = 1;
	return 0;
}

/* Takes the notifications that arrived; an import sends one at its commit. */
static void take_notifies(struct dispatch *d)
{
	PGnotify *n;

	PQconsumeInput(d->svc.conn);
	while ((n = PQnotifies(d->svc.conn))) {
		if (!strcmp(n->relname, "xf_rules"))
			d->rules_dirty = 1;
		else if (!strcmp(n->relname, "xf_calendar"))
			d->cal_dirty = 1;
		PQfreemem(n);
	}
}

#define RULES_RECHECK_MS 30000.0 /* in case a notification went missing */

/*
 * Loads the active rule set when an import said so (LISTEN xf_rules), and
 * at least every RULES_RECHECK_MS (one round trip; the body is sent only
 * when it changed). A batch runs under one set from start to end.
 */
static int rules_refresh(struct dispatch *d, struct sbuf *err)
{
	PGresult *res;
	struct rules_set *rs;
	json_t *doc;

	if (d->rules && !d->rules_dirty && now_ms() - d->rules_checked_ms < RULES_RECHECK_MS)
		return 0;
	if (pg_active_doc(d->svc.conn, "rule_sets", d->rules ? d->rules_sha : "", &res, err))
		return -1;
	if (!res) {
		sbuf_adds(err, "no rule set imported yet: run xfctl rules import FILE");
		return -1;
	}
	d->rules_dirty = 0;
	d->rules_checked_ms = now_ms();
	if (!pg_value(res, 0, 1)) { /* unchanged */
		PQclear(res);
		return 0;
	}
	doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	rs = doc ? rules_parse(doc, err) : NULL;
	json_decref(doc);
	if (rs) {
		rules_free(d->rules);
		d->rules = rs;
		if (d->webhooks)
			webhook_set_keys(d->webhooks, rs);
		sender_keys_free(d->lifecycle.keys);
		d->lifecycle.keys = sender_keys_new(rs, d->lifecycle.development);
		snprintf(d->rules_sha, sizeof d->rules_sha, "%s", PQgetvalue(res, 0, 0));
		log_info("rules_loaded", LOG_S("version", rs->version), LOG_I("rules", rs->nrules),
			 LOG_I("departments", rs->ndepts), LOG_END);
	}
	PQclear(res);
	return rs ? 0 : -1;
}

/* Loads the working-day calendar at start and after xfctl calendar import. */
static int calendar_refresh(struct dispatch *d, struct sbuf *err)
{
	struct calendar *cal;

	if (d->cal && !d->cal_dirty)
		return 0;
	if (calendar_load_pg(d->svc.conn, &cal, err))
		return -1;
	calendar_free(d->cal);
	d->cal = cal;
	d->cal_dirty = 0;
	log_info("calendar_loaded", LOG_END);
	return 0;
}

/* Loads rules and calendar when new ones were imported; 0, -1, SVC_NOT_READY. */
static int dispatch_ready(struct dispatch *d, struct sbuf *err)
{
	clock_refresh(d);
	if (listen_imports(d, err))
		return -1;
	take_notifies(d);
	return rules_refresh(d, err) || calendar_refresh(d, err) ? SVC_NOT_READY : 0;
}

/* One message of a batch. */
struct dispatch_item {
	json_t *msg;             /* owned; NULL if unreadable */
	int feedback;            /* from department.feedback */
	struct sender_hdrs hdrs; /* of a feedback */
	const char *dlq_code;    /* set when the message goes to the DLQ */
	char *dlq_why;           /* owned */
};

static void item_prepare(struct dispatch_item *it, const rd_kafka_message_t *rkm)
{
	const char *text = rkm->payload ? rkm->payload : "";
	int feedback = !strcmp(rd_kafka_topic_name(rkm->rkt), "department.feedback");
	json_t *p;
	const char *region;

	if (!jlimit_ok(text, rkm->len, feedback ? JLIMIT_VALUES : JLIMIT_VALUES_OURS)) {
		it->dlq_code = "too_many_values"; /* neither parsed nor judged */
		it->dlq_why = xstrdup("more JSON values than a message may hold");
		return;
	}
	p = json_loadb(text, rkm->len, 0, NULL);
	region = caseops_str(p, "region_code", NULL);
	it->feedback = feedback;
	if (it->feedback) {
		it->msg = p; /* lifecycle.c judges it */
		sender_hdrs_read(rkm, &it->hdrs);
		return;
	}
	if (!json_is_object(p) || !caseops_str(p, "case_id", NULL) || !region ||
	    !region_code_valid(region) ||
	    !caseops_str(json_object_get(p, "classification"), "category", NULL)) {
		it->dlq_code = "bad_petition";
		it->dlq_why = xstrdup("not an xf.petition.v1 object with case_id, "
				      "region_code and classification.category");
		json_decref(p);
		return;
	}
	it->msg = p;
}

/* What the case operations need of the service, as it is for this batch. */
static void caseops_env_of(struct dispatch *d, struct caseops_env *env)
{
	env->conn = d->svc.conn;
	env->rules = d->rules;
	env->clock.warn_pct = d->svc.conf.warn_pct;
	env->clock.supervise_workdays = d->svc.conf.supervise_workdays;
	env->clock.cal = d->cal;
	env->clock.followups = &d->followups;
	env->weights = &d->weights;
}

/* Tells co what the batch will read. */
static void want_all(struct dispatch *d, struct caseops *co, rd_kafka_message_t **msgs,
		     const struct dispatch_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].feedback)
			lifecycle_want(&d->lifecycle, co, items[i].msg, msgs[i], &items[i].hdrs);
		else if (items[i].msg && !items[i].dlq_code)
			caseops_want_replay(co, caseops_str(items[i].msg, "case_id", NULL));
	}
}

/* Every message in batch order, against the batch state. */
static int decide_all(struct dispatch *d, struct caseops *co, rd_kafka_message_t **msgs,
		      struct dispatch_item *items, size_t n, struct sbuf *err)
{
	for (size_t i = 0; i < n; i++) {
		struct dispatch_item *it = &items[i];

		if (it->feedback
			    ? lifecycle_feedback(&d->lifecycle, co, it->msg, msgs[i], &it->hdrs,
						 dispatch_now(d), &it->dlq_code, &it->dlq_why, err)
			    : it->msg && !it->dlq_code &&
				      route_petition(&d->route, co, it->msg, dispatch_now(d),
						     &it->dlq_code, &it->dlq_why, err))
			return -1;
	}
	return 0;
}

/* The batch's transaction: BEGIN, one read, decisions in C, one write, COMMIT. */
static int work_all(struct dispatch *d, rd_kafka_message_t **msgs, struct dispatch_item *items,
		    size_t n, struct outbox *ob, struct sbuf *err)
{
	struct caseops_env env;
	struct caseops co;
	int rc;

	caseops_env_of(d, &env);
	caseops_init(&co, &env, ob);
	want_all(d, &co, msgs, items, n);
	rc = pg_begin(d->svc.conn, err) || caseops_load(&co, err) ||
			     decide_all(d, &co, msgs, items, n, err) ||
			     caseops_write(&co, 0, err) || pg_commit(d->svc.conn, err)
		     ? -1
		     : 0;
	caseops_release(&co);
	return rc;
}

static int publish(struct dispatch *d, rd_kafka_message_t **msgs, struct dispatch_item *items,
		   size_t n, const struct outbox *ob, struct kafka_acks *acks, struct sbuf *err)
{
	if (outbox_produce(&d->svc, ob, "message", acks, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].dlq_code && svc_dead_letter(&d->svc, msgs[i], items[i].dlq_code,
							 items[i].dlq_why, acks, err))
			return -1;
	return 0;
}

static int dispatch_batch(void *self, rd_kafka_message_t **msgs, size_t n, struct kafka_acks *acks,
			  struct sbuf *err)
{
	struct dispatch *d = self;
	struct dispatch_item *items;
	struct outbox ob = OUTBOX_INIT;
	int rc;

	if ((rc = dispatch_ready(d, err)))
		return rc;
	items = xcalloc(n, sizeof *items);
	for (size_t i = 0; i < n; i++)
		item_prepare(&items[i], msgs[i]);
	rc = work_all(d, msgs, items, n, &ob, err);
	if (!rc)
		rc = publish(d, msgs, items, n, &ob, acks, err);
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].msg);
		free(items[i].dlq_why);
	}
	free(items);
	outbox_release(&ob);
	return rc;
}

/*
 * Between batches: the deadline timer (it flushes the outbox first), then
 * the month that ended, once the timer has caught up (its escalations go
 * into the outbox, flushed at the next tick), then the gauges (neither's
 * failure holds up deadlines).
 */
static int dispatch_tick(void *self, struct sbuf *err)
{
	struct dispatch *d = self;
	struct caseops_env env;
	int n;

	gauges_webhooks(&d->gauges, d->webhooks);
	if (dispatch_ready(d, err))
		return -1;
	caseops_env_of(d, &env);
	if (timer_run(&d->timer, &env, dispatch_now(d), err))
		return -1;
	if ((n = monthly_run(&d->monthly, d->rules, dispatch_now(d), err)) < 0) {
		log_warn("month_failed", LOG_S("error", err->buf), LOG_END);
		sbuf_reset(err);
	} else if (n > 0) {
		d->timer.outbox_clean = 0;
	}
	if (gauges_refresh(&d->gauges, dispatch_now(d), err)) {
		log_warn("gauges_failed", LOG_S("error", err->buf), LOG_END);
		sbuf_reset(err);
	}
	return 0;
}

/* Ready only with a rule set (read from the HTTP thread: a pointer test). */
static int rules_loaded(void *arg, struct sbuf *why)
{
	struct dispatch *d = arg;

	if (d->rules)
		return 1;
	sbuf_adds(why, "no rule set loaded: run xfctl rules import FILE");
	return 0;
}

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	static const char *const topics[] = { "petition.classified", "department.feedback", NULL };

	memset(d, 0, sizeof *d);
	if (svc_init(&d->svc, "xf-dispatch", "127.0.0.1:8083", "dispatch", topics, stop, err))
		return -1;
	if (followup_plan_parse(d->svc.conf.followups, &d->followups, err))
		return -1;
	choose_weights_from_conf(&d->svc.conf, &d->weights);
	if (board_index_conf(&d->svc.conf, &d->gauges.index, err))
		return -1;
	d->svc.ready_extra = rules_loaded;
	d->svc.ready_arg = d;
	d->svc.tick = dispatch_tick;
	d->svc.tick_self = d;
	d->svc.tick_ms = d->svc.conf.timer_ms;
	d->timer.svc = d->gauges.svc = d->monthly.svc = &d->svc;
	d->lifecycle.m_feedback_dup = metrics_get(
		d->svc.metrics, "xf_feedback_duplicates_total",
		"Feedback messages whose feedback_id was already applied", METRICS_COUNTER, NULL);
	d->route.m_latency_occurred = metrics_histogram(
		d->svc.metrics, "xf_end_to_end_seconds",
		"From a petition's occurred_at, or from intake, to its assignment",
		metrics_buckets_latency, "from=\"occurred_at\"");
	d->route.m_latency_received = metrics_histogram(
		d->svc.metrics, "xf_end_to_end_seconds",
		"From a petition's occurred_at, or from intake, to its assignment",
		metrics_buckets_latency, "from=\"intake\"");
	d->lifecycle.development = d->svc.conf.development;
	d->schemas = d->lifecycle.schemas = jschema_set_new();
	if (jschema_add(d->schemas, embed_find("schemas/xf.feedback.v1.json")->data,
			embed_find("schemas/xf.feedback.v1.json")->len, err))
		return -1;
	d->webhooks = webhook_start(&d->svc.conf, err);
	if (!d->webhooks)
		return -1;
	/* the lag of all our groups, for /metrics and the status page */
	d->lag = lag_monitor_start(&d->svc.conf, d->svc.metrics, d->svc.conf.lag_interval_ms,
				   LAG_WINDOW_DEFAULT, err);
	if (!d->lag)
		return -1;
	d->gauges.board = scorecard_board_new();
	if (board_page_init(&d->board_page, &d->svc.conf, &d->clock_offset, err))
		return -1;
	d->status = (struct status_src){ d->svc.metrics, d->lag, d->gauges.board, &d->board_page };
	http_set_route(d->svc.http, status_route, &d->status);
	return 0;
}

int dispatch_run(struct dispatch *d)
{
	return svc_run(&d->svc, dispatch_batch, d);
}

void dispatch_release(struct dispatch *d)
{
	/* the status page reads the lag monitor and the board: stop serving first */
	http_stop(d->svc.http);
	d->svc.http = NULL;
	lag_monitor_stop(d->lag);
	d->lag = NULL;
	webhook_stop(d->webhooks);
	d->webhooks = NULL;
	svc_release(&d->svc);
	rules_free(d->rules);
	d->rules = NULL;
	sender_keys_free(d->lifecycle.keys);
	d->lifecycle.keys = NULL;
	calendar_free(d->cal);
	d->cal = NULL;
	jschema_set_free(d->schemas);
	d->schemas = NULL;
	scorecard_board_free(d->gauges.board);
	d->gauges.board = NULL;
	board_page_release(&d->board_page);
}
