/*
 * test_hostile.c - hostile text from outside on the real stack: a Kafka key
 * and a feedback_id written to forge log fields leave every daemon log line
 * one JSON object with its own level and event; a department's reason and
 * a feedback_id full of terminal escape sequences come out of `xfctl case
 * show` escaped, never as control characters; 1,100 idle connections to a
 * daemon's HTTP port leave /healthz answering.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "http.h"
#include "gen.h"
#include "tharness.h"

/* A key that ends its field, forges level and event, starts a line, clears the screen. */
static const char hostile_key[] =
	"k\" level=debug event=forged\n{\"level\":\"error\",\"event\":\"forged\"}\x1b[2J";
static const char hostile_fid[] = "fb\" level=debug event=forged x=\"\x1b]0;owned\x07";
static const char hostile_reason[] =
	"\xc2\x9b"
	"31m\xe2\x80\xae\x1b[2J\x1b]0;owned\x07\r\nchain: intact 不属于本单位";

static int assigned(struct e2e *t, void *arg)
{
	(void)arg;
	return e2e_count(t, "assignments.*") >= 1;
}

static int dead_lettered(struct e2e *t, void *arg)
{
	(void)arg;
	return e2e_count(t, "petition.dlq") >= 1;
}

static int sql_true(struct e2e *t, void *sql)
{
	return e2e_sql_long(t, sql) > 0;
}

/* Sends feedback on case_id as dept: action, feedback_id and reason as given. */
static int send_feedback(struct e2e *t, const char *id, const char *case_id, const char *dept,
			 const char *action, const char *reason)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", dept, "action",
			       action, "at", "2026-11-22T10:00:00+08:00", "reason", reason);
	char *text = json_dumps(fb, JSON_COMPACT);
	int rc = !text || e2e_produce_to(t, "department.feedback", case_id, text, strlen(text)) ||
		 e2e_flush(t);

	free(text);
	json_decref(fb);
	return rc;
}

/* 1 if member k of j is a string containing part. */
static int holds(json_t *j, const char *k, const char *part)
{
	const char *v = json_string_value(json_object_get(j, k));

	return v && strstr(v, part);
}

/* 1 if member k of j is a string equal to want. */
static int has(json_t *j, const char *k, const char *want)
{
	const char *v = json_string_value(json_object_get(j, k));

	return v && !strcmp(v, want);
}

/*
 * Checks each line of a daemon's log: one JSON object, a known level, no
 * forged event. Counts the lines carrying the hostile key and feedback_id
 * intact, at level info, under their own event.
 */
static void check_log(const char *path, int *keys, int *fids)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;

	if (!T_CHECK(f != NULL))
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		int lv = 0;

		lines++;
		for (size_t i = 0; i < 4; i++)
			lv |= has(j, "level", levels[i]);
		if (!T_CHECK(json_is_object(j) && lv && !holds(j, "event", "forged")))
			fprintf(stderr, "    %s: %s", path, line);
		*keys += has(j, "event", "dead_letter") && has(j, "key", hostile_key) &&
			 has(j, "level", "info");
		*fids += has(j, "event", "feedback_refused") &&
			 has(j, "feedback_id", hostile_fid) && has(j, "level", "info");
		json_decref(j);
	}
	T_CHECK(lines > 0);
	free(line);
	fclose(f);
}

/* Nothing in out may drive a terminal: no C0/C1 control but newline, no bidi override. */
static void check_plain(const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (!T_CHECK((*p >= 0x20 || *p == '\n') && *p != 0x7f &&
			     !(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) &&
			     !(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae))) {
			fprintf(stderr, "    at: %.40s\n", (const char *)p);
			return;
		}
}

static void t_hostile(void)
{
	static const char *const names[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	const char *show[] = { "case", "show", NULL, NULL };
	struct gen_event *ev = gen_events("hostile", 1, 0, 0);
	struct sbuf out = SBUF_INIT;
	char case_id[32] = "", dept[72] = "", path[512], sql[256];
	int keys = 0, fids = 0;
	json_t *a;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "hostile") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		snprintf(path, sizeof path, "%s/%s-%s.log", t.logs, t.name, names[d]);
		unlink(path); /* this run's lines only */
		T_CHECK(e2e_start(&t, d) == 0);
	}
	T_CHECK(e2e_produce(&t, ev[0].key, ev[0].bytes, ev[0].len) == 0);
	T_CHECK(e2e_produce(&t, hostile_key, "{not json", 9) == 0 && e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, dead_lettered, NULL, 90));
	if (!T_CHECK(e2e_collect_until(&t, assigned, NULL, 90)))
		goto out;
	for (size_t i = 0; i < t.nmsgs; i++)
		if (!strncmp(t.msgs[i].topic, "assignments.", 12) && (a = t.msgs[i].json)) {
			snprintf(case_id, sizeof case_id, "%s",
				 json_string_value(json_object_get(a, "case_id")));
			snprintf(dept, sizeof dept, "%s",
				 json_string_value(json_object_get(a, "department")));
		}
	/* from a department that does not hold the case: refused, logged with its id */
	T_CHECK(send_feedback(&t, hostile_fid, case_id, "no-such-dept", "accept", "x") == 0);
	T_CHECK(send_feedback(&t, "fb-return-1", case_id, dept, "return", hostile_reason) == 0);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM feedback WHERE case_id = '%s'"
		 " AND feedback_id = 'fb-return-1' AND outcome = 'applied'",
		 case_id);
	T_CHECK(e2e_collect_until(&t, sql_true, sql, 90));
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM feedback WHERE case_id = '%s'"
		 " AND outcome = 'refused'",
		 case_id);
	T_CHECK(e2e_collect_until(&t, sql_true, sql, 90));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		snprintf(path, sizeof path, "%s/%s-%s.log", t.logs, t.name, names[d]);
		check_log(path, &keys, &fids);
	}
	T_INTEQ(keys, 1);
	T_INTEQ(fids, 1);

	show[2] = case_id;
	T_INTEQ(e2e_xfctl(&t, &out, show), 0);
	check_plain(out.buf);
	/* what was there is shown, escaped where it would drive the terminal */
	/* the timeline shows the reason as JSON, where C1 and bidi controls were raw */
	T_CHECK(strstr(out.buf, "\"reason\":\"\\u009b31m\\u202e\\u001B[2J") != NULL);
	T_CHECK(strstr(out.buf, "fb\" level=debug event=forged x=\"\\x1b]0;owned\\x07") != NULL);
	if (!T_CHECK(strstr(out.buf, "chain: intact\n") != NULL))
		fprintf(stderr, "    xfctl case show:\n%s", out.buf);
out:
	gen_free(ev, 1);
	sbuf_release(&out);
	e2e_teardown(&t);
}

#define IDLE_CONNS 1100

/* A TCP connection from 127.0.0.2 to 127.0.0.1:port that sends nothing; -1 on error. */
static int idle_conn(int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	src.sin_addr.s_addr = htonl(0x7f000002u);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((unsigned short)port);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&src, sizeof src) ||
			connect(fd, (struct sockaddr *)&dst, sizeof dst))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Waits up to s seconds for the peer to close each of fds[0..n); how many are still open. */
static size_t await_closed(int *fds, size_t n, int s)
{
	struct pollfd *pfd = calloc(n, sizeof *pfd);
	time_t end = time(NULL) + s;
	size_t open = n;
	char c;

	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (open && time(NULL) < end && poll(pfd, n, 500) >= 0)
		for (size_t i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents ||
			    recv(pfd[i].fd, &c, 1, MSG_DONTWAIT) > 0 || errno == EAGAIN)
				continue;
			close(pfd[i].fd);
			fds[i] = pfd[i].fd = -1;
			open--;
		}
	free(pfd);
	return open;
}

static int healthy_within(int port, int s)
{
	struct sbuf body = SBUF_INIT;
	int ok = 0;

	for (time_t end = time(NULL) + s; !ok && time(NULL) < end; usleep(100000))
		ok = e2e_http_get(port, "/healthz", &body) == 200;
	sbuf_release(&body);
	return ok;
}

/*
 * xf-intake's /healthz answers while 1,100 idle connections are open to its
 * port (they were refused past the per-address limit), and the held ones
 * are closed once idle for the timeout.
 */
static void t_idle_flood(void)
{
	struct rlimit rl;
	struct sbuf body = SBUF_INIT;
	int *fds = calloc(IDLE_CONNS, sizeof *fds);
	int port = e2e_free_port(), keys = 0, fids = 0;
	char addr[32], path[512];
	size_t opened = 0;
	struct e2e t;

	/* this process holds the clients; the daemon keeps the usual 1024 */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 1024;
	T_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (!T_CHECK(e2e_setup(&t, "idle_flood") == 0))
		goto out;
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	snprintf(path, sizeof path, "%s/%s-xf-intake.log", t.logs, t.name);
	unlink(path);
	T_CHECK(e2e_start_instance(&t, E2E_INTAKE, 0, addr) == 0);
	rl.rlim_cur = rl.rlim_max < 4 * IDLE_CONNS ? rl.rlim_max : 4 * IDLE_CONNS;
	T_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > IDLE_CONNS + 100);
	if (!T_CHECK(healthy_within(port, 60)))
		goto stop;
	for (; opened < IDLE_CONNS; opened++)
		if ((fds[opened] = idle_conn(port)) < 0)
			break;
	T_INTEQ(opened, IDLE_CONNS);
	T_INTEQ(e2e_http_get(port, "/healthz", &body), 200);
	T_INTEQ(await_closed(fds, opened, 3 * HTTP_IDLE_TIMEOUT_S), 0);
	T_INTEQ(e2e_http_get(port, "/healthz", &body), 200);
stop:
	T_INTEQ(e2e_stop(&t, E2E_INTAKE), 0);
	check_log(path, &keys, &fids); /* the refusals logged as JSON lines too */
	e2e_teardown(&t);
out:
	for (size_t i = 0; i < opened; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	sbuf_release(&body);
}

/* clang-format off */
T_SUITE(e2e_hostile, { "log_lines_and_case_show", t_hostile },
	{ "healthz_under_idle_flood", t_idle_flood })
/* clang-format on */
