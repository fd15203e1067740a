/*
 * calendar.h - China's working days (信访工作条例 counts some limits in
 * working days): Monday to Friday, except the public holidays and the
 * adjusted working days (调休) of the State Council's yearly notice.
 *
 *   struct calendar *c = calendar_new();
 *   if (calendar_add_notice(c, notice, &err))     // err names the field
 *           ...
 *   due = calendar_workday_end(c, assigned_at, 5);  // 退单 limit
 *   calendar_free(c);
 *
 * A notice is the JSON of deploy/examples/holidays-cn-2026.json:
 *   {"source": "...", "year": 2026,
 *    "holidays": [{"name": "春节", "from": "2026-02-15", "to": "2026-02-23"}],
 *    "adjusted_working_days": ["2026-02-14"]}
 *
 * Days are China Standard Time (UTC+8, no DST): a time_t is an instant and
 * its day is its CST date. A year without a notice counts weekends only and
 * logs calendar_year_missing once per year per process.
 *
 * The queries read a table built once per notice: no allocation, no lock.
 * Any number of threads may query a calendar that nobody changes; to reload,
 * build a new calendar and swap it in. Allocation failure aborts, as in
 * sbuf.h.
 */
#ifndef XF_CALENDAR_H
#define XF_CALENDAR_H

#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "sbuf.h"

#define CALENDAR_YEAR_MIN 2000 /* the years a notice may be for */
#define CALENDAR_YEAR_MAX 2100
#define CALENDAR_DEFAULT_PATH "deploy/examples/holidays-cn-2026.json"

struct calendar;

/* Where a year's working days come from. */
enum calendar_origin {
	CALENDAR_WEEKENDS, /* no notice: Monday to Friday */
	CALENDAR_NOTICE,   /* a notice given to calendar_add_notice (imported) */
	CALENDAR_BUILTIN,  /* the compiled-in default, by calendar_load_pg */
};

/* An empty calendar (every year weekends only). */
struct calendar *calendar_new(void);
/* Frees c and the notices it holds; NULL is fine. */
void calendar_free(struct calendar *c);

/*
 * Checks a notice and makes it the one for its year, replacing an earlier
 * notice of that year. The calendar keeps its own copy. Returns 0, or -1
 * with err naming the field at fault ("holidays[1].to: ...") and c
 * unchanged.
 */
int calendar_add_notice(struct calendar *c, json_t *notice, struct sbuf *err);
/* Checks a notice as calendar_add_notice does, changing nothing: 0 / -1. */
int calendar_check_notice(json_t *notice, struct sbuf *err);

/* 1 if c has a notice for year. c may be NULL (no notices) here and below. */
int calendar_covers(const struct calendar *c, int year);
enum calendar_origin calendar_year_origin(const struct calendar *c, int year);
/* The notice for year (borrowed, valid until c changes), or NULL. */
json_t *calendar_notice(const struct calendar *c, int year);

/* 1 if t's CST day is a working day, else 0. */
int calendar_is_workday(const struct calendar *c, time_t t);
/*
 * The same CST time of day on the n-th working day after t's day; n = 0
 * gives t if its day is a working day, else the same time on the next
 * working day. A negative n counts as 0.
 */
time_t calendar_add_workdays(const struct calendar *c, time_t t, int n);
/*
 * The end (the next day's 00:00 CST) of the working day calendar_add_workdays
 * would land on: calendar_workday_end(c, assigned_at, 5) is "within 5
 * working days of the assignment".
 */
time_t calendar_workday_end(const struct calendar *c, time_t t, int n);
/*
 * Working days strictly after from's CST day up to and including to's;
 * 0 if to's day is not after from's.
 */
int calendar_workdays_between(const struct calendar *c, time_t from, time_t to);

/* Parses a real date "YYYY-MM-DD" as its 00:00 CST: 0 and *out, or -1. */
int calendar_date_parse(const char *s, time_t *out);

/* The compiled-in notice (CALENDAR_DEFAULT_PATH), parsed: a new reference. */
json_t *calendar_default_notice(void);

/*
 * A calendar (*out, the caller's to free) of every notice in table
 * calendar_years, plus the compiled-in default for its year when the table
 * has no row of that year. Returns 0, or -1 with err (a stored notice that
 * no longer passes the checks is an error, naming its year).
 */
int calendar_load_pg(PGconn *conn, struct calendar **out, struct sbuf *err);
/*
 * Checks a notice and stores it in one transaction: calendar_years (year,
 * source, body) upserted, that year's calendar_days replaced (a row per
 * holiday date, workday false, with its name; a row per adjusted working
 * day, workday true), then NOTIFY xf_calendar with the year as payload, so
 * the daemons reload. Returns 0, or -1 with err and nothing stored.
 */
int calendar_store_pg(PGconn *conn, json_t *notice, struct sbuf *err);

#endif
