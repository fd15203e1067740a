/*
 * Unit tests for domain/month.c: the colours of a month's figures, the
 * month's colour, escalations, month arithmetic, and the CSV and JSON of a
 * report built by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "month.h"
#include "tharness.h"
#include "util.h"

static const struct month_limits lim = {
	.growth = { 10, 30 },
	.repeat = { 10, 20 },
	.overdue = { 10, 20 },
	.ontime = { 90, 80 },
	.satisfied = { 80, 60 },
};

static void t_rates_and_colours(void)
{
	struct month_counts c = { .petitions = 40,
				  .repeats = 4,
				  .assigned = 10,
				  .overdue = 2,
				  .resolved = 20,
				  .resolved_late = 2,
				  .rated = 10,
				  .satisfied = 8 };
	struct month_figures f;

	month_judge(MONTH_AREA, &c, 36, &lim, &f);
	T_INTEQ(f.volume, 40);
	T_INTEQ(f.growth.n, 4);
	T_INTEQ(f.growth.of, 36);
	T_INTEQ(f.growth.colour, MONTH_YELLOW); /* 11.1% >= 10 */
	T_INTEQ(f.repeat.of, 40);
	T_INTEQ(f.repeat.colour, MONTH_YELLOW); /* exactly 10%: reaches it */
	T_INTEQ(f.overdue.n, 2);
	T_INTEQ(f.overdue.of, 40); /* an area's overdue is of its petitions */
	T_INTEQ(f.overdue.colour, MONTH_GREEN);
	T_INTEQ(f.ontime.n, 18);
	T_INTEQ(f.ontime.colour, MONTH_GREEN); /* exactly 90%: not below */
	T_INTEQ(f.satisfied.colour, MONTH_GREEN);
	T_INTEQ(f.colour, MONTH_YELLOW);

	month_judge(MONTH_DEPARTMENT, &c, 36, &lim, &f);
	T_INTEQ(f.volume, 10);                 /* a department's volume is its assignments */
	T_INTEQ(f.growth.colour, MONTH_GREEN); /* 10 vs 36: fell */
	T_INTEQ(f.growth.n, -26);
	T_INTEQ(f.overdue.of, 10);
	T_INTEQ(f.overdue.colour, MONTH_RED); /* 20% */
	T_INTEQ(f.repeat.colour, MONTH_RED);  /* 4 of 10 */
	T_INTEQ(f.colour, MONTH_RED);
}

static void t_nothing_to_divide(void)
{
	struct month_counts c = { .assigned = 0, .resolved = 3, .resolved_late = 1 };
	struct month_figures f;
	char buf[24];

	month_judge(MONTH_DEPARTMENT, &c, -1, &lim, &f);
	T_INTEQ(f.last_year, -1);
	T_INTEQ(f.growth.colour, MONTH_NONE);
	T_INTEQ(f.repeat.colour, MONTH_NONE);
	T_INTEQ(f.overdue.colour, MONTH_NONE);
	T_INTEQ(f.satisfied.colour, MONTH_NONE);
	T_STREQ(month_pct_str(f.satisfied, buf), "-");
	T_INTEQ(f.ontime.colour, MONTH_RED); /* 2 of 3: 66.7% < 80 */
	T_STREQ(month_pct_str(f.ontime, buf), "66.7%");
	T_INTEQ(f.colour, MONTH_RED);

	memset(&c, 0, sizeof c);
	month_judge(MONTH_AREA, &c, 0, &lim, &f); /* last year known, but nothing then */
	T_INTEQ(f.last_year, 0);
	T_INTEQ(f.growth.colour, MONTH_NONE);
	T_INTEQ(f.colour, MONTH_NONE);
	T_STREQ(month_colour_name(f.colour), "");
}

static void t_thresholds_low(void)
{
	struct month_counts c = { .petitions = 10, .rated = 10, .satisfied = 6 };
	struct month_figures f;

	month_judge(MONTH_AREA, &c, -1, &lim, &f);
	T_INTEQ(f.satisfied.colour, MONTH_YELLOW); /* 60%: below 80, not below 60 */
	c.satisfied = 5;
	month_judge(MONTH_AREA, &c, -1, &lim, &f);
	T_INTEQ(f.satisfied.colour, MONTH_RED);
	c.satisfied = 8;
	month_judge(MONTH_AREA, &c, -1, &lim, &f);
	T_INTEQ(f.satisfied.colour, MONTH_GREEN);
	T_INTEQ(f.colour, MONTH_GREEN);
}

static void t_escalation(void)
{
#define N MONTH_NONE
#define G MONTH_GREEN
#define Y MONTH_YELLOW
#define R MONTH_RED
	static const struct {
		enum month_colour c[3];
		int level;
	} cases[] = {
		{ { G, Y, Y }, 1 }, { { N, Y, R }, 1 }, { { G, R, Y }, 1 }, { { R, R, R }, 2 },
		{ { Y, R, R }, 1 }, { { R, R, Y }, 1 }, { { R, Y, R }, 1 }, { { Y, G, Y }, 0 },
		{ { Y, Y, G }, 0 }, { { R, R, N }, 0 }, { { Y, N, R }, 0 }, { { N, N, N }, 0 },
		{ { G, G, R }, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (!T_INTEQ(month_escalation(cases[i].c), cases[i].level))
			fprintf(stderr, "    case %zu\n", i);
	T_STREQ(month_action(1), "分管副市长约谈");
	T_STREQ(month_action(2), "市委书记约谈");
	T_STREQ(month_action(0), "");
#undef N
#undef G
#undef Y
#undef R
}

static void t_months(void)
{
	int y, m;
	time_t t;

	T_INTEQ(month_parse("2026-11", &y, &m), 0);
	T_INTEQ(y, 2026);
	T_INTEQ(m, 11);
	T_INTEQ(month_parse("2026-13", &y, &m), -1);
	T_INTEQ(month_parse("2026-00", &y, &m), -1);
	T_INTEQ(month_parse("2026-1", &y, &m), -1);
	T_INTEQ(month_parse("2026-011", &y, &m), -1);
	T_INTEQ(month_parse("20a6-01", &y, &m), -1);
	T_INTEQ(month_parse("2026/01", &y, &m), -1);
	/* 2026-11-01 00:00:05 CST is still 2026-10-31 in UTC: October has ended */
	T_CHECK(time_parse_rfc3339("2026-11-01T00:00:05+08:00", &t) == 0);
	month_before(t, &y, &m);
	T_INTEQ(y * 100 + m, 202610);
	T_CHECK(time_parse_rfc3339("2026-10-31T23:59:59+08:00", &t) == 0);
	month_before(t, &y, &m);
	T_INTEQ(y * 100 + m, 202609);
	T_CHECK(time_parse_rfc3339("2027-01-15T12:00:00+08:00", &t) == 0);
	month_before(t, &y, &m);
	T_INTEQ(y * 100 + m, 202612);
}

/* A report of one area and one department with a name that needs quoting. */
static void report_fill(struct month_report *rep, struct month_subject v[2])
{
	struct month_counts a = { .petitions = 20, .repeats = 5, .overdue = 1 };
	struct month_counts d = { .assigned = 10, .resolved = 4, .rated = 5, .satisfied = 2 };

	memset(rep, 0, sizeof *rep);
	memset(v, 0, 2 * sizeof *v);
	rep->lim = lim;
	snprintf(rep->month, sizeof rep->month, "2026-10");
	snprintf(rep->prev[0], sizeof rep->prev[0], "2026-08");
	snprintf(rep->prev[1], sizeof rep->prev[1], "2026-09");
	v[0] = (struct month_subject){ MONTH_AREA,          (char *)"330381101", (char *)"",
				       (char *)"330381101", { { 0 } },           1 };
	v[1] = (struct month_subject){
		MONTH_DEPARTMENT, (char *)"t-rsj", (char *)"人社局, \"劳动\"",
		(char *)"330381", { { 0 } },       0
	};
	for (int i = 0; i < 3; i++) {
		month_judge(MONTH_AREA, &a, i == 2 ? 10 : -1, &lim, &v[0].m[i]);
		month_judge(MONTH_DEPARTMENT, &d, -1, &lim, &v[1].m[i]);
	}
	rep->v = v;
	rep->n = 2;
}

static void t_csv(void)
{
	struct month_subject v[2];
	struct month_report rep;
	struct sbuf out = SBUF_INIT;
	const char *row1, *row2;

	report_fill(&rep, v);
	month_csv(&rep, NULL, &out);
	T_CHECK(!strncmp(out.buf, "month,kind,subject,name,colour,volume,last_year,change,", 55));
	row1 = strstr(out.buf, "\r\n") + 2;
	T_CHECK(!strncmp(row1,
			 "2026-10,area,330381101,,red,20,10,10,100.0%,red,5,20,25.0%,red,"
			 "1,20,5.0%,green,0,0,,,0,0,,,red,red,1,分管副市长约谈\r\n",
			 strlen("2026-10,area,330381101,,red,20,10,10,100.0%,red,5,20,25.0%,red,"
				"1,20,5.0%,green,0,0,,,0,0,,,red,red,1,分管副市长约谈\r\n")));
	row2 = strstr(row1, "\r\n") + 2;
	T_STREQ(row2, "2026-10,department,t-rsj,\"人社局, \"\"劳动\"\"\",red,10,,,,,0,10,0.0%,"
		      "green,0,10,0.0%,green,4,4,100.0%,green,2,5,40.0%,red,red,red,0,\r\n");
	sbuf_reset(&out);
	month_csv(&rep, "330382", &out); /* neither is in 乐清 */
	T_CHECK(!strchr(strstr(out.buf, "\r\n") + 2, ','));
	sbuf_reset(&out);
	month_csv(&rep, "330381", &out); /* the county: the area and the department */
	T_CHECK(strstr(out.buf, "t-rsj") && strstr(out.buf, "330381101"));
	sbuf_release(&out);
}

static void t_json(void)
{
	struct month_subject v[2];
	struct month_report rep;
	json_t *j, *s, *msg;

	report_fill(&rep, v);
	j = month_json(&rep, "330381101");
	T_INTEQ(json_array_size(json_object_get(j, "subjects")), 1);
	s = json_array_get(json_object_get(j, "subjects"), 0);
	T_STREQ(json_string_value(json_object_get(s, "colour")), "red");
	T_CHECK(json_real_value(json_object_get(json_object_get(s, "repeat"), "pct")) == 25.0);
	T_CHECK(json_is_null(json_object_get(json_object_get(s, "ontime"), "colour")));
	T_INTEQ(json_integer_value(json_object_get(json_object_get(s, "volume"), "last_year")), 10);
	T_STREQ(json_string_value(
			json_object_get(json_array_get(json_object_get(s, "colours"), 0), "month")),
		"2026-08");
	msg = month_escalation_msg(&rep, &v[0], "t-xfj", 1793462405);
	T_STREQ(json_string_value(json_object_get(msg, "escalation_id")),
		"2026-10/area/330381101/1");
	T_STREQ(json_string_value(json_object_get(msg, "action")), "分管副市长约谈");
	T_STREQ(json_string_value(json_object_get(msg, "bureau")), "t-xfj");
	json_decref(msg);
	json_decref(j);
}

T_SUITE(month, { "rates_and_colours", t_rates_and_colours },
	{ "nothing_to_divide", t_nothing_to_divide }, { "thresholds_low", t_thresholds_low },
	{ "escalation", t_escalation }, { "months", t_months }, { "csv", t_csv },
	{ "json", t_json })
