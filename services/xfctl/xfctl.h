/*
 * xfctl.h - the operator's command-line tool. Each command is one function
 * in the table of main.c; it returns the exit status (0 ok, 1 failed,
 * 2 usage) and prints its own report.
 */
#ifndef XF_XFCTL_H
#define XF_XFCTL_H

#include <libpq-fe.h>
#include <jansson.h>

#include "cfg.h"
#include "sbuf.h"

struct xfctl {
	struct xf_conf conf;
	PGconn *conn; /* connected (and migrated) on first use */
};

/* The PostgreSQL connection, connecting and migrating on first use. */
PGconn *xfctl_db(struct xfctl *x);
/* Prints "xfctl: <what>: <err>" to stderr and returns 1. */
int xfctl_fail(const char *what, const struct sbuf *err);
/*
 * Appends s as it may be shown on a terminal: C0 and C1 control characters,
 * DEL, Unicode bidi and direction marks and bytes that are not UTF-8 as
 * visible escapes (\x1b, \r, \u009b, \u202e, \xff); the rest as it is.
 * Everything read from the database goes through it before it is printed.
 */
void xfctl_escape(struct sbuf *out, const char *s);
/* Fills v[0..n) (initialised sbufs) with the escaped columns 0..n-1 of row. */
void xfctl_cells(const PGresult *res, int row, struct sbuf *v, int n);
void xfctl_cells_release(struct sbuf *v, int n);
/* Reads a whole file (or "-" for stdin) as JSON; NULL after printing why. */
json_t *xfctl_load_json(const char *path);

int cmd_migrate(struct xfctl *x, int argc, char **argv);
int cmd_rules(struct xfctl *x, int argc, char **argv);
int cmd_case(struct xfctl *x, int argc, char **argv);
int cmd_cases(struct xfctl *x, int argc, char **argv);
int cmd_audit(struct xfctl *x, int argc, char **argv);
int cmd_lag(struct xfctl *x, int argc, char **argv);
int cmd_topics(struct xfctl *x, int argc, char **argv);
int cmd_publish(struct xfctl *x, int argc, char **argv);
int cmd_model(struct xfctl *x, int argc, char **argv);
int cmd_keywords(struct xfctl *x, int argc, char **argv);
int cmd_policies(struct xfctl *x, int argc, char **argv);
int cmd_calendar(struct xfctl *x, int argc, char **argv);
int cmd_departments(struct xfctl *x, int argc, char **argv);
int cmd_board(struct xfctl *x, int argc, char **argv);
int cmd_report(struct xfctl *x, int argc, char **argv);
int cmd_dlq(struct xfctl *x, int argc, char **argv);

/* The core topics of DESIGN §2 (NULL-terminated). */
extern const char *const xfctl_core_topics[];
/* Creates topics on the broker; 0, or -1 after printing why. */
int xfctl_create_topics(struct xfctl *x, const char *const *topics, size_t n);

#endif
