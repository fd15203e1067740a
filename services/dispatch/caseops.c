/* caseops.c - see caseops.h. */
#include "caseops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "pg.h"
#include "public_update.h"
#include "util.h"
#include "webhook.h"
#include "xalloc.h"

#define str_at caseops_str

/* One case the work knows: loaded, or decided in it. */
struct caseops_case {
	struct case_row row;
	int is_new;      /* decided in this work */
	int dirty;       /* row to write back */
	int clock_dirty; /* the timer's stage and due_at to write back */
	time_t due_at;   /* as the last save computed it */
	time_t updated_at;
	int last_seq; /* the chain head */
	char last_hash[65];
	char open_dept[72];  /* counted open for this department ("" if not open) */
	char *petition_text; /* row.petition as compact JSON (malloc'd), or NULL */
};

/* A string jansson need not check: text it wrote itself (valid UTF-8). */
static json_t *own_text(const char *s)
{
	return s ? json_string_nocheck(s) : NULL;
}

const char *caseops_str(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

/* ---- the assignment message ---- */

void caseops_assignment_id(const char *case_id, int attempt, const char *role, const char *dept,
			   char *out, size_t outsz)
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

time_t caseops_accept_by(time_t now)
{
	return now + CASEOPS_ACCEPT_DAYS * 86400L;
}

time_t caseops_resolve_by(const struct rules_decision *dec, time_t now)
{
	return now + deadline_days(dec) * 86400L;
}

json_t *caseops_assignment(json_t *petition, const struct rules_decision *dec,
			   const struct rules_set *rs, const struct rules_dept *dept,
			   const char *role, int attempt, time_t now)
{
	return caseops_assignment_dl(petition, dec, rs, dept, role, attempt, now,
				     caseops_accept_by(now), caseops_resolve_by(dec, now));
}

/* The summary of a history block in words: 首次信访, or what was found. */
static json_t *history_summary(json_int_t count, json_t *related, int collective,
			       const char *cluster_id)
{
	struct sbuf s = SBUF_INIT;
	size_t i;
	json_t *id;
	json_t *out;

	if (count > 0) {
		sbuf_addf(&s, "重复信访: 此前同一事项 %lld 次", (long long)count);
		json_array_foreach(related, i, id)
			sbuf_addf(&s, "%s%s", i ? ", " : " (", json_string_value(id));
		if (json_array_size(related))
			sbuf_adds(&s, ")");
	}
	if (collective)
		sbuf_addf(&s, "%s集体访", s.len ? "; " : "");
	if (cluster_id)
		sbuf_addf(&s, "%s同一地区相似诉求聚集 %s", s.len ? "; " : "", cluster_id);
	out = json_string(s.len ? s.buf : "首次信访: 未发现此前同一事项");
	sbuf_release(&s);
	return out;
}

/*
 * 历史处置: what xf-classify found of the case's history, under the names
 * classification gives it (repeat, collective, cluster_id), with a summary
 * a person reads.
 */
static json_t *assignment_history(json_t *cls)
{
	json_t *repeat = json_object_get(cls, "repeat");
	json_t *count = json_object_get(repeat, "count");
	json_t *related = json_object_get(repeat, "related");
	json_int_t n = json_is_integer(count) ? json_integer_value(count) : 0;
	int collective = json_is_true(json_object_get(cls, "collective"));
	const char *cluster_id = json_string_value(json_object_get(cls, "cluster_id"));
	json_t *h;

	related = json_is_array(related) ? json_incref(related) : json_array();
	h = json_pack("{s:{s:I, s:O}, s:b, s:s?}", "repeat", "count", n, "related", related,
		      "collective", collective, "cluster_id", cluster_id);
	if (!cluster_id)
		json_object_set_new(h, "cluster_id", json_null());
	json_object_set_new(h, "summary", history_summary(n, related, collective, cluster_id));
	json_decref(related);
	return h;
}

/* The related policies of the classification ([] when it has none). */
static json_t *assignment_policies(json_t *cls)
{
	json_t *p = json_object_get(cls, "related_policies");

	return json_is_array(p) ? json_incref(p) : json_array();
}

/* The assignment without its last key, "petition". */
static json_t *assignment_head(json_t *petition, const struct rules_decision *dec,
			       const struct rules_set *rs, const struct rules_dept *dept,
			       const char *role, int attempt, time_t now, time_t accept_by_t,
			       time_t resolve_by_t)
{
	const char *case_id = json_string_value(json_object_get(petition, "case_id"));
	json_t *cls = json_object_get(petition, "classification");
	char id[160], at[32], accept_by[32], resolve_by[32];

	caseops_assignment_id(case_id, attempt, role, dept->code, id, sizeof id);
	time_format_cst(now, at);
	time_format_cst(accept_by_t, accept_by);
	time_format_cst(resolve_by_t, resolve_by);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:s, s:{s:s, s:s},"
			 " s:{s:s, s:s}, s:O, s:i, s:s, s:o, s:o}",
			 "schema", "xf.assignment.v1", "case_id", case_id, "assignment_id", id,
			 "department", dept->code, "role", role, "co_handlers", co_codes(dec),
			 "category", json_string_value(json_object_get(cls, "category")), "risk",
			 risk_level(petition), "deadlines", "accept_by", accept_by, "resolve_by",
			 resolve_by, "rule", "id", dec->rule ? dec->rule->id : "triage", "version",
			 rs->version, "explain", dec->explain, "attempt", attempt, "assigned_at",
			 at, "related_policies", assignment_policies(cls), "history",
			 assignment_history(cls));
}

json_t *caseops_assignment_dl(json_t *petition, const struct rules_decision *dec,
			      const struct rules_set *rs, const struct rules_dept *dept,
			      const char *role, int attempt, time_t now, time_t accept_by_t,
			      time_t resolve_by_t)
{
	json_t *a = assignment_head(petition, dec, rs, dept, role, attempt, now, accept_by_t,
				    resolve_by_t);

	json_object_set(a, "petition", petition);
	return a;
}

/*
 * json_dumps(a, JSON_COMPACT) of the full assignment, from the dump of its
 * head and the petition's text: "petition" is its last key, so the text is
 * the head's with ,"petition":<text> before the closing brace.
 */
static char *assignment_text(json_t *head, const char *petition_text)
{
	char *h = json_dumps(head, JSON_COMPACT);
	size_t hn = strlen(h), pn = strlen(petition_text);
	static const char key[] = ",\"petition\":";
	char *out = xmalloc(hn + sizeof key + pn + 1);

	memcpy(out, h, hn - 1);
	memcpy(out + hn - 1, key, sizeof key - 1);
	memcpy(out + hn - 1 + sizeof key - 1, petition_text, pn);
	memcpy(out + hn - 1 + sizeof key - 1 + pn, "}", 2);
	free(h);
	return out;
}

/* ---- the batch state ---- */

static const char *const doc_arrays[] = {
	"new_cases", "case_updates", "clocks",   "assignments", "events",
	"feedback",  "stats",        "webhooks", "outbox",      "open_departments",
};
#define NDOC (sizeof doc_arrays / sizeof doc_arrays[0])

void caseops_init(struct caseops *co, const struct caseops_env *env, struct outbox *ob)
{
	memset(co, 0, sizeof *co);
	co->env = *env;
	co->ob = ob;
	co->want = json_pack("{s:[], s:[], s:[]}", "replay", "feedback", "cases");
	co->doc = json_object();
	for (size_t i = 0; i < NDOC; i++)
		json_object_set_new(co->doc, doc_arrays[i], json_array());
	co->replay = json_object();
	co->seen = json_object();
	co->co = json_object();
	co->case_idx = json_object();
	figures_init(&co->fig);
}

static void case_row_release(struct case_row *c)
{
	json_decref(c->returned_by);
	json_decref(c->petition);
	json_decref(c->followups);
}

void caseops_release(struct caseops *co)
{
	json_t **objs[] = { &co->want, &co->doc, &co->replay, &co->seen, &co->co, &co->case_idx };

	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
		json_decref(*objs[i]);
	for (size_t i = 0; i < co->ncases; i++) {
		case_row_release(&co->cases[i]->row);
		free(co->cases[i]->petition_text);
		free(co->cases[i]);
	}
	free(co->cases);
	figures_release(&co->fig);
	memset(co, 0, sizeof *co);
}

/* A row that cannot be JSON (text that is not UTF-8) fails the write, as PostgreSQL would. */
static void doc_add(struct caseops *co, const char *array, json_t *row)
{
	if (!row)
		co->bad_row = 1;
	else
		json_array_append_new(json_object_get(co->doc, array), row);
}

static json_t *epoch_json(time_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

static time_t json_epoch(json_t *j, const char *key)
{
	return (time_t)json_integer_value(json_object_get(j, key));
}

/* Counts the case open for its department now, if it is open. */
static void open_track(struct caseops *co, struct caseops_case *e)
{
	const char *now = vocab_state_open(e->row.state) ? e->row.department : "";

	if (!strcmp(now, e->open_dept))
		return;
	if (*e->open_dept)
		figures_open_add(&co->fig, e->open_dept, -1);
	if (*now)
		figures_open_add(&co->fig, now, 1);
	snprintf(e->open_dept, sizeof e->open_dept, "%s", now);
}

static struct caseops_case *case_add(struct caseops *co, const char *case_id)
{
	struct caseops_case *e = xcalloc(1, sizeof *e);

	XALLOC_GROW(co->cases, co->ncases, co->acases, 64);
	snprintf(e->row.case_id, sizeof e->row.case_id, "%s", case_id);
	snprintf(e->last_hash, sizeof e->last_hash, "%s", chain_genesis);
	json_object_set_new(co->case_idx, case_id, json_integer((json_int_t)co->ncases));
	co->cases[co->ncases++] = e;
	return e;
}

static struct caseops_case *case_entry(struct caseops *co, const char *case_id)
{
	json_t *i = case_id ? json_object_get(co->case_idx, case_id) : NULL;

	return i ? co->cases[json_integer_value(i)] : NULL;
}

struct case_row *caseops_nth(struct caseops *co, size_t i)
{
	return i < co->ncases ? &co->cases[i]->row : NULL;
}

struct case_row *caseops_case(struct caseops *co, const char *case_id)
{
	struct caseops_case *e = case_entry(co, case_id);

	return e ? &e->row : NULL;
}

/* ---- the read ---- */

static void want_add(struct caseops *co, const char *list, const char *value)
{
	if (value)
		json_array_append_new(json_object_get(co->want, list), json_string(value));
}

void caseops_want_replay(struct caseops *co, const char *case_id)
{
	want_add(co, "replay", case_id);
}

void caseops_want_feedback(struct caseops *co, const char *sender, const char *feedback_id)
{
	json_array_append_new(
		json_object_get(co->want, "feedback"),
		json_pack("{s:s, s:s}", "sender", sender, "feedback_id", feedback_id));
}

/* The key of co->seen: "<sender>/<feedback_id>" (a sender code has no '/'). */
static void seen_key(const char *sender, const char *feedback_id, struct sbuf *out)
{
	sbuf_reset(out);
	sbuf_addf(out, "%s/%s", sender ? sender : "", feedback_id ? feedback_id : "");
}

void caseops_want_case(struct caseops *co, const char *case_id)
{
	want_add(co, "cases", case_id);
}

static void copy_str(char *out, size_t outsz, json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	snprintf(out, outsz, "%s", s ? s : "");
}

/* A case row of xf_dispatch_load (or of the timer's read). */
static void case_from_json(struct caseops *co, json_t *j)
{
	struct caseops_case *e = case_add(co, str_at(j, "case_id", NULL));
	struct case_row *c = &e->row;
	const char *pet = str_at(j, "petition", NULL);

	c->state = vocab_state_parse(str_at(j, "state", NULL));
	copy_str(c->department, sizeof c->department, j, "department");
	copy_str(c->category, sizeof c->category, j, "category");
	copy_str(c->region, sizeof c->region, j, "region_code");
	copy_str(c->satisfaction, sizeof c->satisfaction, j, "satisfaction");
	c->attempt = (int)json_integer_value(json_object_get(j, "attempt"));
	c->deadline_days = (int)json_integer_value(json_object_get(j, "deadline_days"));
	c->extended_days = (int)json_integer_value(json_object_get(j, "extended_days"));
	c->reopened = (int)json_integer_value(json_object_get(j, "reopened"));
	c->clock_stage = (int)json_integer_value(json_object_get(j, "clock_stage"));
	c->assigned_at = json_epoch(j, "assigned_at");
	c->accepted_at = json_epoch(j, "accepted_at");
	c->resolved_at = json_epoch(j, "resolved_at");
	c->accept_by = json_epoch(j, "accept_by");
	c->resolve_by = json_epoch(j, "resolve_by");
	c->clock_start = json_epoch(j, "clock_start");
	c->returned_by = json_deep_copy(json_object_get(j, "returned_by"));
	if (!json_is_array(c->returned_by)) {
		json_decref(c->returned_by);
		c->returned_by = json_array();
	}
	c->petition = pet ? json_loads(pet, 0, NULL) : NULL;
	c->followups = json_deep_copy(json_object_get(j, "followups"));
	if (!json_is_object(c->followups)) {
		json_decref(c->followups);
		c->followups = json_object();
	}
	e->last_seq = (int)json_integer_value(json_object_get(j, "last_seq"));
	if (str_at(j, "last_hash", NULL))
		copy_str(e->last_hash, sizeof e->last_hash, j, "last_hash");
	snprintf(e->open_dept, sizeof e->open_dept, "%s",
		 vocab_state_open(c->state) ? c->department : "");
}

/* Adds a message to replay for the case (value taken); the row, borrowed. */
static json_t *replay_add(struct caseops *co, const char *case_id, int seq, const char *topic,
			  char *value)
{
	json_t *list = json_object_get(co->replay, case_id);
	json_t *row = json_pack("{s:i, s:s, s:o}", "seq", seq, "topic", topic, "value",
				own_text(value));

	if (!list) {
		list = json_array();
		json_object_set_new(co->replay, case_id, list);
	}
	json_array_append_new(list, row);
	free(value);
	return row;
}

/* An event to replay: made into its message only if it is replayed. */
static void replay_event(struct caseops *co, const char *case_id, int seq, const char *body,
			 const char *hash)
{
	json_object_set_new(replay_add(co, case_id, seq, "case.events", xstrdup(body)), "hash",
			    json_string(hash));
}

/* A replay row's message (malloc'd): as stored, or an event's body with its hash. */
static char *replay_value(json_t *r)
{
	const char *hash = str_at(r, "hash", NULL);
	json_t *msg;
	char *text;

	if (!hash)
		return xstrdup(str_at(r, "value", NULL));
	msg = json_loads(str_at(r, "value", NULL), 0, NULL);
	json_object_set_new(msg, "hash", json_string(hash));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	return text;
}

/* A replay row: an assignment as stored, or an event's body with its hash. */
static void replay_from_json(struct caseops *co, json_t *j)
{
	const char *body = str_at(j, "body", NULL), *hash = str_at(j, "hash", NULL);

	if (!body)
		return;
	if (!hash)
		replay_add(co, str_at(j, "case_id", NULL), 0, str_at(j, "topic", NULL),
			   xstrdup(body));
	else
		replay_event(co, str_at(j, "case_id", NULL),
			     (int)json_integer_value(json_object_get(j, "seq")), body, hash);
}

static void co_key(const char *case_id, int attempt, const char *dept, char *out, size_t n)
{
	snprintf(out, n, "%s\t%d\t%s", case_id, attempt, dept);
}

static void load_result(struct caseops *co, json_t *res)
{
	struct sbuf sk = SBUF_INIT;
	size_t i;
	json_t *j;
	char key[256];

	json_array_foreach(json_object_get(res, "replay"), i, j) replay_from_json(co, j);
	json_array_foreach(json_object_get(res, "feedback"), i, j)
	{
		seen_key(str_at(j, "sender", NULL), str_at(j, "feedback_id", NULL), &sk);
		json_object_set(co->seen, sk.buf, j);
	}
	json_array_foreach(json_object_get(res, "cases"), i, j)
	{
		json_object_set(j, "clock_start", json_object_get(j, "clock_start_set"));
		case_from_json(co, j);
	}
	json_array_foreach(json_object_get(res, "co"), i, j)
	{
		co_key(str_at(j, "case_id", NULL),
		       (int)json_integer_value(json_object_get(j, "attempt")),
		       str_at(j, "department", NULL), key, sizeof key);
		json_object_set_new(co->co, key, json_true());
	}
	sbuf_release(&sk);
}

int caseops_load(struct caseops *co, struct sbuf *err)
{
	const char *params[1];
	PGresult *res;
	json_t *doc;
	char *want;
	int empty = 1;
	const char *k;
	json_t *v;

	json_object_foreach(co->want, k, v) empty &= json_array_size(v) == 0;
	if (empty)
		return 0;
	params[0] = want = json_dumps(co->want, JSON_COMPACT);
	res = pg_query(co->env.conn, "SELECT xf_dispatch_load($1::jsonb)", 1, params, err);
	free(want);
	if (!res)
		return -1;
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (!doc) {
		sbuf_adds(err, "xf_dispatch_load returned no JSON");
		return -1;
	}
	load_result(co, doc);
	json_decref(doc);
	return 0;
}

int caseops_load_due(struct caseops *co, time_t now, int limit, struct sbuf *err)
{
	char nows[24], lim[16];
	const char *params[2] = { nows, lim };
	PGresult *res;
	json_t *rows, *j;
	size_t i;
	int n;

	snprintf(nows, sizeof nows, "%lld", (long long)now);
	snprintf(lim, sizeof lim, "%d", limit);
	res = pg_query(
		co->env.conn,
		"SELECT coalesce(json_agg(c), '[]') FROM (SELECT k.case_id, k.state,"
		" k.department, k.category, k.region_code, k.clock_stage, k.attempt,"
		" extract(epoch FROM coalesce(k.clock_start, k.created_at))::bigint AS clock_start,"
		" extract(epoch FROM k.accept_by)::bigint AS accept_by,"
		" extract(epoch FROM k.resolve_by)::bigint AS resolve_by, k.followups,"
		" coalesce(h.seq, 0) AS last_seq, h.hash AS last_hash"
		" FROM (SELECT * FROM cases WHERE due_at <= to_timestamp($1) ORDER BY due_at"
		"       LIMIT $2 FOR UPDATE SKIP LOCKED) k"
		" LEFT JOIN LATERAL (SELECT e.seq, e.hash FROM case_events e"
		"   WHERE e.case_id = k.case_id ORDER BY e.seq DESC LIMIT 1) h ON true) c",
		2, params, err);
	if (!res)
		return -1;
	rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	json_array_foreach(rows, i, j) case_from_json(co, j);
	n = (int)json_array_size(rows);
	json_decref(rows);
	return n;
}

/* ---- answers from the batch state ---- */

/*
 * The public update of chain event event_text of the case whose petition
 * this is, to petition.updates keyed <source.system>/<external_id> like the
 * receipts; nothing when the citizen is not told of the event.
 */
static void update_tell(struct caseops *co, json_t *petition, const char *event_text)
{
	const char *system = str_at(petition, "source", "system");
	const char *ext = str_at(petition, "external_id", NULL);
	json_t *ev = system && ext ? json_loads(event_text, 0, NULL) : NULL;
	json_t *u = ev ? public_update(ev, system, ext, co->env.rules) : NULL;
	struct sbuf key = SBUF_INIT;

	if (u) {
		sbuf_addf(&key, "%s/%s", system, ext);
		outbox_add(co->ob, "petition.updates", key.buf, json_dumps(u, JSON_COMPACT));
		sbuf_release(&key);
	}
	json_decref(u);
	json_decref(ev);
}

static int replay_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t sx = json_integer_value(json_object_get(x, "seq"));
	json_int_t sy = json_integer_value(json_object_get(y, "seq"));

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(str_at(x, "topic", NULL), str_at(y, "topic", NULL));
}

int caseops_replay(struct caseops *co, const char *case_id, json_t *petition)
{
	json_t *list = json_object_get(co->replay, case_id);
	size_t n = json_array_size(list);
	json_t **v;

	if (!n)
		return 0;
	v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof *v, replay_cmp); /* as stored: by seq, then topic */
	for (size_t i = 0; i < n; i++) {
		char *value = replay_value(v[i]); /* the outbox's, until it is released */

		outbox_add(co->ob, str_at(v[i], "topic", NULL), case_id, value);
		if (!strcmp(str_at(v[i], "topic", NULL), "case.events"))
			update_tell(co, petition, value);
	}
	free(v);
	return 1;
}

json_t *caseops_feedback_seen(struct caseops *co, const char *sender, const char *feedback_id)
{
	struct sbuf sk = SBUF_INIT;
	json_t *rec;

	seen_key(sender, feedback_id, &sk);
	rec = json_object_get(co->seen, sk.buf);
	sbuf_release(&sk);
	return rec;
}

int caseops_co_handles(struct caseops *co, const char *case_id, int attempt, const char *dept)
{
	char key[256];

	co_key(case_id, attempt, dept, key, sizeof key);
	return json_object_get(co->co, key) != NULL;
}

void caseops_case_save(struct caseops *co, struct case_row *c, time_t now, int restart_clock)
{
	struct caseops_case *e = case_entry(co, c->case_id);
	struct deadline_plan plan;

	deadline_plan(&co->env.clock, c->state, c->clock_start, c->accept_by, c->resolve_by, &plan);
	if (restart_clock)
		c->clock_stage = deadline_stage_at(&plan, now);
	e->due_at = deadline_next(&plan, c->clock_stage);
	e->updated_at = now;
	e->dirty = 1;
	open_track(co, e);
}

void caseops_clock_save(struct caseops *co, struct case_row *c, int stage, time_t due)
{
	struct caseops_case *e = case_entry(co, c->case_id);

	c->clock_stage = stage;
	e->due_at = due;
	e->clock_dirty = 1;
}

/* ---- what the work does ---- */

struct case_row *caseops_case_new(struct caseops *co, json_t *petition,
				  const struct rules_decision *dec, time_t now)
{
	struct caseops_case *e = case_add(co, str_at(petition, "case_id", NULL));
	struct case_row *c = &e->row;
	struct deadline_plan plan;
	char *text;

	e->is_new = 1;
	c->state = CASE_ASSIGNED;
	snprintf(c->department, sizeof c->department, "%s", dec->lead->code);
	snprintf(c->category, sizeof c->category, "%s",
		 str_at(petition, "classification", "category"));
	snprintf(c->region, sizeof c->region, "%s", str_at(petition, "region_code", NULL));
	c->attempt = 1;
	c->deadline_days = (int)deadline_days(dec);
	c->assigned_at = c->clock_start = now;
	c->accept_by = caseops_accept_by(now);
	c->resolve_by = caseops_resolve_by(dec, now);
	c->returned_by = json_array();
	c->followups = json_object();
	c->petition = json_incref(petition);
	deadline_plan(&co->env.clock, CASE_ASSIGNED, now, c->accept_by, c->resolve_by, &plan);
	text = json_dumps(petition, JSON_COMPACT);
	doc_add(co, "new_cases",
		json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:I, s:o, s:s,"
			  " s:I, s:i, s:I}",
			  "case_id", c->case_id, "source_system",
			  str_at(petition, "source", "system"), "external_id",
			  str_at(petition, "external_id", NULL), "region_code", c->region,
			  "category", c->category, "risk", risk_level(petition), "department",
			  c->department, "rule_id", dec->rule ? dec->rule->id : NULL,
			  "rule_version", co->env.rules->version, "accept_by",
			  (json_int_t)c->accept_by, "resolve_by", (json_int_t)c->resolve_by,
			  "petition", own_text(text), "state", vocab_state_name(c->state),
			  "assigned_at", (json_int_t)now, "deadline_days", c->deadline_days,
			  "due_at", (json_int_t)plan.at[0]));
	free(e->petition_text);
	e->petition_text = text;
	open_track(co, e);
	return c;
}

int caseops_event(struct caseops *co, const char *case_id, const char *type, time_t at,
		  json_t *data, char **msg, struct sbuf *err)
{
	struct caseops_case *e = case_entry(co, case_id);
	struct chain_event ev;
	char ats[32], *text;

	if (!e) {
		json_decref(data);
		sbuf_addf(err, "event %s for a case not loaded", type);
		return -1;
	}
	time_format_cst(at, ats);
	chain_seal_text(&ev, &text, case_id, e->last_seq + 1, type, ats, data, e->last_hash);
	doc_add(co, "events",
		json_pack("{s:s, s:i, s:s, s:s, s:o, s:s, s:s}", "case_id", case_id, "seq",
			  e->last_seq + 1, "type", type, "at", ats, "body", own_text(ev.body),
			  "prev_hash", e->last_hash, "hash", ev.hash));
	e->last_seq++;
	snprintf(e->last_hash, sizeof e->last_hash, "%s", ev.hash);
	if (msg)
		*msg = xstrdup(text);
	outbox_add(co->ob, "case.events", case_id, text);
	update_tell(co, e->row.petition, text);
	if (e->is_new && e->last_seq <= 3)
		replay_event(co, case_id, e->last_seq, ev.body, ev.hash);
	chain_event_release(&ev);
	return 0;
}

void caseops_tell(struct caseops *co, const struct rules_dept *dept, const char *case_id,
		  const char *kind, const char *msg, int to_topic)
{
	char topic[128];

	if (to_topic) {
		snprintf(topic, sizeof topic, "assignments.%s", dept->code);
		outbox_add(co->ob, topic, case_id, xstrdup(msg));
	}
	if (dept->webhook && *dept->webhook)
		doc_add(co, "webhooks", webhook_row(case_id, dept->code, dept->webhook, kind, msg));
}

void caseops_assign(struct caseops *co, json_t *petition, const struct rules_decision *dec,
		    const struct rules_dept *dept, const char *role, int attempt, time_t now,
		    time_t accept_by, time_t resolve_by)
{
	json_t *a = assignment_head(petition, dec, co->env.rules, dept, role, attempt, now,
				    accept_by, resolve_by);
	const char *case_id = str_at(a, "case_id", NULL);
	struct caseops_case *e = case_entry(co, case_id);
	char *ptext = NULL, *body, topic[128], key[256];

	if (!e || e->row.petition != petition || !e->petition_text)
		ptext = json_dumps(petition, JSON_COMPACT);
	body = assignment_text(a, ptext ? ptext : e->petition_text);
	free(ptext);
	doc_add(co, "assignments",
		json_pack("{s:s, s:s, s:i, s:s, s:s, s:o}", "assignment_id",
			  str_at(a, "assignment_id", NULL), "case_id", case_id, "attempt", attempt,
			  "department", dept->code, "role", role, "body", own_text(body)));
	if (!strcmp(role, "lead"))
		caseops_stat(co, dept->code, str_at(petition, "classification", "category"),
			     "assigned", -1);
	else {
		co_key(case_id, attempt, dept->code, key, sizeof key);
		json_object_set_new(co->co, key, json_true());
	}
	caseops_tell(co, dept, case_id, "assignment", body, 1);
	if (e && e->is_new && attempt == 1) {
		snprintf(topic, sizeof topic, "assignments.%s", dept->code);
		replay_add(co, case_id, 0, topic, xstrdup(body));
	}
	free(body);
	json_decref(a);
}

/* ---- statistics and the chooser ---- */

void caseops_stat(struct caseops *co, const char *dept, const char *category, const char *counter,
		  int bucket)
{
	figures_add(&co->fig, dept, category, counter, bucket);
}

struct choice_ctx {
	struct caseops *co;
	int failed;
	struct sbuf err;
};

static size_t choose_cb(void *arg, json_t *petition, const struct rules_dept *const *cands,
			size_t n, json_t **explain)
{
	struct choice_ctx *cc = arg;
	struct choose_stats *st;
	size_t best;

	if (figures_load(&cc->co->fig, cc->co->env.conn, &cc->err)) {
		cc->failed = 1;
		return 0;
	}
	st = xcalloc(n, sizeof *st);
	for (size_t i = 0; i < n; i++)
		figures_candidate(
			&cc->co->fig,
			str_at(json_object_get(petition, "classification"), "category", NULL),
			cands[i], &st[i]);
	best = (size_t)choose_best(st, n, cc->co->env.weights, explain);
	free(st);
	return best;
}

int caseops_decide(struct caseops *co, json_t *petition, const char *const *exclude,
		   size_t nexclude, struct rules_decision *dec, struct sbuf *why)
{
	struct choice_ctx cc = { co, 0, SBUF_INIT };
	struct rules_options opt = { exclude, nexclude, choose_cb, &cc };
	int rc = rules_decide_opt(co->env.rules, petition, &opt, dec, why) ? CASEOPS_UNPLACED : 0;

	if (!rc && cc.failed) { /* PostgreSQL failed under the chooser */
		rules_decision_release(dec);
		sbuf_adds(why, cc.err.buf);
		rc = -1;
	}
	sbuf_release(&cc.err);
	return rc;
}

void caseops_feedback_record(struct caseops *co, const struct caseops_feedback *f)
{
	struct sbuf sk = SBUF_INIT;

	doc_add(co, "feedback",
		json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?, s:s, s:s, s:i, s:I, s:s}",
			  "sender", f->sender, "feedback_id", f->feedback_id, "case_id", f->case_id,
			  "department", f->department, "action", f->action, "outcome", f->outcome,
			  "reason", f->reason, "body", f->body, "src_topic", f->src_topic,
			  "src_partition", f->src_partition, "src_offset",
			  (json_int_t)f->src_offset, "outputs", f->outputs));
	seen_key(f->sender, f->feedback_id, &sk);
	json_object_set_new(co->seen, sk.buf,
			    json_pack("{s:s, s:i, s:I, s:s}", "src_topic", f->src_topic,
				      "src_partition", f->src_partition, "src_offset",
				      (json_int_t)f->src_offset, "outputs", f->outputs));
	sbuf_release(&sk);
}

/* ---- the write ---- */

static json_t *case_update_row(const struct caseops_case *e)
{
	const struct case_row *c = &e->row;
	json_t *row = json_pack(
		"{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:i, s:O, s:i, s:s?,"
		" s:i, s:o, s:o, s:I}",
		"case_id", c->case_id, "state", vocab_state_name(c->state), "department",
		c->department, "attempt", c->attempt, "assigned_at", epoch_json(c->assigned_at),
		"accepted_at", epoch_json(c->accepted_at), "resolved_at",
		epoch_json(c->resolved_at), "resolve_by", epoch_json(c->resolve_by),
		"extended_days", c->extended_days, "returned_by", c->returned_by, "reopened",
		c->reopened, "satisfaction", *c->satisfaction ? c->satisfaction : NULL,
		"clock_stage", c->clock_stage, "due_at", epoch_json(e->due_at), "clock_start",
		epoch_json(c->clock_start), "updated_at", (json_int_t)e->updated_at);

	if (row && c->followups_dirty) /* written only when changed (migration 015) */
		json_object_set(row, "followups", c->followups);
	return row;
}

/* Adds the rows kept as state until now: case changes, statistics, the outbox. */
static void doc_finish(struct caseops *co, int durable)
{
	for (size_t i = 0; i < co->ncases; i++) {
		const struct caseops_case *e = co->cases[i];

		if (e->dirty)
			doc_add(co, "case_updates", case_update_row(e));
		else if (e->clock_dirty)
			doc_add(co, "clocks",
				json_pack("{s:s, s:i, s:o}", "case_id", e->row.case_id,
					  "clock_stage", e->row.clock_stage, "due_at",
					  epoch_json(e->due_at)));
	}
	figures_rows(&co->fig, json_object_get(co->doc, "stats"));
	figures_open_departments(&co->fig, json_object_get(co->doc, "open_departments"));
	if (durable) {
		json_t *rows = outbox_json(co->ob, 0);

		json_array_extend(json_object_get(co->doc, "outbox"), rows);
		json_decref(rows);
	}
}

/* s as a JSON string: jansson's strings are valid UTF-8, so only these need escaping. */
static void text_json(struct sbuf *out, const char *s, size_t len)
{
	size_t from = 0;

	sbuf_addch(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(out, s + from, i - from);
		if (c == '"' || c == '\\') {
			sbuf_addch(out, '\\');
			sbuf_addch(out, (char)c);
		} else {
			sbuf_addf(out, "\\u%04x", c);
		}
		from = i + 1;
	}
	sbuf_add(out, s + from, len - from);
	sbuf_addch(out, '"');
}

/* One value of a row; strings written directly (the bulk of a batch's bytes). */
static void value_json(struct sbuf *out, json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		text_json(out, json_string_value(v), json_string_length(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	sbuf_adds(out, text);
	free(text);
}

/*
 * The write document as text: {"array": [{"key": value, ...}, ...], ...}.
 * The same JSON json_dumps() would give, without its cost on large strings.
 */
static void doc_text(json_t *doc, struct sbuf *out)
{
	const char *name, *key;
	json_t *rows, *row, *v;
	size_t i;
	int n = 0;

	sbuf_addch(out, '{');
	json_object_foreach(doc, name, rows)
	{
		sbuf_addf(out, "%s\"%s\": [", n++ ? ", " : "", name);
		json_array_foreach(rows, i, row)
		{
			int m = 0;

			if (!json_is_object(row)) {
				sbuf_adds(out, i ? ", " : "");
				value_json(out, row);
				continue;
			}
			sbuf_adds(out, i ? ", {" : "{");
			json_object_foreach(row, key, v)
			{
				sbuf_adds(out, m++ ? ", " : "");
				text_json(out, key, strlen(key));
				sbuf_addch(out, ':');
				value_json(out, v);
			}
			sbuf_addch(out, '}');
		}
		sbuf_addch(out, ']');
	}
	sbuf_addch(out, '}');
}

int caseops_write(struct caseops *co, int durable, struct sbuf *err)
{
	struct sbuf doc = SBUF_INIT;
	const char *params[1];
	const char *k;
	json_t *v;
	int empty = 1, rc;

	doc_finish(co, durable);
	if (co->bad_row) {
		sbuf_adds(err, "a row of the batch is not valid UTF-8");
		return -1;
	}
	json_object_foreach(co->doc, k, v) empty &= json_array_size(v) == 0;
	if (empty)
		return 0;
	doc_text(co->doc, &doc);
	params[0] = doc.buf;
	rc = pg_exec(co->env.conn, "SELECT xf_dispatch_write($1::jsonb)", 1, params, err);
	sbuf_release(&doc);
	return rc;
}
