/*
 * status.h - xf-dispatch's status page, an extra route of its HTTP server
 * (http_set_route). Everything it shows is read from the daemon's metrics
 * registry, the numbers GET /metrics renders, so the two always agree.
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
 *   "lag": [{"group",                xf_consumer_group_* ([] before the
 *            "status", "status_name",  first sample): status 0 OK, 1 WARN,
 *            "max_lag_seconds",        2 STALL, 3 STOP, 4 REWIND
 *            "lag",                    messages behind, summed over partitions
 *            "partitions": [{"topic", "partition", "lag",
 *                            "lag_seconds"}]}],     seconds: null if unknown
 *   "lag_sampled_at": 1795430395.0 | null,  xf_consumer_lag_sampled_timestamp_seconds
 *   "departments": [{"department", "name",   xf_department_* (scorecard.h),
 *                    "status", "status_name",   only those on the scorecard
 *                    "open",                    (xf_department_info 1); red
 *                    "overdue_ratio", "return_ratio", "repeat_ratio",
 *                    "satisfaction_ratio"}]     first, then by code; a ratio
 * }                                             is null without its series
 *
 * Counts are integers, seconds and ratios (0..1) numbers.
 *
 * Every figure on the page is an element with data-metric="<metric name>",
 * its labels as data-<label>="<value>" (data-state, data-reason, data-topic,
 * data-kind, data-group, data-partition, data-department) and data-value
 * holding the raw number; its text is the figure as shown (integers with
 * thousands separators, ratios as "12.5%", "-" for none). #refreshed holds
 * the time of the last successful fetch (data-fetches counts them);
 * #banner is shown (class "show") while fetching fails.
 */
#ifndef XF_STATUS_H
#define XF_STATUS_H

#include <jansson.h>

#include "metrics.h"
#include "sbuf.h"

/*
 * An http_route_fn: arg is the struct metrics * to read. Fills body and
 * *type and returns 200 for "/" and "/status.json"; 0 for any other url.
 */
int status_route(void *arg, const char *url, struct sbuf *body, const char **type);

/* The figures of /status.json, read from m (new reference). */
json_t *status_json(struct metrics *m);

#endif
