/*
 * test_anonymous.c - an anonymous petitioner's identity never leaves
 * xf-intake (issue 10, item 1), on the real stack. Three anonymous
 * petitions with a distinctive name, phone, id number and another field of
 * the petitioner, and one named petition as the control that the search
 * finds what is there. Searched: every message on every topic after
 * xf-intake (petition.received included), every department webhook body,
 * every row of every table, the daemons' logs and xfctl's output. And the
 * two anonymous petitions from the same phone are still a repeat, through
 * the keyed hash.
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

#define KEY "e2e-anonymous-petitioner-key"
#define ANON_NAME "欧阳匿名者"
#define ANON_PHONE "139-8765-4321"
#define ANON_DIGITS "13987654321"
#define ANON_ID "11010519491231002X"
#define ANON_OTHER "wx-anon-handle-77"
#define NAMED_NAME "司马实名者"
#define NPETITIONS 4

static const char *const secrets[] = { ANON_NAME, ANON_PHONE,           ANON_DIGITS,
				       ANON_ID,   "11010519491231002x", ANON_OTHER };

/* The webhook receiver: every body it was sent. */
static struct {
	pthread_mutex_t mu;
	struct sbuf bodies;
	int requests;
} hook = { PTHREAD_MUTEX_INITIALIZER, SBUF_INIT, 0 };

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct sbuf *body = e2e_body(con_cls, data, size);
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void)cls, (void)url, (void)method, (void)version;
	if (!body)
		return MHD_YES;
	pthread_mutex_lock(&hook.mu);
	hook.requests++;
	sbuf_add(&hook.bodies, body->buf, body->len);
	sbuf_addch(&hook.bodies, '\n');
	pthread_mutex_unlock(&hook.mu);
	r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* tests/e2e/rules.json with the webhook on every department; the file's path. */
static const char *hook_rules(int port)
{
	static char path[64];

	return e2e_hook_rules("anon-rules", port, NULL, path);
}

static const char labor[] = "公司拖欠工资三个月，讨薪无果，社保也没有缴纳，请劳动部门督促支付。";
static const char env[] = "工厂夜间排放刺鼻废气，附近居民无法开窗，请环保部门查处。";

/* The four petitions: two anonymous from one phone on one matter, one
 * anonymous with an id number on another, one named. */
static char *petition(int i)
{
	json_t *who = i == 3 ? json_pack("{s:s, s:s}", "name", NAMED_NAME, "phone", "13711112222")
			     : json_pack("{s:s, s:s, s:b}", "name", ANON_NAME, "phone",
					 i == 1 ? ANON_DIGITS : ANON_PHONE, "anonymous", 1);
	char ext[16];
	json_t *ev;
	char *s;

	if (i == 2) {
		json_object_set_new(who, "id_number", json_string(ANON_ID));
		json_object_set_new(who, "wechat", json_string(ANON_OTHER));
	}
	snprintf(ext, sizeof ext, "anon-%d", i);
	ev = json_pack("{s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s, s:o}", "schema",
		       "xf.hotline_event.v1", "source", "system", "an12345", "external_id", ext,
		       "occurred_at", "2026-11-22T09:30:00+08:00", "region_code", "330381",
		       "subject", i == 2 ? "工厂排放废气" : "公司拖欠工资三个月", "content",
		       i == 2 ? env : labor, "petitioner", who);
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return s;
}

/* Messages of petition.received, read from where it ended before the run. */
struct reader {
	rd_kafka_t *rk;
	struct sbuf values;
	size_t n;
};

static int reader_start(struct reader *r)
{
	const char *none[] = { NULL };
	struct sbuf err = SBUF_INIT;
	rd_kafka_topic_partition_list_t *l = NULL;
	char group[64];

	snprintf(group, sizeof group, "xf-anon-reader-%d", (int)getpid());
	sbuf_init(&r->values, 0);
	r->n = 0;
	r->rk = kafka_consumer_new(getenv("XF_KAFKA_BROKERS"), group, none, NULL, &err);
	if (r->rk && (l = e2e_topic_ends(r->rk, "petition.received")) &&
	    !rd_kafka_assign(r->rk, l)) {
		rd_kafka_topic_partition_list_destroy(l);
		sbuf_release(&err);
		return 0;
	}
	fprintf(stderr, "    petition.received reader: %s\n", err.buf);
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	sbuf_release(&err);
	return -1;
}

static void reader_poll(struct reader *r, size_t want, int timeout_s)
{
	double end = now_ms() + timeout_s * 1000.0;

	while (r->n < want && now_ms() < end) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(r->rk, 100);

		if (rkm && !rkm->err) {
			sbuf_add(&r->values, rkm->payload, rkm->len);
			sbuf_addch(&r->values, '\n');
			r->n++;
		}
		if (rkm)
			rd_kafka_message_destroy(rkm);
	}
}

/* How many of the anonymous petitioner's strings text shows (names them). */
static int leaks(const char *where, const char *text)
{
	int n = 0;

	for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++)
		if (text && strstr(text, secrets[k]) && n++ < 3)
			fprintf(stderr, "    %s shows \"%s\"\n", where, secrets[k]);
	return n;
}

/* Every row of every table of the test database as text. */
static void dump_tables(struct e2e *t, struct sbuf *out)
{
	PGresult *tables = PQexec(t->conn,
				  "SELECT quote_ident(table_name) FROM"
				  " information_schema.tables WHERE table_schema = 'public'");

	for (int i = 0; i < PQntuples(tables); i++) {
		char sql[256];
		PGresult *res;

		snprintf(sql, sizeof sql, "SELECT t::text FROM %s t", PQgetvalue(tables, i, 0));
		res = PQexec(t->conn, sql);
		T_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK);
		for (int r = 0; r < PQntuples(res); r++)
			sbuf_addf(out, "%s: %s\n", PQgetvalue(tables, i, 0), PQgetvalue(res, r, 0));
		PQclear(res);
	}
	T_CHECK(PQntuples(tables) > 10);
	PQclear(tables);
}

static void append_file(struct sbuf *out, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!T_CHECK(f != NULL))
		return;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(out, buf, n);
	fclose(f);
}

static int leads(struct e2e *t, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strncmp(t->msgs[i].topic, "assignments.", 12);
	return n >= *(size_t *)arg;
}

static int hook_requests(void)
{
	int n;

	pthread_mutex_lock(&hook.mu);
	n = hook.requests;
	pthread_mutex_unlock(&hook.mu);
	return n;
}

/* The classified petition of external id ext (borrowed), NULL if none. */
static json_t *classified(struct e2e *t, const char *ext)
{
	for (size_t i = 0; i < t->nmsgs; i++) {
		const char *e = json_string_value(json_object_get(t->msgs[i].json, "external_id"));

		if (!strcmp(t->msgs[i].topic, "petition.classified") && e && !strcmp(e, ext))
			return t->msgs[i].json;
	}
	return NULL;
}

static long repeat_count(json_t *p)
{
	return (long)json_integer_value(json_object_get(
		json_object_get(json_object_get(p, "classification"), "repeat"), "count"));
}

static const char *related0(json_t *p)
{
	return json_string_value(json_array_get(
		json_object_get(json_object_get(json_object_get(p, "classification"), "repeat"),
				"related"),
		0));
}

/* anon-0 and anon-1 (one phone, one matter): one is the other's repeat; both keyed. */
static void check_repeat(struct e2e *t)
{
	json_t *a = classified(t, "anon-0"), *b = classified(t, "anon-1");
	const char *ka, *kb;
	char want[65];

	if (!T_CHECK(a && b))
		return;
	hmac_sha256_hex(KEY, "phone:" ANON_DIGITS, strlen("phone:" ANON_DIGITS), want);
	ka = json_string_value(json_object_get(json_object_get(a, "petitioner"), "key"));
	kb = json_string_value(json_object_get(json_object_get(b, "petitioner"), "key"));
	T_STREQ(ka, want);
	T_STREQ(kb, want);
	T_INTEQ(repeat_count(a) + repeat_count(b), 1);
	if (repeat_count(a) == 1)
		T_STREQ(related0(a), json_string_value(json_object_get(b, "case_id")));
	else
		T_STREQ(related0(b), json_string_value(json_object_get(a, "case_id")));
	T_INTEQ(e2e_sql_long(t, "SELECT count(DISTINCT pkey) FROM petitions_seen"
				" WHERE pkey IS NOT NULL"),
		3);
}

/* xfctl case show of every case, and xfctl cases. */
static void xfctl_outputs(struct e2e *t, struct sbuf *out)
{
	PGresult *res = PQexec(t->conn, "SELECT case_id FROM cases");
	const char *cases[] = { "cases", "20", NULL };

	for (int i = 0; i < PQntuples(res); i++) {
		const char *show[] = { "case", "show", PQgetvalue(res, i, 0), NULL };

		T_INTEQ(e2e_xfctl(t, out, show), 0);
	}
	T_INTEQ(PQntuples(res), NPETITIONS);
	PQclear(res);
	T_INTEQ(e2e_xfctl(t, out, cases), 0);
}

/* Searches every outlet; the named control must show up where departments look. */
static void search_outlets(struct e2e *t, struct reader *r)
{
	static const char *const daemons[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	struct sbuf msgs = SBUF_INIT, rows = SBUF_INIT, logs = SBUF_INIT, ctl = SBUF_INIT;

	for (size_t i = 0; i < t->nmsgs; i++)
		sbuf_addf(&msgs, "%s %s %s\n", t->msgs[i].topic, t->msgs[i].key, t->msgs[i].value);
	dump_tables(t, &rows);
	for (size_t d = 0; d < 3; d++) {
		char path[512];

		snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemons[d]);
		append_file(&logs, path);
	}
	xfctl_outputs(t, &ctl);
	pthread_mutex_lock(&hook.mu);
	T_INTEQ(leaks("a webhook body", hook.bodies.buf), 0);
	T_CHECK(strstr(hook.bodies.buf, NAMED_NAME) != NULL);
	pthread_mutex_unlock(&hook.mu);
	T_INTEQ(leaks("petition.received", r->values.buf), 0);
	T_CHECK(strstr(r->values.buf, NAMED_NAME) != NULL);
	T_INTEQ(leaks("a message", msgs.buf), 0);
	T_CHECK(strstr(msgs.buf, NAMED_NAME) != NULL);
	T_INTEQ(leaks("a table row", rows.buf), 0);
	T_CHECK(strstr(rows.buf, NAMED_NAME) != NULL);
	T_INTEQ(leaks("a daemon log", logs.buf), 0);
	T_INTEQ(leaks("xfctl", ctl.buf), 0);
	printf("    anonymous: searched %zu messages, %zu petition.received, %d webhook bodies,"
	       " %zu bytes of table rows, %zu of logs, %zu of xfctl output\n",
	       t->nmsgs, r->n, hook_requests(), rows.len, logs.len, ctl.len);
	sbuf_release(&msgs);
	sbuf_release(&rows);
	sbuf_release(&logs);
	sbuf_release(&ctl);
}

static void run(struct e2e *t, struct reader *r)
{
	size_t want = NPETITIONS;

	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(t, d) == 0);
	for (int i = 0; i < NPETITIONS; i++) {
		char ext[16], *ev = petition(i);

		snprintf(ext, sizeof ext, "anon-%d", i);
		T_CHECK(e2e_produce(t, ext, ev, strlen(ev)) == 0);
		free(ev);
	}
	T_CHECK(e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, leads, &want, 120));
	reader_poll(r, NPETITIONS, 60);
	T_INTEQ(r->n, NPETITIONS);
	for (int i = 0; i < 600 && hook_requests() < NPETITIONS; i++)
		e2e_collect(t, 100);
	T_CHECK(hook_requests() >= NPETITIONS);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(t, d), 0);
	e2e_collect(t, 1000);
	T_INTEQ(e2e_count(t, "petition.dlq"), 0);
}

static void t_anonymous(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
						handler, NULL, MHD_OPTION_NOTIFY_COMPLETED,
						e2e_body_done, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)
					     : NULL;
	const char *rules = NULL;
	struct reader r = { NULL, SBUF_INIT, 0 };
	struct e2e t;

	if (!T_CHECK(info != NULL) ||
	    !T_CHECK(e2e_setup_rules(&t, "anonymous", rules = hook_rules(info->port)) == 0)) {
		if (d)
			MHD_stop_daemon(d);
		return;
	}
	setenv("XF_PETITIONER_KEY", KEY, 1);
	setenv("XF_WEBHOOK_BACKOFF_MS", "200", 1);
	if (T_CHECK(reader_start(&r) == 0)) {
		run(&t, &r);
		check_repeat(&t);
		search_outlets(&t, &r);
	}
	unsetenv("XF_PETITIONER_KEY");
	unsetenv("XF_WEBHOOK_BACKOFF_MS");
	if (r.rk)
		rd_kafka_destroy(r.rk);
	sbuf_release(&r.values);
	e2e_teardown(&t);
	MHD_stop_daemon(d);
	unlink(rules);
}

/* clang-format off */
T_SUITE(e2e_anonymous, { "identity_never_leaves_intake", t_anonymous })
/* clang-format on */
