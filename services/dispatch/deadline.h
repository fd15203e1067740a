/*
 * deadline.h - the deadline clock of a case: when it warns, is overdue
 * and is supervised (督办), for the deadline that currently runs
 * (accept_by while assigned, resolve_by while accepted). Pure functions.
 */
#ifndef XF_DEADLINE_H
#define XF_DEADLINE_H

#include <time.h>

#include "calendar.h"
#include "vocab.h"

struct deadline_conf {
	long warn_pct;              /* XF_WARN_PCT: warn at this % of the time */
	long supervise_workdays;    /* XF_SUPERVISE_WORKDAYS after the deadline */
	const struct calendar *cal; /* working days (borrowed) */
};

/*
 * When the clock next needs to look at a case, and the stage already
 * passed at now: the warning, overdue and supervision instants of the
 * current deadline.
 */
struct deadline_plan {
	int running;          /* 0: no deadline runs (closed) */
	const char *deadline; /* "accept" or "resolve" */
	time_t due;           /* the deadline */
	time_t at[3];         /* warned, overdue, supervised */
};

/* The plan of a case in state, its clock started at start. */
void deadline_plan(const struct deadline_conf *dc, enum case_state state, time_t start,
		   time_t accept_by, time_t resolve_by, struct deadline_plan *p);
/* The stage (0..3) reached at now under plan p. */
int deadline_stage_at(const struct deadline_plan *p, time_t now);
/* The instant the clock looks next after stage (0 when never: stage 3 or closed). */
time_t deadline_next(const struct deadline_plan *p, int stage);

#endif
