/* lag_sampler.c - the sampler: one look at the broker (see lag.h). */
#include "lag.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "lag_int.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

/* --- the sampler ------------------------------------------------------- */

#define LAG_PROBE_GROUP "xf.lag-probe" /* never "<prefix>-": not one of ours */
#define LAG_FETCH_ROUNDS 3

/* Our groups after "<prefix>-", tried when the broker cannot list groups. */
static const char *const our_groups[] = { "intake", "classify", "dispatch" };

/* The date of the message at one offset, kept while a sample asks for it. */
struct dated {
	char *topic;
	int32_t partition;
	int64_t offset;
	int64_t ts_ms; /* -1: not read this time (or it carries no timestamp) */
	int used;      /* asked for by the sample in progress */
};

struct lag_sampler {
	rd_kafka_t *rk;
	char *prefix;
	int all;
	int timeout_ms;
	int cannot_list; /* the broker said it cannot list groups: not asked again */
	atomic_int abort;
	struct dated *cache;
	size_t ncache, alloc;
};

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *nm, const char *name)
{
	nm->v = xrealloc(nm->v, (nm->n + 1) * sizeof *nm->v);
	nm->v[nm->n++] = xstrdup(name);
}

static void names_release(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

double lag_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static int aborted(struct lag_sampler *s)
{
	return atomic_load(&s->abort);
}

struct lag_sampler *lag_sampler_new(const char *brokers, const char *prefix, int all,
				    int timeout_ms, struct sbuf *err)
{
	const char *const none[] = { NULL };
	struct lag_sampler *s = xcalloc(1, sizeof *s);

	s->rk = kafka_consumer_new(brokers, LAG_PROBE_GROUP, none, NULL, err);
	if (!s->rk) {
		free(s);
		return NULL;
	}
	s->prefix = xstrdup(prefix);
	s->all = all;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	atomic_init(&s->abort, 0);
	return s;
}

void lag_sampler_abort(struct lag_sampler *s)
{
	atomic_store(&s->abort, 1);
}

void lag_sampler_free(struct lag_sampler *s)
{
	if (!s)
		return;
	kafka_consumer_close(s->rk);
	for (size_t i = 0; i < s->ncache; i++)
		free(s->cache[i].topic);
	free(s->cache);
	free(s->prefix);
	free(s);
}

/* Serves the handle's error and log callbacks, which wait on its queue. */
static void drain(struct lag_sampler *s)
{
	rd_kafka_message_t *rkm;

	while ((rkm = rd_kafka_consumer_poll(s->rk, 0)))
		rd_kafka_message_destroy(rkm);
}

static rd_kafka_AdminOptions_t *admin_options(struct lag_sampler *s, rd_kafka_admin_op_t op)
{
	rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(s->rk, op);
	char why[256];

	rd_kafka_AdminOptions_set_request_timeout(opts, s->timeout_ms, why, sizeof why);
	return opts;
}

/*
 * The answer to an admin request on q. Polled in short steps so that an
 * abort is seen; the request's own timeout normally answers first.
 */
static rd_kafka_event_t *wait_event(struct lag_sampler *s, rd_kafka_queue_t *q, const char *what,
				    struct sbuf *err)
{
	double deadline = now_ms() + s->timeout_ms + 1000;
	rd_kafka_event_t *ev = NULL;

	while (!ev && !aborted(s) && now_ms() < deadline)
		ev = rd_kafka_queue_poll(q, 100);
	if (!ev) {
		sbuf_addf(err, "%s: %s", what, aborted(s) ? "aborted" : "no answer in time");
	} else if (rd_kafka_event_error(ev)) {
		sbuf_addf(err, "%s: %s", what, rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		ev = NULL;
	}
	return ev;
}

static int ours(const struct lag_sampler *s, const char *group)
{
	size_t len = strlen(s->prefix);

	return s->all || (!strncmp(group, s->prefix, len) && group[len] == '-');
}

/* Our three groups, for a broker that cannot list groups. */
static int list_groups_guessed(struct lag_sampler *s, struct names *out, int *guessed)
{
	char name[256];

	for (size_t i = 0; i < sizeof our_groups / sizeof our_groups[0]; i++) {
		snprintf(name, sizeof name, "%s-%s", s->prefix, our_groups[i]);
		names_add(out, name);
	}
	*guessed = 1;
	return 0;
}

static int groups_result(struct lag_sampler *s, const rd_kafka_ListConsumerGroups_result_t *res,
			 struct names *out, int *guessed, struct sbuf *err)
{
	size_t n, nerr;
	const rd_kafka_ConsumerGroupListing_t **v = rd_kafka_ListConsumerGroups_result_valid(res,
											     &n);
	const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);

	if (nerr == 1 && !n &&
	    rd_kafka_error_code(errs[0]) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
		s->cannot_list = 1; /* the mock cluster has no ListGroups */
		return list_groups_guessed(s, out, guessed);
	}
	if (nerr) { /* a broker did not answer: the list would be incomplete */
		sbuf_addf(err, "list groups: %s", rd_kafka_error_string(errs[0]));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (ours(s, rd_kafka_ConsumerGroupListing_group_id(v[i])))
			names_add(out, rd_kafka_ConsumerGroupListing_group_id(v[i]));
	return 0;
}

static int list_groups(struct lag_sampler *s, struct names *out, int *guessed, struct sbuf *err)
{
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_event_t *ev;
	int rc = -1;

	if (s->cannot_list)
		return list_groups_guessed(s, out, guessed);
	q = rd_kafka_queue_new(s->rk);
	opts = admin_options(s, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
	rd_kafka_ListConsumerGroups(s->rk, opts, q);
	ev = wait_event(s, q, "list groups", err);
	if (ev) {
		rc = groups_result(s, rd_kafka_event_ListConsumerGroups_result(ev), out, guessed,
				   err);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	return rc;
}

/*
 * Every partition of every topic but the broker's own (__consumer_offsets):
 * the group's committed offsets are asked for all of them, since the mock
 * cluster answers nothing to "all partitions" (a null list).
 */
static rd_kafka_topic_partition_list_t *all_partitions(struct lag_sampler *s, struct sbuf *err)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t rc = rd_kafka_metadata(s->rk, 1, NULL, &md, s->timeout_ms);

	if (rc) {
		sbuf_addf(err, "metadata: %s", rd_kafka_err2str(rc));
		return NULL;
	}
	list = rd_kafka_topic_partition_list_new(16);
	for (int t = 0; t < md->topic_cnt; t++) {
		const struct rd_kafka_metadata_topic *mt = &md->topics[t];

		if (mt->err || !strncmp(mt->topic, "__", 2))
			continue;
		for (int p = 0; p < mt->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(list, mt->topic, mt->partitions[p].id);
	}
	rd_kafka_metadata_destroy(md);
	return list;
}

static int tp_cmp(const void *a, const void *b)
{
	const rd_kafka_topic_partition_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void tp_sort(rd_kafka_topic_partition_list_t *list)
{
	if (list->cnt)
		qsort(list->elems, (size_t)list->cnt, sizeof *list->elems, tp_cmp);
}

/* In a list sorted by tp_sort. */
static rd_kafka_topic_partition_t *tp_find(rd_kafka_topic_partition_list_t *list, const char *topic,
					   int32_t partition)
{
	rd_kafka_topic_partition_t key;

	memset(&key, 0, sizeof key);
	key.topic = (char *)topic;
	key.partition = partition;
	return list->cnt
		       ? bsearch(&key, list->elems, (size_t)list->cnt, sizeof *list->elems, tp_cmp)
		       : NULL;
}

static int64_t committed_of(const rd_kafka_topic_partition_t *tp)
{
	return !tp->err && tp->offset >= 0 ? tp->offset : -1;
}

/* A reading for each partition of each topic the group has committed on. */
static void add_readings(const char *group, const rd_kafka_topic_partition_list_t *res,
			 struct lag_sample *smp)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_copy(res);

	tp_sort(list);
	for (int i = 0, j; i < list->cnt; i = j) {
		const char *topic = list->elems[i].topic;
		int any = 0;

		for (j = i; j < list->cnt && !strcmp(list->elems[j].topic, topic); j++)
			any |= committed_of(&list->elems[j]) >= 0;
		for (int k = i; any && k < j; k++)
			lag_sample_add(smp, group, topic, list->elems[k].partition)->committed =
				committed_of(&list->elems[k]);
	}
	rd_kafka_topic_partition_list_destroy(list);
}

static int offsets_result(const char *group, rd_kafka_event_t *ev, struct lag_sample *smp,
			  struct sbuf *err)
{
	size_t n;
	const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
		rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
	const rd_kafka_error_t *e = n == 1 ? rd_kafka_group_result_error(gr[0]) : NULL;

	if (n != 1 || e) {
		sbuf_addf(err, "offsets of %s: %s", group,
			  e ? rd_kafka_error_string(e) : "no result");
		return -1;
	}
	if (rd_kafka_group_result_partitions(gr[0]))
		add_readings(group, rd_kafka_group_result_partitions(gr[0]), smp);
	return 0;
}

static int group_offsets(struct lag_sampler *s, const char *group,
			 const rd_kafka_topic_partition_list_t *all, struct lag_sample *smp,
			 struct sbuf *err)
{
	rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group,
											 all);
	rd_kafka_AdminOptions_t *opts = admin_options(s,
						      RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
	rd_kafka_queue_t *q = rd_kafka_queue_new(s->rk);
	rd_kafka_event_t *ev;
	int rc = -1;

	rd_kafka_ListConsumerGroupOffsets(s->rk, &req, 1, opts, q);
	ev = wait_event(s, q, "committed offsets", err);
	if (ev) {
		rc = offsets_result(group, ev, smp, err);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* The distinct partitions of the readings (only those never committed, if
 * asked), sorted, each with offset `at`. */
static rd_kafka_topic_partition_list_t *distinct(const struct lag_sample *smp, int uncommitted,
						 int64_t at)
{
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new((int)smp->n + 1);
	rd_kafka_topic_partition_list_t *out = rd_kafka_topic_partition_list_new((int)smp->n + 1);

	for (size_t i = 0; i < smp->n; i++)
		if (!uncommitted || smp->v[i].committed < 0)
			rd_kafka_topic_partition_list_add(all, smp->v[i].topic,
							  smp->v[i].partition);
	tp_sort(all);
	for (int i = 0; i < all->cnt; i++)
		if (!i || tp_cmp(&all->elems[i], &all->elems[i - 1]))
			rd_kafka_topic_partition_list_add(out, all->elems[i].topic,
							  all->elems[i].partition)
				->offset = at;
	rd_kafka_topic_partition_list_destroy(all);
	return out;
}

/*
 * Offsets by time: RD_KAFKA_OFFSET_END (-1) asks for the log end and
 * RD_KAFKA_OFFSET_BEGINNING (-2) for the log start (ListOffsets' "latest"
 * and "earliest"), for all partitions in one request per leader.
 */
static int query_offsets(struct lag_sampler *s, rd_kafka_topic_partition_list_t *list,
			 const char *what, struct sbuf *err)
{
	rd_kafka_resp_err_t rc = list->cnt ? rd_kafka_offsets_for_times(s->rk, list, s->timeout_ms)
					   : 0;

	if (rc) {
		sbuf_addf(err, "%s: %s", what, rd_kafka_err2str(rc));
		return -1;
	}
	for (int i = 0; i < list->cnt; i++) {
		if (list->elems[i].err || list->elems[i].offset < 0) {
			sbuf_addf(err, "%s of %s [%d]: %s", what, list->elems[i].topic,
				  (int)list->elems[i].partition,
				  rd_kafka_err2str(list->elems[i].err));
			return -1;
		}
	}
	tp_sort(list);
	return 0;
}

/* Log end and lag of every reading. */
static int fill_offsets(struct lag_sampler *s, struct lag_sample *smp, struct sbuf *err)
{
	rd_kafka_topic_partition_list_t *ends = distinct(smp, 0, RD_KAFKA_OFFSET_END);
	rd_kafka_topic_partition_list_t *starts = distinct(smp, 1, RD_KAFKA_OFFSET_BEGINNING);
	int rc = query_offsets(s, ends, "log end offsets", err) ||
				 query_offsets(s, starts, "log start offsets", err)
			 ? -1
			 : 0;

	for (size_t i = 0; !rc && i < smp->n; i++) {
		struct lag_reading *r = &smp->v[i];
		const rd_kafka_topic_partition_t *e = tp_find(ends, r->topic, r->partition);
		const rd_kafka_topic_partition_t *b = r->committed >= 0 ? NULL
									: tp_find(starts, r->topic,
										  r->partition);
		int64_t pos = b ? b->offset : r->committed;

		r->end = e ? e->offset : 0;
		r->lag = e && pos >= 0 && r->end > pos ? r->end - pos : 0;
	}
	rd_kafka_topic_partition_list_destroy(ends);
	rd_kafka_topic_partition_list_destroy(starts);
	return rc;
}

static struct dated *cache_find(struct lag_sampler *s, const char *topic, int32_t partition,
				int64_t offset)
{
	for (size_t i = 0; i < s->ncache; i++) {
		struct dated *d = &s->cache[i];

		if (d->partition == partition && d->offset == offset && !strcmp(d->topic, topic))
			return d;
	}
	return NULL;
}

static void cache_put(struct lag_sampler *s, const char *topic, int32_t partition, int64_t offset,
		      int64_t ts_ms)
{
	struct dated *d;

	XALLOC_GROW(s->cache, s->ncache, s->alloc, 16);
	d = &s->cache[s->ncache++];
	d->topic = xstrdup(topic);
	d->partition = partition;
	d->offset = offset;
	d->ts_ms = ts_ms;
	d->used = 1;
}

/*
 * Keeps the dates this sample asked for and read, for the next: a
 * partition whose offset has not moved is not read again. Dates that
 * could not be read are tried again next time.
 */
static void cache_prune(struct lag_sampler *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->ncache; i++) {
		struct dated *d = &s->cache[i];

		if (d->used && d->ts_ms >= 0) {
			d->used = 0;
			s->cache[k++] = *d;
		} else {
			free(d->topic);
		}
	}
	s->ncache = k;
}

/* The position whose message dates a lagging reading: committed, or log start. */
static int64_t reading_pos(const struct lag_reading *r)
{
	return r->end - r->lag;
}

/*
 * The lagging partitions whose date is not cached, at their position;
 * a partition wanted at two positions (two groups) waits for the next round.
 */
static rd_kafka_topic_partition_list_t *undated(struct lag_sampler *s, const struct lag_sample *smp)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);

	for (size_t i = 0; i < smp->n; i++) {
		const struct lag_reading *r = &smp->v[i];
		struct dated *d = r->lag ? cache_find(s, r->topic, r->partition, reading_pos(r))
					 : NULL;

		if (d)
			d->used = 1;
		else if (r->lag &&
			 !rd_kafka_topic_partition_list_find(list, r->topic, r->partition))
			rd_kafka_topic_partition_list_add(list, r->topic, r->partition)->offset =
				reading_pos(r);
	}
	return list;
}

/* Caches the date of rkm if it is the first message read at its partition. */
static int take_date(struct lag_sampler *s, const rd_kafka_topic_partition_list_t *list,
		     const rd_kafka_message_t *rkm)
{
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	const rd_kafka_topic_partition_t *tp;

	if (rkm->err)
		return 0;
	tp = rd_kafka_topic_partition_list_find(list, topic, rkm->partition);
	if (!tp || cache_find(s, topic, rkm->partition, tp->offset))
		return 0;
	/* the first message at or after the offset: the oldest not consumed */
	cache_put(s, topic, rkm->partition, tp->offset, rd_kafka_message_timestamp(rkm, NULL));
	return 1;
}

/* Reads one message at each partition's offset in list; dates go to the cache. */
static void read_dates(struct lag_sampler *s, const rd_kafka_topic_partition_list_t *list)
{
	double deadline = now_ms() + s->timeout_ms;
	rd_kafka_resp_err_t rc = rd_kafka_assign(s->rk, list);
	int left = list->cnt;

	if (rc)
		log_warn("lag_assign_failed", LOG_S("error", rd_kafka_err2str(rc)), LOG_END);
	while (!rc && left > 0 && !aborted(s) && now_ms() < deadline) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(s->rk, 100);

		if (rkm) {
			left -= take_date(s, list, rkm);
			rd_kafka_message_destroy(rkm);
		}
	}
	rd_kafka_assign(s->rk, NULL);
	for (int i = 0; i < list->cnt; i++) { /* not read in time: unknown */
		const rd_kafka_topic_partition_t *tp = &list->elems[i];

		if (!cache_find(s, tp->topic, tp->partition, tp->offset))
			cache_put(s, tp->topic, tp->partition, tp->offset, -1);
	}
}

/* Lag in seconds of every reading: now minus the date of its oldest unconsumed message. */
static void fill_seconds(struct lag_sampler *s, struct lag_sample *smp)
{
	for (int round = 0; round < LAG_FETCH_ROUNDS && !aborted(s); round++) {
		rd_kafka_topic_partition_list_t *list = undated(s, smp);
		int n = list->cnt;

		if (n)
			read_dates(s, list);
		rd_kafka_topic_partition_list_destroy(list);
		if (!n)
			break;
	}
	for (size_t i = 0; i < smp->n; i++) {
		struct lag_reading *r = &smp->v[i];
		const struct dated *d = r->lag ? cache_find(s, r->topic, r->partition,
							    reading_pos(r))
					       : NULL;

		r->lag_s = !r->lag              ? 0
			   : !d || d->ts_ms < 0 ? -1
			   : smp->wall_ms > (double)d->ts_ms
				   ? (smp->wall_ms - (double)d->ts_ms) / 1000
				   : 0;
	}
	cache_prune(s);
}

int lag_sampler_take(struct lag_sampler *s, struct lag_sample *smp, struct sbuf *err)
{
	struct names groups = { NULL, 0 };
	rd_kafka_topic_partition_list_t *all = NULL;
	int rc;

	lag_sample_release(smp);
	smp->t_ms = now_ms();
	smp->wall_ms = lag_wall_ms();
	drain(s);
	rc = list_groups(s, &groups, &smp->guessed, err);
	if (!rc && groups.n && !(all = all_partitions(s, err)))
		rc = -1;
	for (size_t i = 0; !rc && all && all->cnt && i < groups.n; i++)
		rc = group_offsets(s, groups.v[i], all, smp, err);
	if (!rc)
		rc = fill_offsets(s, smp, err);
	if (!rc)
		fill_seconds(s, smp);
	if (rc)
		lag_sample_release(smp);
	if (all)
		rd_kafka_topic_partition_list_destroy(all);
	names_release(&groups);
	return rc;
}
