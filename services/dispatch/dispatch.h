/*
 * dispatch.h - xf-dispatch: petition.classified -> a decision by the rules
 * in PostgreSQL -> the case, its assignments and audit events in one
 * transaction -> assignments.<department> and case.events; then the case's
 * life: department.feedback moves it through its states (lifecycle.h), a
 * timer watches its deadlines (timer.h), webhooks tell departments that
 * asked for them (webhook.h).
 *
 * A batch costs a fixed number of statements, whatever its size and mix:
 * BEGIN, one read (caseops_load), the chooser's figures when a decision
 * needs them, one write (caseops_write), COMMIT.
 *
 * A redelivered petition or feedback finds its work already done and
 * publishes the stored outputs again, byte for byte: the same
 * assignment_id, never a second decision.
 *
 * Layers, each calling only down:
 *   dispatch.c (the service: init, run, release; the batch and the tick)
 *   route.c (new petitions), lifecycle.c (feedback), timer.c (deadlines),
 *     monthly.c (the month's escalations), gauges.c, status.c
 *   caseops.c (the batch state: cases, chain, assignments), figures.c
 *     (the chooser's statistics and open counts)
 *   outbox.c, deadline.c, webhook.c, common/ (chain, rules, calendar, ...)
 */
#ifndef XF_DISPATCH_H
#define XF_DISPATCH_H

#include <signal.h>
#include <time.h>

#include "calendar.h"
#include "choose.h"
#include "gauges.h"
#include "followup.h"
#include "lifecycle.h"
#include "monthly.h"
#include "route.h"
#include "rules.h"
#include "status.h"
#include "svc.h"
#include "timer.h"

struct webhook_sender;
struct jschema_set;
struct lag_monitor;

struct dispatch {
	struct svc svc;
	struct rules_set *rules;    /* the active rule set, NULL until loaded */
	char rules_sha[65];         /* of the loaded body, to notice an import */
	struct calendar *cal;       /* working days, NULL until loaded */
	int listen_pid;             /* backend that LISTENs for imports */
	int rules_dirty, cal_dirty; /* NOTIFY seen: reload at the next batch */
	double rules_checked_ms;    /* last look at rule_sets without a NOTIFY */
	struct choose_weights weights;
	struct webhook_sender *webhooks;
	time_t clock_offset;            /* XF_CLOCK_FILE's seconds (tests), read per batch */
	struct route route;             /* new petitions */
	struct lifecycle lifecycle;     /* feedback */
	struct followup_plan followups; /* XF_FOLLOWUPS */
	struct timer timer;             /* deadlines */
	struct monthly monthly;         /* the month's warning and escalations */
	struct gauges gauges;
	struct lag_monitor *lag;      /* consumer-group lag of our groups (common/lag.h) */
	struct jschema_set *schemas;  /* xf.feedback.v1 */
	struct board_page board_page; /* /board and /board.json (board_page.h) */
	struct status_src status;     /* what the status page reads (status.h) */
};

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err);
int dispatch_run(struct dispatch *d);
void dispatch_release(struct dispatch *d);

#endif
