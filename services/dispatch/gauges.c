/* gauges.c - see gauges.h. */
#include "gauges.h"

#include <stdio.h>
#include <stdlib.h>

#include "board.h"
#include "metrics.h"
#include "pg.h"
#include "scorecard.h"
#include "util.h"

#define GAUGES_EVERY_MS 10000.0

/* One gauge family from rows (labels built from columns 0..nlabels-1, value last). */
static void gauge_round(struct metrics *m, const char *name, const char *help, const PGresult *res,
			const char *const *keys, int nlabels)
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

static void index_set(void *arg, const char *region, double index)
{
	char labels[64];

	snprintf(labels, sizeof labels, "region=\"%s\"", region);
	metrics_set(metrics_get(arg, "xf_petition_index",
				"信访指数 of each township over the 7 days ending today (0-100)",
				METRICS_GAUGE, labels),
		    index);
}

/* xf_petition_index{region}: every area's 信访指数 today (domain/board.h). */
static int index_round(struct gauges *g, time_t now, struct sbuf *err)
{
	struct metrics *m = g->svc->metrics;
	int rc;

	metrics_round_begin(m, "xf_petition_index");
	rc = board_index_today(g->svc->conn, now, &g->index, index_set, m, err);
	metrics_round_end(m, "xf_petition_index");
	return rc;
}

int gauges_refresh(struct gauges *g, time_t now, struct sbuf *err)
{
	static const char *const state_dept[] = { "state", "department" };
	static const char *const dept[] = { "department" };
	struct metrics *m = g->svc->metrics;
	PGresult *cases, *overdue;

	if (now_ms() - g->refreshed_ms < GAUGES_EVERY_MS)
		return 0;
	/* the counts kept by triggers (migrations 012, 017), not counted over every case */
	if (pg_exec(g->svc->conn, "SELECT xf_case_counts_fold(), xf_board_fold()", 0, NULL, err))
		return -1;
	cases = pg_query(g->svc->conn,
			 "SELECT state, department, cases FROM case_counts_now"
			 " WHERE state <> '' AND cases <> 0",
			 0, NULL, err);
	overdue = cases ? pg_query(g->svc->conn,
				   "SELECT department, sum(late)"
				   " FROM case_counts_now WHERE state IN ('assigned', 'accepted')"
				   " GROUP BY 1 HAVING sum(late) > 0",
				   0, NULL, err)
			: NULL;
	if (overdue) {
		g->refreshed_ms = now_ms();
		gauge_round(m, "xf_cases", "Cases by state and lead department", cases, state_dept,
			    2);
		gauge_round(m, "xf_cases_overdue",
			    "Open cases past their current deadline, by department", overdue, dept,
			    1);
	}
	PQclear(cases);
	PQclear(overdue);
	if (!overdue || index_round(g, now, err))
		return -1;
	return scorecard_gauges(g->svc->conn, &g->svc->conf, m, g->board, err);
}

void gauges_webhooks(struct gauges *g, const struct webhook_sender *ws)
{
	static const char *const help = "Webhook POSTs by outcome (given_up: deliveries "
					"that ran out of attempts)";
	struct metrics *m = g->svc->metrics;
	struct webhook_stats st;

	if (!ws)
		return;
	webhook_get_stats(ws, &st);
	metrics_set(metrics_get(m, "xf_webhook_attempts_total", help, METRICS_COUNTER,
				"outcome=\"delivered\""),
		    (double)st.delivered);
	metrics_set(metrics_get(m, "xf_webhook_attempts_total", help, METRICS_COUNTER,
				"outcome=\"failed\""),
		    (double)st.failed);
	metrics_set(metrics_get(m, "xf_webhook_attempts_total", help, METRICS_COUNTER,
				"outcome=\"given_up\""),
		    (double)st.given_up);
}
