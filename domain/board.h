/*
 * board.h - the situation board (热力图, 潮汐表, 上升热点, 信访指数): the
 * figures of a period read from the board tables (migration 017, a range
 * of their primary key's day: the cost follows the period, not the
 * history), as JSON (xf.board.v1: /board.json, `xfctl board --json`), as
 * text (`xfctl board`) and as a page (xf-dispatch's /board).
 *
 * Areas are townships (region codes cut to 9 digits). The period is whole
 * CST days; its previous period is as many days just before it.
 *
 * 信访指数 of an area on a day, over the 7 days that end it (0 calm, 100
 * burning; the weights are XF_INDEX_WEIGHTS, divided by their sum):
 *
 *   100 * ( w_volume   * min(1, petitions / XF_INDEX_VOLUME_REF)
 *         + w_repeat   * repeats / petitions
 *         + w_overdue  * min(1, overdue / petitions)
 *         + w_risk_a   * min(1, risk-A petitions / XF_INDEX_RISK_A_REF)
 *         + w_dissatisfied * (rated - satisfied) / rated )
 *
 * a term with nothing to divide by counting 0. Its trend is the change
 * against the index of 7 days earlier.
 */
#ifndef XF_BOARD_H
#define XF_BOARD_H

#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "sbuf.h"

#define BOARD_SCHEMA "xf.board.v1"
#define BOARD_MAX_DAYS 400     /* the longest period */
#define BOARD_HOTSPOTS 5       /* rising hotspots shown */
#define BOARD_HOTSPOT_MIN 3    /* petitions an area and category needs in the period to rise */
#define BOARD_PHRASES 5        /* top phrases of a hotspot */
#define BOARD_PHRASE_CASES 200 /* of its latest cases */
#define BOARD_INDEX_DAYS 7

/* Days as "YYYY-MM-DD" (CST). */
struct board_period {
	char from[11], to[11];           /* inclusive */
	char prev_from[11], prev_to[11]; /* as many days before */
	int days;
};

/*
 * spec: "Nd" (N days ending today, 1..BOARD_MAX_DAYS), "YYYY-MM" (that
 * month; its previous period has as many days), or "YYYY-MM-DD..YYYY-MM-DD".
 * now gives today. 0, or -1 with err.
 */
int board_period_parse(const char *spec, time_t now, struct board_period *p, struct sbuf *err);

/* 1 if region is "" or NULL (all) or a region code prefix of 2, 4, 6 or 9 digits. */
int board_region_valid(const char *region);

/* The index's weights and references (XF_INDEX_*). */
struct board_index_conf {
	double w_volume, w_repeat, w_overdue, w_risk_a, w_dissatisfied;
	double volume_ref, risk_a_ref;
};

/* Reads conf's XF_INDEX_* settings. 0, or -1 with err. */
int board_index_conf(const struct xf_conf *conf, struct board_index_conf *ic, struct sbuf *err);

/* The figures an index is made of, over its 7 days. */
struct board_index_in {
	long petitions, repeats, overdue, risk_a, rated, satisfied;
};
double board_index(const struct board_index_conf *ic, const struct board_index_in *in);

/*
 * The board of period p for the areas whose code begins with region ("" or
 * NULL: all). A new reference, or NULL with err.
 */
json_t *board_load(PGconn *conn, const struct board_period *p, const char *region,
		   const struct board_index_conf *ic, struct sbuf *err);

/*
 * The index of every area with petitions in the last 14 days, today (the 7
 * days ending now's CST day): calls fn(arg, region, index) for each. 0, or
 * -1 with err.
 */
int board_index_today(PGconn *conn, time_t now, const struct board_index_conf *ic,
		      void (*fn)(void *arg, const char *region, double index), void *arg,
		      struct sbuf *err);

/* board as `xfctl board` prints it. */
void board_text(json_t *board, struct sbuf *out);
/* board as the page /board shows it; self is the page's own address ("/board"). */
void board_html(json_t *board, const char *self, struct sbuf *out);

#endif
