/*
 * test_intake_keys.c - xf_intake_keys, xf-intake's one statement per batch,
 * on the real PostgreSQL: case ids in batch order per county and day, a key
 * twice in one batch, redelivery versus duplicate across batches, and two
 * instances racing for the same keys (never two case ids for one key, never
 * an error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "pg.h"
#include "tharness.h"
#include "util.h"

/* One batch element: external id, county, partition, offset. */
struct key_ev {
	const char *ext, *county;
	int partition;
	long offset;
};

/* The JSON array xf_intake_keys takes, for n elements (malloc'd). */
static char *batch_json(const struct key_ev *ev, size_t n)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "[");
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb,
			  "%s{\"i\": %zu, \"system\": \"sys\", \"external_id\": \"%s\","
			  " \"county\": \"%s\", \"topic\": \"hotline.events\", \"partition\": %d,"
			  " \"offset\": %ld}",
			  i ? ", " : "", i, ev[i].ext, ev[i].county, ev[i].partition, ev[i].offset);
	sbuf_adds(&sb, "]");
	return sbuf_detach(&sb, NULL);
}

static const char keys_sql[] = "SELECT i || ' ' || status || ' ' || case_id, received_at"
			       " FROM xf_intake_keys($1::jsonb, '20261122')";

/* Checks res holds want[0..n) ("i status case_id") in order, each with a +08:00 time. */
static void expect_rows(PGresult *res, const char *const *want, size_t n)
{
	if (!T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK) || !T_INTEQ(PQntuples(res), (long)n)) {
		fprintf(stderr, "    %s\n", PQresultErrorMessage(res));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *at = PQgetvalue(res, (int)i, 1);

		T_STREQ(PQgetvalue(res, (int)i, 0), want[i]);
		T_CHECK(strlen(at) == 25 && !strcmp(at + 19, "+08:00"));
	}
}

static void run_batch(PGconn *conn, const struct key_ev *ev, size_t n, const char *const *want)
{
	char *json = batch_json(ev, n);
	const char *params[1] = { json };
	PGresult *res = PQexecParams(conn, keys_sql, 1, NULL, params, NULL, NULL, 0);

	expect_rows(res, want, n);
	PQclear(res);
	free(json);
}

static void t_batches(void)
{
	static const struct key_ev first[] = {
		{ "a", "330381", 0, 7 }, { "b", "330381", 0, 8 }, { "c", "330382", 1, 3 },
		{ "a", "330381", 0, 9 }, { "d", "330381", 2, 1 },
	};
	static const char *const first_want[] = {
		"0 new XF-330381-20261122-000001", "1 new XF-330381-20261122-000002",
		"2 new XF-330382-20261122-000001", "3 duplicate XF-330381-20261122-000001",
		"4 new XF-330381-20261122-000003",
	};
	static const struct key_ev second[] = {
		{ "e", "330382", 1, 4 },
		{ "a", "330381", 0, 7 },
		{ "b", "330381", 3, 8 },
		{ "f", "330381", 0, 10 },
	};
	static const char *const second_want[] = {
		"0 new XF-330382-20261122-000002",
		"1 redelivery XF-330381-20261122-000001",
		"2 duplicate XF-330381-20261122-000002",
		"3 new XF-330381-20261122-000004",
	};
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "keys") == 0))
		return;
	run_batch(t.conn, first, 5, first_want);
	run_batch(t.conn, second, 4, second_want);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM intake_keys"), 6);
	T_INTEQ(e2e_sql_long(&t, "SELECT sum(last) FROM case_seq"), 6);
	e2e_teardown(&t);
}

/* Waits (up to 30 s) until backend pid waits on a lock. */
static int wait_blocked(struct e2e *t, int pid)
{
	char sql[160];
	double end = now_ms() + 30000;

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM pg_stat_activity"
		 " WHERE pid = %d AND wait_event_type = 'Lock'",
		 pid);
	while (now_ms() < end) {
		if (e2e_sql_long(t, sql) == 1)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Instance A's batch holds x and y (not committed yet) while instance B's
 * batch of y, x, z in another county arrives: B waits, then resolves x and
 * y to A's case ids (a redelivery of the same source position, a
 * duplicate), skips the numbers it had taken for them, and gives z a new one.
 */
static void t_race(void)
{
	static const struct key_ev a[] = { { "x", "330381", 0, 100 }, { "y", "330381", 0, 101 } };
	static const char *const a_want[] = {
		"0 new XF-330381-20261122-000001",
		"1 new XF-330381-20261122-000002",
	};
	static const struct key_ev b[] = {
		{ "y", "330382", 2, 5 },
		{ "x", "330381", 0, 100 },
		{ "z", "330382", 2, 6 },
	};
	static const char *const b_want[] = {
		"0 duplicate XF-330381-20261122-000002",
		"1 redelivery XF-330381-20261122-000001",
		"2 new XF-330382-20261122-000002",
	};
	struct sbuf err = SBUF_INIT;
	PGconn *conn_a = NULL, *conn_b = NULL;
	PGresult *res;
	char *json;
	const char *params[1];
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "keyrace") == 0))
		return;
	conn_a = pg_connect(t.db_url, &err);
	conn_b = pg_connect(t.db_url, &err);
	if (!T_CHECK(conn_a && conn_b))
		goto out;
	PQclear(PQexec(conn_a, "BEGIN"));
	run_batch(conn_a, a, 2, a_want);
	params[0] = json = batch_json(b, 3);
	T_CHECK(PQsendQueryParams(conn_b, keys_sql, 1, NULL, params, NULL, NULL, 0) == 1);
	free(json);
	T_CHECK(wait_blocked(&t, PQbackendPID(conn_b)));
	PQclear(PQexec(conn_a, "COMMIT"));
	res = PQgetResult(conn_b);
	expect_rows(res, b_want, 3);
	PQclear(res);
	while ((res = PQgetResult(conn_b)))
		PQclear(res);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM intake_keys"), 3);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(DISTINCT case_id) FROM intake_keys"), 3);
out:
	if (conn_a)
		PQfinish(conn_a);
	if (conn_b)
		PQfinish(conn_b);
	sbuf_release(&err);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_intake_keys, { "batch_case_ids_and_dedup", t_batches },
	{ "two_instances_race_for_keys", t_race })
/* clang-format on */
