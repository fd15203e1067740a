/* calendar.c - see calendar.h. */
#include "calendar.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "log.h"
#include "pg.h"
#include "xalloc.h"

#define CST_OFFSET (8 * 3600)
#define DAY_SECS 86400
#define NYEARS (CALENDAR_YEAR_MAX - CALENDAR_YEAR_MIN + 1)
#define YEAR_WORDS 6 /* 64-bit words for 366 days */

/* A year with a notice: bit i of work is day i (0 = 1 January). */
struct cal_year {
	uint64_t work[YEAR_WORDS];
	json_t *notice; /* our own copy; NULL: no notice for this year */
	enum calendar_origin origin;
	long first; /* day number of 1 January */
};

struct calendar {
	struct cal_year years[NYEARS];
};

/*
 * Years already warned about, for the whole process: a deadline counted
 * on weekends alone is worth one line in the log, not one per case. Slot 0
 * takes every year before the range, the last slot every year after it.
 */
static _Atomic unsigned char year_warned[NYEARS + 2];

static const char *const weekday_names[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

/* ---- day numbers: days since 1970-01-01, in CST ---- */

static long day_of(time_t t)
{
	long long s = (long long)t + CST_OFFSET;

	return (long)(s >= 0 ? s / DAY_SECS : (s - (DAY_SECS - 1)) / DAY_SECS);
}

/* 00:00 CST of a day. */
static time_t day_start(long day)
{
	return (time_t)day * DAY_SECS - CST_OFFSET;
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(long day)
{
	long w = (day + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int is_weekend(long day)
{
	int w = weekday(day);

	return w == 0 || w == 6;
}

/* Proleptic Gregorian date to day number (H. Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The year a day number falls in (the inverse of the above, year only). */
static int year_of(long day)
{
	long z = day + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153; /* months from March */

	return (int)(era * 400 + yoe + (mp >= 10));
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parses "YYYY-MM-DD" (a real date) to a day number: 0 / -1. */
static int date_parse(const char *s, long *day)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return -1;
	if (s[10])
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	*day = days_from_civil(y, m, d);
	return 0;
}

int calendar_date_parse(const char *s, time_t *out)
{
	long day;

	if (!s || date_parse(s, &day))
		return -1;
	*out = day_start(day);
	return 0;
}

/* ---- queries ---- */

static const struct cal_year *year_get(const struct calendar *c, int year)
{
	if (!c || year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX)
		return NULL;
	return c->years[year - CALENDAR_YEAR_MIN].notice ? &c->years[year - CALENDAR_YEAR_MIN]
							 : NULL;
}

static void warn_missing(int year)
{
	size_t i = year < CALENDAR_YEAR_MIN   ? 0
		   : year > CALENDAR_YEAR_MAX ? NYEARS + 1
					      : (size_t)(year - CALENDAR_YEAR_MIN) + 1;

	if (!atomic_load_explicit(&year_warned[i], memory_order_relaxed) &&
	    !atomic_exchange(&year_warned[i], 1))
		log_warn("calendar_year_missing", LOG_I("year", year),
			 LOG_S("fallback", "weekends_only"), LOG_END);
}

static int day_is_workday(const struct calendar *c, long day)
{
	int year = year_of(day);
	const struct cal_year *cy = year_get(c, year);
	long i;

	if (!cy) {
		warn_missing(year);
		return !is_weekend(day);
	}
	i = day - cy->first;
	return (int)(cy->work[i / 64] >> (i % 64) & 1);
}

/* The n-th working day after day (n <= 0: day itself or the next one). */
static long nth_workday(const struct calendar *c, long day, int n)
{
	if (n <= 0) {
		while (!day_is_workday(c, day))
			day++;
		return day;
	}
	while (n > 0)
		n -= day_is_workday(c, ++day);
	return day;
}

int calendar_covers(const struct calendar *c, int year)
{
	return year_get(c, year) != NULL;
}

enum calendar_origin calendar_year_origin(const struct calendar *c, int year)
{
	const struct cal_year *cy = year_get(c, year);

	return cy ? cy->origin : CALENDAR_WEEKENDS;
}

json_t *calendar_notice(const struct calendar *c, int year)
{
	const struct cal_year *cy = year_get(c, year);

	return cy ? cy->notice : NULL;
}

int calendar_is_workday(const struct calendar *c, time_t t)
{
	return day_is_workday(c, day_of(t));
}

time_t calendar_add_workdays(const struct calendar *c, time_t t, int n)
{
	long day = day_of(t);

	/* CST has no DST: the same time of day is a whole number of days on. */
	return t + (time_t)(nth_workday(c, day, n) - day) * DAY_SECS;
}

time_t calendar_workday_end(const struct calendar *c, time_t t, int n)
{
	return day_start(nth_workday(c, day_of(t), n) + 1);
}

int calendar_workdays_between(const struct calendar *c, time_t from, time_t to)
{
	long last = day_of(to);
	int n = 0;

	for (long day = day_of(from) + 1; day <= last; day++)
		n += day_is_workday(c, day);
	return n;
}

/* ---- building a year from a notice ---- */

/* A year being built; nothing reaches the calendar until all of it passed. */
struct build {
	int year;
	struct cal_year cy;
	int holiday[366]; /* index in "holidays" of each day, or -1 */
	json_t *holidays;
};

static void build_set(struct build *b, long i, int work)
{
	if (work)
		b->cy.work[i / 64] |= UINT64_C(1) << (i % 64);
	else
		b->cy.work[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static int build_get(const struct build *b, long i)
{
	return (int)(b->cy.work[i / 64] >> (i % 64) & 1);
}

/* A date of the notice as its day in the year; field names it in err. */
static int build_day(const struct build *b, json_t *v, const char *field, long *i, struct sbuf *err)
{
	const char *s = json_string_value(v);
	long day;

	if (!s || date_parse(s, &day)) {
		sbuf_addf(err, "%s: must be a real date \"YYYY-MM-DD\"", field);
		return -1;
	}
	*i = day - b->cy.first;
	if (*i < 0 || *i >= 365 + leap(b->year)) {
		sbuf_addf(err, "%s: %s is not in %d, the notice's year", field, s, b->year);
		return -1;
	}
	return 0;
}

static const char *holiday_name(const struct build *b, int h)
{
	return json_string_value(json_object_get(json_array_get(b->holidays, (size_t)h), "name"));
}

static int build_holiday(struct build *b, size_t h, struct sbuf *err)
{
	json_t *hol = json_array_get(b->holidays, h);
	const char *name = json_string_value(json_object_get(hol, "name"));
	char field[48];
	long from, to;

	if (!json_is_object(hol)) {
		sbuf_addf(err, "holidays[%zu]: must be an object {name, from, to}", h);
		return -1;
	}
	if (!name || !*name) {
		sbuf_addf(err, "holidays[%zu].name: must be a non-empty string", h);
		return -1;
	}
	snprintf(field, sizeof field, "holidays[%zu].from", h);
	if (build_day(b, json_object_get(hol, "from"), field, &from, err))
		return -1;
	snprintf(field, sizeof field, "holidays[%zu].to", h);
	if (build_day(b, json_object_get(hol, "to"), field, &to, err))
		return -1;
	if (from > to) {
		sbuf_addf(err, "holidays[%zu]: from is after to", h);
		return -1;
	}
	for (long i = from; i <= to; i++) {
		if (b->holiday[i] >= 0) {
			sbuf_addf(err, "holidays[%zu]: overlaps holidays[%d] (%s)", h,
				  b->holiday[i], holiday_name(b, b->holiday[i]));
			return -1;
		}
		b->holiday[i] = (int)h;
		build_set(b, i, 0);
	}
	return 0;
}

static int build_adjusted(struct build *b, json_t *v, size_t k, struct sbuf *err)
{
	const char *s = json_string_value(v);
	char field[48];
	long i;

	snprintf(field, sizeof field, "adjusted_working_days[%zu]", k);
	if (build_day(b, v, field, &i, err))
		return -1;
	if (!is_weekend(b->cy.first + i))
		sbuf_addf(err, "%s: %s is a %s: only a weekend day can be made a working day",
			  field, s, weekday_names[weekday(b->cy.first + i)]);
	else if (b->holiday[i] >= 0)
		sbuf_addf(err, "%s: %s is inside holidays[%d] (%s)", field, s, b->holiday[i],
			  holiday_name(b, b->holiday[i]));
	else if (build_get(b, i))
		sbuf_addf(err, "%s: %s is listed twice", field, s);
	else {
		build_set(b, i, 1);
		return 0;
	}
	return -1;
}

/* year and source; then every day of the year by the week. */
static int build_start(struct build *b, json_t *notice, struct sbuf *err)
{
	json_t *year = json_object_get(notice, "year");
	const char *source = json_string_value(json_object_get(notice, "source"));

	if (!json_is_object(notice)) {
		sbuf_addf(err, "notice: must be a JSON object");
		return -1;
	}
	if (!json_is_integer(year) || json_integer_value(year) < CALENDAR_YEAR_MIN ||
	    json_integer_value(year) > CALENDAR_YEAR_MAX) {
		sbuf_addf(err, "year: must be an integer %d..%d", CALENDAR_YEAR_MIN,
			  CALENDAR_YEAR_MAX);
		return -1;
	}
	if (!source || !*source) {
		sbuf_addf(err, "source: must name the notice (a non-empty string)");
		return -1;
	}
	memset(b, 0, sizeof *b);
	b->year = (int)json_integer_value(year);
	b->cy.first = days_from_civil(b->year, 1, 1);
	for (long i = 0; i < 365 + leap(b->year); i++) {
		b->holiday[i] = -1;
		build_set(b, i, !is_weekend(b->cy.first + i));
	}
	return 0;
}

static int build_notice(struct build *b, json_t *notice, struct sbuf *err)
{
	json_t *adjusted = json_object_get(notice, "adjusted_working_days");

	if (build_start(b, notice, err))
		return -1;
	b->holidays = json_object_get(notice, "holidays");
	if (!json_is_array(b->holidays) || !json_is_array(adjusted)) {
		sbuf_addf(err, "%s: must be an array",
			  json_is_array(b->holidays) ? "adjusted_working_days" : "holidays");
		return -1;
	}
	for (size_t h = 0; h < json_array_size(b->holidays); h++)
		if (build_holiday(b, h, err))
			return -1;
	for (size_t k = 0; k < json_array_size(adjusted); k++)
		if (build_adjusted(b, json_array_get(adjusted, k), k, err))
			return -1;
	return 0;
}

/* ---- the calendar ---- */

struct calendar *calendar_new(void)
{
	return xcalloc(1, sizeof(struct calendar));
}

void calendar_free(struct calendar *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NYEARS; i++)
		json_decref(c->years[i].notice);
	free(c);
}

static int calendar_add(struct calendar *c, json_t *notice, enum calendar_origin origin,
			struct sbuf *err)
{
	struct build b;
	struct cal_year *cy;

	if (build_notice(&b, notice, err))
		return -1;
	cy = &c->years[b.year - CALENDAR_YEAR_MIN];
	json_decref(cy->notice);
	*cy = b.cy;
	cy->origin = origin;
	/* a copy: the caller may change its notice, our table would not follow */
	cy->notice = xnonnull(json_deep_copy(notice));
	return 0;
}

int calendar_add_notice(struct calendar *c, json_t *notice, struct sbuf *err)
{
	return calendar_add(c, notice, CALENDAR_NOTICE, err);
}

int calendar_check_notice(json_t *notice, struct sbuf *err)
{
	struct build b;

	return build_notice(&b, notice, err);
}

json_t *calendar_default_notice(void)
{
	const struct embed_file *f = embed_find(CALENDAR_DEFAULT_PATH);

	return f ? json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

/* ---- PostgreSQL ---- */

/* One row of calendar_years (year, body) into c; err names the year. */
static int row_add(struct calendar *c, const PGresult *res, int row, struct sbuf *err)
{
	const char *year = PQgetvalue(res, row, 0);
	json_t *notice = json_loads(PQgetvalue(res, row, 1), JSON_REJECT_DUPLICATES, NULL);
	struct sbuf why = SBUF_INIT;
	int rc = -1;

	if (!notice)
		sbuf_addf(&why, "body is not JSON");
	else if (json_integer_value(json_object_get(notice, "year")) != atoi(year))
		sbuf_addf(&why, "body is the notice of another year");
	else
		rc = calendar_add(c, notice, CALENDAR_NOTICE, &why);
	if (rc)
		sbuf_addf(err, "calendar_years year %s: %s", year, why.buf);
	json_decref(notice);
	sbuf_release(&why);
	return rc;
}

/* The compiled-in notice, unless its year was imported. */
static int default_add(struct calendar *c, struct sbuf *err)
{
	json_t *notice = calendar_default_notice();
	int rc = 0;

	if (!notice) {
		sbuf_addf(err, "%s: not compiled in or not JSON", CALENDAR_DEFAULT_PATH);
		return -1;
	}
	if (!calendar_covers(c, (int)json_integer_value(json_object_get(notice, "year"))))
		rc = calendar_add(c, notice, CALENDAR_BUILTIN, err);
	json_decref(notice);
	return rc;
}

int calendar_load_pg(PGconn *conn, struct calendar **out, struct sbuf *err)
{
	PGresult *res = pg_query(conn, "SELECT year, body FROM calendar_years ORDER BY year", 0,
				 NULL, err);
	struct calendar *c;
	int rc = 0;

	if (!res)
		return -1;
	c = calendar_new();
	for (int row = 0; !rc && row < PQntuples(res); row++)
		rc = row_add(c, res, row, err);
	PQclear(res);
	if (rc || default_add(c, err)) {
		calendar_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/*
 * The notice's days as rows, expanded by the database from the body just
 * stored; build_notice has checked every date and that no two rows share
 * a day.
 */
static const char days_insert[] =
	"INSERT INTO calendar_days (day, workday, name, year)"
	" SELECT d::date, false, h->>'name', $1::integer"
	"   FROM json_array_elements($2::json->'holidays') h,"
	"        generate_series((h->>'from')::date, (h->>'to')::date, interval '1 day') d"
	" UNION ALL"
	" SELECT a::date, true, NULL, $1::integer"
	"   FROM json_array_elements_text($2::json->'adjusted_working_days') a";

static int store_rows(PGconn *conn, const char *year, const char *source, const char *body,
		      struct sbuf *err)
{
	const char *params[3] = { year, source, body };
	const char *days[2] = { year, body };

	return pg_exec(conn,
		       "INSERT INTO calendar_years (year, source, body) VALUES ($1, $2, $3)"
		       " ON CONFLICT (year) DO UPDATE SET source = $2, body = $3,"
		       " imported_at = now()",
		       3, params, err) ||
			       pg_exec(conn, "DELETE FROM calendar_days WHERE year = $1", 1, params,
				       err) ||
			       pg_exec(conn, days_insert, 2, days, err) ||
			       pg_exec(conn, "SELECT pg_notify('xf_calendar', $1)", 1, params, err)
		       ? -1
		       : 0;
}

int calendar_store_pg(PGconn *conn, json_t *notice, struct sbuf *err)
{
	struct build b;
	char year[16], *body;
	int rc = -1;

	if (build_notice(&b, notice, err))
		return -1;
	snprintf(year, sizeof year, "%d", b.year);
	body = xnonnull(json_dumps(notice, JSON_COMPACT));
	if (!pg_begin(conn, err)) {
		if (store_rows(conn, year, json_string_value(json_object_get(notice, "source")),
			       body, err) ||
		    pg_commit(conn, err))
			pg_rollback(conn);
		else
			rc = 0;
	}
	free(body);
	return rc;
}
