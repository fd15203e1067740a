/* xfctl.c - helpers every xfctl command uses; see xfctl.h. */
#include <stdio.h>
#include <string.h>

#include "pg.h"
#include "util.h"
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

/* The code point of the well-formed UTF-8 character at s, its length in *len; -1 if none. */
static long utf8_at(const unsigned char *s, size_t *len)
{
	const char *c = (const char *)s;
	uint32_t cp;

	*len = utf8_decode(c, strnlen(c, 4), &cp);
	return *len ? (long)cp : -1;
}

/* Characters that move or recolour what a terminal shows, or reorder it. */
static int hidden_control(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void xfctl_escape(struct sbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	long cp;

	while (*p) {
		cp = utf8_at(p, &len);
		if (cp < 0) {
			sbuf_addf(out, "\\x%02x", *p++);
			continue;
		}
		if (cp == '\n' || cp == '\r' || cp == '\t')
			sbuf_addf(out, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
		else if (cp < 0x80 && hidden_control(cp))
			sbuf_addf(out, "\\x%02lx", cp);
		else if (hidden_control(cp))
			sbuf_addf(out, "\\u%04lx", cp);
		else
			sbuf_add(out, p, len);
		p += len;
	}
}

void xfctl_cells(const PGresult *res, int row, struct sbuf *v, int n)
{
	for (int c = 0; c < n; c++) {
		sbuf_reset(&v[c]);
		xfctl_escape(&v[c], PQgetvalue(res, row, c));
	}
}

void xfctl_cells_release(struct sbuf *v, int n)
{
	for (int c = 0; c < n; c++)
		sbuf_release(&v[c]);
}
