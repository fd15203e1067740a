/*
 * test_prometheus.c - Prometheus for real: Debian's prometheus scrapes the
 * three daemons with deploy/prometheus/ as it ships, changed only where a
 * test on one host must (tests/e2e/prom_config.py: the targets, 1 s
 * intervals, XfDaemonDown's `for:` of 3 s). Through its HTTP API: every
 * target up; the series of `wanted` there with the job's labels and their
 * own; every alert rule evaluating without error, and none firing; every
 * query of the Grafana dashboards evaluating without error on the live
 * data; then, once xf-classify is killed with SIGKILL, XfDaemonDown firing
 * for it (its summary naming it) and for no other daemon.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "gen.h"
#include "tharness.h"
#include "util.h"

#define PROM_INTERVAL "1s"
#define PROM_DOWN_FOR "3s"
#define PROM_WAIT_S 40
#define DASHBOARD "deploy/grafana/dashboards/xinfang.json"

static const char *const services[E2E_NDAEMONS] = { "xf-intake", "xf-classify", "xf-dispatch" };

/*
 * The series Prometheus must hold once petitions went through: the name,
 * the daemon that exports it, and a label of its own each of its series
 * carries (NULL: none). Add new series here (the board's, say).
 */
static const struct wanted {
	const char *name;
	enum e2e_daemon d;
	const char *label;
} wanted[] = {
	{ "xf_messages_in_total", E2E_INTAKE, "topic" },
	{ "xf_messages_out_total", E2E_INTAKE, "kind" },
	{ "xf_dead_letters_total", E2E_INTAKE, "reason" },
	{ "xf_messages_in_total", E2E_CLASSIFY, "topic" },
	{ "xf_batches_total", E2E_CLASSIFY, NULL },
	{ "xf_batch_duration_seconds_bucket", E2E_CLASSIFY, "le" },
	{ "xf_kafka_broker_rtt_seconds", E2E_CLASSIFY, "broker" },
	{ "xf_messages_out_total", E2E_DISPATCH, "topic" },
	{ "xf_end_to_end_seconds_bucket", E2E_DISPATCH, "from" },
	{ "xf_pg_query_duration_seconds_bucket", E2E_DISPATCH, "le" },
	{ "xf_cases", E2E_DISPATCH, "department" },
	{ "xf_consumer_group_lag_seconds", E2E_DISPATCH, "group" },
	{ "xf_consumer_group_status", E2E_DISPATCH, "group" },
	{ "xf_department_status", E2E_DISPATCH, "department" },
	{ "xf_petition_index", E2E_DISPATCH, "region" },
};

/* Grafana's variables in the dashboards' queries, as Grafana fills them
 * for a 15 s scrape interval (its default). */
static const struct {
	const char *name, *value;
} grafana_vars[] = {
	{ "__rate_interval", "1m" },
	{ "__interval", "15s" },
	{ "__range", "1h" },
};

/* A Prometheus of the test's own, and the daemons it scrapes. */
struct prom {
	pid_t pid;
	int port;
	int dport[E2E_NDAEMONS]; /* each daemon's XF_HTTP_ADDR port */
	char dir[64];            /* config and TSDB, removed by prom_stop */
};

/* Writes dir/prometheus.yml and the rules from deploy/prometheus/. 0 or -1. */
static int prom_config(const struct prom *p)
{
	struct sbuf cmd = SBUF_INIT;
	int rc;

	sbuf_addf(&cmd, "/usr/bin/python3 tests/e2e/prom_config.py %s %s 127.0.0.1:%d", p->dir,
		  PROM_INTERVAL, p->port);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		sbuf_addf(&cmd, " %s=127.0.0.1:%d", services[d], p->dport[d]);
	sbuf_addf(&cmd, " --for XfDaemonDown=%s", PROM_DOWN_FOR);
	rc = system(cmd.buf);
	sbuf_release(&cmd);
	return rc == 0 ? 0 : -1;
}

/* Starts prometheus on a free port, logging to <logs>/<test>-prometheus.log. */
static int prom_start(struct prom *p, const struct e2e *t)
{
	char conf[96], tsdb[96], listen[64], logf[512];

	snprintf(p->dir, sizeof p->dir, "/tmp/xf-prom-XXXXXX");
	p->port = e2e_free_port();
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		return -1;
	}
	if (prom_config(p))
		return -1;
	snprintf(conf, sizeof conf, "--config.file=%s/prometheus.yml", p->dir);
	snprintf(tsdb, sizeof tsdb, "--storage.tsdb.path=%s/data", p->dir);
	snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", p->port);
	snprintf(logf, sizeof logf, "%s/%s-prometheus.log", t->logs, t->name);
	p->pid = fork();
	if (p->pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl("/usr/bin/prometheus", "prometheus", conf, tsdb, listen, (char *)NULL);
		_exit(127);
	}
	return p->pid > 0 ? 0 : -1;
}

/* Stops prometheus (SIGKILL after 10 s) and removes its folder. */
static void prom_stop(struct prom *p)
{
	int status, gone = 0;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		for (int i = 0; i < 100 && !gone; i++) {
			gone = waitpid(p->pid, &status, WNOHANG) == p->pid;
			if (!gone)
				usleep(100000);
		}
		if (!gone) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
		}
		p->pid = 0;
	}
	if (p->dir[0]) {
		struct sbuf cmd = SBUF_INIT;

		sbuf_addf(&cmd, "rm -rf '%s'", p->dir);
		T_INTEQ(system(cmd.buf), 0);
		sbuf_release(&cmd);
		p->dir[0] = '\0';
	}
}

/* s percent-encoded for a URL's query onto out. */
static void url_escape(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~", c))
			sbuf_addch(out, (char)c);
		else
			sbuf_addf(out, "%%%02X", c);
	}
}

/* A string member of obj (a label of a series or an alert...): "" when absent. */
static const char *label(json_t *obj, const char *name)
{
	const char *v = json_string_value(json_object_get(obj, name));

	return v ? v : "";
}

/*
 * GET /api/v1/<what> (with query=<query> when query is not NULL): its
 * "data" as a new reference, or NULL with the reason in err.
 */
static json_t *prom_api(const struct prom *p, const char *what, const char *query, struct sbuf *err)
{
	struct sbuf path = SBUF_INIT, body = SBUF_INIT;
	json_t *doc, *data = NULL;
	long status;

	sbuf_addf(&path, "/api/v1/%s", what);
	if (query) {
		sbuf_adds(&path, "?query=");
		url_escape(&path, query);
	}
	status = e2e_http_get(p->port, path.buf, &body);
	doc = json_loads(body.buf, 0, NULL);
	if (status == 200 && !strcmp(label(doc, "status"), "success"))
		data = json_incref(json_object_get(doc, "data"));
	else
		sbuf_addf(err, "%s: HTTP %ld: %s", what, status,
			  doc ? label(doc, "error") : body.buf);
	json_decref(doc);
	sbuf_release(&path);
	sbuf_release(&body);
	return data;
}

/* The result vector of an instant query, a new reference; NULL with err. */
static json_t *prom_query(const struct prom *p, const char *expr, struct sbuf *err)
{
	json_t *data = prom_api(p, "query", expr, err);
	json_t *res = json_incref(json_object_get(data, "result"));

	json_decref(data);
	if (!res && !err->len)
		sbuf_addf(err, "query %s: no result", expr);
	return res;
}

/* The check a poll waits on: 1 done, 0 not yet, with why in why. */
typedef int (*prom_cond)(const struct prom *p, const void *arg, struct sbuf *why);

/* Polls cond until it holds, for up to s seconds; 1 if it held. */
static int prom_wait(const struct prom *p, prom_cond cond, const void *arg, int s, struct sbuf *why)
{
	for (int i = 0; i < s * 5; i++) {
		sbuf_reset(why);
		if (cond(p, arg, why))
			return 1;
		usleep(200000);
	}
	return 0;
}

/* /-/ready answers 200. */
static int ready(const struct prom *p, const void *arg, struct sbuf *why)
{
	struct sbuf body = SBUF_INIT;
	long status = e2e_http_get(p->port, "/-/ready", &body);

	(void)arg;
	sbuf_addf(why, "/-/ready: HTTP %ld %s", status, body.buf);
	sbuf_release(&body);
	return status == 200;
}

/* Every target of the config (three daemons and prometheus) up. */
static int targets_up(const struct prom *p, const void *arg, struct sbuf *why)
{
	json_t *data = prom_api(p, "targets", NULL, why);
	json_t *active = json_object_get(data, "activeTargets"), *tg;
	size_t i, up = 0;

	(void)arg;
	json_array_foreach(active, i, tg)
	{
		up += !strcmp(label(tg, "health"), "up");
		if (strcmp(label(tg, "health"), "up"))
			sbuf_addf(why, "%s %s: %s %s; ", label(tg, "scrapeUrl"),
				  label(tg, "health"), label(tg, "lastError"),
				  label(json_object_get(tg, "labels"), "service"));
	}
	i = json_array_size(active);
	sbuf_addf(why, "%zu of %zu up", up, i);
	json_decref(data);
	return i == E2E_NDAEMONS + 1 && up == E2E_NDAEMONS + 1;
}

/* Polls cond for up to PROM_WAIT_S seconds; a failed check naming what
 * and why when it does not come to hold. */
static int waited(const struct prom *p, prom_cond cond, const void *arg, const char *what)
{
	struct sbuf why = SBUF_INIT;
	int ok = prom_wait(p, cond, arg, PROM_WAIT_S, &why);

	if (!T_CHECK(ok))
		fprintf(stderr, "    %s: %s\n", what, why.buf);
	sbuf_release(&why);
	return ok;
}

/* Series of w as Prometheus holds them: there, each with the job's labels,
 * its daemon's service and address, and w's own label. */
static int series_ok(const struct prom *p, const struct wanted *w, struct sbuf *why)
{
	struct sbuf expr = SBUF_INIT, inst = SBUF_INIT;
	json_t *res, *s;
	size_t i, n, good = 0;

	sbuf_addf(&expr, "%s{job=\"xinfang-router\",service=\"%s\"}", w->name, services[w->d]);
	sbuf_addf(&inst, "127.0.0.1:%d", p->dport[w->d]);
	res = prom_query(p, expr.buf, why);
	json_array_foreach(res, i, s)
	{
		json_t *m = json_object_get(s, "metric");

		good += !strcmp(label(m, "instance"), inst.buf) &&
			(!w->label || *label(m, w->label));
	}
	n = json_array_size(res);
	if (res && (!n || good != n))
		sbuf_addf(why, "%s: %zu series, %zu as expected; ", expr.buf, n, good);
	json_decref(res);
	sbuf_release(&expr);
	sbuf_release(&inst);
	return n && good == n;
}

/* Every series of `wanted` is there (see series_ok). */
static int series_there(const struct prom *p, const void *arg, struct sbuf *why)
{
	int ok = 1;

	(void)arg;
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
		ok &= series_ok(p, &wanted[i], why);
	return ok;
}

/* Every alert rule evaluated, and without error. */
static int rules_ok(const struct prom *p, const void *arg, struct sbuf *why)
{
	json_t *data = prom_api(p, "rules", NULL, why), *g, *r;
	size_t i, j, n = 0, ok = 0;

	(void)arg;
	json_array_foreach(json_object_get(data, "groups"), i, g)
	{
		json_array_foreach(json_object_get(g, "rules"), j, r)
		{
			n++;
			ok += !strcmp(label(r, "health"), "ok");
			if (strcmp(label(r, "health"), "ok"))
				sbuf_addf(why, "%s: %s %s; ", label(r, "name"), label(r, "health"),
					  label(r, "lastError"));
		}
	}
	json_decref(data);
	return n > 0 && ok == n;
}

/*
 * The state of XfDaemonDown for service ("firing", "pending"), "" when
 * none; its summary, as Prometheus expanded it, onto summary when not NULL.
 */
static const char *down_state(const struct prom *p, const char *service, struct sbuf *summary,
			      struct sbuf *why)
{
	json_t *data = prom_api(p, "alerts", NULL, why), *a;
	const char *state = "";
	size_t i;

	json_array_foreach(json_object_get(data, "alerts"), i, a)
	{
		json_t *labels = json_object_get(a, "labels");

		if (strcmp(label(labels, "alertname"), "XfDaemonDown") ||
		    strcmp(label(labels, "service"), service))
			continue;
		state = !strcmp(label(a, "state"), "firing")    ? "firing"
			: !strcmp(label(a, "state"), "pending") ? "pending"
								: "other";
		if (summary)
			sbuf_adds(summary, label(json_object_get(a, "annotations"), "summary"));
	}
	json_decref(data);
	return state;
}

/* XfDaemonDown fires for the service *arg (an enum e2e_daemon). */
static int down_firing(const struct prom *p, const void *arg, struct sbuf *why)
{
	const char *service = services[*(const enum e2e_daemon *)arg];
	const char *state = down_state(p, service, NULL, why);

	sbuf_addf(why, "XfDaemonDown{service=\"%s\"}: \"%s\"", service, state);
	return !strcmp(state, "firing");
}

/* The firing XfDaemonDown of service d says which daemon is down. */
static void down_says(const struct prom *p, enum e2e_daemon d)
{
	struct sbuf summary = SBUF_INIT, why = SBUF_INIT, want = SBUF_INIT;

	sbuf_addf(&want, "%s is down", services[d]);
	T_STREQ(down_state(p, services[d], &summary, &why), "firing");
	T_STREQ(summary.buf, want.buf);
	sbuf_release(&summary);
	sbuf_release(&why);
	sbuf_release(&want);
}

/* No alert firing on the healthy stack (pending is allowed: a rule with a
 * long `for:`, such as XfDeadLettersHigh after the malformed events). */
static void none_firing(const struct prom *p)
{
	struct sbuf err = SBUF_INIT;
	json_t *data = prom_api(p, "alerts", NULL, &err), *a;
	size_t i;

	if (!T_CHECK(data != NULL))
		fprintf(stderr, "    %s\n", err.buf);
	json_array_foreach(json_object_get(data, "alerts"), i, a)
	{
		json_t *labels = json_object_get(a, "labels");

		if (!T_STREQ(label(a, "state"), "pending"))
			fprintf(stderr, "    %s %s for %s\n", label(labels, "alertname"),
				label(a, "state"), label(labels, "service"));
	}
	json_decref(data);
	sbuf_release(&err);
}

/* No XfDaemonDown, in any state, for the daemons but `but` (-1: for none). */
static void none_down_but(const struct prom *p, int but)
{
	struct sbuf why = SBUF_INIT;

	for (int d = 0; d < E2E_NDAEMONS; d++) {
		if (d != but && !T_STREQ(down_state(p, services[d], NULL, &why), ""))
			fprintf(stderr, "    XfDaemonDown for %s %s\n", services[d], why.buf);
		sbuf_reset(&why);
	}
	sbuf_release(&why);
}

/* expr with Grafana's $__name variables filled (grafana_vars) onto out;
 * -1 when it uses one the table lacks. */
static int grafana_expand(const char *expr, struct sbuf *out)
{
	while (*expr) {
		size_t n = strspn(expr + 1, "abcdefghijklmnopqrstuvwxyz_"), i;

		if (*expr != '$' || strncmp(expr + 1, "__", 2)) {
			sbuf_addch(out, *expr++);
			continue;
		}
		for (i = 0; i < sizeof grafana_vars / sizeof grafana_vars[0]; i++)
			if (strlen(grafana_vars[i].name) == n &&
			    !strncmp(expr + 1, grafana_vars[i].name, n))
				break;
		if (i == sizeof grafana_vars / sizeof grafana_vars[0])
			return -1;
		sbuf_adds(out, grafana_vars[i].value);
		expr += 1 + n;
	}
	return 0;
}

/* Runs the queries of panels (and of the rows' panels within); counts them
 * in *n and those that gave no series in *empty. A query that fails is a
 * failed check. */
static void panel_queries(const struct prom *p, json_t *panels, size_t *n, size_t *empty)
{
	struct sbuf expr = SBUF_INIT, err = SBUF_INIT;
	json_t *panel, *target, *res;
	size_t i, j;

	json_array_foreach(panels, i, panel)
	{
		panel_queries(p, json_object_get(panel, "panels"), n, empty);
		json_array_foreach(json_object_get(panel, "targets"), j, target)
		{
			sbuf_reset(&expr);
			sbuf_reset(&err);
			if (!T_CHECK(grafana_expand(label(target, "expr"), &expr) == 0))
				fprintf(stderr, "    unknown variable in %s\n",
					label(target, "expr"));
			res = prom_query(p, expr.buf, &err);
			if (!T_CHECK(res != NULL))
				fprintf(stderr, "    panel \"%s\": %s\n", label(panel, "title"),
					err.buf);
			if (res && !json_array_size(res))
				fprintf(stderr, "    panel \"%s\": no series for %s\n",
					label(panel, "title"), expr.buf);
			*n += 1;
			*empty += res && !json_array_size(res);
			json_decref(res);
		}
	}
	sbuf_release(&expr);
	sbuf_release(&err);
}

/* Every query of the Grafana dashboard evaluates on the live data. */
static void dashboard_queries(const struct prom *p)
{
	json_error_t jerr;
	json_t *board = json_load_file(DASHBOARD, 0, &jerr);
	size_t n = 0, empty = 0;

	if (!T_CHECK(board != NULL)) {
		fprintf(stderr, "    %s: %s\n", DASHBOARD, jerr.text);
		return;
	}
	panel_queries(p, json_object_get(board, "panels"), &n, &empty);
	T_CHECK(n > 0);
	fprintf(stderr, "    %s: %zu queries, %zu without series\n", DASHBOARD, n, empty);
	json_decref(board);
}

/* Starts the daemons, each with its HTTP port in p->dport, the lag
 * monitor sampling each second. */
static void start_daemons(struct e2e *t, struct prom *p)
{
	char addr[32];

	setenv("XF_LAG_INTERVAL_MS", "1000", 1);
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		p->dport[d] = e2e_free_port();
		snprintf(addr, sizeof addr, "127.0.0.1:%d", p->dport[d]);
		T_CHECK(e2e_start_instance(t, d, 0, addr) == 0);
	}
	unsetenv("XF_LAG_INTERVAL_MS");
}

/*
 * Petitions into the pipeline, with duplicates and malformed ones. The
 * series_there wait sees them through: the input topic is shared with
 * other tests, so how soon each has its case is not this test's to say.
 */
static void traffic(struct e2e *t)
{
	enum { N = 40 };
	char now[32];
	struct gen_event *ev;

	time_format_cst(time(NULL), now); /* today: the 信访指数 of their township is today's */
	ev = gen_events_with("prom", N, 1, 1, &(struct gen_opts){ 0, now });

	for (size_t i = 0; i < N; i++)
		T_CHECK(e2e_produce(t, ev[i].key, ev[i].bytes, ev[i].len) == 0);
	T_CHECK(e2e_flush(t) == 0);
	gen_free(ev, N);
}

static void t_scrape_and_alert(void)
{
	const enum e2e_daemon victim = E2E_CLASSIFY;
	struct prom p = { 0 };
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "prometheus") == 0))
		return;
	start_daemons(&t, &p);
	if (!T_CHECK(prom_start(&p, &t) == 0) || !waited(&p, ready, NULL, "ready"))
		goto out;
	traffic(&t);
	waited(&p, targets_up, NULL, "targets");
	waited(&p, series_there, NULL, "series");
	waited(&p, rules_ok, NULL, "rules");
	dashboard_queries(&p);
	none_firing(&p);
	none_down_but(&p, -1);
	e2e_kill(&t, victim, SIGKILL);
	if (waited(&p, down_firing, &victim, "XfDaemonDown"))
		down_says(&p, victim);
	none_down_but(&p, victim);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		if (d != victim)
			T_INTEQ(e2e_stop(&t, d), 0);
out:
	prom_stop(&p);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_prometheus, { "scrape_and_alert", t_scrape_and_alert })
/* clang-format on */
