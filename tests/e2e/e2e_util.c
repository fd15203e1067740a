/* e2e_util.c - see e2e.h. Globals are fine in tests; this file has none. */
#include "e2e.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "jlimit.h"
#include "kafka.h"
#include "pg.h"
#include "util.h"
#include "xalloc.h"
#include "signature.h"

static const char *const daemon_names[] = { "xf-intake", "xf-classify", "xf-dispatch" };
/* clang-format off */
static const struct { const char *suffix, *topic; } inputs[] = {
	{ "intake", "hotline.events" },
	{ "classify", "petition.received" },
	{ "dispatch", "petition.classified" },
	{ "dispatch", "department.feedback" },
};
/* clang-format on */

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int admin_sql(const char *sql)
{
	struct sbuf url = SBUF_INIT, err = SBUF_INIT;
	PGconn *conn;
	int rc = -1;

	sbuf_addf(&url, "%s/postgres", env_or("XF_TEST_PG", ""));
	conn = pg_connect(url.buf, &err);
	if (conn && !pg_exec(conn, sql, 0, NULL, &err))
		rc = 0;
	if (rc)
		fprintf(stderr, "e2e: %s: %s\n", sql, err.buf);
	if (conn)
		PQfinish(conn);
	sbuf_release(&url);
	sbuf_release(&err);
	return rc;
}

rd_kafka_topic_partition_list_t *e2e_topic_ends(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_topic_partition_list_t *list = NULL;

	if (!rd_kafka_metadata(rk, 0, rkt, &md, 10000) && md->topic_cnt == 1 &&
	    !md->topics[0].err) {
		list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
		for (int p = 0; p < md->topics[0].partition_cnt; p++) {
			int64_t lo, hi = 0;
			int id = md->topics[0].partitions[p].id;

			rd_kafka_query_watermark_offsets(rk, topic, id, &lo, &hi, 10000);
			rd_kafka_topic_partition_list_add(list, topic, id)->offset = hi;
		}
	} else {
		fprintf(stderr, "e2e: no metadata for topic %s\n", topic);
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return list;
}

/* Commits the group's offsets at the end of its input topic. */
static int position_group(struct e2e *t, const char *suffix, const char *topic)
{
	const char *none[] = { NULL };
	struct sbuf err = SBUF_INIT;
	char group[160];
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *list;
	int rc = -1;

	snprintf(group, sizeof group, "%s-%s", t->prefix, suffix);
	rk = kafka_consumer_new(getenv("XF_KAFKA_BROKERS"), group, none, NULL, &err);
	/* Right after the broker starts its group coordinator may not be
	 * ready yet (COORDINATOR_NOT_AVAILABLE and the like): try again until
	 * the commit is taken, for up to a minute. */
	for (double t0 = now_ms(); rk && rc && now_ms() - t0 < 60000;) {
		rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__STATE;

		if ((list = e2e_topic_ends(rk, topic))) {
			e = rd_kafka_commit(rk, list, 0);
			rd_kafka_topic_partition_list_destroy(list);
		}
		rc = e ? -1 : 0;
		if (rc) {
			sbuf_reset(&err);
			sbuf_adds(&err, rd_kafka_err2str(e));
			sleep_ms_unless(200, NULL);
		}
	}
	if (rc)
		fprintf(stderr, "e2e: cannot position group %s: %s\n", group, err.buf);
	if (rk)
		rd_kafka_destroy(rk);
	sbuf_release(&err);
	return rc;
}

/* Assigns the collector to every output topic from its current end. */
static int collector_start(struct e2e *t)
{
	static const char *const fixed[] = { "petition.receipts", "petition.dlq", "case.events",
					     "petition.classified", "petition.updates" };
	const int nfixed = (int)(sizeof fixed / sizeof fixed[0]);
	const char *none[] = { NULL };
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(64);
	PGresult *res = PQexec(t->conn, "SELECT 'assignments.' || code FROM departments");
	struct sbuf err = SBUF_INIT, group = SBUF_INIT;
	int rc = 0;

	sbuf_addf(&group, "%s-collector", t->prefix);
	t->collector = kafka_consumer_new(getenv("XF_KAFKA_BROKERS"), group.buf, none, NULL, &err);
	for (int i = 0; t->collector && i < nfixed + PQntuples(res); i++) {
		const char *topic = i < nfixed ? fixed[i] : PQgetvalue(res, i - nfixed, 0);
		rd_kafka_topic_partition_list_t *l = e2e_topic_ends(t->collector, topic);

		for (int p = 0; l && p < l->cnt; p++)
			rd_kafka_topic_partition_list_add(all, topic, l->elems[p].partition)
				->offset = l->elems[p].offset;
		rc |= l ? 0 : -1;
		if (l)
			rd_kafka_topic_partition_list_destroy(l);
	}
	if (!t->collector || rc || rd_kafka_assign(t->collector, all))
		rc = -1;
	t->outputs = all;
	PQclear(res);
	sbuf_release(&err);
	sbuf_release(&group);
	return rc;
}

static int setup_db(struct e2e *t)
{
	struct sbuf sql = SBUF_INIT, err = SBUF_INIT;
	int rc;

	sbuf_addf(&sql, "DROP DATABASE IF EXISTS xf_t_%s", t->name);
	rc = admin_sql(sql.buf);
	sbuf_reset(&sql);
	sbuf_addf(&sql, "CREATE DATABASE xf_t_%s", t->name);
	rc = rc ? rc : admin_sql(sql.buf);
	snprintf(t->db_url, sizeof t->db_url, "%s/xf_t_%s", env_or("XF_TEST_PG", ""), t->name);
	if (!rc && !(t->conn = pg_connect(t->db_url, &err))) {
		fprintf(stderr, "e2e: %s\n", err.buf);
		rc = -1;
	}
	sbuf_release(&sql);
	sbuf_release(&err);
	return rc;
}

int e2e_setup_db(struct e2e *t, const char *name)
{
	struct sbuf err = SBUF_INIT;
	int rc;

	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->bin = env_or("XF_TEST_BIN", "bin");
	t->logs = env_or("XF_TEST_LOGS", ".run/test/logs");
	rc = setup_db(t);
	if (!rc && pg_migrate(t->conn, &err) < 0) {
		fprintf(stderr, "e2e: migrate: %s\n", err.buf);
		rc = -1;
	}
	sbuf_release(&err);
	return rc;
}

int e2e_setup(struct e2e *t, const char *name)
{
	return e2e_setup_rules(t, name, "tests/e2e/rules.json");
}

int e2e_setup_rules(struct e2e *t, const char *name, const char *rules)
{
	const char *import[] = { "rules", "import", rules, NULL };
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	int rc;

	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->prefix, sizeof t->prefix, "t-%s-%d-%ld", name, (int)getpid(), (long)time(NULL));
	t->bin = env_or("XF_TEST_BIN", "bin");
	t->logs = env_or("XF_TEST_LOGS", ".run/test/logs");
	if (setup_db(t))
		return -1;
	setenv("XF_DATABASE_URL", t->db_url, 1);
	setenv("XF_GROUP_PREFIX", t->prefix, 1);
	setenv("XF_HTTP_ADDR", "off", 1);
	setenv("XF_ENV", "development", 1); /* the secrets' defaults (test_secrets.c) */
	rc = e2e_xfctl(t, &out, import);
	if (rc) {
		fprintf(stderr, "e2e: xfctl rules import: exit %d: %s\n", rc, out.buf);
		return -1;
	}
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
		if (position_group(t, inputs[i].suffix, inputs[i].topic))
			return -1;
	t->producer = kafka_producer_new(getenv("XF_KAFKA_BROKERS"), NULL, &err);
	sbuf_release(&out);
	sbuf_release(&err);
	return t->producer && !collector_start(t) ? 0 : -1;
}

void e2e_teardown(struct e2e *t)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		for (int k = 0; k < E2E_NINST; k++)
			if (e2e_alive_instance(t, d, k))
				e2e_kill_instance(t, d, k, SIGTERM);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		for (int k = 0; k < E2E_NINST; k++) {
			for (int i = 0; i < 150 && e2e_alive_instance(t, d, k); i++)
				usleep(100000);
			if (e2e_alive_instance(t, d, k))
				e2e_kill_instance(t, d, k, SIGKILL);
		}
	for (size_t i = 0; i < t->nmsgs; i++) {
		free(t->msgs[i].topic);
		free(t->msgs[i].key);
		free(t->msgs[i].value);
		free(t->msgs[i].error_code);
		if (t->msgs[i].headers)
			rd_kafka_headers_destroy(t->msgs[i].headers);
		json_decref(t->msgs[i].json);
	}
	free(t->msgs);
	if (t->outputs)
		rd_kafka_topic_partition_list_destroy(t->outputs);
	kafka_consumer_close(t->collector);
	kafka_producer_close(t->producer, 5000);
	if (t->conn)
		PQfinish(t->conn);
	memset(t, 0, sizeof *t);
}

static pid_t *pid_of(struct e2e *t, enum e2e_daemon d, int inst)
{
	return inst ? &t->pids2[d] : &t->pids[d];
}

/* A copy of the environment with XF_HTTP_ADDR set to addr (built before fork). */
static char **env_with_http(const char *addr, char *entry, size_t size)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof *env);
	if (!env)
		abort();
	snprintf(entry, size, "XF_HTTP_ADDR=%s", addr);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "XF_HTTP_ADDR=", 13))
			env[k++] = environ[i];
	env[k] = entry;
	return env;
}

int e2e_start_instance(struct e2e *t, enum e2e_daemon d, int inst, const char *http_addr)
{
	char path[512], logf[512], entry[128];
	char *argv[] = { (char *)daemon_names[d], NULL };
	char **env = env_with_http(http_addr ? http_addr : env_or("XF_HTTP_ADDR", "off"), entry,
				   sizeof entry);
	pid_t pid;

	snprintf(path, sizeof path, "%s/%s", t->bin, daemon_names[d]);
	snprintf(logf, sizeof logf, "%s/%s-%s%s.log", t->logs, t->name, daemon_names[d],
		 inst ? ".2" : "");
	pid = fork();
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execve(path, argv, env);
		_exit(127);
	}
	free(env);
	*pid_of(t, d, inst) = pid;
	return pid > 0 ? 0 : -1;
}

int e2e_start(struct e2e *t, enum e2e_daemon d)
{
	return e2e_start_instance(t, d, 0, NULL);
}

void e2e_kill_instance(struct e2e *t, enum e2e_daemon d, int inst, int sig)
{
	pid_t pid = *pid_of(t, d, inst);

	if (pid > 0)
		kill(pid, sig);
}

void e2e_kill(struct e2e *t, enum e2e_daemon d, int sig)
{
	e2e_kill_instance(t, d, 0, sig);
}

int e2e_alive_instance(struct e2e *t, enum e2e_daemon d, int inst)
{
	pid_t *pid = pid_of(t, d, inst);
	int status;

	if (*pid <= 0)
		return 0;
	if (waitpid(*pid, &status, WNOHANG) == *pid) {
		fprintf(stderr, "e2e: %s%s exited (status %d)\n", daemon_names[d],
			inst ? " (instance 1)" : "", status);
		*pid = 0;
		return 0;
	}
	return 1;
}

int e2e_alive(struct e2e *t, enum e2e_daemon d)
{
	return e2e_alive_instance(t, d, 0);
}

int e2e_stop_instance(struct e2e *t, enum e2e_daemon d, int inst)
{
	pid_t *pid = pid_of(t, d, inst);
	int status = -1;

	if (*pid <= 0)
		return -1;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(100000);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
	*pid = 0;
	return -1;
}

int e2e_stop(struct e2e *t, enum e2e_daemon d)
{
	return e2e_stop_instance(t, d, 0);
}

/* Partitions of topic (any when NULL) in parts. */
static int holds(const rd_kafka_topic_partition_list_t *parts, const char *topic)
{
	int n = 0;

	for (int i = 0; parts && i < parts->cnt; i++)
		n += !topic || !strcmp(parts->elems[i].topic, topic);
	return n;
}

/* Counts the members of one described group, and those holding partitions of topic. */
static int group_count(const rd_kafka_ConsumerGroupDescription_t *g, const char *topic,
		       int *assigned)
{
	int n;

	if (rd_kafka_ConsumerGroupDescription_error(g))
		return -1;
	n = (int)rd_kafka_ConsumerGroupDescription_member_count(g);
	*assigned = 0;
	for (int i = 0; i < n; i++) {
		const rd_kafka_MemberAssignment_t *a = rd_kafka_MemberDescription_assignment(
			rd_kafka_ConsumerGroupDescription_member(g, (size_t)i));
		const rd_kafka_topic_partition_list_t *parts =
			a ? rd_kafka_MemberAssignment_partitions(a) : NULL;

		*assigned += holds(parts, topic) > 0;
	}
	return n;
}

int e2e_group_members(struct e2e *t, const char *suffix, const char *topic, int *assigned)
{
	char group[160];
	const char *groups[1] = { group };
	rd_kafka_queue_t *q = rd_kafka_queue_new(t->producer);
	rd_kafka_event_t *ev;
	const rd_kafka_DescribeConsumerGroups_result_t *res;
	const rd_kafka_ConsumerGroupDescription_t **descs;
	size_t n = 0;
	int members = -1;

	snprintf(group, sizeof group, "%s-%s", t->prefix, suffix);
	rd_kafka_DescribeConsumerGroups(t->producer, groups, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 15000);
	res = ev ? rd_kafka_event_DescribeConsumerGroups_result(ev) : NULL;
	descs = res ? rd_kafka_DescribeConsumerGroups_result_groups(res, &n) : NULL;
	if (n == 1)
		members = group_count(descs[0], topic, assigned);
	else
		fprintf(stderr, "e2e: cannot describe group %s: %s\n", group,
			ev ? rd_kafka_event_error_string(ev) : "timed out");
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return members;
}

int e2e_xfctl(struct e2e *t, struct sbuf *out, const char *const *args)
{
	const char *argv[16] = { "xfctl" };
	char path[512], buf[4096];
	int fds[2], status = -1;
	ssize_t n;
	pid_t pid;

	for (int i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	snprintf(path, sizeof path, "%s/xfctl", t->bin);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof buf)) > 0)
		sbuf_add(out, buf, (size_t)n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int e2e_produce(struct e2e *t, const char *key, const void *val, size_t len)
{
	return e2e_produce_to(t, "hotline.events", key, val, len);
}

int e2e_produce_to(struct e2e *t, const char *topic, const char *key, const void *val, size_t len)
{
	struct sbuf err = SBUF_INIT;
	int rc = kafka_produce(t->producer, topic, key, strlen(key), val, len, NULL, 0, &t->acks,
			       &err);

	if (rc)
		fprintf(stderr, "e2e: produce: %s\n", err.buf);
	sbuf_release(&err);
	return rc;
}

struct sbuf *e2e_body(void **con_cls, const char *data, size_t *size)
{
	struct sbuf *body = *con_cls;

	if (!body) {
		body = xcalloc(1, sizeof *body);
		sbuf_init(body, 0);
		*con_cls = body;
		return NULL;
	}
	if (*size) {
		sbuf_add(body, data, *size);
		*size = 0;
		return NULL;
	}
	return body;
}

void e2e_body_done(void *cls, struct MHD_Connection *c, void **con_cls,
		   enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	if (*con_cls) {
		sbuf_release(*con_cls);
		free(*con_cls);
		*con_cls = NULL;
	}
}

int e2e_rules_edit(const char *tag, void (*edit)(json_t *dept, void *arg), void *arg, char path[64])
{
	json_t *doc = json_load_file("tests/e2e/rules.json", 0, NULL), *d;
	size_t i;
	int rc;

	snprintf(path, 64, "/tmp/xf-%s-%d.json", tag, (int)getpid());
	json_array_foreach(json_object_get(doc, "departments"), i, d) edit(d, arg);
	rc = doc && json_dump_file(doc, path, 0) == 0 ? 0 : -1;
	json_decref(doc);
	return rc;
}

struct hook_at {
	const char *url, *only;
};

static void hook_set(json_t *dept, void *arg)
{
	const struct hook_at *h = arg;

	if (h->only && strcmp(json_string_value(json_object_get(dept, "code")), h->only))
		return;
	json_object_set_new(dept, "webhook", json_string(h->url));
	json_object_set_new(dept, "local_testing", json_true());
}

const char *e2e_hook_rules(const char *tag, int port, const char *only, char path[64])
{
	char url[96];
	struct hook_at h = { url, only };

	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
	return e2e_rules_edit(tag, hook_set, &h, path) ? NULL : path;
}

int e2e_feedback_as(struct e2e *t, const char *sender, const char *secret, const char *case_id,
		    const char *text)
{
	struct kafka_hdr h[2] = { { "xf-sender", sender }, { "xf-signature", NULL } };
	struct sbuf err = SBUF_INIT;
	char sig[FEEDBACK_SIG_LEN];
	int rc;

	if (secret) {
		feedback_signature(secret, sender, text, strlen(text), sig);
		h[1].value = sig;
	}
	rc = kafka_produce(t->producer, "department.feedback", case_id, strlen(case_id), text,
			   strlen(text), h,
			   !sender  ? 0
			   : secret ? 2
				    : 1,
			   &t->acks, &err);
	if (rc)
		fprintf(stderr, "e2e: produce: %s\n", err.buf);
	sbuf_release(&err);
	return rc;
}

int e2e_flush(struct e2e *t)
{
	struct sbuf err = SBUF_INIT;
	int rc = kafka_acks_wait(t->producer, &t->acks, 60000, &err);

	if (rc)
		fprintf(stderr, "e2e: produce: %s\n", err.buf);
	sbuf_release(&err);
	return rc;
}

static char *header(const rd_kafka_message_t *rkm, const char *name)
{
	rd_kafka_headers_t *hdrs;
	const void *val;
	size_t size;

	if (rd_kafka_message_headers(rkm, &hdrs) ||
	    rd_kafka_header_get_last(hdrs, name, &val, &size))
		return NULL;
	return strndup(val, size);
}

char *e2e_header(const struct e2e_msg *m, const char *name)
{
	const void *val;
	size_t size;

	if (!m->headers || rd_kafka_header_get_last(m->headers, name, &val, &size))
		return NULL;
	return strndup(val ? val : "", size);
}

/* A header holding a number, -1 when absent. */
static long long header_ll(const rd_kafka_message_t *rkm, const char *name)
{
	char *s = header(rkm, name);
	long long v = s ? strtoll(s, NULL, 10) : -1;

	free(s);
	return v;
}

static void keep(struct e2e *t, const rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *hdrs;
	struct e2e_msg *m;

	if (t->nmsgs == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 1024;
		t->msgs = realloc(t->msgs, t->alloc * sizeof *t->msgs);
		if (!t->msgs)
			abort();
	}
	m = &t->msgs[t->nmsgs++];
	m->topic = strdup(rd_kafka_topic_name(rkm->rkt));
	m->key = rkm->key ? strndup(rkm->key, rkm->key_len) : strdup("");
	m->value = malloc(rkm->len + 1);
	memcpy(m->value, rkm->payload ? rkm->payload : "", rkm->len);
	m->value[rkm->len] = '\0';
	m->len = rkm->len;
	m->error_code = header(rkm, "xf-error-code");
	m->headers = rd_kafka_message_headers(rkm, &hdrs) ? NULL : rd_kafka_headers_copy(hdrs);
	m->src_partition = (int)header_ll(rkm, "xf-source-partition");
	m->src_offset = header_ll(rkm, "xf-source-offset");
	/* a hostile value (e2e_flood's) would take ~77 MiB parsed: left unparsed */
	m->json = jlimit_ok(m->value, m->len, JLIMIT_VALUES_OURS)
			  ? json_loadb(m->value, m->len, 0, NULL)
			  : NULL;
}

void e2e_collect(struct e2e *t, int ms)
{
	double end = now_ms() + ms;

	while (now_ms() < end) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(t->collector, 100);

		if (!rkm)
			continue;
		if (!rkm->err)
			keep(t, rkm);
		rd_kafka_message_destroy(rkm);
	}
}

size_t e2e_count(const struct e2e *t, const char *topic)
{
	size_t n = 0, len = strlen(topic);
	int prefix = len && topic[len - 1] == '*';

	for (size_t i = 0; i < t->nmsgs; i++)
		if (prefix ? !strncmp(t->msgs[i].topic, topic, len - 1)
			   : !strcmp(t->msgs[i].topic, topic))
			n++;
	return n;
}

int e2e_collect_until(struct e2e *t, int (*done)(struct e2e *t, void *arg), void *arg,
		      int timeout_s)
{
	double end = now_ms() + timeout_s * 1000.0;

	while (!done(t, arg) && now_ms() < end)
		e2e_collect(t, 500);
	return done(t, arg);
}

const char *e2e_sql_text(struct e2e *t, char *out, size_t outsz, const char *sql, int nparams,
			 const char *const *params)
{
	PGresult *res = PQexecParams(t->conn, sql, nparams, NULL, params, NULL, NULL, 0);

	snprintf(out, outsz, "%s",
		 PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
			 ? PQgetvalue(res, 0, 0)
			 : "");
	PQclear(res);
	return out;
}

long e2e_sql_long(struct e2e *t, const char *sql)
{
	PGresult *res;
	long v = -1;

	if (PQstatus(t->conn) != CONNECTION_OK)
		PQreset(t->conn);
	res = PQexec(t->conn, sql);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && PQstatus(t->conn) != CONNECTION_OK) {
		PQclear(res); /* the server restarted since: once more */
		PQreset(t->conn);
		res = PQexec(t->conn, sql);
	}

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atol(PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "e2e: %s: %s\n", sql, PQresultErrorMessage(res));
	PQclear(res);
	return v;
}

/* A TCP port nothing listens on just now. */
int e2e_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sin, sizeof sin) &&
	    !getsockname(fd, (struct sockaddr *)&sin, &len))
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static size_t take(char *p, size_t size, size_t n, void *arg)
{
	sbuf_add(arg, p, size * n);
	return size * n;
}

int e2e_run(const char *cmd, struct sbuf *out)
{
	FILE *f = popen(cmd, "r");
	char buf[4096];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(out, buf, n);
	return pclose(f);
}

int e2e_chromium(struct e2e *t, const char *profile, const char *url, const char *shot, int width,
		 int height, struct sbuf *dom)
{
	struct sbuf cmd = SBUF_INIT, out = SBUF_INIT;
	const char *flags = "timeout 120 chromium --headless --no-sandbox --disable-gpu"
			    " --hide-scrollbars --user-data-dir";
	int rc;

	sbuf_addf(&cmd, "%s=%s --dump-dom '%s' 2>/dev/null", flags, profile, url);
	rc = e2e_run(cmd.buf, dom);
	sbuf_reset(&cmd);
	sbuf_addf(&cmd, "%s=%s --window-size=%d,%d --screenshot=%s/%s-%s.png '%s' >/dev/null 2>&1",
		  flags, profile, width, height, t->logs, t->name, shot, url);
	rc = rc || e2e_run(cmd.buf, &out) ? -1 : 0;
	sbuf_release(&cmd);
	sbuf_release(&out);
	return rc;
}

/* GET http://127.0.0.1:port/path; the HTTP status (0 when unreachable). */
long e2e_http_get(int port, const char *path, struct sbuf *body)
{
	CURL *c = curl_easy_init();
	struct sbuf url = SBUF_INIT;
	long status = 0;

	sbuf_addf(&url, "http://127.0.0.1:%d%s", port, path);
	sbuf_reset(body);
	curl_easy_setopt(c, CURLOPT_URL, url.buf);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	sbuf_release(&url);
	return status;
}


/* Lag of a group: the sum over end's partitions of end minus committed. */
static long lag_of(const rd_kafka_topic_partition_list_t *end,
		   const rd_kafka_topic_partition_list_t *done)
{
	long lag = 0;

	for (int i = 0; i < end->cnt; i++) {
		int64_t c = done->elems[i].offset;

		if (done->elems[i].err)
			return -1;
		lag += (long)(end->elems[i].offset - (c < 0 ? 0 : c));
	}
	return lag;
}

long e2e_group_lag(struct e2e *t, const char *suffix, const char *topic)
{
	const char *none[] = { NULL };
	struct sbuf err = SBUF_INIT;
	rd_kafka_topic_partition_list_t *end = NULL, *done = NULL;
	char group[160];
	rd_kafka_t *rk;
	long lag = -1;

	snprintf(group, sizeof group, "%s-%s", t->prefix, suffix);
	rk = kafka_consumer_new(getenv("XF_KAFKA_BROKERS"), group, none, NULL, &err);
	if (rk && (end = e2e_topic_ends(rk, topic))) {
		done = rd_kafka_topic_partition_list_copy(end);
		if (!rd_kafka_committed(rk, done, 10000))
			lag = lag_of(end, done);
	}
	if (done)
		rd_kafka_topic_partition_list_destroy(done);
	if (end)
		rd_kafka_topic_partition_list_destroy(end);
	if (rk)
		rd_kafka_destroy(rk);
	sbuf_release(&err);
	return lag;
}

/* 1 when every group has committed the end of its inputs; else why says which lags. */
static int groups_at_end(struct e2e *t, struct sbuf *why)
{
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		long lag = e2e_group_lag(t, inputs[i].suffix, inputs[i].topic);

		if (lag) {
			sbuf_reset(why);
			sbuf_addf(why, "group %s-%s: lag %ld on %s", t->prefix, inputs[i].suffix,
				  lag, inputs[i].topic);
			return 0;
		}
	}
	return 1;
}

/* The end offsets now of every partition the collector reads (NULL on error). */
static rd_kafka_topic_partition_list_t *output_ends(struct e2e *t)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_copy(t->outputs);

	for (int i = 0; i < list->cnt; i++) {
		rd_kafka_topic_partition_t *p = &list->elems[i];
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(t->collector, p->topic, p->partition, &lo, &hi,
						     10000)) {
			rd_kafka_topic_partition_list_destroy(list);
			return NULL;
		}
		p->offset = hi;
	}
	return list;
}

/* 1 when the collector has read every partition up to its offset in end. */
static int collector_at(struct e2e *t, const rd_kafka_topic_partition_list_t *end, struct sbuf *why)
{
	rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(end);
	int ok = !rd_kafka_position(t->collector, pos);

	for (int i = 0; ok && i < end->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &end->elems[i];

		if (e->offset > t->outputs->elems[i].offset && pos->elems[i].offset < e->offset) {
			sbuf_reset(why);
			sbuf_addf(why, "collector at %lld of %lld on %s [%d]",
				  (long long)pos->elems[i].offset, (long long)e->offset, e->topic,
				  (int)e->partition);
			ok = 0;
		}
	}
	rd_kafka_topic_partition_list_destroy(pos);
	return ok;
}

int e2e_quiet(struct e2e *t, int timeout_s)
{
	double end = now_ms() + timeout_s * 1000.0;
	rd_kafka_topic_partition_list_t *want = NULL;
	struct sbuf why = SBUF_INIT;
	int ok = 0;

	sbuf_adds(&why, "nothing checked");
	while (!ok && now_ms() < end) {
		if (!want && groups_at_end(t, &why))
			want = output_ends(t);
		ok = want && collector_at(t, want, &why);
		if (!ok)
			e2e_collect(t, 500);
	}
	if (!ok)
		fprintf(stderr, "e2e: not at rest after %d s: %s\n", timeout_s, why.buf);
	if (want)
		rd_kafka_topic_partition_list_destroy(want);
	sbuf_release(&why);
	return ok;
}

int e2e_stack(const char *script, const char *cmd)
{
	const char *run = getenv("XF_TEST_RUN");
	char line[1024];

	snprintf(line, sizeof line, "deploy/scripts/%s %s '%s' >/dev/null 2>&1", script, cmd,
		 run && *run ? run : ".run/test");
	return system(line);
}
