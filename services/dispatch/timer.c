/*
 * timer.c - the deadline timer of xf-dispatch (dispatch.h): between
 * batches it finds the cases whose next deadline instant has come (index
 * on cases.due_at) and emits, in order,
 *
 *   warned      at XF_WARN_PCT of the time from the clock's start to the deadline
 *   overdue     at the deadline (accept_by while assigned, resolve_by after)
 *   supervised  XF_SUPERVISE_WORKDAYS working days after it (督办), also to the
 *               triage department: the petition bureau
 *
 * each on case.events, on the holding department's topic and to its
 * webhook. A case's events are written with its new stage in one
 * transaction together with the messages in table outbox; the messages
 * are published after the commit and deleted once the broker has them, so
 * a crash between the two publishes them at the next tick. Rows are taken
 * with SKIP LOCKED, so several dispatchers share the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "pg.h"
#include "scorecard.h"
#include "util.h"
#include "webhook.h"

#define TIMER_BATCH 200      /* cases per transaction */
#define TIMER_ROUNDS 10      /* transactions per tick, so batches keep flowing */

static const char *const stage_type[3] = { "warned", "overdue", "supervised" };

void timer_plan(const struct dispatch *d, const char *state, time_t start,
		time_t accept_by, time_t resolve_by, struct clock_plan *p)
{
	memset(p, 0, sizeof *p);
	if (!strcmp(state, "assigned")) {
		p->deadline = "accept";
		p->due = accept_by;
	} else if (!strcmp(state, "accepted")) {
		p->deadline = "resolve";
		p->due = resolve_by;
	} else {
		return;
	}
	p->running = 1;
	if (start > p->due)
		start = p->due;
	p->at[0] = start + (p->due - start) * d->svc.conf.warn_pct / 100;
	p->at[1] = p->due;
	p->at[2] = calendar_add_workdays(d->cal, p->due, (int)d->svc.conf.supervise_workdays);
}

int timer_stage_at(const struct clock_plan *p, time_t now)
{
	int stage = 0;

	while (p->running && stage < 3 && p->at[stage] <= now)
		stage++;
	return stage;
}

/*
 * Publishes what the outbox table holds, then deletes it. Only when
 * something may be there: at start (a crash may have left rows), after a
 * round stored messages, and after a flush that failed.
 */
static int outbox_flush(struct dispatch *d, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	PGresult *res;
	int rc = 0, n;

	if (d->outbox_clean)
		return 0;
	if (pg_begin(d->svc.conn, err))
		return -1;
	res = pg_query(d->svc.conn, "SELECT id, topic, key, value FROM outbox ORDER BY id"
		       " LIMIT 1000 FOR UPDATE SKIP LOCKED", 0, NULL, err);
	if (!res)
		return -1;
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		rc = kafka_produce(d->svc.producer, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				   strlen(PQgetvalue(res, i, 2)), PQgetvalue(res, i, 3),
				   strlen(PQgetvalue(res, i, 3)), NULL, 0, &acks, err);
		if (!rc)
			svc_count_out(&d->svc, strncmp(PQgetvalue(res, i, 1), "assignments.", 12) ?
				      PQgetvalue(res, i, 1) : "assignments", "timer");
	}
	if (!rc && PQntuples(res))
		rc = kafka_acks_wait(d->svc.producer, &acks, 120000, err);
	while (acks.done < acks.sent)
		rd_kafka_poll(d->svc.producer, 100);
	if (!rc && PQntuples(res)) {
		const char *params[1] = { PQgetvalue(res, PQntuples(res) - 1, 0) };

		rc = pg_exec(d->svc.conn, "DELETE FROM outbox WHERE id <= $1 AND id IN"
			     " (SELECT id FROM outbox WHERE id <= $1 FOR UPDATE SKIP LOCKED)",
			     1, params, err);
	}
	n = PQntuples(res);
	PQclear(res);
	if (rc) {
		pg_rollback(d->svc.conn);
		return -1;
	}
	if (pg_commit(d->svc.conn, err))
		return -1;
	d->outbox_clean = n < 1000; /* a full page may have more behind it */
	return 0;
}

/* Writes the messages of ob to the outbox table (in the open transaction). */
static int outbox_store(struct dispatch *d, const struct outbox *ob, struct sbuf *err)
{
	for (size_t i = 0; i < ob->n; i++) {
		const char *params[3] = { ob->v[i].topic, ob->v[i].key, ob->v[i].value };

		if (pg_exec(d->svc.conn, "INSERT INTO outbox (topic, key, value)"
			    " VALUES ($1, $2, $3)", 3, params, err))
			return -1;
	}
	return 0;
}

struct due_case {
	const char *case_id, *state, *department, *category, *region;
	int stage;
	time_t start, accept_by, resolve_by;
};

/* One stage's event, to case.events, the department and (督办) the bureau. */
static int fire(struct dispatch *d, const struct due_case *c, const struct clock_plan *p,
		int stage, struct outbox *ob, struct sbuf *err)
{
	const struct rules_dept *dept = rules_dept_find(d->rules, c->department);
	const struct rules_dept *bureau = stage == 2 ? rules_triage(d->rules, c->region) : NULL;
	char due[32], *msg = NULL;
	int rc;

	time_format_cst(p->due, due);
	rc = dispatch_event(d, c->case_id, stage_type[stage], p->at[stage],
			    json_pack("{s:s, s:s, s:s, s:s?}", "department", c->department,
				      "deadline", p->deadline, "due", due, "supervisor",
				      bureau ? bureau->code : NULL), ob, &msg, err);
	if (!rc && dept)
		rc = dispatch_tell(d, dept, c->case_id, stage_type[stage], msg, 1, ob, err);
	if (!rc && bureau && bureau != dept)
		rc = dispatch_tell(d, bureau, c->case_id, stage_type[stage], msg, 1, ob, err);
	if (!rc && stage == 1)
		rc = dispatch_stat(d, c->department, c->category, "overdue", -1, err);
	free(msg);
	return rc;
}

/* Brings one case's clock up to now. */
static int advance(struct dispatch *d, const struct due_case *c, time_t now,
		   struct outbox *ob, struct sbuf *err)
{
	struct clock_plan p;
	int stage = c->stage;
	char st[16], due[24];
	const char *params[3] = { c->case_id, st, due };

	timer_plan(d, c->state, c->start, c->accept_by, c->resolve_by, &p);
	for (; p.running && stage < 3 && p.at[stage] <= now; stage++)
		if (fire(d, c, &p, stage, ob, err))
			return -1;
	snprintf(st, sizeof st, "%d", stage);
	snprintf(due, sizeof due, "%lld", (long long)(p.running && stage < 3 ? p.at[stage] : 0));
	if (!p.running || stage >= 3)
		params[2] = NULL;
	return pg_exec(d->svc.conn, "UPDATE cases SET clock_stage = $2,"
		       " due_at = to_timestamp($3) WHERE case_id = $1", 3, params, err);
}

/* One transaction: up to TIMER_BATCH due cases. Returns how many, or -1. */
static int timer_round(struct dispatch *d, time_t now, struct sbuf *err)
{
	struct outbox ob = { NULL, 0, 0 };
	char nows[24];
	const char *params[2] = { nows, NULL };
	PGresult *res;
	int n = -1;

	snprintf(nows, sizeof nows, "%lld", (long long)now);
	if (pg_begin(d->svc.conn, err))
		return -1;
	res = pg_query(d->svc.conn,
		"SELECT case_id, state, department, category, region_code, clock_stage,"
		" extract(epoch FROM coalesce(clock_start, created_at))::bigint,"
		" extract(epoch FROM accept_by)::bigint, extract(epoch FROM resolve_by)::bigint"
		" FROM cases WHERE due_at <= to_timestamp($1) ORDER BY due_at"
		" LIMIT 200 FOR UPDATE SKIP LOCKED", 1, params, err);
	if (!res)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		struct due_case c = {
			PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), atoi(PQgetvalue(res, i, 5)),
			(time_t)atoll(PQgetvalue(res, i, 6)), (time_t)atoll(PQgetvalue(res, i, 7)),
			(time_t)atoll(PQgetvalue(res, i, 8)),
		};

		if (advance(d, &c, now, &ob, err))
			goto out;
	}
	if (!outbox_store(d, &ob, err) && !pg_commit(d->svc.conn, err)) {
		n = PQntuples(res);
		d->outbox_clean &= !ob.n;
	}
out:
	if (n < 0)
		pg_rollback(d->svc.conn);
	PQclear(res);
	outbox_release(&ob);
	return n;
}

#define GAUGES_EVERY_MS 10000.0

/* One gauge family from rows (labels built from columns 0..nlabels-1, value last). */
static void gauge_round(struct metrics *m, const char *name, const char *help,
			const PGresult *res, const char *const *keys, int nlabels)
{
	char labels[256];

	metrics_round_begin(m, name);
	for (int i = 0; i < PQntuples(res); i++) {
		size_t n = 0;

		labels[0] = '\0';
		for (int k = 0; k < nlabels; k++)
			n += (size_t)snprintf(labels + n, sizeof labels - n, "%s%s=\"%s\"",
					      k ? "," : "", keys[k], PQgetvalue(res, i, k));
		metrics_set(metrics_get(m, name, help, METRICS_GAUGE, labels),
			    atof(PQgetvalue(res, i, nlabels)));
	}
	metrics_round_end(m, name);
}

/*
 * Every 10 s: xf_cases{state,department}, xf_cases_overdue{department} and
 * the department board (common/scorecard.h). Readers never see a
 * half-refreshed family (metrics_round_begin).
 */
static int case_gauges(struct dispatch *d, struct sbuf *err)
{
	static const char *const state_dept[] = { "state", "department" };
	static const char *const dept[] = { "department" };
	struct metrics *m = d->svc.metrics;
	PGresult *cases, *overdue;

	if (now_ms() - d->gauges_ms < GAUGES_EVERY_MS)
		return 0;
	cases = pg_query(d->svc.conn, "SELECT state, department, count(*) FROM cases"
			 " GROUP BY 1, 2", 0, NULL, err);
	overdue = cases ? pg_query(d->svc.conn, "SELECT department, count(*) FROM cases"
				   " WHERE clock_stage >= 2 AND state IN ('assigned', 'accepted')"
				   " GROUP BY 1", 0, NULL, err) : NULL;
	if (overdue) {
		d->gauges_ms = now_ms();
		gauge_round(m, "xf_cases", "Cases by state and lead department", cases,
			    state_dept, 2);
		gauge_round(m, "xf_cases_overdue",
			    "Open cases past their current deadline, by department", overdue,
			    dept, 1);
	}
	PQclear(cases);
	PQclear(overdue);
	return overdue ? scorecard_gauges(d->svc.conn, &d->svc.conf, m, err) : -1;
}

/* The webhook sender's counts as xf_webhook_attempts_total{outcome}. */
static void webhook_counts(struct dispatch *d)
{
	static const char *const help = "Webhook POSTs by outcome (given_up: deliveries "
					"that ran out of attempts)";
	struct webhook_stats st;

	if (!d->webhooks)
		return;
	webhook_get_stats(d->webhooks, &st);
	metrics_set(metrics_get(d->svc.metrics, "xf_webhook_attempts_total", help,
				METRICS_COUNTER, "outcome=\"delivered\""), (double)st.delivered);
	metrics_set(metrics_get(d->svc.metrics, "xf_webhook_attempts_total", help,
				METRICS_COUNTER, "outcome=\"failed\""), (double)st.failed);
	metrics_set(metrics_get(d->svc.metrics, "xf_webhook_attempts_total", help,
				METRICS_COUNTER, "outcome=\"given_up\""), (double)st.given_up);
}

int timer_tick(void *self, struct sbuf *err)
{
	struct dispatch *d = self;
	int n = TIMER_BATCH;
	time_t now;

	webhook_counts(d);
	if (dispatch_ready(d, err) || outbox_flush(d, err))
		return -1;
	now = dispatch_now(d);
	for (int round = 0; round < TIMER_ROUNDS && n == TIMER_BATCH; round++) {
		if ((n = timer_round(d, now, err)) < 0 || outbox_flush(d, err))
			return -1;
		if (n)
			log_info("timer", "cases=%d", n);
	}
	/* the gauges come last, and their failure does not hold up deadlines */
	if (case_gauges(d, err)) {
		log_warn("gauges_failed", "error=\"%s\"", err->buf);
		sbuf_reset(err);
	}
	return 0;
}
