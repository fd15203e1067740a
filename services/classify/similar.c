/* similar.c - see similar.h. */
#include "similar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pg.h"
#include "xalloc.h"

#define US 1000000LL
#define MARGIN_S 86400 /* cached: the cluster window and a day more */
#define EVICT_EVERY_S 60
#define RELATED_MAX 20 /* xf_similar_state's "latest 20" */

struct sim_row {
	int64_t id, at; /* at: occurred_at in µs since the epoch */
	uint64_t hash;
	char *case_id, *cluster_id; /* owned; cluster_id NULL if none */
};

struct sim_county {
	char *name;
	int64_t floor; /* µs: every row from it on is in rows */
	int64_t rev;   /* latest revision seen; -1: not read yet */
	int in_batch;
	int extras;           /* rows below the floor, read for one batch */
	struct sim_row *rows; /* by id */
	uint64_t *hashes;     /* rows[i].hash: the scan reads only these */
	size_t nrows, alloc;
	struct sim_row *in; /* read by the batch, by id, to merge */
	size_t nin, inalloc;
};

struct similar {
	struct similar_conf conf;
	struct sim_county *counties;
	size_t ncounties, alloc;
	time_t evicted;
};


static int hamming(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

static int64_t num(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* ---- the cache ---------------------------------------------------------- */

struct similar *similar_new(const struct similar_conf *conf)
{
	struct similar *s = xcalloc(1, sizeof *s);

	s->conf = *conf;
	return s;
}

static void row_free(struct sim_row *row)
{
	free(row->case_id);
	free(row->cluster_id);
}

static void county_clear(struct sim_county *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		row_free(&c->rows[i]);
	for (size_t i = 0; i < c->nin; i++)
		row_free(&c->in[i]);
	c->nrows = c->nin = 0;
	c->extras = 0;
	c->rev = -1;
}

void similar_free(struct similar *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncounties; i++) {
		county_clear(&s->counties[i]);
		free(s->counties[i].rows);
		free(s->counties[i].hashes);
		free(s->counties[i].in);
		free(s->counties[i].name);
	}
	free(s->counties);
	free(s);
}

size_t similar_cached_rows(const struct similar *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->ncounties; i++)
		n += s->counties[i].nrows;
	return n;
}

static int64_t floor_at(const struct similar *s, time_t now)
{
	return ((int64_t)now - s->conf.cluster_days * 86400 - MARGIN_S) * US;
}

/* Index of county name, added (empty, not read yet) if missing. */
static size_t county_find(struct similar *s, const char *name)
{
	struct sim_county *c;

	for (size_t i = 0; i < s->ncounties; i++)
		if (!strcmp(s->counties[i].name, name))
			return i;
	XALLOC_GROW(s->counties, s->ncounties, s->alloc, 8);
	c = &s->counties[s->ncounties];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->rev = -1;
	return s->ncounties++;
}

/* The row with id, or NULL (binary search). */
static struct sim_row *county_get(struct sim_county *c, int64_t id)
{
	size_t lo = 0, hi = c->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->rows[mid].id == id)
			return &c->rows[mid];
		if (c->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Adds a row whose id is new to the county, keeping rows by id. */
static void county_put(struct sim_county *c, struct sim_row row)
{
	size_t at = c->nrows;

	if (c->nrows == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 64;
		c->rows = xrealloc(c->rows, c->alloc * sizeof *c->rows);
		c->hashes = xrealloc(c->hashes, c->alloc * sizeof *c->hashes);
	}
	while (at && c->rows[at - 1].id > row.id)
		at--;
	c->extras |= row.at < c->floor;
	memmove(&c->rows[at + 1], &c->rows[at], (c->nrows - at) * sizeof *c->rows);
	memmove(&c->hashes[at + 1], &c->hashes[at], (c->nrows - at) * sizeof *c->hashes);
	c->rows[at] = row;
	c->hashes[at] = row.hash;
	c->nrows++;
}

/* Merges the rows read (by id, maybe repeated) into the cache; a row read
 * replaces the cached one. */
static void county_merge(struct sim_county *c)
{
	struct sim_row *out;
	size_t i = 0, j = 0, k = 0, size = c->nrows + c->nin;

	if (!c->nin)
		return;
	out = xrealloc(NULL, size * sizeof *out);
	while (i < c->nrows || j < c->nin) {
		if (j < c->nin && k && out[k - 1].id == c->in[j].id) {
			row_free(&c->in[j++]); /* read twice */
		} else if (j == c->nin || (i < c->nrows && c->rows[i].id < c->in[j].id)) {
			out[k++] = c->rows[i++];
		} else {
			if (i < c->nrows && c->rows[i].id == c->in[j].id)
				row_free(&c->rows[i++]);
			c->extras |= c->in[j].at < c->floor;
			out[k++] = c->in[j++];
		}
	}
	free(c->rows);
	c->rows = out;
	c->nrows = k;
	c->alloc = size;
	c->nin = 0;
	c->hashes = xrealloc(c->hashes, size * sizeof *c->hashes);
	for (size_t r = 0; r < k; r++)
		c->hashes[r] = out[r].hash;
}

/* Drops the rows from before floor, which becomes the county's floor. */
static void county_trim(struct sim_county *c, int64_t floor)
{
	size_t k = 0;

	for (size_t r = 0; r < c->nrows; r++) {
		if (c->rows[r].at >= floor) {
			c->hashes[k] = c->hashes[r];
			c->rows[k++] = c->rows[r];
		} else {
			row_free(&c->rows[r]);
		}
	}
	c->nrows = k;
	c->floor = floor;
	c->extras = 0;
}

/* Moves every county's floor up to now (every EVICT_EVERY_S). */
static void similar_evict(struct similar *s, time_t now)
{
	int64_t floor = floor_at(s, now);

	if (now >= s->evicted && now - s->evicted < EVICT_EVERY_S)
		return;
	s->evicted = now;
	for (size_t i = 0; i < s->ncounties; i++)
		if (s->counties[i].rev >= 0 && floor > s->counties[i].floor)
			county_trim(&s->counties[i], floor);
}

/* ---- one batch ---------------------------------------------------------- */

struct sim_when {
	int64_t at, lo_r, lo_c, hi_c; /* occurred_at and its windows, µs */
};

struct sim_seen { /* a stored answer; borrowed from res */
	int found, repeat_count, completed;
	int64_t id;
	const char *county, *related, *cluster_id;
};

struct sim_prow { /* a petitioner's stored row; borrowed */
	const char *pkey, *case_id;
	int64_t id, at;
	uint64_t hash;
};

struct sim_new { /* a row the batch adds */
	size_t item, county;
	int64_t id;
};

struct sim_upd { /* a stored row whose cluster_id is set */
	int64_t id;
	const char *cluster_id; /* borrowed from the cache */
};

struct sim_batch {
	struct similar *s;
	struct similar_item *items;
	size_t n;
	size_t *county;         /* per item: index in s->counties */
	size_t *bc, nbc;        /* the counties of the batch, distinct */
	struct sim_when *when;  /* per item */
	struct sim_seen *seen;  /* per item */
	struct sim_prow *prows; /* by pkey, then id */
	size_t nprows;
	int64_t *ids; /* ids for new rows, ascending */
	size_t nids, used;
	struct sim_new *news;
	size_t nnews;
	struct sim_upd *upds;
	size_t nupds;
	PGresult *res; /* of the read */
	int went_back; /* a county's latest revision is older */
};

static void batch_init(struct sim_batch *b, struct similar *s, struct similar_item *items, size_t n,
		       time_t now)
{
	memset(b, 0, sizeof *b);
	b->s = s;
	b->items = items;
	b->n = n;
	b->county = xrealloc(NULL, n * sizeof *b->county);
	b->bc = xrealloc(NULL, n * sizeof *b->bc);
	b->when = xcalloc(n, sizeof *b->when);
	b->seen = xcalloc(n, sizeof *b->seen);
	b->ids = xrealloc(NULL, n * sizeof *b->ids);
	b->news = xrealloc(NULL, n * sizeof *b->news);
	similar_evict(s, now);
	for (size_t i = 0; i < n; i++) {
		struct sim_county *c;

		b->county[i] = i && !strcmp(items[i].county, items[i - 1].county)
				       ? b->county[i - 1]
				       : county_find(s, items[i].county);
		c = &s->counties[b->county[i]];
		if (c->in_batch)
			continue;
		c->in_batch = 1;
		b->bc[b->nbc++] = b->county[i];
		if (c->rev < 0)
			c->floor = floor_at(s, now);
	}
}

/* Ends the batch: on failure forgets its counties (read again next time),
 * else drops what it read from below their floors. */
static void batch_release(struct sim_batch *b, int failed)
{
	for (size_t i = 0; i < b->nbc; i++) {
		struct sim_county *c = &b->s->counties[b->bc[i]];

		if (failed)
			county_clear(c);
		else if (c->extras)
			county_trim(c, c->floor);
		c->in_batch = 0;
	}
	PQclear(b->res);
	free(b->county);
	free(b->bc);
	free(b->when);
	free(b->seen);
	free(b->prows);
	free(b->ids);
	free(b->news);
	free(b->upds);
}

/* Locks the batch's counties and reads what it needs (migration 006 says
 * what each row kind holds); columns: kind, o, id, key, hash, at, case_id,
 * cluster_id, a, b, c, related, done. */
static const char read_sql[] =
	"SELECT * FROM xf_similar_read($1::jsonb, $2::jsonb, $3::int, $4::int, $5::int)";

/* The compact text of a (taken): what a batch's statements are sent. */
static char *dump_take(json_t *a)
{
	char *text = json_dumps(a, JSON_COMPACT);

	json_decref(a);
	return text;
}

/* The items as JSON; NULL if a string is not valid UTF-8 (jansson refuses). */
static char *read_items_json(const struct sim_batch *b)
{
	json_t *a = json_array();
	int bad = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct similar_item *it = &b->items[i];

		bad |= json_array_append_new(a, json_pack("{s:I, s:s, s:s?, s:s, s:s}", "o",
							  (json_int_t)i, "c", it->case_id, "p",
							  it->pkey, "k", it->county, "t",
							  it->occurred_at));
	}
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return dump_take(a);
}

static char *read_counties_json(const struct sim_batch *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nbc; i++) {
		const struct sim_county *c = &b->s->counties[b->bc[i]];

		json_array_append_new(a, json_pack("{s:s, s:o, s:I}", "k", c->name, "rev",
						   c->rev < 0 ? json_null() : json_integer(c->rev),
						   "fl", (json_int_t)(c->floor / US)));
	}
	return dump_take(a);
}

static struct sim_county *batch_county(struct sim_batch *b, const char *name)
{
	for (size_t i = 0; i < b->nbc; i++)
		if (!strcmp(b->s->counties[b->bc[i]].name, name))
			return &b->s->counties[b->bc[i]];
	return NULL;
}

static void read_row(struct sim_batch *b, int r)
{
	const PGresult *res = b->res;
	struct sim_county *c = batch_county(b, PQgetvalue(res, r, 3));
	struct sim_row *row;

	if (!c)
		return;
	XALLOC_GROW(c->in, c->nin, c->inalloc, 64);
	row = &c->in[c->nin++];
	row->id = num(res, r, 2);
	row->hash = (uint64_t)num(res, r, 4);
	row->at = num(res, r, 5);
	row->case_id = xstrdup(PQgetvalue(res, r, 6));
	row->cluster_id = xstrdup(pg_value(res, r, 7));
}

static void read_other(struct sim_batch *b, int r, size_t *alloc)
{
	const PGresult *res = b->res;
	char kind = *PQgetvalue(res, r, 0);
	size_t o = (size_t)num(res, r, 1);
	struct sim_county *c;

	if (kind == 'i' && o < b->n) {
		b->when[o] = (struct sim_when){ num(res, r, 5), num(res, r, 8), num(res, r, 9),
						num(res, r, 10) };
	} else if (kind == 's' && o < b->n) {
		b->seen[o] = (struct sim_seen){ 1,
						(int)num(res, r, 8),
						!strcmp(PQgetvalue(res, r, 12), "t"),
						num(res, r, 2),
						PQgetvalue(res, r, 3),
						pg_value(res, r, 11),
						pg_value(res, r, 7) };
	} else if (kind == 'p') {
		XALLOC_GROW(b->prows, b->nprows, *alloc, 64);
		b->prows[b->nprows++] = (struct sim_prow){ PQgetvalue(res, r, 3),
							   PQgetvalue(res, r, 6), num(res, r, 2),
							   num(res, r, 5),
							   (uint64_t)num(res, r, 4) };
	} else if (kind == 'r' && (c = batch_county(b, PQgetvalue(res, r, 3)))) {
		b->went_back |= num(res, r, 8) < c->rev; /* rows deleted, or a restore */
		c->rev = num(res, r, 8);
	} else if (kind == 'n' && b->nids < b->n) {
		b->ids[b->nids++] = num(res, r, 2);
	}
}

static int prow_cmp(const void *x, const void *y)
{
	const struct sim_prow *a = x, *b = y;
	int c = strcmp(a->pkey, b->pkey);

	return c ? c : (a->id > b->id) - (a->id < b->id);
}

static int batch_read(struct sim_batch *b, PGconn *conn, struct sbuf *err)
{
	const struct similar_conf *cf = &b->s->conf;
	char *items = read_items_json(b), *counties = read_counties_json(b);
	char nums[3][24];
	const char *params[5] = { items, counties, nums[0], nums[1], nums[2] };
	size_t alloc = 0;

	if (!items) {
		free(counties);
		sbuf_addf(err, "similar: a case_id, county or occurred_at is not valid UTF-8");
		return -1;
	}
	snprintf(nums[0], sizeof nums[0], "%ld", cf->repeat_days);
	snprintf(nums[1], sizeof nums[1], "%ld", cf->cluster_days);
	snprintf(nums[2], sizeof nums[2], "%zu", b->n);
	b->res = pg_query(conn, read_sql, 5, params, err);
	free(items);
	free(counties);
	if (!b->res)
		return -1;
	for (int r = 0; r < PQntuples(b->res); r++) {
		if (*PQgetvalue(b->res, r, 0) == 'c')
			read_row(b, r);
		else
			read_other(b, r, &alloc);
	}
	for (size_t i = 0; i < b->nbc; i++)
		county_merge(&b->s->counties[b->bc[i]]);
	if (b->nprows)
		qsort(b->prows, b->nprows, sizeof *b->prows, prow_cmp);
	if (b->went_back) {
		sbuf_addf(err, "similar: petitions_seen lost rows since they were cached;"
			       " reading them again");
		return -1;
	}
	if (b->nids < b->n) {
		sbuf_addf(err, "similar: %zu row ids for %zu petitions", b->nids, b->n);
		return -1;
	}
	return 0;
}

/* ---- decisions ---------------------------------------------------------- */

/* Keeps the latest RELATED_MAX case ids of a match list in id order. */
struct sim_related {
	const char *ring[RELATED_MAX];
	size_t count;
};

static void related_add(struct sim_related *rel, const char *case_id)
{
	rel->ring[rel->count++ % RELATED_MAX] = case_id;
}

static char *related_join(const struct sim_related *rel)
{
	size_t n = rel->count < RELATED_MAX ? rel->count : RELATED_MAX;
	size_t start = rel->count < RELATED_MAX ? 0 : rel->count % RELATED_MAX;
	struct sbuf out = SBUF_INIT;

	if (!n)
		return NULL;
	for (size_t k = 0; k < n; k++)
		sbuf_addf(&out, "%s%s", k ? "," : "", rel->ring[(start + k) % RELATED_MAX]);
	return sbuf_detach(&out, NULL);
}

/* Repeats: the petitioner's rows of the window within repeat_bits, stored
 * ones first (their ids are smaller), then the batch's. */
static void decide_repeat(struct sim_batch *b, size_t i)
{
	struct similar_item *it = &b->items[i];
	const struct sim_when *w = &b->when[i];
	int bits = (int)b->s->conf.repeat_bits;
	struct sim_related rel = { { NULL }, 0 };
	struct sim_prow key = { it->pkey, NULL, INT64_MIN, 0, 0 };
	size_t lo = 0, hi = b->nprows;

	if (!it->pkey)
		return;
	while (lo < hi) { /* first row of the petitioner */
		size_t mid = lo + (hi - lo) / 2;

		if (prow_cmp(&b->prows[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->nprows && !strcmp(b->prows[lo].pkey, it->pkey); lo++)
		if (b->prows[lo].at >= w->lo_r && hamming(b->prows[lo].hash, it->simhash) <= bits)
			related_add(&rel, b->prows[lo].case_id);
	for (size_t j = 0; j < b->nnews; j++) {
		const struct similar_item *p = &b->items[b->news[j].item];

		if (p->pkey && !strcmp(p->pkey, it->pkey) &&
		    b->when[b->news[j].item].at >= w->lo_r &&
		    hamming(p->simhash, it->simhash) <= bits)
			related_add(&rel, p->case_id);
	}
	it->repeat_count = (int)rel.count;
	it->related = related_join(&rel);
}

/* 1 if row r of county c is a cluster peer of item i (the hash first:
 * few rows pass it, and the hashes lie together in memory). */
static int is_peer(const struct sim_batch *b, const struct sim_county *c, size_t r, size_t i)
{
	const struct sim_when *w = &b->when[i];

	return hamming(c->hashes[r], b->items[i].simhash) <= (int)b->s->conf.cluster_bits &&
	       c->rows[r].at >= w->lo_c && c->rows[r].at <= w->hi_c;
}

/* Marks the peers (from index first) of a cluster the item opens. */
static void cluster_open(struct sim_batch *b, size_t i, struct sim_county *c, size_t first)
{
	size_t size = strlen(c->rows[first].case_id) + sizeof "CL-";
	char *id = xmalloc(size);

	snprintf(id, size, "CL-%s", c->rows[first].case_id);
	b->items[i].cluster_id = id;
	b->items[i].cluster_completed = 1;
	for (size_t r = first; r < c->nrows; r++) {
		struct sim_row *row = &c->rows[r];

		if (!is_peer(b, c, r, i))
			continue;
		row->cluster_id = xstrdup(id); /* none had one */
		if (row->id < b->ids[0]) {     /* stored before this batch */
			b->upds = xrealloc(b->upds, (b->nupds + 1) * sizeof *b->upds);
			b->upds[b->nupds++] = (struct sim_upd){ row->id, row->cluster_id };
		}
	}
}

/* Cluster: the county's rows of the window within cluster_bits. */
static void decide_cluster(struct sim_batch *b, size_t i)
{
	struct sim_county *c = &b->s->counties[b->county[i]];
	const char *least = NULL;
	size_t peers = 0, first = 0;

	for (size_t r = 0; r < c->nrows; r++) {
		const struct sim_row *row = &c->rows[r];

		if (!is_peer(b, c, r, i))
			continue;
		if (!peers++)
			first = r;
		if (row->cluster_id && (!least || strcmp(row->cluster_id, least) < 0))
			least = row->cluster_id;
	}
	if (least)
		b->items[i].cluster_id = xstrdup(least);
	else if (peers + 1 >= (size_t)b->s->conf.cluster_n && peers)
		cluster_open(b, i, c, first);
	else if (peers + 1 >= (size_t)b->s->conf.cluster_n)
		b->items[i].cluster_completed = 1; /* 'CL-' || NULL, as the reference */
}

static void decide_new(struct sim_batch *b, size_t i)
{
	struct similar_item *it = &b->items[i];
	struct sim_row row;

	decide_repeat(b, i);
	decide_cluster(b, i);
	row.id = b->ids[b->used++];
	row.at = b->when[i].at;
	row.hash = it->simhash;
	row.case_id = xstrdup(it->case_id);
	row.cluster_id = xstrdup(it->cluster_id);
	county_put(&b->s->counties[b->county[i]], row);
	b->news[b->nnews++] = (struct sim_new){ i, b->county[i], row.id };
}

/* The stored answer, with the cluster_id the row has now. */
static void answer_stored(struct sim_batch *b, size_t i)
{
	const struct sim_seen *sn = &b->seen[i];
	struct sim_county *c = batch_county(b, sn->county);
	const struct sim_row *row = c ? county_get(c, sn->id) : NULL;
	struct similar_item *it = &b->items[i];

	it->repeat_count = sn->repeat_count;
	it->related = xstrdup(sn->related);
	it->cluster_id = xstrdup(row ? row->cluster_id : sn->cluster_id);
	it->cluster_completed = sn->completed;
}

/* An item whose case is earlier in the batch: that one's answer. 1 if so. */
static int answer_earlier(struct sim_batch *b, size_t i)
{
	struct similar_item *it = &b->items[i];

	for (size_t j = 0; j < b->nnews; j++) {
		const struct similar_item *first = &b->items[b->news[j].item];

		if (strcmp(first->case_id, it->case_id))
			continue;
		it->repeat_count = first->repeat_count;
		it->related = xstrdup(first->related);
		it->cluster_id = xstrdup(
			county_get(&b->s->counties[b->news[j].county], b->news[j].id)->cluster_id);
		it->cluster_completed = first->cluster_completed;
		return 1;
	}
	return 0;
}

static void batch_decide(struct sim_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->seen[i].found)
			answer_stored(b, i);
		else if (!answer_earlier(b, i))
			decide_new(b, i);
	}
}

/* ---- the write ---------------------------------------------------------- */

static const char write_sql[] = "SELECT * FROM xf_similar_write($1::jsonb, $2::jsonb)";

static char *write_rows_json(const struct sim_batch *b)
{
	json_t *a = json_array();

	for (size_t j = 0; j < b->nnews; j++) {
		const struct similar_item *it = &b->items[b->news[j].item];
		const struct sim_row *row = county_get(&b->s->counties[b->news[j].county],
						       b->news[j].id);

		json_array_append_new(
			a, json_pack("{s:I, s:s, s:s?, s:s, s:I, s:s, s:i, s:s?,"
				     " s:s?, s:b}",
				     "id", (json_int_t)row->id, "c", it->case_id, "p", it->pkey,
				     "k", it->county, "h", (json_int_t)(int64_t)it->simhash, "t",
				     it->occurred_at, "n", it->repeat_count, "rel", it->related,
				     "cl", row->cluster_id, "done", it->cluster_completed));
	}
	return dump_take(a);
}

static char *write_updates_json(const struct sim_batch *b)
{
	json_t *a = json_array();

	for (size_t j = 0; j < b->nupds; j++)
		json_array_append_new(a, json_pack("{s:I, s:s}", "id", (json_int_t)b->upds[j].id,
						   "cl", b->upds[j].cluster_id));
	return dump_take(a);
}

static int batch_write(struct sim_batch *b, PGconn *conn, struct sbuf *err)
{
	char *rows, *upds;
	PGresult *res;

	if (!b->nnews && !b->nupds)
		return 0;
	rows = write_rows_json(b);
	upds = write_updates_json(b);
	res = pg_query(conn, write_sql, 2, (const char *const[]){ rows, upds }, err);
	free(rows);
	free(upds);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		struct sim_county *c = batch_county(b, PQgetvalue(res, r, 0));

		if (c && num(res, r, 1) > c->rev)
			c->rev = num(res, r, 1);
	}
	PQclear(res);
	return 0;
}

/* ---- the API ------------------------------------------------------------ */

void similar_item_release(struct similar_item *it)
{
	free(it->related);
	free(it->cluster_id);
	it->related = it->cluster_id = NULL;
	it->repeat_count = it->cluster_completed = 0;
}

int similar_batch(struct similar *s, PGconn *conn, struct similar_item *items, size_t n, time_t now,
		  struct sbuf *err)
{
	struct sim_batch b;
	int rc;

	for (size_t i = 0; i < n; i++)
		similar_item_release(&items[i]);
	if (!n)
		return 0;
	batch_init(&b, s, items, n, now);
	/* read committed: the read's snapshot must follow its locks */
	rc = pg_exec(conn, "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, err);
	rc = rc ? rc : batch_read(&b, conn, err);
	if (!rc)
		batch_decide(&b);
	rc = rc ? rc : batch_write(&b, conn, err);
	rc = rc ? rc : pg_commit(conn, err);
	if (rc)
		pg_rollback(conn);
	batch_release(&b, rc != 0);
	return rc;
}
