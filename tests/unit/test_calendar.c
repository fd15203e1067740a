/*
 * test_calendar.c - the working-day calendar on the real 2026 notice (the
 * compiled-in one): holidays, 调休 Saturdays, counting across 春节 and
 * 国庆, CST day boundaries, the weekends-only fallback and its one warning,
 * and the checks a notice must pass. Notices made up here are for the
 * made-up years 2091 and 2093, test input only.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "log.h"
#include "tharness.h"
#include "util.h"

/* An RFC 3339 instant; a bad literal fails the test and gives 0. */
static time_t at(const char *s)
{
	time_t t = 0;

	T_CHECK(time_parse_rfc3339(s, &t) == 0);
	return t;
}

/* Checks that t is the instant named by want (printed in CST if not). */
static void check_time(time_t t, const char *want)
{
	char got[32];

	time_format_cst(t, got);
	T_STREQ(got, want);
}

/* A calendar holding the compiled-in 2026 notice. */
static struct calendar *cal2026(void)
{
	struct calendar *c = calendar_new();
	json_t *notice = calendar_default_notice();
	struct sbuf err = SBUF_INIT;

	T_CHECK(notice != NULL);
	if (!T_CHECK(calendar_add_notice(c, notice, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	json_decref(notice);
	sbuf_release(&err);
	return c;
}

static int workday(const struct calendar *c, const char *date)
{
	time_t t = 0;

	T_CHECK(calendar_date_parse(date, &t) == 0);
	return calendar_is_workday(c, t + 12 * 3600); /* noon CST */
}

static void t_default_notice(void)
{
	json_t *notice = calendar_default_notice();
	struct calendar *c = cal2026();

	T_INTEQ(json_integer_value(json_object_get(notice, "year")), 2026);
	T_INTEQ(json_array_size(json_object_get(notice, "holidays")), 7);
	T_CHECK(calendar_covers(c, 2026));
	T_CHECK(!calendar_covers(c, 2027));
	T_INTEQ(calendar_year_origin(c, 2026), CALENDAR_NOTICE);
	T_INTEQ(calendar_year_origin(c, 2027), CALENDAR_WEEKENDS);
	T_CHECK(json_equal(calendar_notice(c, 2026), notice));
	T_CHECK(calendar_notice(c, 2027) == NULL);
	json_decref(notice);
	calendar_free(c);
}

static void t_days_2026(void)
{
	struct calendar *c = cal2026();

	T_CHECK(workday(c, "2026-02-14"));  /* Saturday, 调休 for 春节 */
	T_CHECK(!workday(c, "2026-02-16")); /* Monday, 春节 */
	T_CHECK(!workday(c, "2026-02-23")); /* Monday, 春节's last day */
	T_CHECK(workday(c, "2026-02-24"));
	T_CHECK(!workday(c, "2026-10-07")); /* Wednesday, 国庆节's last day */
	T_CHECK(workday(c, "2026-10-08"));  /* Thursday after 国庆节 */
	T_CHECK(workday(c, "2026-10-10"));  /* Saturday, 调休 */
	T_CHECK(!workday(c, "2026-10-11")); /* an ordinary Sunday */
	T_CHECK(!workday(c, "2026-03-07")); /* an ordinary Saturday */
	T_CHECK(workday(c, "2026-03-09"));  /* an ordinary Monday */
	T_CHECK(!workday(c, "2026-01-01")); /* Thursday, 元旦 */
	T_CHECK(workday(c, "2026-01-04"));  /* Sunday, 调休 */
	calendar_free(c);
}

/* The day is the CST date, whatever the UTC date says. */
static void t_cst_day(void)
{
	struct calendar *c = cal2026();

	T_CHECK(calendar_is_workday(c, at("2026-02-13T16:00:00Z")));  /* 02-14 00:00 */
	T_CHECK(calendar_is_workday(c, at("2026-02-14T15:59:59Z")));  /* 02-14 23:59:59 */
	T_CHECK(!calendar_is_workday(c, at("2026-02-14T16:00:00Z"))); /* 02-15 00:00 */
	/* UTC Saturday 10-10 (a 调休 working day), CST Sunday 10-11 01:00 */
	T_CHECK(!calendar_is_workday(c, at("2026-10-10T17:00:00Z")));
	/* UTC Sunday 10-11 23:00, CST Monday 10-12 07:00 */
	T_CHECK(calendar_is_workday(c, at("2026-10-11T23:00:00Z")));
	calendar_free(c);
}

static void t_add_weekend(void)
{
	struct calendar *c = cal2026();
	time_t fri = at("2026-03-06T10:00:00+08:00"), sat = at("2026-03-07T10:00:00+08:00");

	check_time(calendar_add_workdays(c, fri, 0), "2026-03-06T10:00:00+08:00");
	check_time(calendar_add_workdays(c, fri, 1), "2026-03-09T10:00:00+08:00");
	check_time(calendar_add_workdays(c, fri, 5), "2026-03-13T10:00:00+08:00");
	check_time(calendar_add_workdays(c, sat, 0), "2026-03-09T10:00:00+08:00");
	check_time(calendar_add_workdays(c, sat, 1), "2026-03-09T10:00:00+08:00");
	check_time(calendar_add_workdays(c, fri, -3), "2026-03-06T10:00:00+08:00");
	check_time(calendar_workday_end(c, fri, 0), "2026-03-07T00:00:00+08:00");
	check_time(calendar_workday_end(c, fri, 1), "2026-03-10T00:00:00+08:00");
	check_time(calendar_workday_end(c, sat, 0), "2026-03-10T00:00:00+08:00");
	calendar_free(c);
}

/* Assigned on the Friday before 春节: the 调休 Saturday counts, the holiday not. */
static void t_add_spring_festival(void)
{
	struct calendar *c = cal2026();
	time_t assigned = at("2026-02-13T10:00:00+08:00");

	check_time(calendar_add_workdays(c, assigned, 1), "2026-02-14T10:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 2), "2026-02-24T10:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 5), "2026-02-27T10:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 6), "2026-02-28T10:00:00+08:00");
	check_time(calendar_workday_end(c, assigned, 5), "2026-02-28T00:00:00+08:00");
	check_time(calendar_add_workdays(c, at("2026-02-16T10:00:00+08:00"), 0),
		   "2026-02-24T10:00:00+08:00");
	calendar_free(c);
}

/* 10-01..10-07 off, 10-10 (Saturday) on. */
static void t_add_national_day(void)
{
	struct calendar *c = cal2026();
	time_t assigned = at("2026-09-30T15:00:00+08:00");

	check_time(calendar_add_workdays(c, assigned, 1), "2026-10-08T15:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 3), "2026-10-10T15:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 4), "2026-10-12T15:00:00+08:00");
	check_time(calendar_add_workdays(c, assigned, 5), "2026-10-13T15:00:00+08:00");
	check_time(calendar_workday_end(c, assigned, 5), "2026-10-14T00:00:00+08:00");
	/* 23:30 CST is the next UTC day: the day counted from is still 09-30 */
	check_time(calendar_workday_end(c, at("2026-09-30T23:30:00+08:00"), 5),
		   "2026-10-14T00:00:00+08:00");
	calendar_free(c);
}

static void t_between(void)
{
	struct calendar *c = cal2026();
	time_t assigned = at("2026-02-13T10:00:00+08:00");

	T_INTEQ(calendar_workdays_between(c, assigned, at("2026-02-27T09:00:00+08:00")), 5);
	T_INTEQ(calendar_workdays_between(c, assigned, at("2026-02-23T23:00:00+08:00")), 1);
	T_INTEQ(calendar_workdays_between(c, assigned, at("2026-02-13T23:59:59+08:00")), 0);
	T_INTEQ(calendar_workdays_between(c, assigned, at("2026-02-01T10:00:00+08:00")), 0);
	/*
	 * The whole year: 261 weekdays, 19 of them in a holiday (元旦 2, 春节 6,
	 * 清明 1, 劳动 3, 端午 1, 中秋 1, 国庆 5), plus 6 调休 days.
	 */
	T_INTEQ(calendar_workdays_between(c, at("2025-12-31T12:00:00+08:00"),
					  at("2026-12-31T12:00:00+08:00")),
		248);
	calendar_free(c);
}

/* 2027 has no notice here: weekends only (01-01 is a Friday). */
static void t_fallback(void)
{
	struct calendar *c = cal2026();

	T_CHECK(workday(c, "2027-01-01"));
	T_CHECK(!workday(c, "2027-01-02"));
	T_CHECK(workday(c, "2027-01-04"));
	check_time(calendar_add_workdays(c, at("2026-12-31T10:00:00+08:00"), 2),
		   "2027-01-04T10:00:00+08:00");
	T_CHECK(workday(NULL, "2026-02-16")); /* no calendar: 春节 unknown */
	T_CHECK(!workday(NULL, "2026-02-14"));
	calendar_free(c);
}

/* Captures what stderr receives while fn runs. */
static void capture_stderr(void (*fn)(void), struct sbuf *out)
{
	FILE *tmp = tmpfile();
	char buf[4096];
	size_t n;
	int saved;

	if (!T_CHECK(tmp != NULL))
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
		sbuf_add(out, buf, n);
	fclose(tmp);
}

static void lookups_2093(void)
{
	/* 2093-01-01 is a Thursday; no suite has a notice for 2093 */
	T_CHECK(workday(NULL, "2093-01-01"));
	T_CHECK(!workday(NULL, "2093-01-03"));
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void t_warns_once(void)
{
	struct sbuf out = SBUF_INIT;

	log_init("xf", LOG_INFO);
	capture_stderr(lookups_2093, &out);
	T_INTEQ(count(out.buf, "\"event\":\"calendar_year_missing\",\"year\":2093"), 1);
	sbuf_reset(&out);
	capture_stderr(lookups_2093, &out);
	T_INTEQ(count(out.buf, "calendar_year_missing"), 0);
	sbuf_release(&out);
}

/* A notice for the made-up year 2091 (01-01 a Monday, 01-06 a Saturday). */
static json_t *notice_2091(const char *holidays, const char *adjusted)
{
	char text[1024];
	json_t *notice;

	snprintf(text, sizeof text,
		 "{\"source\": \"unit test, made up\", \"year\": 2091,"
		 " \"holidays\": [%s], \"adjusted_working_days\": [%s]}",
		 holidays, adjusted);
	notice = json_loads(text, 0, NULL);
	T_CHECK(notice != NULL);
	return notice;
}

static void add_2091(struct calendar *c, const char *holidays, const char *adjusted)
{
	json_t *notice = notice_2091(holidays, adjusted);
	struct sbuf err = SBUF_INIT;

	if (!T_CHECK(calendar_add_notice(c, notice, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	json_decref(notice);
	sbuf_release(&err);
}

static void t_replace(void)
{
	struct calendar *c = cal2026();

	add_2091(c, "{\"name\": \"甲\", \"from\": \"2091-01-01\", \"to\": \"2091-01-02\"}",
		 "\"2091-01-06\"");
	T_CHECK(!workday(c, "2091-01-01"));
	T_CHECK(!workday(c, "2091-01-02"));
	T_CHECK(workday(c, "2091-01-03"));
	T_CHECK(workday(c, "2091-01-06"));
	add_2091(c, "{\"name\": \"乙\", \"from\": \"2091-01-03\", \"to\": \"2091-01-03\"}", "");
	T_CHECK(workday(c, "2091-01-01"));
	T_CHECK(workday(c, "2091-01-02"));
	T_CHECK(!workday(c, "2091-01-03"));
	T_CHECK(!workday(c, "2091-01-06"));
	T_CHECK(!workday(c, "2026-02-16")); /* another year is not touched */
	calendar_free(c);
}

#define H(name, from, to) "{\"name\": \"" name "\", \"from\": \"" from "\", \"to\": \"" to "\"}"

static const struct bad {
	const char *holidays, *adjusted, *want;
} bad_notices[] = {
	{ H("甲", "2091-02-30", "2091-03-01"), "", "holidays[0].from: must be a real date" },
	{ H("甲", "2091-02-01", "2091-2-3"), "", "holidays[0].to: must be a real date" },
	{ H("甲", "2091-12-31", "2092-01-01"), "", "holidays[0].to: 2092-01-01 is not in 2091" },
	{ H("甲", "2090-12-31", "2091-01-01"), "", "holidays[0].from: 2090-12-31 is not in 2091" },
	{ H("甲", "2091-01-03", "2091-01-02"), "", "holidays[0]: from is after to" },
	{ "{\"name\": 7, \"from\": \"2091-01-01\", \"to\": \"2091-01-01\"}", "",
	  "holidays[0].name: must be a non-empty string" },
	{ "\"2091-01-01\"", "", "holidays[0]: must be an object" },
	{ H("甲", "2091-01-01", "2091-01-03") "," H("乙", "2091-01-03", "2091-01-04"), "",
	  "holidays[1]: overlaps holidays[0] (甲)" },
	{ "", "\"2091-01-08\"", "adjusted_working_days[0]: 2091-01-08 is a Monday" },
	{ "", "\"2091-01-06\", \"2091-01-06\"",
	  "adjusted_working_days[1]: 2091-01-06 is listed twice" },
	{ "", "\"2091-01-06T00:00:00\"", "adjusted_working_days[0]: must be a real date" },
	{ "", "20910106", "adjusted_working_days[0]: must be a real date" },
	{ "", "\"2090-12-30\"", "adjusted_working_days[0]: 2090-12-30 is not in 2091" },
	{ H("甲", "2091-01-06", "2091-01-07"), "\"2091-01-07\"",
	  "adjusted_working_days[0]: 2091-01-07 is inside holidays[0] (甲)" },
};

/* Each bad notice is refused, naming the field; the calendar keeps its notice. */
static void t_refuses(void)
{
	struct calendar *c = calendar_new();
	struct sbuf err = SBUF_INIT;

	add_2091(c, H("甲", "2091-01-01", "2091-01-01"), "");
	for (size_t i = 0; i < sizeof bad_notices / sizeof bad_notices[0]; i++) {
		const struct bad *b = &bad_notices[i];
		json_t *notice = notice_2091(b->holidays, b->adjusted);

		sbuf_reset(&err);
		T_CHECK(calendar_check_notice(notice, NULL) == -1);
		T_CHECK(calendar_add_notice(c, notice, &err) == -1);
		if (!T_CHECK(strstr(err.buf, b->want) != NULL))
			fprintf(stderr, "    case %zu: got \"%s\"\n", i, err.buf);
		json_decref(notice);
	}
	T_CHECK(!workday(c, "2091-01-01"));
	T_CHECK(workday(c, "2091-01-02"));
	T_CHECK(!calendar_covers(c, 2090) && !calendar_covers(c, 2092));
	calendar_free(c);
	sbuf_release(&err);
}

static const struct bad_top {
	const char *text, *want;
} bad_tops[] = {
	{ "[]", "notice: must be a JSON object" },
	{ "{\"source\": \"s\", \"year\": \"2091\", \"holidays\": [],"
	  " \"adjusted_working_days\": []}",
	  "year: must be an integer" },
	{ "{\"source\": \"s\", \"year\": 1999, \"holidays\": [], \"adjusted_working_days\": []}",
	  "year: must be an integer 2000..2100" },
	{ "{\"source\": \"s\", \"year\": 2101, \"holidays\": [], \"adjusted_working_days\": []}",
	  "year: must be an integer 2000..2100" },
	{ "{\"year\": 2091, \"holidays\": [], \"adjusted_working_days\": []}", "source:" },
	{ "{\"source\": \"s\", \"year\": 2091, \"adjusted_working_days\": []}",
	  "holidays: must be an array" },
	{ "{\"source\": \"s\", \"year\": 2091, \"holidays\": [], \"adjusted_working_days\": {}}",
	  "adjusted_working_days: must be an array" },
};

static void t_refuses_top(void)
{
	struct calendar *c = calendar_new();
	struct sbuf err = SBUF_INIT;

	for (size_t i = 0; i < sizeof bad_tops / sizeof bad_tops[0]; i++) {
		json_t *notice = json_loads(bad_tops[i].text, 0, NULL);

		sbuf_reset(&err);
		T_CHECK(notice != NULL);
		T_CHECK(calendar_add_notice(c, notice, &err) == -1);
		if (!T_CHECK(strstr(err.buf, bad_tops[i].want) != NULL))
			fprintf(stderr, "    case %zu: got \"%s\"\n", i, err.buf);
		json_decref(notice);
	}
	T_CHECK(!calendar_covers(c, 2091));
	calendar_free(c);
	sbuf_release(&err);
}

static void t_date_parse(void)
{
	static const char *const bad[] = {
		"2026-02-29",  "2026-13-01", "2026-00-10", "2026-04-31",     "2026-2-14",
		"2026-02-14x", "2026/02/14", "",           "２０２６-02-14",
	};
	time_t t = 0;

	T_CHECK(calendar_date_parse("2026-02-14", &t) == 0);
	check_time(t, "2026-02-14T00:00:00+08:00");
	T_CHECK(calendar_date_parse("2028-02-29", &t) == 0);
	check_time(t, "2028-02-29T00:00:00+08:00");
	T_CHECK(calendar_date_parse("1969-12-31", &t) == 0);
	check_time(t, "1969-12-31T00:00:00+08:00");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!T_CHECK(calendar_date_parse(bad[i], &t) == -1))
			fprintf(stderr, "    \"%s\" was accepted\n", bad[i]);
}

/* clang-format off */
T_SUITE(calendar,
	{ "the compiled-in 2026 notice", t_default_notice },
	{ "2026 holidays and adjusted working days", t_days_2026 },
	{ "the day of an instant is its CST date", t_cst_day },
	{ "adding working days across a weekend", t_add_weekend },
	{ "adding working days across 春节", t_add_spring_festival },
	{ "adding working days across 国庆", t_add_national_day },
	{ "working days between two instants", t_between },
	{ "a year without a notice: weekends only", t_fallback },
	{ "a missing year is warned about once", t_warns_once },
	{ "a new notice replaces its year's", t_replace },
	{ "bad dates and days are refused, naming the field", t_refuses },
	{ "bad notices are refused, naming the field", t_refuses_top },
	{ "YYYY-MM-DD dates", t_date_parse })
/* clang-format on */
