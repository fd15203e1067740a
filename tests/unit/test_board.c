/* test_board.c - the board's periods, index and settings (domain/board.h). */
#include <string.h>
#include <time.h>

#include "board.h"
#include "tharness.h"
#include "util.h"

static time_t at(const char *rfc3339)
{
	time_t t = 0;

	time_parse_rfc3339(rfc3339, &t);
	return t;
}

/* Nd ends today (CST), YYYY-MM is the month, FROM..TO as given; previous is as long. */
static void t_periods(void)
{
	struct board_period p;
	struct sbuf err = SBUF_INIT;
	time_t now = at("2026-12-02T23:30:00+08:00");

	T_INTEQ(board_period_parse("7d", now, &p, &err), 0);
	T_STREQ(p.from, "2026-11-26");
	T_STREQ(p.to, "2026-12-02");
	T_STREQ(p.prev_from, "2026-11-19");
	T_STREQ(p.prev_to, "2026-11-25");
	T_INTEQ(board_period_parse("7d", at("2026-12-02T16:30:00Z"), &p, &err), 0);
	T_STREQ(p.to, "2026-12-03"); /* 00:30 in China */
	T_INTEQ(board_period_parse("2026-02", now, &p, &err), 0);
	T_STREQ(p.from, "2026-02-01");
	T_STREQ(p.to, "2026-02-28");
	T_INTEQ(p.days, 28);
	T_STREQ(p.prev_from, "2026-01-04");
	T_INTEQ(board_period_parse("2026-12", now, &p, &err), 0);
	T_STREQ(p.to, "2026-12-31");
	T_INTEQ(board_period_parse("2026-09-01..2026-11-30", now, &p, &err), 0);
	T_INTEQ(p.days, 91);
	T_STREQ(p.prev_to, "2026-08-31");
	T_INTEQ(err.len, 0);
	for (const char *const *bad =
		     (const char *const[]){ "", "0d", "401d", "7", "d", "7dd", "2026-13",
					    "2026-02-30..2026-03-01", "2026-03-01..2026-02-01",
					    "2025-01-01..2026-12-31", NULL };
	     *bad; bad++) {
		sbuf_reset(&err);
		T_INTEQ(board_period_parse(*bad, now, &p, &err), -1);
		T_CHECK(err.buf && strstr(err.buf, "period"));
	}
	sbuf_release(&err);
}

/* The index by its formula: each term, the caps, nothing to divide by. */
static void t_index(void)
{
	const struct board_index_conf ic = { 0.3, 0.2, 0.2, 0.2, 0.1, 50, 3 };

	T_CHECK(board_index(&ic, &(struct board_index_in){ 0, 0, 0, 0, 0, 0 }) == 0);
	/* 25 petitions: 0.3 * 0.5; 5 repeats: 0.2 * 0.2; 5 overdue: 0.2 * 0.2; 3 risk A:
	   0.2; 4 rated, 1 satisfied: 0.1 * 0.75 */
	T_CHECK(board_index(&ic, &(struct board_index_in){ 25, 5, 5, 3, 4, 1 }) == 50.5);
	/* capped: 500 petitions, 900 overdue, 30 risk A, none rated */
	T_CHECK(board_index(&ic, &(struct board_index_in){ 500, 0, 900, 30, 0, 0 }) == 70);
}

/* XF_INDEX_WEIGHTS: names once each, divided by their sum; the rest refused. */
static void t_weights(void)
{
	struct xf_conf conf = { 0 };
	struct board_index_conf ic;
	struct sbuf err = SBUF_INIT;

	conf.index_volume_ref = 50;
	conf.index_risk_a_ref = 3;
	conf.index_weights = "volume:1,dissatisfied:3";
	T_INTEQ(board_index_conf(&conf, &ic, &err), 0);
	T_CHECK(ic.w_volume == 0.25 && ic.w_dissatisfied == 0.75 && ic.w_repeat == 0);
	for (const char *const *bad =
		     (const char *const[]){ "", "volume:0", "volume:30,volume:30,repeat:40",
					    "volume", "speed:3", "volume:-1", "volume:1001",
					    "volume:3x", NULL };
	     *bad; bad++) {
		conf.index_weights = *bad;
		sbuf_reset(&err);
		T_INTEQ(board_index_conf(&conf, &ic, &err), -1);
		T_CHECK(err.buf && strstr(err.buf, "XF_INDEX_WEIGHTS"));
	}
	sbuf_release(&err);
}

/* Regions: all, or a prefix a township's code has (at most 9 digits). */
static void t_regions(void)
{
	T_CHECK(board_region_valid(NULL) && board_region_valid(""));
	T_CHECK(board_region_valid("33") && board_region_valid("330381") &&
		board_region_valid("330381101"));
	T_CHECK(!board_region_valid("330381101001")); /* the board has no villages */
	T_CHECK(!board_region_valid("3303x") && !board_region_valid("99"));
}

/* clang-format off */
T_SUITE(board,
	{ "periods", t_periods },
	{ "index", t_index },
	{ "weights", t_weights },
	{ "regions", t_regions })
/* clang-format on */
