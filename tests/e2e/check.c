/* check.c - see check.h. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlq.h"
#include "embed.h"
#include "jschema.h"
#include "tharness.h"
#include "util.h"

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* One collected output, as check_complete looks it up: (topic kind, key, status). */
struct out_ref {
	char kind;              /* 'r' receipt, 'l' lead assignment, 'q' dead letter */
	const char *key, *status, *case_id;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct out_ref *x = a, *y = b;
	int c = x->kind - y->kind;

	c = c ? c : strcmp(x->key, y->key);
	return c ? c : strcmp(x->status, y->status);
}

/* The collected receipts, lead assignments and dead letters, sorted (*n of them). */
static struct out_ref *refs_of(struct e2e *t, size_t *n)
{
	struct out_ref *r = malloc((t->nmsgs + 1) * sizeof *r);
	const char *s;

	*n = 0;
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];
		struct out_ref o = { 0, m->key, "", "" };

		if (!strcmp(m->topic, "petition.receipts") && (s = jstr(m->json, "status")))
			o.kind = 'r', o.status = s;
		else if (!strncmp(m->topic, "assignments.", 12) &&
			 (s = jstr(m->json, "role")) && !strcmp(s, "lead"))
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

static const struct out_ref *ref_find(const struct out_ref *r, size_t n, char kind,
				      const char *key, const char *status)
{
	struct out_ref want = { kind, key, status, NULL };

	return bsearch(&want, r, n, sizeof *r, cmp_ref);
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

/* Finds the receipts and dead letters of event e. */
static void seen_of(struct e2e *t, const struct gen_event *e, struct check_seen *s)
{
	char key[128];

	memset(s, 0, sizeof *s);
	snprintf(key, sizeof key, "t12345/%s", e->external_id);
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];
		const char *status = jstr(m->json, "status");

		if (!strcmp(m->topic, "petition.dlq") && !strcmp(m->key, e->key)) {
			s->dlq++;
			s->dlq_msg = m;
		}
		if (strcmp(m->topic, "petition.receipts") || strcmp(m->key, key) || !status)
			continue;
		if (!strcmp(status, "accepted") && ++s->accepted == 1)
			s->case_id = jstr(m->json, "case_id");
		if (!strcmp(status, "duplicate") && ++s->duplicate == 1)
			s->dup_case_id = jstr(m->json, "case_id");
		s->rejected += !strcmp(status, "rejected");
	}
}

/* The lead assignments of case_id: count, and whether all are identical. */
static int leads_of(struct e2e *t, const char *case_id, const struct e2e_msg **first,
		    int *identical)
{
	int n = 0;

	*identical = 1;
	*first = NULL;
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];

		if (strncmp(m->topic, "assignments.", 12) || strcmp(m->key, case_id) ||
		    strcmp(jstr(m->json, "role") ? jstr(m->json, "role") : "", "lead"))
			continue;
		if (*first && strcmp((*first)->value, m->value))
			*identical = 0;
		if (!*first)
			*first = m;
		n++;
	}
	return n;
}

static void check_valid(struct e2e *t, const struct gen_event *e, const struct check_seen *s,
			int allow_redelivery)
{
	const struct e2e_msg *a;
	char topic[96];
	int identical, n;

	if (!T_CHECK(s->accepted >= 1 && s->case_id) ||
	    !T_CHECK(allow_redelivery || s->accepted == 1)) {
		fprintf(stderr, "    event %s: %d accepted receipts\n", e->external_id, s->accepted);
		return;
	}
	n = leads_of(t, s->case_id, &a, &identical);
	if (!T_CHECK(n >= 1) || !T_CHECK(identical) || !T_CHECK(allow_redelivery || n == 1)) {
		fprintf(stderr, "    case %s: %d lead assignments, identical %d\n", s->case_id,
			n, identical);
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
	size_t rejected = 0, nbad = 0;

	for (size_t i = 0; i < run->n; i++)
		seen_of(t, &run->ev[i], &seen[i]);
	for (size_t i = 0; i < run->n; i++) {
		const struct gen_event *e = &run->ev[i];

		if (e->kind == GEN_VALID)
			check_valid(t, e, &seen[i], allow_redelivery);
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
}

/* The embedded JSON schemas, loaded once. */
static struct jschema_set *schemas(void)
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
	static const struct { const char *topic, *schema; } map[] = {
		{ "petition.receipts", "xf.receipt.v1" },
		{ "petition.classified", "xf.petition.v1" },
		{ "case.events", "xf.case_event.v1" },
		{ "assignments.", "xf.assignment.v1" },
	};

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

		/* a department's topic also carries the events that concern it */
		if (name && own && !strcmp(own, "xf.case_event.v1") &&
		    !strncmp(t->msgs[i].topic, "assignments.", 12))
			name = own;

		if (!name)
			continue;
		checked++;
		if (!t->msgs[i].json ||
		    jschema_validate(schemas(), name, t->msgs[i].json, &err)) {
			if (bad++ < 5)
				fprintf(stderr, "    %s message against %s: %s\n",
					t->msgs[i].topic, name, err.buf);
		}
		sbuf_release(&err);
	}
	T_CHECK(checked > 0);
	T_INTEQ(bad, 0);
}
