/*
 * test_scale.c - scale-out on the real broker and PostgreSQL: two instances
 * of each daemon in their groups (topics of 4 partitions); one of each is
 * killed with kill -9 while events are in flight, the survivors take its
 * partitions over, it is restarted and takes its share back. Then every
 * valid event has exactly one case and one lead assignment (in the tables;
 * on the topics only byte-identical redeliveries), every malformed one one
 * dead letter with its code, the audit chains verify, and nothing is
 * dead-lettered as processing_failed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tharness.h"
#include "util.h"

#define NEVENTS 3000
#define PART (NEVENTS / 3)

static const struct group {
	enum e2e_daemon d;
	const char *suffix, *topic;   /* the group and its main input */
} groups[] = {
	{ E2E_INTAKE, "intake", "hotline.events" },
	{ E2E_CLASSIFY, "classify", "petition.received" },
	{ E2E_DISPATCH, "dispatch", "petition.classified" },
};
#define NGROUPS (sizeof groups / sizeof groups[0])

/* 1 when every group has *arg members, each holding partitions of its input. */
static int groups_are(struct e2e *t, void *arg)
{
	int want = *(int *)arg, assigned;

	for (size_t g = 0; g < NGROUPS; g++)
		if (e2e_group_members(t, groups[g].suffix, groups[g].topic, &assigned) != want ||
		    assigned != want)
			return 0;
	return 1;
}

static int cases_at_least(struct e2e *t, void *arg)
{
	return e2e_sql_long(t, "SELECT count(*) FROM cases") >= *(long *)arg;
}

static const char *jstr(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct keys of the collected messages on topic (prefix with '*') whose field is value. */
static size_t distinct_keys(struct e2e *t, const char *topic, const char *field,
			    const char *value)
{
	const char **keys = malloc((t->nmsgs + 1) * sizeof *keys);
	size_t n = 0, len = strlen(topic), d = 0;
	int prefix = topic[len - 1] == '*';

	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];

		if ((prefix ? !strncmp(m->topic, topic, len - 1) : !strcmp(m->topic, topic)) &&
		    (!field || !strcmp(jstr(m->json, field), value)))
			keys[n++] = m->key;
	}
	qsort(keys, n, sizeof *keys, cmp_str);
	for (size_t i = 0; i < n; i++)
		d += !i || strcmp(keys[i], keys[i - 1]);
	free(keys);
	return d;
}

static int publish(struct e2e *t, const struct gen_event *ev, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (e2e_produce(t, ev[i].key, ev[i].bytes, ev[i].len))
			return -1;
	return e2e_flush(t);
}

/* Messages the daemon on port consumed from topic, by its /metrics (-1: unreachable). */
static double consumed(int port, const char *topic)
{
	struct sbuf body = SBUF_INIT, name = SBUF_INIT;
	double v = -1;
	const char *p;

	sbuf_addf(&name, "\nxf_messages_in_total{topic=\"%s\"} ", topic);
	if (e2e_http_get(port, "/metrics", &body) == 200)
		v = (p = strstr(body.buf, name.buf)) ? atof(p + name.len) : 0;
	sbuf_release(&body);
	sbuf_release(&name);
	return v;
}

/* Starts instance 1 of every daemon, each on a fresh HTTP port (in ports). */
static void start_second(struct e2e *t, int *ports)
{
	char addr[32];

	for (size_t g = 0; g < NGROUPS; g++) {
		ports[g] = e2e_free_port();
		snprintf(addr, sizeof addr, "127.0.0.1:%d", ports[g]);
		T_CHECK(e2e_start_instance(t, groups[g].d, 1, addr) == 0);
	}
}

static void kill_second(struct e2e *t)
{
	for (size_t g = 0; g < NGROUPS; g++)
		e2e_kill_instance(t, groups[g].d, 1, SIGKILL);
	for (size_t g = 0; g < NGROUPS; g++)
		while (e2e_alive_instance(t, groups[g].d, 1))
			usleep(10000);
}

struct receipt {
	const char *key, *case_id;
};

static int cmp_receipt(const void *a, const void *b)
{
	const struct receipt *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/*
 * Every valid event has accepted receipts that all name one case id
 * (redeliveries repeat it), and every case one lead assignment (on the
 * topics, redeliveries of it byte for byte: check_run).
 */
static void check_one_case_each(struct e2e *t, const struct check_run *run)
{
	struct receipt *r = malloc((t->nmsgs + 1) * sizeof *r);
	size_t n = 0, distinct = 0, bad = 0;

	for (size_t k = 0; k < t->nmsgs; k++)
		if (!strcmp(t->msgs[k].topic, "petition.receipts") &&
		    !strcmp(jstr(t->msgs[k].json, "status"), "accepted"))
			r[n++] = (struct receipt){ t->msgs[k].key, jstr(t->msgs[k].json, "case_id") };
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

/* Dead letters: only for malformed events, each with its code and bytes; none processing_failed. */
static void check_dead_letters(struct e2e *t, const struct check_run *run)
{
	size_t wrong = 0, failed = 0, nbad = 0;

	for (size_t i = 0; i < run->n; i++)
		nbad += run->ev[i].kind == GEN_BAD;
	for (size_t k = 0; k < t->nmsgs; k++) {
		const struct e2e_msg *m = &t->msgs[k];
		const struct gen_event *e = NULL;

		if (strcmp(m->topic, "petition.dlq"))
			continue;
		failed += m->error_code && !strcmp(m->error_code, "processing_failed");
		for (size_t i = 0; i < run->n && !e; i++)
			if (run->ev[i].kind == GEN_BAD && !strcmp(run->ev[i].key, m->key))
				e = &run->ev[i];
		if (!e || !m->error_code || strcmp(m->error_code, e->bad_code) ||
		    !check_dlq_bytes(m, e))
			if (wrong++ < 5)
				fprintf(stderr, "    dead letter %s (%s) is not one expected\n",
					m->key, m->error_code ? m->error_code : "no code");
	}
	T_INTEQ(failed, 0);
	T_INTEQ(wrong, 0);
	T_INTEQ(distinct_keys(t, "petition.dlq", NULL, NULL), nbad);
}

static void check_tables(struct e2e *t, const struct check_run *run)
{
	const char *verify[] = { "audit", "verify", NULL };
	struct sbuf out = SBUF_INIT, want = SBUF_INIT;

	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM intake_keys"), run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM intake_keys k JOIN cases c"
			     " ON c.case_id = k.case_id AND c.external_id = k.external_id"),
		run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(DISTINCT external_id) FROM cases"), run->nvalid);
	T_INTEQ(e2e_sql_long(t, "SELECT count(DISTINCT case_id) FROM assignments"
			     " WHERE role = 'lead'"), run->nvalid);
	T_INTEQ(e2e_xfctl(t, &out, verify), 0);
	sbuf_addf(&want, "%zu cases checked, 0 broken", run->nvalid);
	if (!T_CHECK(strstr(out.buf, want.buf) != NULL))
		fprintf(stderr, "    xfctl audit verify: %s\n", out.buf);
	sbuf_release(&out);
	sbuf_release(&want);
}

static void t_scale(void)
{
	struct check_run run = { NULL, NEVENTS, 0 };
	int ports[NGROUPS], two = 2, one = 1;
	long mark = PART / 4;
	double t0 = now_ms(), at[5];
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "scale") == 0))
		return;
	setenv("XF_BATCH_MAX", "50", 1); /* many batches in flight when the kills land */
	run.ev = gen_events("scale", run.n, 1, 1);
	for (size_t i = 0; i < run.n; i++)
		run.nvalid += run.ev[i].kind == GEN_VALID;
	for (size_t g = 0; g < NGROUPS; g++)
		T_CHECK(e2e_start(&t, groups[g].d) == 0);
	start_second(&t, ports);
	T_CHECK(e2e_collect_until(&t, groups_are, &two, 60));
	at[0] = now_ms();

	/* a third in flight, then one instance of each daemon dies */
	T_CHECK(publish(&t, run.ev, 0, PART) == 0);
	T_CHECK(e2e_collect_until(&t, cases_at_least, &mark, 120));
	kill_second(&t);
	at[1] = now_ms();
	/* the survivors take the dead ones' partitions over, with work to do */
	T_CHECK(publish(&t, run.ev, PART, 2 * PART) == 0);
	T_CHECK(e2e_collect_until(&t, groups_are, &one, 60));
	at[2] = now_ms();
	/* the dead ones come back and take their share again */
	start_second(&t, ports);
	T_CHECK(e2e_collect_until(&t, groups_are, &two, 60));
	at[3] = now_ms();
	T_CHECK(publish(&t, run.ev, 2 * PART, run.n) == 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	at[4] = now_ms();
	e2e_collect(&t, 2000); /* anything extra would show here */

	check_run(&t, &run, 1);
	check_one_case_each(&t, &run);
	check_dead_letters(&t, &run);
	check_tables(&t, &run);
	for (size_t g = 0; g < NGROUPS; g++)
		if (!T_CHECK(consumed(ports[g], groups[g].topic) > 0))
			fprintf(stderr, "    restarted %s consumed nothing\n", groups[g].suffix);
	for (size_t g = 0; g < NGROUPS; g++)
		for (int k = 0; k < E2E_NINST; k++)
			T_INTEQ(e2e_stop_instance(&t, groups[g].d, k), 0);
	printf("    scale: %zu events, %zu valid, %zu messages collected; seconds to:"
	       " groups of two %.1f, kill %.1f, take-over %.1f, rejoin %.1f, all done %.1f\n",
	       run.n, run.nvalid, t.nmsgs, (at[0] - t0) / 1000, (at[1] - t0) / 1000,
	       (at[2] - t0) / 1000, (at[3] - t0) / 1000, (at[4] - t0) / 1000);
	unsetenv("XF_BATCH_MAX");
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

T_SUITE(e2e_scale, { "two_instances_kill_9_and_restart", t_scale })
