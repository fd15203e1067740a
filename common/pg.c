/* pg.c - see pg.h. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "log.h"
#include "util.h"

/* Server notices ("relation already exists, skipping") go to the debug log. */
static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("pg_notice", LOG_SN("message", message, strcspn(message, "\n")), LOG_END);
}

PGconn *pg_connect(const char *url, struct sbuf *err)
{
	PGconn *conn = PQconnectdb(url);

	if (PQstatus(conn) != CONNECTION_OK) {
		sbuf_addf(err, "connect to PostgreSQL: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, pg_notice, NULL);
	return conn;
}

int pg_ensure(PGconn **conn, const char *url, struct sbuf *err)
{
	if (*conn && PQstatus(*conn) == CONNECTION_OK)
		return 0;
	if (*conn) {
		PQreset(*conn);
		if (PQstatus(*conn) == CONNECTION_OK) {
			log_info("pg_reconnected", LOG_END);
			return 0;
		}
		PQfinish(*conn);
	}
	*conn = pg_connect(url, err);
	return *conn ? 0 : -1;
}

static void (*query_hook)(void *arg, double seconds);
static void *query_hook_arg;
/* Like errno: one per thread, the first failure since pg_error_reset(). */
static _Thread_local char first_state[6];

void pg_error_reset(void)
{
	first_state[0] = '\0';
}

const char *pg_error_state(void)
{
	return first_state;
}

static void note_state(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (!first_state[0] && state && strlen(state) == 5)
		memcpy(first_state, state, 6);
}

enum pg_fault pg_fault_of(const char *sqlstate)
{
	static const char *const data_classes[] = { "21", "22", "23", "27", "44", "54" };

	if (!sqlstate || strlen(sqlstate) != 5)
		return PG_FAULT_NONE;
	for (size_t i = 0; i < sizeof data_classes / sizeof data_classes[0]; i++)
		if (!strncmp(sqlstate, data_classes[i], 2))
			return PG_FAULT_DATA;
	return PG_FAULT_TRANSIENT;
}

void pg_on_query(void (*fn)(void *arg, double seconds), void *arg)
{
	query_hook_arg = arg;
	query_hook = fn;
}

PGresult *pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		   struct sbuf *err)
{
	double t0 = now_ms();
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (query_hook)
		query_hook(query_hook_arg, (now_ms() - t0) / 1000.0);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	note_state(res);
	/* no result at all (a connection libpq knows is closed): the reason is the conn's */
	sbuf_addf(err, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	while (err && err->len && err->buf[err->len - 1] == '\n')
		err->buf[--err->len] = '\0';
	PQclear(res);
	return NULL;
}

int pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct sbuf *err)
{
	PGresult *res = pg_query(conn, sql, nparams, params, err);

	PQclear(res);
	return res ? 0 : -1;
}

int pg_begin(PGconn *conn, struct sbuf *err)
{
	return pg_exec(conn, "BEGIN", 0, NULL, err);
}

int pg_commit(PGconn *conn, struct sbuf *err)
{
	return pg_exec(conn, "COMMIT", 0, NULL, err);
}

void pg_rollback(PGconn *conn)
{
	struct sbuf err = SBUF_INIT;

	if (PQtransactionStatus(conn) != PQTRANS_IDLE && pg_exec(conn, "ROLLBACK", 0, NULL, &err))
		log_warn("pg_rollback_failed", LOG_S("error", err.buf), LOG_END);
	sbuf_release(&err);
}

const char *pg_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int pg_active_doc(PGconn *conn, const char *table, const char *have, PGresult **res,
		  struct sbuf *err)
{
	char sql[160];

	snprintf(sql, sizeof sql,
		 "SELECT sha256, CASE WHEN sha256 = $1 THEN NULL ELSE body END"
		 " FROM %s WHERE active",
		 table);
	*res = pg_query(conn, sql, 1, (const char *const[]){ have }, err);
	if (!*res)
		return -1;
	if (!PQntuples(*res)) {
		PQclear(*res);
		*res = NULL;
	}
	return 0;
}

int pg_active_docs(PGconn *conn, const char *const *tables, const char *const *have, int n,
		   PGresult **res, struct sbuf *err)
{
	struct sbuf sql = SBUF_INIT;

	if (n < 1 || n > PG_ACTIVE_DOCS_MAX) {
		sbuf_addf(err, "pg_active_docs: %d tables (1 to %d)", n, PG_ACTIVE_DOCS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++)
		sbuf_addf(&sql,
			  "%sSELECT %d, sha256, CASE WHEN sha256 = $%d THEN NULL ELSE body END"
			  " FROM %s WHERE active",
			  i ? " UNION ALL " : "", i, i + 1, tables[i]);
	*res = pg_query(conn, sql.buf, n, have, err);
	sbuf_release(&sql);
	return *res ? 0 : -1;
}

static const char migrations_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				       " version integer PRIMARY KEY, name text NOT NULL,"
				       " applied_at timestamptz NOT NULL DEFAULT now())";

/* Applies one migration unless recorded; 1 applied, 0 skipped, -1 error. */
static int migrate_one(PGconn *conn, const struct embed_file *f, struct sbuf *err)
{
	const char *name = strrchr(f->path, '/') + 1;
	char version[16];
	const char *params[2] = { version, name };
	PGresult *res;
	int rc = -1;

	snprintf(version, sizeof version, "%d", atoi(name));
	res = pg_query(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params, err);
	if (!res)
		return -1;
	if (PQntuples(res)) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = PQexec(conn, f->data); /* a script of several statements */
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		sbuf_addf(err, "migration %s: %s", name, PQresultErrorMessage(res));
	else if (!pg_exec(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
			  params, err))
		rc = 1;
	PQclear(res);
	return rc;
}

int pg_migrate(PGconn *conn, struct sbuf *err)
{
	int applied = 0;

	if (pg_exec(conn, "SELECT pg_advisory_lock(7361001)", 0, NULL, err))
		return -1;
	if (pg_exec(conn, migrations_table, 0, NULL, err))
		applied = -1;
	for (size_t i = 0; applied >= 0 && i < embed_nfiles; i++) {
		const struct embed_file *f = &embed_files[i];
		int rc;

		if (strncmp(f->path, "schemas/sql/", 12) || !strstr(f->path, ".sql"))
			continue;
		if (pg_begin(conn, err))
			applied = -1;
		else if ((rc = migrate_one(conn, f, err)) < 0 || pg_commit(conn, err))
			applied = -1;
		else
			applied += rc;
		if (applied < 0)
			pg_rollback(conn);
	}
	pg_exec(conn, "SELECT pg_advisory_unlock(7361001)", 0, NULL, NULL);
	return applied;
}
