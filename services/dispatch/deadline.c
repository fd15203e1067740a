/* deadline.c - see deadline.h. */
#include "deadline.h"

#include <string.h>

void deadline_plan(const struct deadline_conf *dc, enum case_state state, time_t start,
		   time_t accept_by, time_t resolve_by, struct deadline_plan *p)
{
	memset(p, 0, sizeof *p);
	if ((state == CASE_RESOLVED || state == CASE_RATED) && dc->followups && dc->followups->n) {
		p->running = 1;
		p->deadline = "followup";
		p->n = (int)dc->followups->n;
		for (int i = 0; i < p->n; i++) {
			p->at[i] = start + dc->followups->v[i].secs;
			p->kind[i] = dc->followups->v[i].name;
		}
		p->due = p->at[p->n - 1];
		return;
	}
	if (state == CASE_ASSIGNED) {
		p->deadline = "accept";
		p->due = accept_by;
	} else if (state == CASE_ACCEPTED) {
		p->deadline = "resolve";
		p->due = resolve_by;
	} else {
		return;
	}
	p->running = 1;
	p->n = 3;
	if (start > p->due)
		start = p->due;
	p->at[0] = start + (p->due - start) * dc->warn_pct / 100;
	p->at[1] = p->due;
	p->at[2] = calendar_add_workdays(dc->cal, p->due, (int)dc->supervise_workdays);
}

int deadline_stage_at(const struct deadline_plan *p, time_t now)
{
	int stage = 0;

	while (p->running && stage < p->n && p->at[stage] <= now)
		stage++;
	return stage;
}

time_t deadline_next(const struct deadline_plan *p, int stage)
{
	return p->running && stage < p->n ? p->at[stage] : 0;
}
