/*
 * figures.h - the candidate chooser's figures for one unit of work: the
 * dept_stats counters per department and category and the open cases per
 * department (dept_open, kept by triggers on cases), read at most once
 * (figures_load: one statement, bounded by departments x categories, not
 * by history), plus what the work itself changed, so that a later decision
 * of a batch sees the earlier ones. The increments are written by the
 * work's one write (figures_rows).
 */
#ifndef XF_FIGURES_H
#define XF_FIGURES_H

#include <jansson.h>
#include <libpq-fe.h>

#include "choose.h"
#include "rules.h"
#include "sbuf.h"

struct figures_stat;

struct figures {
	json_t *idx; /* "dept\tcategory" -> index in v */
	struct figures_stat *v;
	size_t n, alloc;
	json_t *open;       /* department -> open cases as loaded */
	json_t *open_delta; /* department -> change in this work */
	int loaded;         /* the stored figures were read */
};

void figures_init(struct figures *fg);
void figures_release(struct figures *fg);

/* Reads the stored figures, unless already done. 0, or -1 with err. */
int figures_load(struct figures *fg, PGconn *conn, struct sbuf *err);
/*
 * Adds one to a dept_stats counter ("assigned", "accepted", "returned",
 * "resolved", "rated", "satisfied", "dissatisfied", "overdue") of dept in
 * category (NULL: "other"), and to accept_hist[bucket] when bucket >= 0.
 */
void figures_add(struct figures *fg, const char *dept, const char *category, const char *counter,
		 int bucket);
/* n more (or fewer) open cases held by dept. */
void figures_open_add(struct figures *fg, const char *dept, long n);
/* The figures of candidate dept for category, stored plus changed (after figures_load). */
void figures_candidate(const struct figures *fg, const char *category,
		       const struct rules_dept *dept, struct choose_stats *st);
/* The departments whose open count changed (even back to 0), appended to arr. */
void figures_open_departments(const struct figures *fg, json_t *arr);
/* The increments as rows of xf_dispatch_write's stats array, appended to rows. */
void figures_rows(const struct figures *fg, json_t *rows);

#endif
