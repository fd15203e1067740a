/* chain.c - see chain.h. */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char chain_genesis[65] = "0000000000000000000000000000000000000000000000000000000000000000";

void chain_seal(struct chain_event *ev, const char *case_id, int seq, const char *type,
		const char *at, json_t *data, const char *prev_hash)
{
	json_t *msg = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:s}", "schema", "xf.case_event.v1",
				"case_id", case_id, "seq", seq, "type", type, "at", at, "data",
				data ? data : json_object(), "prev_hash", prev_hash);

	ev->body = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(ev->body, strlen(ev->body), ev->hash);
	json_object_set_new(msg, "hash", json_string(ev->hash));
	ev->message = msg;
}

/* s as jansson writes a string with no flags (valid UTF-8 in, raw out). */
static void str_json(struct sbuf *out, const char *s)
{
	size_t from = 0, i;

	sbuf_addch(out, '"');
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(out, s + from, i - from);
		sbuf_addch(out, '\\');
		if (c == '"' || c == '\\')
			sbuf_addch(out, (char)c);
		else if (c >= '\b' && c <= '\r' && c != '\v')
			sbuf_addch(out, "btn?fr"[c - '\b']);
		else
			sbuf_addf(out, "u%04X", c);
		from = i + 1;
	}
	sbuf_add(out, s + from, i - from);
	sbuf_addch(out, '"');
}

/* "key":value, the value a JSON string or (raw) given text. */
static void member(struct sbuf *out, const char *key, const char *s, const char *raw)
{
	if (out->len > 1)
		sbuf_addch(out, ',');
	sbuf_addch(out, '"');
	sbuf_adds(out, key);
	sbuf_adds(out, "\":");
	if (raw)
		sbuf_adds(out, raw);
	else
		str_json(out, s);
}

void chain_seal_text(struct chain_event *ev, char **message, const char *case_id, int seq,
		     const char *type, const char *at, json_t *data, const char *prev_hash)
{
	struct sbuf b = SBUF_INIT, m = SBUF_INIT;
	char *sorted = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *plain = data ? json_dumps(data, JSON_COMPACT) : NULL;
	char seqs[16];

	snprintf(seqs, sizeof seqs, "%d", seq);
	sbuf_addch(&b, '{'); /* keys sorted */
	member(&b, "at", at, NULL);
	member(&b, "case_id", case_id, NULL);
	member(&b, "data", NULL, sorted ? sorted : "{}");
	member(&b, "prev_hash", prev_hash, NULL);
	member(&b, "schema", "xf.case_event.v1", NULL);
	member(&b, "seq", NULL, seqs);
	member(&b, "type", type, NULL);
	sbuf_addch(&b, '}');
	ev->body = sbuf_detach(&b, NULL);
	sha256_hex(ev->body, strlen(ev->body), ev->hash);
	ev->message = NULL;
	sbuf_addch(&m, '{'); /* as chain_seal() builds the message */
	member(&m, "schema", "xf.case_event.v1", NULL);
	member(&m, "case_id", case_id, NULL);
	member(&m, "seq", NULL, seqs);
	member(&m, "type", type, NULL);
	member(&m, "at", at, NULL);
	member(&m, "data", NULL, plain ? plain : "{}");
	member(&m, "prev_hash", prev_hash, NULL);
	member(&m, "hash", ev->hash, NULL);
	sbuf_addch(&m, '}');
	*message = sbuf_detach(&m, NULL);
	free(sorted);
	free(plain);
	json_decref(data);
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
