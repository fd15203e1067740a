/* classify.c - see classify.h. */
#include "classify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "log.h"
#include "pg.h"
#include "util.h"


struct classify_item {
	json_t *petition;            /* owned; NULL if unreadable */
	struct classifier_text text;
	json_t *related;             /* owned */
	int repeat_count;
	char cluster_id[96];
	int cluster_completed;
};

/* Parses and text-tags one message; 0, or -1 if it is no petition. */
static int item_prepare(struct classify *cl, struct classify_item *it,
			const rd_kafka_message_t *rkm)
{
	json_t *p = json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, NULL);

	const char *at = json_string_value(json_object_get(p, "occurred_at"));
	time_t t;

	if (!json_is_object(p) || !json_is_string(json_object_get(p, "case_id")) ||
	    !json_is_string(json_object_get(p, "region_code")) || !at ||
	    time_parse_rfc3339(at, &t)) {
		json_decref(p);
		return -1;
	}
	it->petition = p;
	classifier_text(&cl->cl, json_string_value(json_object_get(p, "subject")),
			json_string_value(json_object_get(p, "content")),
			json_string_value(json_object_get(p, "category_hint")), &it->text);
	return 0;
}

static void related_parse(struct classify_item *it, const char *csv)
{
	it->related = json_array();
	while (csv && *csv) {
		const char *comma = strchr(csv, ',');
		size_t n = comma ? (size_t)(comma - csv) : strlen(csv);

		json_array_append_new(it->related, json_stringn(csv, n));
		csv += n + (comma ? 1 : 0);
	}
}

/* One round trip: repeat and cluster state of one petition. */
static int item_history(struct classify *cl, struct classify_item *it, struct sbuf *err)
{
	const struct xf_conf *c = &cl->svc.conf;
	const char *region = json_string_value(json_object_get(it->petition, "region_code"));
	char pkey[65], county[7], simhash[24], nums[5][16];
	const char *params[10];
	PGresult *res;

	snprintf(county, sizeof county, "%.6s", region);
	snprintf(simhash, sizeof simhash, "%lld", (long long)(int64_t)it->text.simhash);
	snprintf(nums[0], 16, "%ld", c->repeat_days);
	snprintf(nums[1], 16, "%ld", c->repeat_bits);
	snprintf(nums[2], 16, "%ld", c->cluster_n);
	snprintf(nums[3], 16, "%ld", c->cluster_days);
	snprintf(nums[4], 16, "%ld", c->cluster_bits);
	params[0] = json_string_value(json_object_get(it->petition, "case_id"));
	params[1] = classifier_petitioner_key(it->petition, c->petitioner_key, pkey) ? NULL : pkey;
	params[2] = county;
	params[3] = simhash;
	params[4] = json_string_value(json_object_get(it->petition, "occurred_at"));
	for (int i = 0; i < 5; i++)
		params[5 + i] = nums[i];
	res = pg_query(cl->svc.conn, "SELECT repeat_count, related, cluster_id, cluster_completed"
		       " FROM xf_similar_state($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		       10, params, err);
	if (!res)
		return -1;
	it->repeat_count = atoi(PQgetvalue(res, 0, 0));
	related_parse(it, pg_value(res, 0, 1));
	if (pg_value(res, 0, 2))
		snprintf(it->cluster_id, sizeof it->cluster_id, "%s", PQgetvalue(res, 0, 2));
	it->cluster_completed = !strcmp(PQgetvalue(res, 0, 3), "t");
	PQclear(res);
	return 0;
}

static int history_all(struct classify *cl, struct classify_item *items, size_t n,
		       struct sbuf *err)
{
	if (pg_begin(cl->svc.conn, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].related);
		items[i].related = NULL;
		if (items[i].petition && item_history(cl, &items[i], err))
			return -1;
	}
	return pg_commit(cl->svc.conn, err);
}

static int publish(struct classify *cl, const rd_kafka_message_t *rkm,
		   struct classify_item *it, struct kafka_acks *acks, struct sbuf *err)
{
	struct classifier_history h = { it->repeat_count, it->related,
					it->cluster_id[0] ? it->cluster_id : NULL,
					it->cluster_completed };
	char *text;
	int rc;

	if (!it->petition)
		return svc_dead_letter(&cl->svc, rkm, "bad_petition",
				       "not an xf.petition.v1 object with case_id, region_code and occurred_at",
				       acks, err);
	json_object_set_new(it->petition, "classification",
			    classifier_build(it->petition, &it->text, &h, &cl->cl.risk));
	text = json_dumps(it->petition, JSON_COMPACT);
	rc = kafka_produce(cl->svc.producer, "petition.classified", rkm->key,
			   rkm->key_len, text, strlen(text), NULL, 0, acks, err);
	free(text);
	if (!rc)
		svc_count_out(&cl->svc, "petition.classified", "petition");
	return rc;
}

/* Loads the active keyword set from PostgreSQL when it changed (one small
 * query per batch when it did not); without one, the starter table stays. */
static int keywords_refresh(struct classify *cl, struct sbuf *err)
{
	PGresult *res;

	if (pg_active_doc(cl->svc.conn, "keyword_sets", cl->keywords_sha, &res, err))
		return -1;
	if (!res || !pg_value(res, 0, 1)) { /* none imported, or unchanged */
		PQclear(res);
		return 0;
	}
	if (!classifier_keywords(&cl->cl, PQgetvalue(res, 0, 1), err)) {
		log_info("keywords_loaded", "version=\"%s\"", classifier_keywords_version(&cl->cl));
	} else {
		/* imported sets were checked; keep the table in use and say why */
		log_error("keywords_rejected", "error=\"%s\"", err->buf);
		sbuf_reset(err);
	}
	snprintf(cl->keywords_sha, sizeof cl->keywords_sha, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int classify_batch(void *self, rd_kafka_message_t **msgs, size_t n,
			  struct kafka_acks *acks, struct sbuf *err)
{
	struct classify *cl = self;
	struct classify_item *items;
	int rc;

	if (keywords_refresh(cl, err))
		return SVC_NOT_READY;
	items = calloc(n, sizeof *items);
	if (!items)
		abort();
	for (size_t i = 0; i < n; i++)
		item_prepare(cl, &items[i], msgs[i]);
	rc = history_all(cl, items, n, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = publish(cl, msgs[i], &items[i], acks, err);
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].petition);
		json_decref(items[i].related);
		classifier_text_release(&items[i].text);
	}
	free(items);
	return rc;
}

int classify_init(struct classify *cl, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	static const char *const topics[] = { "petition.received", NULL };

	memset(&cl->cl, 0, sizeof cl->cl);
	cl->keywords_sha[0] = '\0';
	if (svc_init(&cl->svc, "xf-classify", "127.0.0.1:8082", "classify", topics,
		     stop, err))
		return -1;
	if (classifier_init(&cl->cl, cl->svc.conf.model_path, err))
		return -1;
	cl->cl.risk.a_intensity = (int)cl->svc.conf.risk_a_intensity;
	cl->cl.risk.b_intensity = (int)cl->svc.conf.risk_b_intensity;
	cl->cl.risk.b_repeat = (int)cl->svc.conf.risk_b_repeat;
	cl->cl.low_confidence = (double)cl->svc.conf.low_confidence_pct / 100.0;
	log_info("model_loaded", "version=\"%s\" path=\"%s\"", classifier_version(&cl->cl),
		 cl->svc.conf.model_path);
	return 0;
}

int classify_run(struct classify *cl)
{
	return svc_run(&cl->svc, classify_batch, cl);
}

void classify_release(struct classify *cl)
{
	svc_release(&cl->svc);
	classifier_release(&cl->cl);
}
