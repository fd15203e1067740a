/*
 * http.h - the small HTTP endpoints every daemon serves (libmicrohttpd,
 * its own thread): GET /metrics (Prometheus text), /healthz (the process
 * is alive and its Kafka handles are not dead), /readyz (connected and
 * consuming). With hooks.token set, /metrics and the extra route (the
 * status page) answer 401 unless the request carries
 * "Authorization: Bearer <token>"; /healthz and /readyz stay open.
 */
#ifndef XF_HTTP_H
#define XF_HTTP_H

#include "metrics.h"
#include "sbuf.h"

/*
 * Bounds that keep the endpoints answering when clients misbehave: at most
 * HTTP_CONN_LIMIT connections at once and HTTP_PER_IP_LIMIT from one
 * address (more are closed as they come), and a connection idle for
 * HTTP_IDLE_TIMEOUT_S seconds is closed. Served with epoll, so the number
 * of descriptors the process has open does not matter (select's 1024 did).
 */
#define HTTP_CONN_LIMIT 256
#define HTTP_PER_IP_LIMIT 32
#define HTTP_IDLE_TIMEOUT_S 10

/* Returns 1 if the condition holds; may append a reason to why. */
typedef int (*http_check_fn)(void *arg, struct sbuf *why);

struct http_hooks {
	struct metrics *metrics;
	http_check_fn healthy, ready;
	void *arg;
	const char *token; /* bearer token of /metrics and the route; NULL or "" = none */
};

struct http_server;

/*
 * Serves on addr ("host:port"; "off" or "" serves nothing and returns a
 * server that does nothing). hooks is copied. NULL with err.
 */
struct http_server *http_start(const char *addr, const struct http_hooks *hooks, struct sbuf *err);
/* A request, as a route sees it. */
struct http_req;
/* The value of req's query argument key ("?key=value", decoded), or NULL. */
const char *http_req_arg(const struct http_req *req, const char *key);

/*
 * An extra GET route (xf-dispatch's status page and board): returns the
 * HTTP status and fills body and *type, or 0 when url is not its own.
 */
typedef int (*http_route_fn)(void *arg, const char *url, const struct http_req *req,
			     struct sbuf *body, const char **type);
/* Adds the route (one per server); call it before the address is published. */
void http_set_route(struct http_server *srv, http_route_fn fn, void *arg);

/* The TCP port served (useful with port 0), or 0 when serving nothing. */
int http_port(const struct http_server *srv);
void http_stop(struct http_server *srv);

#endif
