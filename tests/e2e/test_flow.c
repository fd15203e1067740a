/*
 * test_flow.c - the spine end to end on the real broker and PostgreSQL:
 * 2,000 events with duplicates and malformed ones; kill -9 in the middle
 * of a run; the operator's refusals and audit.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tharness.h"

static int start_all(struct e2e *t)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		if (e2e_start(t, d))
			return -1;
	return 0;
}

static size_t count_valid(const struct gen_event *ev, size_t n)
{
	size_t v = 0;

	for (size_t i = 0; i < n; i++)
		v += ev[i].kind == GEN_VALID;
	return v;
}

static int publish(struct e2e *t, const struct gen_event *ev, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (e2e_produce(t, ev[i].key, ev[i].bytes, ev[i].len))
			return -1;
	return e2e_flush(t);
}

static void t_flow_2000(void)
{
	struct e2e t;
	struct check_run run = { NULL, 2000, 0 };

	if (!T_CHECK(e2e_setup(&t, "flow") == 0))
		return;
	run.ev = gen_events("flow", run.n, 1, 1);
	run.nvalid = count_valid(run.ev, run.n);
	T_CHECK(start_all(&t) == 0);
	T_CHECK(publish(&t, run.ev, 0, run.n) == 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	e2e_collect(&t, 2000); /* anything extra would show here */
	check_run(&t, &run, 0);
	check_schemas(&t);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_alive(&t, d));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0); /* a clean shutdown, no sanitizer report */
	printf("    flow: %zu events, %zu valid, %zu messages collected\n", run.n,
	       run.nvalid, t.nmsgs);
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

/* Waits until at least n lead assignments were collected (or 120 s). */
static int leads_at_least(struct e2e *t, void *arg)
{
	return e2e_count(t, "assignments.*") >= *(size_t *)arg;
}

static int receipts_at_least(struct e2e *t, void *arg)
{
	return e2e_count(t, "petition.receipts") >= *(size_t *)arg;
}

static void crash_and_restart(struct e2e *t, enum e2e_daemon d)
{
	e2e_kill(t, d, SIGKILL);
	while (e2e_alive(t, d))
		usleep(10000);
	T_CHECK(e2e_start(t, d) == 0);
}

static void t_crash(void)
{
	struct e2e t;
	struct check_run run = { NULL, 1000, 0 };
	size_t mark;

	if (!T_CHECK(e2e_setup(&t, "crash") == 0))
		return;
	setenv("XF_BATCH_MAX", "10", 1); /* small batches: kills land mid-run */
	run.ev = gen_events("crash", run.n, 1, 0);
	run.nvalid = count_valid(run.ev, run.n);
	T_CHECK(start_all(&t) == 0);
	T_CHECK(publish(&t, run.ev, 0, 500) == 0);
	mark = 150;
	e2e_collect_until(&t, receipts_at_least, &mark, 120);
	crash_and_restart(&t, E2E_INTAKE);
	T_CHECK(publish(&t, run.ev, 500, run.n) == 0);
	mark = 300;
	e2e_collect_until(&t, leads_at_least, &mark, 120);
	crash_and_restart(&t, E2E_DISPATCH);
	mark = 600;
	e2e_collect_until(&t, leads_at_least, &mark, 120);
	crash_and_restart(&t, E2E_CLASSIFY);
	crash_and_restart(&t, E2E_DISPATCH);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	e2e_collect(&t, 2000);
	check_run(&t, &run, 1);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	printf("    crash: %zu messages collected for %zu valid events\n", t.nmsgs, run.nvalid);
	unsetenv("XF_BATCH_MAX");
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

T_SUITE(e2e_flow, { "two_thousand_events", t_flow_2000 }, { "kill_9_and_restart", t_crash })
