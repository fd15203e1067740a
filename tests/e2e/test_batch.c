/*
 * test_batch.c - xf-dispatch decides a batch as it would decide its
 * messages one by one: the same input, worked once with XF_BATCH_MAX=1 and
 * once published ahead so that it arrives in large batches, leaves the
 * same cases, chains, assignments (the candidate chooser included, whose
 * figures earlier decisions of a batch change), feedback outcomes,
 * statistics, open counts and webhook rows, and publishes as many messages.
 * Within a batch: a petition repeated (its replay is byte for byte the
 * first publication), several feedback messages on one case, one
 * feedback_id used twice, a return that re-dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "tharness.h"

#define NCASES 24
#define CASE_FMT "XF-330381-20261122-%06d"

static const char *const categories[4] = {
	"labor_social_security",
	"labor_social_security",
	"health",
	"agriculture_rural",
};

static char *petition_text(int i)
{
	char case_id[32], ext[32];
	json_t *p;
	char *text;

	snprintf(case_id, sizeof case_id, CASE_FMT, i + 1);
	snprintf(ext, sizeof ext, "bt-%d", i + 1);
	p = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:s,"
		      " s:{s:s, s:{s:s}, s:s}}",
		      "schema", "xf.petition.v1", "case_id", case_id, "source", "system", "bt",
		      "channel", "hotline", "external_id", ext, "occurred_at",
		      "2026-11-22T09:30:00+08:00", "received_at", "2026-11-22T09:31:00+08:00",
		      "region_code", i % 8 == 7 ? "330381001" : "330381101", "subject", "批量测试",
		      "content", "同一批次与逐条处理结果一致", "classification", "category",
		      i % 8 == 7 ? "other" : categories[i % 4], "risk", "level", "C", "model",
		      "test");
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

/* Every message on one key: one partition, so both runs see one order. */
static int produce(struct e2e *t, const char *topic, const char *text)
{
	return e2e_produce_to(t, topic, "batch-test", text, strlen(text));
}

/* The petitions, three of them twice, and one without a region. */
static int publish_petitions(struct e2e *t)
{
	int rc = 0;

	for (int i = 0; i < NCASES && !rc; i++) {
		char *text = petition_text(i);

		rc = produce(t, "petition.classified", text);
		if (!rc && i % 9 == 4) /* the same petition again, in the same batch */
			rc = produce(t, "petition.classified", text);
		free(text);
	}
	return rc || produce(t, "petition.classified", "{\"case_id\": \"x\"}") || e2e_flush(t);
}

static int feedback(struct e2e *t, const char *id, int i, const char *dept, const char *action,
		    const char *extra)
{
	char case_id[32];
	json_t *fb, *more = extra ? json_loads(extra, 0, NULL) : NULL;
	char *text;
	int rc;

	snprintf(case_id, sizeof case_id, CASE_FMT, i + 1);
	fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1", "feedback_id",
		       id, "case_id", case_id, "department", dept, "action", action, "at",
		       "2026-11-22T10:00:00+08:00");
	if (more)
		json_object_update(fb, more);
	text = json_dumps(fb, JSON_COMPACT);
	/* a rating comes from the citizen's side (development: believed unsigned) */
	rc = !strcmp(action, "rate") ? e2e_feedback_as(t, "t-12345", NULL, "batch-test", text)
				     : produce(t, "department.feedback", text);
	free(text);
	json_decref(more);
	json_decref(fb);
	return rc;
}

static const char *holder(struct e2e *t, int i, char out[72])
{
	char sql[160];
	PGresult *res;

	snprintf(sql, sizeof sql, "SELECT department FROM cases WHERE case_id = '" CASE_FMT "'",
		 i + 1);
	res = PQexec(t->conn, sql);
	snprintf(out, 72, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "none");
	PQclear(res);
	return out;
}

/* One case's feedback, by pattern; returns how many feedback ids it used. */
static int case_feedback(struct e2e *t, int i, int *rc)
{
	char d[72], id[8][32];
	static const char *const resolve = "{\"result\": \"已处理\"}";

	holder(t, i, d);
	for (int k = 0; k < 8; k++)
		snprintf(id[k], sizeof id[k], "bt-%d-%d", i, k);
	switch (i % 8) {
	case 0:
		*rc |= feedback(t, id[0], i, d, "accept", NULL);
		return 1;
	case 1:
		*rc |= feedback(t, id[0], i, d, "accept", NULL) ||
		       feedback(t, id[1], i, d, "resolve", resolve);
		return 2;
	case 2:
		*rc |= feedback(t, id[0], i, d, "accept", NULL) ||
		       feedback(t, id[1], i, d, "resolve", resolve) ||
		       feedback(t, id[2], i, d, "rate", "{\"satisfaction\": \"satisfied\"}");
		return 3;
	case 3:
		*rc |= feedback(t, id[0], i, d, "accept", NULL) ||
		       feedback(t, id[1], i, d, "resolve", resolve) ||
		       feedback(t, id[2], i, d, "rate", "{\"satisfaction\": \"dissatisfied\"}") ||
		       feedback(t, id[3], i, d, "resolve", resolve);
		return 4;
	case 4: /* a return: re-dispatched without d; then d is no longer the holder */
		*rc |= feedback(t, id[0], i, d, "return", "{\"reason\": \"不属于本单位\"}") ||
		       feedback(t, id[1], i, d, "accept", NULL);
		return 2;
	case 5: /* one extension only; progress by a department that does not hold it */
		*rc |= feedback(t, id[0], i, d, "accept", NULL) ||
		       feedback(t, id[1], i, d, "extend", "{\"extend_days\": 10}") ||
		       feedback(t, id[2], i, d, "extend", "{\"extend_days\": 5}") ||
		       feedback(t, id[3], i, "t-jyj", "progress", NULL);
		return 4;
	case 6: /* one feedback_id twice: the second changes nothing */
		*rc |= feedback(t, id[0], i, d, "accept", NULL) ||
		       feedback(t, id[0], i, d, "resolve", resolve) ||
		       feedback(t, id[1], i, d, "resolve", resolve);
		return 2;
	default: /* out of order, then malformed */
		*rc |= feedback(t, id[0], i, d, "resolve", resolve) ||
		       feedback(t, id[1], i, d, "rate", NULL);
		return 2;
	}
}

static int publish_feedback(struct e2e *t, long *ids)
{
	int rc = 0;

	*ids = 0;
	for (int i = 0; i < NCASES; i++)
		*ids += case_feedback(t, i, &rc);
	rc |= feedback(t, "bt-unknown", 900, "t-rsj", "accept", NULL);
	++*ids;
	return rc || e2e_flush(t);
}

static int assigned_at_least(struct e2e *t, void *arg)
{
	return (long)e2e_count(t, "assignments.*") >= *(long *)arg &&
	       e2e_count(t, "petition.dlq") >= 1;
}

static int feedback_recorded(struct e2e *t, void *arg)
{
	return e2e_sql_long(t, "SELECT count(*) FROM feedback") >= *(long *)arg;
}

/* The rows of sql, one line each, appended to out. */
static void rows(struct e2e *t, const char *sql, struct sbuf *out)
{
	PGresult *res = PQexec(t->conn, sql);

	if (!T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK))
		fprintf(stderr, "    %s: %s", sql, PQerrorMessage(t->conn));
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < PQnfields(res); c++)
			sbuf_addf(out, "%s%s", c ? "|" : "", PQgetvalue(res, r, c));
		sbuf_adds(out, "\n");
	}
	PQclear(res);
}

/* What the run left, without its times and hashes; and the messages per topic. */
static void summary(struct e2e *t, struct sbuf *out)
{
	json_t *topics = json_object();
	char *text;

	rows(t,
	     "SELECT case_id, state, department, attempt, extended_days, reopened,"
	     " satisfaction, clock_stage, returned_by FROM cases ORDER BY 1",
	     out);
	rows(t,
	     "SELECT case_id, string_agg(type, ',' ORDER BY seq) FROM case_events"
	     " GROUP BY 1 ORDER BY 1",
	     out);
	rows(t, "SELECT case_id, attempt, department, role FROM assignments ORDER BY 1, 2, 3", out);
	rows(t, "SELECT feedback_id, case_id, outcome, reason FROM feedback ORDER BY 1", out);
	rows(t, "SELECT * FROM dept_stats ORDER BY 1, 2", out);
	rows(t, "SELECT case_id, department, kind FROM webhook_deliveries ORDER BY id", out);
	for (size_t i = 0; i < t->nmsgs; i++) {
		const char *topic = t->msgs[i].topic;

		json_object_set_new(
			topics, topic,
			json_integer(json_integer_value(json_object_get(topics, topic)) + 1));
	}
	text = json_dumps(topics, JSON_SORT_KEYS | JSON_INDENT(0));
	sbuf_addf(out, "%s\n", text);
	free(text);
	json_decref(topics);
}

/* Two messages of one case on one topic that are one output published twice. */
static int same_output(const struct e2e_msg *a, const struct e2e_msg *b)
{
	json_t *ja = a->json, *jb = b->json;

	if (!ja || !jb || strcmp(a->topic, b->topic) || strcmp(a->key, b->key))
		return 0;
	if (!strncmp(a->topic, "assignments.", 12))
		return json_equal(json_object_get(ja, "assignment_id"),
				  json_object_get(jb, "assignment_id"));
	return !strcmp(a->topic, "case.events") &&
	       json_integer_value(json_object_get(ja, "seq")) > 0 &&
	       json_equal(json_object_get(ja, "seq"), json_object_get(jb, "seq"));
}

/*
 * Every copy of a case's assignment is the first, byte for byte; a copy of
 * an event is the same JSON (a replay publishes the stored body with its
 * hash, keys sorted, as it always has).
 */
static void check_replays(struct e2e *t)
{
	size_t pairs = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		for (size_t j = i + 1; j < t->nmsgs; j++) {
			const struct e2e_msg *a = &t->msgs[i], *b = &t->msgs[j];

			if (!same_output(a, b))
				continue;
			pairs++;
			if (!strncmp(a->topic, "assignments.", 12))
				T_CHECK(a->len == b->len && !memcmp(a->value, b->value, a->len));
			else
				T_CHECK(json_equal(a->json, b->json));
		}
	T_INTEQ(pairs, 3 * 4); /* three petitions twice: an assignment, three events */
}

/* The open counts the chooser reads agree with the cases. */
static void check_open_counts(struct e2e *t)
{
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM (SELECT department, count(*) AS n"
				" FROM cases WHERE state IN ('assigned', 'accepted') GROUP BY 1) c"
				" FULL JOIN dept_open o USING (department)"
				" WHERE coalesce(c.n, 0) <> coalesce(o.open, 0)"),
		0);
}

/*
 * The counts the gauges and scorecard read (migration 012) agree with the
 * cases, before and after the deltas are folded.
 */
static void check_case_counts(struct e2e *t)
{
	static const char diff[] =
		"SELECT count(*) FROM (SELECT department, state, count(*) AS cases,"
		"  count(*) FILTER (WHERE clock_stage >= 2) AS late,"
		"  count(*) FILTER (WHERE petition @? '$.classification.repeat.count ? (@ > 0)')"
		"   AS repeats, count(satisfaction) AS rated,"
		"  count(*) FILTER (WHERE satisfaction = 'satisfied') AS satisfied, 0 AS returns"
		"  FROM cases GROUP BY 1, 2"
		" UNION ALL SELECT r.department, '', 0, 0, 0, 0, 0, count(*)"
		"  FROM cases, unnest(returned_by) AS r(department) GROUP BY 1) c"
		" FULL JOIN (SELECT * FROM case_counts_now WHERE cases <> 0 OR returns <> 0) k"
		"  USING (department, state)"
		" WHERE (c.cases, c.late, c.repeats, c.rated, c.satisfied, c.returns)"
		"  IS DISTINCT FROM (k.cases, k.late, k.repeats, k.rated, k.satisfied, k.returns)";

	T_CHECK(e2e_sql_long(t, "SELECT count(*) FROM cases") > 0);
	T_CHECK(e2e_sql_long(t, "SELECT count(*) FROM cases WHERE returned_by <> '{}'") > 0);
	T_INTEQ(e2e_sql_long(t, diff), 0);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM (SELECT xf_case_counts_fold()) f"), 1);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM case_count_deltas"), 0);
	T_INTEQ(e2e_sql_long(t, diff), 0);
}

/* One run: petitions, then feedback, each published before xf-dispatch starts. */
static void run(const char *name, const char *batch_max, struct sbuf *out)
{
	static const char *const verify[] = { "audit", "verify", NULL };
	struct e2e t;
	long want = NCASES + 3, ids = 0;
	struct sbuf audit = SBUF_INIT;

	setenv("XF_BATCH_MAX", batch_max, 1);
	if (!T_CHECK(e2e_setup_rules(&t, name, "tests/e2e/rules_batch.json") == 0))
		return;
	T_CHECK(publish_petitions(&t) == 0);
	T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
	T_CHECK(e2e_collect_until(&t, assigned_at_least, &want, 120));
	T_INTEQ(e2e_stop(&t, E2E_DISPATCH), 0);
	T_CHECK(publish_feedback(&t, &ids) == 0);
	T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
	T_CHECK(e2e_collect_until(&t, feedback_recorded, &ids, 120));
	T_INTEQ(e2e_stop(&t, E2E_DISPATCH), 0);
	e2e_collect(&t, 1000);
	T_INTEQ(e2e_xfctl(&t, &audit, verify), 0);
	check_replays(&t);
	check_open_counts(&t);
	check_case_counts(&t);
	summary(&t, out);
	sbuf_release(&audit);
	e2e_teardown(&t);
	unsetenv("XF_BATCH_MAX");
}

static void t_batch_as_one_by_one(void)
{
	struct sbuf one = SBUF_INIT, many = SBUF_INIT;

	run("batch_one", "1", &one);
	run("batch_many", "500", &many);
	T_CHECK(one.len > 1000);
	if (!T_STREQ(many.buf, one.buf))
		fprintf(stderr, "    one by one:\n%s\n    in batches:\n%s\n", one.buf, many.buf);
	sbuf_release(&one);
	sbuf_release(&many);
}

/* clang-format off */
T_SUITE(e2e_batch, { "batch_decides_as_one_by_one", t_batch_as_one_by_one })
/* clang-format on */
