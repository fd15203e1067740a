/* dispatch.c - see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "embed.h"
#include "jschema.h"
#include "lag.h"
#include "log.h"
#include "pg.h"
#include "status.h"
#include "util.h"
#include "webhook.h"

void outbox_add(struct outbox *ob, const char *topic, const char *key, char *value)
{
	if (ob->n == ob->alloc) {
		ob->alloc = ob->alloc ? ob->alloc * 2 : 64;
		ob->v = realloc(ob->v, ob->alloc * sizeof *ob->v);
		if (!ob->v)
			abort();
	}
	ob->v[ob->n].topic = strdup(topic);
	ob->v[ob->n].key = strdup(key);
	ob->v[ob->n++].value = value; /* taken */
}

void outbox_release(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++) {
		free(ob->v[i].topic);
		free(ob->v[i].key);
		free(ob->v[i].value);
	}
	free(ob->v);
	memset(ob, 0, sizeof *ob);
}

json_t *outbox_json(const struct outbox *ob, size_t from)
{
	json_t *arr = json_array();

	for (size_t i = from; i < ob->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "topic",
				      ob->v[i].topic, "key", ob->v[i].key, "value",
				      ob->v[i].value));
	return arr;
}

void outbox_add_json(struct outbox *ob, json_t *arr)
{
	size_t i;
	json_t *m;

	json_array_foreach(arr, i, m) {
		const char *topic = dispatch_str(m, "topic", NULL);
		const char *key = dispatch_str(m, "key", NULL);
		const char *value = dispatch_str(m, "value", NULL);

		if (topic && key && value)
			outbox_add(ob, topic, key, strdup(value));
	}
}

/* Reads XF_CLOCK_FILE's offset (tests only), once per batch and tick. */
static void clock_refresh(struct dispatch *d)
{
	const char *path = d->svc.conf.clock_file;
	long long offset = 0;
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "r")))
		return;
	if (fscanf(f, "%lld", &offset) == 1)
		d->clock_offset = (time_t)offset;
	fclose(f);
}

time_t dispatch_now(const struct dispatch *d)
{
	return time(NULL) + d->clock_offset;
}

void dispatch_assignment_id(const char *case_id, int attempt, const char *role,
			    const char *dept, char *out, size_t outsz)
{
	if (!strcmp(role, "lead"))
		snprintf(out, outsz, "%s-A%d", case_id, attempt);
	else
		snprintf(out, outsz, "%s-A%d-%s", case_id, attempt, dept);
}

static json_t *co_codes(const struct rules_decision *dec)
{
	json_t *a = json_array();

	for (size_t i = 0; i < dec->nco; i++)
		json_array_append_new(a, json_string(dec->co[i]->code));
	return a;
}

static const char *risk_level(json_t *petition)
{
	json_t *risk = json_object_get(json_object_get(petition, "classification"), "risk");
	const char *level = json_string_value(json_object_get(risk, "level"));

	return level ? level : "C";
}

static long deadline_days(const struct rules_decision *dec)
{
	return dec->rule ? dec->rule->deadline_days : RULES_DEADLINE_DAYS;
}

json_t *dispatch_assignment(json_t *petition, const struct rules_decision *dec,
			    const struct rules_set *rs, const struct rules_dept *dept,
			    const char *role, int attempt, time_t now)
{
	return dispatch_assignment_dl(petition, dec, rs, dept, role, attempt, now,
				      now + DISPATCH_ACCEPT_DAYS * 86400L,
				      now + deadline_days(dec) * 86400L);
}

json_t *dispatch_assignment_dl(json_t *petition, const struct rules_decision *dec,
			       const struct rules_set *rs, const struct rules_dept *dept,
			       const char *role, int attempt, time_t now,
			       time_t accept_by_t, time_t resolve_by_t)
{
	const char *case_id = json_string_value(json_object_get(petition, "case_id"));
	char id[160], at[32], accept_by[32], resolve_by[32];

	dispatch_assignment_id(case_id, attempt, role, dept->code, id, sizeof id);
	time_format_cst(now, at);
	time_format_cst(accept_by_t, accept_by);
	time_format_cst(resolve_by_t, resolve_by);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:s, s:{s:s, s:s},"
			 " s:{s:s, s:s}, s:O, s:i, s:s, s:O}",
			 "schema", "xf.assignment.v1", "case_id", case_id,
			 "assignment_id", id, "department", dept->code, "role", role,
			 "co_handlers", co_codes(dec),
			 "category", json_string_value(json_object_get(
				 json_object_get(petition, "classification"), "category")),
			 "risk", risk_level(petition),
			 "deadlines", "accept_by", accept_by, "resolve_by", resolve_by,
			 "rule", "id", dec->rule ? dec->rule->id : "triage",
			 "version", rs->version, "explain", dec->explain,
			 "attempt", attempt, "assigned_at", at, "petition", petition);
}

/* LISTENs for imports on a new connection; a new one may have missed some. */
static int listen_imports(struct dispatch *d, struct sbuf *err)
{
	PGconn *conn = d->svc.conn;

	if (PQbackendPID(conn) == d->listen_pid)
		return 0;
	if (pg_exec(conn, "LISTEN xf_rules", 0, NULL, err) ||
	    pg_exec(conn, "LISTEN xf_calendar", 0, NULL, err))
		return -1;
	d->listen_pid = PQbackendPID(conn);
	d->rules_dirty = d->cal_dirty = 1;
	return 0;
}

/* Takes the notifications that arrived; an import sends one at its commit. */
static void take_notifies(struct dispatch *d)
{
	PGnotify *n;

	PQconsumeInput(d->svc.conn);
	while ((n = PQnotifies(d->svc.conn))) {
		if (!strcmp(n->relname, "xf_rules"))
			d->rules_dirty = 1;
		else if (!strcmp(n->relname, "xf_calendar"))
			d->cal_dirty = 1;
		PQfreemem(n);
	}
}

#define RULES_RECHECK_MS 30000.0  /* in case a notification went missing */

/*
 * Loads the active rule set when an import said so (LISTEN xf_rules), and
 * at least every RULES_RECHECK_MS (one round trip; the body is sent only
 * when it changed). A batch runs under one set from start to end.
 */
static int rules_refresh(struct dispatch *d, struct sbuf *err)
{
	PGresult *res;
	struct rules_set *rs;
	json_t *doc;

	if (d->rules && !d->rules_dirty && now_ms() - d->rules_checked_ms < RULES_RECHECK_MS)
		return 0;
	if (pg_active_doc(d->svc.conn, "rule_sets", d->rules ? d->rules_sha : "", &res, err))
		return -1;
	if (!res) {
		sbuf_adds(err, "no rule set imported yet: run xfctl rules import FILE");
		return -1;
	}
	d->rules_dirty = 0;
	d->rules_checked_ms = now_ms();
	if (!pg_value(res, 0, 1)) { /* unchanged */
		PQclear(res);
		return 0;
	}
	doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	rs = doc ? rules_parse(doc, err) : NULL;
	json_decref(doc);
	if (rs) {
		rules_free(d->rules);
		d->rules = rs;
		snprintf(d->rules_sha, sizeof d->rules_sha, "%s", PQgetvalue(res, 0, 0));
		log_info("rules_loaded", "version=\"%s\" rules=%zu departments=%zu",
			 rs->version, rs->nrules, rs->ndepts);
	}
	PQclear(res);
	return rs ? 0 : -1;
}

/* Loads the working-day calendar at start and after xfctl calendar import. */
static int calendar_refresh(struct dispatch *d, struct sbuf *err)
{
	struct calendar *cal;

	if (d->cal && !d->cal_dirty)
		return 0;
	if (calendar_load_pg(d->svc.conn, &cal, err))
		return -1;
	calendar_free(d->cal);
	d->cal = cal;
	d->cal_dirty = 0;
	log_info("calendar_loaded", NULL);
	return 0;
}

int dispatch_ready(struct dispatch *d, struct sbuf *err)
{
	clock_refresh(d);
	if (listen_imports(d, err))
		return -1;
	take_notifies(d);
	return rules_refresh(d, err) || calendar_refresh(d, err) ? SVC_NOT_READY : 0;
}

/*
 * Publishes the first decision of a case already decided: its first
 * assignments and its first three events (later ones belong to feedback
 * and the timer, which replay their own).
 */
static int case_replay(struct dispatch *d, const char *case_id, struct outbox *ob,
		       int *found, struct sbuf *err)
{
	const char *params[1] = { case_id };
	PGresult *res = pg_query(d->svc.conn,
		"SELECT 'assignments.' || department, body, NULL, 0 FROM assignments"
		" WHERE case_id = $1 AND attempt = 1 UNION ALL"
		" SELECT 'case.events', body, hash, seq FROM case_events"
		" WHERE case_id = $1 AND seq <= 3 ORDER BY 4, 1", 1, params, err);

	if (!res)
		return -1;
	*found = PQntuples(res) > 0;
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *msg = json_loads(PQgetvalue(res, i, 1), 0, NULL);

		if (!pg_value(res, i, 2)) { /* an assignment: as stored */
			outbox_add(ob, PQgetvalue(res, i, 0), case_id,
				   strdup(PQgetvalue(res, i, 1)));
		} else {
			json_object_set_new(msg, "hash", json_string(PQgetvalue(res, i, 2)));
			outbox_add(ob, "case.events", case_id, json_dumps(msg, JSON_COMPACT));
		}
		json_decref(msg);
	}
	PQclear(res);
	return 0;
}

const char *dispatch_str(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

#define str_at dispatch_str

static void epoch_str(time_t t, char out[24])
{
	snprintf(out, 24, "%lld", (long long)t);
}

/* The case row; *won = 0 when another instance decided it first. */
static int case_insert(struct dispatch *d, json_t *petition,
		       const struct rules_decision *dec, time_t now, int *won,
		       struct sbuf *err)
{
	struct clock_plan plan;
	char accept_by[24], resolve_by[24], at[24], days[16], due[24];
	char *text = json_dumps(petition, JSON_COMPACT);
	const char *params[16] = {
		str_at(petition, "case_id", NULL), str_at(petition, "source", "system"),
		str_at(petition, "external_id", NULL), str_at(petition, "region_code", NULL),
		str_at(petition, "classification", "category"), risk_level(petition),
		dec->lead->code, dec->rule ? dec->rule->id : NULL, d->rules->version,
		accept_by, resolve_by, text, "assigned", at, days, due,
	};
	PGresult *res;

	epoch_str(now + DISPATCH_ACCEPT_DAYS * 86400L, accept_by);
	epoch_str(now + deadline_days(dec) * 86400L, resolve_by);
	epoch_str(now, at);
	snprintf(days, sizeof days, "%ld", deadline_days(dec));
	timer_plan(d, "assigned", now, now + DISPATCH_ACCEPT_DAYS * 86400L,
		   now + deadline_days(dec) * 86400L, &plan);
	epoch_str(plan.at[0], due);
	res = pg_query(d->svc.conn,
		       "INSERT INTO cases (case_id, source_system, external_id, region_code,"
		       " category, risk, department, rule_id, rule_version, accept_by,"
		       " resolve_by, petition, state, assigned_at, clock_start, deadline_days,"
		       " due_at) VALUES ($1, coalesce($2, ''), coalesce($3, ''), $4, $5, $6,"
		       " $7, $8, $9, to_timestamp($10), to_timestamp($11), $12, $13,"
		       " to_timestamp($14), to_timestamp($14), $15, to_timestamp($16))"
		       " ON CONFLICT (case_id) DO NOTHING RETURNING 1", 16, params, err);
	free(text);
	if (!res)
		return -1;
	*won = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

int dispatch_stat(struct dispatch *d, const char *dept, const char *category,
		  const char *counter, int bucket, struct sbuf *err)
{
	char sql[256], b[16];
	const char *params[3] = { dept, category ? category : "other", b };

	snprintf(b, sizeof b, "%d", bucket + 1); /* SQL arrays count from 1 */
	snprintf(sql, sizeof sql, "UPDATE dept_stats SET %s = %s + 1%s"
		 " WHERE department = $1 AND category = $2", counter, counter,
		 bucket >= 0 ? ", accept_hist[$3::int] = accept_hist[$3::int] + 1" : "");
	return pg_exec(d->svc.conn, "INSERT INTO dept_stats (department, category)"
		       " VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, params, err) ||
	       pg_exec(d->svc.conn, sql, bucket >= 0 ? 3 : 2, params, err);
}

int dispatch_tell(struct dispatch *d, const struct rules_dept *dept, const char *case_id,
		  const char *kind, const char *msg, int to_topic, struct outbox *ob,
		  struct sbuf *err)
{
	char topic[128];

	if (to_topic) {
		snprintf(topic, sizeof topic, "assignments.%s", dept->code);
		outbox_add(ob, topic, case_id, strdup(msg));
	}
	if (dept->webhook && *dept->webhook)
		return webhook_enqueue(d->svc.conn, case_id, dept->code, dept->webhook,
				       kind, msg, err);
	return 0;
}

int dispatch_assign(struct dispatch *d, json_t *petition, const struct rules_decision *dec,
		    const struct rules_dept *dept, const char *role, int attempt, time_t now,
		    time_t accept_by, time_t resolve_by, struct outbox *ob, struct sbuf *err)
{
	json_t *a = dispatch_assignment_dl(petition, dec, d->rules, dept, role, attempt, now,
					   accept_by, resolve_by);
	char *body = json_dumps(a, JSON_COMPACT), at[16];
	const char *params[6] = { str_at(a, "assignment_id", NULL),
				  str_at(a, "case_id", NULL), dept->code, role, body, at };
	int rc;

	snprintf(at, sizeof at, "%d", attempt);
	rc = pg_exec(d->svc.conn,
		     "INSERT INTO assignments (assignment_id, case_id, attempt,"
		     " department, role, body) VALUES ($1, $2, $6, $3, $4, $5)",
		     6, params, err) ||
	     (!strcmp(role, "lead") &&
	      dispatch_stat(d, dept->code, str_at(petition, "classification", "category"),
			    "assigned", -1, err)) ||
	     dispatch_tell(d, dept, params[1], "assignment", body, 1, ob, err);
	free(body);
	json_decref(a);
	return rc ? -1 : 0;
}

int dispatch_event(struct dispatch *d, const char *case_id, const char *type, time_t at,
		   json_t *data, struct outbox *ob, char **msg, struct sbuf *err)
{
	const char *params[1] = { case_id };
	PGresult *res = pg_query(d->svc.conn, "SELECT seq, hash FROM case_events"
				 " WHERE case_id = $1 ORDER BY seq DESC LIMIT 1", 1, params, err);
	struct chain_event ev;
	char seqs[16], ats[32], prev[65];
	int seq, rc;

	if (!res) {
		json_decref(data);
		return -1;
	}
	seq = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) + 1 : 1;
	snprintf(prev, sizeof prev, "%s", PQntuples(res) ? PQgetvalue(res, 0, 1) : chain_genesis);
	PQclear(res);
	time_format_cst(at, ats);
	chain_seal(&ev, case_id, seq, type, ats, data, prev);
	snprintf(seqs, sizeof seqs, "%d", seq);
	rc = pg_exec(d->svc.conn,
		     "INSERT INTO case_events (case_id, seq, type, at, body, prev_hash, hash)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7,
		     (const char *const[]){ case_id, seqs, type, ats, ev.body, prev, ev.hash },
		     err);
	if (!rc) {
		outbox_add(ob, "case.events", case_id, json_dumps(ev.message, JSON_COMPACT));
		if (msg)
			*msg = json_dumps(ev.message, JSON_COMPACT);
	}
	chain_event_release(&ev);
	return rc;
}

/* received, classified, assigned: the first three links of the chain. */
static int events_insert(struct dispatch *d, json_t *petition,
			 const struct rules_decision *dec, time_t now,
			 struct outbox *ob, struct sbuf *err)
{
	const char *case_id = str_at(petition, "case_id", NULL);
	const char *received = str_at(petition, "received_at", NULL);
	json_t *cls = json_object_get(petition, "classification");
	time_t received_t = now;
	char aid[160];

	if (received)
		time_parse_rfc3339(received, &received_t);
	dispatch_assignment_id(case_id, 1, "lead", dec->lead->code, aid, sizeof aid);
	if (dispatch_event(d, case_id, "received", received_t,
			   json_pack("{s:s?, s:s?, s:s?}", "source_system",
				     str_at(petition, "source", "system"), "external_id",
				     str_at(petition, "external_id", NULL), "channel",
				     str_at(petition, "source", "channel")), ob, NULL, err) ||
	    dispatch_event(d, case_id, "classified", now,
			   json_pack("{s:O?, s:O?, s:O?}", "category",
				     json_object_get(cls, "category"), "risk",
				     json_object_get(cls, "risk"), "model",
				     json_object_get(cls, "model")), ob, NULL, err))
		return -1;
	return dispatch_event(d, case_id, "assigned", now,
			      json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:b}", "department",
					dec->lead->code, "assignment_id", aid,
					"co_handlers", co_codes(dec), "rule",
					dec->rule ? dec->rule->id : "triage",
					"rules_version", d->rules->version, "attempt", 1,
					"triage", dec->triage), ob, NULL, err);
}

/* End-to-end latency of a new case: from the event and from intake (real time). */
static void observe_latency(struct dispatch *d, json_t *petition)
{
	time_t t, now = time(NULL);

	if (time_parse_rfc3339(str_at(petition, "occurred_at", NULL) ?
			       str_at(petition, "occurred_at", NULL) : "", &t) == 0 && t <= now)
		metrics_observe(d->m_latency_occurred, (double)(now - t));
	if (time_parse_rfc3339(str_at(petition, "received_at", NULL) ?
			       str_at(petition, "received_at", NULL) : "", &t) == 0 && t <= now)
		metrics_observe(d->m_latency_received, (double)(now - t));
}

/* Decides a new case and records it; the outputs go to ob. */
static int case_decide(struct dispatch *d, json_t *petition,
		       const struct rules_decision *dec, struct outbox *ob,
		       struct sbuf *err)
{
	time_t now = dispatch_now(d);
	time_t accept_by = now + DISPATCH_ACCEPT_DAYS * 86400L;
	time_t resolve_by = now + deadline_days(dec) * 86400L;
	int won = 0;

	if (case_insert(d, petition, dec, now, &won, err))
		return -1;
	if (!won) /* decided meanwhile by another instance: publish that */
		return case_replay(d, str_at(petition, "case_id", NULL), ob, &won, err);
	observe_latency(d, petition);
	if (dispatch_assign(d, petition, dec, dec->lead, "lead", 1, now, accept_by,
			    resolve_by, ob, err))
		return -1;
	for (size_t i = 0; i < dec->nco; i++)
		if (dispatch_assign(d, petition, dec, dec->co[i], "co", 1, now, accept_by,
				    resolve_by, ob, err))
			return -1;
	return events_insert(d, petition, dec, now, ob, err);
}

/* The figures of each candidate for the chooser (common/choose.h). */
static int candidate_stats(struct dispatch *d, const char *category,
			   const struct rules_dept *const *cands, size_t n,
			   struct choose_stats *st, struct sbuf *err)
{
	json_t *list = json_array();
	const char *params[2];
	char *codes;
	PGresult *res;

	for (size_t i = 0; i < n; i++) {
		memset(&st[i], 0, sizeof st[i]);
		st[i].department = cands[i]->code;
		st[i].capacity = cands[i]->capacity;
		json_array_append_new(list, json_string(cands[i]->code));
	}
	params[0] = codes = json_dumps(list, JSON_COMPACT);
	params[1] = category ? category : "other";
	res = pg_query(d->svc.conn,
		"SELECT c.code, coalesce(s.assigned, 0), coalesce(s.accepted, 0),"
		" coalesce(s.resolved, 0), coalesce(s.rated, 0), coalesce(s.satisfied, 0),"
		" coalesce(s.dissatisfied, 0), coalesce(array_to_string(s.accept_hist, ','), ''),"
		" (SELECT count(*) FROM cases k WHERE k.department = c.code"
		"   AND k.state IN ('assigned', 'accepted'))"
		" FROM json_array_elements_text($1::json) AS c(code)"
		" LEFT JOIN dept_stats s ON s.department = c.code AND s.category = $2",
		2, params, err);
	free(codes);
	json_decref(list);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res); r++)
		for (size_t i = 0; i < n; i++) {
			const char *h = PQgetvalue(res, r, 7);

			if (strcmp(PQgetvalue(res, r, 0), st[i].department))
				continue;
			st[i].assigned = atol(PQgetvalue(res, r, 1));
			st[i].accepted = atol(PQgetvalue(res, r, 2));
			st[i].resolved = atol(PQgetvalue(res, r, 3));
			st[i].rated = atol(PQgetvalue(res, r, 4));
			st[i].satisfied = atol(PQgetvalue(res, r, 5));
			st[i].dissatisfied = atol(PQgetvalue(res, r, 6));
			for (int b = 0; b < 12 && *h; b++) {
				char *end;

				st[i].accept_hist[b] = strtol(h, &end, 10);
				h = *end == ',' ? end + 1 : end;
			}
			st[i].open_cases = atol(PQgetvalue(res, r, 8));
		}
	PQclear(res);
	return 0;
}

struct choice_ctx {
	struct dispatch *d;
	int failed;
	struct sbuf err;
};

static size_t choose_cb(void *arg, json_t *petition, const struct rules_dept *const *cands,
			size_t n, json_t **explain)
{
	struct choice_ctx *cc = arg;
	struct choose_stats *st = calloc(n, sizeof *st);
	size_t best = 0;

	if (!st)
		abort();
	if (candidate_stats(cc->d, dispatch_str(json_object_get(petition, "classification"),
						"category", NULL), cands, n, st, &cc->err))
		cc->failed = 1;
	else
		best = (size_t)choose_best(st, n, &cc->d->weights, explain);
	free(st);
	return best;
}

int dispatch_decide(struct dispatch *d, json_t *petition, const char *const *exclude,
		    size_t nexclude, struct rules_decision *dec, struct sbuf *why)
{
	struct choice_ctx cc = { d, 0, SBUF_INIT };
	struct rules_options opt = { exclude, nexclude, choose_cb, &cc };
	int rc = rules_decide_opt(d->rules, petition, &opt, dec, why);

	if (!rc && cc.failed) { /* PostgreSQL failed under the chooser: try again */
		rules_decision_release(dec);
		sbuf_adds(why, cc.err.buf);
		rc = -2;
	}
	sbuf_release(&cc.err);
	return rc;
}

static void item_prepare(struct dispatch_item *it, const rd_kafka_message_t *rkm)
{
	json_t *p = json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, NULL);
	const char *region = str_at(p, "region_code", NULL);

	it->feedback = !strcmp(rd_kafka_topic_name(rkm->rkt), "department.feedback");
	if (it->feedback) {
		it->msg = p; /* lifecycle.c judges it */
		return;
	}
	if (!json_is_object(p) || !str_at(p, "case_id", NULL) || !region ||
	    !region_code_valid(region) ||
	    !str_at(json_object_get(p, "classification"), "category", NULL)) {
		it->dlq_code = "bad_petition";
		it->dlq_why = strdup("not an xf.petition.v1 object with case_id, "
				     "region_code and classification.category");
		json_decref(p);
		return;
	}
	it->msg = p;
}

static int item_route(struct dispatch *d, struct dispatch_item *it,
		      struct outbox *ob, struct sbuf *err)
{
	struct rules_decision dec;
	struct sbuf why = SBUF_INIT;
	int found = 0, rc;

	if (case_replay(d, str_at(it->msg, "case_id", NULL), ob, &found, err))
		return -1;
	if (found)
		return 0;
	rc = dispatch_decide(d, it->msg, NULL, 0, &dec, &why);
	if (rc == -2) {
		sbuf_adds(err, why.buf);
		sbuf_release(&why);
		return -1;
	}
	if (rc) {
		it->dlq_code = "unroutable";
		it->dlq_why = sbuf_detach(&why, NULL);
		return 0;
	}
	rc = case_decide(d, it->msg, &dec, ob, err);
	rules_decision_release(&dec);
	sbuf_release(&why);
	return rc;
}

static int route_all(struct dispatch *d, rd_kafka_message_t **msgs,
		     struct dispatch_item *items, size_t n, struct outbox *ob,
		     struct sbuf *err)
{
	if (pg_begin(d->svc.conn, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dispatch_item *it = &items[i];

		if (it->feedback ? lifecycle_feedback(d, msgs[i], it, ob, err) :
		    it->msg && !it->dlq_code && item_route(d, it, ob, err))
			return -1;
	}
	return pg_commit(d->svc.conn, err);
}

static int publish(struct dispatch *d, rd_kafka_message_t **msgs,
		   struct dispatch_item *items, size_t n, const struct outbox *ob,
		   struct kafka_acks *acks, struct sbuf *err)
{
	for (size_t i = 0; i < ob->n; i++) {
		const struct out_msg *m = &ob->v[i];

		if (kafka_produce(d->svc.producer, m->topic, m->key, strlen(m->key),
				  m->value, strlen(m->value), NULL, 0, acks, err))
			return -1;
		svc_count_out(&d->svc, strncmp(m->topic, "assignments.", 12) ?
			      m->topic : "assignments", "message");
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].dlq_code &&
		    svc_dead_letter(&d->svc, msgs[i], items[i].dlq_code,
				    items[i].dlq_why, acks, err))
			return -1;
	return 0;
}

static int dispatch_batch(void *self, rd_kafka_message_t **msgs, size_t n,
			  struct kafka_acks *acks, struct sbuf *err)
{
	struct dispatch *d = self;
	struct dispatch_item *items;
	struct outbox ob = { NULL, 0, 0 };
	int rc;

	if ((rc = dispatch_ready(d, err)))
		return rc;
	items = calloc(n, sizeof *items);
	if (!items)
		abort();
	for (size_t i = 0; i < n; i++)
		item_prepare(&items[i], msgs[i]);
	rc = route_all(d, msgs, items, n, &ob, err);
	if (!rc)
		rc = publish(d, msgs, items, n, &ob, acks, err);
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].msg);
		free(items[i].dlq_why);
	}
	free(items);
	outbox_release(&ob);
	return rc;
}

/* Ready only with a rule set (read from the HTTP thread: a pointer test). */
static int rules_loaded(void *arg, struct sbuf *why)
{
	struct dispatch *d = arg;

	if (d->rules)
		return 1;
	sbuf_adds(why, "no rule set loaded: run xfctl rules import FILE");
	return 0;
}

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	static const char *const topics[] = { "petition.classified", "department.feedback",
					       NULL };

	memset(d, 0, sizeof *d);
	if (svc_init(&d->svc, "xf-dispatch", "127.0.0.1:8083", "dispatch", topics,
		     stop, err))
		return -1;
	choose_weights_from_conf(&d->svc.conf, &d->weights);
	d->svc.ready_extra = rules_loaded;
	d->svc.ready_arg = d;
	d->svc.tick = timer_tick;
	d->svc.tick_self = d;
	d->svc.tick_ms = d->svc.conf.timer_ms;
	http_set_route(d->svc.http, status_route, d->svc.metrics);
	d->m_feedback_dup = metrics_get(d->svc.metrics, "xf_feedback_duplicates_total",
					"Feedback messages whose feedback_id was already applied",
					METRICS_COUNTER, NULL);
	d->m_latency_occurred = metrics_histogram(d->svc.metrics, "xf_end_to_end_seconds",
		"From a petition's occurred_at, or from intake, to its assignment",
		metrics_buckets_latency, "from=\"occurred_at\"");
	d->m_latency_received = metrics_histogram(d->svc.metrics, "xf_end_to_end_seconds",
		"From a petition's occurred_at, or from intake, to its assignment",
		metrics_buckets_latency, "from=\"intake\"");
	d->schemas = jschema_set_new();
	if (jschema_add(d->schemas, embed_find("schemas/xf.feedback.v1.json")->data,
			embed_find("schemas/xf.feedback.v1.json")->len, err))
		return -1;
	d->webhooks = webhook_start(&d->svc.conf, err);
	if (!d->webhooks)
		return -1;
	/* the lag of all our groups, for /metrics and the status page */
	d->lag = lag_monitor_start(&d->svc.conf, d->svc.metrics, d->svc.conf.lag_interval_ms,
				   LAG_WINDOW_DEFAULT, err);
	return d->lag ? 0 : -1;
}

int dispatch_run(struct dispatch *d)
{
	return svc_run(&d->svc, dispatch_batch, d);
}

void dispatch_release(struct dispatch *d)
{
	lag_monitor_stop(d->lag);
	d->lag = NULL;
	webhook_stop(d->webhooks);
	d->webhooks = NULL;
	svc_release(&d->svc);
	rules_free(d->rules);
	d->rules = NULL;
	calendar_free(d->cal);
	d->cal = NULL;
	jschema_set_free(d->schemas);
	d->schemas = NULL;
}
