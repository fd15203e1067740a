/* classify.c - see classify.h. */
#include "classify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "jlimit.h"
#include "log.h"
#include "petitioner.h"
#include "pg.h"
#include "similar.h"
#include "util.h"
#include "xalloc.h"


struct classify_item {
	json_t *petition; /* owned; NULL if unreadable */
	int too_many;     /* unread: more than JLIMIT_VALUES_OURS values */
	struct classifier_text text;
	json_t *related; /* owned */
	int repeat_count;
	char cluster_id[96];
	int cluster_completed;
	char pkey[65], county[7]; /* for the similarity search */
};

/* Parses and text-tags one message; 0, or -1 if it is no petition. */
static int item_prepare(struct classify *cl, struct classify_item *it,
			const rd_kafka_message_t *rkm)
{
	const char *text = rkm->payload ? rkm->payload : "";
	json_t *p = (it->too_many = !jlimit_ok(text, rkm->len, JLIMIT_VALUES_OURS))
			    ? NULL
			    : json_loadb(text, rkm->len, 0, NULL);
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

/* The batch's petitions as the similarity search takes them. */
static size_t history_items(struct classify *cl, struct classify_item *items, size_t n,
			    struct similar_item *sim, size_t *of)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		struct classify_item *it = &items[i];
		const char *region;

		if (!it->petition)
			continue;
		region = json_string_value(json_object_get(it->petition, "region_code"));
		snprintf(it->county, sizeof it->county, "%.6s", region);
		memset(&sim[m], 0, sizeof sim[m]);
		sim[m].case_id = json_string_value(json_object_get(it->petition, "case_id"));
		sim[m].pkey = petitioner_key_of(it->petition, cl->svc.conf.petitioner_key, it->pkey)
				      ? NULL
				      : it->pkey;
		sim[m].county = it->county;
		sim[m].occurred_at = json_string_value(
			json_object_get(it->petition, "occurred_at"));
		sim[m].simhash = it->text.simhash;
		of[m++] = i;
	}
	return m;
}

/* Repeat and cluster state of the batch: one transaction (similar.h). */
static int history_all(struct classify *cl, struct classify_item *items, size_t n, struct sbuf *err)
{
	struct similar_item *sim = xcalloc(n, sizeof *sim);
	size_t *of = xcalloc(n, sizeof *of);
	size_t m;
	int rc;

	m = history_items(cl, items, n, sim, of);
	rc = similar_batch(cl->sim, cl->svc.conn, sim, m, time(NULL), err);
	for (size_t j = 0; j < m; j++) {
		struct classify_item *it = &items[of[j]];

		if (!rc) {
			it->repeat_count = sim[j].repeat_count;
			related_parse(it, sim[j].related);
			if (sim[j].cluster_id)
				snprintf(it->cluster_id, sizeof it->cluster_id, "%s",
					 sim[j].cluster_id);
			it->cluster_completed = sim[j].cluster_completed;
		}
		similar_item_release(&sim[j]);
	}
	free(sim);
	free(of);
	return rc;
}

static int publish(struct classify *cl, const rd_kafka_message_t *rkm, struct classify_item *it,
		   struct kafka_acks *acks, struct sbuf *err)
{
	struct classifier_history h = { it->repeat_count, it->related,
					it->cluster_id[0] ? it->cluster_id : NULL,
					it->cluster_completed };
	char *text;
	int rc;

	if (it->too_many)
		return svc_dead_letter(&cl->svc, rkm, "too_many_values",
				       "more JSON values than a petition may hold", acks, err);
	if (!it->petition)
		return svc_dead_letter(
			&cl->svc, rkm, "bad_petition",
			"not an xf.petition.v1 object with case_id, region_code and occurred_at",
			acks, err);
	json_object_set_new(it->petition, "classification",
			    classifier_build(it->petition, &it->text, &h, &cl->cl.risk));
	text = json_dumps(it->petition, JSON_COMPACT);
	rc = kafka_produce(cl->svc.producer, "petition.classified", rkm->key, rkm->key_len, text,
			   strlen(text), NULL, 0, acks, err);
	free(text);
	if (!rc)
		svc_count_out(&cl->svc, "petition.classified", "petition");
	return rc;
}

/* The classifier's tables kept in PostgreSQL, loaded like one another. */
static const struct doc_table {
	const char *table, *loaded, *rejected;
	int (*load)(struct classifier *cl, const char *json, struct sbuf *err);
	const char *(*version)(const struct classifier *cl);
} doc_tables[CLASSIFY_NDOCS] = {
	{ "keyword_sets", "keywords_loaded", "keywords_rejected", classifier_keywords,
	  classifier_keywords_version },
	{ "policy_sets", "policies_loaded", "policies_rejected", classifier_policies,
	  classifier_policies_version },
};

/* Loads row r of pg_active_docs' answer: a table's active document. */
static void doc_load(struct classify *cl, const PGresult *res, int r, struct sbuf *err)
{
	int i = atoi(PQgetvalue(res, r, 0));
	const struct doc_table *d;

	if (i < 0 || i >= CLASSIFY_NDOCS)
		return;
	d = &doc_tables[i];
	if (!pg_value(res, r, 2)) /* unchanged */
		return;
	if (!d->load(&cl->cl, PQgetvalue(res, r, 2), err)) {
		log_info(d->loaded, LOG_S("version", d->version(&cl->cl)), LOG_END);
	} else {
		/* imported tables were checked; keep the one in use and say why */
		log_error(d->rejected, LOG_S("error", err->buf), LOG_END);
		sbuf_reset(err);
	}
	snprintf(cl->doc_sha[i], sizeof cl->doc_sha[i], "%s", PQgetvalue(res, r, 1));
}

/* Loads the active keyword and policy tables from PostgreSQL when they
 * changed (one small query per batch when they did not); without one, the
 * starter table stays. */
static int tables_refresh(struct classify *cl, struct sbuf *err)
{
	const char *tables[CLASSIFY_NDOCS], *have[CLASSIFY_NDOCS];
	PGresult *res;

	for (int i = 0; i < CLASSIFY_NDOCS; i++) {
		tables[i] = doc_tables[i].table;
		have[i] = cl->doc_sha[i];
	}
	if (pg_active_docs(cl->svc.conn, tables, have, CLASSIFY_NDOCS, &res, err))
		return -1;
	for (int r = 0; r < PQntuples(res); r++)
		doc_load(cl, res, r, err);
	PQclear(res);
	return 0;
}

static int classify_batch(void *self, rd_kafka_message_t **msgs, size_t n, struct kafka_acks *acks,
			  struct sbuf *err)
{
	struct classify *cl = self;
	struct classify_item *items;
	int rc;

	if (tables_refresh(cl, err))
		return SVC_NOT_READY;
	items = xcalloc(n, sizeof *items);
	for (size_t i = 0; i < n; i++)
		item_prepare(cl, &items[i], msgs[i]);
	rc = history_all(cl, items, n, err);
	metrics_set(metrics_get(cl->svc.metrics, "xf_similar_cached_rows",
				"Petitions held in memory for the near-duplicate search",
				METRICS_GAUGE, NULL),
		    (double)similar_cached_rows(cl->sim));
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
	memset(cl->doc_sha, 0, sizeof cl->doc_sha);
	cl->sim = NULL;
	if (svc_init(&cl->svc, "xf-classify", "127.0.0.1:8082", "classify", topics, stop, err))
		return -1;
	cl->sim = similar_new(&(struct similar_conf){
		cl->svc.conf.repeat_days, cl->svc.conf.repeat_bits, cl->svc.conf.cluster_n,
		cl->svc.conf.cluster_days, cl->svc.conf.cluster_bits });
	if (classifier_init(&cl->cl, cl->svc.conf.model_path, err))
		return -1;
	cl->cl.risk.a_intensity = (int)cl->svc.conf.risk_a_intensity;
	cl->cl.risk.b_intensity = (int)cl->svc.conf.risk_b_intensity;
	cl->cl.risk.b_repeat = (int)cl->svc.conf.risk_b_repeat;
	cl->cl.low_confidence = (double)cl->svc.conf.low_confidence_pct / 100.0;
	log_info("model_loaded", LOG_S("version", classifier_version(&cl->cl)),
		 LOG_S("path", cl->svc.conf.model_path), LOG_END);
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
	similar_free(cl->sim);
	cl->sim = NULL;
}
