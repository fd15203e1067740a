/*
 * scorecard.h - the department scorecard (三色预警): `xfctl departments`
 * prints it, xf-dispatch publishes it as gauges for its status page.
 *
 * Per department (every row of `departments`, with cases or not): open
 * cases, and four rates, each without a value when there is nothing to
 * divide by:
 *
 *   overdue    deadlines missed (to accept, to resolve, and the 回访
 *              follow-ups of its answers) / cases handled
 *   return     returns (退单) / assignments
 *   repeat     its cases whose petitioner came again on the same matter
 *              (classification.repeat.count > 0) / its cases
 *   satisfied  "satisfied" ratings / ratings
 *
 * Two records hold these figures: dept_stats, which xf-dispatch keeps from
 * the lifecycle, and the cases themselves (the lead department, clock_stage,
 * returned_by, satisfaction). Cases that predate dept_stats (migration 004
 * on a running system) are only in the second, so each rate takes its
 * count and denominator together from whichever record counts more. The
 * cases table only knows the stage on a case's current deadline and its
 * current department, so dept_stats wins as soon as it has caught up.
 *
 * Status: red if any rate reaches its XF_CARD_*_RED_PCT (satisfaction:
 * falls below it, and only once something was rated), else yellow by the
 * *_YELLOW_PCT thresholds, else green.
 */
#ifndef XF_SCORECARD_H
#define XF_SCORECARD_H

#include <jansson.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "metrics.h"
#include "sbuf.h"

/* The values of the xf_department_status gauge. */
enum scorecard_status { SCORECARD_GREEN, SCORECARD_YELLOW, SCORECARD_RED };

/* A rate: n of `of`; no value when of is 0. */
struct scorecard_frac {
	long n, of;
};

struct scorecard_row {
	const char *code, *name; /* borrowed from the scorecard's PGresult */
	long capacity, cases, open;
	struct scorecard_frac overdue, returned, repeats, satisfied;
	enum scorecard_status status;
};

struct scorecard {
	struct scorecard_row *rows;
	int n;
	PGresult *res; /* owns the rows' strings */
};

/*
 * Loads every department's row in one query, judges it by conf's
 * thresholds and sorts red first, then by code. Returns 0, or -1 with err
 * (sc is then empty). Release sc with scorecard_release().
 */
int scorecard_load(struct scorecard *sc, PGconn *conn, const struct xf_conf *conf,
		   struct sbuf *err);
void scorecard_release(struct scorecard *sc);

/* The status of row by conf's thresholds. */
enum scorecard_status scorecard_judge(const struct scorecard_row *row, const struct xf_conf *conf);
/* "green", "yellow" or "red". */
const char *scorecard_status_name(enum scorecard_status status);
/* "12.5%", or "-" with nothing to divide by; written into buf. */
const char *scorecard_rate_str(struct scorecard_frac f, char buf[16]);

/* Appends the table `xfctl departments` prints, with its summary line. */
void scorecard_table(const struct scorecard *sc, const struct xf_conf *conf, struct sbuf *out);
/*
 * The rows as `xfctl departments --json` prints them (new reference): an
 * array of {"department", "name", "status", "open", "capacity", "cases",
 * "overdue", "returned", "repeat", "satisfied"}, each rate {"count", "of",
 * "pct"} with pct to one decimal, null with nothing to divide by.
 */
json_t *scorecard_json(const struct scorecard *sc);

/*
 * The newest scorecard, shared between the thread that loads it and a
 * reader on another (xf-dispatch's status page): a typed snapshot.
 */
struct scorecard_board;

struct scorecard_board *scorecard_board_new(void);
/* Frees the board and its scorecard; NULL is fine. */
void scorecard_board_free(struct scorecard_board *b);
/* Takes sc's rows and result in place of the board's (sc is left empty). */
void scorecard_board_put(struct scorecard_board *b, struct scorecard *sc);
/*
 * Calls fn(arg, sc) with the board's scorecard, under its lock: fn must be
 * quick and keep nothing of sc. sc has no rows before the first put.
 */
void scorecard_board_read(struct scorecard_board *b,
			  void (*fn)(void *arg, const struct scorecard *sc), void *arg);

/*
 * Loads the scorecard and sets, per department (label department="<code>"):
 *   xf_department_info{department,name}   1 (0 once it left the scorecard)
 *   xf_department_status                  0 green, 1 yellow, 2 red
 *   xf_department_open_cases
 *   xf_department_overdue_ratio, _return_ratio, _repeat_ratio,
 *   xf_department_satisfaction_ratio      0..1, no series while the
 *                                         denominator is 0
 * Every series of these names is set to 0 first, so a department that left
 * reads 0. The scorecard then goes to board (NULL: none). Returns 0, or -1
 * with err (the gauges and the board are then unchanged).
 */
int scorecard_gauges(PGconn *conn, const struct xf_conf *conf, struct metrics *m,
		     struct scorecard_board *board, struct sbuf *err);

#endif
