/* rules.c - see rules.h. */
#include "rules.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vocab.h"
#include "xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixed vocabularies (DESIGN §2, §3; the shared ones: vocab.h) ---- */

struct level {
	const char *name;
	size_t digits;
};

static const struct level levels[] = {
	{ "province", 2 }, { "city", 4 }, { "county", 6 },
	{ "township", 9 }, { "village", 12 },
};

static const char *const risks[] = { "A", "B", "C", NULL };

static int str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (str_eq(*list, s))
			return 1;
	return 0;
}

static int str_in(const char *const *a, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(a[i], s))
			return 1;
	return 0;
}

/* Digits of a region at this level; 0 if the level is unknown. */
static size_t level_digits(const char *level)
{
	for (size_t i = 0; i < NELEM(levels); i++)
		if (str_eq(levels[i].name, level))
			return levels[i].digits;
	return 0;
}

/* ---- the petition, as the tests see it ---- */

struct pview {
	const char *region, *subject, *content, *channel, *category, *risk;
	json_t *collective, *repeat, *intensity, *keywords;
};

/* Follows a NULL-terminated path of object keys; NULL where it breaks. */
static json_t *dig(json_t *j, const char *const *path)
{
	for (; *path && j; path++)
		j = json_object_get(j, *path);
	return j;
}
#define DIG(j, ...) dig((j), (const char *const[]){ __VA_ARGS__, NULL })

static void pview_init(struct pview *pv, json_t *p)
{
	json_t *cl = json_object_get(p, "classification");

	pv->region = json_string_value(json_object_get(p, "region_code"));
	pv->subject = json_string_value(json_object_get(p, "subject"));
	pv->content = json_string_value(json_object_get(p, "content"));
	pv->channel = json_string_value(DIG(p, "source", "channel"));
	pv->category = json_string_value(json_object_get(cl, "category"));
	pv->risk = json_string_value(DIG(cl, "risk", "level"));
	pv->collective = json_object_get(cl, "collective");
	pv->repeat = DIG(cl, "repeat", "count");
	pv->intensity = DIG(cl, "emotion", "intensity");
	pv->keywords = json_object_get(cl, "keywords");
}

/* 1 if s equals one of the strings of the JSON array list. */
static int list_has(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (str_eq(json_string_value(v), s))
			return 1;
	return 0;
}

/* ---- `when` tests: one row each ---- */

enum arg_kind { ARG_LIST, ARG_BOOL, ARG_COUNT, ARG_PERCENT };

struct when_test {
	const char *name;
	enum arg_kind arg;
	int (*item_ok)(const char *s); /* ARG_LIST: which strings may appear */
	const char *wants;             /* what a value (or list item) must be */
	int (*holds)(json_t *arg, const struct pview *pv);
};

static int category_ok(const char *s) { return vocab_category_index(s) >= 0; }
static int risk_ok(const char *s) { return in_list(risks, s); }
static int channel_ok(const char *s) { return vocab_channel_known(s); }
static int nonempty_ok(const char *s) { return *s != '\0'; }

static int holds_category(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->category);
}

static int holds_risk(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->risk);
}

static int holds_channel(json_t *arg, const struct pview *pv)
{
	return list_has(arg, pv->channel);
}

static int holds_region_prefix(json_t *arg, const struct pview *pv)
{
	size_t i;
	json_t *v;

	if (!pv->region)
		return 0;
	json_array_foreach(arg, i, v) {
		const char *p = json_string_value(v);

		if (p && strncmp(pv->region, p, strlen(p)) == 0)
			return 1;
	}
	return 0;
}

static int holds_collective(json_t *arg, const struct pview *pv)
{
	return json_is_boolean(pv->collective) &&
	       json_is_true(pv->collective) == json_is_true(arg);
}

static int at_least(json_t *v, json_t *min)
{
	return json_is_number(v) && json_number_value(v) >= json_number_value(min);
}

static int holds_repeat_min(json_t *arg, const struct pview *pv)
{
	return at_least(pv->repeat, arg);
}

static int holds_intensity_min(json_t *arg, const struct pview *pv)
{
	return at_least(pv->intensity, arg);
}

static int holds_keywords_any(json_t *arg, const struct pview *pv)
{
	size_t i;
	json_t *v;

	json_array_foreach(arg, i, v) {
		const char *k = json_string_value(v);

		if (!k || !*k)
			continue;
		if ((pv->subject && strstr(pv->subject, k)) ||
		    (pv->content && strstr(pv->content, k)) ||
		    list_has(pv->keywords, k))
			return 1;
	}
	return 0;
}

static const struct when_test when_tests[] = {
	{ "category", ARG_LIST, category_ok, "a category code", holds_category },
	{ "region_prefix", ARG_LIST, region_prefix_valid,
	  "a division-code prefix (2, 4, 6, 9 or 12 digits)", holds_region_prefix },
	{ "risk", ARG_LIST, risk_ok, "A, B or C", holds_risk },
	{ "channel", ARG_LIST, channel_ok,
	  "a channel (hotline, web, app, grid, walk_in, letter, e_station)", holds_channel },
	{ "collective", ARG_BOOL, NULL, "true or false", holds_collective },
	{ "repeat_min", ARG_COUNT, NULL, "a whole number >= 0", holds_repeat_min },
	{ "intensity_min", ARG_PERCENT, NULL, "a number from 0 to 100", holds_intensity_min },
	{ "keywords_any", ARG_LIST, nonempty_ok, "a non-empty string", holds_keywords_any },
};

static const struct when_test *when_test_find(const char *name)
{
	for (size_t i = 0; i < NELEM(when_tests); i++)
		if (str_eq(when_tests[i].name, name))
			return &when_tests[i];
	return NULL;
}

/* NULL if every test of r holds for the petition, else the first that does not. */
static const char *rule_fails(const struct rules_rule *r, const struct pview *pv)
{
	for (size_t i = 0; i < NELEM(when_tests); i++) {
		json_t *arg = json_object_get(r->when, when_tests[i].name);

		if (arg && !when_tests[i].holds(arg, pv))
			return when_tests[i].name;
	}
	return NULL;
}

/* ---- parsing: every problem is reported, then the set is refused ---- */

struct pctx {
	struct sbuf *err;  /* caller's, may be NULL */
	struct sbuf who;   /* the item at fault, e.g. `rule "labor": ` */
	int nerr;
	int catch_all;     /* a rule without tests was seen */
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
 * The non-empty string obj.key. NULL if absent or null (reported if
 * required) or if not a non-empty string (reported).
 */
static const char *get_str(struct pctx *pc, json_t *obj, const char *path,
			   const char *key, int required)
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
static void get_long(struct pctx *pc, json_t *obj, const char *key, long lo,
		     long hi, int required, long *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			sbuf_addf(perr(pc), "%s is missing", key);
		return;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		sbuf_addf(perr(pc), "%s is not a whole number from %ld to %ld",
			  key, lo, hi);
		return;
	}
	*out = (long)json_integer_value(v);
}

static int topic_safe(const char *code)
{
	size_t n = strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789._-");

	return n > 0 && n <= RULES_CODE_MAX && code[n] == '\0';
}

const struct rules_dept *rules_dept_find(const struct rules_set *rs,
					 const char *code)
{
	if (!rs)
		return NULL;
	for (size_t i = 0; i < rs->ndepts; i++)
		if (str_eq(rs->depts[i].code, code))
			return &rs->depts[i];
	return NULL;
}

static void check_dept_code(struct pctx *pc, const struct rules_set *rs,
			    const struct rules_dept *d)
{
	const struct rules_dept *dup = rules_dept_find(rs, d->code);

	if (!d->code)
		return;
	if (!topic_safe(d->code))
		sbuf_addf(perr(pc), "code \"%s\" is not usable in a Kafka topic name "
			  "(only a-z, 0-9, '.', '_', '-'; at most %d)",
			  d->code, RULES_CODE_MAX);
	if (dup)
		sbuf_addf(perr(pc), "code \"%s\" is used twice (departments #%zu and #%zu)",
			  d->code, (size_t)(dup - rs->depts) + 1, rs->ndepts + 1);
	if (d->webhook && strncmp(d->webhook, "http://", 7) &&
	    strncmp(d->webhook, "https://", 8))
		sbuf_addf(perr(pc), "webhook \"%s\" is not an http or https URL",
			  d->webhook);
}

static void check_dept_region(struct pctx *pc, const struct rules_dept *d)
{
	size_t digits = level_digits(d->level);

	if (d->level && !digits)
		sbuf_addf(perr(pc), "level \"%s\" is not province, city, county, "
			  "township or village", d->level);
	if (!d->region)
		return;
	if (!region_prefix_valid(d->region)) {
		sbuf_addf(perr(pc), "region \"%s\" is not a division-code prefix "
			  "(2, 4, 6, 9 or 12 digits of a real province)", d->region);
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

	set_who(pc, "department", json_string_value(json_object_get(jd, "code")),
		rs->ndepts);
	if (!json_is_object(jd)) {
		sbuf_adds(perr(pc), "is not an object");
		return;
	}
	d->code = get_str(pc, jd, "", "code", 1);
	d->name = get_str(pc, jd, "", "name", 1);
	d->region = get_str(pc, jd, "", "region", 1);
	d->level = get_str(pc, jd, "", "level", 1);
	d->kind = get_str(pc, jd, "", "kind", 1);
	get_long(pc, jd, "capacity", 0, INT_MAX, 0, &d->capacity);
	d->webhook = get_str(pc, jd, "", "webhook", 0);
	check_dept_code(pc, rs, d);
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
	json_array_foreach(arr, i, jd) {
		parse_dept(pc, rs, jd);
		rs->ndepts++;
	}
}

static int kind_level_known(const struct rules_set *rs, const char *kind,
			    const char *level)
{
	for (size_t i = 0; i < rs->ndepts; i++)
		if (str_eq(rs->depts[i].kind, kind) &&
		    (!level || str_eq(rs->depts[i].level, level)))
			return 1;
	return 0;
}

static void check_target(struct pctx *pc, const struct rules_set *rs,
			 const char *field, const struct rules_target *t)
{
	int forms = !!t->department + !!(t->kind || t->level) + t->triage +
		    !!t->ncandidates;

	if (forms > 1)
		sbuf_addf(perr(pc), "%s gives more than one of department, kind and "
			  "level, candidates, triage: give one", field);
	else if (t->department && !rules_dept_find(rs, t->department))
		sbuf_addf(perr(pc), "%s.department \"%s\" names no department",
			  field, t->department);
	else if (t->department || t->triage || t->ncandidates)
		return;
	else if (!t->kind || !t->level)
		sbuf_addf(perr(pc), "%s needs a department, or a kind and a level", field);
	else if (!level_digits(t->level))
		sbuf_addf(perr(pc), "%s.level \"%s\" is not province, city, county, "
			  "township or village", field, t->level);
	else if (!kind_level_known(rs, t->kind, NULL))
		sbuf_addf(perr(pc), "%s.kind \"%s\" names no department kind",
			  field, t->kind);
	else if (!kind_level_known(rs, t->kind, t->level))
		sbuf_addf(perr(pc), "%s: no department of kind \"%s\" is at level \"%s\"",
			  field, t->kind, t->level);
}

/* Reads {"triage": true} of an assign, named field. */
static void get_triage(struct pctx *pc, json_t *jt, const char *field,
		       struct rules_target *t)
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
	json_array_foreach(arr, i, v) {
		const char *code = json_string_value(v);

		if (!code)
			sbuf_addf(perr(pc), "%s.candidates[%zu] is not a string", field, i);
		else if (!rules_dept_find(rs, code))
			sbuf_addf(perr(pc), "%s.candidates \"%s\" names no department",
				  field, code);
		else if (str_in(t->candidates, t->ncandidates, code))
			sbuf_addf(perr(pc), "%s.candidates lists \"%s\" twice", field, code);
		else
			t->candidates[t->ncandidates++] = code;
	}
}

/* Parses an assign or triage object jt, named field ("assign", "triage"). */
static void parse_target(struct pctx *pc, const struct rules_set *rs, json_t *jt,
			 const char *field, struct rules_target *t)
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
	json_array_foreach(arg, i, v) {
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
	for (size_t i = 0; i < NELEM(when_tests); i++)
		sbuf_addf(err, "%s%s", i ? ", " : "", when_tests[i].name);
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
	json_object_foreach(when, name, arg) {
		const struct when_test *t = when_test_find(name);

		if (t)
			check_arg(pc, t, arg);
		else
			report_unknown_test(pc, name);
	}
	r->when = when;
}

static void parse_co(struct pctx *pc, const struct rules_set *rs, json_t *arr,
		     struct rules_rule *r)
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
	json_array_foreach(arr, i, v) {
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
	set_who(pc, "rule", json_string_value(json_object_get(jr, "id")), rs->nrules);
	if (!json_is_object(jr)) {
		sbuf_adds(perr(pc), "is not an object");
		return;
	}
	r->id = get_str(pc, jr, "", "id", 1);
	dup = rule_find(rs, r->id);
	if (dup)
		sbuf_addf(perr(pc), "id \"%s\" is used twice (rules #%zu and #%zu)",
			  r->id, (size_t)(dup - rs->rules) + 1, rs->nrules + 1);
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
	json_array_foreach(arr, i, jr) {
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
	json_decref(rs->doc);
	free(rs);
}

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

struct dctx {                  /* one decision in the making */
	const struct rules_set *rs;
	const struct rules_options *opt;
	json_t *petition;
	struct pview pv;
	json_t *considered;
	json_t *choice;            /* the chooser's explain for the winner */
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
		sbuf_addf(why, "no %s department at %s level covers region %s",
			  t->kind, t->level, region);
	free(c);
	return best;
}

static const struct rules_dept *try_rule(struct dctx *dc, const struct rules_rule *r)
{
	const char *failed = rule_fails(r, &dc->pv);
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
static void candidate_insert(const struct rules_dept **c, size_t *n,
			     const struct rules_dept *d, const char *region)
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
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:b}",
			"department", c[i]->code, "region", c[i]->region,
			"level", c[i]->level,
			"score", (json_int_t)common_prefix(c[i]->region, region),
			"covers", covers(c[i], region)));
	return arr;
}

static json_t *matched_json(const struct rules_rule *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; r && i < NELEM(when_tests); i++)
		if (json_object_get(r->when, when_tests[i].name))
			json_array_append_new(arr, json_string(when_tests[i].name));
	return arr;
}

static json_t *explain_build(const struct dctx *dc, const struct rules_rule *r,
			     const struct rules_dept *lead)
{
	const struct rules_set *rs = dc->rs;
	int triage = !r || r->assign.triage;
	json_t *ex = json_object();

	json_object_set_new(ex, "version", json_string(rs->version));
	json_object_set_new(ex, "rule", r ? json_pack("{s:s, s:I, s:s}", "id", r->id,
		"priority", (json_int_t)r->priority, "version", rs->version) : json_null());
	json_object_set_new(ex, "matched", matched_json(r));
	json_object_set(ex, "considered", dc->considered);
	json_object_set_new(ex, "candidates", candidates_json(rs,
		triage ? &rs->triage : &r->assign, lead, dc->pv.region));
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

int rules_decide(const struct rules_set *rs, json_t *petition,
		 struct rules_decision *out, struct sbuf *err)
{
	return rules_decide_opt(rs, petition, NULL, out, err);
}

int rules_decide_opt(const struct rules_set *rs, json_t *petition,
		     const struct rules_options *opt, struct rules_decision *out,
		     struct sbuf *err)
{
	struct dctx dc = { rs, opt, petition, { 0 }, NULL, NULL, SBUF_INIT };
	const struct rules_rule *r = NULL;
	const struct rules_dept *lead = NULL;

	memset(out, 0, sizeof *out);
	if (!rs || !json_is_object(petition)) {
		sbuf_adds(err, rs ? "petition is not a JSON object" : "no rule set");
		return -1;
	}
	pview_init(&dc.pv, petition);
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
