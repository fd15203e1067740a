/*
 * test_similar_read.c - xf_similar_read (migration 011) reads a county's
 * stored rows from before its cache floor once per batch, however many of
 * the batch's petitions share their window: 006 sent them once per
 * petition, so a batch of backdated petitions cost batch size times the
 * window. The rows are the union of the petitions' windows, no more.
 */
#include <stdio.h>

#include "e2e.h"
#include "tharness.h"

/* 3,000 rows a minute apart from 2026-10-01 in 330381, 1,000 in 330382. */
static const char *fill =
	"INSERT INTO petitions_seen (case_id, county, simhash, occurred_at, repeat_count)"
	" SELECT 'XF-' || k || '-20261001-' || lpad(g::text, 6, '0'), k, g,"
	"        timestamptz '2026-10-01T00:00:00Z' + g * interval '1 minute', 0"
	"   FROM (VALUES ('330381', 3000), ('330382', 1000)) AS c(k, n),"
	"        generate_series(1, c.n) AS g";

/*
 * 200 petitions of the two counties within two days, far before the
 * floor (2026-11-20): their cluster windows (7 days) overlap.
 */
static const char *call =
	"WITH it AS (SELECT jsonb_agg(jsonb_build_object('o', g - 1, 'c', 'XF-new-' || g,"
	"        'p', NULL, 'k', CASE WHEN g % 4 = 0 THEN '330382' ELSE '330381' END,"
	"        't', (timestamptz '2026-10-01T12:00:00Z' + (g % 48) * interval '1 hour')::text))"
	"        AS j FROM generate_series(1, 200) g),"
	" r AS (SELECT * FROM xf_similar_read((SELECT j FROM it),"
	"        '[{\"k\":\"330381\",\"rev\":null,\"fl\":1795132800},"
	"          {\"k\":\"330382\",\"rev\":null,\"fl\":1795132800}]', 30, 7, 200))"
	" SELECT count(*) FILTER (WHERE r_kind = 'c') * 1000000"
	"        + count(DISTINCT r_id) FILTER (WHERE r_kind = 'c') FROM r";

static void t_rows_once(void)
{
	struct e2e t;
	PGresult *res;
	long got;

	if (!T_CHECK(e2e_setup_db(&t, "simread") == 0))
		return;
	res = PQexec(t.conn, fill);
	T_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
	got = e2e_sql_long(&t, call);
	/* every row of both counties up to 2026-10-10T11:00 is in some window:
	 * 3,000 and 1,000 rows, each returned once */
	printf("    kind c rows: %ld, distinct %ld\n", got / 1000000, got % 1000000);
	T_INTEQ(got % 1000000, 4000);
	T_INTEQ(got / 1000000, got % 1000000);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_similar_read, { "stored_rows_once_per_batch", t_rows_once })
/* clang-format on */
