/*
 * test_tls.c - TLS, SASL and ACLs on the real broker and PostgreSQL (issue
 * 12, README "Security").
 *
 * The test applies deploy/kafka/acls.sh (with SCRAM users of fresh random
 * passwords) on the broker's SASL_SSL listener, then runs the flow with
 * every daemon, xfctl, the upstream system and the departments each its own
 * SCRAM-SHA-512 principal over SASL_SSL only (XF_KAFKA_BROKERS names no
 * other port), configured by XF_KAFKA_* alone, and PostgreSQL as xf_tls, a
 * role pg_hba lets in over TLS only, with sslmode=verify-full. xfctl
 * migrates, imports the rules and creates the topics; the upstream system
 * publishes events and reads their receipts and updates; department A reads its
 * assignments and sends an accept, which case.events shows applied.
 * Refused: A reading assignments.B (TOPIC_AUTHORIZATION_FAILED), A writing
 * hotline.events, the upstream system reading assignments.A, A with a wrong
 * password (authentication), xf_tls without TLS (pg_hba). pg_stat_ssl shows
 * every connection of the daemons encrypted; xf-dispatch's lag monitor
 * and xfctl lag see the groups; xfctl dlq replay sends a dead letter back; no daemon logged an authorization failure or a
 * password. The harness itself (positioning the groups, collecting
 * outputs) uses the PLAINTEXT listener, a super user.
 *
 * Environment besides e2e.h's: XF_TEST_KAFKA_SASL_BROKERS, XF_TEST_KAFKA_CA,
 * XF_TEST_KAFKA_ADMIN_CONFIG (kafka.env), XF_TEST_PG_TLS_URL, XF_TEST_PG_CA
 * (pg.env).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "gen.h"
#include "pg.h"
#include "tharness.h"
#include "util.h"

#define NEVENTS 12 /* the 10th malformed (gen.h) */
#define WAIT_MS 120000.0
#define DENY_MS 20000.0
#define WAIT_S ((int)(WAIT_MS / 1000))
#define BUREAU "t-xfj"
#define UPSTREAM "t12345" /* source.system of gen's events */
#define TLS_DB "xf_t_tls_own"

enum who {
	W_INTAKE,
	W_CLASSIFY,
	W_DISPATCH,
	W_XFCTL,
	W_DEPT_A,
	W_DEPT_B,
	W_BUREAU,
	W_UPSTREAM,
	W_N
};

struct sec {
	const char *brokers, *kafka_ca, *admin_config, *pg_url, *pg_ca, *plain;
	char dept[2][72]; /* A and B */
	char user[W_N][96];
	char pass[W_N][64];
	char db_url[768];  /* the TLS-only role's, verify-full */
	char pg_pass[128]; /* xf_tls's password, from pg_url */
};

/* Whether a client's error callback saw the error wanted, and the last one. */
struct seen {
	rd_kafka_resp_err_t want, last;
	int got;
};

/* A producer's delivery reports. */
struct dr {
	int sent, done;
	rd_kafka_resp_err_t first; /* the first failure */
};

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fprintf(stderr, "    %s is not set (deploy/scripts/kafka.sh, pg.sh)\n", name);
	return v && *v ? v : NULL;
}

static int random_hex(char *out, size_t n)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY);
	int ok = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b;

	if (fd >= 0)
		close(fd);
	for (size_t i = 0; ok && i < sizeof b && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return ok ? 0 : -1;
}

/* The principals' names and fresh passwords, into the users file for acls.sh. */
static int principals(struct sec *s, const char *path)
{
	const char *fixed[] = { "xf-intake", "xf-classify", "xf-dispatch", "xfctl" };
	mode_t mask;
	FILE *f;
	int rc = 0;

	for (int w = 0; w < W_XFCTL + 1; w++)
		snprintf(s->user[w], sizeof s->user[w], "%s", fixed[w]);
	snprintf(s->user[W_DEPT_A], sizeof s->user[0], "dept-%s", s->dept[0]);
	snprintf(s->user[W_DEPT_B], sizeof s->user[0], "dept-%s", s->dept[1]);
	snprintf(s->user[W_BUREAU], sizeof s->user[0], "bureau");
	snprintf(s->user[W_UPSTREAM], sizeof s->user[0], "upstream-" UPSTREAM);
	mask = umask(077); /* the passwords: for this user only */
	f = fopen(path, "w");
	umask(mask);
	if (!f)
		return -1;
	for (int w = 0; !rc && w < W_N; w++) {
		rc = random_hex(s->pass[w], sizeof s->pass[w]);
		fprintf(f, "%s %s\n", s->user[w], s->pass[w]);
	}
	return fclose(f) || rc ? -1 : 0;
}

static int sec_init(struct sec *s, const struct gen_event *ev)
{
	memset(s, 0, sizeof *s);
	s->brokers = need_env("XF_TEST_KAFKA_SASL_BROKERS");
	s->kafka_ca = need_env("XF_TEST_KAFKA_CA");
	s->admin_config = need_env("XF_TEST_KAFKA_ADMIN_CONFIG");
	s->pg_url = need_env("XF_TEST_PG_TLS_URL");
	s->pg_ca = need_env("XF_TEST_PG_CA");
	s->plain = need_env("XF_KAFKA_BROKERS");
	if (!s->brokers || !s->kafka_ca || !s->admin_config || !s->pg_url || !s->pg_ca || !s->plain)
		return -1;
	snprintf(s->dept[0], sizeof s->dept[0], "%s", ev[0].department);
	snprintf(s->dept[1], sizeof s->dept[1], "%s",
		 strcmp(ev[0].department, "t-zjj") ? "t-zjj" : "t-rsj");
	snprintf(s->db_url, sizeof s->db_url, "%s/" TLS_DB "?sslmode=verify-full&sslrootcert=%s",
		 s->pg_url, s->pg_ca);
	if (sscanf(s->pg_url, "postgresql://xf_tls:%127[^@]@", s->pg_pass) != 1) {
		fprintf(stderr, "    XF_TEST_PG_TLS_URL names no password of xf_tls\n");
		return -1;
	}
	return 0;
}

/* Runs deploy/kafka/acls.sh on the SASL_SSL listener; its exit status. */
static int apply_recipe(struct e2e *t, struct sec *s)
{
	struct sbuf cmd = SBUF_INIT, users = SBUF_INIT;
	double t0 = now_ms();
	int rc;

	sbuf_addf(&users, "%s/%s-users", t->logs, t->name);
	if (principals(s, users.buf))
		return -1;
	sbuf_addf(&cmd,
		  "KAFKA_RUN='deploy/scripts/kafka.sh run' deploy/kafka/acls.sh --bootstrap %s"
		  " --command-config %s --group-prefix %s --department %s --department %s"
		  " --bureau " BUREAU " --upstream " UPSTREAM " --users %s >%s/%s-acls.log 2>&1",
		  s->brokers, s->admin_config, t->prefix, s->dept[0], s->dept[1], users.buf,
		  t->logs, t->name);
	rc = system(cmd.buf);
	printf("    acls.sh: %.1f s\n", (now_ms() - t0) / 1000);
	sbuf_release(&cmd);
	sbuf_release(&users);
	return rc;
}

static int admin_sql(const char *sql)
{
	struct sbuf url = SBUF_INIT, err = SBUF_INIT;
	PGconn *conn;
	int rc = -1;

	sbuf_addf(&url, "%s/postgres", getenv("XF_TEST_PG"));
	conn = pg_connect(url.buf, &err);
	if (conn && !pg_exec(conn, sql, 0, NULL, &err))
		rc = 0;
	if (rc)
		fprintf(stderr, "    %s: %s\n", sql, err.buf);
	if (conn)
		PQfinish(conn);
	sbuf_release(&url);
	sbuf_release(&err);
	return rc;
}

/* The daemons' and xfctl's environment: principal who, SASL_SSL, TLS database. */
static void as_principal(const struct sec *s, enum who w)
{
	setenv("XF_KAFKA_BROKERS", s->brokers, 1);
	setenv("XF_KAFKA_SECURITY_PROTOCOL", "sasl_ssl", 1);
	setenv("XF_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", 1);
	setenv("XF_KAFKA_SASL_USERNAME", s->user[w], 1);
	setenv("XF_KAFKA_SASL_PASSWORD", s->pass[w], 1);
	setenv("XF_KAFKA_SSL_CA_LOCATION", s->kafka_ca, 1);
	setenv("XF_DATABASE_URL", s->db_url, 1);
}

/* Back to the harness's PLAINTEXT listener and database. */
static void as_harness(const struct sec *s, struct e2e *t)
{
	static const char *const vars[] = { "XF_KAFKA_SECURITY_PROTOCOL", "XF_KAFKA_SASL_MECHANISM",
					    "XF_KAFKA_SASL_USERNAME", "XF_KAFKA_SASL_PASSWORD",
					    "XF_KAFKA_SSL_CA_LOCATION" };

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("XF_KAFKA_BROKERS", s->plain, 1);
	setenv("XF_DATABASE_URL", t->db_url, 1);
}

/* Runs xfctl as its principal; its exit status, its output in out (or dropped). */
static int xfctl_out(struct e2e *t, const struct sec *s, const char *const *args, struct sbuf *out)
{
	struct sbuf mine = SBUF_INIT;
	int rc;

	as_principal(s, W_XFCTL);
	rc = e2e_xfctl(t, out ? out : &mine, args);
	as_harness(s, t);
	if (rc)
		fprintf(stderr, "    xfctl %s: exit %d: %s\n", args[0], rc,
			out ? out->buf : mine.buf);
	sbuf_release(&mine);
	return rc;
}

static int xfctl_as(struct e2e *t, const struct sec *s, const char *const *args)
{
	return xfctl_out(t, s, args, NULL);
}

/* xfctl lag, as xfctl's principal, describes the daemons' groups. */
static void xfctl_lag(struct e2e *t, const struct sec *s)
{
	static const char *const lag[] = { "lag", "--samples", "1", NULL };
	struct sbuf out = SBUF_INIT, group = SBUF_INIT;

	sbuf_addf(&group, "%s-intake", t->prefix);
	T_INTEQ(xfctl_out(t, s, lag, &out), 0);
	if (!T_CHECK(out.len && strstr(out.buf, group.buf)))
		fprintf(stderr, "    no group %s in:\n%s\n", group.buf, out.buf ? out.buf : "");
	sbuf_release(&out);
	sbuf_release(&group);
}

/* Starts daemon d as principal w; xf-dispatch serves /metrics on http_port. */
static int start_as(struct e2e *t, const struct sec *s, enum e2e_daemon d, enum who w,
		    int http_port)
{
	char addr[64];
	int rc;

	snprintf(addr, sizeof addr, "127.0.0.1:%d", http_port);
	as_principal(s, w);
	rc = e2e_start_instance(t, d, 0, d == E2E_DISPATCH ? addr : NULL);
	as_harness(s, t);
	return rc;
}

/*
 * xf-dispatch's lag monitor, as its own principal, describes the groups:
 * /metrics shows the lag of the intake group on hotline.events.
 */
static int lag_seen(struct e2e *t, int port)
{
	struct sbuf body = SBUF_INIT, want = SBUF_INIT;
	int found = 0;

	sbuf_addf(&want, "xf_consumer_group_lag{group=\"%s-intake\",topic=\"hotline.events\"",
		  t->prefix);
	for (double end = now_ms() + WAIT_MS; !found && now_ms() < end; usleep(200000))
		found = e2e_http_get(port, "/metrics", &body) == 200 && strstr(body.buf, want.buf);
	if (!found)
		fprintf(stderr, "    no %s in /metrics\n", want.buf);
	sbuf_release(&body);
	sbuf_release(&want);
	return found;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct dr *dr = rkm->_private;

	(void)rk;
	(void)opaque;
	dr->done++;
	if (rkm->err && !dr->first)
		dr->first = rkm->err;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct seen *seen = opaque;

	(void)rk;
	(void)reason;
	if (seen) {
		seen->last = (rd_kafka_resp_err_t)err;
		seen->got |= seen->last == seen->want;
	}
}

/*
 * An outsider's client (department, upstream system) as principal who over
 * SASL_SSL, set up here rather than from XF_KAFKA_*: a consumer in group
 * (assign()-only) or, group NULL, a producer. password NULL: who's own.
 */
static rd_kafka_t *client(const struct sec *s, enum who w, const char *group, const char *password,
			  struct seen *seen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *kv[][2] = {
		{ "bootstrap.servers", s->brokers },
		{ "security.protocol", "sasl_ssl" },
		{ "sasl.mechanism", "SCRAM-SHA-512" },
		{ "sasl.username", s->user[w] },
		{ "sasl.password", password ? password : s->pass[w] },
		{ "ssl.ca.location", s->kafka_ca },
		{ group ? "group.id" : "client.id", group ? group : "e2e-tls" },
		{ group ? "enable.auto.commit" : "acks", group ? "false" : "all" },
	};
	char why[256];
	rd_kafka_t *rk;

	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], why, sizeof why)) {
			fprintf(stderr, "    %s: %s\n", kv[i][0], why);
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, seen);
	if (password)
		rd_kafka_conf_set_log_cb(conf, NULL); /* the failure is expected */
	if (!group)
		rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(group ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf, why, sizeof why);
	if (!rk) {
		fprintf(stderr, "    rd_kafka_new: %s\n", why);
		rd_kafka_conf_destroy(conf);
	} else if (group) {
		rd_kafka_poll_set_consumer(rk);
	}
	return rk;
}

/* Assigns the consumer to topic from its current ends; 0 or -1. */
static int assign_from_end(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *ends = e2e_topic_ends(rk, topic);
	int rc = ends && !rd_kafka_assign(rk, ends) ? 0 : -1;

	if (ends)
		rd_kafka_topic_partition_list_destroy(ends);
	return rc;
}

/* Produces one message, with header xf-sender when sender is not NULL. */
static int send_one(rd_kafka_t *rk, const char *topic, const char *key, const void *val, size_t len,
		    const char *sender, struct dr *dr)
{
	rd_kafka_headers_t *h = sender ? rd_kafka_headers_new(1) : NULL;
	rd_kafka_resp_err_t rc;

	if (h)
		rd_kafka_header_add(h, "xf-sender", -1, sender, -1);
	rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
			       RD_KAFKA_V_VALUE((void *)val, len),
			       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
			       RD_KAFKA_V_OPAQUE(dr), RD_KAFKA_V_END);
	if (rc && h)
		rd_kafka_headers_destroy(h); /* not handed over */
	dr->sent += !rc;
	return rc ? -1 : 0;
}

/* Waits for every delivery report; the first failure (0: none, __TIMED_OUT). */
static rd_kafka_resp_err_t delivered(rd_kafka_t *rk, struct dr *dr)
{
	for (double end = now_ms() + WAIT_MS; dr->done < dr->sent && now_ms() < end;)
		rd_kafka_poll(rk, 100);
	return dr->done < dr->sent ? RD_KAFKA_RESP_ERR__TIMED_OUT : dr->first;
}

/* One message as principal who (sender: its xf-sender header, or NULL);
 * the delivery report's error. */
static rd_kafka_resp_err_t produce_as(const struct sec *s, enum who w, const char *topic,
				      const char *key, const char *val, const char *sender)
{
	struct dr dr = { 0, 0, 0 };
	rd_kafka_t *rk = client(s, w, NULL, NULL, NULL);
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;

	if (rk && !send_one(rk, topic, key, val, strlen(val), sender, &dr))
		err = delivered(rk, &dr);
	if (rk)
		rd_kafka_destroy(rk);
	return err;
}

/*
 * Polls consumer rk until want messages were taken by take (or WAIT_MS);
 * the number taken.
 */
static int read_until(rd_kafka_t *rk, int want, int (*take)(const rd_kafka_message_t *, void *),
		      void *arg)
{
	int got = 0;

	for (double end = now_ms() + WAIT_MS; got < want && now_ms() < end;) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

		if (rkm && !rkm->err)
			got += take(rkm, arg);
		if (rkm)
			rd_kafka_message_destroy(rkm);
	}
	return got;
}

struct events {
	const struct gen_event *ev;
	size_t n;
	char case_id[64]; /* one case of department A */
	const char *dept;
};

/* A receipt or update of one of the events: key <system>/<external_id>. */
static int take_receipt(const rd_kafka_message_t *rkm, void *arg)
{
	const struct events *e = arg;

	for (size_t i = 0; i < e->n; i++) {
		char key[96];

		if (e->ev[i].kind != GEN_VALID)
			continue;
		snprintf(key, sizeof key, UPSTREAM "/%s", e->ev[i].external_id);
		if (rkm->key_len == strlen(key) && !memcmp(rkm->key, key, rkm->key_len))
			return 1;
	}
	return 0;
}

/* An assignment (not a case event) on department A's topic. */
static int take_assignment(const rd_kafka_message_t *rkm, void *arg)
{
	struct events *e = arg;
	json_t *j = json_loadb(rkm->payload, rkm->len, 0, NULL);
	const char *schema = json_string_value(json_object_get(j, "schema"));
	const char *case_id = json_string_value(json_object_get(j, "case_id"));
	int ok = schema && case_id && !strcmp(schema, "xf.assignment.v1");

	if (ok)
		snprintf(e->case_id, sizeof e->case_id, "%s", case_id);
	json_decref(j);
	return ok;
}

/* Valid events (for department dept, when not NULL). */
static int valid(const struct events *e, const char *dept)
{
	int n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->ev[i].kind == GEN_VALID && (!dept || !strcmp(e->ev[i].department, dept));
	return n;
}

/* The first malformed event. */
static const struct gen_event *bad_one(const struct events *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ev[i].kind == GEN_BAD)
			return &e->ev[i];
	return NULL;
}

struct dlq_want {
	const char *key;
	size_t n;
};

/* At least n dead letters of the key were collected. */
static int dead_letters(struct e2e *t, void *arg)
{
	const struct dlq_want *w = arg;
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += !strcmp(t->msgs[i].topic, "petition.dlq") && !strcmp(t->msgs[i].key, w->key);
	return n >= w->n;
}

/*
 * xf-intake dead-letters the malformed event (petition.dlq and its table);
 * xfctl dlq replay, as xfctl's principal, sends it back to hotline.events,
 * and xf-intake dead-letters it again.
 */
static void replay(struct e2e *t, const struct sec *s, const struct events *e)
{
	static const char *const args[] = { "dlq", "replay", "--service", "xf-intake", NULL };
	const struct gen_event *bad = bad_one(e);
	struct dlq_want w = { bad ? bad->key : "", 1 };
	struct sbuf out = SBUF_INIT;

	if (!T_CHECK(bad) || !T_CHECK(e2e_collect_until(t, dead_letters, &w, WAIT_S)))
		return;
	T_INTEQ(xfctl_out(t, s, args, &out), 0);
	T_CHECK(out.len && strstr(out.buf, "1 replayed, 0 skipped") != NULL);
	w.n = 2;
	T_CHECK(e2e_collect_until(t, dead_letters, &w, WAIT_S));
	sbuf_release(&out);
}

/* The accept department A sent shows applied on case.events. */
static int accepted(struct e2e *t, void *arg)
{
	const char *case_id = arg;

	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];
		const char *type = json_string_value(json_object_get(m->json, "type"));

		if (!strcmp(m->topic, "case.events") && type && !strcmp(type, "accepted") &&
		    !strcmp(m->key, case_id))
			return 1;
	}
	return 0;
}

static char *accept_json(const struct events *e)
{
	char id[96];
	json_t *fb;
	char *text;

	snprintf(id, sizeof id, "tls-accept-%s", e->case_id);
	fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1", "feedback_id",
		       id, "case_id", e->case_id, "department", e->dept, "action", "accept", "at",
		       "2026-11-22T10:00:00+08:00");
	text = json_dumps(fb, JSON_COMPACT);
	json_decref(fb);
	return text;
}

/* Department A's consumer, assigned to assignments.A from its end. */
static rd_kafka_t *dept_reader(struct e2e *t, const struct sec *s)
{
	struct sbuf group = SBUF_INIT, topic = SBUF_INIT;
	rd_kafka_t *rk;

	sbuf_addf(&group, "%s:%s", s->user[W_DEPT_A], t->prefix);
	sbuf_addf(&topic, "assignments.%s", s->dept[0]);
	rk = client(s, W_DEPT_A, group.buf, NULL, NULL);
	if (rk && assign_from_end(rk, topic.buf)) {
		kafka_consumer_close(rk);
		rk = NULL;
	}
	sbuf_release(&group);
	sbuf_release(&topic);
	return rk;
}

/* The upstream system's consumer of topic (receipts, updates) from its end. */
static rd_kafka_t *upstream_reader(struct e2e *t, const struct sec *s, const char *topic)
{
	struct sbuf group = SBUF_INIT;
	rd_kafka_t *rk;

	sbuf_addf(&group, "%s:%s", s->user[W_UPSTREAM], t->prefix);
	rk = client(s, W_UPSTREAM, group.buf, NULL, NULL);
	if (rk && assign_from_end(rk, topic)) {
		kafka_consumer_close(rk);
		rk = NULL;
	}
	sbuf_release(&group);
	return rk;
}

/* The upstream system publishes the events; 0 when the broker took them all. */
static int publish(const struct sec *s, const struct events *e)
{
	struct dr dr = { 0, 0, 0 };
	rd_kafka_t *rk = client(s, W_UPSTREAM, NULL, NULL, NULL);
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;
	int rc = rk ? 0 : -1;

	for (size_t i = 0; !rc && i < e->n; i++)
		rc = send_one(rk, "hotline.events", e->ev[i].key, e->ev[i].bytes, e->ev[i].len,
			      NULL, &dr);
	if (!rc)
		err = delivered(rk, &dr);
	if (err)
		fprintf(stderr, "    publish: %s\n", rd_kafka_err2name(err));
	if (rk)
		rd_kafka_destroy(rk);
	return err ? -1 : 0;
}

/*
 * The upstream system publishes the events and reads their receipts;
 * department A reads its assignments and accepts one, which xf-dispatch
 * applies; both commit their positions in groups of their own prefix.
 */
static void flow(struct e2e *t, const struct sec *s, struct events *e)
{
	rd_kafka_t *receipts = upstream_reader(t, s, "petition.receipts");
	rd_kafka_t *updates = upstream_reader(t, s, "petition.updates");
	rd_kafka_t *dept = dept_reader(t, s);
	char *fb = NULL;

	if (!T_CHECK(receipts && updates && dept) || !T_CHECK(publish(s, e) == 0))
		goto out;
	T_INTEQ(read_until(receipts, valid(e, NULL), take_receipt, e), valid(e, NULL));
	T_INTEQ(rd_kafka_commit(receipts, NULL, 0), 0);
	/* at least one step (received, assigned) of each case, keyed alike */
	T_INTEQ(read_until(updates, valid(e, NULL), take_receipt, e), valid(e, NULL));
	if (!T_INTEQ(read_until(dept, valid(e, e->dept), take_assignment, e), valid(e, e->dept)))
		goto out;
	T_INTEQ(rd_kafka_commit(dept, NULL, 0), 0);
	fb = accept_json(e);
	/* unsigned: the tests' XF_ENV=development believes xf-sender (README
	 * "Who sent it"); signatures are e2e_lifecycle's */
	T_INTEQ(produce_as(s, W_DEPT_A, "department.feedback", e->case_id, fb, e->dept), 0);
	T_CHECK(e2e_collect_until(t, accepted, e->case_id, WAIT_S));
out:
	free(fb);
	kafka_consumer_close(receipts);
	kafka_consumer_close(updates);
	kafka_consumer_close(dept);
}

/*
 * Principal who subscribing to topic in a group of its own: the error the
 * consumer gets, 0 if none came in DENY_MS.
 */
static rd_kafka_resp_err_t read_error(struct e2e *t, const struct sec *s, enum who w,
				      const char *topic)
{
	struct sbuf group = SBUF_INIT;
	struct seen seen = { RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, 0 };
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err = 0;

	sbuf_addf(&group, "%s:%s-deny", s->user[w], t->prefix);
	rk = client(s, w, group.buf, NULL, &seen);
	rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA);
	if (rk && !rd_kafka_subscribe(rk, list))
		for (double end = now_ms() + DENY_MS; !err && now_ms() < end;) {
			rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

			if (rkm) /* a message read is as wrong as any other error */
				err = rkm->err ? rkm->err : RD_KAFKA_RESP_ERR__FAIL;
			if (rkm)
				rd_kafka_message_destroy(rkm);
			if (!err && seen.got)
				err = seen.want;
		}
	printf("    %s reading %s: %s\n", s->user[w], topic, rd_kafka_err2name(err));
	rd_kafka_topic_partition_list_destroy(list);
	kafka_consumer_close(rk);
	sbuf_release(&group);
	return err;
}

/*
 * Department A with a wrong password: __AUTHENTICATION when its client's
 * error callback says so, else the last error it saw (0: let in).
 */
static rd_kafka_resp_err_t wrong_password(const struct sec *s)
{
	struct seen seen = { RD_KAFKA_RESP_ERR__AUTHENTICATION, 0, 0 };
	rd_kafka_t *rk = client(s, W_DEPT_A, NULL, "not-the-password-0123456789", &seen);
	const struct rd_kafka_metadata *md = NULL;

	if (!rk)
		return RD_KAFKA_RESP_ERR__FAIL;
	for (double end = now_ms() + DENY_MS; !seen.got && now_ms() < end;)
		if (!rd_kafka_metadata(rk, 0, NULL, &md, 1000)) {
			rd_kafka_metadata_destroy(md);
			seen.last = RD_KAFKA_RESP_ERR_NO_ERROR;
			break; /* let in: the check fails */
		} else {
			rd_kafka_poll(rk, 100);
		}
	rd_kafka_destroy(rk);
	printf("    %s with a wrong password: %s\n", s->user[W_DEPT_A],
	       rd_kafka_err2name(seen.got ? seen.want : seen.last));
	return seen.got ? seen.want : seen.last;
}

/* What the authorizer refuses, on the real broker. */
static void refusals(struct e2e *t, const struct sec *s)
{
	char topic[96], fake[] = "{\"schema\": \"xf.hotline_event.v1\"}";

	snprintf(topic, sizeof topic, "assignments.%s", s->dept[1]);
	T_INTEQ(read_error(t, s, W_DEPT_A, topic), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	snprintf(topic, sizeof topic, "assignments.%s", s->dept[0]);
	T_INTEQ(read_error(t, s, W_UPSTREAM, topic), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	T_INTEQ(produce_as(s, W_DEPT_A, "hotline.events", "tls-fake", fake, NULL),
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	T_INTEQ(wrong_password(s), RD_KAFKA_RESP_ERR__AUTHENTICATION);
}

/* A database of its own owned by xf_tls (so that xfctl migrates it as that role). */
static int tls_db(void)
{
	return admin_sql("DROP DATABASE IF EXISTS " TLS_DB " WITH (FORCE)") ||
	       admin_sql("CREATE DATABASE " TLS_DB " OWNER xf_tls");
}

/*
 * PostgreSQL: xf_tls without TLS is refused; every connection to the TLS
 * database (the daemons') is xf_tls's and encrypted.
 */
static void pg_checks(struct e2e *t, const struct sec *s)
{
	struct sbuf url = SBUF_INIT;
	PGconn *conn;

	sbuf_addf(&url, "%s/" TLS_DB "?sslmode=disable", s->pg_url);
	conn = PQconnectdb(url.buf);
	T_CHECK(PQstatus(conn) == CONNECTION_BAD);
	T_CHECK(strstr(PQerrorMessage(conn), "no encryption") != NULL);
	PQfinish(conn);
	T_CHECK(e2e_sql_long(t,
			     "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s"
			     " USING (pid) WHERE a.datname = '" TLS_DB "' AND a.usename = 'xf_tls'"
			     " AND s.ssl AND s.version LIKE 'TLSv1._'") >= 3);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s"
				" USING (pid) WHERE a.datname = '" TLS_DB "'"
				" AND (NOT s.ssl OR a.usename <> 'xf_tls')"),
		0);
	sbuf_release(&url);
}

static const char *const daemon_logs[] = { "xf-intake", "xf-classify", "xf-dispatch" };

static void logs_clear(struct e2e *t)
{
	char path[512];

	for (int d = 0; d < E2E_NDAEMONS; d++) {
		snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon_logs[d]);
		unlink(path);
	}
}

/* A line no daemon log may hold: a refusal by the broker, or a password. */
static int bad_line(const struct sec *s, const char *line)
{
	static const char *const refusal[] = { "AUTHORIZATION_FAILED", "uthorization",
					       "AUTHENTICATION" };

	for (size_t i = 0; i < sizeof refusal / sizeof refusal[0]; i++)
		if (strstr(line, refusal[i]))
			return 1;
	for (int w = 0; w < W_N; w++)
		if (strstr(line, s->pass[w]))
			return 1;
	return s->pg_pass[0] && strstr(line, s->pg_pass);
}

/* No daemon was refused anything by the broker, or logged a password. */
static void logs_clean(struct e2e *t, const struct sec *s)
{
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		char path[512], *line = NULL;
		size_t cap = 0, lines = 0, bad = 0;
		FILE *f;

		snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon_logs[d]);
		if (!T_CHECK((f = fopen(path, "r")) != NULL))
			continue;
		while (getline(&line, &cap, f) > 0) {
			lines++;
			if (bad_line(s, line) && bad++ < 3)
				fprintf(stderr, "    %s: %s", path, line);
		}
		free(line);
		fclose(f);
		T_CHECK(lines > 0);
		T_INTEQ(bad, 0);
	}
}

static void t_sasl_ssl(void)
{
	static const char *const migrate[] = { "migrate", NULL };
	static const char *const import[] = { "rules", "import", "tests/e2e/rules.json", NULL };
	static const char *const topics[] = { "topics", "create", NULL };
	static const enum who as[] = { W_INTAKE, W_CLASSIFY, W_DISPATCH };
	struct gen_event *ev = gen_events("tls", NEVENTS, 0, 1);
	struct events e = { ev, NEVENTS, "", NULL };
	struct e2e t;
	struct sec s = { 0 };
	int port = e2e_free_port();

	if (!T_CHECK(e2e_setup(&t, "tls") == 0) || !T_CHECK(sec_init(&s, ev) == 0))
		goto out;
	e.dept = s.dept[0];
	logs_clear(&t);
	if (!T_INTEQ(apply_recipe(&t, &s), 0) || !T_INTEQ(tls_db(), 0) ||
	    !T_INTEQ(xfctl_as(&t, &s, migrate), 0) || !T_INTEQ(xfctl_as(&t, &s, import), 0) ||
	    !T_INTEQ(xfctl_as(&t, &s, topics), 0))
		goto out;
	setenv("XF_LAG_INTERVAL_MS", "500", 1);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(start_as(&t, &s, d, as[d], port), 0);
	unsetenv("XF_LAG_INTERVAL_MS");
	flow(&t, &s, &e);
	T_CHECK(lag_seen(&t, port));
	xfctl_lag(&t, &s);
	replay(&t, &s, &e);
	refusals(&t, &s);
	pg_checks(&t, &s);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	logs_clean(&t, &s);
out:
	if (s.plain)
		as_harness(&s, &t);
	gen_free(ev, NEVENTS);
	e2e_teardown(&t);
}

T_SUITE(e2e_tls, { "sasl_ssl_acls_tls", t_sasl_ssl })
