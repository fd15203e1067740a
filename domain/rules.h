/*
 * rules.h - the routing rules engine (DESIGN §3): parses and checks an
 * xf.rules.v1 document, then decides which department handles a petition.
 *
 *   struct rules_set *rs = rules_parse(doc, &err);   // NULL: err says why
 *   struct rules_decision dec;
 *   if (rules_decide(rs, petition, &dec, &err) == 0) {
 *           ... dec.lead->code, dec.co[i]->code, dec.explain ...
 *           rules_decision_release(&dec);
 *   }
 *   rules_free(rs);
 *
 * Every string in these structs is borrowed from the document the set holds
 * a reference to: valid until rules_free(), and the document must not be
 * modified meanwhile. A decision borrows from its set: release it first.
 * Allocation failure aborts, as in sbuf.h.
 */
#ifndef XF_RULES_H
#define XF_RULES_H

#include <stddef.h>

#include <jansson.h>

#include "sbuf.h"

#define RULES_SCHEMA "xf.rules.v1"
#define RULES_DEADLINE_DAYS 60 /* default deadline_days (条例 第三十四条) */
#define RULES_DEADLINE_MAX 60  /* longest allowed; extensions come by feedback */
#define RULES_CODE_MAX 64      /* department codes end Kafka topic names */
#define RULES_MAX_CANDIDATES 8 /* candidates listed in an explain */

struct rules_dept {
	const char *code; /* [a-z0-9._-]{1,64}: topic assignments.<code> */
	const char *name;
	const char *region;  /* division-code prefix, as long as its level says */
	const char *level;   /* province|city|county|township|village */
	const char *kind;    /* e.g. "rsj", "xfj" */
	long capacity;       /* 0 if absent */
	const char *webhook; /* http(s) URL, or NULL */
	/* name of the variable holding the webhook secret, or NULL (XF_WEBHOOK_SECRET) */
	const char *webhook_secret;
	int local_testing; /* "local_testing": true: an http:// webhook is allowed */
	/* name of the variable holding the key of its feedback signatures, or NULL */
	const char *feedback_secret;
};

/*
 * One of citizen_side: an upstream system or the bureau, the only senders
 * of feedback that may speak for the citizen (rate a case).
 */
struct rules_sender {
	const char *code; /* as a department code; no department has it */
	const char *name;
	const char *feedback_secret; /* variable name, or NULL */
};

/*
 * Exactly one of: department (a code); kind and level, resolved by region
 * (属地); or, in an assign only, triage (send the case to the triage target).
 */
struct rules_target {
	const char *department;
	const char *kind;
	const char *level;
	int triage;              /* assign {"triage": true} */
	const char **candidates; /* assign {"candidates": [codes]}; owned array */
	size_t ncandidates;
};

struct rules_rule {
	const char *id;
	long priority; /* lower wins */
	json_t *when;  /* borrowed from the doc; NULL = catch-all */
	struct rules_target assign;
	const char **co_handlers; /* department codes; owned array, borrowed strings */
	size_t nco;
	long deadline_days; /* 1..RULES_DEADLINE_MAX, default 60 */
};

struct rules_set {
	const char *version;
	json_t *doc; /* owned reference */
	struct rules_dept *depts;
	size_t ndepts;
	struct rules_sender *citizen_side;
	size_t ncitizen_side;
	struct rules_rule *rules; /* sorted by priority, then file order */
	size_t nrules;
	struct rules_target triage;
};

/*
 * Parses and checks a rules document (xf.rules.v1). Takes a new reference
 * to doc (the caller keeps its own). Never crashes on a wrong type.
 *
 * Refuses, naming the rule or department and the field at fault, e.g.
 *   rule "labor": assign.kind "rsjj" names no department kind
 * a document without `schema` "xf.rules.v1" or `version`; no catch-all rule
 * (`when` absent or {}); duplicate rule ids or department codes; a
 * department code not usable in a Kafka topic name; a department region
 * that is not a division-code prefix of 2/4/6/9/12 digits or does not fit
 * its level (province 2, city 4, county 6, township 9, village 12); an assign, co-handler or triage naming an unknown
 * department or a kind+level no department has; an assign or triage
 * giving more than one form, or triage itself saying {"triage": true}; a
 * co-handler listed twice or equal to the rule's lead department; unknown
 * `when` tests, or test values of the wrong type, empty lists, or unknown
 * category, risk or channel codes; priority not a whole number 0..INT_MAX;
 * deadline_days outside 1..RULES_DEADLINE_MAX; a missing triage; a
 * webhook_secret or feedback_secret that is not XF_WEBHOOK_SECRET_<X> or
 * XF_FEEDBACK_SECRET_<X>; a citizen_side code that is not a department
 * code's syntax, is used twice or is a department's.
 *
 * Returns the set, or NULL with every problem found appended to err
 * (separated by "; "; err may be NULL).
 */
struct rules_set *rules_parse(json_t *doc, struct sbuf *err);
/* Frees the set and drops its reference to the doc. NULL is fine. */
void rules_free(struct rules_set *rs);

/* The triage department for region (the petition bureau that supervises); NULL if none. */
const struct rules_dept *rules_triage(const struct rules_set *rs, const char *region);

/* Looks up a department by code; NULL if none. */
const struct rules_dept *rules_dept_find(const struct rules_set *rs, const char *code);
/* The citizen_side sender with code, or NULL. */
const struct rules_sender *rules_citizen_find(const struct rules_set *rs, const char *code);

struct rules_decision {
	const struct rules_rule *rule; /* the rule that won; NULL on triage */
	const struct rules_dept *lead;
	const struct rules_dept **co; /* resolved co-handlers, malloc'd (or NULL) */
	size_t nco;
	int triage;      /* 1 if sent to triage: by no rule resolving
					   (rule NULL) or by an assign {"triage": true} */
	json_t *explain; /* new reference, owned by the decision */
};

/*
 * Decides where petition (borrowed; an xf.petition.v1 object with
 * `classification`) goes.
 *
 * `when` tests: category (classification.category in list), region_prefix
 * (region_code starts with one), risk (classification.risk.level in list),
 * channel (source.channel in list), collective (classification.collective
 * equals), repeat_min (classification.repeat.count >= n), intensity_min
 * (classification.emotion.intensity >= n), keywords_any (a string occurs in
 * subject or content, byte for byte, or equals one of
 * classification.keywords). An absent test matches; a test whose petition
 * field is absent or of the wrong type does not hold.
 *
 * Rules are tried in priority order; the first that matches AND whose
 * assign resolves wins. kind+level resolves by region (属地): the
 * department of that kind and level whose region is the longest prefix of
 * the petition's region_code (several such departments for one region
 * are candidates, see rules_choose_fn); a rule that finds none is
 * skipped. {"candidates": [...]} resolves to one of its departments. An assign
 * {"triage": true} resolves the triage target (triage = 1, rule set). If no
 * rule resolves, triage is resolved the same way, triage = 1 and rule NULL.
 * Co-handlers equal to the lead are left out.
 *
 * explain = {"version": rules version,
 *   "rule": {"id", "priority", "version"} or null if no rule resolved,
 *   "matched": [the winner's tests, all of which held],
 *   "considered": [{"rule", "priority", "result": "matched" |
 *                   "no match: <test>" | "unresolved: <why>"}, ...]
 *                 (in order, up to and including the winner),
 *   "candidates": [{"department", "region", "level", "score", "covers"}]
 *                 (departments of the winning kind+level, or of triage's
 *                 when triage decided, best first, at
 *                 most RULES_MAX_CANDIDATES; score = length of the common
 *                 prefix of their region and the petition's; covers = their
 *                 whole region is a prefix; for a department code, just it),
 *   "triage": bool}
 *
 * rules_decide() writes nothing in rs: threads may share one set.
 *
 * Returns 0 and fills *out (release it with rules_decision_release()), or
 * -1 with err if petition is not an object or even triage cannot be
 * resolved; *out is then empty and needs no release.
 */
int rules_decide(const struct rules_set *rs, json_t *petition, struct rules_decision *out,
		 struct sbuf *err);

/*
 * Picks one of n > 1 departments that could lead (an assign's candidates,
 * or several departments of one kind and level for the same region).
 * Returns the index; *explain (may be left NULL) is a
 * new reference shown as explain.choice.
 */
typedef size_t (*rules_choose_fn)(void *arg, json_t *petition,
				  const struct rules_dept *const *cands, size_t n,
				  json_t **explain);

struct rules_options {
	const char *const *exclude; /* departments never to lead (those that
					 returned the case); triage is exempt */
	size_t nexclude;
	rules_choose_fn choose; /* NULL: the first candidate in file order */
	void *choose_arg;
};

/* rules_decide with exclusions and a chooser; opt may be NULL. */
int rules_decide_opt(const struct rules_set *rs, json_t *petition, const struct rules_options *opt,
		     struct rules_decision *out, struct sbuf *err);
/* Frees what the decision owns and empties it. */
void rules_decision_release(struct rules_decision *d);

#endif
