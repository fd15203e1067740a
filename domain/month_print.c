/* month_print.c - the monthly report as a table, CSV and JSON (month.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "month.h"
#include "pg.h"
#include "util.h"

/* The colour as one letter in the table: G, Y, R; blank for none. */
static char letter(enum month_colour c)
{
	return " GYR"[c];
}

/* "25.0% R" (or "-"), right-aligned in w. */
static void cell(struct sbuf *out, struct month_frac f, int w)
{
	char pct[24], buf[40];

	if (f.of > 0)
		snprintf(buf, sizeof buf, "%s %c", month_pct_str(f, pct), letter(f.colour));
	else
		snprintf(buf, sizeof buf, "-");
	sbuf_addf(out, "  %*s", w, buf);
}

/* A colour's name in the table: "-" for none. */
static const char *tcolour(enum month_colour c)
{
	return c == MONTH_NONE ? "-" : month_colour_name(c);
}

static void table_row(const struct month_subject *s, int w, struct sbuf *out)
{
	const struct month_figures *f = &s->m[2];
	char ly[24] = "-";

	if (f->last_year >= 0)
		snprintf(ly, sizeof ly, "%ld", f->last_year);
	sbuf_addf(out, "%-6s  %-10s  %-*s  %6ld  %9s", tcolour(f->colour), month_kind_name(s->kind),
		  w, s->code, f->volume, ly);
	cell(out, f->growth, 10);
	cell(out, f->repeat, 9);
	cell(out, f->overdue, 9);
	cell(out, f->ontime, 9);
	cell(out, f->satisfied, 9);
	sbuf_addf(out, "  %-6s  %-6s  %-14s  %s\n", tcolour(s->m[0].colour),
		  tcolour(s->m[1].colour), s->level ? month_action(s->level) : "-", s->name);
}

void month_table(const struct month_report *rep, const char *prefix, struct sbuf *out)
{
	int w = (int)strlen("subject"), count[4] = { 0 }, esc = 0;

	for (size_t i = 0; i < rep->n; i++)
		if (month_in_region(&rep->v[i], prefix) && (int)strlen(rep->v[i].code) > w)
			w = (int)strlen(rep->v[i].code);
	sbuf_addf(out, "%-6s  %-10s  %-*s  %6s  %9s  %10s  %9s  %9s  %9s  %9s  %-6s  %-6s  %s\n",
		  "colour", "kind", w, "subject", "volume", "last_year", "change", "repeat",
		  "overdue", "on_time", "satisfied", rep->prev[0], rep->prev[1],
		  "escalation      name");
	for (size_t i = 0; i < rep->n; i++) {
		if (!month_in_region(&rep->v[i], prefix))
			continue;
		table_row(&rep->v[i], w, out);
		count[rep->v[i].m[2].colour]++;
		esc += rep->v[i].level > 0;
	}
	sbuf_addf(out,
		  "\n%s: %d red, %d yellow, %d green, %d without figures to judge; %d escalated."
		  " G/Y/R: green, yellow, red. thresholds (yellow/red): change >= %ld/%ld%%,"
		  " repeat >= %ld/%ld%%, overdue >= %ld/%ld%%, on time < %ld/%ld%%,"
		  " satisfied < %ld/%ld%%\n",
		  rep->month, count[MONTH_RED], count[MONTH_YELLOW], count[MONTH_GREEN],
		  count[MONTH_NONE], esc, rep->lim.growth[0], rep->lim.growth[1],
		  rep->lim.repeat[0], rep->lim.repeat[1], rep->lim.overdue[0], rep->lim.overdue[1],
		  rep->lim.ontime[0], rep->lim.ontime[1], rep->lim.satisfied[0],
		  rep->lim.satisfied[1]);
}

/* ---- CSV ---- */

/* One field, RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void csv_field(struct sbuf *out, const char *s, int first)
{
	if (!first)
		sbuf_addch(out, ',');
	if (!strpbrk(s, ",\"\r\n")) {
		sbuf_adds(out, s);
		return;
	}
	sbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			sbuf_addch(out, '"');
		sbuf_addch(out, *s);
	}
	sbuf_addch(out, '"');
}

static void csv_long(struct sbuf *out, long v)
{
	sbuf_addf(out, ",%ld", v);
}

/* count, of, pct, colour (pct and colour empty with nothing to divide by) */
static void csv_frac(struct sbuf *out, struct month_frac f)
{
	char pct[24];

	csv_long(out, f.n);
	csv_long(out, f.of);
	sbuf_addf(out, ",%s,%s", f.of > 0 ? month_pct_str(f, pct) : "",
		  month_colour_name(f.colour));
}

static const char csv_header[] =
	"month,kind,subject,name,colour,volume,last_year,change,change_pct,change_colour,"
	"repeats,repeat_of,repeat_pct,repeat_colour,overdue,overdue_of,overdue_pct,"
	"overdue_colour,on_time,on_time_of,on_time_pct,on_time_colour,satisfied,satisfied_of,"
	"satisfied_pct,satisfied_colour,colour_month_before_last,colour_month_before,"
	"escalation_level,escalation\r\n";

static void csv_row(const struct month_report *rep, const struct month_subject *s, struct sbuf *out)
{
	const struct month_figures *f = &s->m[2];
	char pct[24];

	csv_field(out, rep->month, 1);
	csv_field(out, month_kind_name(s->kind), 0);
	csv_field(out, s->code, 0);
	csv_field(out, s->name, 0);
	csv_field(out, month_colour_name(f->colour), 0);
	csv_long(out, f->volume);
	if (f->last_year >= 0)
		csv_long(out, f->last_year);
	else
		sbuf_addch(out, ',');
	if (f->growth.of > 0)
		sbuf_addf(out, ",%ld,%s,%s", f->growth.n, month_pct_str(f->growth, pct),
			  month_colour_name(f->growth.colour));
	else
		sbuf_adds(out, ",,,");
	csv_frac(out, f->repeat);
	csv_frac(out, f->overdue);
	csv_frac(out, f->ontime);
	csv_frac(out, f->satisfied);
	sbuf_addf(out, ",%s,%s,%d", month_colour_name(s->m[0].colour),
		  month_colour_name(s->m[1].colour), s->level);
	csv_field(out, month_action(s->level), 0);
	sbuf_adds(out, "\r\n");
}

void month_csv(const struct month_report *rep, const char *prefix, struct sbuf *out)
{
	sbuf_adds(out, csv_header);
	for (size_t i = 0; i < rep->n; i++)
		if (month_in_region(&rep->v[i], prefix))
			csv_row(rep, &rep->v[i], out);
}

/* ---- JSON ---- */

static json_t *colour_json(enum month_colour c)
{
	return c == MONTH_NONE ? json_null() : json_string(month_colour_name(c));
}

static json_t *pct_json(struct month_frac f)
{
	return f.of > 0 ? json_real(round(1000.0 * (double)f.n / (double)f.of) / 10) : json_null();
}

static json_t *frac_json(struct month_frac f)
{
	return json_pack("{s:I, s:I, s:o, s:o}", "count", (json_int_t)f.n, "of", (json_int_t)f.of,
			 "pct", pct_json(f), "colour", colour_json(f.colour));
}

static json_t *volume_json(const struct month_figures *f)
{
	return json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)f->volume, "last_year",
			 f->last_year >= 0 ? json_integer(f->last_year) : json_null(), "change_pct",
			 pct_json(f->growth), "colour", colour_json(f->growth.colour));
}

json_t *month_subject_json(const struct month_report *rep, const struct month_subject *s)
{
	const struct month_figures *f = &s->m[2];
	const char *months[3] = { rep->prev[0], rep->prev[1], rep->month };
	json_t *colours = json_array();

	for (int i = 0; i < 3; i++)
		json_array_append_new(colours, json_pack("{s:s, s:o}", "month", months[i], "colour",
							 colour_json(s->m[i].colour)));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}", "kind",
			 month_kind_name(s->kind), "subject", s->code, "name", s->name, "colour",
			 colour_json(f->colour), "colours", colours, "volume", volume_json(f),
			 "repeat", frac_json(f->repeat), "overdue", frac_json(f->overdue), "ontime",
			 frac_json(f->ontime), "satisfied", frac_json(f->satisfied), "escalation",
			 s->level);
}

static json_t *limits_json(const struct month_limits *l)
{
	return json_pack("{s:[I,I], s:[I,I], s:[I,I], s:[I,I], s:[I,I]}", "change",
			 (json_int_t)l->growth[0], (json_int_t)l->growth[1], "repeat",
			 (json_int_t)l->repeat[0], (json_int_t)l->repeat[1], "overdue",
			 (json_int_t)l->overdue[0], (json_int_t)l->overdue[1], "ontime",
			 (json_int_t)l->ontime[0], (json_int_t)l->ontime[1], "satisfied",
			 (json_int_t)l->satisfied[0], (json_int_t)l->satisfied[1]);
}

json_t *month_json(const struct month_report *rep, const char *prefix)
{
	json_t *subjects = json_array();

	for (size_t i = 0; i < rep->n; i++)
		if (month_in_region(&rep->v[i], prefix))
			json_array_append_new(subjects, month_subject_json(rep, &rep->v[i]));
	return json_pack("{s:s, s:o, s:o}", "month", rep->month, "thresholds",
			 limits_json(&rep->lim), "subjects", subjects);
}

json_t *month_escalation_msg(const struct month_report *rep, const struct month_subject *s,
			     const char *bureau, time_t at)
{
	char id[256], ats[32];

	snprintf(id, sizeof id, "%s/%s/%s/%d", rep->month, month_kind_name(s->kind), s->code,
		 s->level);
	time_format_cst(at, ats);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:s, s:o}", "schema",
			 "xf.escalation.v1", "escalation_id", id, "month", rep->month, "kind",
			 month_kind_name(s->kind), "subject", s->code, "level", s->level, "action",
			 month_action(s->level), "bureau",
			 bureau ? json_string(bureau) : json_null(), "at", ats, "figures",
			 month_subject_json(rep, s));
}

json_t *month_escalations_json(PGconn *conn, struct sbuf *err)
{
	PGresult *res = pg_query(conn,
				 "SELECT body FROM month_escalations"
				 " WHERE month = (SELECT max(month) FROM month_closed)"
				 " ORDER BY kind, subject COLLATE \"C\", level",
				 0, NULL, err);
	json_t *out;

	if (!res)
		return NULL;
	out = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *m = json_loads(PQgetvalue(res, i, 0), 0, NULL);

		if (m)
			json_array_append_new(out, m);
	}
	PQclear(res);
	return out;
}
