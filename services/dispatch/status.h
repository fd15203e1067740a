/*
 * status.h - xf-dispatch's status page, an extra route of its HTTP server
 * (http_set_route). It shows typed snapshots of what GET /metrics renders
 * from the same sources, so the two agree: the counters from the metrics
 * registry (label by label), the lag from the lag monitor's tracker of its
 * newest good sample (lag.h), the board from the newest scorecard
 * (scorecard.h's board, put there as its gauges are set).
 *
 *   GET /             one self-contained HTML page, status.html beside this
 *                     file, embedded at build time (inline CSS and JS, no
 *                     external assets) that draws the figures embedded in
 *                     it, then fetches status.json every 2 s and redraws;
 *                     a banner says when a fetch fails
 *   GET /status.json  the figures:
 *
 * {
 *   "now": 1795430400.25,           server clock, seconds since the epoch
 *   "messages_in":  [{"topic", "total"}],          xf_messages_in_total
 *   "messages_out": [{"topic", "kind", "total"}],  xf_messages_out_total
 *   "dead_letters": [{"reason", "total"}],         xf_dead_letters_total
 *   "cases": [{"state", "count"}],   xf_cases summed over departments;
 *                                    assigned, accepted, resolved, rated
 *                                    first, then any other state
 *   "lag": [{"group",                the groups of the newest good sample,
 *            "status", "status_name",  by name ([] before the first): status
 *            "max_lag_seconds",        lag.h's codes and lag_status_name()
 *            "lag",                    messages behind, summed over partitions
 *            "partitions": [{"topic", "partition", "lag",
 *                            "lag_seconds"}]}],     seconds: null if unknown
 *   "lag_sampled_at": 1795430395.0 | null,  when that sample was taken
 *   "departments": [{"department", "name",   the newest scorecard's rows
 *                    "status", "status_name",   ([] before the first): red
 *                    "open",                    first, then yellow, then
 *                    "overdue_ratio", "return_ratio", "repeat_ratio",
 *                    "satisfaction_ratio"}]     green, by code within each;
 * }                                             a ratio is null with nothing
 *                                               to divide by, else rounded
 *                                               to millionths as /metrics has it
 *
 * Counts are integers, seconds and ratios (0..1) numbers.
 *
 * Every figure on the page is an element with data-metric="<metric name>",
 * its labels as data-<label>="<value>" (data-state, data-reason, data-topic,
 * data-kind, data-group, data-partition, data-department) and data-value
 * holding the raw number; its text is the figure as shown (integers with
 * thousands separators, ratios as "12.5%", "-" for none). #refreshed holds
 * the time of the last successful fetch (data-fetches counts them);
 * #banner is shown (class "show") while fetching fails. The lag statuses'
 * labels and colours are lag.h's lag_statuses, given to the page as JSON
 * in <script id='lag-statuses'>.
 */
#ifndef XF_STATUS_H
#define XF_STATUS_H

#include <jansson.h>

#include "board_page.h"
#include "http.h"
#include "lag.h"
#include "metrics.h"
#include "sbuf.h"
#include "scorecard.h"

/* What the page reads, each kept by reference. */
struct status_src {
	struct metrics *m;             /* messages, dead letters, xf_cases */
	struct lag_monitor *lag;       /* the lag monitor; NULL: no lag figures */
	struct scorecard_board *board; /* the newest scorecard; NULL: none */
	struct board_page *page;       /* /board and /board.json; NULL: none */
};

/*
 * An http_route_fn: arg is the struct status_src * to read. Fills body and
 * *type and returns 200 for "/" and "/status.json", the board page's answer
 * for "/board" and "/board.json"; 0 for any other url.
 */
int status_route(void *arg, const char *url, const struct http_req *req, struct sbuf *body,
		 const char **type);

/* The figures of /status.json (new reference). */
json_t *status_json(const struct status_src *src);

/*
 * The parts of status_json() read from typed snapshots, set on out: "lag"
 * and "lag_sampled_at" from a tracker, "departments" from a scorecard
 * (NULL for either: none yet).
 */
void status_set_lag(json_t *out, const struct lag_tracker *tr);
void status_set_departments(json_t *out, const struct scorecard *sc);

#endif
