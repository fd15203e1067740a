/* scorecard.c - see scorecard.h. */
#include "scorecard.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "xalloc.h"

/*
 * One round trip: every department, its cases' figures (case_counts_now,
 * migration 012: a few rows per department, whatever the history), its
 * dept_stats sums.
 */
static const char card_sql[] =
	"WITH c AS (SELECT department, sum(cases) AS cases,"
	"   sum(cases) FILTER (WHERE state IN ('assigned', 'accepted')) AS open,"
	"   sum(late) AS overdue, sum(repeats) AS repeats,"
	"   sum(rated) AS rated, sum(satisfied) AS satisfied, sum(returns) AS returns"
	"  FROM case_counts_now GROUP BY department),"
	" s AS (SELECT department, sum(assigned) AS assigned, sum(returned) AS returned,"
	"   sum(overdue + followup_overdue) AS overdue, sum(rated) AS rated,"
	"   sum(satisfied) AS satisfied"
	"  FROM dept_stats GROUP BY department)"
	" SELECT d.code, d.name, d.capacity, coalesce(c.cases, 0), coalesce(c.open, 0),"
	"  coalesce(c.overdue, 0), coalesce(c.returns, 0), coalesce(c.repeats, 0),"
	"  coalesce(c.rated, 0), coalesce(c.satisfied, 0),"
	"  coalesce(s.assigned, 0), coalesce(s.returned, 0), coalesce(s.overdue, 0),"
	"  coalesce(s.rated, 0), coalesce(s.satisfied, 0)"
	" FROM departments d LEFT JOIN c ON c.department = d.code"
	"  LEFT JOIN s ON s.department = d.code";

/* Columns of card_sql after code and name. */
enum {
	C_CAPACITY = 2,
	C_CASES,
	C_OPEN,
	C_OVERDUE,
	C_RETURNS,
	C_REPEATS,
	C_RATED,
	C_SATISFIED,
	S_ASSIGNED,
	S_RETURNED,
	S_OVERDUE,
	S_RATED,
	S_SATISFIED
};

static const char *const status_names[] = { "green", "yellow", "red" };

const char *scorecard_status_name(enum scorecard_status status)
{
	return status_names[status];
}

static long col(const PGresult *res, int row, int c)
{
	return strtol(PQgetvalue(res, row, c), NULL, 10);
}

/* The figure whose record counts more; dept_stats (a) on a tie. */
static struct scorecard_frac pick(long an, long aof, long bn, long bof)
{
	return aof >= bof ? (struct scorecard_frac){ an, aof } : (struct scorecard_frac){ bn, bof };
}

static double pct(struct scorecard_frac f)
{
	return 100.0 * f.n / f.of;
}

static void row_read(const PGresult *res, int i, struct scorecard_row *r)
{
	long cases = col(res, i, C_CASES), returns = col(res, i, C_RETURNS);

	r->code = PQgetvalue(res, i, 0);
	r->name = PQgetvalue(res, i, 1);
	r->capacity = col(res, i, C_CAPACITY);
	r->cases = cases;
	r->open = col(res, i, C_OPEN);
	r->overdue = pick(col(res, i, S_OVERDUE), col(res, i, S_ASSIGNED), col(res, i, C_OVERDUE),
			  cases);
	/* every assignment of the cases' record is still its case or was returned */
	r->returned = pick(col(res, i, S_RETURNED), col(res, i, S_ASSIGNED), returns,
			   cases + returns);
	r->satisfied = pick(col(res, i, S_SATISFIED), col(res, i, S_RATED),
			    col(res, i, C_SATISFIED), col(res, i, C_RATED));
	r->repeats = (struct scorecard_frac){ col(res, i, C_REPEATS), cases };
}

/* 1 if a rate reaches overdue or ret, or satisfaction falls below sat. */
static int breaches(const struct scorecard_row *r, long overdue, long ret, long sat)
{
	return (r->overdue.of && pct(r->overdue) >= overdue) ||
	       (r->returned.of && pct(r->returned) >= ret) ||
	       (r->satisfied.of && pct(r->satisfied) < sat);
}

enum scorecard_status scorecard_judge(const struct scorecard_row *row, const struct xf_conf *conf)
{
	if (breaches(row, conf->card_overdue_red, conf->card_return_red, conf->card_satisfied_red))
		return SCORECARD_RED;
	if (breaches(row, conf->card_overdue_yellow, conf->card_return_yellow,
		     conf->card_satisfied_yellow))
		return SCORECARD_YELLOW;
	return SCORECARD_GREEN;
}

/* Red first, then yellow, then green; by code within each. */
static int by_status(const void *pa, const void *pb)
{
	const struct scorecard_row *a = pa, *b = pb;

	if (a->status != b->status)
		return a->status > b->status ? -1 : 1;
	return strcmp(a->code, b->code);
}

int scorecard_load(struct scorecard *sc, PGconn *conn, const struct xf_conf *conf, struct sbuf *err)
{
	memset(sc, 0, sizeof *sc);
	if (!(sc->res = pg_query(conn, card_sql, 0, NULL, err)))
		return -1;
	sc->n = PQntuples(sc->res);
	sc->rows = xcalloc(sc->n ? (size_t)sc->n : 1, sizeof *sc->rows);
	for (int i = 0; i < sc->n; i++) {
		row_read(sc->res, i, &sc->rows[i]);
		sc->rows[i].status = scorecard_judge(&sc->rows[i], conf);
	}
	qsort(sc->rows, (size_t)sc->n, sizeof *sc->rows, by_status);
	return 0;
}

void scorecard_release(struct scorecard *sc)
{
	free(sc->rows);
	PQclear(sc->res);
	memset(sc, 0, sizeof *sc);
}

const char *scorecard_rate_str(struct scorecard_frac f, char buf[16])
{
	if (!f.of)
		return "-";
	snprintf(buf, 16, "%.1f%%", pct(f));
	return buf;
}

static void table_row(const struct scorecard_row *r, int w, struct sbuf *out)
{
	char b[4][16], cap[24];

	snprintf(cap, sizeof cap, "%ld", r->capacity);
	sbuf_addf(out, "%-6s  %-*s  %5ld  %5s  %5ld  %7s  %7s  %7s  %9s  %s\n",
		  status_names[r->status], w, r->code, r->open, r->capacity ? cap : "-", r->cases,
		  scorecard_rate_str(r->overdue, b[0]), scorecard_rate_str(r->returned, b[1]),
		  scorecard_rate_str(r->repeats, b[2]), scorecard_rate_str(r->satisfied, b[3]),
		  r->name);
}

void scorecard_table(const struct scorecard *sc, const struct xf_conf *conf, struct sbuf *out)
{
	int w = (int)strlen("department"), count[3] = { 0 };

	for (int i = 0; i < sc->n; i++)
		if ((int)strlen(sc->rows[i].code) > w)
			w = (int)strlen(sc->rows[i].code);
	sbuf_addf(out, "%-6s  %-*s  %5s  %5s  %5s  %7s  %7s  %7s  %9s  %s\n", "status", w,
		  "department", "open", "cap", "cases", "overdue", "return", "repeat", "satisfied",
		  "name");
	for (int i = 0; i < sc->n; i++) {
		table_row(&sc->rows[i], w, out);
		count[sc->rows[i].status]++;
	}
	sbuf_addf(out,
		  "\n%d departments: %d red, %d yellow, %d green. thresholds"
		  " (yellow/red): overdue >= %ld/%ld%%, return >= %ld/%ld%%,"
		  " satisfied < %ld/%ld%%\n",
		  sc->n, count[SCORECARD_RED], count[SCORECARD_YELLOW], count[SCORECARD_GREEN],
		  conf->card_overdue_yellow, conf->card_overdue_red, conf->card_return_yellow,
		  conf->card_return_red, conf->card_satisfied_yellow, conf->card_satisfied_red);
}

/* {"count", "of", "pct"}: pct to one decimal as in the table, null for "-". */
static json_t *frac_json(struct scorecard_frac f)
{
	json_t *p = f.of ? json_real(round(pct(f) * 10) / 10) : json_null();

	return json_pack("{s:I, s:I, s:o}", "count", (json_int_t)f.n, "of", (json_int_t)f.of, "pct",
			 p);
}

json_t *scorecard_json(const struct scorecard *sc)
{
	json_t *out = json_array();

	for (int i = 0; i < sc->n; i++) {
		const struct scorecard_row *r = &sc->rows[i];

		json_array_append_new(
			out,
			json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
				  "department", r->code, "name", r->name, "status",
				  status_names[r->status], "open", (json_int_t)r->open, "capacity",
				  (json_int_t)r->capacity, "cases", (json_int_t)r->cases, "overdue",
				  frac_json(r->overdue), "returned", frac_json(r->returned),
				  "repeat", frac_json(r->repeats), "satisfied",
				  frac_json(r->satisfied)));
	}
	return out;
}

/* ---- gauges ---- */

static const char *const gauge_names[] = {
	"xf_department_info",
	"xf_department_status",
	"xf_department_open_cases",
	"xf_department_overdue_ratio",
	"xf_department_return_ratio",
	"xf_department_repeat_ratio",
	"xf_department_satisfaction_ratio",
};

/* s as a Prometheus label value: backslash, quote and newline escaped. */
static void label_value(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sbuf_addch(out, '\\');
		if (*s == '\n')
			sbuf_adds(out, "\\n");
		else
			sbuf_addch(out, *s);
	}
}

static void gauge(struct metrics *m, const char *name, const char *help, const char *labels,
		  double v)
{
	metrics_set(metrics_get(m, name, help, METRICS_GAUGE, labels), v);
}

/* A ratio gauge, left out while its denominator is 0. */
static void ratio(struct metrics *m, const char *name, const char *help, const char *labels,
		  struct scorecard_frac f)
{
	if (f.of)
		gauge(m, name, help, labels, (double)f.n / (double)f.of);
}

static void row_gauges(struct metrics *m, const struct scorecard_row *r)
{
	struct sbuf dept = SBUF_INIT, info = SBUF_INIT;

	sbuf_adds(&dept, "department=\"");
	label_value(&dept, r->code);
	sbuf_addch(&dept, '"');
	sbuf_addf(&info, "%s,name=\"", dept.buf);
	label_value(&info, r->name);
	sbuf_addch(&info, '"');
	gauge(m, gauge_names[0], "Departments on the scorecard (1), with their names", info.buf, 1);
	gauge(m, gauge_names[1], "Scorecard status: 0 green, 1 yellow, 2 red", dept.buf, r->status);
	gauge(m, gauge_names[2], "Open cases (assigned or accepted) led by the department",
	      dept.buf, (double)r->open);
	ratio(m, gauge_names[3], "Cases that went overdue / cases handled", dept.buf, r->overdue);
	ratio(m, gauge_names[4], "Returns (退单) / assignments", dept.buf, r->returned);
	ratio(m, gauge_names[5], "Cases of a petitioner who came again / cases", dept.buf,
	      r->repeats);
	ratio(m, gauge_names[6], "Satisfied ratings / ratings", dept.buf, r->satisfied);
	sbuf_release(&dept);
	sbuf_release(&info);
}

int scorecard_gauges(PGconn *conn, const struct xf_conf *conf, struct metrics *m,
		     struct scorecard_board *board, struct sbuf *err)
{
	struct scorecard sc;

	if (scorecard_load(&sc, conn, conf, err))
		return -1;
	for (size_t i = 0; i < sizeof gauge_names / sizeof gauge_names[0]; i++)
		metrics_round_begin(m, gauge_names[i]);
	for (int i = 0; i < sc.n; i++)
		row_gauges(m, &sc.rows[i]);
	for (size_t i = 0; i < sizeof gauge_names / sizeof gauge_names[0]; i++)
		metrics_round_end(m, gauge_names[i]);
	if (board)
		scorecard_board_put(board, &sc);
	scorecard_release(&sc);
	return 0;
}

/* ---- the board ---- */

struct scorecard_board {
	pthread_mutex_t lock; /* guards sc */
	struct scorecard sc;
};

struct scorecard_board *scorecard_board_new(void)
{
	struct scorecard_board *b = xcalloc(1, sizeof *b);

	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void scorecard_board_free(struct scorecard_board *b)
{
	if (!b)
		return;
	scorecard_release(&b->sc);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void scorecard_board_put(struct scorecard_board *b, struct scorecard *sc)
{
	struct scorecard old;

	pthread_mutex_lock(&b->lock);
	old = b->sc;
	b->sc = *sc;
	pthread_mutex_unlock(&b->lock);
	memset(sc, 0, sizeof *sc);
	scorecard_release(&old);
}

void scorecard_board_read(struct scorecard_board *b,
			  void (*fn)(void *arg, const struct scorecard *sc), void *arg)
{
	pthread_mutex_lock(&b->lock);
	fn(arg, &b->sc);
	pthread_mutex_unlock(&b->lock);
}
