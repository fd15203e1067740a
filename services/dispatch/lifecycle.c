/*
 * lifecycle.c - department.feedback and the case state machine (see
 * dispatch.h and the README's "Case lifecycle"):
 *
 *   assigned --accept--> accepted --resolve--> resolved --rate--> rated
 *      |  ^                 |  ^                   |
 *      |  +-- re-dispatch   |  +-- extend (once)   +-- rate dissatisfied:
 *      +-- return (退单) ---+                          reopened, accepted again
 *
 * Every change appends an event to the case's hash chain. Feedback that
 * cannot apply (unknown case, a department that does not hold it, the
 * wrong state, a late return, malformed) is refused: a `refused` entry on
 * case.events outside any chain, and malformed input also goes to the dead
 * letter topic. Nothing refused changes the case.
 *
 * Each feedback message is recorded once (feedback_id; one without a
 * usable id by its source position) with the messages it produced, so a
 * redelivery publishes them again and a second message with the same id
 * changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "dispatch.h"
#include "jschema.h"
#include "log.h"
#include "pg.h"
#include "util.h"

/* The case as feedback sees and changes it. */
struct case_row {
	char state[16], department[72], category[40];
	int attempt, deadline_days, extended_days, reopened, clock_stage;
	time_t assigned_at, accepted_at, resolved_at, accept_by, resolve_by, clock_start;
	json_t *returned_by;     /* array of department codes */
	json_t *petition;
	char satisfaction[16];
};

static void case_row_release(struct case_row *c)
{
	json_decref(c->returned_by);
	json_decref(c->petition);
	memset(c, 0, sizeof *c);
}

static time_t epoch_at(const PGresult *res, int col)
{
	const char *v = pg_value(res, 0, col);

	return v ? (time_t)atoll(v) : 0;
}

/* Loads and locks the case; *found = 0 if there is none. */
static int case_load(struct dispatch *d, const char *case_id, struct case_row *c,
		     int *found, struct sbuf *err)
{
	const char *params[1] = { case_id };
	PGresult *res = pg_query(d->svc.conn,
		"SELECT state, department, category, attempt, deadline_days, extended_days,"
		" reopened, clock_stage,"
		" extract(epoch FROM assigned_at)::bigint, extract(epoch FROM accepted_at)::bigint,"
		" extract(epoch FROM resolved_at)::bigint, extract(epoch FROM accept_by)::bigint,"
		" extract(epoch FROM resolve_by)::bigint, extract(epoch FROM clock_start)::bigint,"
		" array_to_json(returned_by)::text, petition::text, coalesce(satisfaction, '')"
		" FROM cases WHERE case_id = $1 FOR UPDATE", 1, params, err);

	memset(c, 0, sizeof *c);
	if (!res)
		return -1;
	*found = PQntuples(res) == 1;
	if (*found) {
		snprintf(c->state, sizeof c->state, "%s", PQgetvalue(res, 0, 0));
		snprintf(c->department, sizeof c->department, "%s", PQgetvalue(res, 0, 1));
		snprintf(c->category, sizeof c->category, "%s", PQgetvalue(res, 0, 2));
		c->attempt = atoi(PQgetvalue(res, 0, 3));
		c->deadline_days = atoi(PQgetvalue(res, 0, 4));
		c->extended_days = atoi(PQgetvalue(res, 0, 5));
		c->reopened = atoi(PQgetvalue(res, 0, 6));
		c->clock_stage = atoi(PQgetvalue(res, 0, 7));
		c->assigned_at = epoch_at(res, 8);
		c->accepted_at = epoch_at(res, 9);
		c->resolved_at = epoch_at(res, 10);
		c->accept_by = epoch_at(res, 11);
		c->resolve_by = epoch_at(res, 12);
		c->clock_start = epoch_at(res, 13);
		c->returned_by = json_loads(PQgetvalue(res, 0, 14), 0, NULL);
		c->petition = json_loads(PQgetvalue(res, 0, 15), 0, NULL);
		snprintf(c->satisfaction, sizeof c->satisfaction, "%s", PQgetvalue(res, 0, 16));
		if (!json_is_array(c->returned_by)) {
			json_decref(c->returned_by);
			c->returned_by = json_array();
		}
	}
	PQclear(res);
	return 0;
}

static void epoch_or_null(time_t t, char buf[24], const char **param)
{
	snprintf(buf, 24, "%lld", (long long)t);
	*param = t ? buf : NULL;
}

/*
 * Writes the case back. The deadline clock restarts on the current
 * deadline at the stage already passed now (a late accept does not warn
 * about a deadline it has just met).
 */
static int case_save(struct dispatch *d, const char *case_id, struct case_row *c,
		     time_t now, int restart_clock, struct sbuf *err)
{
	struct clock_plan plan;
	char b[8][24], num[5][16];
	char *returned = json_dumps(c->returned_by, JSON_COMPACT);
	const char *params[16];
	int rc;

	timer_plan(d, c->state, c->clock_start, c->accept_by, c->resolve_by, &plan);
	if (restart_clock)
		c->clock_stage = timer_stage_at(&plan, now);
	params[0] = case_id;
	params[1] = c->state;
	params[2] = c->department;
	snprintf(num[0], 16, "%d", c->attempt);
	params[3] = num[0];
	epoch_or_null(c->assigned_at, b[0], &params[4]);
	epoch_or_null(c->accepted_at, b[1], &params[5]);
	epoch_or_null(c->resolved_at, b[2], &params[6]);
	epoch_or_null(c->resolve_by, b[3], &params[7]);
	snprintf(num[1], 16, "%d", c->extended_days);
	params[8] = num[1];
	params[9] = returned;
	snprintf(num[2], 16, "%d", c->reopened);
	params[10] = num[2];
	params[11] = *c->satisfaction ? c->satisfaction : NULL;
	snprintf(num[3], 16, "%d", c->clock_stage);
	params[12] = num[3];
	epoch_or_null(plan.running && c->clock_stage < 3 ? plan.at[c->clock_stage] : 0,
		      b[4], &params[13]);
	epoch_or_null(c->clock_start, b[5], &params[14]);
	epoch_or_null(now, b[6], &params[15]);
	rc = pg_exec(d->svc.conn,
		"UPDATE cases SET state = $2, department = $3, attempt = $4,"
		" assigned_at = to_timestamp($5), accepted_at = to_timestamp($6),"
		" resolved_at = to_timestamp($7), resolve_by = to_timestamp($8),"
		" extended_days = $9, returned_by = ARRAY(SELECT json_array_elements_text($10::json)),"
		" reopened = $11, satisfaction = $12,"
		" clock_stage = $13, due_at = to_timestamp($14), clock_start = to_timestamp($15),"
		" updated_at = to_timestamp($16) WHERE case_id = $1", 16, params, err);
	free(returned);
	return rc;
}

/* What one feedback message is, as far as it could be read. */
struct fb {
	json_t *msg;
	char id[160];           /* feedback_id, or @topic/partition/offset */
	const char *case_id;    /* a well-formed case id, or NULL */
	const char *dept, *action;
	time_t now;
	size_t ob_from;         /* its outputs start here in the batch outbox */
	int refused;            /* refuse() recorded it */
};

static int case_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != 25 || strncmp(s, "XF-", 3) || s[9] != '-' || s[18] != '-')
		return 0;
	for (size_t i = 3; i < n; i++)
		if (i != 9 && i != 18 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/*
 * The refusal: a case.events entry outside any chain (seq 0, prev_hash 64
 * zeros, hash over the rest), naming the feedback and why.
 */
static void refusal_event(const struct fb *f, const char *code, const char *why,
			  struct outbox *ob)
{
	char at[32], hash[65];
	json_t *ev;
	char *body;

	time_format_cst(f->now, at);
	ev = json_pack("{s:s, s:s?, s:i, s:s, s:s, s:{s:s, s:s?, s:s?, s:s, s:s}, s:s}",
		       "schema", "xf.case_event.v1", "case_id", f->case_id, "seq", 0,
		       "type", "refused", "at", at, "data", "feedback_id", f->id,
		       "department", f->dept, "action", f->action, "code", code,
		       "reason", why, "prev_hash", chain_genesis);
	if (!f->case_id)
		json_object_set_new(ev, "case_id", json_null());
	body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(body, strlen(body), hash);
	json_object_set_new(ev, "hash", json_string(hash));
	outbox_add(ob, "case.events", f->case_id ? f->case_id : f->id,
		   json_dumps(ev, JSON_COMPACT));
	free(body);
	json_decref(ev);
}

/* Records the feedback with the outputs it produced (for a redelivery). */
static int record(struct dispatch *d, const rd_kafka_message_t *rkm, const struct fb *f,
		  const char *outcome, const char *reason, const struct outbox *ob,
		  struct sbuf *err)
{
	json_t *outs = outbox_json(ob, f->ob_from);
	char *outputs = json_dumps(outs, JSON_COMPACT), part[16], off[32];
	char *body = rkm->payload ? strndup(rkm->payload, rkm->len) : strdup("");
	const char *params[11] = { f->id, f->case_id, f->dept, f->action, outcome, reason,
				   body, rd_kafka_topic_name(rkm->rkt), part, off, outputs };
	int rc;

	snprintf(part, sizeof part, "%d", (int)rkm->partition);
	snprintf(off, sizeof off, "%lld", (long long)rkm->offset);
	rc = pg_exec(d->svc.conn,
		     "INSERT INTO feedback (feedback_id, case_id, department, action, outcome,"
		     " reason, body, src_topic, src_partition, src_offset, outputs)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", 11, params, err);
	free(outputs);
	free(body);
	json_decref(outs);
	return rc;
}

static int refuse(struct dispatch *d, const rd_kafka_message_t *rkm, struct fb *f,
		  const char *code, const char *why, struct outbox *ob, struct sbuf *err)
{
	char reason[600];

	f->refused = 1;
	snprintf(reason, sizeof reason, "%s: %s", code, why);
	refusal_event(f, code, why, ob);
	log_info("feedback_refused", "feedback_id=\"%s\" case_id=\"%s\" code=%s",
		 f->id, f->case_id ? f->case_id : "", code);
	return record(d, rkm, f, "refused", reason, ob, err);
}

/*
 * 1 if this feedback was recorded before: a redelivery (same source
 * position) gets its outputs again, another message with the id nothing.
 */
static int seen_before(struct dispatch *d, const rd_kafka_message_t *rkm, const struct fb *f,
		       struct outbox *ob, int *seen, struct sbuf *err)
{
	const char *params[1] = { f->id };
	PGresult *res = pg_query(d->svc.conn, "SELECT src_topic, src_partition, src_offset,"
				 " outputs FROM feedback WHERE feedback_id = $1", 1, params, err);

	if (!res)
		return -1;
	*seen = PQntuples(res) == 1;
	if (*seen && !strcmp(PQgetvalue(res, 0, 0), rd_kafka_topic_name(rkm->rkt)) &&
	    atoi(PQgetvalue(res, 0, 1)) == (int)rkm->partition &&
	    atoll(PQgetvalue(res, 0, 2)) == (long long)rkm->offset) {
		json_t *outs = json_loads(PQgetvalue(res, 0, 3), 0, NULL);

		outbox_add_json(ob, outs);
		json_decref(outs);
	} else if (*seen) {
		metrics_add(d->m_feedback_dup, 1);
		log_info("feedback_duplicate", "feedback_id=\"%s\" case_id=%s", f->id,
			 f->case_id ? f->case_id : "-");
	}
	PQclear(res);
	return 0;
}

/* The event message for the holding department (topic and webhook). */
static int event_to_dept(struct dispatch *d, const char *case_id, const char *dept_code,
			 const char *type, time_t at, json_t *data, int to_topic,
			 struct outbox *ob, struct sbuf *err)
{
	const struct rules_dept *dept = rules_dept_find(d->rules, dept_code);
	char *msg = NULL;
	int rc = dispatch_event(d, case_id, type, at, data, ob, &msg, err);

	if (!rc && dept)
		rc = dispatch_tell(d, dept, case_id, type, msg, to_topic, ob, err);
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

static int do_accept(struct dispatch *d, const struct fb *f, struct case_row *c,
		     struct outbox *ob, struct sbuf *err)
{
	char aid[160];

	dispatch_assignment_id(f->case_id, c->attempt, "lead", c->department, aid, sizeof aid);
	strcpy(c->state, "accepted");
	c->accepted_at = f->now;
	return dispatch_stat(d, c->department, c->category, "accepted",
			     hours_bucket(f->now - c->assigned_at), err) ||
	       case_save(d, f->case_id, c, f->now, 1, err) ||
	       event_to_dept(d, f->case_id, c->department, "accepted", f->now,
			     json_pack("{s:s, s:s, s:s}", "department", c->department,
				       "assignment_id", aid, "feedback_id", f->id),
			     0, ob, err);
}

/* The new lead after a return: by the rules without those who returned it. */
static int redispatch(struct dispatch *d, const struct fb *f, struct case_row *c,
		      struct outbox *ob, struct sbuf *err)
{
	size_t n = json_array_size(c->returned_by);
	const char **exclude = calloc(n + 1, sizeof *exclude);
	struct rules_decision dec;
	struct sbuf why = SBUF_INIT;
	char aid[160];
	int rc;

	for (size_t i = 0; i < n; i++)
		exclude[i] = json_string_value(json_array_get(c->returned_by, i));
	if (n >= DISPATCH_RETURNS_TO_TRIAGE) { /* a person decides now: no rule at all */
		memset(&dec, 0, sizeof dec);
		dec.lead = rules_triage(d->rules, dispatch_str(c->petition, "region_code", NULL));
		dec.triage = 1;
		dec.explain = json_pack("{s:s, s:n, s:b, s:s, s:O}", "version", d->rules->version,
					"rule", "triage", 1, "reason", "returned twice: the "
					"triage department decides by hand", "excluded",
					c->returned_by);
		rc = dec.lead ? 0 : -1;
		if (!dec.lead) {
			sbuf_adds(&why, "no triage department for the region");
			json_decref(dec.explain);
		}
	} else {
		rc = dispatch_decide(d, c->petition, exclude, n, &dec, &why);
	}
	free(exclude);
	if (rc) {
		sbuf_addf(err, "re-dispatch of %s: %s", f->case_id, why.buf);
		sbuf_release(&why);
		return -1;
	}
	c->attempt++;
	snprintf(c->department, sizeof c->department, "%s", dec.lead->code);
	c->assigned_at = f->now;
	dispatch_assignment_id(f->case_id, c->attempt, "lead", dec.lead->code, aid, sizeof aid);
	rc = dispatch_assign(d, c->petition, &dec, dec.lead, "lead", c->attempt, f->now,
			     c->accept_by, c->resolve_by, ob, err);
	for (size_t i = 0; !rc && i < dec.nco; i++)
		rc = dispatch_assign(d, c->petition, &dec, dec.co[i], "co", c->attempt, f->now,
				     c->accept_by, c->resolve_by, ob, err);
	if (!rc)
		rc = case_save(d, f->case_id, c, f->now, 0, err) ||
		     dispatch_event(d, f->case_id, "redispatched", f->now,
				    json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:O, s:O}",
					      "department", dec.lead->code, "assignment_id", aid,
					      "attempt", c->attempt, "rule",
					      dec.rule ? dec.rule->id : "triage", "rules_version",
					      d->rules->version, "triage", dec.triage || n >= 2,
					      "excluded", c->returned_by, "explain", dec.explain),
				    ob, NULL, err);
	rules_decision_release(&dec);
	sbuf_release(&why);
	return rc;
}

static int do_return(struct dispatch *d, const rd_kafka_message_t *rkm, struct fb *f,
		     struct case_row *c, struct outbox *ob, struct sbuf *err)
{
	const char *reason = dispatch_str(f->msg, "reason", NULL);
	time_t limit = calendar_workday_end(d->cal, c->assigned_at, DISPATCH_RETURN_WORKDAYS);
	char why[160], lim[32];

	if (time_format_cst(limit, lim), f->now >= limit) {
		snprintf(why, sizeof why, "a return is allowed within %d working days of the "
			 "assignment, until %s", DISPATCH_RETURN_WORKDAYS, lim);
		return refuse(d, rkm, f, "late_return", why, ob, err);
	}
	json_array_append_new(c->returned_by, json_string(c->department));
	return dispatch_stat(d, c->department, c->category, "returned", -1, err) ||
	       dispatch_event(d, f->case_id, "returned", f->now,
			      json_pack("{s:s, s:s, s:i, s:s}", "department", c->department,
					"reason", reason, "attempt", c->attempt,
					"feedback_id", f->id), ob, NULL, err) ||
	       redispatch(d, f, c, ob, err);
}

static int do_extend(struct dispatch *d, const rd_kafka_message_t *rkm, struct fb *f,
		     struct case_row *c, struct outbox *ob, struct sbuf *err)
{
	json_int_t days = json_integer_value(json_object_get(f->msg, "extend_days"));
	char by[32];

	if (c->extended_days)
		return refuse(d, rkm, f, "extended_already",
			      "a case may be extended once (第三十四条)", ob, err);
	if (!days)
		days = DISPATCH_EXTEND_MAX;
	c->extended_days = (int)days;
	c->resolve_by += (time_t)days * 86400;
	time_format_cst(c->resolve_by, by);
	return case_save(d, f->case_id, c, f->now, 1, err) ||
	       event_to_dept(d, f->case_id, c->department, "extended", f->now,
			     json_pack("{s:s, s:I, s:s, s:s?, s:s}", "department", c->department,
				       "days", days, "resolve_by", by, "reason",
				       dispatch_str(f->msg, "reason", NULL), "feedback_id", f->id),
			     0, ob, err);
}

static int do_resolve(struct dispatch *d, const struct fb *f, struct case_row *c,
		      struct outbox *ob, struct sbuf *err)
{
	strcpy(c->state, "resolved");
	c->resolved_at = f->now;
	return dispatch_stat(d, c->department, c->category, "resolved", -1, err) ||
	       case_save(d, f->case_id, c, f->now, 1, err) ||
	       event_to_dept(d, f->case_id, c->department, "resolved", f->now,
			     json_pack("{s:s, s:s, s:s}", "department", c->department,
				       "result", dispatch_str(f->msg, "result", NULL),
				       "feedback_id", f->id), 0, ob, err);
}

/* A rating closes the case; 不满意 reopens it (重办) to the same department. */
static int do_rate(struct dispatch *d, const struct fb *f, struct case_row *c,
		   struct outbox *ob, struct sbuf *err)
{
	const char *sat = dispatch_str(f->msg, "satisfaction", NULL);
	int unhappy = !strcmp(sat, "dissatisfied");
	char by[32];

	snprintf(c->satisfaction, sizeof c->satisfaction, "%s", sat);
	if (dispatch_stat(d, c->department, c->category, "rated", -1, err) ||
	    (!strcmp(sat, "satisfied") &&
	     dispatch_stat(d, c->department, c->category, "satisfied", -1, err)) ||
	    (unhappy && dispatch_stat(d, c->department, c->category, "dissatisfied", -1, err)) ||
	    event_to_dept(d, f->case_id, c->department, "rated", f->now,
			  json_pack("{s:s, s:s, s:s}", "department", c->department,
				    "satisfaction", sat, "feedback_id", f->id), 0, ob, err))
		return -1;
	if (!unhappy) {
		strcpy(c->state, "rated");
		return case_save(d, f->case_id, c, f->now, 1, err);
	}
	strcpy(c->state, "accepted");
	c->reopened++;
	c->resolved_at = 0;
	c->clock_start = f->now;
	c->resolve_by = f->now + (time_t)c->deadline_days * 86400;
	time_format_cst(c->resolve_by, by);
	return case_save(d, f->case_id, c, f->now, 1, err) ||
	       event_to_dept(d, f->case_id, c->department, "reopened", f->now,
			     json_pack("{s:s, s:s, s:i, s:s}", "department", c->department,
				       "resolve_by", by, "reopened", c->reopened,
				       "feedback_id", f->id), 1, ob, err);
}

/* The state each action needs, and what the action then needs of the message. */
static const struct action_rule {
	const char *action, *state, *field;
} action_rules[] = {
	{ "accept", "assigned", NULL },
	{ "return", "assigned", "reason" },
	{ "progress", "accepted", NULL },
	{ "extend", "accepted", NULL },
	{ "resolve", "accepted", "result" },
	{ "rate", "resolved", "satisfaction" },
};

static const struct action_rule *action_rule(const char *action)
{
	for (size_t i = 0; i < sizeof action_rules / sizeof action_rules[0]; i++)
		if (!strcmp(action_rules[i].action, action))
			return &action_rules[i];
	return NULL;
}

/* Whether dept co-handles the case's current attempt (co-handlers report progress). */
static int co_handles(struct dispatch *d, const char *case_id, int attempt, const char *dept,
		      int *yes, struct sbuf *err)
{
	char at[16];
	const char *params[3] = { case_id, at, dept };
	PGresult *res;

	snprintf(at, sizeof at, "%d", attempt);
	res = pg_query(d->svc.conn, "SELECT 1 FROM assignments WHERE case_id = $1"
		       " AND attempt = $2 AND department = $3 AND role = 'co'", 3, params, err);
	if (!res)
		return -1;
	*yes = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

static int apply(struct dispatch *d, const rd_kafka_message_t *rkm, struct fb *f,
		 struct case_row *c, struct outbox *ob, struct sbuf *err)
{
	const struct action_rule *ar = action_rule(f->action);
	char why[200];
	int co = 0;

	if (!strcmp(c->state, "rated"))
		return refuse(d, rkm, f, "closed", "the case is closed (rated)", ob, err);
	if (strcmp(f->dept, c->department)) {
		if (!strcmp(f->action, "progress") &&
		    co_handles(d, f->case_id, c->attempt, f->dept, &co, err))
			return -1;
		if (!co) {
			snprintf(why, sizeof why, "the case is held by %s", c->department);
			return refuse(d, rkm, f, "not_holder", why, ob, err);
		}
	}
	if (strcmp(c->state, ar->state)) {
		snprintf(why, sizeof why, "%s needs the case %s; it is %s", f->action,
			 ar->state, c->state);
		return refuse(d, rkm, f, "out_of_order", why, ob, err);
	}
	if (!strcmp(f->action, "accept"))
		return do_accept(d, f, c, ob, err);
	if (!strcmp(f->action, "return"))
		return do_return(d, rkm, f, c, ob, err);
	if (!strcmp(f->action, "extend"))
		return do_extend(d, rkm, f, c, ob, err);
	if (!strcmp(f->action, "resolve"))
		return do_resolve(d, f, c, ob, err);
	if (!strcmp(f->action, "rate"))
		return do_rate(d, f, c, ob, err);
	return 0; /* progress: recorded, the case does not change */
}

/* Schema and per-action fields; NULL if well-formed, else why (in why). */
static const char *malformed(struct dispatch *d, const struct fb *f, struct sbuf *why)
{
	const struct action_rule *ar;

	if (!json_is_object(f->msg)) {
		sbuf_adds(why, "not a JSON object");
		return why->buf;
	}
	if (jschema_validate(d->schemas, "xf.feedback.v1", f->msg, why))
		return why->buf;
	ar = action_rule(f->action);
	if (ar->field && !dispatch_str(f->msg, ar->field, NULL))
		sbuf_addf(why, "%s needs %s", f->action, ar->field);
	return why->len ? why->buf : NULL;
}

static void fb_read(struct fb *f, json_t *msg, const rd_kafka_message_t *rkm, time_t now)
{
	const char *id = dispatch_str(msg, "feedback_id", NULL);
	const char *cid = dispatch_str(msg, "case_id", NULL);

	memset(f, 0, sizeof *f);
	f->msg = msg;
	f->now = now;
	if (id && *id && strlen(id) < 128)
		snprintf(f->id, sizeof f->id, "%s", id);
	else
		snprintf(f->id, sizeof f->id, "@%s/%d/%lld", rd_kafka_topic_name(rkm->rkt),
			 (int)rkm->partition, (long long)rkm->offset);
	f->case_id = case_id_ok(cid) ? cid : NULL;
	f->dept = dispatch_str(msg, "department", NULL);
	f->action = dispatch_str(msg, "action", NULL);
}

int lifecycle_feedback(struct dispatch *d, const rd_kafka_message_t *rkm,
		       struct dispatch_item *it, struct outbox *ob, struct sbuf *err)
{
	struct sbuf why = SBUF_INIT;
	struct case_row c;
	struct fb f;
	int seen = 0, found = 0, rc;

	fb_read(&f, it->msg, rkm, dispatch_now(d));
	f.ob_from = ob->n;
	if (seen_before(d, rkm, &f, ob, &seen, err))
		return -1;
	if (seen)
		return 0;
	if (malformed(d, &f, &why)) {
		it->dlq_code = "bad_feedback";
		it->dlq_why = strdup(why.buf);
		rc = refuse(d, rkm, &f, "malformed", why.buf, ob, err);
		sbuf_release(&why);
		return rc;
	}
	sbuf_release(&why);
	if (case_load(d, f.case_id, &c, &found, err))
		return -1;
	if (!found)
		rc = refuse(d, rkm, &f, "unknown_case", "no such case", ob, err);
	else if (!(rc = apply(d, rkm, &f, &c, ob, err)) && !f.refused)
		rc = record(d, rkm, &f, "applied", NULL, ob, err);
	case_row_release(&c);
	return rc;
}
