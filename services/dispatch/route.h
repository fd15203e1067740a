/*
 * route.h - a new petition (petition.classified): replays the case if it
 * was decided already, else decides it by the rules and records the case,
 * its assignments and the first three events of its chain (received,
 * classified, assigned), all through the unit of work's case operations.
 */
#ifndef XF_ROUTE_H
#define XF_ROUTE_H

#include <jansson.h>

#include "caseops.h"
#include "metrics.h"

struct route {
	struct metrics_series *m_latency_occurred, *m_latency_received;
};

/*
 * Routes petition (borrowed; checked to have case_id, region_code and
 * classification.category) at now. A petition the rules cannot place gets
 * *dlq_code "unroutable" and *dlq_why (malloc'd). Returns 0, or -1 with
 * err (PostgreSQL failed under the chooser: the batch is retried).
 */
int route_petition(struct route *rt, struct caseops *co, json_t *petition, time_t now,
		   const char **dlq_code, char **dlq_why, struct sbuf *err);

#endif
