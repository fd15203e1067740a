/*
 * timer.h - the deadline timer of xf-dispatch: between batches it finds
 * the cases whose next deadline instant has come and emits, in order,
 * warned, overdue and supervised (督办) events (deadline.h), each on
 * case.events, on the holding department's topic and to its webhook;
 * supervision also to the triage department (the petition bureau).
 *
 * A round's events, the cases' new stages and the messages (in table
 * outbox) are written in one transaction of four statements; the messages
 * are published after the commit and deleted once the broker has them, so
 * a crash between the two publishes them at the next tick. Cases are
 * taken with SKIP LOCKED, so several dispatchers share the work.
 */
#ifndef XF_TIMER_H
#define XF_TIMER_H

#include <time.h>

#include "caseops.h"
#include "svc.h"

struct timer {
	struct svc *svc;  /* connection, producer, metrics (borrowed) */
	int outbox_clean; /* the outbox table is known empty */
};

/* Brings every due case up to now (a bounded number of rounds). 0, or -1 with err. */
int timer_run(struct timer *t, const struct caseops_env *env, time_t now, struct sbuf *err);

#endif
