/*
 * pg.h - libpq the way every program here uses it: parameterised queries
 * only, every PGresult cleared by whoever holds it, errors appended to an
 * optional err buffer, schema migrations applied once each.
 */
#ifndef XF_PG_H
#define XF_PG_H

#include <libpq-fe.h>

#include "sbuf.h"

/*
 * Calls fn(arg, seconds) after every pg_query/pg_exec of this process (one
 * hook: the daemon's query-time histogram). NULL turns it off.
 */
void pg_on_query(void (*fn)(void *arg, double seconds), void *arg);

/* Connects; NULL with err (the URL is not repeated: it may hold a password). */
PGconn *pg_connect(const char *url, struct sbuf *err);
/*
 * Reconnects *conn if the connection is bad. Returns 0 if it is usable,
 * -1 with err otherwise.
 */
int pg_ensure(PGconn **conn, const char *url, struct sbuf *err);

/*
 * Runs sql with text parameters (NULL entries are SQL NULL). Returns the
 * result (caller PQclear()s it) when it is COMMAND_OK or TUPLES_OK, else
 * NULL with err.
 */
PGresult *pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		   struct sbuf *err);
/* pg_query for statements whose result is not needed: 0 / -1. */
int pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
	    struct sbuf *err);

/*
 * The SQLSTATE of the first statement that failed on this thread since the
 * last pg_error_reset() ("" when none failed, or when the failure had no
 * SQLSTATE: a lost connection, say). The service loop uses it to tell a
 * database hiccup from a message that PostgreSQL refuses.
 */
void pg_error_reset(void);
const char *pg_error_state(void);

/* What an error's SQLSTATE says of its cause. */
enum pg_fault {
	PG_FAULT_NONE,      /* no SQLSTATE: not an SQL error */
	PG_FAULT_TRANSIENT, /* the database, not the data: retry, never isolate */
	PG_FAULT_DATA,      /* the statement's values: isolate the message */
};
/*
 * PG_FAULT_DATA for the classes a message's own values cause: 21
 * cardinality, 22 data exception, 23 integrity constraint, 27 triggered
 * data change, 44 WITH CHECK OPTION, 54 program limit (an index row too
 * large, say). Every other class is PG_FAULT_TRANSIENT: connection (08),
 * rollback (40: deadlock, serialisation), resources (53: disk full),
 * operator intervention (57: statement timeout, shutdown), system (58),
 * object state (55: lock not available), 25006 read-only, and also 42
 * (syntax, privileges, undefined objects: raised before any value is read,
 * so every message would fail alike) and XX/P0 (internal errors).
 */
enum pg_fault pg_fault_of(const char *sqlstate);

int pg_begin(PGconn *conn, struct sbuf *err);
int pg_commit(PGconn *conn, struct sbuf *err);
/* Rolls back if a transaction is open; errors are only logged. */
void pg_rollback(PGconn *conn);

/* Value of row, col or NULL when SQL NULL. */
const char *pg_value(const PGresult *res, int row, int col);

/*
 * The active document of a versioned table (rule_sets, keyword_sets; a
 * constant of the caller's, never input) in one round trip. *res is NULL
 * when none is active; otherwise one row (sha256, body) whose body is SQL
 * NULL when its sha256 equals have, so an unchanged document is not sent
 * again. The caller PQclear()s *res. Returns 0, or -1 with err.
 */
int pg_active_doc(PGconn *conn, const char *table, const char *have, PGresult **res,
		  struct sbuf *err);
/*
 * The same for n (1 to PG_ACTIVE_DOCS_MAX) tables in one round trip: *res
 * (never NULL on success) has a row (i, sha256, body) for each table i of
 * tables[0..n) with an active document, body SQL NULL when its sha256
 * equals have[i]. The caller PQclear()s *res. Returns 0, or -1 with err.
 */
#define PG_ACTIVE_DOCS_MAX 4
int pg_active_docs(PGconn *conn, const char *const *tables, const char *const *have, int n,
		   PGresult **res, struct sbuf *err);

/*
 * Applies the embedded migrations (schemas/sql/NNN_name.sql) that are not
 * yet recorded in schema_migrations, each in its own transaction, under an
 * advisory lock so concurrent starts are safe. Returns the number applied,
 * or -1 with err.
 */
int pg_migrate(PGconn *conn, struct sbuf *err);

#endif
