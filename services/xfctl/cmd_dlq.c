/*
 * cmd_dlq.c - xfctl dlq list | replay: the dead letters kept in
 * PostgreSQL (table dead_letters, common/dlq.h). Neither command prints
 * an original, its key or its error text: they may hold personal data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "pg.h"
#include "xfctl.h"

/* The options both commands take; NULL / 0 when not given. */
struct dlq_args {
	const char *reason, *service, *since, *until, *id;
	long limit;
	int again; /* replay: dead letters replayed before too */
};

#define DLQ_LIST_LIMIT 100

static int dlq_usage(void)
{
	fprintf(stderr, "usage: xfctl dlq list [--reason R] [--service S] [--since T]"
			" [--until T] [--id N] [--limit N]\n"
			"       xfctl dlq replay [--reason R] [--service S] [--since T] [--until T]"
			" [--id N] [--again]\n"
			"T is a PostgreSQL timestamptz (\"2026-12-02 10:00+08\"); N a number\n");
	return 2;
}

static int positive(const char *s)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;

	return s && *s && !*end && v > 0;
}

static int dlq_parse(int argc, char **argv, int replay, struct dlq_args *a)
{
	static const char *const names[] = { "--reason", "--service", "--since",
					     "--until",  "--id",      "--limit" };
	const char *limit = NULL;
	const char **dest[] = { &a->reason, &a->service, &a->since, &a->until, &a->id, &limit };
	const size_t nopts = sizeof names / sizeof names[0];

	memset(a, 0, sizeof *a);
	for (int i = 0; i < argc; i++) {
		size_t k = 0;

		while (k < nopts && strcmp(argv[i], names[k]))
			k++;
		if (k < nopts && i + 1 < argc)
			*dest[k] = argv[++i];
		else if (replay && !strcmp(argv[i], "--again"))
			a->again = 1;
		else
			return -1;
	}
	if ((a->id && !positive(a->id)) || (limit && (replay || !positive(limit))))
		return -1;
	a->limit = limit ? strtol(limit, NULL, 10) : DLQ_LIST_LIMIT;
	return 0;
}

/* The filter every query shares: parameters $1..$5 of dlq_params. */
#define DLQ_WHERE                                                                         \
	" WHERE ($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR service = $2)" \
	" AND ($3::timestamptz IS NULL OR created_at >= $3)"                              \
	" AND ($4::timestamptz IS NULL OR created_at < $4)"                               \
	" AND ($5::bigint IS NULL OR id = $5)"

static void dlq_params(const struct dlq_args *a, const char *params[5])
{
	params[0] = a->reason;
	params[1] = a->service;
	params[2] = a->since;
	params[3] = a->until;
	params[4] = a->id;
}

static const char list_sql[] =
	"SELECT id, to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), service,"
	" source_topic || '[' || source_partition || ']@' || source_offset, reason, size,"
	" coalesce(to_char(replayed_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), '-'),"
	" count(*) OVER (), count(*) FILTER (WHERE replayed_at IS NULL) OVER ()"
	" FROM dead_letters" DLQ_WHERE " ORDER BY id DESC LIMIT $6";

static int dlq_list(struct xfctl *x, const struct dlq_args *a, struct sbuf *err)
{
	const char *params[6];
	char limit[32];
	PGresult *res;
	int n;

	dlq_params(a, params);
	snprintf(limit, sizeof limit, "%ld", a->limit);
	params[5] = limit;
	if (!(res = pg_query(x->conn, list_sql, 6, params, err)))
		return -1;
	n = PQntuples(res);
	printf("%-8s %-25s %-12s %-32s %-22s %10s  %s\n", "ID", "TIME", "SERVICE", "SOURCE",
	       "REASON", "BYTES", "REPLAYED");
	for (int i = n - 1; i >= 0; i--) /* oldest first, the newest last */
		printf("%-8s %-25s %-12s %-32s %-22s %10s  %s\n", PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
	printf("%s dead letters match, %s never replayed; %d shown\n",
	       n ? PQgetvalue(res, 0, 7) : "0", n ? PQgetvalue(res, 0, 8) : "0", n);
	PQclear(res);
	return 0;
}

/* The bytea of res at row, col as bytes (PQfreemem them); NULL when SQL NULL. */
static unsigned char *bytes_at(const PGresult *res, int row, int col, size_t *len)
{
	*len = 0;
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), len);
}

/* The original headers of dead letter id, in order, and xf-replay-of. */
static rd_kafka_headers_t *replay_headers(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		"SELECT decode(h->>0, 'base64'), decode(h->>1, 'base64')"
		" FROM dead_letters, jsonb_array_elements(coalesce(headers, '[]')) WITH ORDINALITY"
		"  AS e(h, n) WHERE id = $1 ORDER BY n",
		1, (const char *const[]){ id }, err);
	rd_kafka_headers_t *h;

	if (!res)
		return NULL;
	h = rd_kafka_headers_new((size_t)PQntuples(res) + 1);
	for (int i = 0; i < PQntuples(res); i++) {
		size_t nlen, vlen;
		unsigned char *name = bytes_at(res, i, 0, &nlen), *val = bytes_at(res, i, 1, &vlen);

		if (name)
			rd_kafka_header_add(h, (const char *)name, (ssize_t)nlen, val,
					    (ssize_t)vlen);
		PQfreemem(name);
		PQfreemem(val);
	}
	rd_kafka_header_add(h, "xf-replay-of", -1, id, -1);
	PQclear(res);
	return h;
}

/*
 * Produces dead letter row 0 of res (id, source_topic, key, original) to its
 * source topic and waits for the broker's acknowledgement.
 */
static int replay_produce(PGconn *conn, rd_kafka_t *rk, const PGresult *res, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	rd_kafka_headers_t *h = replay_headers(conn, PQgetvalue(res, 0, 0), err);
	size_t klen, vlen;
	unsigned char *key, *val;
	int rc;

	if (!h)
		return -1;
	key = bytes_at(res, 0, 2, &klen);
	val = bytes_at(res, 0, 3, &vlen);
	rc = kafka_produce_headers(rk, PQgetvalue(res, 0, 1), key, klen, val ? val : (void *)"",
				   vlen, h, &acks, err);
	if (!rc)
		rc = kafka_acks_wait(rk, &acks, 60000, err);
	while (acks.done < acks.sent)
		rd_kafka_poll(rk, 100);
	PQfreemem(key);
	PQfreemem(val);
	return rc;
}

/*
 * Replays dead letter id under a row lock, so two replays at once do not
 * both send it; marks it replayed once the broker has it. Returns 1
 * replayed, 0 skipped (replayed before, or being replayed), -1 with err.
 */
static int replay_one(PGconn *conn, rd_kafka_t *rk, const char *id, int again, struct sbuf *err)
{
	const char *params[2] = { id, again ? "t" : "f" };
	PGresult *res;
	int rc;

	if (pg_begin(conn, err))
		return -1;
	res = pg_query(conn,
		       "SELECT id, source_topic, key, original, size FROM dead_letters"
		       " WHERE id = $1 AND ($2::boolean OR replayed_at IS NULL)"
		       " FOR UPDATE SKIP LOCKED",
		       2, params, err);
	rc = !res ? -1 : !PQntuples(res) ? 0 : replay_produce(conn, rk, res, err) ? -1 : 1;
	if (rc == 1 && (pg_exec(conn,
				"UPDATE dead_letters SET replayed_at = now(),"
				" replays = replays + 1 WHERE id = $1",
				1, params, err) ||
			pg_commit(conn, err)))
		rc = -1;
	if (rc != 1)
		pg_rollback(conn);
	if (rc == 1)
		printf("replayed %s to %s (%s bytes)\n", id, PQgetvalue(res, 0, 1),
		       PQgetvalue(res, 0, 4));
	PQclear(res);
	return rc;
}

/*
 * Replays the dead letters of res (id, replayed before?), those replayed
 * before only with again; counts what happened.
 */
static void replay_all(struct xfctl *x, rd_kafka_t *rk, const PGresult *res, int again,
		       int count[3])
{
	struct sbuf err = SBUF_INIT;

	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0);
		int rc = !again && *PQgetvalue(res, i, 1) == 't'
				 ? 0
				 : replay_one(x->conn, rk, id, again, &err);

		count[rc + 1]++;
		if (rc < 0)
			fprintf(stderr, "xfctl: dead letter %s not replayed: %s\n", id, err.buf);
		sbuf_reset(&err);
	}
	sbuf_release(&err);
}

/* Replays the matching dead letters: 0, 1 when some could not be sent, -1 with err. */
static int dlq_replay(struct xfctl *x, const struct dlq_args *a, struct sbuf *err)
{
	const char *params[5];
	int count[3] = { 0, 0, 0 }; /* failed, skipped, replayed */
	rd_kafka_t *rk;
	PGresult *res;

	dlq_params(a, params);
	res = pg_query(x->conn,
		       "SELECT id, replayed_at IS NOT NULL FROM dead_letters" DLQ_WHERE
		       " ORDER BY id",
		       5, params, err);
	if (!res)
		return -1;
	rk = PQntuples(res) ? kafka_producer_new(x->conf.brokers, NULL, err) : NULL;
	if (PQntuples(res) && !rk) {
		PQclear(res);
		return -1;
	}
	if (rk)
		replay_all(x, rk, res, a->again, count);
	printf("%d replayed, %d skipped (replayed before%s), %d failed\n", count[2], count[1],
	       a->again ? ", or by another replay just now" : "; --again sends them again",
	       count[0]);
	if (rk)
		kafka_producer_close(rk, 10000);
	PQclear(res);
	return count[0] ? 1 : 0;
}

int cmd_dlq(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct dlq_args a;
	int replay = argc > 0 && !strcmp(argv[0], "replay"), rc;

	if (argc < 1 || (!replay && strcmp(argv[0], "list")))
		return -1;
	if (dlq_parse(argc - 1, argv + 1, replay, &a))
		return dlq_usage();
	if (!xfctl_db(x))
		return 1;
	rc = replay ? dlq_replay(x, &a, &err) : dlq_list(x, &a, &err);
	if (rc == -1)
		xfctl_fail(replay ? "dlq replay" : "dlq list", &err);
	sbuf_release(&err);
	return rc ? 1 : 0;
}
