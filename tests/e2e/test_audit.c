/*
 * test_audit.c - the audit chain's head on the real stack: deleting a
 * case's last event, or rewriting a whole chain with every hash
 * recomputed, is reported by `xfctl audit verify` and `case show`; the
 * untouched case stays ok; migration 010 gives existing cases their heads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "e2e.h"
#include "gen.h"
#include "pg.h"
#include "tharness.h"

#define NCASES 3

/* Every case has its first three events (received, classified, assigned). */
static int chains_grown(struct e2e *t, void *arg)
{
	(void)arg;
	return e2e_sql_long(t, "SELECT count(*) FROM (SELECT case_id FROM case_events"
			       " GROUP BY case_id HAVING max(seq) >= 3) c") >= NCASES;
}

/*
 * Rewrites the chain of case_id from its first event on: the first event's
 * data gains a member, every event is sealed again on the new hashes, as
 * someone with write access and the code would. Returns 0 or -1.
 */
static int rewrite_chain(struct e2e *t, const char *case_id)
{
	PGresult *res = pg_query(t->conn,
				 "SELECT seq, body FROM case_events WHERE case_id = $1"
				 " ORDER BY seq",
				 1, (const char *const[]){ case_id }, NULL);
	char prev[65];
	int rc = res ? 0 : -1;

	memcpy(prev, chain_genesis, sizeof prev);
	for (int i = 0; res && !rc && i < PQntuples(res); i++) {
		json_t *old = json_loads(PQgetvalue(res, i, 1), 0, NULL);
		json_t *data = json_deep_copy(json_object_get(old, "data"));
		struct chain_event ev;
		char seq[16];

		if (i == 0)
			json_object_set_new(data, "source_system", json_string("rewritten"));
		snprintf(seq, sizeof seq, "%d", i + 1);
		chain_seal(&ev, case_id, i + 1, json_string_value(json_object_get(old, "type")),
			   json_string_value(json_object_get(old, "at")), data, prev);
		rc = pg_exec(t->conn,
			     "UPDATE case_events SET body = $3, prev_hash = $4, hash = $5"
			     " WHERE case_id = $1 AND seq = $2::integer",
			     5, (const char *const[]){ case_id, seq, ev.body, prev, ev.hash },
			     NULL);
		memcpy(prev, ev.hash, sizeof prev);
		chain_event_release(&ev);
		json_decref(old);
	}
	PQclear(res);
	return rc;
}

/* Runs xfctl with args; its exit status, its output in out (replaced). */
static int xfctl(struct e2e *t, struct sbuf *out, const char *a, const char *b, const char *c)
{
	const char *args[] = { a, b, c, NULL };

	sbuf_reset(out);
	return e2e_xfctl(t, out, args);
}

/* Runs the NCASES events ev through the daemons, then stops them: nothing
 * appends while the test looks. */
static void run_cases(struct e2e *t, const struct gen_event *ev)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(t, d) == 0);
	for (int i = 0; i < NCASES; i++)
		T_CHECK(e2e_produce(t, ev[i].key, ev[i].bytes, ev[i].len) == 0);
	T_CHECK(e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, chains_grown, NULL, 120));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(t, d), 0);
}

static void t_truncation(void)
{
	struct gen_event *ev = gen_events("audit-heads", NCASES, 0, 0);
	struct sbuf out = SBUF_INIT;
	char ids[NCASES][32] = { "", "", "" }, line[160];
	PGresult *res;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "audit_heads") == 0))
		return;
	run_cases(&t, ev);
	res = PQexec(t.conn, "SELECT case_id FROM cases ORDER BY case_id");
	for (int i = 0; i < PQntuples(res) && i < NCASES; i++)
		snprintf(ids[i], sizeof ids[i], "%s", PQgetvalue(res, i, 0));
	PQclear(res);

	T_INTEQ(xfctl(&t, &out, "audit", "verify", NULL), 0);
	T_CHECK(strstr(out.buf, "3 cases checked, 0 broken") != NULL);

	/* the last event of the first case goes */
	res = PQexecParams(t.conn,
			   "DELETE FROM case_events WHERE case_id = $1 AND seq ="
			   " (SELECT max(seq) FROM case_events WHERE case_id = $1)",
			   1, NULL, (const char *const[]){ ids[0] }, NULL, NULL, 0);
	T_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK && !strcmp(PQcmdTuples(res), "1"));
	PQclear(res);
	/* the second case's chain is written anew, consistently */
	T_CHECK(rewrite_chain(&t, ids[1]) == 0);

	T_INTEQ(xfctl(&t, &out, "audit", "verify", NULL), 1);
	snprintf(line, sizeof line, "BROKEN %s: events ", ids[0]);
	T_CHECK(strstr(out.buf, line) && strstr(out.buf, " missing: the chain ends at "));
	snprintf(line, sizeof line, "BROKEN %s: chain rewritten", ids[1]);
	T_CHECK(strstr(out.buf, line) != NULL);
	T_CHECK(strstr(out.buf, ids[2]) == NULL);
	if (!T_CHECK(strstr(out.buf, "3 cases checked, 2 broken") != NULL))
		fprintf(stderr, "    xfctl audit verify:\n%s", out.buf);

	T_INTEQ(xfctl(&t, &out, "case", "show", ids[0]), 1);
	T_CHECK(strstr(out.buf, "chain: BROKEN: events ") != NULL);
	T_INTEQ(xfctl(&t, &out, "case", "show", ids[1]), 1);
	T_CHECK(strstr(out.buf, "chain: BROKEN: chain rewritten") != NULL);
	T_INTEQ(xfctl(&t, &out, "case", "show", ids[2]), 0);
	T_CHECK(strstr(out.buf, "chain: intact") != NULL);

	/* all of a case's events gone: its head still says it had some */
	res = PQexecParams(t.conn, "DELETE FROM case_events WHERE case_id = $1", 1, NULL,
			   (const char *const[]){ ids[2] }, NULL, NULL, 0);
	PQclear(res);
	T_INTEQ(xfctl(&t, &out, "audit", "verify", NULL), 1);
	snprintf(line, sizeof line, "BROKEN %s: events 1..", ids[2]);
	T_CHECK(strstr(out.buf, line) && strstr(out.buf, "3 cases checked, 3 broken"));

	gen_free(ev, NCASES);
	sbuf_release(&out);
	e2e_teardown(&t);
}

/* Migration 010 on a database with cases: each gets the head its chain ends at. */
static void t_backfill(void)
{
	static const char undo_010[] =
		"DROP TABLE case_heads; DROP FUNCTION xf_case_heads_advance() CASCADE;"
		" DELETE FROM schema_migrations WHERE version = 10";
	struct gen_event *ev = gen_events("audit-backfill", NCASES, 0, 0);
	struct sbuf out = SBUF_INIT;
	PGresult *res;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "audit_backfill") == 0))
		return;
	run_cases(&t, ev);

	res = PQexec(t.conn, undo_010); /* as if the cases were there before 010 */
	T_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
	T_INTEQ(xfctl(&t, &out, "migrate", NULL, NULL), 0);
	T_INTEQ(e2e_sql_long(
			&t,
			"SELECT count(*) FROM case_heads h JOIN (SELECT DISTINCT ON"
			" (case_id) case_id, seq, hash FROM case_events ORDER BY case_id, seq DESC)"
			" e USING (case_id) WHERE h.seq = e.seq AND h.hash = e.hash"),
		NCASES);
	T_INTEQ(xfctl(&t, &out, "audit", "verify", NULL), 0);
	T_CHECK(strstr(out.buf, "3 cases checked, 0 broken") != NULL);
	gen_free(ev, NCASES);
	sbuf_release(&out);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_audit, { "truncated_and_rewritten_chains", t_truncation },
	{ "heads_backfilled_by_010", t_backfill })
/* clang-format on */
