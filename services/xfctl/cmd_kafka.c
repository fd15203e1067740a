/* cmd_kafka.c - xfctl lag, topics create, publish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "kafka.h"
#include "lag.h"
#include "pg.h"
#include "signature.h"
#include "util.h"
#include "xfctl.h"

const char *const xfctl_core_topics[] = {
	"hotline.events",      "petition.received",   "petition.receipts",
	"petition.dlq",        "petition.classified", "case.events",
	"department.feedback", "petition.updates",    NULL,
};

int xfctl_create_topics(struct xfctl *x, const char *const *topics, size_t n)
{
	struct sbuf err = SBUF_INIT;
	rd_kafka_t *rk = kafka_producer_new(x->conf.brokers, NULL, &err);
	int rc = rk ? kafka_topics_create(rk, topics, n, 4, 15000, &err) : -1;

	if (rc)
		fprintf(stderr, "xfctl: topics not created: %s\n", err.buf);
	else
		printf("topics ready: %zu\n", n);
	if (rk)
		rd_kafka_destroy(rk);
	sbuf_release(&err);
	return rc;
}

int cmd_topics(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	const char *topics[64];
	size_t n = 0;
	PGresult *res;
	int rc;

	if (argc != 1 || strcmp(argv[0], "create"))
		return -1;
	while (xfctl_core_topics[n])
		topics[n] = xfctl_core_topics[n], n++;
	res = xfctl_db(x) ? pg_query(x->conn,
				     "SELECT 'assignments.' || code FROM departments"
				     " ORDER BY code LIMIT 56",
				     0, NULL, &err)
			  : NULL;
	for (int i = 0; res && i < PQntuples(res); i++)
		topics[n++] = PQgetvalue(res, i, 0);
	rc = xfctl_create_topics(x, topics, n);
	PQclear(res);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

/* xfctl lag [--samples N] [--interval S] [--all] [--json] */
struct lag_args {
	int samples; /* also the window of the verdict */
	double interval_s;
	int all, json;
};

#define LAG_XFCTL_TIMEOUT_MS 5000

static int lag_number(const char *s, double lo, double hi, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *s && !*end && *out >= lo && *out <= hi ? 0 : -1;
}

static int lag_parse(int argc, char **argv, struct lag_args *a)
{
	double v;

	*a = (struct lag_args){ 3, 1, 0, 0 };
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			a->all = 1;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = 1;
		} else if (!strcmp(argv[i], "--samples") && i + 1 < argc &&
			   !lag_number(argv[++i], 1, LAG_WINDOW_MAX, &v) && v == (int)v) {
			a->samples = (int)v;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc &&
			   !lag_number(argv[++i], 0, 3600, &v)) {
			a->interval_s = v;
		} else {
			fprintf(stderr,
				"usage: xfctl lag [--samples 1..%d] [--interval SECONDS]"
				" [--all] [--json]\n",
				LAG_WINDOW_MAX);
			return -1;
		}
	}
	return 0;
}

/* Takes the samples into tr, interval_s apart from start to start. */
static int lag_collect(struct xfctl *x, const struct lag_args *a, struct lag_tracker *tr,
		       int *guessed, struct sbuf *err)
{
	struct lag_sampler *s = lag_sampler_new(x->conf.brokers, x->conf.group_prefix, a->all,
						LAG_XFCTL_TIMEOUT_MS, err);
	struct lag_sample smp = LAG_SAMPLE_INIT;
	double start = now_ms();
	int rc = s ? 0 : -1;

	for (int i = 0; !rc && i < a->samples; i++) {
		sleep_ms_unless((long)(start + i * a->interval_s * 1000 - now_ms()), NULL);
		rc = lag_sampler_take(s, &smp, err);
		*guessed = smp.guessed;
		if (!rc)
			lag_tracker_add(tr, &smp);
	}
	lag_sample_release(&smp);
	lag_sampler_free(s);
	return rc;
}

static void lag_cell(char *out, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%lld", (long long)v);
}

static void lag_seconds(char *out, size_t n, int64_t lag, double s)
{
	if (lag && s < 0)
		snprintf(out, n, "?");
	else
		snprintf(out, n, "%.1f", lag ? s : 0);
}

static void lag_row(const char *name, const char *committed, const char *end, int64_t lag,
		    const char *secs, enum lag_status st, int partial)
{
	printf("%-28s %12s %12s %9lld %9s  %s%s\n", name, committed, end, (long long)lag, secs,
	       lag_status_name(st), partial ? "*" : "");
}

static void lag_print_group(const struct lag_tracker *tr, const struct lag_group_sum *g)
{
	char name[160], committed[24], end[24], secs[24];

	lag_seconds(secs, sizeof secs, g->lag, g->max_lag_s);
	lag_row(g->group, "", "", g->lag, secs, g->status, g->partial);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct lag_part *p = &tr->parts[i];

		snprintf(name, sizeof name, "  %s [%d]", p->cur.topic, (int)p->cur.partition);
		lag_cell(committed, sizeof committed, p->cur.committed);
		lag_cell(end, sizeof end, p->cur.end);
		lag_seconds(secs, sizeof secs, p->cur.lag, p->cur.lag_s);
		lag_row(name, committed, end, p->cur.lag, secs, p->status, p->partial);
	}
}

static void lag_print(const struct lag_tracker *tr, const struct lag_args *a)
{
	struct lag_group_sum g;
	int partial = 0;

	printf("%-28s %12s %12s %9s %9s  %s\n", "GROUP / TOPIC [PARTITION]", "COMMITTED", "END",
	       "LAG", "LAG S", "STATUS");
	for (size_t i = 0; i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		lag_print_group(tr, &g);
		partial |= g.partial;
	}
	if (a->samples > 1)
		printf("%d samples %g s apart; ", a->samples, a->interval_s);
	printf("LAG S: age of the oldest unconsumed message;"
	       " a group's status is its worst partition's\n");
	if (partial)
		printf("* fewer than 2 samples: no verdict\n");
}

static void lag_print_json(const struct lag_tracker *tr, const struct lag_args *a, int guessed)
{
	json_t *j = lag_tracker_json(tr);

	json_object_set_new(j, "interval_s", json_real(a->interval_s));
	json_object_set_new(j, "guessed", json_boolean(guessed));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	putchar('\n');
	json_decref(j);
}

int cmd_lag(struct xfctl *x, int argc, char **argv)
{
	struct lag_args a;
	struct lag_tracker tr;
	struct sbuf err = SBUF_INIT;
	int guessed = 0, rc;

	if (lag_parse(argc, argv, &a))
		return 2;
	lag_tracker_init(&tr, a.samples, 2000.0 * a.samples * a.interval_s);
	rc = lag_collect(x, &a, &tr, &guessed, &err);
	if (!rc && a.json)
		lag_print_json(&tr, &a, guessed);
	else if (!rc && !tr.n)
		printf("no consumer groups to sample: none%s%s%s has committed offsets\n",
		       a.all ? "" : " named ", a.all ? "" : x->conf.group_prefix,
		       a.all ? "" : "-*");
	else if (!rc)
		lag_print(&tr, &a);
	if (!rc && guessed && a.all && !a.json)
		printf("(this broker cannot list groups: only %s-intake, -classify and"
		       " -dispatch were looked at)\n",
		       x->conf.group_prefix);
	lag_tracker_release(&tr);
	if (rc) {
		char what[256];

		snprintf(what, sizeof what, "lag (brokers %s)", x->conf.brokers);
		xfctl_fail(what, &err);
	}
	sbuf_release(&err);
	return rc ? 1 : 0;
}

/* The key of a message: the event's external_id, else its case_id, else none. */
static const char *message_key(json_t *j)
{
	const char *k = json_string_value(json_object_get(j, "external_id"));

	return k ? k : json_string_value(json_object_get(j, "case_id"));
}

/* publish's options: --as SENDER [--secret NAME]. */
struct publish_args {
	const char *sender; /* xf-sender of each message, or NULL */
	char *secret;       /* its signing key (cfg_secret_read), or NULL: unsigned */
};

/* Takes the options off argv; the remaining count, or -1 (usage), or -2 (said why). */
static int publish_parse(int argc, char **argv, struct publish_args *a, char ***rest)
{
	const char *name = NULL;
	int i = 0;

	memset(a, 0, sizeof *a);
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--as"))
			a->sender = argv[i + 1];
		else if (!strcmp(argv[i], "--secret"))
			name = argv[i + 1];
		else
			return -1;
	}
	if (name && !a->sender)
		return -1;
	if (name && !(a->secret = cfg_secret_read(name))) {
		fprintf(stderr, "xfctl: publish: %s (or %s_FILE) is not set\n", name, name);
		return -2;
	}
	*rest = argv + i;
	return argc - i;
}

/* Publishes line (len bytes) to topic, with the sender's headers when a names one. */
static int publish_line(rd_kafka_t *rk, const char *topic, const struct publish_args *a,
			const char *line, size_t len, struct kafka_acks *acks, struct sbuf *err)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *key = message_key(j);
	char sig[FEEDBACK_SIG_LEN];
	struct kafka_hdr h[2] = { { "xf-sender", a->sender }, { "xf-signature", sig } };
	int rc;

	if (a->secret)
		feedback_signature(a->secret, a->sender, line, len, sig);
	rc = kafka_produce(rk, topic, key, key ? strlen(key) : 0, line, len, h,
			   !a->sender  ? 0
			   : a->secret ? 2
				       : 1,
			   acks, err);
	json_decref(j);
	return rc;
}

int cmd_publish(struct xfctl *x, int argc, char **argv)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	struct sbuf err = SBUF_INIT, line = SBUF_INIT;
	struct publish_args a;
	FILE *f;
	rd_kafka_t *rk;
	int c, rc = 0;

	argc = publish_parse(argc, argv, &a, &argv);
	if (argc != 2) {
		free(a.secret);
		return argc == -2 ? 1 : -1;
	}
	f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!f || !(rk = kafka_producer_new(x->conf.brokers, NULL, &err))) {
		if (f && f != stdin)
			fclose(f);
		free(a.secret);
		return xfctl_fail(argv[1], &err);
	}
	while (!rc && (c = getc(f)) != EOF) {
		if (c != '\n') {
			sbuf_addch(&line, (char)c);
			continue;
		}
		if (line.len)
			rc = publish_line(rk, argv[0], &a, line.buf, line.len, &acks, &err);
		sbuf_reset(&line);
	}
	if (!rc)
		rc = kafka_acks_wait(rk, &acks, 60000, &err);
	printf("published %ld of %ld messages to %s\n", acks.done - acks.failed, acks.sent,
	       argv[0]);
	kafka_producer_close(rk, 10000);
	if (f != stdin)
		fclose(f);
	sbuf_release(&line);
	free(a.secret);
	return rc ? xfctl_fail("publish", &err) : 0;
}
