/*
 * cmd_departments.c - xfctl departments: the department scorecard (三色预警).
 *
 * Per department (every row of `departments`, with cases or not): open
 * cases, and four rates, each "-" when there is nothing to divide by:
 *
 *   overdue    cases that went overdue / cases handled
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
 * *_YELLOW_PCT thresholds, else green. Red first, then by code.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "xfctl.h"

/* One round trip: every department, its cases' figures, its dept_stats sums. */
static const char card_sql[] =
	"WITH c AS (SELECT department, count(*) AS cases,"
	"   count(*) FILTER (WHERE state IN ('assigned', 'accepted')) AS open,"
	"   count(*) FILTER (WHERE clock_stage >= 2) AS overdue,"
	"   count(*) FILTER (WHERE petition @? '$.classification.repeat.count ? (@ > 0)')"
	"     AS repeats,"
	"   count(satisfaction) AS rated,"
	"   count(*) FILTER (WHERE satisfaction = 'satisfied') AS satisfied"
	"  FROM cases GROUP BY department),"
	" r AS (SELECT r.department, count(*) AS returns"
	"  FROM cases, unnest(returned_by) AS r(department) GROUP BY r.department),"
	" s AS (SELECT department, sum(assigned) AS assigned, sum(returned) AS returned,"
	"   sum(overdue) AS overdue, sum(rated) AS rated, sum(satisfied) AS satisfied"
	"  FROM dept_stats GROUP BY department)"
	" SELECT d.code, d.name, d.capacity, coalesce(c.cases, 0), coalesce(c.open, 0),"
	"  coalesce(c.overdue, 0), coalesce(r.returns, 0), coalesce(c.repeats, 0),"
	"  coalesce(c.rated, 0), coalesce(c.satisfied, 0),"
	"  coalesce(s.assigned, 0), coalesce(s.returned, 0), coalesce(s.overdue, 0),"
	"  coalesce(s.rated, 0), coalesce(s.satisfied, 0)"
	" FROM departments d LEFT JOIN c ON c.department = d.code"
	"  LEFT JOIN r ON r.department = d.code LEFT JOIN s ON s.department = d.code";

/* Columns of card_sql after code and name. */
enum { C_CAPACITY = 2, C_CASES, C_OPEN, C_OVERDUE, C_RETURNS, C_REPEATS, C_RATED,
       C_SATISFIED, S_ASSIGNED, S_RETURNED, S_OVERDUE, S_RATED, S_SATISFIED };

enum card_status { CARD_RED, CARD_YELLOW, CARD_GREEN };
static const char *const status_names[] = { "red", "yellow", "green" };

struct frac {
	long n, of;
};

struct card {
	const char *code, *name;   /* borrowed from the PGresult */
	long capacity, cases, open;
	struct frac overdue, returned, repeats, satisfied;
	enum card_status status;
};

static long col(const PGresult *res, int row, int c)
{
	return strtol(PQgetvalue(res, row, c), NULL, 10);
}

/* The figure whose record counts more; dept_stats (a) on a tie. */
static struct frac pick(long an, long aof, long bn, long bof)
{
	return aof >= bof ? (struct frac){ an, aof } : (struct frac){ bn, bof };
}

static double pct(struct frac f)
{
	return 100.0 * f.n / f.of;
}

static void card_read(const PGresult *res, int row, struct card *c)
{
	long cases = col(res, row, C_CASES), returns = col(res, row, C_RETURNS);

	c->code = PQgetvalue(res, row, 0);
	c->name = PQgetvalue(res, row, 1);
	c->capacity = col(res, row, C_CAPACITY);
	c->cases = cases;
	c->open = col(res, row, C_OPEN);
	c->overdue = pick(col(res, row, S_OVERDUE), col(res, row, S_ASSIGNED),
			  col(res, row, C_OVERDUE), cases);
	/* every assignment of the cases' record is still its case or was returned */
	c->returned = pick(col(res, row, S_RETURNED), col(res, row, S_ASSIGNED),
			   returns, cases + returns);
	c->satisfied = pick(col(res, row, S_SATISFIED), col(res, row, S_RATED),
			    col(res, row, C_SATISFIED), col(res, row, C_RATED));
	c->repeats = (struct frac){ col(res, row, C_REPEATS), cases };
}

/* 1 if a rate reaches overdue or ret, or satisfaction falls below sat. */
static int breaches(const struct card *c, long overdue, long ret, long sat)
{
	return (c->overdue.of && pct(c->overdue) >= overdue) ||
	       (c->returned.of && pct(c->returned) >= ret) ||
	       (c->satisfied.of && pct(c->satisfied) < sat);
}

static enum card_status card_judge(const struct card *c, const struct xf_conf *conf)
{
	if (breaches(c, conf->card_overdue_red, conf->card_return_red,
		     conf->card_satisfied_red))
		return CARD_RED;
	if (breaches(c, conf->card_overdue_yellow, conf->card_return_yellow,
		     conf->card_satisfied_yellow))
		return CARD_YELLOW;
	return CARD_GREEN;
}

static int by_status(const void *pa, const void *pb)
{
	const struct card *a = pa, *b = pb;

	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return strcmp(a->code, b->code);
}

/* "12.5%", or "-" with nothing to divide by. */
static const char *rate_str(struct frac f, char buf[16])
{
	if (!f.of)
		return "-";
	snprintf(buf, 16, "%.1f%%", pct(f));
	return buf;
}

static void print_table(const struct card *cards, int n, const struct xf_conf *conf)
{
	int w = (int)strlen("department"), count[3] = { 0 };
	char b[4][16], cap[24];

	for (int i = 0; i < n; i++)
		if ((int)strlen(cards[i].code) > w)
			w = (int)strlen(cards[i].code);
	printf("%-6s  %-*s  %5s  %5s  %5s  %7s  %7s  %7s  %9s  %s\n", "status", w,
	       "department", "open", "cap", "cases", "overdue", "return", "repeat",
	       "satisfied", "name");
	for (int i = 0; i < n; i++) {
		const struct card *c = &cards[i];

		snprintf(cap, sizeof cap, "%ld", c->capacity);
		printf("%-6s  %-*s  %5ld  %5s  %5ld  %7s  %7s  %7s  %9s  %s\n",
		       status_names[c->status], w, c->code, c->open,
		       c->capacity ? cap : "-", c->cases, rate_str(c->overdue, b[0]),
		       rate_str(c->returned, b[1]), rate_str(c->repeats, b[2]),
		       rate_str(c->satisfied, b[3]), c->name);
		count[c->status]++;
	}
	printf("\n%d departments: %d red, %d yellow, %d green. thresholds (yellow/red):"
	       " overdue >= %ld/%ld%%, return >= %ld/%ld%%, satisfied < %ld/%ld%%\n",
	       n, count[CARD_RED], count[CARD_YELLOW], count[CARD_GREEN],
	       conf->card_overdue_yellow, conf->card_overdue_red, conf->card_return_yellow,
	       conf->card_return_red, conf->card_satisfied_yellow, conf->card_satisfied_red);
}

/* {"count", "of", "pct"}: pct to one decimal as in the table, null for "-". */
static json_t *frac_json(struct frac f)
{
	json_t *p = f.of ? json_real(round(pct(f) * 10) / 10)
			 : json_null();

	return json_pack("{s:I, s:I, s:o}", "count", (json_int_t)f.n, "of",
			 (json_int_t)f.of, "pct", p);
}

static void print_json(const struct card *cards, int n)
{
	json_t *out = json_array();

	for (int i = 0; i < n; i++) {
		const struct card *c = &cards[i];

		json_array_append_new(out, json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
			"department", c->code, "name", c->name,
			"status", status_names[c->status], "open", (json_int_t)c->open,
			"capacity", (json_int_t)c->capacity, "cases", (json_int_t)c->cases,
			"overdue", frac_json(c->overdue), "returned", frac_json(c->returned),
			"repeat", frac_json(c->repeats), "satisfied", frac_json(c->satisfied)));
	}
	json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	putchar('\n');
	json_decref(out);
}

int cmd_departments(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct card *cards;
	PGresult *res;
	int json = argc == 1 && !strcmp(argv[0], "--json"), n;

	if (argc > json) {
		fprintf(stderr, "usage: xfctl departments [--json]\n");
		return 2;
	}
	if (!xfctl_db(x))
		return 1;
	if (!(res = pg_query(x->conn, card_sql, 0, NULL, &err))) {
		xfctl_fail("departments", &err);
		sbuf_release(&err);
		return 1;
	}
	n = PQntuples(res);
	if (!(cards = calloc(n ? n : 1, sizeof *cards)))
		abort();
	for (int i = 0; i < n; i++) {
		card_read(res, i, &cards[i]);
		cards[i].status = card_judge(&cards[i], &x->conf);
	}
	qsort(cards, n, sizeof *cards, by_status);
	if (json)
		print_json(cards, n);
	else
		print_table(cards, n, &x->conf);
	free(cards);
	PQclear(res);
	return 0;
}
