/*
 * gauges.h - xf-dispatch's gauges: the cases by state and department, the
 * overdue ones, the department board (domain/scorecard.h), refreshed at
 * most every 10 s; and the webhook sender's counters.
 */
#ifndef XF_GAUGES_H
#define XF_GAUGES_H

#include <time.h>

#include "board.h"
#include "scorecard.h"
#include "svc.h"
#include "webhook.h"

struct gauges {
	struct svc *svc;               /* connection, configuration, metrics (borrowed) */
	double refreshed_ms;           /* last refresh of the case gauges */
	struct scorecard_board *board; /* the newest scorecard, for the status page (owned) */
	struct board_index_conf index; /* XF_INDEX_* */
};

/*
 * xf_cases{state,department}, xf_cases_overdue{department}, the board and
 * xf_petition_index{region} (信访指数 on now's day), when 10 s have passed.
 * Readers never see a half-refreshed family. 0, or -1 with err.
 */
int gauges_refresh(struct gauges *g, time_t now, struct sbuf *err);
/* The sender's counts (ws may be NULL) as xf_webhook_attempts_total{outcome}. */
void gauges_webhooks(struct gauges *g, const struct webhook_sender *ws);

#endif
