/*
 * lifecycle.c - department.feedback and the case state machine (see
 * lifecycle.h and the README's "Case lifecycle"):
 *
 *   assigned --accept--> accepted --resolve--> resolved --rate--> rated
 *      |  ^                 |  ^                   |                |
 *      |  +-- re-dispatch   |  +-- extend (once)   +-- rate or followup dissatisfied:
 *      +-- return (退单) ---+                          reopened, accepted again
 *
 * Once resolved, the follow-ups (回访, XF_FOLLOWUPS) run on the case's
 * clock: each is reported by the citizen's side (followup) or goes
 * overdue (timer.c).
 *
 * Every change appends an event to the case's hash chain. Feedback that
 * cannot apply (unknown case, a department that does not hold it, the
 * wrong state, a late return, malformed) is refused: a `refused` entry on
 * case.events outside any chain, and malformed input also goes to the dead
 * letter topic. Nothing refused changes the case.
 *
 * Who may send what: a department sends feedback on its own cases, never
 * a rating; a citizen_side sender (an upstream system, the bureau) only
 * rates. The sender is told by its signature (sender.h).
 *
 * Each feedback message is recorded once (by sender and feedback_id; one
 * without a usable id or an authenticated sender by its source position)
 * with the messages it produced, so a redelivery publishes them again and
 * a second message with the same id from the same sender changes nothing.
 */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "followup.h"
#include "jschema.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#define DISPATCH_RETURN_WORKDAYS 5   /* 退单 within 5 working days, 第二十三条 */
#define DISPATCH_EXTEND_MAX 30       /* one extension of at most 30 days, 第三十四条 */
#define DISPATCH_RETURNS_TO_TRIAGE 2 /* after two returns a human decides */

#define str_at caseops_str

/* What one feedback message is, as far as it could be read, and where it is worked. */
struct fb {
	struct lifecycle *lc;
	struct caseops *co;
	const rd_kafka_message_t *rkm;
	json_t *msg;
	char id[160];        /* feedback_id, or @topic/partition/offset */
	struct sender from;  /* who sent it; code "" when not authenticated */
	int unauthenticated; /* sender_identify refused it: why says why */
	char why[240];
	const char *case_id; /* a well-formed case id, or NULL */
	const char *dept, *action;
	time_t now;
	size_t ob_from; /* its outputs start here in the batch outbox */
	int refused;    /* refuse() recorded it */
};

/*
 * The refusal: a case.events entry outside any chain (seq 0, prev_hash 64
 * zeros, hash over the rest), naming the feedback and why.
 */
static void refusal_event(const struct fb *f, const char *code, const char *why)
{
	char at[32], hash[65];
	json_t *ev;
	char *body;

	time_format_cst(f->now, at);
	ev = json_pack("{s:s, s:s?, s:i, s:s, s:s, s:{s:s, s:s?, s:s?, s:s, s:s}, s:s}", "schema",
		       "xf.case_event.v1", "case_id", f->case_id, "seq", 0, "type", "refused", "at",
		       at, "data", "feedback_id", f->id, "department", f->dept, "action", f->action,
		       "code", code, "reason", why, "prev_hash", chain_genesis);
	if (!f->case_id)
		json_object_set_new(ev, "case_id", json_null());
	body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(body, strlen(body), hash);
	json_object_set_new(ev, "hash", json_string(hash));
	outbox_add(f->co->ob, "case.events", f->case_id ? f->case_id : f->id,
		   json_dumps(ev, JSON_COMPACT));
	free(body);
	json_decref(ev);
}

/*
 * The message as text PostgreSQL can hold: a NUL or a byte that is not
 * UTF-8 becomes U+FFFD (the dead letter keeps the original bytes).
 */
static char *body_text(const rd_kafka_message_t *rkm)
{
	const char *p = rkm->payload ? rkm->payload : "";
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0, n; i < rkm->len; i += n) {
		for (n = 1; n <= 4 && i + n <= rkm->len; n++)
			if (p[i] && utf8_valid(p + i, n))
				break;
		if (n > 4 || i + n > rkm->len) {
			sbuf_adds(&sb, "\xEF\xBF\xBD");
			n = 1;
		} else {
			sbuf_add(&sb, p + i, n);
		}
	}
	return sbuf_detach(&sb, NULL);
}

/* Records the feedback with the outputs it produced (for a redelivery). */
static int record(const struct fb *f, const char *outcome, const char *reason)
{
	const rd_kafka_message_t *rkm = f->rkm;
	json_t *outs = outbox_json(f->co->ob, f->ob_from);
	char *outputs = json_dumps(outs, JSON_COMPACT);
	char *body = body_text(rkm);
	struct caseops_feedback row = {
		f->from.code,
		f->id,
		f->case_id,
		f->dept,
		f->action,
		outcome,
		reason,
		body,
		rd_kafka_topic_name(rkm->rkt),
		outputs,
		(int)rkm->partition,
		(long long)rkm->offset,
	};

	caseops_feedback_record(f->co, &row);
	free(outputs);
	free(body);
	json_decref(outs);
	return 0;
}

static int refuse(struct fb *f, const char *code, const char *why)
{
	char reason[600];

	f->refused = 1;
	snprintf(reason, sizeof reason, "%s: %s", code, why);
	refusal_event(f, code, why);
	log_info("feedback_refused", LOG_S("feedback_id", f->id),
		 LOG_S("case_id", f->case_id ? f->case_id : ""), LOG_S("code", code), LOG_END);
	return record(f, "refused", reason);
}

/*
 * 1 if this feedback was recorded before: a redelivery (same source
 * position) gets its outputs again, another message with the id nothing.
 */
static int seen_before(const struct fb *f)
{
	const rd_kafka_message_t *rkm = f->rkm;
	json_t *rec = caseops_feedback_seen(f->co, f->from.code, f->id);

	if (!rec)
		return 0;
	if (!strcmp(str_at(rec, "src_topic", NULL), rd_kafka_topic_name(rkm->rkt)) &&
	    json_integer_value(json_object_get(rec, "src_partition")) == rkm->partition &&
	    json_integer_value(json_object_get(rec, "src_offset")) == rkm->offset) {
		json_t *outs = json_loads(str_at(rec, "outputs", NULL), 0, NULL);

		outbox_add_json(f->co->ob, outs);
		json_decref(outs);
	} else {
		metrics_add(f->lc->m_feedback_dup, 1);
		log_info("feedback_duplicate", LOG_S("feedback_id", f->id),
			 LOG_S("case_id", f->case_id ? f->case_id : "-"), LOG_END);
	}
	return 1;
}

/* The event message for the holding department (topic and webhook). */
static int event_to_dept(const struct fb *f, const char *dept_code, const char *type, json_t *data,
			 int to_topic, struct sbuf *err)
{
	const struct rules_dept *dept = rules_dept_find(f->co->env.rules, dept_code);
	char *msg = NULL;
	int rc = caseops_event(f->co, f->case_id, type, f->now, data, &msg, err);

	if (!rc && dept)
		caseops_tell(f->co, dept, f->case_id, type, msg, to_topic);
	free(msg);
	return rc;
}

/* accept_hist bucket: under 2^i hours, the last one open-ended. */
static int hours_bucket(time_t secs)
{
	int b = 0;

	while (b < 11 && secs >= (time_t)3600 << b)
		b++;
	return b;
}

static int do_accept(struct fb *f, struct case_row *c, struct sbuf *err)
{
	char aid[160], by[32];

	caseops_assignment_id(f->case_id, c->attempt, "lead", c->department, aid, sizeof aid);
	c->state = CASE_ACCEPTED;
	c->accepted_at = f->now;
	caseops_stat(f->co, c->department, c->category, "accepted",
		     hours_bucket(f->now - c->assigned_at));
	caseops_case_save(f->co, c, f->now, 1);
	time_format_cst(c->resolve_by, by);
	return event_to_dept(f, c->department, "accepted",
			     json_pack("{s:s, s:s, s:s, s:s}", "department", c->department,
				       "assignment_id", aid, "feedback_id", f->id, "resolve_by",
				       by),
			     0, err);
}

/* After two returns a person decides: no rule at all, the triage department. */
static int triage_decision(const struct fb *f, const struct case_row *c, struct rules_decision *dec,
			   struct sbuf *why)
{
	const struct rules_set *rs = f->co->env.rules;

	memset(dec, 0, sizeof *dec);
	dec->lead = rules_triage(rs, str_at(c->petition, "region_code", NULL));
	dec->triage = 1;
	if (!dec->lead) {
		sbuf_adds(why, "no triage department for the region");
		return -1;
	}
	dec->explain = json_pack("{s:s, s:n, s:b, s:s, s:O}", "version", rs->version, "rule",
				 "triage", 1, "reason",
				 "returned twice: the "
				 "triage department decides by hand",
				 "excluded", c->returned_by);
	return 0;
}

/* Records the new lead (and co-handlers) of dec as the case's next attempt. */
static int reassign(struct fb *f, struct case_row *c, const struct rules_decision *dec,
		    size_t nreturned, struct sbuf *err)
{
	char aid[160], abys[32], rbys[32];

	c->attempt++;
	snprintf(c->department, sizeof c->department, "%s", dec->lead->code);
	c->assigned_at = f->now;
	caseops_assignment_id(f->case_id, c->attempt, "lead", dec->lead->code, aid, sizeof aid);
	caseops_assign(f->co, c->petition, dec, dec->lead, "lead", c->attempt, f->now, c->accept_by,
		       c->resolve_by);
	for (size_t i = 0; i < dec->nco; i++)
		caseops_assign(f->co, c->petition, dec, dec->co[i], "co", c->attempt, f->now,
			       c->accept_by, c->resolve_by);
	caseops_case_save(f->co, c, f->now, 0);
	time_format_cst(c->accept_by, abys);
	time_format_cst(c->resolve_by, rbys);
	return caseops_event(
		f->co, f->case_id, "redispatched", f->now,
		json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:O, s:O, s:s, s:s}", "department",
			  dec->lead->code, "assignment_id", aid, "attempt", c->attempt, "rule",
			  dec->rule ? dec->rule->id : "triage", "rules_version",
			  f->co->env.rules->version, "triage", dec->triage || nreturned >= 2,
			  "excluded", c->returned_by, "explain", dec->explain, "accept_by", abys,
			  "resolve_by", rbys),
		NULL, err);
}

/* The new lead after a return: by the rules without those who returned it. */
static int redispatch(struct fb *f, struct case_row *c, struct sbuf *err)
{
	size_t n = json_array_size(c->returned_by);
	const char **exclude = xcalloc(n + 1, sizeof *exclude);
	struct rules_decision dec;
	struct sbuf why = SBUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++)
		exclude[i] = json_string_value(json_array_get(c->returned_by, i));
	if (n >= DISPATCH_RETURNS_TO_TRIAGE)
		rc = triage_decision(f, c, &dec, &why);
	else
		rc = caseops_decide(f->co, c->petition, exclude, n, &dec, &why);
	free(exclude);
	if (rc) {
		sbuf_addf(err, "re-dispatch of %s: %s", f->case_id, why.buf);
		sbuf_release(&why);
		return -1;
	}
	rc = reassign(f, c, &dec, n, err);
	rules_decision_release(&dec);
	sbuf_release(&why);
	return rc;
}

static int do_return(struct fb *f, struct case_row *c, struct sbuf *err)
{
	const char *reason = str_at(f->msg, "reason", NULL);
	time_t limit = calendar_workday_end(f->co->env.clock.cal, c->assigned_at,
					    DISPATCH_RETURN_WORKDAYS);
	char why[160], lim[32];

	if (time_format_cst(limit, lim), f->now >= limit) {
		snprintf(why, sizeof why,
			 "a return is allowed within %d working days of the "
			 "assignment, until %s",
			 DISPATCH_RETURN_WORKDAYS, lim);
		return refuse(f, "late_return", why);
	}
	json_array_append_new(c->returned_by, json_string(c->department));
	caseops_stat(f->co, c->department, c->category, "returned", -1);
	return caseops_event(f->co, f->case_id, "returned", f->now,
			     json_pack("{s:s, s:s, s:i, s:s}", "department", c->department,
				       "reason", reason, "attempt", c->attempt, "feedback_id",
				       f->id),
			     NULL, err) ||
	       redispatch(f, c, err);
}

static int do_extend(struct fb *f, struct case_row *c, struct sbuf *err)
{
	json_int_t days = json_integer_value(json_object_get(f->msg, "extend_days"));
	char by[32];

	if (c->extended_days)
		return refuse(f, "extended_already", "a case may be extended once (第三十四条)");
	if (!days)
		days = DISPATCH_EXTEND_MAX;
	c->extended_days = (int)days;
	c->resolve_by += (time_t)days * 86400;
	time_format_cst(c->resolve_by, by);
	caseops_case_save(f->co, c, f->now, 1);
	return event_to_dept(f, c->department, "extended",
			     json_pack("{s:s, s:I, s:s, s:s?, s:s}", "department", c->department,
				       "days", days, "resolve_by", by, "reason",
				       str_at(f->msg, "reason", NULL), "feedback_id", f->id),
			     0, err);
}

/* This round's follow-ups, due after now: [{followup, due_by}]. */
static json_t *followups_due(const struct fb *f)
{
	const struct followup_plan *plan = f->co->env.clock.followups;
	json_t *list = json_array();
	char by[32];

	for (size_t i = 0; plan && i < plan->n; i++) {
		time_format_cst(f->now + plan->v[i].secs, by);
		json_array_append_new(
			list, json_pack("{s:s, s:s}", "followup", plan->v[i].name, "due_by", by));
	}
	return list;
}

/* Resolved: the answer is given; the follow-ups' clock starts (a new round). */
static int do_resolve(struct fb *f, struct case_row *c, struct sbuf *err)
{
	c->state = CASE_RESOLVED;
	c->resolved_at = c->clock_start = f->now;
	json_object_clear(c->followups);
	c->followups_dirty = 1;
	caseops_stat(f->co, c->department, c->category, "resolved", -1);
	caseops_case_save(f->co, c, f->now, 1);
	return event_to_dept(f, c->department, "resolved",
			     json_pack("{s:s, s:s, s:s, s:o, s:b}", "department", c->department,
				       "result", str_at(f->msg, "result", NULL), "feedback_id",
				       f->id, "followups", followups_due(f), "late",
				       f->now > c->resolve_by),
			     0, err);
}

/* 重办: back to the same department, accepted, with a new resolve deadline. */
static int reopen(struct fb *f, struct case_row *c, struct sbuf *err)
{
	char by[32];

	c->state = CASE_ACCEPTED;
	c->reopened++;
	c->resolved_at = 0;
	c->clock_start = f->now;
	c->resolve_by = f->now + (time_t)c->deadline_days * 86400;
	time_format_cst(c->resolve_by, by);
	caseops_case_save(f->co, c, f->now, 1);
	return event_to_dept(f, c->department, "reopened",
			     json_pack("{s:s, s:s, s:i, s:s}", "department", c->department,
				       "resolve_by", by, "reopened", c->reopened, "feedback_id",
				       f->id),
			     1, err);
}

/* A rating closes the case; 不满意 reopens it (重办) to the same department. */
static int do_rate(struct fb *f, struct case_row *c, struct sbuf *err)
{
	const char *sat = str_at(f->msg, "satisfaction", NULL);
	int unhappy = !strcmp(sat, "dissatisfied");

	snprintf(c->satisfaction, sizeof c->satisfaction, "%s", sat);
	caseops_stat(f->co, c->department, c->category, "rated", -1);
	if (!strcmp(sat, "satisfied"))
		caseops_stat(f->co, c->department, c->category, "satisfied", -1);
	if (unhappy)
		caseops_stat(f->co, c->department, c->category, "dissatisfied", -1);
	if (event_to_dept(f, c->department, "rated",
			  json_pack("{s:s, s:s, s:s}", "department", c->department, "satisfaction",
				    sat, "feedback_id", f->id),
			  0, err))
		return -1;
	if (unhappy)
		return reopen(f, c, err);
	c->state = CASE_RATED;
	caseops_case_save(f->co, c, f->now, 0); /* the follow-ups' clock runs on */
	return 0;
}

/*
 * A follow-up's outcome (回访), from the citizen's side: recorded once per
 * round; 不满意 reopens the case as a dissatisfied rating does.
 */
static int do_followup(struct fb *f, struct case_row *c, struct sbuf *err)
{
	const char *kind = str_at(f->msg, "followup", NULL);
	const char *sat = str_at(f->msg, "satisfaction", NULL);
	char at[32], why[160];

	if (!followup_find(f->co->env.clock.followups, kind)) {
		snprintf(why, sizeof why, "no follow-up %.64s is scheduled (XF_FOLLOWUPS)", kind);
		return refuse(f, "unknown_followup", why);
	}
	if (json_object_get(c->followups, kind)) {
		snprintf(why, sizeof why, "the %s of this round is done already", kind);
		return refuse(f, "followed_up_already", why);
	}
	time_format_cst(f->now, at);
	json_object_set_new(c->followups, kind,
			    json_pack("{s:s, s:s, s:s?}", "at", at, "satisfaction", sat, "channel",
				      str_at(f->msg, "channel", NULL)));
	c->followups_dirty = 1;
	caseops_case_save(f->co, c, f->now, 0);
	if (event_to_dept(f, c->department, "followed_up",
			  json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "department", c->department,
				    "followup", kind, "satisfaction", sat, "channel",
				    str_at(f->msg, "channel", NULL), "note",
				    str_at(f->msg, "note", NULL), "feedback_id", f->id),
			  0, err))
		return -1;
	return strcmp(sat, "dissatisfied") ? 0 : reopen(f, c, err);
}

/* Progress is recorded; the case does not change. */
static int do_progress(struct fb *f, struct case_row *c, struct sbuf *err)
{
	(void)f;
	(void)c;
	(void)err;
	return 0;
}

/*
 * The feedback actions (xf.feedback.v1 action): the state each needs (and
 * whether a rated case will do), what it then needs of the message, who
 * sends it (the holder, also a co-handler, or the citizen's side), and what
 * it does.
 */
enum sent_by { BY_HOLDER, BY_CO_HANDLER, BY_CITIZEN };

static const struct action {
	const char *name;
	enum case_state state;
	int rated_too;
	const char *field, *field2;
	enum sent_by by;
	int (*apply)(struct fb *f, struct case_row *c, struct sbuf *err);
} actions[] = {
	{ "accept", CASE_ASSIGNED, 0, NULL, NULL, BY_HOLDER, do_accept },
	{ "return", CASE_ASSIGNED, 0, "reason", NULL, BY_HOLDER, do_return },
	{ "progress", CASE_ACCEPTED, 0, NULL, NULL, BY_CO_HANDLER, do_progress },
	{ "extend", CASE_ACCEPTED, 0, NULL, NULL, BY_HOLDER, do_extend },
	{ "resolve", CASE_ACCEPTED, 0, "result", NULL, BY_HOLDER, do_resolve },
	{ "rate", CASE_RESOLVED, 0, "satisfaction", NULL, BY_CITIZEN, do_rate },
	{ "followup", CASE_RESOLVED, 1, "followup", "satisfaction", BY_CITIZEN, do_followup },
};

static const struct action *action_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof actions / sizeof actions[0]; i++)
		if (!strcmp(actions[i].name, name))
			return &actions[i];
	return NULL;
}

const char *lifecycle_action_name(size_t i)
{
	return i < sizeof actions / sizeof actions[0] ? actions[i].name : NULL;
}

/*
 * Whether f's sender may send it: a citizen_side sender only rates and
 * reports follow-ups; any other sends feedback of its own department, and
 * never those. 1, or 0 with why.
 */
static int permitted(const struct fb *f, const struct action *act, char *why, size_t whysz)
{
	int citizen = act->by == BY_CITIZEN;

	if (f->from.kind == SENDER_CITIZEN_SIDE && !citizen)
		snprintf(why, whysz,
			 "%s speaks for the citizen: it may rate a case or report a follow-up, "
			 "not %s it",
			 f->from.code, act->name);
	else if (f->from.kind != SENDER_CITIZEN_SIDE && strcmp(f->from.code, f->dept))
		snprintf(why, whysz, "sent by %s for department %s", f->from.code, f->dept);
	else if (f->from.kind != SENDER_CITIZEN_SIDE && citizen)
		snprintf(why, whysz,
			 "a %s comes from the citizen's side (citizen_side in the rules), "
			 "never from the department that handled the case",
			 act->name);
	else
		return 1;
	return 0;
}

static int apply(struct fb *f, struct case_row *c, struct sbuf *err)
{
	const struct action *act = action_find(f->action);
	char why[200];

	if (c->state == CASE_RATED && !act->rated_too)
		return refuse(f, "closed", "the case is closed (rated)");
	if (!permitted(f, act, why, sizeof why))
		return refuse(f, "not_permitted", why);
	if (strcmp(f->dept, c->department) &&
	    !(act->by == BY_CO_HANDLER &&
	      caseops_co_handles(f->co, f->case_id, c->attempt, f->dept))) {
		snprintf(why, sizeof why, "the case is held by %s", c->department);
		return refuse(f, "not_holder", why);
	}
	if (c->state != act->state && !(act->rated_too && c->state == CASE_RATED)) {
		snprintf(why, sizeof why, "%s needs the case %s; it is %s", f->action,
			 vocab_state_name(act->state), vocab_state_name(c->state));
		return refuse(f, "out_of_order", why);
	}
	return act->apply(f, c, err);
}

/* Schema and per-action fields; NULL if well-formed, else why (in why). */
static const char *malformed(const struct fb *f, struct sbuf *why)
{
	const struct action *act;

	if (!json_is_object(f->msg)) {
		sbuf_adds(why, "not a JSON object");
		return why->buf;
	}
	if (jschema_validate(f->lc->schemas, "xf.feedback.v1", f->msg, why))
		return why->buf;
	act = action_find(f->action);
	if (act->field && !str_at(f->msg, act->field, NULL))
		sbuf_addf(why, "%s needs %s", f->action, act->field);
	else if (act->field2 && !str_at(f->msg, act->field2, NULL))
		sbuf_addf(why, "%s needs %s", f->action, act->field2);
	return why->len ? why->buf : NULL;
}

static void fb_read(struct fb *f, const struct lifecycle *lc, json_t *msg,
		    const rd_kafka_message_t *rkm, const struct sender_hdrs *h)
{
	const char *id = str_at(msg, "feedback_id", NULL);
	const char *cid = str_at(msg, "case_id", NULL);

	f->msg = msg;
	f->rkm = rkm;
	f->unauthenticated = sender_identify(lc->keys, h, rkm->payload, rkm->len,
					     str_at(msg, "department", NULL), lc->development,
					     &f->from, f->why, sizeof f->why);
	if (f->unauthenticated)
		f->from.code[0] = '\0'; /* claimed, not proved: recorded as nobody's */
	if (!f->unauthenticated && id && *id && strlen(id) < 128)
		snprintf(f->id, sizeof f->id, "%s", id);
	else
		snprintf(f->id, sizeof f->id, "@%s/%d/%lld", rd_kafka_topic_name(rkm->rkt),
			 (int)rkm->partition, (long long)rkm->offset);
	f->case_id = cid && case_id_valid(cid, strlen(cid)) ? cid : NULL;
	f->dept = str_at(msg, "department", NULL);
	f->action = str_at(msg, "action", NULL);
}

void lifecycle_want(const struct lifecycle *lc, struct caseops *co, json_t *msg,
		    const rd_kafka_message_t *rkm, const struct sender_hdrs *h)
{
	struct fb f;

	memset(&f, 0, sizeof f);
	fb_read(&f, lc, msg, rkm, h);
	caseops_want_feedback(co, f.from.code, f.id);
	if (f.case_id)
		caseops_want_case(co, f.case_id);
}

int lifecycle_feedback(struct lifecycle *lc, struct caseops *co, json_t *msg,
		       const rd_kafka_message_t *rkm, const struct sender_hdrs *h, time_t now,
		       const char **dlq_code, char **dlq_why, struct sbuf *err)
{
	struct sbuf why = SBUF_INIT;
	struct case_row *c;
	struct fb f;
	int rc;

	memset(&f, 0, sizeof f);
	f.lc = lc;
	f.co = co;
	f.now = now;
	fb_read(&f, lc, msg, rkm, h);
	f.ob_from = co->ob->n;
	if (seen_before(&f))
		return 0;
	if (f.unauthenticated) {
		*dlq_code = "unauthenticated";
		*dlq_why = xstrdup(f.why);
		return refuse(&f, "unauthenticated", f.why);
	}
	if (malformed(&f, &why)) {
		*dlq_code = "bad_feedback";
		*dlq_why = xstrdup(why.buf);
		rc = refuse(&f, "malformed", why.buf);
		sbuf_release(&why);
		return rc;
	}
	sbuf_release(&why);
	c = caseops_case(co, f.case_id);
	if (!c)
		return refuse(&f, "unknown_case", "no such case");
	if (!(rc = apply(&f, c, err)) && !f.refused)
		rc = record(&f, "applied", NULL);
	return rc;
}
