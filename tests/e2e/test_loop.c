/*
 * test_loop.c - the service loop under hostile load and transient faults,
 * on the real stack:
 *   e2e_readonly  the database turns read-only while events flow: retried,
 *                 never dead-lettered, every case made once it is back;
 *   e2e_guards    XF_KAFKA_* overrides that break at-least-once delivery
 *                 stop a daemon at start, naming the setting;
 *   e2e_pollkeep  PostgreSQL away longer than max.poll.interval.ms: the
 *                 member stays in its group, and everything is processed;
 *                 a rebalance while a batch is retried takes it away;
 *   e2e_flood     1 MiB events of "[{},{},...]" under a 1 GiB address-space
 *                 limit: refused as too_many_values, offsets move on.
 * e2e_pollkeep needs XF_TEST_RUN (the stack's run folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pg.h"
#include "tharness.h"
#include "util.h"

static int stack(const char *script, const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof line, "deploy/scripts/%s %s '%s' >/dev/null 2>&1", script, cmd,
		 getenv("XF_TEST_RUN") ? getenv("XF_TEST_RUN") : ".run/test");
	return system(line);
}

/* Waits up to 60 s for /readyz to answer 200. */
static int ready(int port)
{
	struct sbuf body = SBUF_INIT;
	int ok = 0;

	for (int i = 0; i < 300 && !ok; i++) {
		ok = e2e_http_get(port, "/readyz", &body) == 200;
		if (!ok)
			usleep(200000);
	}
	if (!ok)
		fprintf(stderr, "    /readyz never answered 200; last: %s\n", body.buf);
	sbuf_release(&body);
	return ok;
}

/* A counter of the daemon answering on port (-1 when unreadable). */
static double metric(int port, const char *name)
{
	struct sbuf body = SBUF_INIT;
	double v = -1;
	size_t len = strlen(name);

	if (e2e_http_get(port, "/metrics", &body) == 200)
		for (const char *p = body.buf; p && *p;
		     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (!strncmp(p, name, len) && p[len] == ' ')
				v = strtod(p + len + 1, NULL);
	sbuf_release(&body);
	return v;
}

/* Starts intake answering HTTP on a free port (returned), the others not. */
static int start_all(struct e2e *t)
{
	char addr[32];
	int port = e2e_free_port();

	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	T_CHECK(e2e_start_instance(t, E2E_INTAKE, 0, addr) == 0);
	for (int d = E2E_CLASSIFY; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(t, d) == 0);
	return port;
}

static void publish(struct e2e *t, const struct check_run *run, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		e2e_produce(t, run->ev[i].key, run->ev[i].bytes, run->ev[i].len);
	T_CHECK(e2e_flush(t) == 0);
}

static void run_init(struct check_run *run, const char *tag, size_t n)
{
	run->n = n;
	run->ev = gen_events(tag, n, 0, 0);
	run->nvalid = n;
}

static int run_sql(struct e2e *t, const char *text)
{
	struct sbuf err = SBUF_INIT;
	int rc = pg_exec(t->conn, text, 0, NULL, &err);

	if (rc)
		fprintf(stderr, "    %s: %s\n", text, err.buf);
	sbuf_release(&err);
	return rc;
}

/* Turns the test database read-only (new sessions; the present ones are ended). */
static int read_only(struct e2e *t, int on)
{
	char sql[256];

	snprintf(sql, sizeof sql,
		 on ? "ALTER DATABASE xf_t_%s SET default_transaction_read_only = on"
		    : "ALTER DATABASE xf_t_%s RESET default_transaction_read_only",
		 t->name);
	if (run_sql(t, sql))
		return -1;
	/* the daemons' sessions keep their settings: end them (not ours) */
	return on ? run_sql(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
			       " WHERE datname = current_database() AND pid <> pg_backend_pid()")
		  : 0;
}

/* Waits up to timeout_s for the counter to reach at least want. */
static int metric_reaches(int port, const char *name, double want, int timeout_s)
{
	double end = now_ms() + timeout_s * 1000.0, v = -1;

	while (now_ms() < end && (v = metric(port, name)) < want)
		usleep(200000);
	if (v < want)
		fprintf(stderr, "    %s is %g, not %g\n", name, v, want);
	return v >= want;
}

/*
 * Item 4: a read-only database (a fail-over, a full disk set read-only by
 * an operator) is the database's fault, not the events': before the fix
 * the batch failed three times, was split and every event dead-lettered.
 */
static void t_readonly(void)
{
	struct check_run run;
	struct e2e t;
	int port;

	if (!T_CHECK(e2e_setup(&t, "readonly") == 0))
		return;
	setenv("XF_RETRY_MAX_MS", "500", 1);
	run_init(&run, "readonly", 50);
	port = start_all(&t);
	T_CHECK(ready(port));
	T_INTEQ(read_only(&t, 1), 0);
	publish(&t, &run, 0, run.n);
	/* well past the three tries after which a message used to be isolated */
	T_CHECK(metric_reaches(port, "xf_batch_retries_total", 8, 120));
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases"), 0);
	T_INTEQ(read_only(&t, 0), 0); /* the daemons connect again by themselves */
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 180));
	e2e_collect(&t, 1000);
	check_run(&t, &run, 0); /* retried before any output: nothing twice */
	T_INTEQ(e2e_count(&t, "petition.dlq"), 0);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM cases"), 50);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	unsetenv("XF_RETRY_MAX_MS");
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

/* The daemon's exit status once it ends within 60 s; -1 if it keeps running. */
static int exit_status(struct e2e *t, enum e2e_daemon d)
{
	int status;

	for (int i = 0; i < 600; i++) {
		if (waitpid(t->pids[d], &status, WNOHANG) == t->pids[d]) {
			t->pids[d] = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		usleep(100000);
	}
	e2e_stop(t, d);
	return -1;
}

/* The daemon's log from offset on (the whole file when from is 0). */
static char *log_text(struct e2e *t, const char *daemon, long from)
{
	char path[512];
	struct sbuf text = SBUF_INIT;
	char buf[65536];
	size_t got;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon);
	f = fopen(path, "r");
	if (f && !fseek(f, from, SEEK_SET))
		while ((got = fread(buf, 1, sizeof buf, f)) > 0)
			sbuf_add(&text, buf, got);
	if (f)
		fclose(f);
	return sbuf_detach(&text, NULL);
}

static long log_size(struct e2e *t, const char *daemon)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon);
	return stat(path, &st) ? 0 : (long)st.st_size;
}

/* Waits up to timeout_s for the daemon's log, from offset on, to hold what. */
static int logged(struct e2e *t, const char *daemon, long from, const char *what, int timeout_s)
{
	int found = 0;

	for (int i = 0; i < timeout_s * 5 && !found; i++) {
		char *text = log_text(t, daemon, from);

		found = strstr(text, what) != NULL;
		free(text);
		if (!found)
			usleep(200000);
	}
	return found;
}

/* Item 9: each override that breaks at-least-once stops every daemon at start. */
static void t_guards(void)
{
	static const char *const bad[][2] = {
		{ "XF_KAFKA_ENABLE_AUTO_COMMIT", "true" },
		{ "XF_KAFKA_GROUP_ID", "somebody-else" },
		{ "XF_KAFKA_ENABLE_IDEMPOTENCE", "false" },
		{ "XF_KAFKA_AUTO_OFFSET_RESET", "latest" },
		{ "XF_KAFKA_ACKS", "1" },
		{ "XF_KAFKA_TRANSACTIONAL_ID", "xf" },
	};
	static const char *const names[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	struct e2e t;
	long mark;

	if (!T_CHECK(e2e_setup(&t, "guards") == 0))
		return;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum e2e_daemon d = (enum e2e_daemon)(i % E2E_NDAEMONS);
		char *text;

		mark = log_size(&t, names[d]);
		setenv(bad[i][0], bad[i][1], 1);
		T_CHECK(e2e_start(&t, d) == 0);
		unsetenv(bad[i][0]);
		if (!T_CHECK(exit_status(&t, d) > 0))
			fprintf(stderr, "    %s=%s: %s did not refuse to start\n", bad[i][0],
				bad[i][1], names[d]);
		text = log_text(&t, names[d], mark);
		if (!T_CHECK(strstr(text, bad[i][0]) && strstr(text, "at-least-once")))
			fprintf(stderr, "    %s: log: %.400s\n", bad[i][0], text);
		free(text);
	}
	/* a harmless override is not refused */
	mark = log_size(&t, "xf-intake");
	setenv("XF_KAFKA_MAX_POLL_INTERVAL_MS", "20000", 1);
	T_CHECK(e2e_start(&t, E2E_INTAKE) == 0);
	unsetenv("XF_KAFKA_MAX_POLL_INTERVAL_MS");
	T_CHECK(logged(&t, "xf-intake", mark, "\"started\"", 60));
	T_CHECK(e2e_alive(&t, E2E_INTAKE));
	T_INTEQ(e2e_stop(&t, E2E_INTAKE), 0);
	e2e_teardown(&t);
}

static size_t count_of(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/*
 * Item 9: the back-off keeps the consumer polled. With max.poll.interval.ms
 * at 10 s and PostgreSQL away for longer, a member that waited without
 * polling was thrown out of its group (librdkafka's MAXPOLL: "leaving
 * group") and rebalanced when it came back.
 */
static void t_pollkeep(void)
{
	static const char *const names[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	struct check_run run;
	long mark[E2E_NDAEMONS];
	double t0, retries;
	int port, assigned = 0;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "pollkeep") == 0))
		return;
	setenv("XF_RETRY_MAX_MS", "1000", 1);
	setenv("XF_KAFKA_MAX_POLL_INTERVAL_MS", "10000", 1);
	run_init(&run, "pollkeep", 60);
	port = start_all(&t);
	unsetenv("XF_KAFKA_MAX_POLL_INTERVAL_MS");
	T_CHECK(ready(port));
	publish(&t, &run, 0, 20);
	T_CHECK(e2e_collect_until(&t, check_complete, &(struct check_run){ run.ev, 20, 20 }, 120));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		mark[d] = log_size(&t, names[d]);

	T_INTEQ(stack("pg.sh", "stop"), 0);
	t0 = now_ms();
	publish(&t, &run, 20, run.n);
	retries = metric(port, "xf_batch_retries_total");
	/* away for 15 s, half again max.poll.interval.ms, with intake retrying all along */
	while (now_ms() - t0 < 15000)
		usleep(200000);
	T_CHECK(metric(port, "xf_batch_retries_total") >= retries + 5);
	T_INTEQ(e2e_group_members(&t, "intake", "hotline.events", &assigned), 1);
	T_INTEQ(assigned, 1);
	T_INTEQ(stack("pg.sh", "start"), 0);
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 180));
	e2e_collect(&t, 1000);
	check_run(&t, &run, 0); /* retried before any output: nothing twice */
	T_INTEQ(e2e_count(&t, "petition.dlq"), 0);
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		char *text = log_text(&t, names[d], mark[d]);

		if (!T_INTEQ(count_of(text, "MAXPOLL") + count_of(text, "revoked"), 0))
			fprintf(stderr, "    %s left its group or rebalanced during the outage\n",
				names[d]);
		free(text);
	}
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	unsetenv("XF_RETRY_MAX_MS");
	gen_free(run.ev, run.n);
	e2e_teardown(&t);
}

/* Waits up to 60 s for n members of the intake group, each holding partitions. */
static int intake_members(struct e2e *t, int n)
{
	int members = -1, assigned = -1;

	for (int i = 0; i < 300; i++) {
		members = e2e_group_members(t, "intake", "hotline.events", &assigned);
		if (members == n && assigned == n)
			return 1;
		usleep(200000);
	}
	fprintf(stderr, "    intake group: %d members, %d holding partitions\n", members, assigned);
	return 0;
}

/*
 * Item 9: a member that retries a batch while a rebalance takes the
 * batch's partitions away drops the batch (the new owner consumes it from
 * the last commit). The batch fails on a lock held by the test (55P03
 * lock_not_available under lock_timeout: transient), so a second member
 * can start meanwhile. Before the fix the first member did not poll while
 * it retried, so the rebalance waited for it as long as the lock was held.
 */
static void t_revoked(void)
{
	struct sbuf err = SBUF_INIT;
	struct check_run run;
	PGconn *locker = NULL;
	double retries;
	char *text, alter[160];
	int port;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "revoked") == 0))
		return;
	snprintf(alter, sizeof alter, "ALTER DATABASE xf_t_%s SET lock_timeout = '300ms'", t.name);
	T_INTEQ(run_sql(&t, alter), 0);
	setenv("XF_RETRY_MAX_MS", "1000", 1);
	run_init(&run, "revoked", 60);
	port = start_all(&t);
	T_CHECK(ready(port));
	publish(&t, &run, 0, 20);
	T_CHECK(e2e_collect_until(&t, check_complete, &(struct check_run){ run.ev, 20, 20 }, 120));
	locker = pg_connect(t.db_url, &err);
	if (!T_CHECK(locker && !pg_begin(locker, &err) &&
		     !pg_exec(locker, "LOCK TABLE intake_keys IN ACCESS EXCLUSIVE MODE", 0, NULL,
			      &err)))
		fprintf(stderr, "    lock: %s\n", err.buf);
	retries = metric(port, "xf_batch_retries_total");
	publish(&t, &run, 20, run.n);
	T_CHECK(metric_reaches(port, "xf_batch_retries_total", retries + 3, 60));
	T_CHECK(e2e_start_instance(&t, E2E_INTAKE, 1, "off") == 0);
	T_CHECK(intake_members(&t, 2)); /* the rebalance completes while the lock is held */
	if (locker)
		PQfinish(locker); /* the lock goes with its session */
	T_CHECK(e2e_collect_until(&t, check_complete, &run, 180));
	e2e_collect(&t, 1000);
	check_run(&t, &run, 1);
	T_INTEQ(e2e_count(&t, "petition.dlq"), 0);
	text = log_text(&t, "xf-intake", 0);
	T_CHECK(strstr(text, "batch_dropped") && strstr(text, "55P03"));
	free(text);
	T_INTEQ(e2e_stop_instance(&t, E2E_INTAKE, 1), 0);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	unsetenv("XF_RETRY_MAX_MS");
	gen_free(run.ev, run.n);
	sbuf_release(&err);
	e2e_teardown(&t);
}

#define FLOOD_N 120
#define FLOOD_BYTES 1000000  /* under intake's 1 MiB: parsed, before the fix */
#define FLOOD_AS_KIB 1048576 /* the daemon's address space: 1 GiB */

/* "[{},{},...]" of FLOOD_BYTES: about 333,000 values, ~73 MiB parsed. */
static char *flood_event(void)
{
	char *ev = malloc(FLOOD_BYTES);

	if (!ev)
		abort();
	ev[0] = '[';
	for (size_t i = 1; i + 3 < FLOOD_BYTES; i += 3)
		memcpy(ev + i, "{},", 3);
	memcpy(ev + FLOOD_BYTES - 3 - (FLOOD_BYTES - 1) % 3, "{}]", 3);
	return ev;
}

/*
 * The release build of xf-intake (AddressSanitizer reserves terabytes of
 * address space, so the ASan build cannot run under a memory limit), run
 * under `ulimit -v` through a script in dir. Returns 0, or -1.
 */
static int limited_bin(const char *dir)
{
	const char *bin = getenv("XF_TEST_BIN") ? getenv("XF_TEST_BIN") : "bin";
	char rel[512], path[600], real[4096];
	size_t len = strlen(bin);
	FILE *f;

	if (len > 4 && !strcmp(bin + len - 4, "-san"))
		len -= 4; /* bin-san -> bin */
	snprintf(rel, sizeof rel, "%.*s/xf-intake", (int)len, bin);
	if (!realpath(rel, real))
		return -1;
	snprintf(path, sizeof path, "%s/xf-intake", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\nulimit -v %d || exit 99\nexec '%s'\n", FLOOD_AS_KIB, real);
	fclose(f);
	return chmod(path, 0755);
}

static long vm_hwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/* Every flood event dead-lettered and the good events through, or intake gone. */
static int flood_done(struct e2e *t, void *arg)
{
	return (e2e_count(t, "petition.dlq") >= FLOOD_N && check_complete(t, arg)) ||
	       !e2e_alive(t, E2E_INTAKE);
}

/*
 * Item 2: a flood of events that parse to ~73 MiB each. Before the fix a
 * batch held all of them parsed at once (~38 GiB for 500): under a memory
 * limit the daemon failed on it and got the same batch again. Now each is
 * refused on a count before parsing and a batch is bounded in bytes.
 */
static void t_flood(void)
{
	const char *bin_saved;
	char dir[512], key[32];
	struct check_run run;
	char *ev = flood_event();
	size_t refused = 0;
	long hwm;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "flood") == 0))
		return;
	snprintf(dir, sizeof dir, "%s/flood-bin", t.logs);
	mkdir(dir, 0755);
	if (!T_INTEQ(limited_bin(dir), 0))
		goto out;
	bin_saved = t.bin;
	t.bin = dir;
	T_CHECK(e2e_start(&t, E2E_INTAKE) == 0);
	t.bin = bin_saved;
	for (int d = E2E_CLASSIFY; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	run_init(&run, "flood", 10);
	for (int i = 0; i < FLOOD_N; i++) {
		snprintf(key, sizeof key, "flood-%d", i);
		e2e_produce(&t, key, ev, FLOOD_BYTES);
	}
	publish(&t, &run, 0, run.n); /* good events behind the flood get through */
	T_CHECK(e2e_collect_until(&t, flood_done, &run, 600));
	hwm = vm_hwm_kib(t.pids[E2E_INTAKE]);
	T_CHECK(e2e_alive(&t, E2E_INTAKE)); /* not killed, not crashed */
	for (size_t i = 0; i < t.nmsgs; i++)
		refused += !strcmp(t.msgs[i].topic, "petition.dlq") && t.msgs[i].error_code &&
			   !strcmp(t.msgs[i].error_code, "too_many_values");
	T_INTEQ(refused, FLOOD_N);
	check_run(&t, &run, 1);
	fprintf(stderr,
		"    flood: %d events of %d bytes, xf-intake (release build, ulimit -v %d KiB)"
		" peak RSS (VmHWM) %ld KiB\n",
		FLOOD_N, FLOOD_BYTES, FLOOD_AS_KIB, hwm);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	gen_free(run.ev, run.n);
out:
	free(ev);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_readonly, { "database_read_only", t_readonly })
/* clang-format on */
/* clang-format off */
T_SUITE(e2e_guards, { "overrides_refused", t_guards })
/* clang-format on */
/* clang-format off */
T_SUITE(e2e_pollkeep, { "outage_beyond_max_poll_interval", t_pollkeep },
	{ "partitions_revoked_while_retrying", t_revoked })
/* clang-format on */
/* clang-format off */
T_SUITE(e2e_flood, { "values_flood_under_memory_limit", t_flood })
/* clang-format on */
