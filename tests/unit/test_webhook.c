/*
 * Unit tests for services/dispatch/webhook.c without PostgreSQL: the
 * signature against openssl(1), the back-off schedule, and webhook_post()
 * against a real libmicrohttpd server on a loopback port (one thread per
 * connection, so a slow handler holds up only its own request).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dispatch/webhook.h"
#include "log.h"
#include "tharness.h"
#include "util.h"

#define SECRET "secret"

/* What the server saw of the last request to /ok. */
struct seen {
	pthread_mutex_t lock;
	int count;
	double at_ms; /* now_ms() when it arrived */
	char method[8], type[64], delivery[32], event[64], ts[32], sig[80];
	struct sbuf body;
};

struct server {
	struct MHD_Daemon *mhd;
	int port;
	atomic_int release; /* lets /slow answer */
	struct seen seen;
};

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outsz)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(out, outsz, "%s", v ? v : "");
}

static void remember(struct server *srv, struct MHD_Connection *c, const char *method,
		     const struct sbuf *body)
{
	struct seen *s = &srv->seen;

	pthread_mutex_lock(&s->lock);
	s->count++;
	s->at_ms = now_ms();
	snprintf(s->method, sizeof s->method, "%s", method);
	copy_header(c, "Content-Type", s->type, sizeof s->type);
	copy_header(c, "X-XF-Delivery", s->delivery, sizeof s->delivery);
	copy_header(c, "X-XF-Event", s->event, sizeof s->event);
	copy_header(c, "X-XF-Timestamp", s->ts, sizeof s->ts);
	copy_header(c, "X-XF-Signature", s->sig, sizeof s->sig);
	sbuf_reset(&s->body);
	sbuf_add(&s->body, body->buf, body->len);
	pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
	static char text[] = "{}";
	struct MHD_Response *r = MHD_create_response_from_buffer(2, text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, status, r);

	MHD_destroy_response(r);
	return rc;
}

/* /ok: 200, remembered; /fail: 500; /slow: 200 once released (or after 5 s). */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct server *srv = cls;
	struct sbuf *body = *state;

	(void)version;
	if (!body) { /* headers only: the body, if any, follows */
		body = calloc(1, sizeof *body);
		sbuf_init(body, 0);
		*state = body;
		return MHD_YES;
	}
	if (*upload_size) {
		sbuf_add(body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/fail"))
		return answer(c, 500);
	if (!strcmp(url, "/slow"))
		for (int i = 0; i < 500 && !atomic_load(&srv->release); i++)
			usleep(10000);
	if (!strcmp(url, "/ok"))
		remember(srv, c, method, body);
	return answer(c, 200);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
		      enum MHD_RequestTerminationCode why)
{
	struct sbuf *body = *state;

	(void)cls, (void)c, (void)why;
	if (body) {
		sbuf_release(body);
		free(body);
		*state = NULL;
	}
}

static int server_start(struct server *srv)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(srv, 0, sizeof *srv);
	pthread_mutex_init(&srv->seen.lock, NULL);
	sbuf_init(&srv->seen.body, 0);
	atomic_init(&srv->release, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->mhd = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_NOTIFY_COMPLETED, completed, srv, MHD_OPTION_END);
	if (!srv->mhd)
		return -1;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	return srv->port > 0 ? 0 : -1;
}

static void server_stop(struct server *srv)
{
	atomic_store(&srv->release, 1);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	sbuf_release(&srv->seen.body);
	pthread_mutex_destroy(&srv->seen.lock);
}

static void test_conf(struct xf_conf *conf, long timeout_ms)
{
	memset(conf, 0, sizeof *conf);
	conf->database_url = "";
	conf->webhook_secret = SECRET;
	conf->webhook_timeout_ms = timeout_ms;
	conf->webhook_max_attempts = 8;
	conf->webhook_backoff_ms = 1000;
	conf->webhook_backoff_max_ms = 300000;
	conf->retry_max_ms = 5000;
}

static struct webhook_sender *sender(const struct xf_conf *conf)
{
	struct sbuf err = SBUF_INIT;
	struct webhook_sender *ws = webhook_new(conf, &err);

	if (!ws)
		fprintf(stderr, "    webhook_new: %s\n", err.buf);
	sbuf_release(&err);
	return ws;
}

static void url_of(char *out, size_t outsz, int port, const char *path)
{
	snprintf(out, outsz, "http://127.0.0.1:%d%s", port, path);
}

/*
 * Expected values from:
 *   printf '%s' '1700000000.42.assignment.{"a":1}' | openssl dgst -sha256 -hmac secret
 */
#define SIG_A "77fcc87b338619105fe8b34c51947945d464d624725490f6548258b82d7f2b3e"

static void t_signature(void)
{
	char sig[65];

	webhook_signature(SECRET, 1700000000L, "42", "assignment", "{\"a\":1}", sig);
	T_STREQ(sig, SIG_A);
	webhook_signature(SECRET, 1700000000L, "42", "assignment", "", sig);
	T_STREQ(sig, "56f4b4a46107726d9105f46f8fe9e85b54ffe311a4ce77f2e6e6a9638804c4a9");
}

/*
 * Department A's secret does not give B's signature, and each part the
 * signature covers breaks it when changed: a replay under another
 * delivery id, event type or timestamp, or with another body, fails.
 */
static void t_signature_covers(void)
{
	static const struct {
		const char *secret, *id, *kind, *body;
		long ts;
	} changed[] = {
		{ "secret-of-a", "42", "assignment", "{\"a\":1}", 1700000000L },
		{ SECRET, "43", "assignment", "{\"a\":1}", 1700000000L },
		{ SECRET, "42", "accepted", "{\"a\":1}", 1700000000L },
		{ SECRET, "42", "assignment", "{\"a\":2}", 1700000000L },
		{ SECRET, "42", "assignment", "{\"a\":1}", 1700000001L },
	};
	char sig[65];

	for (size_t i = 0; i < sizeof changed / sizeof *changed; i++) {
		webhook_signature(changed[i].secret, changed[i].ts, changed[i].id, changed[i].kind,
				  changed[i].body, sig);
		T_CHECK(strcmp(sig, SIG_A) != 0);
	}
}

/* A secret name resolves from the variable, else from the file NAME_FILE names. */
static void t_secret_resolve(void)
{
	char path[64], *v;
	FILE *f;

	unsetenv("XF_T_HOOK_KEY");
	unsetenv("XF_T_HOOK_KEY_FILE");
	T_CHECK(cfg_secret_read("XF_T_HOOK_KEY") == NULL);
	snprintf(path, sizeof path, "/tmp/xf-hook-key-%d", (int)getpid());
	f = fopen(path, "w");
	if (!T_CHECK(f != NULL))
		return;
	fputs("from-file\n", f);
	fclose(f);
	setenv("XF_T_HOOK_KEY_FILE", path, 1);
	v = cfg_secret_read("XF_T_HOOK_KEY");
	T_STREQ(v, "from-file");
	free(v);
	setenv("XF_T_HOOK_KEY", "from-env", 1);
	v = cfg_secret_read("XF_T_HOOK_KEY");
	T_STREQ(v, "from-env");
	free(v);
	unsetenv("XF_T_HOOK_KEY");
	unsetenv("XF_T_HOOK_KEY_FILE");
	unlink(path);
}

static void t_backoff(void)
{
	static const long want[] = { 1000,  2000,   4000,   8000,   16000, 32000,
				     64000, 128000, 256000, 300000, 300000 };
	struct xf_conf conf;

	test_conf(&conf, 1000);
	for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++)
		T_INTEQ(webhook_backoff_ms(&conf, i + 1), want[i]);
	T_INTEQ(webhook_backoff_ms(&conf, 100), 300000);
	T_INTEQ(webhook_backoff_ms(&conf, 0), 1000);
	conf.webhook_backoff_ms = 500;
	conf.webhook_backoff_max_ms = 300; /* a cap below the first delay wins */
	T_INTEQ(webhook_backoff_ms(&conf, 1), 300);
	conf.webhook_backoff_ms = 3600000;
	conf.webhook_backoff_max_ms = 86400000; /* the largest settings: no overflow */
	T_INTEQ(webhook_backoff_ms(&conf, 100), 86400000);
}

/* A 500 is a failure to retry, with its status. */
static void t_status_500(void)
{
	struct server srv;
	struct xf_conf conf;
	struct webhook_sender *ws = NULL;
	struct webhook_delivery d = { .id = "7", .kind = "assignment", .body = "{}" };
	char url[64];

	test_conf(&conf, 2000);
	if (!T_CHECK(server_start(&srv) == 0) || !T_CHECK((ws = sender(&conf)) != NULL))
		goto out;
	url_of(url, sizeof url, srv.port, "/fail");
	d.url = url;
	webhook_post(ws, &d, 1);
	T_INTEQ(d.outcome, WEBHOOK_RETRY);
	T_INTEQ(d.status, 500);
	T_STREQ(d.error, "HTTP status 500");
out:
	webhook_stop(ws);
	server_stop(&srv);
}

/*
 * A handler slower than the timeout fails as a timeout after about the
 * timeout, and the fast delivery beside it in the batch is not held up.
 */
static void t_timeout_alone(void)
{
	struct server srv;
	struct xf_conf conf;
	struct webhook_sender *ws = NULL;
	struct webhook_delivery v[2] = {
		{ .id = "1", .kind = "assignment", .body = "{\"n\":1}" },
		{ .id = "2", .kind = "assignment", .body = "{\"n\":2}" },
	};
	char slow[64], fast[64];
	double t0, took;

	test_conf(&conf, 300);
	if (!T_CHECK(server_start(&srv) == 0) || !T_CHECK((ws = sender(&conf)) != NULL))
		goto out;
	url_of(slow, sizeof slow, srv.port, "/slow");
	url_of(fast, sizeof fast, srv.port, "/ok");
	v[0].url = slow; /* first, so a one-at-a-time sender would fail */
	v[1].url = fast;
	t0 = now_ms();
	webhook_post(ws, v, 2);
	took = now_ms() - t0;
	T_INTEQ(v[0].outcome, WEBHOOK_RETRY);
	T_INTEQ(v[0].status, 0);
	T_CHECK(strstr(v[0].error, "timed out") != NULL);
	T_CHECK(v[0].ms >= 290 && v[0].ms < 800);
	T_CHECK(took >= 290 && took < 1000);
	T_INTEQ(v[1].outcome, WEBHOOK_DELIVERED);
	T_INTEQ(v[1].status, 200);
	T_INTEQ(srv.seen.count, 1);
	T_CHECK(srv.seen.at_ms - t0 < 200);
	if (took >= 1000 || srv.seen.at_ms - t0 >= 200)
		fprintf(stderr, "    batch took %.0f ms, fast one arrived after %.0f ms\n", took,
			srv.seen.at_ms - t0);
out:
	webhook_stop(ws);
	server_stop(&srv);
}

/* A 200 is delivered; the server saw the headers and a valid signature. */
static void t_delivered_signed(void)
{
	static const char body[] = "{\"case_id\":\"XF-1\",\"text\":\"信访 \\\"quoted\\\"\"}";
	struct server srv;
	struct xf_conf conf;
	struct webhook_sender *ws = NULL;
	struct webhook_delivery d = { .id = "4242", .kind = "assignment", .body = body };
	struct sbuf msg = SBUF_INIT;
	char url[64], want[80], mac[65];
	long ts;

	test_conf(&conf, 5000);
	if (!T_CHECK(server_start(&srv) == 0) || !T_CHECK((ws = sender(&conf)) != NULL))
		goto out;
	url_of(url, sizeof url, srv.port, "/ok");
	d.url = url;
	webhook_post(ws, &d, 1);
	T_INTEQ(d.outcome, WEBHOOK_DELIVERED);
	T_INTEQ(d.status, 200);
	T_STREQ(d.error, "");
	T_INTEQ(srv.seen.count, 1);
	T_STREQ(srv.seen.method, "POST");
	T_STREQ(srv.seen.type, "application/json");
	T_STREQ(srv.seen.delivery, "4242");
	T_STREQ(srv.seen.event, "assignment");
	T_STREQ(srv.seen.body.buf, body);
	ts = strtol(srv.seen.ts, NULL, 10);
	T_CHECK(labs(ts - (long)time(NULL)) <= 5);
	sbuf_addf(&msg, "%s.4242.assignment.%s", srv.seen.ts, body);
	hmac_sha256_hex(SECRET, msg.buf, msg.len, mac);
	snprintf(want, sizeof want, "v1=%s", mac);
	T_STREQ(srv.seen.sig, want);
	/* a delivery with its department's own key is signed with that alone */
	d.secret = "secret-of-b";
	webhook_post(ws, &d, 1);
	T_INTEQ(d.outcome, WEBHOOK_DELIVERED);
	sbuf_reset(&msg);
	sbuf_addf(&msg, "%s.4242.assignment.%s", srv.seen.ts, body);
	hmac_sha256_hex("secret-of-b", msg.buf, msg.len, mac);
	snprintf(want, sizeof want, "v1=%s", mac);
	T_STREQ(srv.seen.sig, want);
	hmac_sha256_hex(SECRET, msg.buf, msg.len, mac);
	snprintf(want, sizeof want, "v1=%s", mac);
	T_CHECK(strcmp(srv.seen.sig, want) != 0);
out:
	sbuf_release(&msg);
	webhook_stop(ws);
	server_stop(&srv);
}

/* A port nobody listens on: a transport error to retry, no status. */
static void t_refused(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct xf_conf conf;
	struct webhook_sender *ws;
	struct webhook_delivery d = { .id = "9", .kind = "assignment", .body = "{}" };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
		getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd); /* bound, never listened: the port refuses */
	url_of(url, sizeof url, ntohs(sin.sin_port), "/ok");
	d.url = url;
	test_conf(&conf, 2000);
	if (!T_CHECK((ws = sender(&conf)) != NULL))
		return;
	webhook_post(ws, &d, 1);
	T_INTEQ(d.outcome, WEBHOOK_RETRY);
	T_INTEQ(d.status, 0);
	T_CHECK(d.error[0] != '\0');
	webhook_stop(ws);
}

/* Only http and https; a header-breaking kind is refused before sending. */
static void t_rejected(void)
{
	struct xf_conf conf;
	struct webhook_sender *ws;
	struct webhook_delivery v[3] = {
		{ .id = "1", .url = "file:///etc/passwd", .kind = "assignment", .body = "{}" },
		{ .id = "2", .url = "gopher://127.0.0.1:1/", .kind = "assignment", .body = "{}" },
		{ .id = "3", .url = "http://127.0.0.1:1/", .kind = "x\r\nX-Evil: 1", .body = "{}" },
	};

	test_conf(&conf, 2000);
	if (!T_CHECK((ws = sender(&conf)) != NULL))
		return;
	webhook_post(ws, v, 3);
	for (int i = 0; i < 3; i++) {
		T_INTEQ(v[i].outcome, WEBHOOK_REJECTED);
		T_INTEQ(v[i].status, 0);
		T_CHECK(v[i].error[0] != '\0');
	}
	webhook_stop(ws);
}

/*
 * The thread, with PostgreSQL refusing it, backs off ever longer; stop
 * wakes it out of its nap at once rather than after the back-off.
 */
static void t_stop_prompt(void)
{
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;
	struct webhook_sender *ws;
	struct webhook_stats st;
	double t0;

	test_conf(&conf, 1000);
	conf.database_url = "postgresql://127.0.0.1:1/none?connect_timeout=2";
	conf.retry_max_ms = 60000;
	log_init("xf", LOG_ERROR); /* the refused connections are expected */
	ws = webhook_start(&conf, &err);
	if (!T_CHECK(ws != NULL)) {
		fprintf(stderr, "    webhook_start: %s\n", err.buf);
		goto out;
	}
	usleep(1200 * 1000); /* naps of 250, 500, then 1000 ms: inside the third */
	webhook_get_stats(ws, &st);
	T_INTEQ(st.delivered + st.failed + st.given_up, 0);
	t0 = now_ms();
	webhook_stop(ws);
	T_CHECK(now_ms() - t0 < 200);
out:
	log_init("xf", LOG_INFO);
	sbuf_release(&err);
}

/* clang-format off */
T_SUITE(webhook,
	{ "signature", t_signature },
	{ "signature_covers", t_signature_covers },
	{ "secret_resolve", t_secret_resolve },
	{ "backoff", t_backoff },
	{ "status_500", t_status_500 },
	{ "timeout_alone", t_timeout_alone },
	{ "delivered_signed", t_delivered_signed },
	{ "refused", t_refused },
	{ "rejected", t_rejected },
	{ "stop_prompt", t_stop_prompt })
/* clang-format on */
