/* check.c - see check.h. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlq.h"
#include "embed.h"
#include "jschema.h"
#include "querycode.h"
#include "tharness.h"
#include "util.h"

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* One collected output, as the checks look it up: (topic kind, key, status). */
struct out_ref {
	char kind; /* 'r' receipt, 'l' lead assignment, 'q' dead letter */
	const char *key, *status, *case_id;
	const struct e2e_msg *m; /* the message; refs of one (kind, key, status) in its order */
};

/* Orders by (kind, key, status) only: a lookup finds a whole run of equal refs. */
static int cmp_lookup(const void *a, const void *b)
{
	const struct out_ref *x = a, *y = b;
	int c = x->kind - y->kind;

	c = c ? c : strcmp(x->key, y->key);
	return c ? c : strcmp(x->status, y->status);
}

/* The same, then by the order the messages were collected in. */
static int cmp_ref(const void *a, const void *b)
{
	const struct out_ref *x = a, *y = b;
	int c = cmp_lookup(a, b);

	return c ? c : (x->m > y->m) - (x->m < y->m);
}

/* The collected receipts, lead assignments and dead letters, sorted (*n of them). */
static struct out_ref *refs_of(struct e2e *t, size_t *n)
{
	struct out_ref *r = malloc((t->nmsgs + 1) * sizeof *r);
	const char *s;

	*n = 0;
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];
		struct out_ref o = { 0, m->key, "", "", m };

		if (!strcmp(m->topic, "petition.receipts") && (s = jstr(m->json, "status")))
			o.kind = 'r', o.status = s;
		else if (!strncmp(m->topic, "assignments.", 12) && (s = jstr(m->json, "role")) &&
			 !strcmp(s, "lead"))
			o.kind = 'l';
		else if (!strcmp(m->topic, "petition.dlq"))
			o.kind = 'q';
		o.case_id = jstr(m->json, "case_id") ? jstr(m->json, "case_id") : "";
		if (o.kind)
			r[(*n)++] = o;
	}
	qsort(r, *n, sizeof *r, cmp_ref);
	return r;
}

/* The first of the refs (kind, key, status) in r, their number in *count (NULL, 0: none). */
static const struct out_ref *ref_range(const struct out_ref *r, size_t n, char kind,
				       const char *key, const char *status, size_t *count)
{
	struct out_ref want = { kind, key, status, NULL, NULL };
	size_t lo = 0, hi = n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_lookup(&r[mid], &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n && !cmp_lookup(&r[end], &want); end++)
		;
	*count = end - lo;
	return end > lo ? &r[lo] : NULL;
}

static const struct out_ref *ref_find(const struct out_ref *r, size_t n, char kind, const char *key,
				      const char *status)
{
	size_t count;

	return ref_range(r, n, kind, key, status, &count);
}

/* 1 when event e of the run has every output it must have among r. */
static int event_done(const struct out_ref *r, size_t n, const struct gen_event *e)
{
	const struct out_ref *a;
	char key[128];

	snprintf(key, sizeof key, "t12345/%s", e->external_id);
	if (e->kind == GEN_BAD)
		return ref_find(r, n, 'q', e->key, "") != NULL;
	if (e->kind == GEN_DUP)
		return ref_find(r, n, 'r', key, "duplicate") != NULL;
	a = ref_find(r, n, 'r', key, "accepted");
	return a && ref_find(r, n, 'l', a->case_id, "") != NULL;
}

/*
 * Complete when each event of the run has its own outputs: counting
 * messages would be fooled by redeliveries (after a crash) and by the
 * outputs of an earlier run in the same test.
 */
int check_complete(struct e2e *t, void *arg)
{
	const struct check_run *run = arg;
	size_t n, i, nbad = 0, rejected = 0;
	struct out_ref *r = refs_of(t, &n);

	for (i = 0; i < run->n && event_done(r, n, &run->ev[i]); i++)
		nbad += run->ev[i].kind == GEN_BAD;
	for (size_t k = 0; k < n; k++)
		rejected += r[k].kind == 'r' && !strcmp(r[k].status, "rejected");
	free(r);
	return i == run->n && rejected >= nbad;
}

/* Finds the receipts and dead letters of event e among the sorted refs r. */
static void seen_of(const struct out_ref *r, size_t n, const struct gen_event *e,
		    struct check_seen *s)
{
	const struct out_ref *f;
	size_t count;
	char key[128];

	memset(s, 0, sizeof *s);
	snprintf(key, sizeof key, "t12345/%s", e->external_id);
	if ((f = ref_range(r, n, 'q', e->key, "", &count))) {
		s->dlq = (int)count;
		s->dlq_msg = f[count - 1].m;
	}
	if ((f = ref_range(r, n, 'r', key, "accepted", &count))) {
		s->accepted = (int)count;
		s->case_id = jstr(f->m->json, "case_id");
	}
	if ((f = ref_range(r, n, 'r', key, "duplicate", &count))) {
		s->duplicate = (int)count;
		s->dup_case_id = jstr(f->m->json, "case_id");
	}
	ref_range(r, n, 'r', key, "rejected", &count);
	s->rejected = (int)count;
}

/* The lead assignments of case_id: count, and whether all are identical. */
static int leads_of(const struct out_ref *r, size_t n, const char *case_id,
		    const struct e2e_msg **first, int *identical)
{
	const struct out_ref *f = ref_range(r, n, 'l', case_id, "", &n);

	*identical = 1;
	*first = f ? f->m : NULL;
	for (size_t i = 1; i < n; i++)
		if (strcmp(f[i].m->value, f->m->value))
			*identical = 0;
	return (int)n;
}

static void check_valid(const struct out_ref *r, size_t nr, const struct gen_event *e,
			const struct check_seen *s, int allow_redelivery)
{
	const struct e2e_msg *a;
	char topic[96];
	int identical, n;

	if (!T_CHECK(s->accepted >= 1 && s->case_id) ||
	    !T_CHECK(allow_redelivery || s->accepted == 1)) {
		fprintf(stderr, "    event %s: %d accepted receipts\n", e->external_id,
			s->accepted);
		return;
	}
	n = leads_of(r, nr, s->case_id, &a, &identical);
	if (!T_CHECK(n >= 1) || !T_CHECK(identical) || !T_CHECK(allow_redelivery || n == 1)) {
		fprintf(stderr, "    case %s: %d lead assignments, identical %d\n", s->case_id, n,
			identical);
		return;
	}
	snprintf(topic, sizeof topic, "assignments.%s", e->department ? e->department : "");
	if ((e->department && !T_STREQ(a->topic, topic)) ||
	    !T_STREQ(jstr(a->json, "category"), e->category))
		fprintf(stderr, "    event %s (case %s)\n", e->external_id, s->case_id);
}

int check_dlq_bytes(const struct e2e_msg *m, const struct gen_event *e)
{
	char *bytes, *sha, *cut, want[65];
	int ok;

	if (e->len <= DLQ_VALUE_MAX)
		return m->len == e->len && !memcmp(m->value, e->bytes, e->len);
	bytes = e2e_header(m, "xf-original-bytes");
	sha = e2e_header(m, "xf-original-sha256");
	cut = e2e_header(m, "xf-truncated");
	sha256_hex(e->bytes, e->len, want);
	ok = m->len == DLQ_VALUE_MAX && !memcmp(m->value, e->bytes, m->len) && bytes &&
	     strtoul(bytes, NULL, 10) == e->len && sha && !strcmp(sha, want) && cut &&
	     !strcmp(cut, "true");
	free(bytes);
	free(sha);
	free(cut);
	return ok;
}

static void check_bad(const struct gen_event *e, const struct check_seen *s)
{
	const struct e2e_msg *m = s->dlq_msg;

	if (!T_CHECK(s->dlq >= 1 && m)) {
		fprintf(stderr, "    %s (%s) not dead-lettered\n", e->key, e->bad_code);
		return;
	}
	T_STREQ(m->error_code, e->bad_code);
	T_CHECK(check_dlq_bytes(m, e));
}

void check_run(struct e2e *t, const struct check_run *run, int allow_redelivery)
{
	struct check_seen *seen = calloc(run->n, sizeof *seen);
	size_t rejected = 0, nbad = 0, nr;
	struct out_ref *r = refs_of(t, &nr);

	for (size_t i = 0; i < run->n; i++)
		seen_of(r, nr, &run->ev[i], &seen[i]);
	for (size_t i = 0; i < run->n; i++) {
		const struct gen_event *e = &run->ev[i];

		if (e->kind == GEN_VALID)
			check_valid(r, nr, e, &seen[i], allow_redelivery);
		else if (e->kind == GEN_DUP && T_CHECK(seen[i].duplicate >= 1))
			T_STREQ(seen[i].dup_case_id, seen[e->orig].case_id);
		else if (e->kind == GEN_BAD)
			check_bad(e, &seen[i]), nbad++;
	}
	for (size_t i = 0; i < t->nmsgs; i++)
		if (!strcmp(t->msgs[i].topic, "petition.receipts") &&
		    !strcmp(jstr(t->msgs[i].json, "status") ? jstr(t->msgs[i].json, "status") : "",
			    "rejected"))
			rejected++;
	T_CHECK(allow_redelivery ? rejected >= nbad : rejected == nbad);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM cases"), run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM assignments WHERE role = 'lead'"),
		run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM case_events"), 3 * run->nvalid);
	free(seen);
	free(r);
}

struct jschema_set *check_schema_set(void)
{
	static struct jschema_set *set;

	if (set)
		return set;
	set = jschema_set_new();
	for (size_t i = 0; i < embed_nfiles; i++)
		if (!strncmp(embed_files[i].path, "schemas/xf.", 11))
			jschema_add(set, embed_files[i].data, embed_files[i].len, NULL);
	return set;
}

static const char *schema_of(const char *topic)
{
	/* clang-format off */
	static const struct { const char *topic, *schema; } map[] = {
		{ "petition.receipts", "xf.receipt.v1" },
		{ "petition.classified", "xf.petition.v1" },
		{ "case.events", "xf.case_event.v1" },
		{ "petition.updates", "xf.petition_update.v1" },
		{ "assignments.", "xf.assignment.v1" },
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strncmp(topic, map[i].topic, strlen(map[i].topic)))
			return map[i].schema;
	return NULL;
}

void check_schemas(struct e2e *t)
{
	size_t checked = 0, bad = 0;

	for (size_t i = 0; i < t->nmsgs; i++) {
		const char *name = schema_of(t->msgs[i].topic);
		const char *own = json_string_value(json_object_get(t->msgs[i].json, "schema"));
		struct sbuf err = SBUF_INIT;

		/* a department's topic also carries the events that concern it, and the
		 * bureau's the month's escalations */
		if (name && own &&
		    (!strcmp(own, "xf.case_event.v1") || !strcmp(own, "xf.escalation.v1")) &&
		    !strncmp(t->msgs[i].topic, "assignments.", 12))
			name = own;

		if (!name)
			continue;
		checked++;
		if (!t->msgs[i].json ||
		    jschema_validate(check_schema_set(), name, t->msgs[i].json, &err)) {
			if (bad++ < 5)
				fprintf(stderr, "    %s message against %s: %s\n", t->msgs[i].topic,
					name, err.buf);
		}
		sbuf_release(&err);
	}
	T_CHECK(checked > 0);
	T_INTEQ(bad, 0);
}

/* A string member of j, "" when missing. */
static const char *jval(json_t *j, const char *key)
{
	const char *s = jstr(j, key);

	return s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct keys of the collected messages on topic (prefix with '*') whose field is value. */
static size_t distinct_keys(struct e2e *t, const char *topic, const char *field, const char *value)
{
	const char **keys = malloc((t->nmsgs + 1) * sizeof *keys);
	size_t n = 0, len = strlen(topic), d = 0;
	int prefix = topic[len - 1] == '*';

	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];

		if ((prefix ? !strncmp(m->topic, topic, len - 1) : !strcmp(m->topic, topic)) &&
		    (!field || !strcmp(jval(m->json, field), value)))
			keys[n++] = m->key;
	}
	qsort(keys, n, sizeof *keys, cmp_str);
	for (size_t i = 0; i < n; i++)
		d += !i || strcmp(keys[i], keys[i - 1]);
	free(keys);
	return d;
}

struct receipt {
	const char *key, *case_id;
};

static int cmp_receipt(const void *a, const void *b)
{
	const struct receipt *x = a, *y = b;

	return strcmp(x->key, y->key);
}

void check_one_case_each(struct e2e *t, const struct check_run *run)
{
	struct receipt *r = malloc((t->nmsgs + 1) * sizeof *r);
	size_t n = 0, distinct = 0, bad = 0;

	for (size_t k = 0; k < t->nmsgs; k++)
		if (!strcmp(t->msgs[k].topic, "petition.receipts") &&
		    !strcmp(jval(t->msgs[k].json, "status"), "accepted"))
			r[n++] = (struct receipt){ t->msgs[k].key,
						   jval(t->msgs[k].json, "case_id") };
	qsort(r, n, sizeof *r, cmp_receipt);
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(r[i].key, r[i - 1].key)) {
			distinct++;
			continue;
		}
		if (strcmp(r[i].case_id, r[i - 1].case_id) && bad++ < 5)
			fprintf(stderr, "    %s: cases %s and %s\n", r[i].key, r[i - 1].case_id,
				r[i].case_id);
	}
	T_INTEQ(bad, 0);
	T_INTEQ(distinct, run->nvalid);
	T_INTEQ(distinct_keys(t, "assignments.*", "role", "lead"), run->nvalid);
	free(r);
}

/* Dead letters by (key, source partition, source offset): copies of one sort together. */
static int cmp_dead(const void *a, const void *b)
{
	const struct e2e_msg *x = *(const struct e2e_msg *const *)a;
	const struct e2e_msg *y = *(const struct e2e_msg *const *)b;
	int c = strcmp(x->key, y->key);

	c = c ? c : (x->src_partition > y->src_partition) - (x->src_partition < y->src_partition);
	return c ? c : (x->src_offset > y->src_offset) - (x->src_offset < y->src_offset);
}

static int cmp_event_key(const void *a, const void *b)
{
	return strcmp((*(const struct gen_event *const *)a)->key,
		      (*(const struct gen_event *const *)b)->key);
}

/* The malformed events of run sorted by key (*n of them), for bsearch. */
static const struct gen_event **bad_events(const struct check_run *run, size_t *n)
{
	const struct gen_event **bad = malloc((run->n + 1) * sizeof *bad);

	*n = 0;
	for (size_t i = 0; i < run->n; i++)
		if (run->ev[i].kind == GEN_BAD)
			bad[(*n)++] = &run->ev[i];
	qsort(bad, *n, sizeof *bad, cmp_event_key);
	return bad;
}

/* 1 when dead letter m is the one expected for a malformed event of bad. */
static int dead_letter_expected(const struct e2e_msg *m, const struct gen_event **bad, size_t nbad)
{
	struct gen_event want, *wp = &want;
	const struct gen_event *const *e;

	snprintf(want.key, sizeof want.key, "%s", m->key);
	e = bsearch(&wp, bad, nbad, sizeof *bad, cmp_event_key);
	return e && m->error_code && !strcmp(m->error_code, (*e)->bad_code) &&
	       check_dlq_bytes(m, *e) && m->src_partition >= 0 && m->src_offset >= 0;
}

void check_dead_letters(struct e2e *t, const struct check_run *run, struct check_counts *c)
{
	const struct e2e_msg **dl = malloc((t->nmsgs + 1) * sizeof *dl);
	size_t nbad, n = 0, wrong = 0, failed = 0, distinct = 0;
	const struct gen_event **bad = bad_events(run, &nbad);

	for (size_t k = 0; k < t->nmsgs; k++)
		if (!strcmp(t->msgs[k].topic, "petition.dlq"))
			dl[n++] = &t->msgs[k];
	qsort(dl, n, sizeof *dl, cmp_dead);
	for (size_t k = 0; k < n; k++) {
		failed += dl[k]->error_code && !strcmp(dl[k]->error_code, "processing_failed");
		distinct += !k || cmp_dead(&dl[k], &dl[k - 1]);
		if (!dead_letter_expected(dl[k], bad, nbad) && wrong++ < 5)
			fprintf(stderr, "    dead letter %s (%s) is not one expected\n", dl[k]->key,
				dl[k]->error_code ? dl[k]->error_code : "no code");
	}
	T_INTEQ(failed, 0);
	T_INTEQ(wrong, 0);
	T_INTEQ(distinct_keys(t, "petition.dlq", NULL, NULL), nbad);
	T_INTEQ(distinct, nbad); /* each malformed event dead-lettered from one offset */
	if (c)
		*c = (struct check_counts){ n, distinct, failed };
	free(dl);
	free(bad);
}

void check_tables(struct e2e *t, const struct check_run *run)
{
	const char *verify[] = { "audit", "verify", NULL };
	struct sbuf out = SBUF_INIT, want = SBUF_INIT;

	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM intake_keys"), run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM intake_keys k JOIN cases c"
				" ON c.case_id = k.case_id AND c.external_id = k.external_id"),
		run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(DISTINCT external_id) FROM cases"), run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(DISTINCT case_id) FROM assignments"
				" WHERE role = 'lead'"),
		run->nvalid);
	T_INTEQ(e2e_xfctl(t, &out, verify), 0);
	sbuf_addf(&want, "%zu cases checked, 0 broken", run->nvalid);
	if (!T_CHECK(strstr(out.buf, want.buf) != NULL))
		fprintf(stderr, "    xfctl audit verify: %s\n", out.buf);
	sbuf_release(&out);
	sbuf_release(&want);
}

int check_publish(struct e2e *t, const struct gen_event *ev, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (e2e_produce(t, ev[i].key, ev[i].bytes, ev[i].len))
			return -1;
	return e2e_flush(t);
}

int check_cases_at_least(struct e2e *t, void *arg)
{
	return e2e_sql_long(t, "SELECT count(*) FROM cases") >= *(long *)arg;
}

/* key's string in j, "" when none. */
static const char *jtext(json_t *j, const char *key)
{
	const char *s = jstr(j, key);

	return s ? s : "";
}

/* How many of case_id's petition.updates were collected. */

static size_t updates_of(struct e2e *t, const char *case_id)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strcmp(t->msgs[i].topic, "petition.updates") &&
		     !strcmp(jtext(t->msgs[i].json, "case_id"), case_id);
	return n;
}

struct updates_want {
	const char *case_id;
	size_t n;
};

static int updates_seen(struct e2e *t, void *arg)
{
	struct updates_want *u = arg;

	return updates_of(t, u->case_id) >= u->n;
}

/* Every key of j, at any depth, is one of allowed (NULL-terminated). */
static int keys_only(json_t *j, const char *const *allowed)
{
	const char *k;
	json_t *v;
	size_t i;

	json_array_foreach(j, i, v)
	{
		if (!keys_only(v, allowed))
			return 0;
	}
	json_object_foreach(j, k, v)
	{
		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i] || !keys_only(v, allowed)) {
			fprintf(stderr, "    petition.updates: key %s\n", k);
			return 0;
		}
	}
	return 1;
}

/* 1 when none of personal (NULL-terminated) is in j's text. */
static int nothing_of(json_t *j, const char *const *personal)
{
	char *text = json_dumps(j, 0);
	int ok = text != NULL;

	for (size_t i = 0; ok && personal[i]; i++)
		if (strstr(text, personal[i])) {
			fprintf(stderr, "    personal data in petition.updates: %s\n", text);
			ok = 0;
		}
	free(text);
	return ok;
}

void check_updates(struct e2e *t, const char *case_id, const char *const *personal,
		   const char *statuses)
{
	static const char *const allowed[] = {
		"schema", "case_id",   "seq",         "status",     "at",
		"source", "system",    "external_id", "department", "code",
		"name",   "accept_by", "resolve_by",  "result",     "satisfaction",
		"text",   "followup",  "followups",   "due_by",     NULL
	};
	struct updates_want want = { case_id, 1 };
	struct sbuf got = SBUF_INIT;
	char code[QUERY_CODE_LEN + 1];
	int receipts = 0;

	for (const char *p = statuses; *p; p++)
		want.n += *p == ' ';
	T_CHECK(e2e_collect_until(t, updates_seen, &want, 60));
	e2e_collect(t, 500);
	query_code("xf-dev-query-key-change-me", case_id, code);
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];

		if (!strcmp(m->topic, "petition.receipts") &&
		    !strcmp(jtext(m->json, "case_id"), case_id)) {
			T_STREQ(jtext(m->json, "query_code"), code);
			receipts++;
		}
		if (strcmp(m->topic, "petition.updates") ||
		    strcmp(jtext(m->json, "case_id"), case_id))
			continue;
		sbuf_addf(&got, "%s%s", got.len ? " " : "", jtext(m->json, "status"));
		T_CHECK(keys_only(m->json, allowed));
		T_CHECK(m->key && !strncmp(m->key, "lc12345/", 8));
		T_CHECK(nothing_of(m->json, personal));
	}
	T_STREQ(got.buf ? got.buf : "", statuses);
	T_CHECK(receipts >= 1);
	sbuf_release(&got);
}
