/* outbox.c - see outbox.h. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "xalloc.h"

void outbox_add(struct outbox *ob, const char *topic, const char *key, char *value)
{
	XALLOC_GROW(ob->v, ob->n, ob->alloc, 64);
	ob->v[ob->n].topic = xstrdup(topic);
	ob->v[ob->n].key = xstrdup(key);
	ob->v[ob->n++].value = value; /* taken */
}

void outbox_release(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++) {
		free(ob->v[i].topic);
		free(ob->v[i].key);
		free(ob->v[i].value);
	}
	free(ob->v);
	memset(ob, 0, sizeof *ob);
}

json_t *outbox_json(const struct outbox *ob, size_t from)
{
	json_t *arr = json_array();

	for (size_t i = from; i < ob->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "topic", ob->v[i].topic,
						     "key", ob->v[i].key, "value", ob->v[i].value));
	return arr;
}

void outbox_add_json(struct outbox *ob, json_t *arr)
{
	size_t i;
	json_t *m;

	json_array_foreach(arr, i, m)
	{
		const char *topic = json_string_value(json_object_get(m, "topic"));
		const char *key = json_string_value(json_object_get(m, "key"));
		const char *value = json_string_value(json_object_get(m, "value"));

		if (topic && key && value)
			outbox_add(ob, topic, key, xstrdup(value));
	}
}

static int produce_one(struct svc *svc, const char *topic, const char *key, const char *value,
		       const char *what, struct kafka_acks *acks, struct sbuf *err)
{
	if (kafka_produce(svc->producer, topic, key, strlen(key), value, strlen(value), NULL, 0,
			  acks, err))
		return -1;
	svc_count_out(svc, strncmp(topic, "assignments.", 12) ? topic : "assignments", what);
	return 0;
}

int outbox_produce(struct svc *svc, const struct outbox *ob, const char *what,
		   struct kafka_acks *acks, struct sbuf *err)
{
	for (size_t i = 0; i < ob->n; i++)
		if (produce_one(svc, ob->v[i].topic, ob->v[i].key, ob->v[i].value, what, acks, err))
			return -1;
	return 0;
}

/* Produces the rows and waits until the broker has them all. */
static int flush_rows(struct svc *svc, const PGresult *res, struct sbuf *err)
{
	struct kafka_acks acks = { 0, 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR };
	int rc = 0;

	for (int i = 0; !rc && i < PQntuples(res); i++)
		rc = produce_one(svc, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				 PQgetvalue(res, i, 3), "timer", &acks, err);
	if (!rc && PQntuples(res))
		rc = kafka_acks_wait(svc->producer, &acks, 120000, err);
	while (acks.done < acks.sent)
		rd_kafka_poll(svc->producer, 100);
	return rc;
}

int outbox_flush(struct svc *svc, struct sbuf *err)
{
	PGresult *res;
	int rc, n;

	if (pg_begin(svc->conn, err))
		return -1;
	res = pg_query(svc->conn,
		       "SELECT id, topic, key, value FROM outbox ORDER BY id"
		       " LIMIT 1000 FOR UPDATE SKIP LOCKED",
		       0, NULL, err);
	if (!res) {
		pg_rollback(svc->conn);
		return -1;
	}
	rc = flush_rows(svc, res, err);
	if (!rc && PQntuples(res)) {
		const char *params[1] = { PQgetvalue(res, PQntuples(res) - 1, 0) };

		rc = pg_exec(svc->conn,
			     "DELETE FROM outbox WHERE id <= $1 AND id IN"
			     " (SELECT id FROM outbox WHERE id <= $1 FOR UPDATE SKIP LOCKED)",
			     1, params, err);
	}
	n = PQntuples(res);
	PQclear(res);
	if (rc) {
		pg_rollback(svc->conn);
		return -1;
	}
	return pg_commit(svc->conn, err) ? -1 : n;
}
