/*
 * caseops.h - the case operations of xf-dispatch, for one unit of work (a
 * batch, or a round of the deadline timer) in one PostgreSQL transaction
 * that costs a fixed number of statements whatever its size:
 *
 *   caseops_init()                     nothing read yet
 *   caseops_want_*()                   what the work will read
 *   caseops_load() / caseops_load_due() one statement (the caller's BEGIN first)
 *   ... decisions in C, in order ...   no statement; the chooser's figures
 *                                      are read once, when first needed
 *   caseops_write()                    one statement: every row, set-based
 *   caseops_release()
 *
 * Between load and write the batch state answers as PostgreSQL would have
 * answered the same work done statement by statement: a later message sees
 * what earlier ones did (chain heads, case rows, statistics, open counts,
 * feedback already recorded, cases already decided).
 *
 * Messages to publish go to the caller's outbox (outbox.h), in order.
 */
#ifndef XF_CASEOPS_H
#define XF_CASEOPS_H

#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "choose.h"
#include "deadline.h"
#include "figures.h"
#include "outbox.h"
#include "rules.h"
#include "sbuf.h"
#include "vocab.h"

#define CASEOPS_ACCEPT_DAYS 15 /* 条例 第二十二、二十三条 */

/* What the operations need from the service (all borrowed). */
struct caseops_env {
	PGconn *conn;
	const struct rules_set *rules;
	struct deadline_conf clock;
	const struct choose_weights *weights;
};

/* A case as feedback and the timer see and change it. */
struct case_row {
	char case_id[32];
	enum case_state state;
	char department[72], category[40], region[16];
	int attempt, deadline_days, extended_days, reopened, clock_stage;
	time_t assigned_at, accepted_at, resolved_at, accept_by, resolve_by, clock_start;
	json_t *returned_by; /* array of department codes */
	json_t *petition;
	char satisfaction[16];
	json_t *followups;   /* this round's follow-ups done: {kind: {at, satisfaction, channel}} */
	int followups_dirty; /* to write back */
};

struct caseops_case;

struct caseops {
	struct caseops_env env;
	struct outbox *ob; /* borrowed: messages go here */
	json_t *want;      /* the load request */
	json_t *doc;       /* the write document: arrays of rows */
	json_t *replay;    /* case_id -> [{seq, topic, value}] */
	json_t *seen;      /* "<sender>/<feedback_id>" -> {src_topic, ...} */
	json_t *co;        /* "case\tattempt\tdept" of co-handlers */
	json_t *case_idx;  /* case_id -> index in cases */
	struct caseops_case **cases;
	size_t ncases, acases;
	struct figures fig; /* the chooser's figures and their increments */
	int bad_row;        /* a row could not be encoded: the write fails */
};

void caseops_init(struct caseops *co, const struct caseops_env *env, struct outbox *ob);
void caseops_release(struct caseops *co);

/* What caseops_load() reads: a petition's case, feedback by id, a case to change. */
void caseops_want_replay(struct caseops *co, const char *case_id);
void caseops_want_feedback(struct caseops *co, const char *sender, const char *feedback_id);
void caseops_want_case(struct caseops *co, const char *case_id);
/* Reads (and locks the wanted cases of) what was wanted. 0, or -1 with err. */
int caseops_load(struct caseops *co, struct sbuf *err);
/*
 * The deadline timer's read: up to limit cases whose due_at <= now, locked
 * (SKIP LOCKED: another dispatcher has the others). Returns how many; they
 * are caseops_nth(co, 0 .. n-1). -1 with err.
 */
int caseops_load_due(struct caseops *co, time_t now, int limit, struct sbuf *err);
struct case_row *caseops_nth(struct caseops *co, size_t i);

/*
 * 1 when the case of petition (case_id's) was decided already (before or
 * earlier in this work): its first decision (the attempt-1 assignments,
 * events 1-3 and their petition.updates) is queued again as stored. 0
 * when it is new.
 */
int caseops_replay(struct caseops *co, const char *case_id, json_t *petition);
/*
 * The record of sender's feedback_id ({src_topic, src_partition,
 * src_offset, outputs}), or NULL: a feedback_id is unique per sender.
 */
json_t *caseops_feedback_seen(struct caseops *co, const char *sender, const char *feedback_id);

/* The case (wanted and loaded, or new in this work), or NULL if there is none. */
struct case_row *caseops_case(struct caseops *co, const char *case_id);
/*
 * Writes the case back. With restart_clock the deadline clock restarts on
 * the current deadline at the stage already passed at now (a late accept
 * does not warn about a deadline it has just met).
 */
void caseops_case_save(struct caseops *co, struct case_row *c, time_t now, int restart_clock);
/* The timer's change: the stage reached and when to look next (0: never). */
void caseops_clock_save(struct caseops *co, struct case_row *c, int stage, time_t due);
/* Whether dept co-handles attempt of the case. */
int caseops_co_handles(struct caseops *co, const char *case_id, int attempt, const char *dept);

/* A new case decided as dec at now; the row is returned. */
struct case_row *caseops_case_new(struct caseops *co, json_t *petition,
				  const struct rules_decision *dec, time_t now);
/*
 * Appends an event to the case's hash chain and queues it on case.events;
 * *msg (if not NULL) gets the message text (malloc'd) for a department's
 * topic or webhook. data is stolen. 0, or -1 with err (unknown case).
 */
int caseops_event(struct caseops *co, const char *case_id, const char *type, time_t at,
		  json_t *data, char **msg, struct sbuf *err);
/*
 * Tells department dept about a case: msg on its topic when to_topic, and a
 * webhook delivery when it has a webhook. kind: "assignment" or the event type.
 */
void caseops_tell(struct caseops *co, const struct rules_dept *dept, const char *case_id,
		  const char *kind, const char *msg, int to_topic);
/* Records an assignment (row, the lead's "assigned" statistic, topic, webhook). */
void caseops_assign(struct caseops *co, json_t *petition, const struct rules_decision *dec,
		    const struct rules_dept *dept, const char *role, int attempt, time_t now,
		    time_t accept_by, time_t resolve_by);
/* Adds one to a dept_stats counter (and to accept_hist[bucket] when >= 0). */
void caseops_stat(struct caseops *co, const char *dept, const char *category, const char *counter,
		  int bucket);
/*
 * Decides with the candidate chooser and the given exclusions (rules.h):
 * 0; CASEOPS_UNPLACED when the rules cannot place it (why says so); -1 when
 * PostgreSQL failed reading the chooser's figures (why says so). *dec needs
 * a release only after 0.
 */
#define CASEOPS_UNPLACED 1
int caseops_decide(struct caseops *co, json_t *petition, const char *const *exclude,
		   size_t nexclude, struct rules_decision *dec, struct sbuf *why);

/* One feedback message as recorded (strings borrowed). */
struct caseops_feedback {
	const char *sender, *feedback_id, *case_id, *department, *action, *outcome, *reason;
	const char *body, *src_topic, *outputs;
	int src_partition;
	long long src_offset;
};
void caseops_feedback_record(struct caseops *co, const struct caseops_feedback *f);

/*
 * Writes everything, in one statement; with durable, the outbox's messages
 * too (the outbox table: the timer). 0, or -1 with err; a new case that
 * another instance decided meanwhile fails it (the retry replays that).
 */
int caseops_write(struct caseops *co, int durable, struct sbuf *err);

/*
 * The xf.assignment.v1 message (new reference) for petition (borrowed)
 * under decision dec, to dept in role "lead" or "co", dispatched at now
 * with the standard deadlines from now.
 */
json_t *caseops_assignment(json_t *petition, const struct rules_decision *dec,
			   const struct rules_set *rs, const struct rules_dept *dept,
			   const char *role, int attempt, time_t now);
/* The same with given deadlines (a re-dispatch keeps the original ones). */
json_t *caseops_assignment_dl(json_t *petition, const struct rules_decision *dec,
			      const struct rules_set *rs, const struct rules_dept *dept,
			      const char *role, int attempt, time_t now, time_t accept_by,
			      time_t resolve_by);
/* The assignment id: <case>-A<attempt>, and -<department> for a co-handler. */
void caseops_assignment_id(const char *case_id, int attempt, const char *role, const char *dept,
			   char *out, size_t outsz);
/* The standard deadlines of a decision made at now. */
time_t caseops_accept_by(time_t now);
time_t caseops_resolve_by(const struct rules_decision *dec, time_t now);
/* j[k1][k2] (k2 may be NULL) as a string, or NULL. */
const char *caseops_str(json_t *j, const char *k1, const char *k2);

#endif
