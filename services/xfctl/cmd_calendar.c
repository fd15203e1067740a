/* cmd_calendar.c - xfctl calendar import FILE | show [YEAR]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "util.h"
#include "xfctl.h"

#define CALENDAR_USAGE "usage: xfctl calendar import FILE | show [YEAR]\n"

/* Days of a holiday of a checked notice (its dates are real). */
static long holiday_days(json_t *hol)
{
	time_t from = 0, to = 0;

	calendar_date_parse(json_string_value(json_object_get(hol, "from")), &from);
	calendar_date_parse(json_string_value(json_object_get(hol, "to")), &to);
	return (long)((to - from) / 86400 + 1);
}

static long holidays_days(json_t *notice)
{
	json_t *holidays = json_object_get(notice, "holidays");
	long n = 0;

	for (size_t i = 0; i < json_array_size(holidays); i++)
		n += holiday_days(json_array_get(holidays, i));
	return n;
}

/* Working days from 1 January to 31 December of year. */
static int year_workdays(const struct calendar *c, int year)
{
	char first[16], last[16];
	time_t from = 0, to = 0;

	snprintf(first, sizeof first, "%04d-01-01", year);
	snprintf(last, sizeof last, "%04d-12-31", year);
	calendar_date_parse(first, &from);
	calendar_date_parse(last, &to);
	return calendar_workdays_between(c, from - 86400, to);
}

static int calendar_import(struct xfctl *x, const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct calendar *c = calendar_new();
	json_t *notice = xfctl_load_json(path);
	int rc = 1, year;

	if (notice && calendar_add_notice(c, notice, &err))
		rc = xfctl_fail(path, &err);
	else if (notice && xfctl_db(x)) {
		if (calendar_store_pg(x->conn, notice, &err)) {
			rc = xfctl_fail("calendar import", &err);
		} else {
			year = (int)json_integer_value(json_object_get(notice, "year"));
			printf("calendar %d imported: %zu holidays (%ld days), %zu adjusted "
			       "working days; %d working days in the year\n",
			       year, json_array_size(json_object_get(notice, "holidays")),
			       holidays_days(notice),
			       json_array_size(json_object_get(notice, "adjusted_working_days")),
			       year_workdays(c, year));
			rc = 0;
		}
	}
	calendar_free(c);
	json_decref(notice);
	sbuf_release(&err);
	return rc;
}

static void show_holidays(json_t *notice)
{
	json_t *holidays = json_object_get(notice, "holidays");

	printf("holidays: %zu (%ld days)\n", json_array_size(holidays), holidays_days(notice));
	for (size_t i = 0; i < json_array_size(holidays); i++) {
		json_t *hol = json_array_get(holidays, i);

		printf("  %s .. %s  %2ld days  %s\n",
		       json_string_value(json_object_get(hol, "from")),
		       json_string_value(json_object_get(hol, "to")), holiday_days(hol),
		       json_string_value(json_object_get(hol, "name")));
	}
}

static void show_adjusted(json_t *notice)
{
	json_t *days = json_object_get(notice, "adjusted_working_days");

	printf("adjusted working days (调休): %zu\n", json_array_size(days));
	for (size_t i = 0; i < json_array_size(days); i++) {
		const char *s = json_string_value(json_array_get(days, i));
		time_t t = 0;
		struct tm tm;
		char wday[16];

		calendar_date_parse(s, &t);
		t += 8 * 3600; /* the CST date's weekday */
		gmtime_r(&t, &tm);
		strftime(wday, sizeof wday, "%A", &tm);
		printf("  %s  %s\n", s, wday);
	}
}

static int calendar_show(struct xfctl *x, int year)
{
	struct sbuf err = SBUF_INIT;
	struct calendar *c = NULL;
	json_t *notice;

	if (!xfctl_db(x))
		return 1;
	if (calendar_load_pg(x->conn, &c, &err))
		return xfctl_fail("calendar", &err);
	notice = calendar_notice(c, year);
	switch (calendar_year_origin(c, year)) {
	case CALENDAR_NOTICE:
		printf("calendar %d: the imported notice\n", year);
		break;
	case CALENDAR_BUILTIN:
		printf("calendar %d: the compiled-in default (none imported for %d)\n", year, year);
		break;
	case CALENDAR_WEEKENDS:
		printf("calendar %d: weekends only: no notice loaded\n", year);
		break;
	}
	if (notice) {
		printf("source: %s\n", json_string_value(json_object_get(notice, "source")));
		show_holidays(notice);
		show_adjusted(notice);
	}
	printf("working days in %d: %d\n", year, year_workdays(c, year));
	calendar_free(c);
	return 0;
}

/* YEAR as given, or the current year in CST; 0 if it is not a year we know. */
static int show_year(const char *arg)
{
	char today[9];
	char *end;
	long year;

	if (!arg) {
		time_day_cst(time(NULL), today);
		today[4] = '\0';
		arg = today;
	}
	year = strtol(arg, &end, 10);
	if (*end || end == arg || year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX)
		return 0;
	return (int)year;
}

int cmd_calendar(struct xfctl *x, int argc, char **argv)
{
	int year;

	if (argc == 2 && !strcmp(argv[0], "import"))
		return calendar_import(x, argv[1]);
	if ((argc == 1 || argc == 2) && !strcmp(argv[0], "show")) {
		if ((year = show_year(argc == 2 ? argv[1] : NULL)))
			return calendar_show(x, year);
		fprintf(stderr, "xfctl: calendar show: YEAR must be %d..%d\n", CALENDAR_YEAR_MIN,
			CALENDAR_YEAR_MAX);
	}
	fputs(CALENDAR_USAGE, stderr);
	return 2;
}
