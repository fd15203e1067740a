/* sender.c - who sent a department.feedback message (sender.h). */
#include "sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "xalloc.h"

struct sender_key {
	char *code;
	enum sender_kind kind;
	const char *name; /* the variable, borrowed from names */
	char *secret;     /* NULL: none named, or it did not resolve */
};

struct sender_keys {
	struct sender_key *v; /* sorted by code */
	size_t n;
	char **names; /* owned copies of the variable names */
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sender_key *)a)->code, ((const struct sender_key *)b)->code);
}

static void key_add(struct sender_keys *k, const char *code, enum sender_kind kind,
		    const char *name, int development)
{
	struct sender_key *e = &k->v[k->n];

	e->code = xstrdup(code);
	e->kind = kind;
	if (name) {
		e->name = k->names[k->n] = xstrdup(name);
		e->secret = cfg_secret_read(name);
		if (!e->secret)
			log_error("feedback_secret_missing", LOG_S("sender", code),
				  LOG_S("name", name), LOG_END);
		if (e->secret && !development && strlen(e->secret) < CFG_SECRET_MIN) {
			log_error("feedback_secret_short", LOG_S("sender", code),
				  LOG_S("name", name), LOG_I("min_bytes", CFG_SECRET_MIN), LOG_END);
			free(e->secret);
			e->secret = NULL;
		}
	}
	k->n++;
}

struct sender_keys *sender_keys_new(const struct rules_set *rs, int development)
{
	struct sender_keys *k = xcalloc(1, sizeof *k);
	size_t n = rs->ndepts + rs->ncitizen_side;

	k->v = xcalloc(n + 1, sizeof *k->v);
	k->names = xcalloc(n + 1, sizeof *k->names);
	for (size_t i = 0; i < rs->ndepts; i++)
		key_add(k, rs->depts[i].code, SENDER_DEPARTMENT, rs->depts[i].feedback_secret,
			development);
	for (size_t i = 0; i < rs->ncitizen_side; i++)
		key_add(k, rs->citizen_side[i].code, SENDER_CITIZEN_SIDE,
			rs->citizen_side[i].feedback_secret, development);
	qsort(k->v, k->n, sizeof *k->v, key_cmp);
	return k;
}

void sender_keys_free(struct sender_keys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].code);
		free(k->names[i]);
		if (k->v[i].secret)
			explicit_bzero(k->v[i].secret, strlen(k->v[i].secret));
		free(k->v[i].secret);
	}
	free(k->v);
	free(k->names);
	free(k);
}

static const struct sender_key *key_find(const struct sender_keys *k, const char *code)
{
	struct sender_key want = { .code = (char *)code };

	return k ? bsearch(&want, k->v, k->n, sizeof *k->v, key_cmp) : NULL;
}

/* Header name of rkm as a string in out (outsz): "" if absent; -1 if too long or holding a NUL. */
static int header_str(const rd_kafka_message_t *rkm, const char *name, char *out, size_t outsz)
{
	rd_kafka_headers_t *hdrs;
	const void *val;
	size_t size;

	out[0] = '\0';
	if (rd_kafka_message_headers(rkm, &hdrs) ||
	    rd_kafka_header_get_last(hdrs, name, &val, &size))
		return 0;
	if (!val || size >= outsz || memchr(val, '\0', size))
		return -1;
	memcpy(out, val, size);
	out[size] = '\0';
	return 0;
}

void sender_hdrs_read(const rd_kafka_message_t *rkm, struct sender_hdrs *h)
{
	h->unusable = header_str(rkm, "xf-sender", h->sender, sizeof h->sender) ||
		      header_str(rkm, "xf-signature", h->signature, sizeof h->signature);
}

/* A sender code has a department code's form: 1 to 64 of [a-z0-9._-]. */
static int code_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-");

	return n >= 1 && n <= RULES_CODE_MAX && !s[n];
}

/* Compares two signatures of FEEDBACK_SIG_LEN - 1 characters in constant time. */
static int sig_equal(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < FEEDBACK_SIG_LEN - 1; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int verify(const struct sender_keys *k, const char *sig, const void *value, size_t len,
		  struct sender *out, char *why, size_t whysz)
{
	const struct sender_key *key = key_find(k, out->code);
	char want[FEEDBACK_SIG_LEN];

	if (!out->code[0])
		snprintf(why, whysz, "xf-signature without xf-sender");
	else if (!key)
		snprintf(why, whysz, "sender %s is no department or citizen_side sender",
			 out->code);
	else if (!key->secret && key->name)
		snprintf(why, whysz, "the key of sender %s (%s) is not set, or too short",
			 out->code, key->name);
	else if (!key->secret)
		snprintf(why, whysz, "sender %s has no feedback_secret in the rules", out->code);
	else if (strlen(sig) != FEEDBACK_SIG_LEN - 1 || strncmp(sig, "v1=", 3))
		snprintf(why, whysz, "xf-signature of %s is not v1=<64 hex digits>", out->code);
	if (why[0])
		return SENDER_REFUSED;
	feedback_signature(key->secret, out->code, value ? value : "", len, want);
	if (!sig_equal(sig, want)) {
		snprintf(why, whysz, "the signature does not match sender %s's key", out->code);
		return SENDER_REFUSED;
	}
	out->kind = key->kind;
	out->verified = 1;
	return 0;
}

int sender_identify(const struct sender_keys *k, const struct sender_hdrs *h, const void *value,
		    size_t len, const char *claimed_dept, int development, struct sender *out,
		    char *why, size_t whysz)
{
	const struct sender_key *key;

	memset(out, 0, sizeof *out);
	why[0] = '\0';
	if (h && (h->unusable || (h->sender[0] && !code_valid(h->sender)))) {
		snprintf(why, whysz,
			 "xf-sender or xf-signature is not usable (a code of a-z, 0-9, "
			 "'.', '_', '-'; v1=<64 hex digits>)");
		return SENDER_REFUSED;
	}
	if (h)
		snprintf(out->code, sizeof out->code, "%s", h->sender);
	if (h && h->signature[0])
		return verify(k, h->signature, value, len, out, why, whysz);
	if (!development) {
		snprintf(why, whysz,
			 "unsigned: department.feedback needs the headers xf-sender and "
			 "xf-signature");
		return SENDER_REFUSED;
	}
	if (!out->code[0] && claimed_dept && strlen(claimed_dept) < sizeof out->code)
		snprintf(out->code, sizeof out->code, "%s", claimed_dept);
	key = key_find(k, out->code);
	out->kind = key ? key->kind : SENDER_UNKNOWN;
	return 0;
}
