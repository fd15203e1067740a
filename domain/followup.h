/*
 * followup.h - the 回访 follow-ups of a resolved case (README "Follow-ups"):
 * which, and how long after the answer each is due. The seed practice,
 * and the default of XF_FOLLOWUPS: call back within 48 hours, visit within
 * 7 days, review after 30 days: "callback:48h,visit:7d,review:30d".
 */
#ifndef XF_FOLLOWUP_H
#define XF_FOLLOWUP_H

#include <stddef.h>

#include "sbuf.h"

#define FOLLOWUP_MAX 8       /* kinds in a plan */
#define FOLLOWUP_KIND_MAX 32 /* bytes of a kind's name */

struct followup_plan {
	size_t n;
	struct followup_kind {
		char name[FOLLOWUP_KIND_MAX + 1]; /* [a-z_]{1,32} */
		long secs;                        /* after the answer */
	} v[FOLLOWUP_MAX];                        /* by secs, then as written */
};

/*
 * Reads "kind:N{h|d},..." ("" for none) into p, sorted by when each is due.
 * 0, or -1 with err naming what is wrong.
 */
int followup_plan_parse(const char *s, struct followup_plan *p, struct sbuf *err);
/* The kind named name in p, or NULL. */
const struct followup_kind *followup_find(const struct followup_plan *p, const char *name);

#endif
