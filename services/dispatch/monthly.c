/* monthly.c - see monthly.h. */
#include "monthly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "month.h"
#include "pg.h"

/* The department told of s: the triage department for its region. */
static const struct rules_dept *bureau_of(const struct rules_set *rules,
					  const struct month_subject *s)
{
	const struct rules_dept *dept;

	if (s->kind == MONTH_AREA)
		return rules_triage(rules, s->code);
	dept = rules_dept_find(rules, s->code);
	return dept ? rules_triage(rules, dept->region) : NULL;
}

/* Records one escalation and, when new and someone is to be told, its message. */
static int record(PGconn *conn, const struct month_report *rep, const struct month_subject *s,
		  const struct rules_set *rules, time_t now, int *queued, struct sbuf *err)
{
	const struct rules_dept *bureau = bureau_of(rules, s);
	json_t *msg = month_escalation_msg(rep, s, bureau ? bureau->code : NULL, now);
	char *body = json_dumps(msg, JSON_COMPACT), day[12], level[4];
	const char *params[7] = { day,
				  month_kind_name(s->kind),
				  s->code,
				  level,
				  bureau ? bureau->code : NULL,
				  body,
				  json_string_value(json_object_get(msg, "escalation_id")) };
	PGresult *res;

	snprintf(day, sizeof day, "%s-01", rep->month);
	snprintf(level, sizeof level, "%d", s->level);
	res = pg_query(conn,
		       "WITH e AS (INSERT INTO month_escalations"
		       "   (month, kind, subject, level, bureau, body)"
		       "  VALUES ($1::date, $2, $3, $4::smallint, $5, $6)"
		       "  ON CONFLICT DO NOTHING RETURNING bureau, body)"
		       " INSERT INTO outbox (topic, key, value)"
		       " SELECT 'assignments.' || bureau, $7, body FROM e WHERE bureau IS NOT NULL"
		       " RETURNING 1",
		       7, params, err);
	if (res) {
		*queued += PQntuples(res);
		if (!bureau)
			log_warn("escalation_untold", LOG_S("month", rep->month),
				 LOG_S("kind", month_kind_name(s->kind)), LOG_S("subject", s->code),
				 LOG_END);
	}
	PQclear(res);
	free(body);
	json_decref(msg);
	return res ? 0 : -1;
}

/* In the open transaction: 1 if this call closes the month, 0 if it was closed. */
static int claim(PGconn *conn, const char *day, struct sbuf *err)
{
	const char *params[1] = { day };
	PGresult *res = pg_query(conn,
				 "INSERT INTO month_closed (month) VALUES ($1::date)"
				 " ON CONFLICT DO NOTHING RETURNING 1",
				 1, params, err);
	int n = res ? PQntuples(res) : -1;

	PQclear(res);
	return n;
}

/* The month's escalations into the outbox; the count queued, or -1. */
static int close_month(struct monthly *mo, const struct rules_set *rules, int year, int mon,
		       time_t now, struct sbuf *err)
{
	PGconn *conn = mo->svc->conn;
	struct month_limits lim;
	struct month_report rep;
	int queued = 0, escalations = 0;

	month_limits_from_conf(&mo->svc->conf, &lim);
	if (month_load(&rep, conn, year, mon, &lim, err))
		return -1;
	for (size_t i = 0; i < rep.n; i++) {
		if (!rep.v[i].level)
			continue;
		escalations++;
		if (record(conn, &rep, &rep.v[i], rules, now, &queued, err)) {
			queued = -1;
			break;
		}
	}
	if (queued >= 0)
		log_info("month_closed", LOG_S("month", rep.month), LOG_I("subjects", (long)rep.n),
			 LOG_I("escalations", escalations), LOG_END);
	month_release(&rep);
	return queued;
}

/*
 * 1 when the deadline timer has caught up with now: no case is due. The
 * timer dates a missed deadline at the deadline, so until then a month
 * that has ended may still gain figures.
 */
static int timer_caught_up(PGconn *conn, time_t now, struct sbuf *err)
{
	char t[24];
	const char *params[1] = { t };
	PGresult *res;
	int n;

	snprintf(t, sizeof t, "%lld", (long long)now);
	res = pg_query(conn, "SELECT 1 FROM cases WHERE due_at <= to_timestamp($1) LIMIT 1", 1,
		       params, err);
	n = res ? PQntuples(res) : -1;
	PQclear(res);
	return n < 0 ? -1 : n == 0;
}

int monthly_run(struct monthly *mo, const struct rules_set *rules, time_t now, struct sbuf *err)
{
	PGconn *conn = mo->svc->conn;
	int year, mon, n;
	char day[12];

	month_before(now, &year, &mon);
	if (mo->closed == year * 12 + mon - 1)
		return 0;
	if ((n = timer_caught_up(conn, now, err)) <= 0)
		return n; /* not yet: the next tick asks again */
	snprintf(day, sizeof day, "%04d-%02d-01", year, mon);
	if (pg_begin(conn, err))
		return -1;
	n = claim(conn, day, err);
	if (n > 0)
		n = close_month(mo, rules, year, mon, now, err);
	if (n < 0 || pg_commit(conn, err)) {
		pg_rollback(conn);
		return -1;
	}
	mo->closed = year * 12 + mon - 1;
	return n;
}
