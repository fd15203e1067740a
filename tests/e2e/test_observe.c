/*
 * test_observe.c - what operators see, on the real stack: /readyz of each
 * daemon (xf-dispatch not ready without a rule set, ready once one is
 * imported, by NOTIFY), /metrics of each daemon passing `promtool check
 * metrics`, with the histograms, librdkafka statistics and case gauges
 * there and agreeing with PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "gen.h"
#include "tharness.h"

/* Waits up to s seconds for path to answer want. */
static int wait_status(int port, const char *path, long want, int s, struct sbuf *body)
{
	for (int i = 0; i < s * 5; i++) {
		if (e2e_http_get(port, path, body) == want)
			return 1;
		usleep(200000);
	}
	return 0;
}

/* Waits up to s seconds for /readyz to answer 503 with why in its body. */
static int wait_reason(int port, const char *why, int s, struct sbuf *body)
{
	for (int i = 0; i < s * 5; i++) {
		long status = e2e_http_get(port, "/readyz", body);

		if (status != 503 && status != 0)
			return 0; /* ready, or something else: not what is awaited */
		if (status == 503 && strstr(body->buf, why))
			return 1;
		usleep(200000);
	}
	return 0;
}

/* promtool check metrics on text: its exit status, its output in out. */
static int promtool(const char *text, struct sbuf *out)
{
	char path[64], cmd[160], buf[512];
	FILE *f, *p;
	int rc;

	snprintf(path, sizeof path, "/tmp/xf-metrics-%d.txt", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(buf, sizeof buf, p))
		sbuf_adds(out, buf);
	rc = pclose(p);
	unlink(path);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The value of the series line `name{labels}` in a /metrics text; -1 if absent. */
static double series(const char *text, const char *line_start)
{
	size_t n = strlen(line_start);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line_start, n) && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

/* The number of assigned cases of t-rsj: in PostgreSQL, and in xf-dispatch's gauge. */
static int rsj_gauge_agrees(struct e2e *t, const char *text)
{
	long sql = e2e_sql_long(t, "SELECT count(*) FROM cases WHERE department = 't-rsj'"
				   " AND state = 'assigned'");

	return sql > 0 &&
	       (long)series(text, "xf_cases{state=\"assigned\",department=\"t-rsj\"}") == sql;
}

/* 1 when daemon d's /metrics shows what the test reads (see wait_settled). */
static int metrics_settled(struct e2e *t, int d, int port, long nvalid, struct sbuf *body)
{
	if (e2e_http_get(port, "/metrics", body) != 200 ||
	    !strstr(body->buf, "xf_kafka_broker_rtt_seconds{") ||
	    !strstr(body->buf, "xf_kafka_consumer_lag{"))
		return 0;
	if (d == E2E_INTAKE)
		return series(body->buf, "xf_messages_in_total{topic=\"hotline.events\"}") >= 60;
	if (d == E2E_DISPATCH)
		return series(body->buf, "xf_end_to_end_seconds_count{from=\"intake\"}") >=
			       nvalid &&
		       rsj_gauge_agrees(t, body->buf);
	return 1;
}

/*
 * Waits (up to s seconds) until every valid event has its case and every
 * daemon's /metrics has caught up: librdkafka's statistics come every 5 s,
 * the case gauges every 10 s.
 */
static int wait_settled(struct e2e *t, const int *port, long nvalid, int s)
{
	struct sbuf body = SBUF_INIT;
	int done = 0;

	for (int i = 0; i < s * 5 && !done; i++) {
		done = e2e_sql_long(t, "SELECT count(*) FROM cases") >= nvalid;
		for (int d = 0; d < E2E_NDAEMONS && done; d++)
			done = metrics_settled(t, d, port[d], nvalid, &body);
		if (!done)
			usleep(200000);
	}
	sbuf_release(&body);
	return done;
}

static void t_ready_and_metrics(void)
{
	static const char *const names[] = { "intake", "classify", "dispatch" };
	const char *import[] = { "rules", "import", "--no-topics", "tests/e2e/rules.json", NULL };
	struct gen_event *ev = gen_events("obs", 60, 1, 1);
	struct sbuf body = SBUF_INIT, out = SBUF_INIT;
	int port[E2E_NDAEMONS];
	char addr[32], want[160];
	long nvalid = 0;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "observe") == 0))
		goto out;
	/* no rule set: xf-dispatch runs but is not ready */
	T_CHECK(e2e_sql_long(&t, "WITH d AS (DELETE FROM rule_sets RETURNING 1)"
				 " SELECT count(*) FROM d") == 1);
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		port[d] = e2e_free_port();
		snprintf(addr, sizeof addr, "127.0.0.1:%d", port[d]);
		setenv("XF_HTTP_ADDR", addr, 1);
		T_CHECK(e2e_start(&t, d) == 0);
	}
	setenv("XF_HTTP_ADDR", "off", 1);
	for (int d = 0; d < E2E_DISPATCH; d++)
		if (!T_CHECK(wait_status(port[d], "/readyz", 200, 60, &body)))
			fprintf(stderr, "    %s not ready: %s\n", names[d], body.buf);
	T_CHECK(wait_status(port[E2E_DISPATCH], "/healthz", 200, 30, &body));
	/* once connected (the broker may still be coming back from the test
	 * before), the reason it gives is the rule set */
	if (!T_CHECK(wait_reason(port[E2E_DISPATCH], "no rule set", 30, &body)))
		fprintf(stderr, "    xf-dispatch /readyz: %s\n", body.buf);
	/* an import makes it ready, without a restart */
	T_INTEQ(e2e_xfctl(&t, NULL, import), 0);
	T_CHECK(wait_status(port[E2E_DISPATCH], "/readyz", 200, 30, &body));
	/* traffic, then the metrics */
	for (size_t i = 0; i < 60; i++)
		T_CHECK(e2e_produce(&t, ev[i].key, ev[i].bytes, ev[i].len) == 0);
	T_CHECK(e2e_flush(&t) == 0);
	for (size_t i = 0; i < 60; i++)
		nvalid += ev[i].kind == GEN_VALID;
	T_CHECK(wait_settled(&t, port, nvalid, 60));
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		sbuf_reset(&out);
		if (!T_INTEQ(e2e_http_get(port[d], "/metrics", &body), 200))
			continue;
		if (!T_INTEQ(promtool(body.buf, &out), 0) || out.len)
			fprintf(stderr, "    promtool on %s: %s\n", names[d], out.buf);
		T_CHECK(strstr(body.buf, "# TYPE xf_batch_duration_seconds histogram") != NULL);
		T_CHECK(strstr(body.buf, "xf_message_duration_seconds_bucket{le=\"+Inf\"}") !=
			NULL);
		T_CHECK(strstr(body.buf, "# TYPE xf_pg_query_duration_seconds histogram") != NULL);
		T_CHECK(strstr(body.buf, "xf_kafka_broker_rtt_seconds{") != NULL);
		T_CHECK(strstr(body.buf, "xf_kafka_consumer_lag{") != NULL);
	}
	e2e_http_get(port[E2E_INTAKE], "/metrics", &body);
	T_INTEQ(series(body.buf, "xf_messages_in_total{topic=\"hotline.events\"}"), 60);
	T_CHECK(series(body.buf, "xf_dead_letters_total{reason=\"not_json\"}") >= 1);
	e2e_http_get(port[E2E_DISPATCH], "/metrics", &body);
	T_INTEQ((long)series(body.buf, "xf_end_to_end_seconds_count{from=\"intake\"}"), nvalid);
	snprintf(want, sizeof want, "xf_cases{state=\"assigned\",department=\"t-rsj\"}");
	T_INTEQ((long)series(body.buf, want),
		e2e_sql_long(&t, "SELECT count(*) FROM cases WHERE department = 't-rsj'"
				 " AND state = 'assigned'"));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	e2e_teardown(&t);
out:
	gen_free(ev, 60);
	sbuf_release(&body);
	sbuf_release(&out);
}

/* clang-format off */
T_SUITE(e2e_observe, { "ready_and_metrics", t_ready_and_metrics })
/* clang-format on */
