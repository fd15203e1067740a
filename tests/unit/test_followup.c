/*
 * Unit tests for the follow-ups (回访): domain/followup.c reads
 * XF_FOLLOWUPS; services/dispatch/deadline.c runs a resolved case's clock
 * to each follow-up's due time.
 */
#include <string.h>

#include "dispatch/deadline.h"
#include "followup.h"
#include "tharness.h"

static void t_parse(void)
{
	struct followup_plan p;
	struct sbuf err = SBUF_INIT;

	T_INTEQ(followup_plan_parse("review:30d,callback:48h,visit:7d", &p, &err), 0);
	T_INTEQ(p.n, 3);
	T_STREQ(p.v[0].name, "callback"); /* by when each is due */
	T_INTEQ(p.v[0].secs, 48 * 3600);
	T_STREQ(p.v[1].name, "visit");
	T_INTEQ(p.v[1].secs, 7 * 86400);
	T_STREQ(p.v[2].name, "review");
	T_CHECK(followup_find(&p, "visit") == &p.v[1]);
	T_CHECK(followup_find(&p, "call") == NULL);
	T_INTEQ(followup_plan_parse("", &p, &err), 0);
	T_INTEQ(p.n, 0);
	static const char *const bad[] = { "callback",   "callback:",   "callback:0h",
					   "Call:1h",    "callback:2w", "callback:1h,callback:2h",
					   "a:1h,,b:2h", ":1h",         "callback:1hh" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sbuf_reset(&err);
		if (!T_INTEQ(followup_plan_parse(bad[i], &p, &err), -1))
			fprintf(stderr, "    accepted: %s\n", bad[i]);
		T_CHECK(strstr(err.buf ? err.buf : "", "XF_FOLLOWUPS") != NULL);
	}
	sbuf_release(&err);
}

/* Resolved or rated, the clock runs to each follow-up; nothing without a plan. */
static void t_clock(void)
{
	struct followup_plan fp;
	struct deadline_conf dc = { 80, 3, NULL, &fp };
	struct deadline_plan p;
	time_t answer = 1795312800;

	followup_plan_parse("callback:48h,visit:7d,review:30d", &fp, NULL);
	deadline_plan(&dc, CASE_RESOLVED, answer, 0, 0, &p);
	T_INTEQ(p.running, 1);
	T_STREQ(p.deadline, "followup");
	T_INTEQ(p.n, 3);
	T_STREQ(p.kind[1], "visit");
	T_INTEQ(deadline_stage_at(&p, answer + 48 * 3600 - 1), 0);
	T_INTEQ(deadline_stage_at(&p, answer + 48 * 3600), 1);
	T_INTEQ(deadline_stage_at(&p, answer + 30 * 86400), 3);
	T_INTEQ(deadline_next(&p, 1), answer + 7 * 86400);
	T_INTEQ(deadline_next(&p, 3), 0);
	deadline_plan(&dc, CASE_RATED, answer, 0, 0, &p);
	T_INTEQ(p.n, 3);
	dc.followups = NULL;
	deadline_plan(&dc, CASE_RATED, answer, 0, 0, &p);
	T_INTEQ(p.running, 0);
}

/* clang-format off */
T_SUITE(followup,
	{ "parse", t_parse },
	{ "clock", t_clock })
/* clang-format on */
