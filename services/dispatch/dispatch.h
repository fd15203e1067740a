/*
 * dispatch.h - xf-dispatch: petition.classified -> a decision by the rules
 * in PostgreSQL -> the case, its assignments and audit events in one
 * transaction -> assignments.<department> and case.events; then the case's
 * life: department.feedback moves it through its states (lifecycle.c), a
 * timer watches its deadlines (timer.c), webhooks tell departments that
 * asked for them (webhook.c).
 *
 * A redelivered petition or feedback finds its work already done and
 * publishes the stored outputs again, byte for byte: the same
 * assignment_id, never a second decision.
 */
#ifndef XF_DISPATCH_H
#define XF_DISPATCH_H

#include <time.h>

#include <jansson.h>

#include "calendar.h"
#include "choose.h"
#include "rules.h"
#include "svc.h"

#define DISPATCH_ACCEPT_DAYS 15   /* 条例 第二十二、二十三条 */
#define DISPATCH_RETURN_WORKDAYS 5 /* 退单 within 5 working days, 第二十三条 */
#define DISPATCH_EXTEND_MAX 30    /* one extension of at most 30 days, 第三十四条 */
#define DISPATCH_RETURNS_TO_TRIAGE 2 /* after two returns a human decides */

struct webhook_sender;
struct jschema_set;
struct lag_monitor;

struct dispatch {
	struct svc svc;
	struct rules_set *rules;      /* the active rule set, NULL until loaded */
	char rules_sha[65];           /* of the loaded body, to notice an import */
	struct calendar *cal;         /* working days, NULL until loaded */
	int listen_pid;               /* backend that LISTENs for imports */
	int rules_dirty, cal_dirty;   /* NOTIFY seen: reload at the next batch */
	double rules_checked_ms;      /* last look at rule_sets without a NOTIFY */
	struct choose_weights weights;
	struct webhook_sender *webhooks;
	struct metrics_series *m_feedback_dup;
	struct metrics_series *m_latency_occurred, *m_latency_received;
	double gauges_ms;             /* last refresh of the case gauges */
	time_t clock_offset;          /* XF_CLOCK_FILE's seconds (tests), read per batch */
	int outbox_clean;             /* the timer's outbox table is known empty */
	struct lag_monitor *lag;      /* consumer-group lag of our groups (common/lag.h) */
	struct jschema_set *schemas;  /* xf.feedback.v1 */
};

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err);
int dispatch_run(struct dispatch *d);
void dispatch_release(struct dispatch *d);

/*
 * The xf.assignment.v1 message (new reference) for petition (borrowed)
 * under decision dec, to dept in role "lead" or "co", dispatched at `now`
 * with the standard deadlines from now.
 */
json_t *dispatch_assignment(json_t *petition, const struct rules_decision *dec,
			    const struct rules_set *rs, const struct rules_dept *dept,
			    const char *role, int attempt, time_t now);
/* The same with given deadlines (a re-dispatch keeps the original ones). */
json_t *dispatch_assignment_dl(json_t *petition, const struct rules_decision *dec,
			       const struct rules_set *rs, const struct rules_dept *dept,
			       const char *role, int attempt, time_t now,
			       time_t accept_by, time_t resolve_by);
/* The assignment id: <case>-A<attempt>, and -<department> for a co-handler. */
void dispatch_assignment_id(const char *case_id, int attempt, const char *role,
			    const char *dept, char *out, size_t outsz);

/* ---- shared by dispatch.c, lifecycle.c and timer.c ---- */

/* Outputs of a batch, produced only after its transaction commits. */
struct outbox {
	struct out_msg { char *topic, *key, *value; } *v;
	size_t n, alloc;
};
void outbox_add(struct outbox *ob, const char *topic, const char *key, char *value);
void outbox_release(struct outbox *ob);
/* ob->v[from..n) as a JSON array of {"topic", "key", "value"} (new reference). */
json_t *outbox_json(const struct outbox *ob, size_t from);
/* Adds the messages of such an array to ob. */
void outbox_add_json(struct outbox *ob, json_t *arr);

/* Loads rules and calendar when new ones were imported; 0, -1, SVC_NOT_READY. */
int dispatch_ready(struct dispatch *d, struct sbuf *err);

/* The clock: real time, moved by XF_CLOCK_FILE in tests (read by dispatch_ready). */
time_t dispatch_now(const struct dispatch *d);

/* j[k1][k2] (k2 may be NULL) as a string, or NULL. */
const char *dispatch_str(json_t *j, const char *k1, const char *k2);

/*
 * Appends an event to the case's hash chain (inside the caller's
 * transaction) and queues it on case.events; *msg (if not NULL) gets the
 * message text (malloc'd) for a department's topic or webhook.
 */
int dispatch_event(struct dispatch *d, const char *case_id, const char *type, time_t at,
		   json_t *data, struct outbox *ob, char **msg, struct sbuf *err);
/*
 * Tells department dept about a case: msg on its topic when to_topic, and a
 * webhook delivery when it has a webhook. kind: "assignment" or the event type.
 */
int dispatch_tell(struct dispatch *d, const struct rules_dept *dept, const char *case_id,
		  const char *kind, const char *msg, int to_topic, struct outbox *ob,
		  struct sbuf *err);
/* Records a new assignment (row, stats, topic, webhook). */
int dispatch_assign(struct dispatch *d, json_t *petition, const struct rules_decision *dec,
		    const struct rules_dept *dept, const char *role, int attempt, time_t now,
		    time_t accept_by, time_t resolve_by, struct outbox *ob, struct sbuf *err);
/* Decides with the candidate chooser and the given exclusions. */
int dispatch_decide(struct dispatch *d, json_t *petition, const char *const *exclude,
		    size_t nexclude, struct rules_decision *dec, struct sbuf *why);
/* Adds one to a dept_stats counter (and to accept_hist[bucket] when >= 0). */
int dispatch_stat(struct dispatch *d, const char *dept, const char *category,
		  const char *counter, int bucket, struct sbuf *err);

/* lifecycle.c: one department.feedback message, inside the batch transaction. */
struct dispatch_item;
int lifecycle_feedback(struct dispatch *d, const rd_kafka_message_t *rkm,
		       struct dispatch_item *it, struct outbox *ob, struct sbuf *err);

/* timer.c: the deadline timer (svc tick) and the durable outbox it writes. */
int timer_tick(void *self, struct sbuf *err);
/*
 * When the clock next needs to look at a case, and the stage already
 * passed at now: the warning, overdue and supervision instants of the
 * current deadline (accept_by while assigned, resolve_by while accepted).
 */
struct clock_plan {
	int running;          /* 0: no deadline runs (closed) */
	const char *deadline; /* "accept" or "resolve" */
	time_t due;           /* the deadline */
	time_t at[3];         /* warned, overdue, supervised */
};
void timer_plan(const struct dispatch *d, const char *state, time_t start,
		time_t accept_by, time_t resolve_by, struct clock_plan *p);
/* The stage (0..3) reached at now under plan p. */
int timer_stage_at(const struct clock_plan *p, time_t now);

/* One message of a batch. */
struct dispatch_item {
	json_t *msg;            /* owned; NULL if unreadable */
	int feedback;           /* from department.feedback */
	const char *dlq_code;   /* set when the message goes to the DLQ */
	char *dlq_why;          /* owned */
};

#endif
