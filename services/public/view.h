/*
 * view.h - what the citizen sees of a case (xf.public_case.v1): its chain
 * events, each through public_update() (domain/public_update.h), and a
 * summary of them. The stage is the step reached on the progress bar
 * 受理 → 交办 → 受理确认 → 办理 → 办结 → 评价 (0 to 5).
 */
#ifndef XF_PUBLIC_VIEW_H
#define XF_PUBLIC_VIEW_H

#include <jansson.h>

#include "rules.h"

#define PUBLIC_CASE_SCHEMA "xf.public_case.v1"
#define VIEW_STAGES 6

/* The progress bar's stages, in order (UTF-8). */
extern const char *const view_stage_names[VIEW_STAGES];

/*
 * The view of case_id from its chain events (xf.case_event.v1 objects in
 * seq order; borrowed); rs (may be NULL) names the departments. A new
 * object, or NULL when no event is public (the case is then unknown).
 */
json_t *view_case(const char *case_id, json_t *events, const struct rules_set *rs);

/* The stage a step's status reaches (0 for one not known). */
int view_stage_of(const char *status);

#endif
