/* dlq.c - see dlq.h. */
#include "dlq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "pg.h"
#include "util.h"
#include "xalloc.h"

size_t dlq_value_room(long max_msg, size_t fixed)
{
	size_t room;

	if (max_msg <= 0 || (size_t)max_msg <= fixed + DLQ_FRAMING)
		return 0;
	room = (size_t)max_msg - fixed - DLQ_FRAMING;
	return room < DLQ_VALUE_MAX ? room : DLQ_VALUE_MAX;
}

void dlq_clip_text(struct sbuf *out, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0, used = 0;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_decode(s + i, n - i, &cp);
		unsigned char c = (unsigned char)s[i];

		if (used + (len ? len : 1) > max)
			break;
		if (!len)
			sbuf_addch(out, '?');
		else if (len == 1 && (c < 0x20 || c == 0x7f))
			sbuf_addch(out, ' ');
		else
			sbuf_add(out, s + i, len);
		used += len ? len : 1;
		i += len ? len : 1;
	}
}

void dlq_hex(struct sbuf *out, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	sbuf_grow(out, 2 * len);
	for (size_t i = 0; i < len; i++) {
		out->buf[out->len++] = digits[p[i] >> 4];
		out->buf[out->len++] = digits[p[i] & 15];
	}
	out->buf[out->len] = '\0';
}

/* A new JSON string of data[0..len) in base64. */
static json_t *base64(const void *data, size_t len)
{
	unsigned char *b64 = xmalloc(4 * (len / 3 + 1) + 1);
	json_t *s;

	EVP_EncodeBlock(b64, data, (int)len);
	s = json_string((const char *)b64);
	free(b64);
	return s;
}

/* The message's headers as [[name, value], ...] in base64 (NULL: none). */
static char *headers_json(const rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *hdrs;
	const char *name;
	const void *val;
	size_t size;
	json_t *arr;
	char *text;

	if (rd_kafka_message_headers(rkm, &hdrs) || !rd_kafka_header_cnt(hdrs))
		return NULL;
	arr = json_array();
	for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++)
		json_array_append_new(arr, json_pack("[o, o]", base64(name, strlen(name)),
						     val ? base64(val, size) : json_null()));
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return text;
}

static const char store_sql[] =
	"INSERT INTO dead_letters AS d (service, source_topic, source_partition,"
	" source_offset, key, headers, reason, error, original, size, sha256)"
	" VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6::jsonb, $7, $8,"
	" decode($9, 'hex'), $10, $11)"
	" ON CONFLICT (service, source_topic, source_partition, source_offset)"
	" DO UPDATE SET reason = d.reason RETURNING id"; /* the row's id either way */

/* Runs store_sql for dl with key, value and headers already encoded. */
static PGresult *store_query(PGconn *conn, struct dlq_letter *dl, const char *key, const char *val,
			     const char *hdrs, struct sbuf *err)
{
	const rd_kafka_message_t *rkm = dl->rkm;
	struct sbuf why = SBUF_INIT;
	char part[16], off[32], size[32];
	const char *params[11] = { dl->service, rd_kafka_topic_name(rkm->rkt),
				   part,        off,
				   key,         hdrs,
				   dl->code,    NULL,
				   val,         size,
				   dl->sha256 };
	PGresult *res;

	snprintf(part, sizeof part, "%d", (int)rkm->partition);
	snprintf(off, sizeof off, "%lld", (long long)rkm->offset);
	snprintf(size, sizeof size, "%zu", rkm->len);
	sha256_hex(rkm->payload ? rkm->payload : "", rkm->len, dl->sha256);
	dlq_clip_text(&why, dl->why, (size_t)-1); /* text PostgreSQL takes */
	params[7] = why.buf;
	res = pg_query(conn, store_sql, 11, params, err);
	sbuf_release(&why);
	return res;
}

int dlq_store(PGconn *conn, struct dlq_letter *dl, struct sbuf *err)
{
	const rd_kafka_message_t *rkm = dl->rkm;
	struct sbuf key = SBUF_INIT, val = SBUF_INIT;
	char *hdrs = headers_json(rkm);
	PGresult *res;

	dlq_hex(&key, rkm->key ? rkm->key : "", rkm->key_len);
	dlq_hex(&val, rkm->payload ? rkm->payload : "", rkm->len);
	res = store_query(conn, dl, rkm->key ? key.buf : NULL, val.buf, hdrs, err);
	if (res)
		dl->id = strtoll(pg_value(res, 0, 0), NULL, 10);
	PQclear(res);
	free(hdrs);
	sbuf_release(&key);
	sbuf_release(&val);
	return res ? 0 : -1;
}

/* The producer's message.max.bytes (librdkafka's default if unreadable). */
static long producer_max(rd_kafka_t *rk)
{
	char buf[32];
	size_t size = sizeof buf;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "message.max.bytes", buf, &size) !=
	    RD_KAFKA_CONF_OK)
		return 1000000;
	return strtol(buf, NULL, 10);
}

/* The copy's headers; values point into h or dl. */
#define DLQ_NHDRS 10
struct dlq_hdrs {
	struct kafka_hdr h[DLQ_NHDRS];
	size_t n;
	char part[16], off[32], bytes[32], id[32];
	struct sbuf why;
};

static void hdrs_fill(struct dlq_hdrs *h, const struct dlq_letter *dl)
{
	const rd_kafka_message_t *rkm = dl->rkm;

	snprintf(h->part, sizeof h->part, "%d", (int)rkm->partition);
	snprintf(h->off, sizeof h->off, "%lld", (long long)rkm->offset);
	snprintf(h->bytes, sizeof h->bytes, "%zu", rkm->len);
	snprintf(h->id, sizeof h->id, "%lld", dl->id);
	sbuf_init(&h->why, 0);
	dlq_clip_text(&h->why, dl->why, DLQ_ERROR_MAX);
	h->h[0] = (struct kafka_hdr){ "xf-error-code", dl->code };
	h->h[1] = (struct kafka_hdr){ "xf-error", h->why.buf };
	h->h[2] = (struct kafka_hdr){ "xf-service", dl->service };
	h->h[3] = (struct kafka_hdr){ "xf-source-topic", rd_kafka_topic_name(rkm->rkt) };
	h->h[4] = (struct kafka_hdr){ "xf-source-partition", h->part };
	h->h[5] = (struct kafka_hdr){ "xf-source-offset", h->off };
	h->h[6] = (struct kafka_hdr){ "xf-original-bytes", h->bytes };
	h->h[7] = (struct kafka_hdr){ "xf-original-sha256", dl->sha256 };
	h->h[8] = (struct kafka_hdr){ "xf-dlq-id", h->id };
	h->n = 9;
}

/* Bytes the headers take on the wire, with xf-truncated and varints. */
static size_t hdrs_size(const struct dlq_hdrs *h)
{
	size_t n = strlen("xf-truncated") + strlen("true") + 10;

	for (size_t i = 0; i < h->n; i++)
		n += strlen(h->h[i].name) + strlen(h->h[i].value) + 10;
	return n;
}

int dlq_produce(rd_kafka_t *rk, const struct dlq_letter *dl, struct kafka_acks *acks,
		struct sbuf *err)
{
	const rd_kafka_message_t *rkm = dl->rkm;
	size_t keylen = rkm->key_len < DLQ_KEY_MAX ? rkm->key_len : DLQ_KEY_MAX;
	struct dlq_hdrs h;
	size_t len;
	int rc;

	hdrs_fill(&h, dl);
	len = dlq_value_room(producer_max(rk), keylen + hdrs_size(&h));
	if (len > rkm->len)
		len = rkm->len;
	if (len < rkm->len || keylen < rkm->key_len)
		h.h[h.n++] = (struct kafka_hdr){ "xf-truncated", "true" };
	rc = kafka_produce(rk, DLQ_TOPIC, rkm->key, keylen, rkm->payload, len, h.h, h.n, acks, err);
	sbuf_release(&h.why);
	return rc;
}
