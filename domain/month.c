/* month.c - see month.h. */
#include "month.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "util.h"
#include "xalloc.h"

static const char *const colour_names[] = { "", "green", "yellow", "red" };
static const char *const kind_names[] = { "area", "department" };
static const char *const actions[] = { "", "分管副市长约谈", "市委书记约谈" };

const char *month_colour_name(enum month_colour colour)
{
	return colour_names[colour];
}

const char *month_kind_name(enum month_kind kind)
{
	return kind_names[kind];
}

const char *month_action(int level)
{
	return level >= 1 && level <= 2 ? actions[level] : actions[0];
}

void month_limits_from_conf(const struct xf_conf *conf, struct month_limits *lim)
{
	*lim = (struct month_limits){
		.growth = { conf->card_growth_yellow, conf->card_growth_red },
		.repeat = { conf->card_repeat_yellow, conf->card_repeat_red },
		.overdue = { conf->card_overdue_yellow, conf->card_overdue_red },
		.ontime = { conf->card_ontime_yellow, conf->card_ontime_red },
		.satisfied = { conf->card_satisfied_yellow, conf->card_satisfied_red },
	};
}

/* n of `of`, red or yellow when it reaches lim (exactly: no floating point). */
static struct month_frac high(long n, long of, const long lim[2])
{
	struct month_frac f = { n, of, MONTH_NONE };

	if (of > 0)
		f.colour = 100 * n >= lim[1] * of   ? MONTH_RED
			   : 100 * n >= lim[0] * of ? MONTH_YELLOW
						    : MONTH_GREEN;
	return f;
}

/* n of `of`, red or yellow when it falls below lim. */
static struct month_frac low(long n, long of, const long lim[2])
{
	struct month_frac f = { n, of, MONTH_NONE };

	if (of > 0)
		f.colour = 100 * n < lim[1] * of   ? MONTH_RED
			   : 100 * n < lim[0] * of ? MONTH_YELLOW
						   : MONTH_GREEN;
	return f;
}

static enum month_colour worst(enum month_colour a, enum month_colour b)
{
	return a > b ? a : b;
}

void month_judge(enum month_kind kind, const struct month_counts *c, long last_year,
		 const struct month_limits *lim, struct month_figures *out)
{
	long base = kind == MONTH_AREA ? c->petitions : c->assigned;

	out->volume = base;
	out->last_year = last_year;
	out->growth = last_year > 0 ? high(base - last_year, last_year, lim->growth)
				    : (struct month_frac){ 0, 0, MONTH_NONE };
	out->repeat = high(c->repeats, base, lim->repeat);
	out->overdue = high(c->overdue, base, lim->overdue);
	out->ontime = low(c->resolved - c->resolved_late, c->resolved, lim->ontime);
	out->satisfied = low(c->satisfied, c->rated, lim->satisfied);
	out->colour = worst(worst(worst(out->growth.colour, out->repeat.colour),
				  worst(out->overdue.colour, out->ontime.colour)),
			    out->satisfied.colour);
}

int month_escalation(const enum month_colour c[3])
{
	if (c[0] == MONTH_RED && c[1] == MONTH_RED && c[2] == MONTH_RED)
		return 2;
	return c[1] >= MONTH_YELLOW && c[2] >= MONTH_YELLOW;
}

const char *month_pct_str(struct month_frac f, char buf[24])
{
	if (f.of <= 0)
		return "-";
	snprintf(buf, 24, "%.1f%%", 100.0 * (double)f.n / (double)f.of);
	return buf;
}

int month_parse(const char *s, int *year, int *mon)
{
	char tail;

	if (strlen(s) != 7 || s[4] != '-' || sscanf(s, "%4d-%2d%c", year, mon, &tail) != 2)
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	return *year >= 2000 && *year <= 9998 && *mon >= 1 && *mon <= 12 ? 0 : -1;
}

void month_before(time_t now, int *year, int *mon)
{
	time_t cst = now + 8 * 3600;
	struct tm tm;

	gmtime_r(&cst, &tm);
	*year = tm.tm_year + 1900;
	*mon = tm.tm_mon + 1;
	if (--*mon == 0) {
		*mon = 12;
		--*year;
	}
}

/* ---- loading ---- */

/* A month as a number, and back to "YYYY-MM" or its first day "YYYY-MM-01". */
static int month_no(int year, int mon)
{
	return year * 12 + mon - 1;
}

static void month_str(int no, char out[8])
{
	unsigned u = (unsigned)no;

	snprintf(out, 8, "%04u-%02u", u / 12 % 10000, u % 12 + 1);
}

static void month_day(int no, char out[12])
{
	unsigned u = (unsigned)no;

	snprintf(out, 12, "%04u-%02u-01", u / 12 % 10000, u % 12 + 1);
}

/*
 * Sums per month, then area (township) or department, for two ranges of
 * days ($1..$2: the month and the two before; $3..$4: a year earlier),
 * subjects' rows consecutive. Through board_days' primary key (day first).
 */
static const char month_sql[] =
	"WITH b AS (SELECT date_trunc('month', day)::date AS m, region, department,"
	"   petitions, repeats, assigned, overdue, resolved, resolved_late, rated, satisfied"
	"  FROM board_days_all"
	"  WHERE (day >= $1::date AND day < $2::date) OR (day >= $3::date AND day < $4::date))"
	" SELECT (grouping(region) = 1)::int AS kind, coalesce(region, department) AS subject,"
	"  to_char(m, 'YYYY-MM'), sum(petitions), sum(repeats), sum(assigned), sum(overdue),"
	"  sum(resolved), sum(resolved_late), sum(rated), sum(satisfied)"
	" FROM b GROUP BY GROUPING SETS ((m, region), (m, department))"
	" ORDER BY 1, coalesce(region, department) COLLATE \"C\", 3";

/* In strcmp's order (the binary search), whatever the database's collation. */
static const char dept_sql[] =
	"SELECT code, name, region FROM departments ORDER BY code COLLATE \"C\"";

/* What the query's rows say of one subject, before it is judged. */
struct month_acc {
	struct month_counts c[6]; /* a year before the three months, then the three */
	int seen[6];
};

static long colv(const PGresult *res, int row, int c)
{
	return strtol(PQgetvalue(res, row, c), NULL, 10);
}

/* Which of the six months row's month is (-1: none of them). */
static int slot_of(const PGresult *res, int row, int first)
{
	int y, m, no;

	if (month_parse(PQgetvalue(res, row, 2), &y, &m))
		return -1;
	no = month_no(y, m) - first;
	return no >= 0 && no < 3 ? no : no >= 12 && no < 15 ? no - 9 : -1;
}

static void acc_row(struct month_acc *a, const PGresult *res, int row, int slot)
{
	struct month_counts *c = &a->c[slot];

	*c = (struct month_counts){ colv(res, row, 3), colv(res, row, 4), colv(res, row, 5),
				    colv(res, row, 6), colv(res, row, 7), colv(res, row, 8),
				    colv(res, row, 9), colv(res, row, 10) };
	a->seen[slot] = 1;
}

/* The department's name and region from dres, "" when it is not there. */
static void dept_lookup(const PGresult *dres, const char *code, struct month_subject *s)
{
	int lo = 0, hi = PQntuples(dres) - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(PQgetvalue(dres, mid, 0), code);

		if (!c) {
			s->name = xstrdup(PQgetvalue(dres, mid, 1));
			s->region = xstrdup(PQgetvalue(dres, mid, 2));
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	s->name = xstrdup("");
	s->region = xstrdup("");
}

/* Judges a subject's three months and adds it when it has figures in the last. */
static void subject_add(struct month_report *rep, size_t *alloc, enum month_kind kind,
			const char *code, const struct month_acc *a, const int known[3],
			const PGresult *dres)
{
	struct month_subject *s;
	enum month_colour c[3];

	if (!a->seen[5])
		return;
	XALLOC_GROW(rep->v, rep->n, *alloc, 64);
	s = &rep->v[rep->n++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->code = xstrdup(code);
	if (kind == MONTH_DEPARTMENT) {
		dept_lookup(dres, code, s);
	} else {
		s->name = xstrdup("");
		s->region = xstrdup(code);
	}
	for (int i = 0; i < 3; i++) {
		long ly = !known[i]            ? -1
			  : kind == MONTH_AREA ? a->c[i].petitions
					       : a->c[i].assigned;

		month_judge(kind, &a->c[3 + i], ly, &rep->lim, &s->m[i]);
		c[i] = s->m[i].colour;
	}
	s->level = month_escalation(c);
}

/* Walks the rows (subjects consecutive) into rep. */
static void report_build(struct month_report *rep, const PGresult *res, const PGresult *dres,
			 int first)
{
	struct month_acc a;
	int known[3] = { 0 }, n = PQntuples(res);
	size_t alloc = 0;

	for (int i = 0; i < n; i++) {
		int s = slot_of(res, i, first);

		if (s >= 0 && s < 3)
			known[s] = 1; /* a year earlier, the month had figures */
	}
	for (int i = 0; i < n;) {
		const char *kind = PQgetvalue(res, i, 0), *code = PQgetvalue(res, i, 1);
		int j = i;

		memset(&a, 0, sizeof a);
		for (; j < n && !strcmp(PQgetvalue(res, j, 0), kind) &&
		       !strcmp(PQgetvalue(res, j, 1), code);
		     j++) {
			int s = slot_of(res, j, first);

			if (s >= 0)
				acc_row(&a, res, j, s);
		}
		subject_add(rep, &alloc, *kind == '1' ? MONTH_DEPARTMENT : MONTH_AREA, code, &a,
			    known, dres);
		i = j;
	}
}

int month_load(struct month_report *rep, PGconn *conn, int year, int mon,
	       const struct month_limits *lim, struct sbuf *err)
{
	int no = month_no(year, mon), first = no - 14;
	char d[4][12];
	const char *params[4] = { d[0], d[1], d[2], d[3] };
	PGresult *res, *dres;

	memset(rep, 0, sizeof *rep);
	rep->year = year;
	rep->mon = mon;
	rep->lim = *lim;
	month_str(no, rep->month);
	month_str(no - 2, rep->prev[0]);
	month_str(no - 1, rep->prev[1]);
	month_day(no - 2, d[0]);
	month_day(no + 1, d[1]);
	month_day(first, d[2]);
	month_day(no - 11, d[3]);
	if (!(res = pg_query(conn, month_sql, 4, params, err)))
		return -1;
	if (!(dres = pg_query(conn, dept_sql, 0, NULL, err))) {
		PQclear(res);
		return -1;
	}
	report_build(rep, res, dres, first);
	PQclear(res);
	PQclear(dres);
	return 0;
}

void month_release(struct month_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].code);
		free(rep->v[i].name);
		free(rep->v[i].region);
	}
	free(rep->v);
	memset(rep, 0, sizeof *rep);
}

int month_in_region(const struct month_subject *s, const char *prefix)
{
	return !prefix || !*prefix || !strncmp(s->region, prefix, strlen(prefix));
}
