/* Unit tests for domain/chain.c: the audit chain of a case. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chain.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

#define CASE "XF-330381-20261122-000123"
#define AT "2026-11-22T10:00:00+08:00"

static void t_genesis(void)
{
	T_INTEQ(strlen(chain_genesis), 64);
	T_INTEQ(strspn(chain_genesis, "0"), 64);
}

/* The body is canonical (sorted, compact) and hashed; the message adds hash. */
static void t_seal(void)
{
	struct chain_event ev;
	char want[65];
	json_t *body;

	chain_seal(&ev, CASE, 1, "received", AT,
		   json_pack("{s:s, s:s}", "source_system", "wz12345", "channel", "hotline"),
		   chain_genesis);
	T_STREQ(ev.body,
		"{\"at\":\"" AT "\",\"case_id\":\"" CASE "\","
		"\"data\":{\"channel\":\"hotline\",\"source_system\":\"wz12345\"},"
		"\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"schema\":\"xf.case_event.v1\",\"seq\":1,\"type\":\"received\"}");
	sha256_hex(ev.body, strlen(ev.body), want);
	T_STREQ(ev.hash, want);
	body = json_loads(ev.body, 0, NULL);
	if (T_CHECK(body != NULL))
		T_CHECK(json_object_get(body, "hash") == NULL);
	T_STREQ(json_string_value(json_object_get(ev.message, "hash")), ev.hash);
	T_STREQ(json_string_value(json_object_get(ev.message, "schema")), "xf.case_event.v1");
	T_STREQ(json_string_value(json_object_get(ev.message, "case_id")), CASE);
	T_INTEQ(json_integer_value(json_object_get(ev.message, "seq")), 1);
	T_STREQ(json_string_value(json_object_get(ev.message, "type")), "received");
	T_STREQ(json_string_value(json_object_get(ev.message, "at")), AT);
	T_STREQ(json_string_value(json_object_get(ev.message, "prev_hash")), chain_genesis);
	/* the message without hash is the body */
	json_object_del(ev.message, "hash");
	T_CHECK(json_equal(ev.message, body));
	json_decref(body);
	chain_event_release(&ev);
	T_CHECK(ev.body == NULL && ev.message == NULL);
}

static void t_seal_null_data(void)
{
	struct chain_event ev;

	chain_seal(&ev, CASE, 2, "classified", AT, NULL, chain_genesis);
	T_CHECK(strstr(ev.body, "\"data\":{}") != NULL);
	T_CHECK(json_is_object(json_object_get(ev.message, "data")));
	T_INTEQ(json_object_size(json_object_get(ev.message, "data")), 0);
	chain_event_release(&ev);
}

/* The same event seals to the same hash; any field changes it. */
static void t_deterministic(void)
{
	struct chain_event a, b, c, d;

	chain_seal(&a, CASE, 1, "received", AT, json_pack("{s:i}", "n", 1), chain_genesis);
	chain_seal(&b, CASE, 1, "received", AT, json_pack("{s:i}", "n", 1), chain_genesis);
	chain_seal(&c, CASE, 1, "received", AT, json_pack("{s:i}", "n", 2), chain_genesis);
	chain_seal(&d, CASE, 1, "received", AT, json_pack("{s:i}", "n", 1), a.hash);
	T_STREQ(a.hash, b.hash);
	T_STREQ(a.body, b.body);
	T_CHECK(strcmp(a.hash, c.hash) != 0);
	T_CHECK(strcmp(a.hash, d.hash) != 0);
	chain_event_release(&a);
	chain_event_release(&b);
	chain_event_release(&c);
	chain_event_release(&d);
}

/* Three linked events, each checked against the one before. */
static void t_check_ok(void)
{
	static const char *const types[] = { "received", "classified", "assigned" };
	struct chain_event ev[3];
	struct sbuf err = SBUF_INIT;
	const char *prev = chain_genesis;

	for (int i = 0; i < 3; i++) {
		chain_seal(&ev[i], CASE, i + 1, types[i], AT, NULL, prev);
		prev = ev[i].hash;
	}
	prev = chain_genesis;
	for (int i = 0; i < 3; i++) {
		T_INTEQ(chain_check(CASE, i + 1, ev[i].body, ev[i].hash, prev, &err), 0);
		prev = ev[i].hash;
	}
	T_STREQ(err.buf, "");
	T_INTEQ(chain_check(CASE, 1, ev[0].body, ev[0].hash, chain_genesis, NULL), 0);
	for (int i = 0; i < 3; i++)
		chain_event_release(&ev[i]);
	sbuf_release(&err);
}

static void expect_check(const char *case_id, int seq, const char *body, const char *hash,
			 const char *prev, const char *want)
{
	struct sbuf err = SBUF_INIT;

	T_INTEQ(chain_check(case_id, seq, body, hash, prev, &err), -1);
	T_STREQ(err.buf, want);
	T_INTEQ(chain_check(case_id, seq, body, hash, prev, NULL), -1); /* no buffer */
	sbuf_release(&err);
}

static void t_tampered_body(void)
{
	struct chain_event ev;
	char *body, *p;

	chain_seal(&ev, CASE, 1, "received", AT, json_pack("{s:s}", "dept", "ruian-rsj"),
		   chain_genesis);
	body = strdup(ev.body);
	p = strstr(body, "ruian-rsj");
	if (T_CHECK(p != NULL)) {
		memcpy(p, "ruian-zjj", 9);
		expect_check(CASE, 1, body, ev.hash, chain_genesis,
			     "event 1: body does not hash to its stored hash");
	}
	expect_check(CASE, 1, ev.body, chain_genesis, chain_genesis, /* hash edited */
		     "event 1: body does not hash to its stored hash");
	free(body);
	chain_event_release(&ev);
}

/* An edit rehashed in place shows as a broken link at the next event. */
static void t_rehashed_edit(void)
{
	struct chain_event e1, e1x, e2;

	chain_seal(&e1, CASE, 1, "resolved", AT, json_pack("{s:s}", "result", "done"),
		   chain_genesis);
	chain_seal(&e2, CASE, 2, "rated", AT, NULL, e1.hash);
	chain_seal(&e1x, CASE, 1, "resolved", AT, json_pack("{s:s}", "result", "edited"),
		   chain_genesis);
	T_INTEQ(chain_check(CASE, 1, e1x.body, e1x.hash, chain_genesis, NULL), 0);
	expect_check(CASE, 2, e2.body, e2.hash, e1x.hash,
		     "event 2: prev_hash does not match the event before");
	chain_event_release(&e1);
	chain_event_release(&e1x);
	chain_event_release(&e2);
}

static void t_wrong_prev_hash(void)
{
	struct chain_event e1, e2;

	chain_seal(&e1, CASE, 1, "received", AT, NULL, chain_genesis);
	chain_seal(&e2, CASE, 2, "classified", AT, NULL, e1.hash);
	expect_check(CASE, 1, e1.body, e1.hash, e2.hash,
		     "event 1: prev_hash does not match the event before");
	expect_check(CASE, 2, e2.body, e2.hash, chain_genesis,
		     "event 2: prev_hash does not match the event before");
	chain_event_release(&e1);
	chain_event_release(&e2);
}

static void t_wrong_seq(void)
{
	struct chain_event ev;

	chain_seal(&ev, CASE, 1, "received", AT, NULL, chain_genesis);
	expect_check(CASE, 2, ev.body, ev.hash, chain_genesis,
		     "event 2: body names another case or position");
	expect_check(CASE, 0, ev.body, ev.hash, chain_genesis,
		     "event 0: body names another case or position");
	chain_event_release(&ev);
}

static void t_wrong_case(void)
{
	struct chain_event ev;

	chain_seal(&ev, CASE, 1, "received", AT, NULL, chain_genesis);
	expect_check("XF-330381-20261122-000124", 1, ev.body, ev.hash, chain_genesis,
		     "event 1: body names another case or position");
	expect_check("", 1, ev.body, ev.hash, chain_genesis,
		     "event 1: body names another case or position");
	chain_event_release(&ev);
}

static void t_not_json(void)
{
	static const char body[] = "not json {";
	char hash[65];

	sha256_hex(body, strlen(body), hash);
	expect_check(CASE, 1, body, hash, chain_genesis, "event 1: body is not JSON");
}

/* chain_seal_text(): chain_seal()'s body and hash, its message's dump byte for byte. */
static void t_seal_text(void)
{
	static const char *const ids[] = { CASE, "q\"b\\s/\b\f\n\r\t\x01\x1f\x0b 信访 end" };

	for (size_t i = 0; i < 2; i++)
		for (int with_data = 0; with_data < 2; with_data++) {
			struct chain_event a, b;
			json_t *data = json_pack("{s:s, s:i, s:[s, {s:b, s:n}], s:s}", "zeta",
						 ids[i], "n", 7, "list", "x", "k", 1, "a", "alpha",
						 "品类");
			char *text, *want;

			chain_seal(&a, ids[i], 3, "received", AT,
				   with_data ? json_deep_copy(data) : NULL, chain_genesis);
			chain_seal_text(&b, &text, ids[i], 3, "received", AT,
					with_data ? json_deep_copy(data) : NULL, chain_genesis);
			want = json_dumps(a.message, JSON_COMPACT);
			T_STREQ(b.body, a.body);
			T_STREQ(b.hash, a.hash);
			T_STREQ(text, want);
			T_CHECK(b.message == NULL);
			free(text);
			free(want);
			json_decref(data);
			chain_event_release(&a);
			chain_event_release(&b);
		}
}

/* clang-format off */
T_SUITE(chain,
	{ "genesis", t_genesis },
	{ "seal", t_seal },
	{ "seal_text", t_seal_text },
	{ "seal_null_data", t_seal_null_data },
	{ "deterministic", t_deterministic },
	{ "check_ok", t_check_ok },
	{ "tampered_body", t_tampered_body },
	{ "rehashed_edit", t_rehashed_edit },
	{ "wrong_prev_hash", t_wrong_prev_hash },
	{ "wrong_seq", t_wrong_seq },
	{ "wrong_case", t_wrong_case },
	{ "not_json", t_not_json })
/* clang-format on */
