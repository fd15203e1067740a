/* timer.c - see timer.h. */
#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbox.h"
#include "pg.h"
#include "util.h"

#define TIMER_BATCH 200 /* cases per transaction */
#define TIMER_ROUNDS 10 /* transactions per tick, so batches keep flowing */

static const char *const stage_type[3] = { "warned", "overdue", "supervised" };

/*
 * Publishes what the outbox table holds, then deletes it. Only when
 * something may be there: at start (a crash may have left rows), after a
 * round stored messages, and after a flush that failed.
 */
static int flush(struct timer *t, struct sbuf *err)
{
	int n;

	if (t->outbox_clean)
		return 0;
	if ((n = outbox_flush(t->svc, err)) < 0)
		return -1;
	t->outbox_clean = n < OUTBOX_PAGE; /* a full page may have more behind it */
	return 0;
}

/* One stage's event, to case.events, the department and (督办) the bureau. */
static int fire(struct caseops *co, const struct case_row *c, const struct deadline_plan *p,
		int stage, struct sbuf *err)
{
	const struct rules_dept *dept = rules_dept_find(co->env.rules, c->department);
	const struct rules_dept *bureau = stage == 2 ? rules_triage(co->env.rules, c->region)
						     : NULL;
	char due[32], *msg = NULL;
	int rc;

	time_format_cst(p->due, due);
	rc = caseops_event(co, c->case_id, stage_type[stage], p->at[stage],
			   json_pack("{s:s, s:s, s:s, s:s?}", "department", c->department,
				     "deadline", p->deadline, "due", due, "supervisor",
				     bureau ? bureau->code : NULL),
			   &msg, err);
	if (!rc && dept)
		caseops_tell(co, dept, c->case_id, stage_type[stage], msg, 1);
	if (!rc && bureau && bureau != dept)
		caseops_tell(co, bureau, c->case_id, stage_type[stage], msg, 1);
	if (!rc && stage == 1)
		caseops_stat(co, c->department, c->category, "overdue", -1);
	free(msg);
	return rc;
}

/*
 * A follow-up's due time passed: unless it was done, followup_overdue, to
 * case.events, the department and the bureau, counted against the
 * department (README "Follow-ups").
 */
static int followup_missed(struct caseops *co, const struct case_row *c,
			   const struct deadline_plan *p, int stage, struct sbuf *err)
{
	const struct rules_dept *dept = rules_dept_find(co->env.rules, c->department);
	const struct rules_dept *bureau = rules_triage(co->env.rules, c->region);
	char due[32], *msg = NULL;
	int rc;

	if (json_object_get(c->followups, p->kind[stage]))
		return 0; /* done in time */
	time_format_cst(p->at[stage], due);
	rc = caseops_event(co, c->case_id, "followup_overdue", p->at[stage],
			   json_pack("{s:s, s:s, s:s, s:s?}", "department", c->department,
				     "followup", p->kind[stage], "due", due, "supervisor",
				     bureau ? bureau->code : NULL),
			   &msg, err);
	if (!rc && dept)
		caseops_tell(co, dept, c->case_id, "followup_overdue", msg, 1);
	if (!rc && bureau && bureau != dept)
		caseops_tell(co, bureau, c->case_id, "followup_overdue", msg, 1);
	if (!rc)
		caseops_stat(co, c->department, c->category, "followup_overdue", -1);
	free(msg);
	return rc;
}

/* Brings one case's clock up to now. */
static int advance(struct caseops *co, struct case_row *c, time_t now, struct sbuf *err)
{
	struct deadline_plan p;
	int stage = c->clock_stage;

	deadline_plan(&co->env.clock, c->state, c->clock_start, c->accept_by, c->resolve_by, &p);
	for (; p.running && stage < p.n && p.at[stage] <= now; stage++)
		if (p.kind[stage] ? followup_missed(co, c, &p, stage, err)
				  : fire(co, c, &p, stage, err))
			return -1;
	caseops_clock_save(co, c, stage, deadline_next(&p, stage));
	return 0;
}

/* Whether any case is due: one statement outside a transaction when idle. */
static int any_due(struct timer *t, time_t now, struct sbuf *err)
{
	char nows[24];
	const char *params[1] = { nows };
	PGresult *res;
	int n;

	snprintf(nows, sizeof nows, "%lld", (long long)now);
	res = pg_query(t->svc->conn,
		       "SELECT 1 FROM cases WHERE due_at <= to_timestamp($1)"
		       " ORDER BY due_at LIMIT 1",
		       1, params, err); /* through cases_due */
	if (!res)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n;
}

/* One transaction: up to TIMER_BATCH due cases. Returns how many, or -1. */
static int timer_round(struct timer *t, const struct caseops_env *env, time_t now, struct sbuf *err)
{
	struct outbox ob = OUTBOX_INIT;
	struct caseops co;
	int n;

	if (pg_begin(t->svc->conn, err))
		return -1;
	caseops_init(&co, env, &ob);
	n = caseops_load_due(&co, now, TIMER_BATCH, err);
	for (int i = 0; n > 0 && i < n; i++)
		if (advance(&co, caseops_nth(&co, (size_t)i), now, err))
			n = -1;
	if (n >= 0 && (caseops_write(&co, 1, err) || pg_commit(t->svc->conn, err)))
		n = -1;
	if (n < 0)
		pg_rollback(t->svc->conn);
	else
		t->outbox_clean &= !ob.n;
	caseops_release(&co);
	outbox_release(&ob);
	return n;
}

int timer_run(struct timer *t, const struct caseops_env *env, time_t now, struct sbuf *err)
{
	int n = TIMER_BATCH;

	if (flush(t, err))
		return -1;
	for (int round = 0; round < TIMER_ROUNDS && n == TIMER_BATCH; round++) {
		if ((n = any_due(t, now, err)) <= 0)
			return n;
		if ((n = timer_round(t, env, now, err)) < 0 || flush(t, err))
			return -1;
		if (n)
			log_info("timer", LOG_I("cases", n), LOG_END);
	}
	return 0;
}
