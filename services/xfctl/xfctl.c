/* xfctl.c - helpers every xfctl command uses; see xfctl.h. */
#include <stdio.h>
#include <string.h>

#include "pg.h"
#include "xfctl.h"

PGconn *xfctl_db(struct xfctl *x)
{
	struct sbuf err = SBUF_INIT;

	if (!x->conn && (!(x->conn = pg_connect(x->conf.database_url, &err)) ||
			 pg_migrate(x->conn, &err) < 0)) {
		xfctl_fail("database", &err);
		if (x->conn)
			PQfinish(x->conn);
		x->conn = NULL;
	}
	sbuf_release(&err);
	return x->conn;
}

int xfctl_fail(const char *what, const struct sbuf *err)
{
	fprintf(stderr, "xfctl: %s: %s\n", what, err->buf);
	return 1;
}

json_t *xfctl_load_json(const char *path)
{
	json_error_t jerr;
	json_t *j = strcmp(path, "-") ? json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)
				      : json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);

	if (!j)
		fprintf(stderr, "xfctl: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
	return j;
}
