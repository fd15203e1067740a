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
	const char *suffix, *topic; /* the group and its main input */
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
	T_CHECK(check_publish(&t, run.ev, 0, PART) == 0);
	T_CHECK(e2e_collect_until(&t, check_cases_at_least, &mark, 120));
	kill_second(&t);
	at[1] = now_ms();
	/* the survivors take the dead ones' partitions over, with work to do */
	T_CHECK(check_publish(&t, run.ev, PART, 2 * PART) == 0);
	T_CHECK(e2e_collect_until(&t, groups_are, &one, 60));
	at[2] = now_ms();
	/* the dead ones come back and take their share again */
	start_second(&t, ports);
	T_CHECK(e2e_collect_until(&t, groups_are, &two, 60));
	at[3] = now_ms();
	T_CHECK(check_publish(&t, run.ev, 2 * PART, run.n) == 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	at[4] = now_ms();
	e2e_collect(&t, 2000); /* anything extra would show here */

	check_run(&t, &run, 1);
	check_one_case_each(&t, &run);
	check_dead_letters(&t, &run, NULL);
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

/* clang-format off */
T_SUITE(e2e_scale, { "two_instances_kill_9_and_restart", t_scale })
/* clang-format on */
