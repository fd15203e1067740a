/* http.c - see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "log.h"
#include "xalloc.h"

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_hooks hooks;
	http_route_fn _Atomic route;
	void *route_arg;
	time_t logged_at; /* libmicrohttpd's messages: at most one a second */
	long suppressed;  /* ...and how many were left out since */
};

/*
 * libmicrohttpd's own messages (a connection refused at a limit, say) as
 * our log lines; a flood of refused clients makes one line a second.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *srv = cls;
	time_t now = time(NULL);
	char msg[256];

	if (now == srv->logged_at) {
		srv->suppressed++;
		return;
	}
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http_server", LOG_S("msg", msg), LOG_I("suppressed", srv->suppressed), LOG_END);
	srv->logged_at = now;
	srv->suppressed = 0;
}

void http_set_route(struct http_server *srv, http_route_fn fn, void *arg)
{
	if (!srv)
		return;
	srv->route_arg = arg;
	srv->route = fn;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     struct sbuf *body)
{
	size_t len;
	char *buf = sbuf_detach(body, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result check(struct MHD_Connection *c, http_check_fn fn, void *arg)
{
	struct sbuf body = SBUF_INIT;
	int ok = !fn || fn(arg, &body);

	sbuf_adds(&body, ok ? "ok\n" : "\n");
	return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		     "text/plain; charset=utf-8", &body);
}

/* Compares in a time that depends on want's length only. */
static int token_equal(const char *given, const char *want)
{
	size_t n = strlen(want), m = strlen(given);
	unsigned char d = n != m;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(want[i] ^ given[i < m ? i : 0]);
	return !d;
}

/* Whether the request may see /metrics and the route: no token, or its bearer token. */
static int authorized(struct http_server *srv, struct MHD_Connection *c)
{
	const char *auth;

	if (!srv->hooks.token || !*srv->hooks.token)
		return 1;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7))
		return 0;
	return token_equal(auth + 7, srv->hooks.token);
}

static enum MHD_Result unauthorized(struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	static const char msg[] = "unauthorized: send Authorization: Bearer <XF_HTTP_TOKEN>\n";

	r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "text/plain");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	rc = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return rc;
}

struct http_req {
	struct MHD_Connection *c;
};

const char *http_req_arg(const struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->c, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct http_server *srv = cls;
	struct sbuf body = SBUF_INIT;

	(void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		sbuf_adds(&body, "method not allowed\n");
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &body);
	}
	if (!strcmp(url, "/healthz"))
		return check(c, srv->hooks.healthy, srv->hooks.arg);
	if (!strcmp(url, "/readyz"))
		return check(c, srv->hooks.ready, srv->hooks.arg);
	if (!authorized(srv, c))
		return unauthorized(c);
	if (!strcmp(url, "/metrics") && srv->hooks.metrics) {
		metrics_render(srv->hooks.metrics, &body);
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", &body);
	}
	if (srv->route) {
		const char *type = "text/plain; charset=utf-8";
		struct http_req req = { c };
		int status = srv->route(srv->route_arg, url, &req, &body, &type);

		if (status)
			return reply(c, (unsigned)status, type, &body);
		sbuf_reset(&body);
	}
	sbuf_adds(&body, "not found: try /metrics, /healthz or /readyz\n");
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", &body);
}

static int parse_addr(const char *addr, struct sockaddr_in *sin, struct sbuf *err)
{
	const char *colon = strrchr(addr, ':');
	char host[64] = "0.0.0.0", *end;
	long port;

	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	if (!colon || (size_t)(colon - addr) >= sizeof host)
		goto bad;
	if (colon > addr) {
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_port = htons((unsigned short)port);
	return 0;
bad:
	sbuf_addf(err, "XF_HTTP_ADDR \"%s\" is not host:port (IPv4)", addr);
	return -1;
}

struct http_server *http_start(const char *addr, const struct http_hooks *hooks, struct sbuf *err)
{
	struct http_server *srv = xcalloc(1, sizeof *srv);
	struct sockaddr_in sin;

	srv->hooks = *hooks;
	if (hooks->token)
		srv->hooks.token = xstrdup(hooks->token);
	if (!*addr || !strcmp(addr, "off"))
		return srv;
	if (parse_addr(addr, &sin, err)) {
		free((char *)srv->hooks.token);
		free(srv);
		return NULL;
	}
	srv->mhd = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first: all messages */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)HTTP_CONN_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)HTTP_PER_IP_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_END);
	if (!srv->mhd) {
		sbuf_addf(err, "cannot serve HTTP on %s (in use?)", addr);
		free((char *)srv->hooks.token);
		free(srv);
		return NULL;
	}
	return srv;
}

int http_port(const struct http_server *srv)
{
	const union MHD_DaemonInfo *info;

	if (!srv->mhd)
		return 0;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	free((char *)srv->hooks.token);
	free(srv);
}
