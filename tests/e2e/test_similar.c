/*
 * test_similar.c - the batch similarity search of xf-classify
 * (services/classify/similar.c) against its definition, xf_similar_state
 * (schemas/sql/003_similar.sql), on the real PostgreSQL.
 *
 * A generated corpus (fixed seed) with planted near duplicates and
 * clusters, repeated petitioners, out-of-order and old occurred_at, times
 * exactly at the window's edge and redelivered case ids goes once through
 * the reference, one petition at a time, and once through the batch path
 * in batches of varying sizes, alternating between two instances (two
 * caches, two connections) on the same counties, with one failed batch.
 * Every answer and every stored cluster_id must be identical.
 *
 * Then two instances at once, in two threads, on one county: the locks
 * make their batches take turns, so the answers must be those of the
 * reference run in the order the rows were stored (their ids).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/similar.h"
#include "e2e.h"
#include "pg.h"
#include "tharness.h"

#define NITEMS 3000
#define NMATTERS 90
#define BASE_TIME 1772323200LL /* 2026-03-01T00:00:00Z */
#define STEP_S 1800            /* one petition every half hour */

struct corpus_item {
	char case_id[24], pkey[24], county[8], at[48];
	int has_pkey;
	uint64_t hash;
	long long t_us; /* for near-duplicates planted at an edge */
};

struct answer {
	int repeat_count, completed;
	char *related, *cluster_id;
};

static uint64_t rnd(uint64_t *state) /* splitmix64 */
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int below(uint64_t *state, int n)
{
	return (int)(rnd(state) % (uint64_t)n);
}

static uint64_t flip(uint64_t *state, uint64_t hash, int bits)
{
	for (int i = 0; i < bits; i++)
		hash ^= 1ULL << below(state, 64); /* may flip one twice: fewer */
	return hash;
}

/* An RFC 3339 text for t_us in UTC or +08:00, with or without micros. */
static void format_at(uint64_t *state, long long t_us, char out[48])
{
	int cst = below(state, 2), micro = below(state, 3) == 0 || t_us % 1000000;
	time_t secs = (time_t)(t_us / 1000000) + (cst ? 8 * 3600 : 0);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(out, 48, "%s.%06lld%s", day, t_us % 1000000, cst ? "+08:00" : "Z");
	else
		snprintf(out, 48, "%s%s", day, cst ? "+08:00" : "Z");
}

static long long item_time(uint64_t *state, int k)
{
	long long t = BASE_TIME + (long long)k * STEP_S;
	int r = below(state, 100);

	if (r < 8) /* out of order: up to six days late */
		t -= 86400 + below(state, 5 * 86400);
	else if (r < 13) /* old: before anything cached */
		t -= 20 * 86400 + below(state, 380 * 86400);
	else if (r < 15) /* ahead of the clock */
		t += 86400 + below(state, 2 * 86400);
	else
		t += below(state, 4 * 3600) - 2 * 3600;
	return t * 1000000LL + (below(state, 3) == 0 ? below(state, 1000000) : 0);
}

static void corpus_make(struct corpus_item *c, size_t n, const struct similar_conf *cf)
{
	static const char *const counties[] = { "330381", "330382", "330383" };
	uint64_t state = 20261202, matters[NMATTERS];
	int matter_county[NMATTERS];

	for (int m = 0; m < NMATTERS; m++) {
		matters[m] = rnd(&state);
		matter_county[m] = below(&state, 3);
	}
	for (size_t k = 0; k < n; k++) {
		struct corpus_item *it = &c[k];
		int r = below(&state, 100), m = below(&state, NMATTERS);
		int who = below(&state, 300) * below(&state, 300) / 300; /* a few often */
		int edge;

		if (k > 0 && r < 5) { /* redelivered: an earlier case again */
			*it = c[k - 1 - (size_t)below(&state, k < 40 ? (int)k : 40)];
			continue;
		}
		snprintf(it->case_id, sizeof it->case_id, "XF-%05zu", k);
		it->has_pkey = below(&state, 10) != 0;
		snprintf(it->pkey, sizeof it->pkey, "pk-%d", who);
		if (below(&state, 100) < 60) { /* petitioners come back about their matter */
			m = who % NMATTERS;
			r += 40;
		}
		snprintf(it->county, sizeof it->county, "%s",
			 counties[below(&state, 100) < 85 ? matter_county[m] : below(&state, 3)]);
		it->hash = r < 40 ? rnd(&state) : flip(&state, matters[m], below(&state, 19));
		it->t_us = item_time(&state, (int)k);
		edge = below(&state, 100);
		if (k > 0 && edge < 14) { /* at the edge of an earlier one's windows */
			const struct corpus_item *e =
				&c[k - 1 - (size_t)below(&state, k < 300 ? (int)k : 300)];
			long long days = edge < 7 ? cf->cluster_days : cf->repeat_days;

			memcpy(it->county, e->county, sizeof it->county);
			memcpy(it->pkey, e->pkey, sizeof it->pkey);
			it->has_pkey = e->has_pkey;
			it->hash = flip(&state, e->hash, below(&state, 3));
			it->t_us = e->t_us + (edge % 2 ? 1 : -1) * days * 86400 * 1000000 +
				   below(&state, 3) - 1;
		}
		format_at(&state, it->t_us, it->at);
	}
}

static const struct similar_conf conf_default = { 365, 12, 5, 7, 14 };
static const struct similar_conf conf_tight = { 30, 10, 3, 7, 12 };

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The reference: xf_similar_state, one petition at a time. */
static int run_reference(PGconn *conn, const struct similar_conf *cf, const struct corpus_item *c,
			 size_t n, struct answer *out)
{
	char nums[5][16], hash[24];
	struct sbuf err = SBUF_INIT;

	snprintf(nums[0], 16, "%ld", cf->repeat_days);
	snprintf(nums[1], 16, "%ld", cf->repeat_bits);
	snprintf(nums[2], 16, "%ld", cf->cluster_n);
	snprintf(nums[3], 16, "%ld", cf->cluster_days);
	snprintf(nums[4], 16, "%ld", cf->cluster_bits);
	for (size_t k = 0; k < n; k++) {
		const char *params[10] = { c[k].case_id, c[k].has_pkey ? c[k].pkey : NULL,
					   c[k].county,  hash,
					   c[k].at,      nums[0],
					   nums[1],      nums[2],
					   nums[3],      nums[4] };
		PGresult *res;

		snprintf(hash, sizeof hash, "%lld", (long long)(int64_t)c[k].hash);
		res = pg_query(conn,
			       "SELECT repeat_count, related, cluster_id, cluster_completed"
			       " FROM xf_similar_state($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			       10, params, &err);
		if (!res) {
			fprintf(stderr, "    reference: %s\n", err.buf);
			sbuf_release(&err);
			return -1;
		}
		out[k].repeat_count = atoi(PQgetvalue(res, 0, 0));
		out[k].related = dup_or_null(pg_value(res, 0, 1));
		out[k].cluster_id = dup_or_null(pg_value(res, 0, 2));
		out[k].completed = !strcmp(PQgetvalue(res, 0, 3), "t");
		PQclear(res);
	}
	return 0;
}

static void count_statement(void *arg, double seconds)
{
	(void)seconds;
	++*(long *)arg;
}

/* Runs c[from, to) and, with bad_at, a petition of that occurred_at as one
 * batch; the answers go to out[from, to) when out is not NULL; err is the
 * caller's. 0 or -1. */
static int run_batch(struct similar *sim, PGconn *conn, const struct corpus_item *c, size_t from,
		     size_t to, struct answer *out, const char *bad_at, struct sbuf *err)
{
	size_t n = to - from + (bad_at ? 1 : 0);
	struct similar_item *items = calloc(n, sizeof *items);
	time_t now = (time_t)(BASE_TIME + (long long)to * STEP_S);
	int rc;

	for (size_t k = from; k < to; k++) {
		struct similar_item *it = &items[k - from];

		it->case_id = c[k].case_id;
		it->pkey = c[k].has_pkey ? c[k].pkey : NULL;
		it->county = c[k].county;
		it->occurred_at = c[k].at;
		it->simhash = c[k].hash;
	}
	if (bad_at) /* a petition PostgreSQL cannot read fails the whole batch */
		items[n - 1] = (struct similar_item){ .case_id = "XF-BAD",
						      .county = c[from].county,
						      .occurred_at = bad_at,
						      .simhash = 1 };
	rc = similar_batch(sim, conn, items, n, now, err);
	for (size_t k = from; !rc && out && k < to; k++) {
		out[k].repeat_count = items[k - from].repeat_count;
		out[k].related = dup_or_null(items[k - from].related);
		out[k].cluster_id = dup_or_null(items[k - from].cluster_id);
		out[k].completed = items[k - from].cluster_completed;
	}
	if (rc && out)
		fprintf(stderr, "    batch [%zu, %zu): %s\n", from, to, err->buf);
	for (size_t i = 0; i < n; i++)
		similar_item_release(&items[i]);
	free(items);
	return rc;
}

/* The batch path: two instances taking batches of varying sizes in turn. */
static int run_batches(const char *url, const struct similar_conf *cf, const struct corpus_item *c,
		       size_t n, struct answer *out, long *max_statements)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 16, 40, 97, 250 };
	struct sbuf err = SBUF_INIT;
	PGconn *conn[2] = { pg_connect(url, &err), pg_connect(url, &err) };
	struct similar *sim[2] = { similar_new(cf), similar_new(cf) };
	uint64_t state = 7;
	long statements = 0;
	int rc = conn[0] && conn[1] ? 0 : -1;

	pg_on_query(count_statement, &statements);
	for (size_t from = 0, batch = 0; !rc && from < n; batch++) {
		size_t to = from + sizes[below(&state, 8)];
		int which = below(&state, 2);

		to = to > n ? n : to;
		if (batch == 12 && !T_CHECK(run_batch(sim[which], conn[which], c, from, to, NULL,
						      "2026-13-45T00:00:00Z", &err) == -1))
			rc = -1;
		statements = 0;
		sbuf_reset(&err);
		rc = rc ? rc : run_batch(sim[which], conn[which], c, from, to, out, NULL, &err);
		*max_statements = statements > *max_statements ? statements : *max_statements;
		from = to;
	}
	pg_on_query(NULL, NULL);
	fprintf(stderr, "    cached: %zu, %zu\n", similar_cached_rows(sim[0]),
		similar_cached_rows(sim[1]));
	T_CHECK(similar_cached_rows(sim[0]) < n / 5); /* old rows left the cache */
	for (int i = 0; i < 2; i++) {
		similar_free(sim[i]);
		if (conn[i])
			PQfinish(conn[i]);
	}
	if (err.len)
		fprintf(stderr, "    %s\n", err.buf);
	sbuf_release(&err);
	return rc;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static size_t answers_differ(const struct corpus_item *c, const struct answer *want,
			     const struct answer *got, size_t n)
{
	size_t bad = 0;

	for (size_t k = 0; k < n; k++) {
		if (want[k].repeat_count == got[k].repeat_count &&
		    want[k].completed == got[k].completed &&
		    str_eq(want[k].related, got[k].related) &&
		    str_eq(want[k].cluster_id, got[k].cluster_id))
			continue;
		if (bad++ < 5)
			fprintf(stderr, "    %s (#%zu): want %d [%s] %s %d, got %d [%s] %s %d\n",
				c[k].case_id, k, want[k].repeat_count,
				want[k].related ? want[k].related : "-",
				want[k].cluster_id ? want[k].cluster_id : "-", want[k].completed,
				got[k].repeat_count, got[k].related ? got[k].related : "-",
				got[k].cluster_id ? got[k].cluster_id : "-", got[k].completed);
	}
	return bad;
}

/* Every stored row's case_id and cluster_id, one text. */
static char *stored_rows(PGconn *conn)
{
	PGresult *res = PQexec(conn, "SELECT string_agg(case_id || '=' || coalesce(cluster_id,"
				     " '-') || ':' || repeat_count, ',' ORDER BY case_id)"
				     " FROM petitions_seen");
	char *text = PQresultStatus(res) == PGRES_TUPLES_OK ? dup_or_null(pg_value(res, 0, 0))
							    : NULL;

	PQclear(res);
	return text;
}

/* The corpus must hold what it claims to plant, or the test proves little. */
static void check_planted(const struct answer *want, size_t n, const struct similar_conf *cf)
{
	size_t repeats = 0, many = 0, opened = 0, joined = 0;

	for (size_t k = 0; k < n; k++) {
		repeats += want[k].repeat_count > 0;
		many += want[k].repeat_count > 20;
		opened += want[k].completed;
		joined += want[k].cluster_id && !want[k].completed;
	}
	fprintf(stderr,
		"    corpus (n=%ld): %zu repeats, %zu with > 20, %zu clusters opened,"
		" %zu joined\n",
		cf->cluster_n, repeats, many, opened, joined);
	T_CHECK(repeats > 100);
	T_CHECK(many > 0 || cf->repeat_days < 365);
	T_CHECK(opened > 10);
	T_CHECK(joined > 50);
}

static void compare(const char *db, const struct similar_conf *cf)
{
	struct corpus_item *c = calloc(NITEMS, sizeof *c);
	struct answer *want = calloc(NITEMS, sizeof *want), *got = calloc(NITEMS, sizeof *got);
	char *want_rows = NULL, *got_rows = NULL;
	long max_statements = 0;
	struct e2e t;

	corpus_make(c, NITEMS, cf);
	if (T_CHECK(e2e_setup_db(&t, db) == 0) &&
	    T_CHECK(run_reference(t.conn, cf, c, NITEMS, want) == 0)) {
		check_planted(want, NITEMS, cf);
		want_rows = stored_rows(t.conn);
		T_CHECK(pg_exec(t.conn, "TRUNCATE petitions_seen", 0, NULL, NULL) == 0);
		T_CHECK(run_batches(t.db_url, cf, c, NITEMS, got, &max_statements) == 0);
		T_INTEQ(answers_differ(c, want, got, NITEMS), 0);
		got_rows = stored_rows(t.conn);
		T_CHECK(want_rows && got_rows && !strcmp(want_rows, got_rows));
		T_CHECK(max_statements <= 4); /* BEGIN, read, write, COMMIT */
	}
	for (size_t k = 0; k < NITEMS; k++) {
		free(want[k].related);
		free(want[k].cluster_id);
		free(got[k].related);
		free(got[k].cluster_id);
	}
	free(want_rows);
	free(got_rows);
	free(want);
	free(got);
	free(c);
	e2e_teardown(&t);
}

static void t_same_as_reference(void)
{
	compare("simref", &conf_default);
}

static void t_same_as_reference_tight(void)
{
	compare("simref_tight", &conf_tight);
}

/* Two instances in two threads taking batches from one queue. */
struct race {
	pthread_mutex_t mu;
	const char *url;
	const struct corpus_item *c;
	struct answer *out;
	size_t n, next;
	uint64_t state;
	int failed, batches[2];
};

struct racer {
	struct race *race;
	int me;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	struct race *race = r->race;
	struct sbuf err = SBUF_INIT;
	PGconn *conn = pg_connect(race->url, &err);
	struct similar *sim = similar_new(&conf_default);

	for (;;) {
		size_t from, to;

		pthread_mutex_lock(&race->mu);
		from = race->next;
		to = from + 1 + (size_t)below(&race->state, 60);
		race->next = to = to > race->n ? race->n : to;
		pthread_mutex_unlock(&race->mu);
		if (from == to || !conn)
			break;
		race->batches[r->me]++;
		if (run_batch(sim, conn, race->c, from, to, race->out, NULL, &err))
			race->failed = 1;
	}
	race->failed |= !conn;
	similar_free(sim);
	if (conn)
		PQfinish(conn);
	sbuf_release(&err);
	return NULL;
}

/* First occurrences only, all in one county. */
static size_t corpus_one_county(struct corpus_item *c, size_t n)
{
	size_t m = 0;

	for (size_t k = 0; k < n; k++) {
		int again = 0;

		for (size_t j = 0; j < m && !again; j++)
			again = !strcmp(c[j].case_id, c[k].case_id);
		if (again)
			continue;
		c[m] = c[k];
		memcpy(c[m++].county, "330381", 7);
	}
	return m;
}

/* The corpus in the order its rows were stored (by id); 0 or -1. */
static int stored_order(PGconn *conn, const struct corpus_item *c, size_t n,
			const struct answer *got, struct corpus_item *oc, struct answer *og)
{
	PGresult *res = PQexec(conn, "SELECT case_id FROM petitions_seen ORDER BY id");
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK && (size_t)PQntuples(res) == n ? 0 : -1;

	for (int r = 0; !rc && r < PQntuples(res); r++) {
		size_t k = 0;

		while (k < n && strcmp(c[k].case_id, PQgetvalue(res, r, 0)))
			k++;
		if (k == n)
			rc = -1;
		else
			oc[r] = c[k], og[r] = got[k];
	}
	PQclear(res);
	return rc;
}

static void t_two_instances_at_once(void)
{
	struct corpus_item *c = calloc(NITEMS, sizeof *c), *oc = calloc(NITEMS, sizeof *oc);
	struct answer *got = calloc(NITEMS, sizeof *got), *og = calloc(NITEMS, sizeof *og);
	struct answer *want = calloc(NITEMS, sizeof *want);
	struct race race = { PTHREAD_MUTEX_INITIALIZER, NULL, c, got, 0, 0, 11, 0, { 0, 0 } };
	struct racer racers[2] = { { &race, 0 }, { &race, 1 } };
	pthread_t th[2];
	size_t n;
	struct e2e t;

	corpus_make(c, NITEMS, &conf_default);
	n = race.n = corpus_one_county(c, NITEMS);
	if (T_CHECK(e2e_setup_db(&t, "simrace") == 0)) {
		race.url = t.db_url;
		for (int i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, racer_run, &racers[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		T_CHECK(!race.failed);
		T_CHECK(race.batches[0] > 5 && race.batches[1] > 5);
		if (T_CHECK(stored_order(t.conn, c, n, got, oc, og) == 0) &&
		    T_CHECK(pg_exec(t.conn, "TRUNCATE petitions_seen", 0, NULL, NULL) == 0) &&
		    T_CHECK(run_reference(t.conn, &conf_default, oc, n, want) == 0)) {
			check_planted(want, n, &conf_default);
			T_INTEQ(answers_differ(oc, want, og, n), 0);
		}
	}
	for (size_t k = 0; k < NITEMS; k++) {
		free(want[k].related);
		free(want[k].cluster_id);
		free(got[k].related);
		free(got[k].cluster_id);
	}
	free(c);
	free(oc);
	free(got);
	free(og);
	free(want);
	e2e_teardown(&t);
}

/* Rows deleted under a running instance: it notices, fails that batch once
 * and reads the county again, answering as the reference would. */
static void t_history_deleted(void)
{
	struct corpus_item *c = calloc(NITEMS, sizeof *c);
	struct answer *want = calloc(NITEMS, sizeof *want), *got = calloc(NITEMS, sizeof *got);
	struct similar *sim = similar_new(&conf_default);
	struct sbuf err = SBUF_INIT;
	size_t n = 200;
	struct e2e t;

	corpus_make(c, NITEMS, &conf_default);
	n = corpus_one_county(c, n);
	if (T_CHECK(e2e_setup_db(&t, "simgone") == 0)) {
		T_CHECK(run_batch(sim, t.conn, c, 0, n / 2, got, NULL, &err) == 0);
		T_CHECK(pg_exec(t.conn, "TRUNCATE petitions_seen", 0, NULL, NULL) == 0);
		T_CHECK(run_batch(sim, t.conn, c, n / 2, n, NULL, NULL, &err) == -1);
		T_CHECK(strstr(err.buf, "lost rows") != NULL);
		T_CHECK(run_batch(sim, t.conn, c, n / 2, n, got, NULL, &err) == 0);
		T_CHECK(pg_exec(t.conn, "TRUNCATE petitions_seen", 0, NULL, NULL) == 0);
		T_CHECK(run_reference(t.conn, &conf_default, c + n / 2, n - n / 2, want + n / 2) ==
			0);
		T_INTEQ(answers_differ(c + n / 2, want + n / 2, got + n / 2, n - n / 2), 0);
	}
	for (size_t k = 0; k < NITEMS; k++) {
		free(want[k].related);
		free(want[k].cluster_id);
		free(got[k].related);
		free(got[k].cluster_id);
	}
	similar_free(sim);
	sbuf_release(&err);
	free(c);
	free(want);
	free(got);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_similar_batch, { "same_as_reference", t_same_as_reference },
	{ "same_as_reference_tight", t_same_as_reference_tight },
	{ "two_instances_at_once", t_two_instances_at_once },
	{ "history_deleted", t_history_deleted })
/* clang-format on */
