/* dispatch.c - see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "log.h"
#include "pg.h"
#include "util.h"

/* Outputs of a batch, produced only after its transaction commits. */
struct outbox {
	struct out_msg { char *topic, *key, *value; } *v;
	size_t n, alloc;
};

static void outbox_add(struct outbox *ob, const char *topic, const char *key, char *value)
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

static void outbox_release(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++) {
		free(ob->v[i].topic);
		free(ob->v[i].key);
		free(ob->v[i].value);
	}
	free(ob->v);
	memset(ob, 0, sizeof *ob);
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

json_t *dispatch_assignment(json_t *petition, const struct rules_decision *dec,
			    const struct rules_set *rs, const struct rules_dept *dept,
			    const char *role, int attempt, time_t now)
{
	const char *case_id = json_string_value(json_object_get(petition, "case_id"));
	long days = dec->rule ? dec->rule->deadline_days : RULES_DEADLINE_DAYS;
	char id[160], at[32], accept_by[32], resolve_by[32];

	dispatch_assignment_id(case_id, attempt, role, dept->code, id, sizeof id);
	time_format_cst(now, at);
	time_format_cst(now + DISPATCH_ACCEPT_DAYS * 86400L, accept_by);
	time_format_cst(now + days * 86400L, resolve_by);
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

/* Loads the active rule set when it changed since the last batch (one
 * round trip; the body is sent only when it changed). */
static int rules_refresh(struct dispatch *d, struct sbuf *err)
{
	PGresult *res;
	struct rules_set *rs;
	json_t *doc;

	if (pg_active_doc(d->svc.conn, "rule_sets", d->rules ? d->rules_sha : "", &res, err))
		return -1;
	if (!res) {
		sbuf_adds(err, "no rule set imported yet: run xfctl rules import FILE");
		return -1;
	}
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

/* Publishes a case already decided: its stored assignments and events. */
static int case_replay(struct dispatch *d, const char *case_id, struct outbox *ob,
		       int *found, struct sbuf *err)
{
	const char *params[1] = { case_id };
	PGresult *res = pg_query(d->svc.conn,
		"SELECT 'assignments.' || department, body, NULL, 0 FROM assignments"
		" WHERE case_id = $1 UNION ALL"
		" SELECT 'case.events', body, hash, seq FROM case_events"
		" WHERE case_id = $1 ORDER BY 4, 1", 1, params, err);

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

static const char *str_at(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

/* The case row; *won = 0 when another instance decided it first. */
static int case_insert(struct dispatch *d, json_t *petition,
		       const struct rules_decision *dec, time_t now, int *won,
		       struct sbuf *err)
{
	long days = dec->rule ? dec->rule->deadline_days : RULES_DEADLINE_DAYS;
	char accept_by[32], resolve_by[32];
	char *text = json_dumps(petition, JSON_COMPACT);
	const char *params[13] = {
		str_at(petition, "case_id", NULL), str_at(petition, "source", "system"),
		str_at(petition, "external_id", NULL), str_at(petition, "region_code", NULL),
		str_at(petition, "classification", "category"), risk_level(petition),
		dec->lead->code, dec->rule ? dec->rule->id : NULL, d->rules->version,
		accept_by, resolve_by, text, "assigned",
	};
	PGresult *res;

	time_format_cst(now + DISPATCH_ACCEPT_DAYS * 86400L, accept_by);
	time_format_cst(now + days * 86400L, resolve_by);
	res = pg_query(d->svc.conn,
		       "INSERT INTO cases (case_id, source_system, external_id, region_code,"
		       " category, risk, department, rule_id, rule_version, accept_by,"
		       " resolve_by, petition, state) VALUES ($1, coalesce($2, ''),"
		       " coalesce($3, ''), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
		       " ON CONFLICT (case_id) DO NOTHING RETURNING 1", 13, params, err);
	free(text);
	if (!res)
		return -1;
	*won = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

static int assignment_insert(struct dispatch *d, json_t *petition,
			     const struct rules_decision *dec,
			     const struct rules_dept *dept, const char *role,
			     time_t now, struct outbox *ob, struct sbuf *err)
{
	json_t *a = dispatch_assignment(petition, dec, d->rules, dept, role, 1, now);
	char *body = json_dumps(a, JSON_COMPACT);
	const char *params[5] = { str_at(a, "assignment_id", NULL),
				  str_at(a, "case_id", NULL), dept->code, role, body };
	char topic[128];
	int rc = pg_exec(d->svc.conn,
			 "INSERT INTO assignments (assignment_id, case_id, attempt,"
			 " department, role, body) VALUES ($1, $2, 1, $3, $4, $5)",
			 5, params, err);

	snprintf(topic, sizeof topic, "assignments.%s", dept->code);
	if (!rc)
		outbox_add(ob, topic, params[1], body);
	else
		free(body);
	json_decref(a);
	return rc;
}

static int event_insert(struct dispatch *d, const char *case_id, int seq,
			const char *type, const char *at, json_t *data,
			char prev[65], struct outbox *ob, struct sbuf *err)
{
	struct chain_event ev;
	char seqs[16];
	int rc;

	chain_seal(&ev, case_id, seq, type, at, data, prev);
	snprintf(seqs, sizeof seqs, "%d", seq);
	rc = pg_exec(d->svc.conn,
		     "INSERT INTO case_events (case_id, seq, type, at, body, prev_hash, hash)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7,
		     (const char *const[]){ case_id, seqs, type, at, ev.body, prev, ev.hash },
		     err);
	if (!rc) {
		outbox_add(ob, "case.events", case_id, json_dumps(ev.message, JSON_COMPACT));
		memcpy(prev, ev.hash, 65);
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
	char prev[65], at[32], aid[160];

	memcpy(prev, chain_genesis, 65);
	time_format_cst(now, at);
	dispatch_assignment_id(case_id, 1, "lead", dec->lead->code, aid, sizeof aid);
	if (event_insert(d, case_id, 1, "received", received ? received : at,
			 json_pack("{s:s?, s:s?, s:s?}", "source_system",
				   str_at(petition, "source", "system"), "external_id",
				   str_at(petition, "external_id", NULL), "channel",
				   str_at(petition, "source", "channel")), prev, ob, err) ||
	    event_insert(d, case_id, 2, "classified", at,
			 json_pack("{s:O?, s:O?, s:O?}", "category",
				   json_object_get(cls, "category"), "risk",
				   json_object_get(cls, "risk"), "model",
				   json_object_get(cls, "model")), prev, ob, err))
		return -1;
	return event_insert(d, case_id, 3, "assigned", at,
			    json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:b}", "department",
				      dec->lead->code, "assignment_id", aid,
				      "co_handlers", co_codes(dec), "rule",
				      dec->rule ? dec->rule->id : "triage",
				      "rules_version", d->rules->version, "attempt", 1,
				      "triage", dec->triage), prev, ob, err);
}

/* Decides a new case and records it; the outputs go to ob. */
static int case_decide(struct dispatch *d, json_t *petition,
		       const struct rules_decision *dec, struct outbox *ob,
		       struct sbuf *err)
{
	time_t now = time(NULL);
	int won = 0;

	if (case_insert(d, petition, dec, now, &won, err))
		return -1;
	if (!won) /* decided meanwhile by another instance: publish that */
		return case_replay(d, str_at(petition, "case_id", NULL), ob, &won, err);
	if (assignment_insert(d, petition, dec, dec->lead, "lead", now, ob, err))
		return -1;
	for (size_t i = 0; i < dec->nco; i++)
		if (assignment_insert(d, petition, dec, dec->co[i], "co", now, ob, err))
			return -1;
	return events_insert(d, petition, dec, now, ob, err);
}

/* One message of a batch. */
struct dispatch_item {
	json_t *petition;       /* owned; NULL if unreadable */
	const char *dlq_code;   /* set when the message goes to the DLQ */
	char *dlq_why;          /* owned */
};

static void item_prepare(struct dispatch_item *it, const rd_kafka_message_t *rkm)
{
	json_t *p = json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, NULL);
	const char *region = str_at(p, "region_code", NULL);

	if (!json_is_object(p) || !str_at(p, "case_id", NULL) || !region ||
	    !region_code_valid(region) ||
	    !str_at(json_object_get(p, "classification"), "category", NULL)) {
		it->dlq_code = "bad_petition";
		it->dlq_why = strdup("not an xf.petition.v1 object with case_id, "
				     "region_code and classification.category");
		json_decref(p);
		return;
	}
	it->petition = p;
}

static int item_route(struct dispatch *d, struct dispatch_item *it,
		      struct outbox *ob, struct sbuf *err)
{
	struct rules_decision dec;
	struct sbuf why = SBUF_INIT;
	int found = 0, rc;

	if (case_replay(d, str_at(it->petition, "case_id", NULL), ob, &found, err))
		return -1;
	if (found)
		return 0;
	if (rules_decide(d->rules, it->petition, &dec, &why)) {
		it->dlq_code = "unroutable";
		it->dlq_why = sbuf_detach(&why, NULL);
		return 0;
	}
	rc = case_decide(d, it->petition, &dec, ob, err);
	rules_decision_release(&dec);
	sbuf_release(&why);
	return rc;
}

static int route_all(struct dispatch *d, struct dispatch_item *items, size_t n,
		     struct outbox *ob, struct sbuf *err)
{
	if (pg_begin(d->svc.conn, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].petition && !items[i].dlq_code &&
		    item_route(d, &items[i], ob, err))
			return -1;
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

	if (rules_refresh(d, err))
		return SVC_NOT_READY;
	items = calloc(n, sizeof *items);
	if (!items)
		abort();
	for (size_t i = 0; i < n; i++)
		item_prepare(&items[i], msgs[i]);
	rc = route_all(d, items, n, &ob, err);
	if (!rc)
		rc = publish(d, msgs, items, n, &ob, acks, err);
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].petition);
		free(items[i].dlq_why);
	}
	free(items);
	outbox_release(&ob);
	return rc;
}

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	static const char *const topics[] = { "petition.classified", NULL };

	d->rules = NULL;
	d->rules_sha[0] = '\0';
	return svc_init(&d->svc, "xf-dispatch", "127.0.0.1:8083", "dispatch", topics,
			stop, err);
}

int dispatch_run(struct dispatch *d)
{
	return svc_run(&d->svc, dispatch_batch, d);
}

void dispatch_release(struct dispatch *d)
{
	svc_release(&d->svc);
	rules_free(d->rules);
	d->rules = NULL;
}
