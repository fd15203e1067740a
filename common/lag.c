/* lag.c - see lag.h. */
#include "lag.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* --- the evaluator ------------------------------------------------------ */

static const char *const status_names[] = { "OK", "WARN", "STALL", "STOP", "REWIND" };

const char *lag_status_name(enum lag_status st)
{
	return st >= LAG_OK && st <= LAG_STATUS_MAX ? status_names[st] : "UNKNOWN";
}

void lag_window_init(struct lag_window *w, int size)
{
	memset(w, 0, sizeof *w);
	w->size = size < 1 ? 1 : size > LAG_WINDOW_MAX ? LAG_WINDOW_MAX : size;
}

const struct lag_point *lag_window_at(const struct lag_window *w, int i)
{
	return &w->ring[(w->head + i) % w->size];
}

void lag_window_add(struct lag_window *w, double t_ms, int64_t offset, int64_t end)
{
	struct lag_point p = { t_ms, offset, end };

	if (!w->n || lag_window_at(w, w->n - 1)->offset != offset)
		w->since_ms = t_ms;
	if (w->n < w->size) {
		w->ring[(w->head + w->n++) % w->size] = p;
	} else {
		w->ring[w->head] = p; /* over the oldest */
		w->head = (w->head + 1) % w->size;
	}
}

static int64_t point_lag(const struct lag_point *p)
{
	return p->end > p->offset ? p->end - p->offset : 0;
}

static int went_back(const struct lag_window *w)
{
	for (int i = 1; i < w->n; i++)
		if (lag_window_at(w, i)->offset < lag_window_at(w, i - 1)->offset)
			return 1;
	return 0;
}

static int lag_ever_zero(const struct lag_window *w)
{
	for (int i = 0; i < w->n; i++)
		if (!point_lag(lag_window_at(w, i)))
			return 1;
	return 0;
}

/* The lag never went down, and ended above where it began. */
static int lag_growing(const struct lag_window *w)
{
	for (int i = 1; i < w->n; i++)
		if (point_lag(lag_window_at(w, i)) < point_lag(lag_window_at(w, i - 1)))
			return 0;
	return point_lag(lag_window_at(w, w->n - 1)) > point_lag(lag_window_at(w, 0));
}

enum lag_status lag_evaluate(const struct lag_window *w, double stop_after_ms,
			     int *partial)
{
	const struct lag_point *first, *last;

	if (partial)
		*partial = w->n < w->size || w->n < 2;
	if (w->n < 2)
		return LAG_OK;
	first = lag_window_at(w, 0);
	last = lag_window_at(w, w->n - 1);
	if (!point_lag(last))
		return LAG_OK;
	if (went_back(w))
		return LAG_REWIND;
	if (stop_after_ms > 0 && last->t_ms - w->since_ms > stop_after_ms)
		return LAG_STOP;
	if (w->n < w->size || lag_ever_zero(w))
		return LAG_OK;
	if (first->offset == last->offset)
		return LAG_STALL; /* no rewind, so it never moved at all */
	return lag_growing(w) ? LAG_WARN : LAG_OK;
}

/* --- samples and the tracker -------------------------------------------- */

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort(); /* as sbuf does: no useful recovery */
	return p;
}

struct lag_reading *lag_sample_add(struct lag_sample *smp, const char *group,
				   const char *topic, int32_t partition)
{
	struct lag_reading *r;

	if (smp->n == smp->alloc) {
		smp->alloc = smp->alloc ? 2 * smp->alloc : 16;
		smp->v = realloc(smp->v, smp->alloc * sizeof *smp->v);
		if (!smp->v)
			abort();
	}
	r = &smp->v[smp->n++];
	r->group = xstrdup(group);
	r->topic = xstrdup(topic);
	r->partition = partition;
	r->committed = -1;
	r->end = 0;
	r->lag = 0;
	r->lag_s = -1;
	return r;
}

void lag_sample_release(struct lag_sample *smp)
{
	for (size_t i = 0; i < smp->n; i++) {
		free(smp->v[i].group);
		free(smp->v[i].topic);
	}
	free(smp->v);
	smp->v = NULL;
	smp->n = smp->alloc = 0;
	smp->guessed = 0;
}

static int reading_cmp(const void *a, const void *b)
{
	const struct lag_reading *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (!c)
		c = strcmp(x->topic, y->topic);
	if (!c)
		c = (x->partition > y->partition) - (x->partition < y->partition);
	return c;
}

void lag_tracker_init(struct lag_tracker *tr, int window, double stop_after_ms)
{
	memset(tr, 0, sizeof *tr);
	tr->window = window <= 0 ? LAG_WINDOW_DEFAULT : window > LAG_WINDOW_MAX ?
		     LAG_WINDOW_MAX : window;
	tr->stop_after_ms = stop_after_ms;
}

static void part_free(struct lag_part *p)
{
	free(p->cur.group);
	free(p->cur.topic);
}

void lag_tracker_release(struct lag_tracker *tr)
{
	for (size_t i = 0; i < tr->n; i++)
		part_free(&tr->parts[i]);
	free(tr->parts);
	tr->parts = NULL;
	tr->n = 0;
}

/* p's window: carried over from old (sorted) when p was there, else a new one. */
static void part_carry(struct lag_part *p, struct lag_part *old, size_t nold,
		       int window, size_t *found)
{
	struct lag_part *o = nold ? bsearch(&p->cur, old, nold, sizeof *old, reading_cmp) : NULL;

	if (o && o->win.size) {
		p->win = o->win;
		o->win.size = 0; /* moved: a duplicate reading starts afresh */
		(*found)++;
	} else {
		lag_window_init(&p->win, window);
	}
}

void lag_tracker_add(struct lag_tracker *tr, struct lag_sample *smp)
{
	struct lag_part *parts = calloc(smp->n ? smp->n : 1, sizeof *parts);
	size_t found = 0;

	if (!parts)
		abort();
	if (smp->n) /* an empty sample has no array at all */
		qsort(smp->v, smp->n, sizeof *smp->v, reading_cmp);
	for (size_t i = 0; i < smp->n; i++) {
		struct lag_part *p = &parts[i];
		const struct lag_reading *r = &smp->v[i];

		p->cur = *r; /* the strings move to the tracker */
		part_carry(p, tr->parts, tr->n, tr->window, &found);
		lag_window_add(&p->win, smp->t_ms, r->committed >= 0 ? r->committed :
			       r->end - r->lag, r->end);
		p->status = lag_evaluate(&p->win, tr->stop_after_ms, &p->partial);
	}
	tr->changed = found != tr->n || found != smp->n;
	lag_tracker_release(tr); /* the old parts: their windows were copied */
	tr->parts = parts;
	tr->n = smp->n;
	tr->samples++;
	tr->sampled_wall_ms = smp->wall_ms;
	free(smp->v);
	smp->v = NULL;
	smp->n = smp->alloc = 0;
}

void lag_tracker_group(const struct lag_tracker *tr, size_t i, struct lag_group_sum *g)
{
	memset(g, 0, sizeof *g);
	g->group = tr->parts[i].cur.group;
	g->first = i;
	g->max_lag_s = -1;
	for (; i < tr->n && !strcmp(tr->parts[i].cur.group, g->group); i++) {
		const struct lag_part *p = &tr->parts[i];

		if (p->status > g->status)
			g->status = p->status;
		g->partial |= p->partial;
		g->lag += p->cur.lag;
		if (p->cur.lag && p->cur.lag_s > g->max_lag_s)
			g->max_lag_s = p->cur.lag_s; /* only the lagging ones count */
		g->count++;
	}
	if (!g->lag)
		g->max_lag_s = 0;
}

/* --- JSON ---------------------------------------------------------------- */

/* Unix milliseconds as "2026-11-22T09:30:00.123Z", or JSON null for 0. */
static json_t *json_time(double wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	char buf[40], out[48];
	struct tm tm;

	if (wall_ms <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof out, "%s.%03dZ", buf, (int)((long long)wall_ms % 1000));
	return json_string(out);
}

/* Seconds, rounded to tenths; null when unknown. */
static json_t *json_seconds(double s)
{
	return s < 0 ? json_null() : json_real((double)(long long)(s * 10 + 0.5) / 10);
}

static json_t *part_json(const struct lag_part *p)
{
	const struct lag_reading *r = &p->cur;

	return json_pack("{s:s, s:i, s:o, s:I, s:I, s:o, s:s, s:i, s:b}",
			 "topic", r->topic, "partition", (int)r->partition,
			 "committed", r->committed >= 0 ? json_integer(r->committed) : json_null(),
			 "end", (json_int_t)r->end, "lag", (json_int_t)r->lag,
			 "lag_seconds", json_seconds(r->lag ? r->lag_s : 0),
			 "status", lag_status_name(p->status), "code", (int)p->status,
			 "partial", p->partial);
}

static json_t *group_json(const struct lag_tracker *tr, const struct lag_group_sum *g)
{
	json_t *parts = json_array();

	for (size_t i = g->first; i < g->first + g->count; i++)
		json_array_append_new(parts, part_json(&tr->parts[i]));
	return json_pack("{s:s, s:s, s:i, s:b, s:I, s:o, s:o}", "group", g->group,
			 "status", lag_status_name(g->status), "code", (int)g->status,
			 "partial", g->partial, "lag", (json_int_t)g->lag,
			 "max_lag_seconds", json_seconds(g->max_lag_s), "partitions", parts);
}

json_t *lag_tracker_json(const struct lag_tracker *tr)
{
	json_t *groups = json_array();
	struct lag_group_sum g;

	for (size_t i = 0; i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		json_array_append_new(groups, group_json(tr, &g));
	}
	return json_pack("{s:o, s:I, s:i, s:o}", "sampled_at", json_time(tr->sampled_wall_ms),
			 "samples", (json_int_t)tr->samples, "window", tr->window,
			 "groups", groups);
}

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
	int64_t ts_ms;  /* -1: not read this time (or it carries no timestamp) */
	int used;       /* asked for by the sample in progress */
};

struct lag_sampler {
	rd_kafka_t *rk;
	char *prefix;
	int all;
	int timeout_ms;
	int cannot_list;      /* the broker said it cannot list groups: not asked again */
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
	nm->v = realloc(nm->v, (nm->n + 1) * sizeof *nm->v);
	if (!nm->v)
		abort();
	nm->v[nm->n++] = xstrdup(name);
}

static void names_release(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

static double wall_ms(void)
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
	struct lag_sampler *s = calloc(1, sizeof *s);

	if (!s)
		abort();
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
static rd_kafka_event_t *wait_event(struct lag_sampler *s, rd_kafka_queue_t *q,
				    const char *what, struct sbuf *err)
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
	const rd_kafka_ConsumerGroupListing_t **v = rd_kafka_ListConsumerGroups_result_valid(res, &n);
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

static int list_groups(struct lag_sampler *s, struct names *out, int *guessed,
		       struct sbuf *err)
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
		rc = groups_result(s, rd_kafka_event_ListConsumerGroups_result(ev), out,
				   guessed, err);
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
static rd_kafka_topic_partition_list_t *all_partitions(struct lag_sampler *s,
						       struct sbuf *err)
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
static rd_kafka_topic_partition_t *tp_find(rd_kafka_topic_partition_list_t *list,
					   const char *topic, int32_t partition)
{
	rd_kafka_topic_partition_t key;

	memset(&key, 0, sizeof key);
	key.topic = (char *)topic;
	key.partition = partition;
	return list->cnt ? bsearch(&key, list->elems, (size_t)list->cnt, sizeof *list->elems,
				   tp_cmp) : NULL;
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

static int offsets_result(const char *group, rd_kafka_event_t *ev,
			  struct lag_sample *smp, struct sbuf *err)
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
			 const rd_kafka_topic_partition_list_t *all,
			 struct lag_sample *smp, struct sbuf *err)
{
	rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, all);
	rd_kafka_AdminOptions_t *opts = admin_options(s, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
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
static rd_kafka_topic_partition_list_t *distinct(const struct lag_sample *smp,
						 int uncommitted, int64_t at)
{
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new((int)smp->n + 1);
	rd_kafka_topic_partition_list_t *out = rd_kafka_topic_partition_list_new((int)smp->n + 1);

	for (size_t i = 0; i < smp->n; i++)
		if (!uncommitted || smp->v[i].committed < 0)
			rd_kafka_topic_partition_list_add(all, smp->v[i].topic, smp->v[i].partition);
	tp_sort(all);
	for (int i = 0; i < all->cnt; i++)
		if (!i || tp_cmp(&all->elems[i], &all->elems[i - 1]))
			rd_kafka_topic_partition_list_add(out, all->elems[i].topic,
							  all->elems[i].partition)->offset = at;
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
	rd_kafka_resp_err_t rc = list->cnt ?
		rd_kafka_offsets_for_times(s->rk, list, s->timeout_ms) : 0;

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
		 query_offsets(s, starts, "log start offsets", err) ? -1 : 0;

	for (size_t i = 0; !rc && i < smp->n; i++) {
		struct lag_reading *r = &smp->v[i];
		const rd_kafka_topic_partition_t *e = tp_find(ends, r->topic, r->partition);
		const rd_kafka_topic_partition_t *b = r->committed >= 0 ? NULL :
			tp_find(starts, r->topic, r->partition);
		int64_t pos = b ? b->offset : r->committed;

		r->end = e ? e->offset : 0;
		r->lag = e && pos >= 0 && r->end > pos ? r->end - pos : 0;
	}
	rd_kafka_topic_partition_list_destroy(ends);
	rd_kafka_topic_partition_list_destroy(starts);
	return rc;
}

static struct dated *cache_find(struct lag_sampler *s, const char *topic,
				int32_t partition, int64_t offset)
{
	for (size_t i = 0; i < s->ncache; i++) {
		struct dated *d = &s->cache[i];

		if (d->partition == partition && d->offset == offset && !strcmp(d->topic, topic))
			return d;
	}
	return NULL;
}

static void cache_put(struct lag_sampler *s, const char *topic, int32_t partition,
		      int64_t offset, int64_t ts_ms)
{
	struct dated *d;

	if (s->ncache == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 16;
		s->cache = realloc(s->cache, s->alloc * sizeof *s->cache);
		if (!s->cache)
			abort();
	}
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
static rd_kafka_topic_partition_list_t *undated(struct lag_sampler *s,
						const struct lag_sample *smp)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);

	for (size_t i = 0; i < smp->n; i++) {
		const struct lag_reading *r = &smp->v[i];
		struct dated *d = r->lag ? cache_find(s, r->topic, r->partition, reading_pos(r)) : NULL;

		if (d)
			d->used = 1;
		else if (r->lag && !rd_kafka_topic_partition_list_find(list, r->topic, r->partition))
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
		const struct dated *d = r->lag ?
			cache_find(s, r->topic, r->partition, reading_pos(r)) : NULL;

		r->lag_s = !r->lag ? 0 : !d || d->ts_ms < 0 ? -1 :
			   smp->wall_ms > (double)d->ts_ms ? (smp->wall_ms - (double)d->ts_ms) / 1000 : 0;
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
	smp->wall_ms = wall_ms();
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

/* --- the monitor -------------------------------------------------------- */

struct lag_monitor {
	pthread_t thread;
	pthread_mutex_t lock;       /* guards stopping, tracker, error, failed_wall_ms */
	pthread_cond_t wake;
	int stopping;
	struct lag_tracker tracker;
	char *error;                /* the last sample's failure; NULL after a good one */
	double failed_wall_ms;
	struct lag_sampler *sampler; /* the thread's alone (but for abort) */
	struct metrics *m;
	long interval_ms;
	struct metrics_series *m_sampled, *m_failures;
};

enum { G_LAG, G_LAG_S, G_PART_STATUS, G_GROUP_STATUS, G_GROUP_MAX_S, G_COUNT };

static const struct gauge {
	const char *name, *help;
} gauges[G_COUNT] = {
	{ "xf_consumer_group_lag", "Messages between the committed offset and the log end" },
	{ "xf_consumer_group_lag_seconds",
	  "Age of the oldest message not yet consumed (0 when caught up)" },
	{ "xf_consumer_partition_status",
	  "Lag verdict of a partition: 0 OK, 1 WARN, 2 STALL, 3 STOP, 4 REWIND" },
	{ "xf_consumer_group_status",
	  "Lag verdict of a group, the worst of its partitions: 0 OK .. 4 REWIND" },
	{ "xf_consumer_group_max_lag_seconds", "The largest lag in seconds of a group's partitions" },
};

static void gauge_set(struct metrics *m, int which, const char *labels, double v)
{
	metrics_set(metrics_get(m, gauges[which].name, gauges[which].help, METRICS_GAUGE,
				labels), v);
}

/* name="value" with \, " and newline escaped as the exposition format wants. */
static void label_add(struct sbuf *sb, const char *name, const char *value)
{
	sbuf_addf(sb, "%s%s=\"", sb->len ? "," : "", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			sbuf_addch(sb, '\\');
		if (*c == '\n')
			sbuf_adds(sb, "\\n");
		else
			sbuf_addch(sb, *c);
	}
	sbuf_addch(sb, '"');
}

static void export_group(struct metrics *m, const struct lag_tracker *tr,
			 const struct lag_group_sum *g, struct sbuf *labels)
{
	char part[16];

	sbuf_reset(labels);
	label_add(labels, "group", g->group);
	gauge_set(m, G_GROUP_STATUS, labels->buf, g->status);
	if (g->max_lag_s >= 0)
		gauge_set(m, G_GROUP_MAX_S, labels->buf, g->max_lag_s);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct lag_part *p = &tr->parts[i];

		sbuf_reset(labels);
		snprintf(part, sizeof part, "%d", (int)p->cur.partition);
		label_add(labels, "group", g->group);
		label_add(labels, "topic", p->cur.topic);
		label_add(labels, "partition", part);
		gauge_set(m, G_LAG, labels->buf, (double)p->cur.lag);
		gauge_set(m, G_PART_STATUS, labels->buf, p->status);
		if (p->cur.lag_s >= 0) /* unknown: the last known value stays */
			gauge_set(m, G_LAG_S, labels->buf, p->cur.lag_s);
	}
}

/* Under lm->lock. Series of partitions gone are zeroed (they cannot be removed). */
static void monitor_export(struct lag_monitor *lm)
{
	const struct lag_tracker *tr = &lm->tracker;
	struct sbuf labels = SBUF_INIT;
	struct lag_group_sum g;

	if (!lm->m)
		return;
	/* readers see last round's figures until this one is complete */
	for (int k = 0; tr->changed && k < G_COUNT; k++)
		metrics_round_begin(lm->m, gauges[k].name);
	for (size_t i = 0; i < tr->n; i += g.count) {
		lag_tracker_group(tr, i, &g);
		export_group(lm->m, tr, &g, &labels);
	}
	for (int k = 0; tr->changed && k < G_COUNT; k++)
		metrics_round_end(lm->m, gauges[k].name);
	metrics_set(lm->m_sampled, tr->sampled_wall_ms / 1000);
	sbuf_release(&labels);
}

static void monitor_sample(struct lag_monitor *lm)
{
	struct lag_sample smp = LAG_SAMPLE_INIT;
	struct sbuf err = SBUF_INIT;
	int rc = lag_sampler_take(lm->sampler, &smp, &err);

	pthread_mutex_lock(&lm->lock);
	if (!rc) {
		lag_tracker_add(&lm->tracker, &smp);
		free(lm->error);
		lm->error = NULL;
		monitor_export(lm);
	} else if (!lm->stopping) { /* an abort is not a failure */
		free(lm->error);
		lm->error = xstrdup(err.buf);
		lm->failed_wall_ms = wall_ms();
		if (lm->m)
			metrics_add(lm->m_failures, 1);
		log_warn("lag_sample_failed", LOG_S("error", err.buf), LOG_END);
	}
	pthread_mutex_unlock(&lm->lock);
	lag_sample_release(&smp);
	sbuf_release(&err);
}

static void deadline_in(struct timespec *at, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, at);
	at->tv_sec += ms / 1000;
	at->tv_nsec += (ms % 1000) * 1000000L;
	if (at->tv_nsec >= 1000000000L) {
		at->tv_sec++;
		at->tv_nsec -= 1000000000L;
	}
}

static void *monitor_main(void *arg)
{
	struct lag_monitor *lm = arg;
	struct timespec at;

	pthread_mutex_lock(&lm->lock);
	while (!lm->stopping) {
		deadline_in(&at, lm->interval_ms); /* every interval, however long a sample */
		pthread_mutex_unlock(&lm->lock);
		monitor_sample(lm);
		pthread_mutex_lock(&lm->lock);
		while (!lm->stopping && pthread_cond_timedwait(&lm->wake, &lm->lock, &at) == 0)
			; /* woken, but not to stop */
	}
	pthread_mutex_unlock(&lm->lock);
	return NULL;
}

static void monitor_free(struct lag_monitor *lm)
{
	lag_sampler_free(lm->sampler);
	lag_tracker_release(&lm->tracker);
	free(lm->error);
	pthread_cond_destroy(&lm->wake);
	pthread_mutex_destroy(&lm->lock);
	free(lm);
}

static void monitor_metrics(struct lag_monitor *lm)
{
	if (!lm->m)
		return;
	lm->m_sampled = metrics_get(lm->m, "xf_consumer_lag_sampled_timestamp_seconds",
				    "Unix time of the last good consumer lag sample",
				    METRICS_GAUGE, NULL);
	lm->m_failures = metrics_get(lm->m, "xf_consumer_lag_sample_failures_total",
				     "Consumer lag samples that failed (figures left as they were)",
				     METRICS_COUNTER, NULL);
}

struct lag_monitor *lag_monitor_start(const struct xf_conf *conf, struct metrics *m,
				      long interval_ms, int window, struct sbuf *err)
{
	struct lag_monitor *lm = calloc(1, sizeof *lm);
	pthread_condattr_t ca;

	if (!lm)
		abort();
	lm->m = m;
	lm->interval_ms = interval_ms > 0 ? interval_ms : LAG_INTERVAL_DEFAULT_MS;
	lag_tracker_init(&lm->tracker, window, 0);
	lm->tracker.stop_after_ms = 2.0 * lm->tracker.window * (double)lm->interval_ms;
	pthread_mutex_init(&lm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lm->wake, &ca);
	pthread_condattr_destroy(&ca);
	lm->sampler = lag_sampler_new(conf->brokers, conf->group_prefix, 0,
				      LAG_MONITOR_TIMEOUT_MS, err);
	if (!lm->sampler) {
		monitor_free(lm);
		return NULL;
	}
	monitor_metrics(lm);
	if (pthread_create(&lm->thread, NULL, monitor_main, lm)) {
		sbuf_addf(err, "lag monitor: cannot start a thread");
		monitor_free(lm);
		return NULL;
	}
	return lm;
}

json_t *lag_monitor_snapshot(struct lag_monitor *lm)
{
	json_t *j;

	pthread_mutex_lock(&lm->lock);
	j = lag_tracker_json(&lm->tracker);
	json_object_set_new(j, "interval_ms", json_integer(lm->interval_ms));
	json_object_set_new(j, "error", lm->error ? json_string(lm->error) : json_null());
	json_object_set_new(j, "failed_at", json_time(lm->failed_wall_ms));
	pthread_mutex_unlock(&lm->lock);
	return j;
}

void lag_monitor_stop(struct lag_monitor *lm)
{
	if (!lm)
		return;
	pthread_mutex_lock(&lm->lock);
	lm->stopping = 1;
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
	lag_sampler_abort(lm->sampler);
	pthread_join(lm->thread, NULL);
	monitor_free(lm);
}
