/*
 * e2e.h - integration tests against the real Apache Kafka broker and
 * PostgreSQL that tests/run.sh starts. Each test gets its own database and
 * consumer-group prefix; the groups start at the current end of their
 * input topics, and the collector reads outputs from the ends recorded at
 * setup, so tests sharing the broker do not see each other's messages.
 *
 * Environment: XF_KAFKA_BROKERS, XF_TEST_PG (admin URL without database,
 * e.g. postgresql://postgres@127.0.0.1:5432), XF_TEST_BIN (the daemons'
 * folder), XF_TEST_LOGS (where daemon logs go).
 */
#ifndef XF_E2E_H
#define XF_E2E_H

#include <sys/types.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>

#include "kafka.h"
#include "sbuf.h"

enum e2e_daemon { E2E_INTAKE, E2E_CLASSIFY, E2E_DISPATCH, E2E_NDAEMONS };
/* Instances of one daemon a test may run at once, in the same group. */
#define E2E_NINST 2

struct e2e_msg {
	char *topic, *key;
	char *value;
	size_t len;
	char *error_code;            /* xf-error-code header, if any */
	rd_kafka_headers_t *headers; /* a copy of all of them, NULL if none */
	int src_partition;           /* xf-source-partition header, -1 if none */
	long long src_offset;        /* xf-source-offset header, -1 if none */
	json_t *json;                /* parsed value, NULL if not JSON */
};

struct e2e {
	char name[64];
	char db_url[256];
	char prefix[96];
	const char *bin, *logs;
	pid_t pids[E2E_NDAEMONS];  /* instance 0 */
	pid_t pids2[E2E_NDAEMONS]; /* instance 1 (e2e_start_instance) */
	PGconn *conn;
	rd_kafka_t *producer;
	struct kafka_acks acks;                   /* of producer */
	rd_kafka_t *collector;                    /* assigned to every output topic */
	rd_kafka_topic_partition_list_t *outputs; /* its partitions, from where it began */
	struct e2e_msg *msgs;
	size_t nmsgs, alloc;
};

/*
 * A fresh database xf_t_<name> (migrated, rules of tests/e2e/rules.json
 * imported with xfctl), groups positioned at the end of the input topics,
 * outputs collected from now on. Returns 0 or -1 (printed).
 */
int e2e_setup(struct e2e *t, const char *name);
/* The same with another rules file. */
int e2e_setup_rules(struct e2e *t, const char *name, const char *rules);
/* Only the database: xf_t_<name>, fresh and migrated, in t->db_url and
 * t->conn; no broker, no daemons. e2e_teardown releases it too. */
int e2e_setup_db(struct e2e *t, const char *name);
void e2e_teardown(struct e2e *t);

/* Starts / signals a daemon; e2e_alive is 1 while it runs. */
int e2e_start(struct e2e *t, enum e2e_daemon d);
void e2e_kill(struct e2e *t, enum e2e_daemon d, int sig);
int e2e_alive(struct e2e *t, enum e2e_daemon d);
/* SIGTERM, wait (SIGKILL after 30 s); the exit status (0 = clean), -1 if not running. */
int e2e_stop(struct e2e *t, enum e2e_daemon d);
/*
 * The same for instance inst (0 or 1) of daemon d, in the same consumer
 * group as the others: instance 0 is the one e2e_start runs. http_addr is
 * its XF_HTTP_ADDR ("127.0.0.1:port" or "off"; NULL: the setup's "off").
 * Instance 1 logs to <logs>/<test>-<daemon>.2.log.
 */
int e2e_start_instance(struct e2e *t, enum e2e_daemon d, int inst, const char *http_addr);
void e2e_kill_instance(struct e2e *t, enum e2e_daemon d, int inst, int sig);
int e2e_alive_instance(struct e2e *t, enum e2e_daemon d, int inst);
int e2e_stop_instance(struct e2e *t, enum e2e_daemon d, int inst);
/*
 * Members of the test's consumer group <prefix>-<suffix> ("intake",
 * "classify", "dispatch") as the broker describes it: how many there are,
 * and in *assigned how many hold at least one partition of topic (of any
 * topic when NULL). -1 on error.
 */
int e2e_group_members(struct e2e *t, const char *suffix, const char *topic, int *assigned);

/* Runs bin/xfctl with args against the test database; its exit status,
 * output (stdout and stderr) appended to out when not NULL. */
int e2e_xfctl(struct e2e *t, struct sbuf *out, const char *const *args);

/*
 * A test webhook receiver's request body, gathered across libmicrohttpd's
 * calls of its handler in *con_cls: the whole body once the upload is
 * done, NULL while it is not (the handler then returns MHD_YES).
 * e2e_body_done, as MHD_OPTION_NOTIFY_COMPLETED's callback, frees it.
 */
struct sbuf *e2e_body(void **con_cls, const char *data, size_t *size);
void e2e_body_done(void *cls, struct MHD_Connection *c, void **con_cls,
		   enum MHD_RequestTerminationCode toe);
/*
 * tests/e2e/rules.json with edit(department, arg) applied to each
 * department, written to /tmp/xf-<tag>-<pid>.json, whose path goes into
 * path. 0, or -1 if it could not be read or written.
 */
int e2e_rules_edit(const char *tag, void (*edit)(json_t *dept, void *arg), void *arg,
		   char path[64]);
/*
 * tests/e2e/rules.json with the webhook http://127.0.0.1:<port>/hook
 * (local_testing) on department only, or on every one when only is NULL;
 * the path (in path), or NULL.
 */
const char *e2e_hook_rules(const char *tag, int port, const char *only, char path[64]);

/* Produces raw bytes to hotline.events and waits for the broker's ack. */
int e2e_produce(struct e2e *t, const char *key, const void *val, size_t len);
/* The same to another topic (department.feedback, say). */
int e2e_produce_to(struct e2e *t, const char *topic, const char *key, const void *val, size_t len);
/*
 * One department.feedback message (key case_id) as sender sends it:
 * signed under secret when it is not NULL (sender.h), else unsigned with
 * only the xf-sender header (sender NULL: no header at all).
 */
int e2e_feedback_as(struct e2e *t, const char *sender, const char *secret, const char *case_id,
		    const char *text);
int e2e_flush(struct e2e *t);

/* Polls outputs for up to ms milliseconds (appending to t->msgs). */
void e2e_collect(struct e2e *t, int ms);
/* Header name of a collected message (the last one of that name), a new
 * string; NULL when there is none. */
char *e2e_header(const struct e2e_msg *m, const char *name);
/* Counts collected messages on topic (prefix match when it ends in '*'). */
size_t e2e_count(const struct e2e *t, const char *topic);
/* Collects until done(t, arg) or timeout_s passes; returns done's result. */
int e2e_collect_until(struct e2e *t, int (*done)(struct e2e *t, void *arg), void *arg,
		      int timeout_s);

/* Partitions of topic and their end offsets, as a new list (NULL on error). */
rd_kafka_topic_partition_list_t *e2e_topic_ends(rd_kafka_t *rk, const char *topic);

/*
 * Waits (up to timeout_s) until the test's run is at rest: every group's
 * committed offsets are at the end of its input topics, and then the
 * collector has read every output topic up to its end. 1 when so, 0 on
 * timeout (with a message saying which group or topic lags).
 */
int e2e_quiet(struct e2e *t, int timeout_s);
/* Sum of end offset minus committed offset over the partitions of topic
 * for the group <prefix>-<suffix>; -1 on error. */
long e2e_group_lag(struct e2e *t, const char *suffix, const char *topic);

/*
 * Runs deploy/scripts/<script> <cmd> on the stack of XF_TEST_RUN (pg.sh or
 * kafka.sh, stop or start); the script's exit status, its output dropped.
 */
int e2e_stack(const char *script, const char *cmd);

/* A TCP port nothing listens on just now (for a daemon's XF_HTTP_ADDR). */
int e2e_free_port(void);
/* GET http://127.0.0.1:port/path into body; the HTTP status, 0 when unreachable. */
long e2e_http_get(int port, const char *path, struct sbuf *body);

/* Runs cmd (a shell line), its standard output appended to out; its exit status. */
int e2e_run(const char *cmd, struct sbuf *out);
/*
 * url in headless Chromium (its profile in the directory profile), in a
 * window width x height: the DOM it made into dom, a screenshot into
 * <logs>/<test>-<shot>.png. 0, or -1 when Chromium failed.
 */
int e2e_chromium(struct e2e *t, const char *profile, const char *url, const char *shot, int width,
		 int height, struct sbuf *dom);

/* A one-value SQL query against the test database as a long (-1 on error). */
long e2e_sql_long(struct e2e *t, const char *sql);
/*
 * The one value of sql's one row (params $1.. as text, nparams of them)
 * into out, or "" for any other result. out.
 */
const char *e2e_sql_text(struct e2e *t, char *out, size_t outsz, const char *sql, int nparams,
			 const char *const *params);

#endif
