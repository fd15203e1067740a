/*
 * choose.h - choosing among candidate departments (a rule's `candidates`,
 * or a kind+level that resolves to more than one) by a weighted score of
 * four figures, each in 0..1, higher better:
 *
 *   fit           (satisfied + 1) / (resolved + 2) for the petition's
 *                 category: resolved with a satisfied rating
 *   speed         1 / (1 + median accept hours / 24); 0.5 with no accepts
 *   satisfaction  (satisfied + 1) / (rated + 2) for the category
 *   load          1 - open cases / capacity, clamped to 0..1; with no
 *                 capacity (absent from the rules file, or 0: no limit),
 *                 from the open cases alone: (1 + the fewest open cases
 *                 among the candidates without one) / (1 + open cases), so
 *                 the least loaded has 1 and twice its load about half
 *
 * The +1/+2 (Laplace smoothing) gives a department with no history 0.5, so
 * a newcomer is neither shut out nor preferred over one with a record, and
 * one good rating is not a perfect score.
 *
 *   struct choose_weights w;
 *   json_t *explain;
 *   choose_weights_from_conf(conf, &w);
 *   int best = choose_best(stats, n, &w, &explain);
 *   ... stats[best].department ... json_decref(explain);
 *
 * Pure arithmetic: the caller reads the figures (dept_stats, the open cases,
 * departments.capacity) and hands them in. Nothing here keeps state, so
 * threads may call it freely. Allocation failure aborts, as in sbuf.h.
 */
#ifndef XF_CHOOSE_H
#define XF_CHOOSE_H

#include <stddef.h>

#include <jansson.h>

#include "cfg.h"

#define CHOOSE_HIST 12 /* buckets of dept_stats.accept_hist */

/*
 * One candidate's figures: the counts are dept_stats' for the petition's
 * category; open_cases and capacity are across categories. Negative counts
 * are taken as 0.
 */
struct choose_stats {
	const char *department; /* borrowed; NULL sorts as "" */
	long assigned, accepted, resolved, rated, satisfied, dissatisfied;
	long accept_hist[CHOOSE_HIST];
	long open_cases;
	long capacity; /* 0: none (no limit) */
};

struct choose_weights {
	double fit, speed, satisfaction, load;
};

/*
 * The XF_CHOICE_W_* weights of conf, scaled to sum to 1; all zero gives
 * equal weights (0.25 each), so the scores always lie in 0..1.
 */
void choose_weights_from_conf(const struct xf_conf *conf, struct choose_weights *w);

/*
 * The median accept time in hours estimated from accept_hist, or -1 when
 * it counts no accepts. Bucket i holds accepts that took [2^(i-1), 2^i)
 * hours (bucket 0: [0, 1)); the last, open bucket is taken as [1024, 2048).
 * The estimate is the grouped-data median: the bucket where the count
 * reaches half the total, interpolated linearly inside it, so a median
 * bucket whose accepts sit evenly around the middle gives its midpoint.
 */
double choose_median_hours(const long hist[CHOOSE_HIST]);

/*
 * Scores the n candidates c[] under weights w (as choose_weights_from_conf
 * makes them; weights that do not sum to 1 only scale the scores) and
 * returns the index of the best. Ties (scores equal to 9 decimals) go to
 * the fewer open cases, then to the lower department code, then to the
 * lower index, so the choice is always the same for the same figures.
 *
 * When explain is not NULL, *explain is a new JSON array (the caller
 * json_decref()s it), one object per candidate, best first:
 *   {"department", "score", "fit", "speed", "satisfaction", "load",
 *    "median_accept_hours" (null if no accepts), "resolved", "satisfied",
 *    "rated", "open", "capacity", "chosen": bool}
 *
 * Returns -1 (and *explain NULL) when n is 0.
 */
int choose_best(const struct choose_stats *c, size_t n, const struct choose_weights *w,
		json_t **explain);

#endif
