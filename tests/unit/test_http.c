/*
 * Unit tests for common/http.c: a real server on a loopback port, asked
 * with libcurl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "metrics.h"
#include "sbuf.h"
#include "tharness.h"

/* What the hooks answer; each hook counts its calls. */
struct probe {
	int healthy, ready;
	const char *health_why, *ready_why;
	int health_calls, ready_calls;
};

static int probe_healthy(void *arg, struct sbuf *why)
{
	struct probe *p = arg;

	p->health_calls++;
	if (!p->healthy)
		sbuf_adds(why, p->health_why);
	return p->healthy;
}

static int probe_ready(void *arg, struct sbuf *why)
{
	struct probe *p = arg;

	p->ready_calls++;
	if (!p->ready)
		sbuf_adds(why, p->ready_why);
	return p->ready;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	sbuf_add(arg, data, size * n);
	return size * n;
}

/*
 * Asks http://127.0.0.1:port/path with method ("GET", "POST", "HEAD") and
 * an extra header (NULL: none); body gets the reply, type (may be NULL) its
 * Content-Type. Returns the HTTP status, or -1 if the request failed.
 */
static long fetch_with(int port, const char *method, const char *path, const char *header,
		       struct sbuf *body, struct sbuf *type)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	char url[128];
	long status = -1;
	char *ct = NULL;
	CURLcode rc;

	if (!curl)
		return -1;
	if (header) {
		headers = curl_slist_append(headers, header);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x=1");
	else if (!strcmp(method, "HEAD"))
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (type && curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			sbuf_adds(type, ct);
	} else {
		fprintf(stderr, "    %s %s: %s\n", method, url, curl_easy_strerror(rc));
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return status;
}

static long fetch(int port, const char *method, const char *path, struct sbuf *body,
		  struct sbuf *type)
{
	return fetch_with(port, method, path, NULL, body, type);
}

static struct http_server *start(const char *addr, const struct http_hooks *hooks)
{
	struct sbuf err = SBUF_INIT;
	struct http_server *srv = http_start(addr, hooks, &err);

	if (!srv)
		fprintf(stderr, "    http_start(%s): %s\n", addr, err.buf);
	sbuf_release(&err);
	return srv;
}

/* GET /metrics serves exactly what metrics_render writes, live. */
static void t_metrics(void)
{
	struct metrics *m = metrics_new();
	struct metrics_series *s = metrics_get(m, "xf_test_total", "Test counter.", METRICS_COUNTER,
					       "topic=\"a\"");
	struct http_hooks hooks = { .metrics = m };
	struct sbuf body = SBUF_INIT, type = SBUF_INIT, want = SBUF_INIT;
	struct http_server *srv;
	int port;

	metrics_add(s, 7);
	srv = start("127.0.0.1:0", &hooks);
	if (!T_CHECK(srv != NULL))
		goto out;
	port = http_port(srv);
	T_CHECK(port > 0 && port <= 65535);
	T_INTEQ(fetch(port, "GET", "/metrics", &body, &type), 200);
	metrics_render(m, &want);
	T_STREQ(body.buf, want.buf);
	T_CHECK(strstr(body.buf, "xf_test_total{topic=\"a\"} 7") != NULL);
	T_CHECK(strstr(body.buf, "# TYPE xf_test_total counter") != NULL);
	T_CHECK(strncmp(type.buf, "text/plain", 10) == 0);

	/* the next scrape sees the new value */
	metrics_add(s, 1);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/metrics", &body, NULL), 200);
	T_CHECK(strstr(body.buf, "xf_test_total{topic=\"a\"} 8") != NULL);
out:
	http_stop(srv);
	metrics_free(m);
	sbuf_release(&body);
	sbuf_release(&type);
	sbuf_release(&want);
}

/* /healthz and /readyz each ask their own hook and report its reason. */
static void t_health_ready(void)
{
	struct probe p = { 1, 1, "kafka handle dead", "not consuming yet", 0, 0 };
	struct http_hooks hooks = { NULL, probe_healthy, probe_ready, &p, NULL };
	struct sbuf body = SBUF_INIT;
	struct http_server *srv = start("127.0.0.1:0", &hooks);
	int port;

	if (!T_CHECK(srv != NULL))
		return;
	port = http_port(srv);
	T_INTEQ(fetch(port, "GET", "/healthz", &body, NULL), 200);
	T_STREQ(body.buf, "ok\n");
	T_INTEQ(p.health_calls, 1);
	T_INTEQ(p.ready_calls, 0);

	p.healthy = 0;
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/healthz", &body, NULL), 503);
	T_STREQ(body.buf, "kafka handle dead\n");

	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/readyz", &body, NULL), 200);
	T_STREQ(body.buf, "ok\n");
	T_INTEQ(p.ready_calls, 1);

	p.healthy = 1;
	p.ready = 0;
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/readyz", &body, NULL), 503);
	T_STREQ(body.buf, "not consuming yet\n");
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/healthz", &body, NULL), 200);
	T_STREQ(body.buf, "ok\n");
	T_INTEQ(p.health_calls, 3);
	T_INTEQ(p.ready_calls, 2);
	http_stop(srv);
	sbuf_release(&body);
}

/* Unknown paths 404, other methods 405, HEAD is a GET without a body. */
static void t_not_found_and_methods(void)
{
	struct probe p = { 1, 1, "", "", 0, 0 };
	struct metrics *m = metrics_new();
	struct http_hooks hooks = { m, probe_healthy, probe_ready, &p, NULL };
	struct sbuf body = SBUF_INIT;
	struct http_server *srv = start("127.0.0.1:0", &hooks);
	int port;

	if (!T_CHECK(srv != NULL))
		goto out;
	port = http_port(srv);
	T_INTEQ(fetch(port, "GET", "/nope", &body, NULL), 404);
	T_CHECK(strstr(body.buf, "/metrics") != NULL);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/", &body, NULL), 404);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/healthz/x", &body, NULL), 404);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "POST", "/healthz", &body, NULL), 405);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "POST", "/metrics", &body, NULL), 405);
	T_INTEQ(p.health_calls, 0);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "HEAD", "/healthz", &body, NULL), 200);
	T_INTEQ(body.len, 0);
	T_INTEQ(p.health_calls, 1);
out:
	http_stop(srv);
	metrics_free(m);
	sbuf_release(&body);
}

/* Without hooks, health and readiness hold and /metrics is not served. */
static void t_no_hooks(void)
{
	struct http_hooks hooks = { NULL, NULL, NULL, NULL, NULL };
	struct sbuf body = SBUF_INIT;
	struct http_server *srv = start("127.0.0.1:0", &hooks);
	int port;

	if (!T_CHECK(srv != NULL))
		return;
	port = http_port(srv);
	T_INTEQ(fetch(port, "GET", "/healthz", &body, NULL), 200);
	T_STREQ(body.buf, "ok\n");
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/readyz", &body, NULL), 200);
	sbuf_reset(&body);
	T_INTEQ(fetch(port, "GET", "/metrics", &body, NULL), 404);
	http_stop(srv);
	sbuf_release(&body);
}

/* "off" and "" serve nothing but give a server that can be stopped. */
static void t_off(void)
{
	static const char *const addrs[] = { "off", "" };
	struct http_hooks hooks = { NULL, NULL, NULL, NULL, NULL };

	for (size_t i = 0; i < 2; i++) {
		struct sbuf err = SBUF_INIT;
		struct http_server *srv = http_start(addrs[i], &hooks, &err);

		if (T_CHECK(srv != NULL))
			T_INTEQ(http_port(srv), 0);
		T_INTEQ(err.len, 0);
		http_stop(srv);
		sbuf_release(&err);
	}
	http_stop(NULL);
}

static void t_bad_addr(void)
{
	static const char *const addrs[] = {
		"nonsense",     "127.0.0.1:99999", "1.2.3:80",
		"127.0.0.1:-1", "localhost:8080",  "::1:8080",
	};
	struct http_hooks hooks = { NULL, NULL, NULL, NULL, NULL };

	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		struct sbuf err = SBUF_INIT;
		struct http_server *srv = http_start(addrs[i], &hooks, &err);

		if (!T_CHECK(srv == NULL))
			fprintf(stderr, "    \"%s\" was accepted\n", addrs[i]);
		T_CHECK(strstr(err.buf, addrs[i]) != NULL);
		T_CHECK(strstr(err.buf, "host:port") != NULL);
		http_stop(srv);
		sbuf_release(&err);
	}
}

/* A port that is not a number must not quietly become port 0 (any port). */
static void t_bad_port_text(void)
{
	static const char *const addrs[] = { "127.0.0.1:abc", "127.0.0.1:" };
	struct http_hooks hooks = { NULL, NULL, NULL, NULL, NULL };

	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		struct sbuf err = SBUF_INIT;
		struct http_server *srv = http_start(addrs[i], &hooks, &err);

		if (!T_CHECK(srv == NULL))
			fprintf(stderr, "    \"%s\" was accepted (port %d)\n", addrs[i],
				http_port(srv));
		T_CHECK(strstr(err.buf, addrs[i]) != NULL);
		http_stop(srv);
		sbuf_release(&err);
	}
}

/* A listening socket on 127.0.0.1; its port in *port. Returns the fd or -1. */
static int listen_any(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void t_port_in_use(void)
{
	struct http_hooks hooks = { NULL, NULL, NULL, NULL, NULL };
	struct sbuf err = SBUF_INIT;
	struct http_server *srv;
	char addr[64];
	int port = 0, fd = listen_any(&port);

	if (!T_CHECK(fd >= 0))
		return;
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	srv = http_start(addr, &hooks, &err);
	T_CHECK(srv == NULL);
	T_CHECK(strstr(err.buf, addr) != NULL);
	http_stop(srv);
	close(fd);

	/* once free, the same address serves */
	sbuf_reset(&err);
	srv = http_start(addr, &hooks, &err);
	if (T_CHECK(srv != NULL))
		T_INTEQ(http_port(srv), port);
	http_stop(srv);
	sbuf_release(&err);
}

#define IDLE_CONNS 1100

/* Room for the idle clients and as many server ends: raises RLIMIT_NOFILE. */
static int raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want ? -1 : 0;
}

/* A TCP connection from 127.0.0.<from> to 127.0.0.1:port that sends nothing; -1 on error. */
static int idle_conn(int from, int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	src.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((unsigned short)port);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&src, sizeof src) ||
			connect(fd, (struct sockaddr *)&dst, sizeof dst))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Waits up to s seconds for the server to close each of fds[0..n) (EOF or
 * reset); closes those it did. Returns how many are still open.
 */
static size_t await_closed(int *fds, size_t n, int s)
{
	struct pollfd *pfd = calloc(n, sizeof *pfd);
	time_t end = time(NULL) + s;
	size_t open = n;

	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (open && time(NULL) < end && poll(pfd, n, 500) >= 0) {
		for (size_t i = 0; i < n; i++) {
			char c;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (recv(pfd[i].fd, &c, 1, MSG_DONTWAIT) > 0 || errno == EAGAIN)
				continue; /* not closed (nothing is ever sent to it) */
			close(pfd[i].fd);
			fds[i] = pfd[i].fd = -1;
			open--;
		}
	}
	free(pfd);
	return open;
}

/*
 * 1,100 idle connections from one address do not starve /healthz: past
 * HTTP_PER_IP_LIMIT they are closed at once, the others when they have
 * been idle HTTP_IDLE_TIMEOUT_S.
 */
static void t_idle_flood(void)
{
	struct probe p = { 1, 1, "", "", 0, 0 };
	struct http_hooks hooks = { NULL, probe_healthy, probe_ready, &p, NULL };
	struct sbuf body = SBUF_INIT;
	struct http_server *srv;
	int *fds = calloc(IDLE_CONNS, sizeof *fds);
	size_t opened = 0;
	time_t t0;

	if (!T_CHECK(raise_nofile(3 * IDLE_CONNS) == 0))
		goto out;
	srv = start("127.0.0.1:0", &hooks);
	if (!T_CHECK(srv != NULL))
		goto out;
	for (; opened < IDLE_CONNS; opened++)
		if ((fds[opened] = idle_conn(2, http_port(srv))) < 0)
			break;
	T_INTEQ(opened, IDLE_CONNS);
	t0 = time(NULL);
	T_INTEQ(fetch(http_port(srv), "GET", "/healthz", &body, NULL), 200);
	T_STREQ(body.buf, "ok\n");
	/* held within the timeout, or it proves nothing */
	T_CHECK(time(NULL) - t0 < HTTP_IDLE_TIMEOUT_S);
	T_INTEQ(await_closed(fds, opened, 3 * HTTP_IDLE_TIMEOUT_S), 0);
	sbuf_reset(&body);
	T_INTEQ(fetch(http_port(srv), "GET", "/healthz", &body, NULL), 200);
	http_stop(srv);
out:
	for (size_t i = 0; i < opened; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	sbuf_release(&body);
}

/* clang-format off */
/* /status.json: "{}", or the query argument echo's value when there is one. */
static int status_route(void *arg, const char *url, const struct http_req *req,
			struct sbuf *body, const char **type)
{
	const char *echo = http_req_arg(req, "echo");

	(void)arg, (void)type;
	if (strcmp(url, "/status.json"))
		return 0;
	sbuf_adds(body, echo ? echo : "{}");
	return 200;
}

/* Asks path without, with a wrong and with the right bearer token. */
static void expect_token(int port, const char *path, const char *token)
{
	struct sbuf body = SBUF_INIT, hdr = SBUF_INIT;

	T_INTEQ(fetch(port, "GET", path, &body, NULL), 401);
	T_INTEQ(fetch_with(port, "GET", path, "Authorization: Bearer wrong", &body, NULL), 401);
	T_INTEQ(fetch_with(port, "GET", path, "Authorization: Basic eDp5", &body, NULL), 401);
	sbuf_addf(&hdr, "Authorization: Bearer %sx", token); /* a longer one */
	T_INTEQ(fetch_with(port, "GET", path, hdr.buf, &body, NULL), 401);
	sbuf_reset(&hdr);
	sbuf_addf(&hdr, "Authorization: Bearer %.*s", (int)strlen(token) - 1, token);
	T_INTEQ(fetch_with(port, "GET", path, hdr.buf, &body, NULL), 401);
	sbuf_reset(&hdr);
	sbuf_addf(&hdr, "Authorization: Bearer %s", token);
	sbuf_reset(&body);
	T_INTEQ(fetch_with(port, "GET", path, hdr.buf, &body, NULL), 200);
	T_CHECK(body.len > 0);
	sbuf_release(&body);
	sbuf_release(&hdr);
}

/* With a token, /metrics and the route need it; /healthz and /readyz do not. */
static void t_token(void)
{
	static const char token[] = "0123456789abcdef0123456789abcdef";
	struct metrics *m = metrics_new();
	struct probe p = { .healthy = 1, .ready = 1 };
	struct http_hooks hooks = { m, probe_healthy, probe_ready, &p, token };
	struct sbuf body = SBUF_INIT;
	struct http_server *srv;
	int port;

	metrics_add(metrics_get(m, "xf_test_total", "Test.", METRICS_COUNTER, NULL), 1);
	srv = start("127.0.0.1:0", &hooks);
	if (!T_CHECK(srv != NULL))
		goto out;
	http_set_route(srv, status_route, NULL);
	port = http_port(srv);
	expect_token(port, "/metrics", token);
	expect_token(port, "/status.json", token);
	T_INTEQ(fetch(port, "GET", "/healthz", &body, NULL), 200);
	T_INTEQ(fetch(port, "GET", "/readyz", &body, NULL), 200);
	/* the route reads the query's arguments, decoded */
	sbuf_reset(&body);
	T_INTEQ(fetch_with(port, "GET", "/status.json?echo=a%20b&x=1",
			   "Authorization: Bearer " "0123456789abcdef0123456789abcdef", &body, NULL),
		200);
	T_CHECK(body.buf && strstr(body.buf, "a b"));
out:
	http_stop(srv);
	metrics_free(m);
	sbuf_release(&body);
}

T_SUITE(http,
	{ "token", t_token },
	{ "metrics", t_metrics },
	{ "health_ready", t_health_ready },
	{ "not_found_and_methods", t_not_found_and_methods },
	{ "no_hooks", t_no_hooks },
	{ "off", t_off },
	{ "bad_addr", t_bad_addr },
	{ "bad_port_text", t_bad_port_text },
	{ "port_in_use", t_port_in_use },
	{ "idle_flood", t_idle_flood })
/* clang-format on */
