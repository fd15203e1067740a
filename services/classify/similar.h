/*
 * similar.h - repeat and cluster state of a batch of petitions, exactly as
 * xf_similar_state (schemas/sql/003_similar.sql) decides it one petition
 * at a time, in a fixed number of statements per batch and at a cost per
 * petition that does not depend on history.
 *
 * Each county's rows from the cluster window and a margin before now are
 * kept in memory. A batch is one transaction of four statements: BEGIN;
 * xf_similar_read (migration 006) locks the batch's counties (sorted, so
 * two instances never deadlock) and returns what changed since (rows whose
 * revision is newer), the petitioners' rows of the repeat window, the
 * stored answers of cases already seen and, for petitions older than the
 * cached part, their window from the table; then C decides in batch
 * order, each petition seeing the earlier ones; xf_similar_write stores
 * the new rows and changed cluster_ids; COMMIT. Only committed work stays
 * in memory: on any failure the batch's counties are dropped and read
 * again by the next batch.
 *
 * Exactness assumes the database collation orders cluster ids as strcmp
 * does (C or C.UTF-8, as deploy/scripts/pg.sh creates it).
 */
#ifndef XF_SIMILAR_H
#define XF_SIMILAR_H

#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>

#include "sbuf.h"

struct similar_conf {
	long repeat_days, repeat_bits;              /* XF_REPEAT_* */
	long cluster_n, cluster_days, cluster_bits; /* XF_CLUSTER_* */
};

struct similar_item {
	/* in; borrowed for the call */
	const char *case_id;
	const char *pkey; /* petitioner key, NULL if none */
	const char *county;
	const char *occurred_at; /* as the petition gives it (RFC 3339) */
	uint64_t simhash;
	/* out; owned, released by similar_item_release() */
	int repeat_count;
	char *related;    /* comma-joined case ids, NULL if none */
	char *cluster_id; /* NULL if none */
	int cluster_completed;
};

struct similar;

/* A cache with no county in it yet; aborts when out of memory. */
struct similar *similar_new(const struct similar_conf *conf);
void similar_free(struct similar *s);

/*
 * Decides items[0..n) in order on conn (which must be idle, no transaction
 * open) and stores the new rows; a case already stored, or earlier in the
 * batch, gets its stored answer. now is the clock the cached part of each
 * county is measured from. Returns 0, or -1 with err after rolling back
 * (outputs then undefined, still to be released).
 */
int similar_batch(struct similar *s, PGconn *conn, struct similar_item *items, size_t n, time_t now,
		  struct sbuf *err);

/* Frees an item's outputs and zeroes them. */
void similar_item_release(struct similar_item *it);

/* Rows held in memory in all counties (for tests and metrics). */
size_t similar_cached_rows(const struct similar *s);

#endif
