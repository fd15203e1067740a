/*
 * test_pg.c - common/pg.c against the real PostgreSQL, where only a real
 * server shows the behaviour: a connection the server has closed.
 */
#include <stdio.h>
#include <unistd.h>

#include "e2e.h"
#include "pg.h"
#include "tharness.h"

/* Has the server end our session, and waits until libpq has seen it. */
static int drop_session(struct e2e *t)
{
	struct sbuf err = SBUF_INIT, sql = SBUF_INIT;
	PGconn *other = pg_connect(t->db_url, &err);

	sbuf_addf(&sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(t->conn));
	if (!other || pg_exec(other, sql.buf, 0, NULL, &err))
		fprintf(stderr, "    cannot terminate the session: %s\n", err.buf);
	if (other)
		PQfinish(other);
	for (int i = 0; i < 500 && PQstatus(t->conn) == CONNECTION_OK; i++) {
		PQconsumeInput(t->conn); /* as xf-dispatch does for LISTEN */
		usleep(10000);
	}
	sbuf_release(&err);
	sbuf_release(&sql);
	return PQstatus(t->conn) == CONNECTION_BAD;
}

/*
 * A statement on a connection libpq already knows is closed gets no
 * PGresult; the error must still say why (xf-dispatch logged
 * batch_retry error="" at every PostgreSQL restart of the chaos run).
 */
static void t_error_on_closed(void)
{
	struct sbuf err = SBUF_INIT;
	struct e2e t;

	if (!T_CHECK(e2e_setup_db(&t, "pgclosed") == 0))
		return;
	if (T_CHECK(drop_session(&t))) {
		T_INTEQ(pg_exec(t.conn, "BEGIN", 0, NULL, &err), -1);
		if (T_CHECK(err.len > 0))
			printf("    closed connection: %s\n", err.buf);
	}
	sbuf_release(&err);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_pg, { "error_on_a_closed_connection", t_error_on_closed })
/* clang-format on */
