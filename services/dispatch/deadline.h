/*
 * deadline.h - the deadline clock of a case: when it warns, is overdue
 * and is supervised (督办), for the deadline that currently runs
 * (accept_by while assigned, resolve_by while accepted); once resolved,
 * when each follow-up (回访, followup.h) is due. Pure functions.
 */
#ifndef XF_DEADLINE_H
#define XF_DEADLINE_H

#include <time.h>

#include "calendar.h"
#include "followup.h"
#include "vocab.h"

struct deadline_conf {
	long warn_pct;                         /* XF_WARN_PCT: warn at this % of the time */
	long supervise_workdays;               /* XF_SUPERVISE_WORKDAYS after the deadline */
	const struct calendar *cal;            /* working days (borrowed) */
	const struct followup_plan *followups; /* XF_FOLLOWUPS (borrowed; NULL: none) */
};

#define DEADLINE_STAGES (FOLLOWUP_MAX > 3 ? FOLLOWUP_MAX : 3)

/*
 * When the clock next needs to look at a case, and the stage already
 * passed at now: the warning, overdue and supervision instants of the
 * current deadline; or, resolved or rated, each follow-up's due time.
 */
struct deadline_plan {
	int running;                       /* 0: nothing runs */
	const char *deadline;              /* "accept", "resolve" or "followup" */
	time_t due;                        /* the deadline (followup: the last one due) */
	int n;                             /* stages: 3, or the follow-ups */
	time_t at[DEADLINE_STAGES];        /* warned, overdue, supervised; or each follow-up */
	const char *kind[DEADLINE_STAGES]; /* followup: each stage's kind */
};

/*
 * The plan of a case in state, its clock started at start (resolved or
 * rated: at the answer).
 */
void deadline_plan(const struct deadline_conf *dc, enum case_state state, time_t start,
		   time_t accept_by, time_t resolve_by, struct deadline_plan *p);
/* The stage (0..p->n) reached at now under plan p. */
int deadline_stage_at(const struct deadline_plan *p, time_t now);
/* The instant the clock looks next after stage (0 when never: the last stage, or nothing runs). */
time_t deadline_next(const struct deadline_plan *p, int stage);

#endif
