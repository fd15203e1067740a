/* rules_parse.c - reading a rule set (rules.h: rules_parse, rules_free). */
#include "rules_int.h"

#include <limits.h>
#include <stdlib.h>

#include "util.h"
#include "xalloc.h"

/* ---- parsing: every problem is reported, then the set is refused ---- */

struct pctx {
	struct sbuf *err; /* caller's, may be NULL */
	struct sbuf who;  /* the item at fault, e.g. `rule "labor": ` */
	int nerr;
	int catch_all; /* a rule without tests was seen */
};

/* Starts one problem report; the caller appends what is wrong. */
static struct sbuf *perr(struct pctx *pc)
{
	pc->nerr++;
	if (pc->err && pc->err->len)
		sbuf_adds(pc->err, "; ");
	sbuf_adds(pc->err, pc->who.buf);
	return pc->err;
}

/* Names the item being parsed: `what "id": `, or `what #n: ` without an id. */
static void set_who(struct pctx *pc, const char *what, const char *id, size_t i)
{
	sbuf_reset(&pc->who);
	if (!what)
		return;
	if (id)
		sbuf_addf(&pc->who, "%s \"%s\": ", what, id);
	else
		sbuf_addf(&pc->who, "%s #%zu: ", what, i + 1);
}

/*
 * Starts item i of a list (what "department", its id at idkey): names it
 * for the reports; 1 if it is an object, else reports that and 0.
 */
static int item_begin(struct pctx *pc, const char *what, const char *idkey, json_t *item, size_t i)
{
	set_who(pc, what, json_string_value(json_object_get(item, idkey)), i);
	if (json_is_object(item))
		return 1;
	sbuf_adds(perr(pc), "is not an object");
	return 0;
}

/*
 * The non-empty string obj.key. NULL if absent or null (reported if
 * required) or if not a non-empty string (reported).
 */
static const char *get_str(struct pctx *pc, json_t *obj, const char *path, const char *key,
			   int required)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			sbuf_addf(perr(pc), "%s%s is missing", path, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		sbuf_addf(perr(pc), "%s%s is not a string", path, key);
		return NULL;
	}
	if (!*json_string_value(v)) {
		sbuf_addf(perr(pc), "%s%s is empty", path, key);
		return NULL;
	}
	return json_string_value(v);
}

/* Sets *out to the whole number obj.key in lo..hi; leaves it if absent. */
static void get_long(struct pctx *pc, json_t *obj, const char *key, long lo, long hi, int required,
		     long *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			sbuf_addf(perr(pc), "%s is missing", key);
		return;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		sbuf_addf(perr(pc), "%s is not a whole number from %ld to %ld", key, lo, hi);
		return;
	}
	*out = (long)json_integer_value(v);
}

static int topic_safe(const char *code)
{
	size_t n = strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789._-");

	return n > 0 && n <= RULES_CODE_MAX && code[n] == '\0';
}

const struct rules_dept *rules_dept_find(const struct rules_set *rs, const char *code)
{
	if (!rs)
		return NULL;
	for (size_t i = 0; i < rs->ndepts; i++)
		if (str_eq(rs->depts[i].code, code))
			return &rs->depts[i];
	return NULL;
}

static void check_dept_code(struct pctx *pc, const struct rules_set *rs, const struct rules_dept *d)
{
	const struct rules_dept *dup = rules_dept_find(rs, d->code);

	if (!d->code)
		return;
	if (!topic_safe(d->code))
		sbuf_addf(perr(pc),
			  "code \"%s\" is not usable in a Kafka topic name "
			  "(only a-z, 0-9, '.', '_', '-'; at most %d)",
			  d->code, RULES_CODE_MAX);
	if (dup)
		sbuf_addf(perr(pc), "code \"%s\" is used twice (departments #%zu and #%zu)",
			  d->code, (size_t)(dup - rs->depts) + 1, rs->ndepts + 1);
}

/*
 * prefix (XF_WEBHOOK_SECRET_ or XF_FEEDBACK_SECRET_) and 1 to 64 of
 * [A-Z0-9_]: only such variables, so that a rules file cannot make another
 * secret of the process (a database password, a token) an HMAC key whose
 * signatures could help guess it.
 */
static int secret_name_valid(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return 0;
	s += n;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	return !s[n] && n >= 1 && n <= 64;
}

/* Refuses a secret name that is not prefix<X>, never echoing it: it may be a secret pasted in clear. */
static void check_secret_name(struct pctx *pc, const char *key, const char *name,
			      const char *prefix)
{
	if (name && !secret_name_valid(name, prefix))
		sbuf_addf(perr(pc),
			  "%s is not a variable name (%s and 1 to 64 of A-Z, 0-9, _): it names "
			  "where the secret is (e.g. %sTAX), never the secret itself",
			  key, prefix, prefix);
}

static void check_dept_webhook(struct pctx *pc, const struct rules_dept *d)
{
	int http = d->webhook && !strncmp(d->webhook, "http://", 7);

	if (d->webhook && !http && strncmp(d->webhook, "https://", 8))
		sbuf_addf(perr(pc), "webhook \"%s\" is not an https URL", d->webhook);
	else if (http && !d->local_testing)
		sbuf_addf(perr(pc),
			  "webhook \"%s\" is http: webhooks must be https unless the department "
			  "has \"local_testing\": true",
			  d->webhook);
	check_secret_name(pc, "webhook_secret", d->webhook_secret, "XF_WEBHOOK_SECRET_");
}

/* Sets *out to obj.key if it is true or false; leaves it if absent. */
static void get_bool(struct pctx *pc, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return;
	if (!json_is_boolean(v))
		sbuf_addf(perr(pc), "%s is not true or false", key);
	else
		*out = json_is_true(v);
}

static void check_dept_region(struct pctx *pc, const struct rules_dept *d)
{
	size_t digits = rules_level_digits(d->level);

	if (d->level && !digits)
		sbuf_addf(perr(pc),
			  "level \"%s\" is not province, city, county, "
			  "township or village",
			  d->level);
	if (!d->region)
		return;
	if (!region_prefix_valid(d->region)) {
		sbuf_addf(perr(pc),
			  "region \"%s\" is not a division-code prefix "
			  "(2, 4, 6, 9 or 12 digits of a real province)",
			  d->region);
		return;
	}
	if (digits && strlen(d->region) != digits)
		sbuf_addf(perr(pc), "region \"%s\" does not fit level \"%s\" (%zu digits)",
			  d->region, d->level, digits);
	/* several departments of one kind and level for one region are
	 * candidates: xf-dispatch chooses among them (rules_choose_fn) */
}

/* Parses departments[i]; rs->ndepts is i (the departments before it). */
static void parse_dept(struct pctx *pc, struct rules_set *rs, json_t *jd)
{
	struct rules_dept *d = &rs->depts[rs->ndepts];

	if (!item_begin(pc, "department", "code", jd, rs->ndepts))
		return;
	d->code = get_str(pc, jd, "", "code", 1);
	d->name = get_str(pc, jd, "", "name", 1);
	d->region = get_str(pc, jd, "", "region", 1);
	d->level = get_str(pc, jd, "", "level", 1);
	d->kind = get_str(pc, jd, "", "kind", 1);
	get_long(pc, jd, "capacity", 0, INT_MAX, 0, &d->capacity);
	d->webhook = get_str(pc, jd, "", "webhook", 0);
	d->webhook_secret = get_str(pc, jd, "", "webhook_secret", 0);
	get_bool(pc, jd, "local_testing", &d->local_testing);
	d->feedback_secret = get_str(pc, jd, "", "feedback_secret", 0);
	check_secret_name(pc, "feedback_secret", d->feedback_secret, "XF_FEEDBACK_SECRET_");
	check_dept_code(pc, rs, d);
	check_dept_webhook(pc, d);
	check_dept_region(pc, d);
}

static void parse_departments(struct pctx *pc, struct rules_set *rs)
{
	json_t *arr = json_object_get(rs->doc, "departments"), *jd;
	size_t i;

	set_who(pc, NULL, NULL, 0);
	if (!json_is_array(arr)) {
		sbuf_addf(perr(pc), "departments is %s", arr ? "not a list" : "missing");
		return;
	}
	rs->depts = xcalloc(json_array_size(arr), sizeof *rs->depts);
	json_array_foreach(arr, i, jd)
	{
		parse_dept(pc, rs, jd);
		rs->ndepts++;
	}
}

const struct rules_sender *rules_citizen_find(const struct rules_set *rs, const char *code)
{
	for (size_t i = 0; rs && i < rs->ncitizen_side; i++)
		if (str_eq(rs->citizen_side[i].code, code))
			return &rs->citizen_side[i];
	return NULL;
}

/* Parses citizen_side[i] (rs->ncitizen_side is i), after the departments. */
static void parse_citizen(struct pctx *pc, struct rules_set *rs, json_t *js)
{
	struct rules_sender *c = &rs->citizen_side[rs->ncitizen_side];

	if (!item_begin(pc, "citizen_side", "code", js, rs->ncitizen_side))
		return;
	c->code = get_str(pc, js, "", "code", 1);
	c->name = get_str(pc, js, "", "name", 1);
	c->feedback_secret = get_str(pc, js, "", "feedback_secret", 0);
	check_secret_name(pc, "feedback_secret", c->feedback_secret, "XF_FEEDBACK_SECRET_");
	if (!c->code)
		return;
	if (!topic_safe(c->code))
		sbuf_addf(perr(pc),
			  "code \"%s\" is not a department code's form "
			  "(a-z, 0-9, '.', '_', '-'; at most %d)",
			  c->code, RULES_CODE_MAX);
	else if (rules_dept_find(rs, c->code))
		sbuf_addf(perr(pc), "code \"%s\" is a department's", c->code);
	else if (rules_citizen_find(rs, c->code))
		sbuf_addf(perr(pc), "code \"%s\" is used twice", c->code);
}

/* citizen_side: optional; who may rate cases for citizens. */
static void parse_citizen_side(struct pctx *pc, struct rules_set *rs)
{
	json_t *arr = json_object_get(rs->doc, "citizen_side"), *js;
	size_t i;

	set_who(pc, NULL, NULL, 0);
	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		sbuf_adds(perr(pc), "citizen_side is not a list");
		return;
	}
	rs->citizen_side = xcalloc(json_array_size(arr) + 1, sizeof *rs->citizen_side);
	json_array_foreach(arr, i, js)
	{
		parse_citizen(pc, rs, js);
		rs->ncitizen_side++;
	}
}

static int kind_level_known(const struct rules_set *rs, const char *kind, const char *level)
{
	for (size_t i = 0; i < rs->ndepts; i++)
		if (str_eq(rs->depts[i].kind, kind) &&
		    (!level || str_eq(rs->depts[i].level, level)))
			return 1;
	return 0;
}

static void check_target(struct pctx *pc, const struct rules_set *rs, const char *field,
			 const struct rules_target *t)
{
	int forms = !!t->department + !!(t->kind || t->level) + t->triage + !!t->ncandidates;

	if (forms > 1)
		sbuf_addf(perr(pc),
			  "%s gives more than one of department, kind and "
			  "level, candidates, triage: give one",
			  field);
	else if (t->department && !rules_dept_find(rs, t->department))
		sbuf_addf(perr(pc), "%s.department \"%s\" names no department", field,
			  t->department);
	else if (t->department || t->triage || t->ncandidates)
		return;
	else if (!t->kind || !t->level)
		sbuf_addf(perr(pc), "%s needs a department, or a kind and a level", field);
	else if (!rules_level_digits(t->level))
		sbuf_addf(perr(pc),
			  "%s.level \"%s\" is not province, city, county, "
			  "township or village",
			  field, t->level);
	else if (!kind_level_known(rs, t->kind, NULL))
		sbuf_addf(perr(pc), "%s.kind \"%s\" names no department kind", field, t->kind);
	else if (!kind_level_known(rs, t->kind, t->level))
		sbuf_addf(perr(pc), "%s: no department of kind \"%s\" is at level \"%s\"", field,
			  t->kind, t->level);
}

/* Reads {"triage": true} of an assign, named field. */
static void get_triage(struct pctx *pc, json_t *jt, const char *field, struct rules_target *t)
{
	json_t *v = json_object_get(jt, "triage");

	if (!v || json_is_null(v))
		return;
	if (strcmp(field, "assign") != 0)
		sbuf_addf(perr(pc), "%s.triage is only for a rule's assign", field);
	else if (!json_is_true(v))
		sbuf_addf(perr(pc), "%s.triage is not true", field);
	else
		t->triage = 1;
}

/* Reads {"candidates": [codes]} of an assign, named field. */
static void get_candidates(struct pctx *pc, const struct rules_set *rs, json_t *jt,
			   const char *field, struct rules_target *t)
{
	json_t *arr = json_object_get(jt, "candidates"), *v;
	size_t i;

	if (!arr || json_is_null(arr))
		return;
	if (strcmp(field, "assign") != 0) {
		sbuf_addf(perr(pc), "%s.candidates is only for a rule's assign", field);
		return;
	}
	if (!json_is_array(arr) || !json_array_size(arr)) {
		sbuf_addf(perr(pc), "%s.candidates is not a list of department codes", field);
		return;
	}
	t->candidates = xcalloc(json_array_size(arr), sizeof *t->candidates);
	json_array_foreach(arr, i, v)
	{
		const char *code = json_string_value(v);

		if (!code)
			sbuf_addf(perr(pc), "%s.candidates[%zu] is not a string", field, i);
		else if (!rules_dept_find(rs, code))
			sbuf_addf(perr(pc), "%s.candidates \"%s\" names no department", field,
				  code);
		else if (str_in(t->candidates, t->ncandidates, code))
			sbuf_addf(perr(pc), "%s.candidates lists \"%s\" twice", field, code);
		else
			t->candidates[t->ncandidates++] = code;
	}
}

/* Parses an assign or triage object jt, named field ("assign", "triage"). */
static void parse_target(struct pctx *pc, const struct rules_set *rs, json_t *jt, const char *field,
			 struct rules_target *t)
{
	struct sbuf path = SBUF_INIT;
	int nerr = pc->nerr;

	if (!jt || json_is_null(jt)) {
		sbuf_addf(perr(pc), "%s is missing", field);
		return;
	}
	if (!json_is_object(jt)) {
		sbuf_addf(perr(pc), "%s is not an object", field);
		return;
	}
	sbuf_addf(&path, "%s.", field);
	t->department = get_str(pc, jt, path.buf, "department", 0);
	t->kind = get_str(pc, jt, path.buf, "kind", 0);
	t->level = get_str(pc, jt, path.buf, "level", 0);
	get_triage(pc, jt, field, t);
	get_candidates(pc, rs, jt, field, t);
	sbuf_release(&path);
	if (pc->nerr == nerr)
		check_target(pc, rs, field, t);
}

static void check_list(struct pctx *pc, const struct when_test *t, json_t *arg)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arg) || !json_array_size(arg)) {
		sbuf_addf(perr(pc), "when.%s is not a non-empty list", t->name);
		return;
	}
	json_array_foreach(arg, i, v)
	{
		if (!json_is_string(v))
			sbuf_addf(perr(pc), "when.%s[%zu] is not a string", t->name, i);
		else if (!t->item_ok(json_string_value(v)))
			sbuf_addf(perr(pc), "when.%s \"%s\" is not %s", t->name,
				  json_string_value(v), t->wants);
	}
}

static void check_arg(struct pctx *pc, const struct when_test *t, json_t *arg)
{
	int ok;

	switch (t->arg) {
	case ARG_LIST:
		check_list(pc, t, arg);
		return;
	case ARG_BOOL:
		ok = json_is_boolean(arg);
		break;
	case ARG_COUNT:
		ok = json_is_integer(arg) && json_integer_value(arg) >= 0;
		break;
	default:
		ok = json_is_number(arg) && json_number_value(arg) >= 0 &&
		     json_number_value(arg) <= 100;
		break;
	}
	if (!ok)
		sbuf_addf(perr(pc), "when.%s is not %s", t->name, t->wants);
}

static void report_unknown_test(struct pctx *pc, const char *name)
{
	struct sbuf *err = perr(pc);

	sbuf_addf(err, "when.%s is not a test (", name);
	for (size_t i = 0; i < rules_nwhen_tests; i++)
		sbuf_addf(err, "%s%s", i ? ", " : "", rules_when_tests[i].name);
	sbuf_adds(err, ")");
}

static void parse_when(struct pctx *pc, json_t *jr, struct rules_rule *r)
{
	json_t *when = json_object_get(jr, "when"), *arg;
	const char *name;

	if (!when || (json_is_object(when) && !json_object_size(when))) {
		pc->catch_all = 1;
		return;
	}
	if (!json_is_object(when)) {
		sbuf_adds(perr(pc), "when is not an object");
		return;
	}
	json_object_foreach(when, name, arg)
	{
		const struct when_test *t = rules_when_find(name);

		if (t)
			check_arg(pc, t, arg);
		else
			report_unknown_test(pc, name);
	}
	r->when = when;
}

static void parse_co(struct pctx *pc, const struct rules_set *rs, json_t *arr, struct rules_rule *r)
{
	size_t i;
	json_t *v;

	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		sbuf_adds(perr(pc), "co_handlers is not a list");
		return;
	}
	r->co_handlers = xcalloc(json_array_size(arr), sizeof *r->co_handlers);
	json_array_foreach(arr, i, v)
	{
		const char *code = json_string_value(v);

		if (!code)
			sbuf_addf(perr(pc), "co_handlers[%zu] is not a string", i);
		else if (!rules_dept_find(rs, code))
			sbuf_addf(perr(pc), "co_handlers \"%s\" names no department", code);
		else if (str_in(r->co_handlers, r->nco, code))
			sbuf_addf(perr(pc), "co_handlers lists \"%s\" twice", code);
		else if (str_eq(code, r->assign.department))
			sbuf_addf(perr(pc), "co_handlers \"%s\" is the lead (assign.department)",
				  code);
		else
			r->co_handlers[r->nco++] = code;
	}
}

/* The earlier rule with this id, if any. */
static const struct rules_rule *rule_find(const struct rules_set *rs, const char *id)
{
	for (size_t i = 0; i < rs->nrules; i++)
		if (str_eq(rs->rules[i].id, id))
			return &rs->rules[i];
	return NULL;
}

/* Parses rules[i]; rs->nrules is i (the rules before it). */
static void parse_rule(struct pctx *pc, struct rules_set *rs, json_t *jr)
{
	struct rules_rule *r = &rs->rules[rs->nrules];
	const struct rules_rule *dup;

	r->deadline_days = RULES_DEADLINE_DAYS;
	if (!item_begin(pc, "rule", "id", jr, rs->nrules))
		return;
	r->id = get_str(pc, jr, "", "id", 1);
	dup = rule_find(rs, r->id);
	if (dup)
		sbuf_addf(perr(pc), "id \"%s\" is used twice (rules #%zu and #%zu)", r->id,
			  (size_t)(dup - rs->rules) + 1, rs->nrules + 1);
	get_long(pc, jr, "priority", 0, INT_MAX, 1, &r->priority);
	parse_when(pc, jr, r);
	parse_target(pc, rs, json_object_get(jr, "assign"), "assign", &r->assign);
	parse_co(pc, rs, json_object_get(jr, "co_handlers"), r);
	get_long(pc, jr, "deadline_days", 1, RULES_DEADLINE_MAX, 0, &r->deadline_days);
}

static void parse_rules(struct pctx *pc, struct rules_set *rs)
{
	json_t *arr = json_object_get(rs->doc, "rules"), *jr;
	size_t i;

	set_who(pc, NULL, NULL, 0);
	if (!json_is_array(arr)) {
		sbuf_addf(perr(pc), "rules is %s", arr ? "not a list" : "missing");
		return;
	}
	rs->rules = xcalloc(json_array_size(arr), sizeof *rs->rules);
	json_array_foreach(arr, i, jr)
	{
		parse_rule(pc, rs, jr);
		rs->nrules++;
	}
	set_who(pc, NULL, NULL, 0);
	if (!pc->catch_all)
		sbuf_adds(perr(pc), "rules: no catch-all rule (one whose \"when\" is "
				    "absent or {}), so some petitions could go unassigned");
}

static void parse_header(struct pctx *pc, struct rules_set *rs)
{
	const char *schema = get_str(pc, rs->doc, "", "schema", 1);

	if (schema && strcmp(schema, RULES_SCHEMA) != 0)
		sbuf_addf(perr(pc), "schema \"%s\" is not \"%s\"", schema, RULES_SCHEMA);
	rs->version = get_str(pc, rs->doc, "", "version", 1);
}

/* Stable insertion sort by priority: ties keep file order. */
static void sort_rules(struct rules_set *rs)
{
	for (size_t i = 1; i < rs->nrules; i++) {
		struct rules_rule r = rs->rules[i];
		size_t j = i;

		for (; j > 0 && rs->rules[j - 1].priority > r.priority; j--)
			rs->rules[j] = rs->rules[j - 1];
		rs->rules[j] = r;
	}
}

struct rules_set *rules_parse(json_t *doc, struct sbuf *err)
{
	struct pctx pc = { err, SBUF_INIT, 0, 0 };
	struct rules_set *rs;

	if (!json_is_object(doc)) {
		sbuf_adds(perr(&pc), "rules document is not a JSON object");
		return NULL;
	}
	rs = xcalloc(1, sizeof *rs);
	rs->doc = json_incref(doc);
	parse_header(&pc, rs);
	parse_departments(&pc, rs);
	parse_citizen_side(&pc, rs);
	parse_rules(&pc, rs);
	parse_target(&pc, rs, json_object_get(doc, "triage"), "triage", &rs->triage);
	sbuf_release(&pc.who);
	if (pc.nerr) {
		rules_free(rs);
		return NULL;
	}
	sort_rules(rs);
	return rs;
}

void rules_free(struct rules_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++) {
		free(rs->rules[i].co_handlers);
		free(rs->rules[i].assign.candidates);
	}
	free(rs->rules);
	free(rs->depts);
	free(rs->citizen_side);
	json_decref(rs->doc);
	free(rs);
}
