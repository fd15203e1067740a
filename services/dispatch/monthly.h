/*
 * monthly.h - xf-dispatch closes each calendar month (CST) once it has
 * ended by its clock: the month's three-colour warning (domain/month.h) is
 * computed once, and each escalation is recorded (month_escalations) and
 * published as an xf.escalation.v1 message on the bureau's topic
 * (assignments.<the rules' triage department for the subject's region>),
 * through the outbox table in the same transaction (timer.h flushes it).
 *
 * Once only: the first statement inserts the month into month_closed; an
 * instance that finds it there (a restart, another instance, which waits
 * on the key until the first commits) does nothing more. Escalations are
 * inserted ON CONFLICT DO NOTHING, and only those inserted are published.
 * Only the month that ended last is closed: months missed while no
 * dispatcher ran are not. A month is closed only once the deadline timer
 * has caught up (no case due): missed deadlines are dated at the deadline,
 * so a timer behind (a restart after midnight, a backlog) would still add
 * to the month.
 */
#ifndef XF_MONTHLY_H
#define XF_MONTHLY_H

#include <time.h>

#include "rules.h"
#include "svc.h"

struct monthly {
	struct svc *svc; /* connection, configuration (borrowed) */
	int closed;      /* the month number (year * 12 + month - 1) known closed, 0 = none */
};

/*
 * Closes the month that ended last before now, unless known closed. Returns
 * the number of messages it put in the outbox (0 when it had nothing to do),
 * or -1 with err (the transaction rolled back: the next tick tries again).
 */
int monthly_run(struct monthly *mo, const struct rules_set *rules, time_t now, struct sbuf *err);

#endif
