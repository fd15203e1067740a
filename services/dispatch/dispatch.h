/*
 * dispatch.h - xf-dispatch: petition.classified -> a decision by the rules
 * in PostgreSQL -> the case, its assignments and audit events in one
 * transaction -> assignments.<department> and case.events.
 *
 * A redelivered petition finds its case already decided and publishes the
 * stored assignment and events again, byte for byte: the same
 * assignment_id, never a second decision.
 */
#ifndef XF_DISPATCH_H
#define XF_DISPATCH_H

#include <time.h>

#include <jansson.h>

#include "rules.h"
#include "svc.h"

#define DISPATCH_ACCEPT_DAYS 15   /* 条例 第二十二、二十三条 */

struct dispatch {
	struct svc svc;
	struct rules_set *rules;      /* the active rule set, NULL until loaded */
	char rules_sha[65];           /* of the loaded body, to notice an import */
};

int dispatch_init(struct dispatch *d, const volatile sig_atomic_t *stop, struct sbuf *err);
int dispatch_run(struct dispatch *d);
void dispatch_release(struct dispatch *d);

/*
 * The xf.assignment.v1 message (new reference) for petition (borrowed)
 * under decision dec, to dept in role "lead" or "co", dispatched at `now`.
 */
json_t *dispatch_assignment(json_t *petition, const struct rules_decision *dec,
			    const struct rules_set *rs, const struct rules_dept *dept,
			    const char *role, int attempt, time_t now);
/* The assignment id: <case>-A<attempt>, and -<department> for a co-handler. */
void dispatch_assignment_id(const char *case_id, int attempt, const char *role,
			    const char *dept, char *out, size_t outsz);

#endif
