/*
 * public_update.h - what the citizen and the upstream hotline are told of
 * a case (xf.petition_update.v1, topic petition.updates, and the citizen's
 * status page): the public view of the case's chain events.
 *
 * Only the steps a citizen should know of are told: received, assigned,
 * accepted, returned, reassigned, extended, resolved (with the answer and
 * the follow-ups to come), followed_up (the citizen's verdict), reopened,
 * closed. Nothing internal (rules, explain, risk, scores,
 * emotion, feedback ids, reasons of returns) and no personal data: each
 * field is copied by name, never the event's data as a whole. The one free
 * text, the department's answer (result), is shown as written but for its
 * long numbers (public_mask): a phone or id number a department wrote into
 * it does not reach whoever holds the case's code.
 */
#ifndef XF_PUBLIC_UPDATE_H
#define XF_PUBLIC_UPDATE_H

#include <jansson.h>

#include "rules.h"
#include "sbuf.h"

#define PUBLIC_UPDATE_SCHEMA "xf.petition_update.v1"

/*
 * The update for chain event ev (an xf.case_event.v1 object) of a case
 * that came from system's external_id; rs (may be NULL) names the
 * departments. A new object, or NULL when the citizen is not told of ev.
 */
json_t *public_update(json_t *ev, const char *system, const char *external_id,
		      const struct rules_set *rs);

/*
 * Appends s with each run of PUBLIC_MASK_DIGITS or more digits (ASCII or
 * full-width; an id number's final X with it) replaced by "****".
 */
#define PUBLIC_MASK_DIGITS 7
void public_mask(const char *s, struct sbuf *out);

#endif
