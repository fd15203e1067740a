/*
 * test_flow.c - the spine end to end on the real broker and PostgreSQL:
 * 2,000 events with duplicates and malformed ones; kill -9 in the middle
 * of a run; the operator's refusals and audit.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

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

/*
 * Every line of the run's daemon logs is one JSON object with ts, level,
 * service and event, and no line shows the petitioner's name, phone or id
 * number, nor a petition's text.
 */
static void check_logs(struct e2e *t)
{
	static const char *const daemons[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	static const char *const secret[] = { GEN_NAME, GEN_PHONE, GEN_ID_NUMBER, "拖欠工资" };
	size_t lines = 0, bad = 0, leaks = 0;

	for (size_t d = 0; d < 3; d++) {
		char path[512], *line = NULL;
		size_t cap = 0;
		FILE *f;

		snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemons[d]);
		f = fopen(path, "r");
		if (!T_CHECK(f != NULL))
			continue;
		while (getline(&line, &cap, f) > 0) {
			json_t *j = json_loads(line, 0, NULL);

			lines++;
			if (!j && !strncmp(line, "==", 2))
				continue; /* a sanitizer report: that check is elsewhere */
			if (!j || !json_string_value(json_object_get(j, "ts")) ||
			    !json_string_value(json_object_get(j, "level")) ||
			    !json_string_value(json_object_get(j, "service")) ||
			    !json_string_value(json_object_get(j, "event")))
				if (bad++ < 3)
					fprintf(stderr, "    not a JSON log line: %s", line);
			for (size_t k = 0; k < sizeof secret / sizeof secret[0]; k++)
				if (strstr(line, secret[k]) && leaks++ < 3)
					fprintf(stderr, "    personal data in a log: %s", line);
			json_decref(j);
		}
		free(line);
		fclose(f);
	}
	T_CHECK(lines > 10);
	T_INTEQ(bad, 0);
	T_INTEQ(leaks, 0);
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
	T_CHECK(check_publish(&t, run.ev, 0, run.n) == 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 240));
	e2e_collect(&t, 2000); /* anything extra would show here */
	check_run(&t, &run, 0);
	check_schemas(&t);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_alive(&t, d));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0); /* a clean shutdown, no sanitizer report */
	check_logs(&t);
	printf("    flow: %zu events, %zu valid, %zu messages collected\n", run.n, run.nvalid,
	       t.nmsgs);
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
	T_CHECK(check_publish(&t, run.ev, 0, 500) == 0);
	mark = 150;
	e2e_collect_until(&t, receipts_at_least, &mark, 120);
	crash_and_restart(&t, E2E_INTAKE);
	T_CHECK(check_publish(&t, run.ev, 500, run.n) == 0);
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

/* clang-format off */
T_SUITE(e2e_flow, { "two_thousand_events", t_flow_2000 }, { "kill_9_and_restart", t_crash })
/* clang-format on */
