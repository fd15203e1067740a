/* chain.c - see chain.h. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char chain_genesis[65] =
	"0000000000000000000000000000000000000000000000000000000000000000";

void chain_seal(struct chain_event *ev, const char *case_id, int seq,
		const char *type, const char *at, json_t *data,
		const char *prev_hash)
{
	json_t *msg = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:s}",
				"schema", "xf.case_event.v1", "case_id", case_id,
				"seq", seq, "type", type, "at", at,
				"data", data ? data : json_object(),
				"prev_hash", prev_hash);

	ev->body = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(ev->body, strlen(ev->body), ev->hash);
	json_object_set_new(msg, "hash", json_string(ev->hash));
	ev->message = msg;
}

void chain_event_release(struct chain_event *ev)
{
	free(ev->body);
	json_decref(ev->message);
	memset(ev, 0, sizeof *ev);
}

static const char *str_or_empty(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

int chain_check(const char *case_id, int seq, const char *body, const char *hash,
		const char *prev_hash, struct sbuf *err)
{
	json_t *j = json_loads(body, 0, NULL);
	char got[65];
	int rc = -1;

	sha256_hex(body, strlen(body), got);
	if (strcmp(got, hash))
		sbuf_addf(err, "event %d: body does not hash to its stored hash", seq);
	else if (!j)
		sbuf_addf(err, "event %d: body is not JSON", seq);
	else if (strcmp(str_or_empty(j, "case_id"), case_id) ||
		 json_integer_value(json_object_get(j, "seq")) != seq)
		sbuf_addf(err, "event %d: body names another case or position", seq);
	else if (strcmp(str_or_empty(j, "prev_hash"), prev_hash))
		sbuf_addf(err, "event %d: prev_hash does not match the event before", seq);
	else
		rc = 0;
	json_decref(j);
	return rc;
}
