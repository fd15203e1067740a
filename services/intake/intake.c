/* intake.c - see intake.h. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jschema.h"
#include "log.h"
#include "pg.h"
#include "petitioner.h"
#include "querycode.h"
#include "util.h"
#include "validate.h"
#include "xalloc.h"

json_t *intake_receipt(const char *source_system, const char *external_id, const char *status,
		       const char *case_id, json_t *errors)
{
	json_t *r = json_pack("{s:s, s:s?, s:s?, s:s}", "schema", "xf.receipt.v1", "source_system",
			      source_system, "external_id", external_id, "status", status);

	if (!source_system)
		json_object_set_new(r, "source_system", json_null());
	if (!external_id)
		json_object_set_new(r, "external_id", json_null());
	if (case_id)
		json_object_set_new(r, "case_id", json_string(case_id));
	if (errors)
		json_object_set(r, "errors", errors);
	return r;
}

json_t *intake_petition(json_t *event, const char *case_id, const char *received_at,
			const char *petitioner_key)
{
	json_t *p = json_deep_copy(event);

	petitioner_strip(p, petitioner_key);

	json_object_set_new(p, "schema", json_string("xf.petition.v1"));
	json_object_set_new(p, "case_id", json_string(case_id));
	json_object_set_new(p, "received_at", json_string(received_at));
	return p;
}

/* Serialises j (stealing the reference) and produces it; kind is for metrics. */
static int emit(struct intake *in, const char *topic, const char *key, json_t *j, const char *kind,
		struct kafka_acks *acks, struct sbuf *err)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc = kafka_produce(in->svc.producer, topic, key, strlen(key), text, strlen(text), NULL,
			       0, acks, err);

	free(text);
	json_decref(j);
	if (!rc)
		svc_count_out(&in->svc, topic, kind);
	return rc;
}

static int emit_receipt(struct intake *in, const struct intake_verdict *v, const char *status,
			const char *case_id, struct kafka_acks *acks, struct sbuf *err)
{
	json_t *r = intake_receipt(v->source_system, v->external_id, status, case_id,
				   case_id ? NULL : v->errors);
	struct sbuf key = SBUF_INIT;
	char code[QUERY_CODE_LEN + 1];
	int rc;

	if (case_id) { /* printed with the case id, for the citizen's lookups */
		query_code(in->svc.conf.query_key, case_id, code);
		json_object_set_new(r, "query_code", json_string(code));
	}
	sbuf_addf(&key, "%s/%s", v->source_system ? v->source_system : "",
		  v->external_id ? v->external_id : "");
	rc = emit(in, "petition.receipts", key.buf, r, status, acks, err);
	sbuf_release(&key);
	return rc;
}

static int reject(struct intake *in, const rd_kafka_message_t *rkm, const struct intake_verdict *v,
		  struct kafka_acks *acks, struct sbuf *err)
{
	char *why = intake_errors_text(v);
	int rc = svc_dead_letter(&in->svc, rkm, intake_first_code(v), why, acks, err);

	free(why);
	return rc ? rc : emit_receipt(in, v, "rejected", NULL, acks, err);
}

/* What PostgreSQL said of one valid event. */
struct intake_item {
	struct intake_verdict v;
	const char *case_id, *status, *received_at; /* point into the batch's result */
};

/* The batch's valid events as xf_intake_keys wants them (a new reference). */
static json_t *keys_param(rd_kafka_message_t **msgs, const struct intake_item *items, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct intake_verdict *v = &items[i].v;
		const char *region;

		if (json_array_size(v->errors))
			continue;
		region = json_string_value(json_object_get(v->event, "region_code"));
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s%, s:s, s:i, s:I}", "i",
						     (json_int_t)i, "system", v->source_system,
						     "external_id", v->external_id, "county",
						     region, (size_t)6, "topic",
						     rd_kafka_topic_name(msgs[i]->rkt), "partition",
						     (int)msgs[i]->partition, "offset",
						     (json_int_t)msgs[i]->offset));
	}
	return arr;
}

/* Points each valid item at its row of res (rows: i, case_id, status, received_at). */
static int keys_take(PGresult *res, struct intake_item *items, size_t n, size_t want,
		     struct sbuf *err)
{
	int rows = PQntuples(res);

	if ((size_t)rows != want) {
		sbuf_addf(err, "intake keys: %d rows for %zu events", rows, want);
		return -1;
	}
	for (int r = 0; r < rows; r++) {
		unsigned long i = strtoul(pg_value(res, r, 0), NULL, 10);
		struct intake_item *it = &items[i < n ? i : 0];

		if (i >= n || it->status) {
			sbuf_addf(err, "intake keys: element %lu unknown or answered twice", i);
			return -1;
		}
		it->case_id = pg_value(res, r, 1);
		it->status = pg_value(res, r, 2);
		it->received_at = pg_value(res, r, 3);
	}
	return 0;
}

/*
 * The batch's PostgreSQL work: one statement (none when nothing is valid)
 * giving every valid event its case id and status. *res holds the values
 * the items point into; the caller PQclear()s it.
 */
static int keys_resolve(struct intake *in, rd_kafka_message_t **msgs, struct intake_item *items,
			size_t n, PGresult **res, struct sbuf *err)
{
	json_t *arr = keys_param(msgs, items, n);
	size_t want = json_array_size(arr);
	char day[9], *text;
	const char *params[2] = { NULL, day };

	if (!want) {
		json_decref(arr);
		return 0;
	}
	time_day_cst(time(NULL), day);
	params[0] = text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	*res = pg_query(in->svc.conn,
			"SELECT i, case_id, status, received_at"
			" FROM xf_intake_keys($1::jsonb, $2)",
			2, params, err);
	free(text);
	return *res ? keys_take(*res, items, n, want, err) : -1;
}

static int publish(struct intake *in, const rd_kafka_message_t *rkm, const struct intake_item *it,
		   struct kafka_acks *acks, struct sbuf *err)
{
	json_t *p;

	if (json_array_size(it->v.errors))
		return reject(in, rkm, &it->v, acks, err);
	if (!strcmp(it->status, "duplicate"))
		return emit_receipt(in, &it->v, "duplicate", it->case_id, acks, err);
	/* new, or the same event again after a crash: publish both again */
	p = intake_petition(it->v.event, it->case_id, it->received_at, in->svc.conf.petitioner_key);
	if (emit(in, "petition.received", it->case_id, p, "petition", acks, err))
		return -1;
	return emit_receipt(in, &it->v, "accepted", it->case_id, acks, err);
}

static int intake_batch(void *self, rd_kafka_message_t **msgs, size_t n, struct kafka_acks *acks,
			struct sbuf *err)
{
	struct intake *in = self;
	struct intake_item *items = xcalloc(n, sizeof *items);
	PGresult *res = NULL;
	int rc;

	for (size_t i = 0; i < n; i++)
		intake_validate(in->schemas, msgs[i]->payload ? msgs[i]->payload : "", msgs[i]->len,
				&items[i].v);
	rc = keys_resolve(in, msgs, items, n, &res, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = publish(in, msgs[i], &items[i], acks, err);
	for (size_t i = 0; i < n; i++)
		intake_verdict_release(&items[i].v);
	PQclear(res);
	free(items);
	return rc;
}

int intake_init(struct intake *in, const volatile sig_atomic_t *stop, struct sbuf *err)
{
	static const char *const topics[] = { "hotline.events", NULL };

	memset(in, 0, sizeof *in);
	if (!(in->schemas = intake_schemas_new(err)))
		return -1;
	return svc_init(&in->svc, "xf-intake", "127.0.0.1:8081", "intake", topics, stop, err);
}

int intake_run(struct intake *in)
{
	return svc_run(&in->svc, intake_batch, in);
}

void intake_release(struct intake *in)
{
	svc_release(&in->svc);
	jschema_set_free(in->schemas);
	in->schemas = NULL;
}
