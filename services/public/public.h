/*
 * public.h - xf-public: the citizen's status page and API (README "Status
 * for citizens"). The one listener meant to be exposed (behind TLS): it
 * reads PostgreSQL only (case_events and rule_sets; a role that may only
 * SELECT them is enough), writes nothing and has no Kafka handle.
 *
 * On XF_PUBLIC_ADDR (libmicrohttpd, one internal thread that does all the
 * work, so the connection and the rate table have one user):
 *   GET /v1/cases/<case id>?code=<query code>   xf.public_case.v1 JSON
 *   GET /c/<case id>?code=...                   the same as a page
 *   GET /v1/cases/<case id>/qr.png?code=...     the page address's QR code
 *   GET /v1/cases/<case id>/qr.svg?code=...
 *   GET /healthz, /readyz (PostgreSQL reachable)
 * A malformed case id, a wrong code and an unknown case get the same 404;
 * lookups beyond XF_PUBLIC_RATE a minute (XF_PUBLIC_BURST at once) from
 * one client address get 429 with Retry-After.
 */
#ifndef XF_PUBLIC_H
#define XF_PUBLIC_H

#include <signal.h>

#include <libpq-fe.h>

#include "cfg.h"
#include "ratelimit.h"
#include "rules.h"
#include "sbuf.h"

struct pub {
	struct xf_conf conf;
	const volatile sig_atomic_t *stop;
	PGconn *conn; /* NULL until connected; used by the server's thread only */
	struct MHD_Daemon *mhd;
	struct rules_set *rules; /* the active rule set (department names), or NULL */
	char rules_sha[65];
	double rules_checked_ms;
	struct ratelimit *rl; /* owned */
};

/* Configuration, logging, PostgreSQL (retried later if away), the listener. 0 or -1 with err. */
int pub_init(struct pub *p, const volatile sig_atomic_t *stop, struct sbuf *err);
/* Serves until *stop is set. Returns 0. */
int pub_run(struct pub *p);
/* Stops the listener, then PQfinish. Safe after a failed pub_init. */
void pub_release(struct pub *p);
/* The TCP port served (useful with port 0). */
int pub_port(const struct pub *p);

/* Whether id has the form of a case id (XF-<region 6>-<yyyymmdd>-<number>). */
int pub_case_id_valid(const char *id);

#endif
