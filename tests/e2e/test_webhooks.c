/*
 * test_webhooks.c - department webhooks on the real stack: a local HTTP
 * server that first fails (500), then hangs past the timeout, then
 * answers; the delivery is retried to success with a valid signature,
 * recorded in PostgreSQL and shown by xfctl case show, and while the
 * endpoint hangs other petitions keep being assigned. Then two
 * departments with secrets of their own: each receiver verifies with its
 * own secret only, and a replay under another delivery id fails; one
 * whose secret is not set gets nothing, its delivery failed, saying why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "e2e.h"
#include "tharness.h"
#include "util.h"

#define SECRET "e2e-webhook-secret"
#define HANG_S 8          /* the second request hangs this long */
#define TIMEOUT_MS "4000" /* ... and the sender gives up after this */

static struct {
	pthread_mutex_t mu;
	int requests, hanging, hang_done, sig_ok, sig_bad;
	char kinds[256];
} srv = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, "" };

static int signed_right(struct MHD_Connection *c, const struct sbuf *body)
{
	const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Timestamp");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Signature");
	struct sbuf msg = SBUF_INIT;
	char want[65];
	int ok;

	const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Delivery");
	const char *kind = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Event");

	if (!ts || !sig || !id || !kind || strncmp(sig, "v1=", 3))
		return 0;
	sbuf_addf(&msg, "%s.%s.%s.%s", ts, id, kind, body->buf);
	hmac_sha256_hex(SECRET, msg.buf, msg.len, want);
	ok = !strcmp(sig + 3, want);
	sbuf_release(&msg);
	return ok;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok",
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, status, r);

	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct sbuf *body = e2e_body(con_cls, data, size);
	const char *kind;
	int n;

	(void)cls, (void)url, (void)method, (void)version;
	if (!body)
		return MHD_YES;
	kind = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Event");
	pthread_mutex_lock(&srv.mu);
	n = ++srv.requests;
	if (n == 2)
		srv.hanging = 1;
	pthread_mutex_unlock(&srv.mu);
	if (n == 1)
		return answer(c, 500);
	if (n == 2) {
		sleep(HANG_S);
		pthread_mutex_lock(&srv.mu);
		srv.hang_done = 1;
		pthread_mutex_unlock(&srv.mu);
		return answer(c, 200); /* too late: the sender gave up */
	}
	pthread_mutex_lock(&srv.mu);
	if (signed_right(c, body))
		srv.sig_ok++;
	else
		srv.sig_bad++;
	snprintf(srv.kinds + strlen(srv.kinds), sizeof srv.kinds - strlen(srv.kinds), "%s,",
		 kind ? kind : "?");
	pthread_mutex_unlock(&srv.mu);
	return answer(c, 200);
}

static int get(int *field)
{
	int v;

	pthread_mutex_lock(&srv.mu);
	v = *field;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

static const char *hook_rules(int port)
{
	static char path[64];

	return e2e_hook_rules("hook-rules", port, "t-wjj", path);
}

static char *event(const char *ext, const char *subject, const char *content)
{
	json_t *ev = json_pack("{s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s}", "schema",
			       "xf.hotline_event.v1", "source", "system", "wh12345", "external_id",
			       ext, "occurred_at", "2026-11-22T09:30:00+08:00", "region_code",
			       "330381", "subject", subject, "content", content);
	char *s = json_dumps(ev, JSON_COMPACT);

	json_decref(ev);
	return s;
}

static int leads(struct e2e *t, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strncmp(t->msgs[i].topic, "assignments.", 12);
	return n >= *(size_t *)arg;
}

/* The delivery row of the case's kind: state/attempts/status, "" if none. */
static const char *delivery(struct e2e *t, const char *case_id, const char *kind)
{
	static char out[64];
	const char *params[2] = { case_id, kind };

	return e2e_sql_text(t, out, sizeof out,
			    "SELECT state || '/' || attempts || '/' ||"
			    " coalesce(last_status, 0) FROM webhook_deliveries WHERE case_id = $1"
			    " AND kind = $2",
			    2, params);
}

static int wait_delivery(struct e2e *t, const char *case_id, const char *kind, const char *want)
{
	for (int i = 0; i < 600; i++) {
		if (!strcmp(delivery(t, case_id, kind), want))
			return 1;
		usleep(100000);
	}
	fprintf(stderr, "    delivery %s/%s is \"%s\", want \"%s\"\n", case_id, kind,
		delivery(t, case_id, kind), want);
	return 0;
}

static void t_webhooks(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
		handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, e2e_body_done, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)
					     : NULL;
	const char *show[] = { "case", "show", NULL, NULL };
	struct sbuf out = SBUF_INIT;
	char case_id[32] = "", fb[512];
	size_t want = 1;
	const char *rules = NULL;
	struct e2e t;

	if (!T_CHECK(info != NULL) ||
	    !T_CHECK(e2e_setup_rules(&t, "webhooks", rules = hook_rules(info->port)) == 0)) {
		if (d)
			MHD_stop_daemon(d);
		return;
	}
	setenv("XF_WEBHOOK_SECRET", SECRET, 1);
	setenv("XF_WEBHOOK_TIMEOUT_MS", TIMEOUT_MS, 1);
	setenv("XF_WEBHOOK_BACKOFF_MS", "200", 1);
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_CHECK(e2e_start(&t, k) == 0);
	/* a health petition: t-wjj, which has the webhook */
	{
		char *ev = event("wh-1", "医院检查收费过高",
				 "在医院看病时医生开了很多检查，患者负担很重，请卫生部门核查。");

		T_CHECK(e2e_produce(&t, "wh-1", ev, strlen(ev)) == 0 && e2e_flush(&t) == 0);
		free(ev);
	}
	T_CHECK(e2e_collect_until(&t, leads, &want, 90));
	for (size_t i = 0; i < t.nmsgs; i++)
		if (!strcmp(t.msgs[i].topic, "assignments.t-wjj"))
			snprintf(case_id, sizeof case_id, "%s", t.msgs[i].key);
	T_CHECK(case_id[0] != '\0');
	/* while the endpoint hangs, the Kafka loop goes on */
	for (int i = 0; i < 300 && !get(&srv.hanging); i++)
		usleep(100000);
	T_CHECK(get(&srv.hanging));
	for (int i = 2; i <= 11; i++) {
		char ext[16], *ev;

		snprintf(ext, sizeof ext, "wh-%d", i);
		ev = event(ext, "公司拖欠工资三个月", "公司拖欠工资，讨薪无果，社保也没有缴纳。");
		T_CHECK(e2e_produce(&t, ext, ev, strlen(ev)) == 0);
		free(ev);
	}
	T_CHECK(e2e_flush(&t) == 0);
	want = 11;
	T_CHECK(e2e_collect_until(&t, leads, &want, 60));
	T_INTEQ(get(&srv.hang_done), 0); /* all ten assigned before the hang ended */
	/* 500, then a timeout, then delivered: three attempts */
	T_CHECK(wait_delivery(&t, case_id, "assignment", "delivered/3/200"));
	T_INTEQ(get(&srv.sig_ok), 1);
	T_INTEQ(get(&srv.sig_bad), 0);
	/* a later event for the department goes the same way */
	snprintf(fb, sizeof fb,
		 "{\"schema\": \"xf.feedback.v1\", \"feedback_id\": \"wh-a\","
		 " \"case_id\": \"%s\", \"department\": \"t-wjj\", \"action\": \"accept\","
		 " \"at\": \"2026-11-22T10:00:00+08:00\"}",
		 case_id);
	T_CHECK(e2e_produce_to(&t, "department.feedback", case_id, fb, strlen(fb)) == 0 &&
		e2e_flush(&t) == 0);
	T_CHECK(wait_delivery(&t, case_id, "accepted", "delivered/1/200"));
	T_CHECK(strstr(srv.kinds, "assignment,") && strstr(srv.kinds, "accepted,"));
	show[2] = case_id;
	T_INTEQ(e2e_xfctl(&t, &out, show), 0);
	T_CHECK(strstr(out.buf, "webhooks") && strstr(out.buf, "delivered"));
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_INTEQ(e2e_stop(&t, k), 0);
	unsetenv("XF_WEBHOOK_SECRET");
	unsetenv("XF_WEBHOOK_TIMEOUT_MS");
	unsetenv("XF_WEBHOOK_BACKOFF_MS");
	sbuf_release(&out);
	e2e_teardown(&t);
	MHD_stop_daemon(d);
	unlink(rules);
}

/* Two departments, each with its own secret: what each receiver saw. */
#define KEY_A "e2e-secret-of-wjj"
#define KEY_B "e2e-secret-of-rsj"

static struct {
	pthread_mutex_t mu;
	int own_ok[2], own_bad[2], other_ok[2], replay_ok[2];
} two = { PTHREAD_MUTEX_INITIALIZER, { 0 }, { 0 }, { 0 }, { 0 } };

/* v1 signature check of the request under secret, its delivery id being id. */
static int verifies(struct MHD_Connection *c, const struct sbuf *body, const char *secret,
		    const char *id)
{
	const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Timestamp");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Signature");
	const char *kind = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Event");
	struct sbuf msg = SBUF_INIT;
	char want[65];
	int ok;

	if (!ts || !sig || !kind || !id || strncmp(sig, "v1=", 3))
		return 0;
	sbuf_addf(&msg, "%s.%s.%s.%s", ts, id, kind, body->buf);
	hmac_sha256_hex(secret, msg.buf, msg.len, want);
	ok = !strcmp(sig + 3, want);
	sbuf_release(&msg);
	return ok;
}

/* /a is t-wjj's receiver (KEY_A), /b t-rsj's (KEY_B). */
static enum MHD_Result two_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *data,
				   size_t *size, void **con_cls)
{
	struct sbuf *body = e2e_body(con_cls, data, size);
	int b = !strcmp(url, "/b");
	const char *id;
	char other_id[40];

	(void)cls, (void)method, (void)version;
	if (!body)
		return MHD_YES;
	id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-XF-Delivery");
	snprintf(other_id, sizeof other_id, "%s0", id ? id : "");
	pthread_mutex_lock(&two.mu);
	if (verifies(c, body, b ? KEY_B : KEY_A, id))
		two.own_ok[b]++;
	else
		two.own_bad[b]++;
	two.other_ok[b] += verifies(c, body, b ? KEY_A : KEY_B, id);
	two.replay_ok[b] += verifies(c, body, b ? KEY_B : KEY_A, other_id);
	pthread_mutex_unlock(&two.mu);
	return answer(c, 200);
}

/*
 * tests/e2e/rules.json with t-wjj on /a under XF_WEBHOOK_SECRET_E2E_WJJ,
 * t-rsj on /b under XF_WEBHOOK_SECRET_E2E_RSJ.
 */
/* t-wjj on /a and t-rsj on /b of the receiver at port (arg), each with a secret of its own. */
static void hook_two(json_t *dept, void *port)
{
	const char *code = json_string_value(json_object_get(dept, "code"));
	int b = !strcmp(code, "t-rsj");
	char url[96];

	if (!b && strcmp(code, "t-wjj"))
		return;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", *(int *)port, b ? "b" : "a");
	json_object_set_new(dept, "webhook", json_string(url));
	json_object_set_new(dept, "local_testing", json_true());
	json_object_set_new(
		dept, "webhook_secret",
		json_string(b ? "XF_WEBHOOK_SECRET_E2E_RSJ" : "XF_WEBHOOK_SECRET_E2E_WJJ"));
}

static const char *two_rules(int port)
{
	static char path[64];

	return e2e_rules_edit("hook2-rules", hook_two, &port, path) ? NULL : path;
}

/* The state of the department's one assignment delivery, "" if none yet. */
static const char *dept_delivery(struct e2e *t, const char *dept)
{
	static char out[32];
	const char *params[1] = { dept };

	return e2e_sql_text(t, out, sizeof out,
			    "SELECT state FROM webhook_deliveries WHERE department = $1"
			    " AND kind = 'assignment'",
			    1, params);
}

static int wait_dept(struct e2e *t, const char *dept)
{
	for (int i = 0; i < 600 && strcmp(dept_delivery(t, dept), "delivered"); i++)
		usleep(100000);
	return !strcmp(dept_delivery(t, dept), "delivered");
}

/* The last_error of the failed labour delivery to t-rsj, "" if none yet. */
static const char *rsj_failed(struct e2e *t)
{
	static char out[160];
	PGresult *res = PQexec(t->conn, "SELECT last_error FROM webhook_deliveries"
					" WHERE department = 't-rsj' AND state = 'failed'");

	snprintf(out, sizeof out, "%s",
		 PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
			 ? PQgetvalue(res, 0, 0)
			 : "");
	PQclear(res);
	return out;
}

/*
 * xf-dispatch restarted without t-rsj's secret: its next delivery fails at
 * once, naming the variable, and its receiver gets nothing.
 */
static void unset_secret_fails(struct e2e *t)
{
	char *ev = event("wh2-3", "公司拖欠工资三个月", "公司拖欠工资，讨薪无果，社保也没有缴纳。");
	int before;

	T_INTEQ(e2e_stop(t, E2E_DISPATCH), 0);
	unsetenv("XF_WEBHOOK_SECRET_E2E_RSJ");
	T_CHECK(e2e_start(t, E2E_DISPATCH) == 0);
	pthread_mutex_lock(&two.mu);
	before = two.own_ok[1] + two.own_bad[1];
	pthread_mutex_unlock(&two.mu);
	T_CHECK(e2e_produce(t, "wh2-3", ev, strlen(ev)) == 0 && e2e_flush(t) == 0);
	free(ev);
	for (int i = 0; i < 600 && !rsj_failed(t)[0]; i++)
		usleep(100000);
	T_STREQ(rsj_failed(t),
		"webhook secret XF_WEBHOOK_SECRET_E2E_RSJ is not set "
		"(neither XF_WEBHOOK_SECRET_E2E_RSJ nor XF_WEBHOOK_SECRET_E2E_RSJ_FILE)");
	pthread_mutex_lock(&two.mu);
	T_INTEQ(two.own_ok[1] + two.own_bad[1], before);
	pthread_mutex_unlock(&two.mu);
}

static void produce_two(struct e2e *t)
{
	char *ev = event("wh2-1", "医院检查收费过高",
			 "在医院看病时医生开了很多检查，患者负担很重，请卫生部门核查。");

	T_CHECK(e2e_produce(t, "wh2-1", ev, strlen(ev)) == 0);
	free(ev);
	ev = event("wh2-2", "公司拖欠工资三个月", "公司拖欠工资，讨薪无果，社保也没有缴纳。");
	T_CHECK(e2e_produce(t, "wh2-2", ev, strlen(ev)) == 0);
	free(ev);
	T_CHECK(e2e_flush(t) == 0);
}

static void t_own_secrets(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
		two_handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, e2e_body_done, NULL,
		MHD_OPTION_END);
	const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)
					     : NULL;
	const char *rules = NULL;
	struct e2e t;

	if (!T_CHECK(info != NULL) ||
	    !T_CHECK(e2e_setup_rules(&t, "webhooks2", rules = two_rules(info->port)) == 0)) {
		if (d)
			MHD_stop_daemon(d);
		return;
	}
	setenv("XF_WEBHOOK_SECRET", SECRET, 1); /* the fallback: neither department uses it */
	setenv("XF_WEBHOOK_SECRET_E2E_WJJ", KEY_A, 1);
	setenv("XF_WEBHOOK_SECRET_E2E_RSJ", KEY_B, 1);
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_CHECK(e2e_start(&t, k) == 0);
	produce_two(&t);
	T_CHECK(wait_dept(&t, "t-wjj"));
	T_CHECK(wait_dept(&t, "t-rsj"));
	pthread_mutex_lock(&two.mu);
	for (int b = 0; b < 2; b++) {
		T_CHECK(two.own_ok[b] >= 1);  /* its own secret verifies it */
		T_INTEQ(two.own_bad[b], 0);   /* ... every time */
		T_INTEQ(two.other_ok[b], 0);  /* the other's secret never does */
		T_INTEQ(two.replay_ok[b], 0); /* nor the same POST under another id */
	}
	pthread_mutex_unlock(&two.mu);
	unset_secret_fails(&t);
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_INTEQ(e2e_stop(&t, k), 0);
	unsetenv("XF_WEBHOOK_SECRET");
	unsetenv("XF_WEBHOOK_SECRET_E2E_WJJ");
	unsetenv("XF_WEBHOOK_SECRET_E2E_RSJ");
	e2e_teardown(&t);
	MHD_stop_daemon(d);
	unlink(rules);
}

/* clang-format off */
T_SUITE(e2e_webhooks,
	{ "fail_timeout_then_delivered", t_webhooks },
	{ "own_secrets", t_own_secrets })
/* clang-format on */
