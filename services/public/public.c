/* public.c - see public.h. */
#include "public.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "page.h"
#include "pg.h"
#include "qr.h"
#include "querycode.h"
#include "util.h"
#include "view.h"
#include "xalloc.h"

#define RULES_RECHECK_MS 30000.0

static const char type_json[] = "application/json; charset=utf-8";
static const char type_html[] = "text/html; charset=utf-8";
static const char page_csp[] =
	"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:";

/* n digits at *s, advancing it. */
static int digits(const char **s, int n)
{
	for (int i = 0; i < n; i++, (*s)++)
		if (!isdigit((unsigned char)**s))
			return 0;
	return 1;
}

int pub_case_id_valid(const char *id)
{
	const char *s = id;
	size_t n;

	if (strncmp(s, "XF-", 3))
		return 0;
	s += 3;
	if (!digits(&s, 6) || *s++ != '-' || !digits(&s, 8) || *s++ != '-')
		return 0;
	n = strlen(s);
	if (n == 6 || (n >= 7 && n <= 10 && *s != '0'))
		return digits(&s, (int)n) && !*s;
	return 0;
}

/* Loads the active rule set when it changed (checked every RULES_RECHECK_MS). */
static void rules_refresh(struct pub *p)
{
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs = NULL;
	PGresult *res = NULL;
	json_t *doc;

	if (p->rules && now_ms() - p->rules_checked_ms < RULES_RECHECK_MS)
		return;
	if (pg_active_doc(p->conn, "rule_sets", p->rules ? p->rules_sha : "", &res, &err) || !res ||
	    !pg_value(res, 0, 1))
		goto out;
	doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	rs = doc ? rules_parse(doc, &err) : NULL;
	json_decref(doc);
	if (rs) {
		rules_free(p->rules);
		p->rules = rs;
		snprintf(p->rules_sha, sizeof p->rules_sha, "%s", PQgetvalue(res, 0, 0));
		log_info("rules_loaded", LOG_S("version", rs->version), LOG_END);
	}
out:
	if (err.len)
		log_warn("rules_not_loaded", LOG_S("error", err.buf), LOG_END);
	else
		p->rules_checked_ms = now_ms();
	PQclear(res);
	sbuf_release(&err);
}

/* The case's chain events in seq order (a new array); NULL with err. */
static json_t *case_events(struct pub *p, const char *case_id, struct sbuf *err)
{
	PGresult *res;
	json_t *events;

	if (pg_ensure(&p->conn, p->conf.database_url, err))
		return NULL;
	rules_refresh(p);
	res = pg_query(p->conn, "SELECT body FROM case_events WHERE case_id = $1 ORDER BY seq", 1,
		       (const char *const[]){ case_id }, err);
	if (!res)
		return NULL;
	events = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *ev = json_loads(PQgetvalue(res, i, 0), 0, NULL);

		if (ev)
			json_array_append_new(events, ev);
	}
	PQclear(res);
	return events;
}

/* ---- answers ---- */

/* Queues body (taken) with status, type and the headers every answer has. */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
			      struct sbuf *body, long retry_after)
{
	size_t len;
	char *buf = sbuf_detach(body, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;
	char secs[24];

	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!strcmp(type, type_html))
		MHD_add_response_header(r, "Content-Security-Policy", page_csp);
	if (retry_after > 0) {
		snprintf(secs, sizeof secs, "%ld", retry_after);
		MHD_add_response_header(r, "Retry-After", secs);
	}
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The one answer to an unknown case, a wrong code and a malformed id. */
static enum MHD_Result not_found(struct MHD_Connection *c, int html)
{
	struct sbuf body = SBUF_INIT;

	if (html)
		page_not_found(&body);
	else
		sbuf_adds(&body, "{\"error\":\"not_found\"}\n");
	return answer(c, MHD_HTTP_NOT_FOUND, html ? type_html : type_json, &body, 0);
}

static enum MHD_Result too_many(struct MHD_Connection *c, int html, long retry_after)
{
	struct sbuf body = SBUF_INIT;

	if (html)
		page_too_many(&body);
	else
		sbuf_adds(&body, "{\"error\":\"rate_limited\"}\n");
	return answer(c, MHD_HTTP_TOO_MANY_REQUESTS, html ? type_html : type_json, &body,
		      retry_after);
}

static enum MHD_Result unavailable(struct MHD_Connection *c, const char *why)
{
	struct sbuf body = SBUF_INIT;

	log_warn("lookup_failed", LOG_S("error", why), LOG_END);
	sbuf_adds(&body, "{\"error\":\"unavailable\"}\n");
	return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, type_json, &body, 0);
}

static enum MHD_Result plain(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct sbuf body = SBUF_INIT;

	sbuf_adds(&body, text);
	return answer(c, status, "text/plain; charset=utf-8", &body, 0);
}

/* ---- routes ---- */

enum what { WHAT_JSON, WHAT_PAGE, WHAT_PNG, WHAT_SVG };

/* The case's view as JSON or page. */
static enum MHD_Result show_case(struct pub *p, struct MHD_Connection *c, const char *id,
				 enum what what)
{
	struct sbuf err = SBUF_INIT, body = SBUF_INIT;
	json_t *events = case_events(p, id, &err);
	json_t *view = events ? view_case(id, events, p->rules) : NULL;
	enum MHD_Result rc;
	char *text;

	if (!events)
		rc = unavailable(c, err.buf);
	else if (!view)
		rc = not_found(c, what == WHAT_PAGE);
	else if (what == WHAT_PAGE) {
		page_case(view, &body);
		rc = answer(c, MHD_HTTP_OK, type_html, &body, 0);
	} else {
		text = json_dumps(view, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		sbuf_adds(&body, text);
		sbuf_addch(&body, '\n');
		free(text);
		rc = answer(c, MHD_HTTP_OK, type_json, &body, 0);
	}
	json_decref(view);
	json_decref(events);
	sbuf_release(&err);
	return rc;
}

/* The QR code of the case's page (needs no lookup: the code proved the id). */
static enum MHD_Result show_qr(struct pub *p, struct MHD_Connection *c, const char *id,
			       enum what what)
{
	struct sbuf url = SBUF_INIT, body = SBUF_INIT, err = SBUF_INIT;
	int png = what == WHAT_PNG;
	enum MHD_Result rc;

	qr_page_url(p->conf.public_url, p->conf.query_key, id, &url);
	if ((png ? qr_png : qr_svg)(url.buf, &body, &err))
		rc = unavailable(c, err.buf);
	else
		rc = answer(c, MHD_HTTP_OK, png ? "image/png" : "image/svg+xml", &body, 0);
	sbuf_release(&url);
	sbuf_release(&body);
	sbuf_release(&err);
	return rc;
}

/* The client's address as ratelimit.h keys it. */
static void client_key(struct MHD_Connection *c, unsigned char key[16])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 8);
	}
}

/* Splits rest ("<id>", "<id>/qr.png") into id (in buf) and what; 0 if neither. */
static int split(const char *rest, int page, char *buf, size_t size, enum what *what)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

	if (n >= size || (slash && page))
		return 0;
	memcpy(buf, rest, n);
	buf[n] = '\0';
	if (!slash)
		*what = page ? WHAT_PAGE : WHAT_JSON;
	else if (!strcmp(slash, "/qr.png"))
		*what = WHAT_PNG;
	else if (!strcmp(slash, "/qr.svg"))
		*what = WHAT_SVG;
	else
		return 0;
	return 1;
}

/* A lookup: rate, then id and code, then the answer. */
static enum MHD_Result lookup(struct pub *p, struct MHD_Connection *c, const char *rest, int page)
{
	const char *code = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code");
	unsigned char key[16];
	enum what what = page ? WHAT_PAGE : WHAT_JSON;
	char id[48];
	long wait;
	int ok;

	client_key(c, key);
	wait = ratelimit_take(p->rl, key, now_ms());
	if (wait)
		return too_many(c, page, wait);
	ok = split(rest, page, id, sizeof id, &what) && pub_case_id_valid(id) && code &&
	     query_code_ok(p->conf.query_key, id, code);
	if (!ok)
		return not_found(c, page);
	if (what == WHAT_PNG || what == WHAT_SVG)
		return show_qr(p, c, id, what);
	return show_case(p, c, id, what);
}

static enum MHD_Result ready(struct pub *p, struct MHD_Connection *c)
{
	struct sbuf err = SBUF_INIT;
	int ok = !pg_ensure(&p->conn, p->conf.database_url, &err) &&
		 !pg_exec(p->conn, "SELECT 1", 0, NULL, &err);

	sbuf_release(&err);
	return plain(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		     ok ? "ok\n" : "PostgreSQL unreachable\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct pub *p = cls;

	(void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/healthz"))
		return plain(c, MHD_HTTP_OK, "ok\n");
	if (!strcmp(url, "/readyz"))
		return ready(p, c);
	if (!strncmp(url, "/v1/cases/", 10))
		return lookup(p, c, url + 10, 0);
	if (!strncmp(url, "/c/", 3))
		return lookup(p, c, url + 3, 1);
	return plain(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* ---- the daemon ---- */

static int parse_addr(const char *addr, struct sockaddr_in *sin, struct sbuf *err)
{
	const char *colon = strrchr(addr, ':');
	char host[64], *end;
	long port;

	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
		goto bad;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_port = htons((unsigned short)port);
	return 0;
bad:
	sbuf_addf(err, "XF_PUBLIC_ADDR \"%s\" is not host:port (IPv4)", addr);
	return -1;
}

static int serve(struct pub *p, struct sbuf *err)
{
	struct sockaddr_in sin;

	if (parse_addr(p->conf.public_addr, &sin, err))
		return -1;
	p->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  handle, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_LIMIT,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!p->mhd) {
		sbuf_addf(err, "cannot serve HTTP on %s (in use?)", p->conf.public_addr);
		return -1;
	}
	return 0;
}

int pub_init(struct pub *p, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	enum log_level level = LOG_INFO;
	struct sbuf why = SBUF_INIT;

	memset(p, 0, sizeof *p);
	p->stop = stop;
	if (cfg_load(&p->conf, "off", err) | cfg_check_secrets(&p->conf, "xf-public", err))
		return -1;
	log_level_parse(p->conf.log_level, &level);
	log_init("xf-public", level);
	cfg_log(&p->conf);
	p->rl = xcalloc(1, sizeof *p->rl);
	ratelimit_init(p->rl, p->conf.public_rate, p->conf.public_burst);
	p->conn = pg_connect(p->conf.database_url, &why);
	if (!p->conn)
		log_warn("pg_unreachable", LOG_S("error", why.buf), LOG_END);
	sbuf_release(&why);
	if (serve(p, err))
		return -1;
	log_info("serving", LOG_S("addr", p->conf.public_addr), LOG_I("port", pub_port(p)),
		 LOG_END);
	return 0;
}

int pub_port(const struct pub *p)
{
	const union MHD_DaemonInfo *info;

	if (!p->mhd)
		return 0;
	info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

int pub_run(struct pub *p)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 };

	while (!*p->stop)
		nanosleep(&nap, NULL);
	log_info("stopping", LOG_END);
	return 0;
}

void pub_release(struct pub *p)
{
	if (p->mhd)
		MHD_stop_daemon(p->mhd);
	p->mhd = NULL;
	rules_free(p->rules);
	p->rules = NULL;
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	free(p->rl);
	p->rl = NULL;
	cfg_release(&p->conf);
}
