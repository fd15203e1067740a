/* board.c - see board.h. */
#include "board.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "month.h"
#include "pg.h"
#include "util.h"
#include "vocab.h"
#include "xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_S 86400L

/* ---- days ---- */

/* Days since 1970-01-01 of "YYYY-MM-DD" into *out; -1 if it is not a real date. */
static int day_parse(const char *s, long *out)
{
	struct tm tm = { 0 };
	char back[11];
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(back, sizeof back, "%Y-%m-%d", &tm);
	if (strcmp(back, s))
		return -1;
	*out = (long)(t / DAY_S);
	return 0;
}

static void day_format(long day, char out[11])
{
	time_t t = (time_t)day * DAY_S;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void period_set(struct board_period *p, long from, long to)
{
	p->days = (int)(to - from + 1);
	day_format(from, p->from);
	day_format(to, p->to);
	day_format(from - p->days, p->prev_from);
	day_format(from - 1, p->prev_to);
}

int board_period_parse(const char *spec, time_t now, struct board_period *p, struct sbuf *err)
{
	long today = (long)((now + 8 * 3600) / DAY_S), from, to, n;
	const char *dots = spec ? strstr(spec, "..") : NULL;
	char a[24], b[24], *end;

	if (!spec || !*spec)
		goto bad;
	n = strtol(spec, &end, 10);
	if (isdigit((unsigned char)spec[0]) && !strcmp(end, "d")) {
		if (n < 1 || n > BOARD_MAX_DAYS)
			goto bad;
		period_set(p, today - n + 1, today);
		return 0;
	}
	if (strlen(spec) == 7) { /* YYYY-MM */
		int y, m;

		snprintf(a, sizeof a, "%s-01", spec);
		if (day_parse(a, &from))
			goto bad;
		y = atoi(spec) % 10000;
		m = atoi(spec + 5) % 100;
		snprintf(b, sizeof b, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
		if (day_parse(b, &to))
			goto bad;
		period_set(p, from, to - 1);
		return 0;
	}
	if (dots && dots - spec == 10 && strlen(dots + 2) == 10) {
		memcpy(a, spec, 10);
		a[10] = '\0';
		if (day_parse(a, &from) || day_parse(dots + 2, &to) || to < from ||
		    to - from + 1 > BOARD_MAX_DAYS)
			goto bad;
		period_set(p, from, to);
		return 0;
	}
bad:
	sbuf_addf(err, "period \"%s\": want Nd (1..%d), YYYY-MM or YYYY-MM-DD..YYYY-MM-DD",
		  spec ? spec : "", BOARD_MAX_DAYS);
	return -1;
}

int board_region_valid(const char *region)
{
	return !region || !*region || (strlen(region) <= 9 && region_prefix_valid(region));
}

/* ---- the index ---- */

int board_index_conf(const struct xf_conf *conf, struct board_index_conf *ic, struct sbuf *err)
{
	static const char *const names[] = { "volume", "repeat", "overdue", "risk_a",
					     "dissatisfied" };
	double *w[] = { &ic->w_volume, &ic->w_repeat, &ic->w_overdue, &ic->w_risk_a,
			&ic->w_dissatisfied };
	const char *p = conf->index_weights;
	unsigned seen = 0;
	double sum = 0;

	memset(ic, 0, sizeof *ic);
	ic->volume_ref = (double)conf->index_volume_ref;
	ic->risk_a_ref = (double)conf->index_risk_a_ref;
	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t i, len = colon ? (size_t)(colon - p) : 0;
		char *end;
		long v;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (colon && strlen(names[i]) == len && !strncmp(names[i], p, len))
				break;
		if (i == ARRAY_SIZE(names) || seen & (1u << i)) /* unknown, or twice */
			goto bad;
		seen |= 1u << i;
		v = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || v < 0 || v > 1000 || (*end && *end != ','))
			goto bad;
		*w[i] = (double)v;
		sum += (double)v;
		p = *end ? end + 1 : end;
	}
	if (sum <= 0)
		goto bad;
	for (size_t i = 0; i < ARRAY_SIZE(w); i++)
		*w[i] /= sum;
	return 0;
bad:
	sbuf_addf(err,
		  "XF_INDEX_WEIGHTS=\"%s\": want name:weight,... of volume, repeat, overdue,"
		  " risk_a, dissatisfied (each once, 0..1000, not all 0)",
		  conf->index_weights ? conf->index_weights : "");
	return -1;
}

static double ratio(long n, long of)
{
	return of > 0 ? (double)n / (double)of : 0;
}

static double at_most_1(double x)
{
	return x > 1 ? 1 : x;
}

double board_index(const struct board_index_conf *ic, const struct board_index_in *in)
{
	double x = ic->w_volume * at_most_1(ratio(in->petitions, (long)ic->volume_ref)) +
		   ic->w_repeat * ratio(in->repeats, in->petitions) +
		   ic->w_overdue * at_most_1(ratio(in->overdue, in->petitions)) +
		   ic->w_risk_a * at_most_1(ratio(in->risk_a, (long)ic->risk_a_ref)) +
		   ic->w_dissatisfied * ratio(in->rated - in->satisfied, in->rated);

	return round(1000 * x) / 10; /* 0..100, one decimal */
}

/* ---- reading ---- */

static long num(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? 0 : atol(PQgetvalue(res, row, c));
}

/* The index figures per area over the 7 days that end on day to (w = 1) and the 7 before. */
static const char index_sql[] =
	"SELECT region, (day > $1::date - 7)::int AS w, sum(petitions), sum(repeats),"
	"  sum(overdue), sum(petitions) FILTER (WHERE risk = 'A'), sum(rated), sum(satisfied)"
	" FROM board_days_all WHERE day BETWEEN $1::date - 13 AND $1::date AND region LIKE $2"
	" GROUP BY 1, 2 ORDER BY 1, 2";

static struct board_index_in index_in(const PGresult *res, int row)
{
	return (struct board_index_in){ num(res, row, 2), num(res, row, 3), num(res, row, 4),
					num(res, row, 5), num(res, row, 6), num(res, row, 7) };
}

int board_index_today(PGconn *conn, time_t now, const struct board_index_conf *ic,
		      void (*fn)(void *arg, const char *region, double index), void *arg,
		      struct sbuf *err)
{
	static const struct board_index_in quiet = { 0, 0, 0, 0, 0, 0 };
	char today[11];
	PGresult *res;

	day_format((long)((now + 8 * 3600) / DAY_S), today);
	res = pg_query(conn, index_sql, 2, (const char *const[]){ today, "%" }, err);
	if (!res)
		return -1;
	/* by region, then w: a region quiet this week (only w = 0) is 0, so it stays shown */
	for (int i = 0; i < PQntuples(res); i++) {
		struct board_index_in in = index_in(res, i);
		int next_same = i + 1 < PQntuples(res) &&
				!strcmp(PQgetvalue(res, i, 0), PQgetvalue(res, i + 1, 0));

		if (num(res, i, 1) == 1)
			fn(arg, PQgetvalue(res, i, 0), board_index(ic, &in));
		else if (!next_same)
			fn(arg, PQgetvalue(res, i, 0), board_index(ic, &quiet));
	}
	PQclear(res);
	return 0;
}

/* The object of region in areas, made when new. */
static json_t *area_of(json_t *areas, const char *region)
{
	json_t *a = json_object_get(areas, region);

	if (!a) {
		a = json_pack("{s:s, s:i, s:i, s:{}}", "region", region, "petitions", 0, "previous",
			      0, "cells");
		json_object_set_new(areas, region, a);
	}
	return a;
}

static void add_int(json_t *o, const char *key, long n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

static const char *const total_keys[] = {
	"petitions", "repeats",  "collective",    "risk_a", "assigned",  "returned",
	"overdue",   "resolved", "resolved_late", "rated",  "satisfied", "dissatisfied"
};

/* Per area over the period: the figures of total_keys, in that order. */
static const char totals_sql[] =
	"SELECT region, sum(petitions), sum(repeats), sum(collective),"
	"  sum(petitions) FILTER (WHERE risk = 'A'), sum(assigned), sum(returned), sum(overdue),"
	"  sum(resolved), sum(resolved_late), sum(rated), sum(satisfied), sum(dissatisfied)"
	" FROM board_days_all WHERE day BETWEEN $1 AND $2 AND region LIKE $3"
	" GROUP BY 1 ORDER BY 1";

/* Per area and category: petitions in the period and in the previous one. */
static const char cells_sql[] =
	"SELECT region, category, coalesce(sum(petitions) FILTER (WHERE day >= $1), 0),"
	"  coalesce(sum(petitions) FILTER (WHERE day < $1), 0)"
	" FROM board_days_all WHERE day BETWEEN $4 AND $2 AND region LIKE $3"
	" GROUP BY 1, 2 HAVING sum(petitions) > 0 ORDER BY 1, 2";

static const char tide_sql[] =
	"SELECT extract(isodow FROM day)::int, hour, sum(petitions) FROM board_hours_all"
	" WHERE day BETWEEN $1 AND $2 AND region LIKE $3 GROUP BY 1, 2";

static const char names_sql[] = "SELECT region, min(name) FROM departments"
				" WHERE level = 'township' GROUP BY 1";

/* The phrases most of an area's latest cases of a category have (their keywords). */
static const char phrases_sql[] =
	"SELECT k, count(*) FROM (SELECT petition->'classification'->'keywords' AS kw"
	"  FROM cases WHERE left(region_code, 9) = $1 AND category = $2"
	"  ORDER BY created_at DESC LIMIT 200) c,"
	" LATERAL (SELECT DISTINCT jsonb_array_elements_text(CASE jsonb_typeof(c.kw)"
	"  WHEN 'array' THEN c.kw ELSE '[]' END) AS k) x"
	" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5";

static int read_totals(PGconn *conn, const char *const *params, json_t *areas, json_t *totals,
		       struct sbuf *err)
{
	PGresult *res = pg_query(conn, totals_sql, 3, params, err);

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *a = area_of(areas, PQgetvalue(res, i, 0));

		for (size_t k = 0; k < ARRAY_SIZE(total_keys); k++) {
			json_object_set_new(a, total_keys[k],
					    json_integer(num(res, i, (int)k + 1)));
			add_int(totals, total_keys[k], num(res, i, (int)k + 1));
		}
	}
	PQclear(res);
	return 0;
}

/* The cells, each area's previous petitions, and the columns in use (by vocab index). */
static int read_cells(PGconn *conn, const char *const *params, json_t *areas, json_t *totals,
		      int used[VOCAB_NCATEGORIES], json_t *rising, struct sbuf *err)
{
	PGresult *res = pg_query(conn, cells_sql, 4, params, err);

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *region = PQgetvalue(res, i, 0), *cat = PQgetvalue(res, i, 1);
		long now = num(res, i, 2), prev = num(res, i, 3);
		json_t *a = area_of(areas, region);
		int c = vocab_category_index(cat);

		if (c >= 0)
			used[c] = 1;
		json_object_set_new(json_object_get(a, "cells"), cat,
				    json_pack("{s:i, s:i}", "petitions", now, "previous", prev));
		add_int(a, "previous", prev);
		add_int(totals, "previous", prev);
		if (now >= BOARD_HOTSPOT_MIN && now > prev)
			json_array_append_new(rising,
					      json_pack("{s:s, s:s, s:i, s:i, s:i}", "region",
							region, "category", cat, "petitions", now,
							"previous", prev, "increase", now - prev));
	}
	PQclear(res);
	return 0;
}

static int read_index(PGconn *conn, const struct board_period *p, const char *like,
		      const struct board_index_conf *ic, json_t *areas, struct sbuf *err)
{
	PGresult *res = pg_query(conn, index_sql, 2, (const char *const[]){ p->to, like }, err);

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		/* an area busy this week is shown, even with no petition in the period */
		json_t *a = num(res, i, 1) ? area_of(areas, PQgetvalue(res, i, 0))
					   : json_object_get(areas, PQgetvalue(res, i, 0));
		struct board_index_in in = index_in(res, i);

		if (a)
			json_object_set_new(a, num(res, i, 1) ? "index" : "index_week_ago",
					    json_real(board_index(ic, &in)));
	}
	PQclear(res);
	/* an area quiet for a fortnight has index 0 */
	{
		const char *k;
		json_t *a;

		json_object_foreach(areas, k, a)
		{
			if (!json_object_get(a, "index"))
				json_object_set_new(a, "index", json_real(0));
			if (!json_object_get(a, "index_week_ago"))
				json_object_set_new(a, "index_week_ago", json_real(0));
		}
	}
	return 0;
}

static json_t *read_tide(PGconn *conn, const char *const *params, struct sbuf *err)
{
	PGresult *res = pg_query(conn, tide_sql, 3, params, err);
	json_t *rows = json_array();
	long max = 0;

	if (!res) {
		json_decref(rows);
		return NULL;
	}
	for (int d = 0; d < 7; d++) {
		json_t *hours = json_array();

		for (int h = 0; h < 24; h++)
			json_array_append_new(hours, json_integer(0));
		json_array_append_new(rows, hours);
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long d = num(res, i, 0) - 1, h = num(res, i, 1), n = num(res, i, 2);

		if (d >= 0 && d < 7 && h >= 0 && h < 24) {
			json_array_set_new(json_array_get(rows, (size_t)d), (size_t)h,
					   json_integer(n));
			max = n > max ? n : max;
		}
	}
	PQclear(res);
	return json_pack("{s:[s,s,s,s,s,s,s], s:o, s:i}", "weekdays", "周一", "周二", "周三",
			 "周四", "周五", "周六", "周日", "petitions", rows, "max", max);
}

static int cmp_rising(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t dx = json_integer_value(json_object_get(x, "increase")),
		   dy = json_integer_value(json_object_get(y, "increase"));
	json_int_t nx = json_integer_value(json_object_get(x, "petitions")),
		   ny = json_integer_value(json_object_get(y, "petitions"));
	int c;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	if (nx != ny)
		return nx > ny ? -1 : 1;
	c = strcmp(json_string_value(json_object_get(x, "region")),
		   json_string_value(json_object_get(y, "region")));
	return c ? c
		 : strcmp(json_string_value(json_object_get(x, "category")),
			  json_string_value(json_object_get(y, "category")));
}

/* The BOARD_HOTSPOTS fastest risers of rising, each with its phrases. */
static json_t *hotspots(PGconn *conn, json_t *rising, json_t *names, struct sbuf *err)
{
	size_t n = json_array_size(rising);
	json_t **v = xcalloc(n ? n : 1, sizeof *v), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rising, i);
	qsort(v, n, sizeof *v, cmp_rising);
	for (size_t i = 0; i < n && i < BOARD_HOTSPOTS; i++) {
		const char *region = json_string_value(json_object_get(v[i], "region"));
		const char *cat = json_string_value(json_object_get(v[i], "category"));
		int c = vocab_category_index(cat);
		PGresult *res = pg_query(conn, phrases_sql, 2, (const char *const[]){ region, cat },
					 err);
		json_t *h = json_deep_copy(v[i]), *phrases = json_array();

		if (!res) {
			json_decref(h);
			json_decref(phrases);
			json_decref(out);
			out = NULL;
			break;
		}
		for (int r = 0; r < PQntuples(res); r++)
			json_array_append_new(phrases, json_pack("{s:s, s:i}", "phrase",
								 PQgetvalue(res, r, 0), "cases",
								 num(res, r, 1)));
		PQclear(res);
		json_object_set_new(h, "phrases", phrases);
		json_object_set_new(h, "category_name",
				    json_string(c >= 0 ? vocab_categories[c].name : cat));
		if (json_object_get(names, region))
			json_object_set(h, "name", json_object_get(names, region));
		json_array_append_new(out, h);
	}
	free(v);
	return out;
}

static json_t *read_names(PGconn *conn, struct sbuf *err)
{
	PGresult *res = pg_query(conn, names_sql, 0, NULL, err);
	json_t *names = json_object();

	if (!res) {
		json_decref(names);
		return NULL;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_object_set_new(names, PQgetvalue(res, i, 0),
				    json_string(PQgetvalue(res, i, 1)));
	PQclear(res);
	return names;
}

static int cmp_area(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t nx = json_integer_value(json_object_get(x, "petitions")),
		   ny = json_integer_value(json_object_get(y, "petitions"));

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "region")),
		      json_string_value(json_object_get(y, "region")));
}

/* areas (an object) as an array, busiest first, each named and with its change. */
static json_t *area_list(json_t *areas, json_t *names)
{
	size_t n = json_object_size(areas), i = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof *v), *a, *out = json_array();
	const char *k;

	json_object_foreach(areas, k, a)
	{
		v[i++] = a;
		for (size_t t = 0; t < ARRAY_SIZE(total_keys); t++)
			if (!json_object_get(a, total_keys[t]))
				json_object_set_new(a, total_keys[t], json_integer(0));
		add_int(a, "change",
			json_integer_value(json_object_get(a, "petitions")) -
				json_integer_value(json_object_get(a, "previous")));
		if (json_object_get(names, k))
			json_object_set(a, "name", json_object_get(names, k));
	}
	qsort(v, n, sizeof *v, cmp_area);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/*
 * The escalations of the newest month closed (domain/month.h): of the
 * areas within region, and of every department when region is "".
 */
static json_t *escalations(PGconn *conn, const char *region, struct sbuf *err)
{
	json_t *all = month_escalations_json(conn, err), *out, *e;
	size_t i, n = strlen(region);

	if (!all || !n)
		return all;
	out = json_array();
	json_array_foreach(all, i, e)
	{
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *subject = json_string_value(json_object_get(e, "subject"));

		if (kind && subject && !strcmp(kind, "area") && !strncmp(subject, region, n))
			json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

json_t *board_load(PGconn *conn, const struct board_period *p, const char *region,
		   const struct board_index_conf *ic, struct sbuf *err)
{
	char like[32];
	const char *params[4];
	json_t *areas = json_object(), *totals = json_object(), *rising = json_array();
	json_t *names = NULL, *tide = NULL, *hot = NULL, *esc = NULL, *cats = json_array();
	json_t *out = NULL;
	int used[VOCAB_NCATEGORIES] = { 0 };

	if (!board_region_valid(region)) {
		sbuf_addf(err, "region \"%s\": want a region code prefix of 2, 4, 6 or 9 digits",
			  region);
		goto out;
	}
	snprintf(like, sizeof like, "%s%%", region ? region : "");
	params[0] = p->from;
	params[1] = p->to;
	params[2] = like;
	params[3] = p->prev_from;
	for (size_t k = 0; k < ARRAY_SIZE(total_keys); k++)
		json_object_set_new(totals, total_keys[k], json_integer(0));
	json_object_set_new(totals, "previous", json_integer(0));
	if (read_totals(conn, params, areas, totals, err) ||
	    read_cells(conn, params, areas, totals, used, rising, err) ||
	    read_index(conn, p, like, ic, areas, err) || !(tide = read_tide(conn, params, err)) ||
	    !(names = read_names(conn, err)) || !(hot = hotspots(conn, rising, names, err)) ||
	    !(esc = escalations(conn, region ? region : "", err)))
		goto out;
	for (int c = 0; c < VOCAB_NCATEGORIES; c++)
		if (used[c])
			json_array_append_new(cats, json_pack("{s:s, s:s}", "code",
							      vocab_categories[c].code, "name",
							      vocab_categories[c].name));
	out = json_pack("{s:s, s:{s:s, s:s, s:i}, s:{s:s, s:s}, s:s, s:O, s:O, s:o, s:O, s:O, s:O}",
			"schema", BOARD_SCHEMA, "period", "from", p->from, "to", p->to, "days",
			p->days, "previous", "from", p->prev_from, "to", p->prev_to, "region",
			region ? region : "", "totals", totals, "categories", cats, "areas",
			area_list(areas, names), "tide", tide, "hotspots", hot, "escalations", esc);
out:
	json_decref(areas);
	json_decref(totals);
	json_decref(rising);
	json_decref(names);
	json_decref(tide);
	json_decref(hot);
	json_decref(esc);
	json_decref(cats);
	return out;
}
