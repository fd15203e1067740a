/*
 * test_outage.c - failure paths on the real stack: PostgreSQL and then the
 * Kafka broker stopped in the middle of a run and started again. The
 * daemons must wait, retry and finish the run with nothing lost and no
 * case decided twice, and /readyz says which is away meanwhile. Needs
 * XF_TEST_RUN (the stack's run folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tharness.h"

static int leads_at_least(struct e2e *t, void *arg)
{
	return e2e_count(t, "assignments.*") >= *(size_t *)arg;
}

/* Waits up to 60 s for intake's /readyz to answer status (with why in its body). */
static int ready_is(int port, long status, const char *why, struct sbuf *body)
{
	for (int i = 0; i < 300; i++) {
		if (e2e_http_get(port, "/readyz", body) == status &&
		    (!why || strstr(body->buf, why)))
			return 1;
		usleep(200000);
	}
	fprintf(stderr, "    /readyz never answered %ld%s%s; last: %s\n", status,
		why ? " with " : "", why ? why : "", body->buf);
	return 0;
}

static void t_outage(void)
{
	struct check_run run = { NULL, 600, 0 };
	struct sbuf body = SBUF_INIT;
	char addr[32];
	size_t mark;
	int port;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "outage") == 0))
		return;
	setenv("XF_BATCH_MAX", "20", 1);
	setenv("XF_RETRY_MAX_MS", "1000", 1);
	run.ev = gen_events("outage", run.n, 1, 1);
	for (size_t i = 0; i < run.n; i++)
		run.nvalid += run.ev[i].kind == GEN_VALID;
	/* intake answers HTTP, so that /readyz can be watched through the outages */
	port = e2e_free_port();
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	setenv("XF_HTTP_ADDR", addr, 1);
	T_CHECK(e2e_start(&t, E2E_INTAKE) == 0);
	setenv("XF_HTTP_ADDR", "off", 1);
	for (int d = E2E_CLASSIFY; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	T_CHECK(ready_is(port, 200, NULL, &body));
	for (size_t i = 0; i < 300; i++)
		e2e_produce(&t, run.ev[i].key, run.ev[i].bytes, run.ev[i].len);
	T_CHECK(e2e_flush(&t) == 0);
	mark = 50;
	e2e_collect_until(&t, leads_at_least, &mark, 120);

	T_INTEQ(e2e_stack("pg.sh", "stop"), 0); /* PostgreSQL goes away */
	for (size_t i = 300; i < run.n; i++)
		e2e_produce(&t, run.ev[i].key, run.ev[i].bytes, run.ev[i].len);
	T_CHECK(e2e_flush(&t) == 0);
	T_CHECK(ready_is(port, 503, "PostgreSQL", &body)); /* not ready while it is away */
	T_INTEQ(e2e_stack("pg.sh", "start"), 0);
	mark = 400;
	e2e_collect_until(&t, leads_at_least, &mark, 120);

	T_CHECK(ready_is(port, 200, NULL, &body));
	T_INTEQ(e2e_stack("kafka.sh", "stop"), 0); /* then the broker */
	T_CHECK(ready_is(port, 503, "Kafka", &body));
	T_INTEQ(e2e_stack("kafka.sh", "start"), 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 300));
	T_CHECK(ready_is(port, 200, NULL, &body));
	e2e_collect(&t, 2000);
	check_run(&t, &run, 1);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	unsetenv("XF_BATCH_MAX");
	unsetenv("XF_RETRY_MAX_MS");
	gen_free(run.ev, run.n);
	sbuf_release(&body);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_outage, { "postgres_and_broker_restart", t_outage })
/* clang-format on */
