/* rules.c - see rules.h: deciding (reading: rules_parse.c; the tests: rules_when.c). */
#include "rules_int.h"

#include <stdlib.h>

#include "util.h"
#include "xalloc.h"

/* ---- deciding ---- */

static int of_target(const struct rules_dept *d, const struct rules_target *t)
{
	return str_eq(d->kind, t->kind) && str_eq(d->level, t->level);
}

/* 1 if d's whole region is a prefix of region (d covers it). */
static int covers(const struct rules_dept *d, const char *region)
{
	return region && strncmp(region, d->region, strlen(d->region)) == 0;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a && b && a[n] && a[n] == b[n])
		n++;
	return n;
}

struct dctx { /* one decision in the making */
	const struct rules_set *rs;
	const struct rules_options *opt;
	json_t *petition;
	struct pview pv;
	json_t *considered;
	json_t *choice; /* the chooser's explain for the winner */
	struct sbuf why;
};

static int excluded(const struct dctx *dc, const struct rules_dept *d)
{
	return dc->opt && str_in((const char **)dc->opt->exclude, dc->opt->nexclude, d->code);
}

/* One of c[0..n) (n >= 1), by the chooser when there is a choice. */
static const struct rules_dept *pick(struct dctx *dc, const struct rules_dept **c, size_t n)
{
	size_t k = 0;

	json_decref(dc->choice);
	dc->choice = NULL;
	if (n > 1 && dc->opt && dc->opt->choose) {
		k = dc->opt->choose(dc->opt->choose_arg, dc->petition,
				    (const struct rules_dept *const *)c, n, &dc->choice);
		if (k >= n)
			k = 0;
	}
	return c[k];
}

/* The department t names for region (属地), or NULL with why it has none. */
static const struct rules_dept *resolve(struct dctx *dc, const struct rules_target *t,
					const char *region, struct sbuf *why)
{
	const struct rules_set *rs = dc->rs;
	const struct rules_dept *best = NULL, **c;
	int triage = t->triage || t == &rs->triage;
	size_t n;

	if (t->triage)
		t = &rs->triage;
	if (t->department) {
		best = rules_dept_find(rs, t->department);
		if (!triage && excluded(dc, best)) {
			sbuf_addf(why, "%s returned the case", best->code);
			return NULL;
		}
		return best;
	}
	c = xcalloc(rs->ndepts + 1, sizeof *c);
	if (t->ncandidates) {
		n = 0;
		for (size_t i = 0; i < t->ncandidates; i++)
			if (!excluded(dc, rules_dept_find(rs, t->candidates[i])))
				c[n++] = rules_dept_find(rs, t->candidates[i]);
		best = n ? pick(dc, c, n) : NULL;
		if (!best)
			sbuf_adds(why, "every candidate returned the case");
		free(c);
		return best;
	}
	if (!region) {
		sbuf_adds(why, "petition has no region_code");
		free(c);
		return NULL;
	}
	/* the longest covering region wins; departments tied on it are candidates */
	n = 0;
	for (size_t i = 0; i < rs->ndepts; i++) {
		const struct rules_dept *d = &rs->depts[i];

		if (!of_target(d, t) || !covers(d, region) || (!triage && excluded(dc, d)))
			continue;
		if (n && strlen(d->region) > strlen(c[0]->region))
			n = 0;
		if (!n || strlen(d->region) == strlen(c[0]->region))
			c[n++] = d;
	}
	best = n ? pick(dc, c, n) : NULL;
	if (!best)
		sbuf_addf(why, "no %s department at %s level covers region %s", t->kind, t->level,
			  region);
	free(c);
	return best;
}

static const struct rules_dept *try_rule(struct dctx *dc, const struct rules_rule *r)
{
	const char *failed = rules_rule_fails(r, &dc->pv);
	const struct rules_dept *lead = NULL;
	struct sbuf result = SBUF_INIT;

	if (failed) {
		sbuf_addf(&result, "no match: %s", failed);
	} else {
		sbuf_reset(&dc->why);
		lead = resolve(dc, &r->assign, dc->pv.region, &dc->why);
		if (lead)
			sbuf_adds(&result, "matched");
		else
			sbuf_addf(&result, "unresolved: %s", dc->why.buf);
	}
	json_array_append_new(dc->considered,
			      json_pack("{s:s, s:I, s:s}", "rule", r->id, "priority",
					(json_int_t)r->priority, "result", result.buf));
	sbuf_release(&result);
	return lead;
}

/* Inserts d into c[0..*n) kept best first (ties in file order), at most the cap. */
static void candidate_insert(const struct rules_dept **c, size_t *n, const struct rules_dept *d,
			     const char *region)
{
	size_t score = common_prefix(d->region, region), j = *n;

	while (j > 0 && common_prefix(c[j - 1]->region, region) < score)
		j--;
	if (j == RULES_MAX_CANDIDATES)
		return;
	if (*n < RULES_MAX_CANDIDATES)
		(*n)++;
	memmove(c + j + 1, c + j, (*n - 1 - j) * sizeof *c);
	c[j] = d;
}

static json_t *candidates_json(const struct rules_set *rs, const struct rules_target *t,
			       const struct rules_dept *lead, const char *region)
{
	const struct rules_dept *c[RULES_MAX_CANDIDATES];
	json_t *arr = json_array();
	size_t n = 0;

	if (t->department)
		c[n++] = lead;
	for (size_t i = 0; i < t->ncandidates && n < RULES_MAX_CANDIDATES; i++)
		c[n++] = rules_dept_find(rs, t->candidates[i]);
	for (size_t i = 0; !t->department && !t->ncandidates && i < rs->ndepts; i++)
		if (of_target(&rs->depts[i], t))
			candidate_insert(c, &n, &rs->depts[i], region);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:I, s:b}", "department", c[i]->code,
				       "region", c[i]->region, "level", c[i]->level, "score",
				       (json_int_t)common_prefix(c[i]->region, region), "covers",
				       covers(c[i], region)));
	return arr;
}

static json_t *matched_json(const struct rules_rule *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; r && i < rules_nwhen_tests; i++)
		if (json_object_get(r->when, rules_when_tests[i].name))
			json_array_append_new(arr, json_string(rules_when_tests[i].name));
	return arr;
}

static json_t *explain_build(const struct dctx *dc, const struct rules_rule *r,
			     const struct rules_dept *lead)
{
	const struct rules_set *rs = dc->rs;
	int triage = !r || r->assign.triage;
	json_t *ex = json_object();

	json_object_set_new(ex, "version", json_string(rs->version));
	json_object_set_new(ex, "rule",
			    r ? json_pack("{s:s, s:I, s:s}", "id", r->id, "priority",
					  (json_int_t)r->priority, "version", rs->version)
			      : json_null());
	json_object_set_new(ex, "matched", matched_json(r));
	json_object_set(ex, "considered", dc->considered);
	json_object_set_new(
		ex, "candidates",
		candidates_json(rs, triage ? &rs->triage : &r->assign, lead, dc->pv.region));
	json_object_set_new(ex, "triage", json_boolean(triage));
	if (dc->choice)
		json_object_set(ex, "choice", dc->choice);
	if (dc->opt && dc->opt->nexclude) {
		json_t *arr = json_array();

		for (size_t i = 0; i < dc->opt->nexclude; i++)
			json_array_append_new(arr, json_string(dc->opt->exclude[i]));
		json_object_set_new(ex, "excluded", arr);
	}
	return ex;
}

static void decision_fill(const struct dctx *dc, const struct rules_rule *r,
			  const struct rules_dept *lead, struct rules_decision *out)
{
	out->rule = r;
	out->lead = lead;
	out->triage = !r || r->assign.triage;
	out->explain = explain_build(dc, r, lead);
	if (!r || !r->nco)
		return;
	out->co = xcalloc(r->nco, sizeof *out->co);
	for (size_t i = 0; i < r->nco; i++) {
		const struct rules_dept *d = rules_dept_find(dc->rs, r->co_handlers[i]);

		if (d && d != lead)
			out->co[out->nco++] = d;
	}
}

const struct rules_dept *rules_triage(const struct rules_set *rs, const char *region)
{
	struct dctx dc = { rs, NULL, NULL, { 0 }, NULL, NULL, SBUF_INIT };
	const struct rules_dept *d = resolve(&dc, &rs->triage, region, &dc.why);

	json_decref(dc.choice);
	sbuf_release(&dc.why);
	return d;
}

int rules_decide(const struct rules_set *rs, json_t *petition, struct rules_decision *out,
		 struct sbuf *err)
{
	return rules_decide_opt(rs, petition, NULL, out, err);
}

int rules_decide_opt(const struct rules_set *rs, json_t *petition, const struct rules_options *opt,
		     struct rules_decision *out, struct sbuf *err)
{
	struct dctx dc = { rs, opt, petition, { 0 }, NULL, NULL, SBUF_INIT };
	const struct rules_rule *r = NULL;
	const struct rules_dept *lead = NULL;

	memset(out, 0, sizeof *out);
	if (!rs || !json_is_object(petition)) {
		sbuf_adds(err, rs ? "petition is not a JSON object" : "no rule set");
		return -1;
	}
	rules_pview_init(&dc.pv, petition);
	dc.considered = json_array();
	for (size_t i = 0; i < rs->nrules && !lead; i++) {
		r = &rs->rules[i];
		lead = try_rule(&dc, r);
	}
	if (!lead) {
		r = NULL;
		sbuf_reset(&dc.why);
		lead = resolve(&dc, &rs->triage, dc.pv.region, &dc.why);
	}
	if (lead)
		decision_fill(&dc, r, lead, out);
	else
		sbuf_addf(err, "no rule resolves and neither does triage: %s", dc.why.buf);
	json_decref(dc.considered);
	json_decref(dc.choice);
	sbuf_release(&dc.why);
	return lead ? 0 : -1;
}

void rules_decision_release(struct rules_decision *d)
{
	free(d->co);
	json_decref(d->explain);
	memset(d, 0, sizeof *d);
}
