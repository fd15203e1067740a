/*
 * Unit tests for xf-public (services/public): the rate limit's buckets and
 * bounded table, the case view and its stages, the page's escaping and
 * marks, case id forms, and the QR code's address and formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public/page.h"
#include "public/public.h"
#include "public/qr.h"
#include "public/ratelimit.h"
#include "public/view.h"
#include "querycode.h"
#include "tharness.h"

#define CASE "XF-330381-20261122-000123"

static void addr_of(unsigned char a[16], unsigned n)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 10, a[13] = (unsigned char)(n >> 16), a[14] = (unsigned char)(n >> 8);
	a[15] = (unsigned char)n;
}

static void t_rate_bucket(void)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);
	unsigned char a[16], b[16];

	ratelimit_init(rl, 6, 3); /* one back every 10 s */
	addr_of(a, 1);
	addr_of(b, 2);
	for (int i = 0; i < 3; i++)
		T_INTEQ(ratelimit_take(rl, a, 1000.0), 0);
	T_INTEQ(ratelimit_take(rl, a, 1000.0), 10); /* Retry-After */
	T_INTEQ(ratelimit_take(rl, b, 1000.0), 0);  /* another client has its own */
	T_INTEQ(ratelimit_take(rl, a, 6000.0), 5);
	T_INTEQ(ratelimit_take(rl, a, 11000.0), 0);
	T_CHECK(ratelimit_take(rl, a, 11000.0) > 0);
	free(rl);
}

/* More clients than slots: memory stays the table; a busy client keeps its bucket. */
static void t_rate_bounded(void)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);
	unsigned char a[16], busy[16];
	size_t used = 0;

	ratelimit_init(rl, 1, 2);
	addr_of(busy, 999999);
	T_INTEQ(ratelimit_take(rl, busy, 1.0), 0);
	T_INTEQ(ratelimit_take(rl, busy, 1.0), 0);
	T_CHECK(ratelimit_take(rl, busy, 1.0) > 0);
	for (unsigned i = 0; i < 3 * RATE_SLOTS; i++) {
		addr_of(a, i);
		T_INTEQ(ratelimit_take(rl, a, 2.0 + i), 0);
	}
	for (size_t i = 0; i < RATE_SLOTS; i++)
		used += rl->slots[i].seen_ms > 0;
	T_INTEQ(used, RATE_SLOTS);
	/* the busy client was the least recently seen of its window: forgotten, full again */
	T_INTEQ(ratelimit_take(rl, busy, 4.0 * RATE_SLOTS), 0);
	free(rl);
}

static json_t *ev(int seq, const char *type, const char *data)
{
	json_t *e = json_pack("{s:s, s:s, s:i, s:s, s:s}", "schema", "xf.case_event.v1", "case_id",
			      CASE, "seq", seq, "type", type, "at", "2026-11-22T10:00:00+08:00");

	json_object_set_new(e, "data", json_loads(data, 0, NULL));
	return e;
}

static json_t *events(int reopened)
{
	json_t *a = json_array();

	json_array_append_new(a, ev(1, "received", "{\"risk\": \"A\"}"));
	json_array_append_new(a, ev(2, "assigned",
				    "{\"department\": \"p-rsj\", \"explain\": \"x\","
				    " \"accept_by\": \"2026-11-27T10:00:00+08:00\","
				    " \"resolve_by\": \"2027-01-21T10:00:00+08:00\"}"));
	json_array_append_new(a, ev(3, "accepted", "{\"department\": \"p-rsj\"}"));
	json_array_append_new(a, ev(4, "note", "{\"department\": \"p-rsj\"}"));
	json_array_append_new(
		a, ev(5, "resolved", "{\"department\": \"p-rsj\", \"result\": \"<b>已补发</b>\"}"));
	if (reopened)
		json_array_append_new(
			a,
			ev(6, "reopened",
			   "{\"department\": \"p-rsj\", \"resolve_by\": \"2027-02-21T10:00:00+08:00\"}"));
	return a;
}

static const char *sget(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

static void t_view(void)
{
	json_t *evs = events(0), *v = view_case(CASE, evs, NULL), *steps;
	json_t *none = json_pack("[o]", ev(1, "note", "{}"));

	T_STREQ(sget(v, "status", NULL), "resolved");
	T_INTEQ(json_integer_value(json_object_get(v, "stage")), 4);
	T_STREQ(sget(v, "department", "code"), "p-rsj");
	T_STREQ(sget(v, "department", "name"), "承办单位"); /* no rules: a plain name */
	T_STREQ(sget(v, "accept_by", NULL), "2026-11-27T10:00:00+08:00");
	T_STREQ(sget(v, "result", NULL), "<b>已补发</b>");
	steps = json_object_get(v, "steps");
	T_INTEQ(json_array_size(steps), 4); /* "note" is not public */
	T_CHECK(!json_object_get(json_array_get(steps, 1), "source"));
	T_CHECK(!json_object_get(json_array_get(steps, 1), "explain"));
	T_CHECK(!json_object_get(json_array_get(steps, 0), "risk"));
	json_decref(v);
	json_decref(evs);
	evs = events(1);
	v = view_case(CASE, evs, NULL);
	T_STREQ(sget(v, "status", NULL), "reopened");
	T_INTEQ(json_integer_value(json_object_get(v, "stage")), 3);
	T_CHECK(!json_object_get(v, "result")); /* handled again: no answer yet */
	T_STREQ(sget(v, "resolve_by", NULL), "2027-02-21T10:00:00+08:00");
	T_CHECK(view_case(CASE, none, NULL) == NULL);
	json_decref(v);
	json_decref(evs);
	json_decref(none);
}

static void t_page(void)
{
	json_t *evs = events(0), *v = view_case(CASE, evs, NULL);
	struct sbuf out = SBUF_INIT;

	page_case(v, &out);
	T_CHECK(strstr(out.buf, "&lt;b&gt;已补发&lt;/b&gt;") != NULL);
	T_CHECK(strstr(out.buf, "<b>") == NULL);
	T_CHECK(strstr(out.buf, "class=\"current\" aria-current=\"step\">办结</li>") != NULL);
	T_CHECK(strstr(out.buf, "class=\"done\">办理</li>") != NULL);
	T_CHECK(strstr(out.buf, "class=\"todo\">评价</li>") != NULL);
	T_CHECK(strstr(out.buf, "2026-11-22 10:00") != NULL);
	T_CHECK(strstr(out.buf, "<script") == NULL);
	sbuf_reset(&out);
	sbuf_add_html(&out, "a&b\"c'd<e>");
	T_STREQ(out.buf, "a&amp;b&quot;c&#39;d&lt;e&gt;");
	sbuf_reset(&out);
	page_not_found(&out);
	T_CHECK(strstr(out.buf, "未找到") != NULL);
	sbuf_release(&out);
	json_decref(v);
	json_decref(evs);
}

static void t_case_ids(void)
{
	T_CHECK(pub_case_id_valid(CASE));
	T_CHECK(pub_case_id_valid("XF-330381-20261122-1000000"));
	T_CHECK(pub_case_id_valid("XF-330381-20261122-9999999999"));
	T_CHECK(!pub_case_id_valid("XF-330381-20261122-0000001"));
	T_CHECK(!pub_case_id_valid("XF-330381-20261122-00012"));
	T_CHECK(!pub_case_id_valid("XF-330381-20261122-10000000000"));
	T_CHECK(!pub_case_id_valid("XF-33038-20261122-000123"));
	T_CHECK(!pub_case_id_valid("XF-330381-2026112-000123"));
	T_CHECK(!pub_case_id_valid("xf-330381-20261122-000123"));
	T_CHECK(!pub_case_id_valid("XF-330381-20261122-000123/x"));
	T_CHECK(!pub_case_id_valid(""));
}

static void t_qr(void)
{
	struct sbuf url = SBUF_INIT, png = SBUF_INIT, svg = SBUF_INIT, err = SBUF_INIT,
		    want = SBUF_INIT;
	char code[QUERY_CODE_LEN + 1];

	query_code("k", CASE, code);
	sbuf_addf(&want, "https://xf.example.cn/c/%s?code=%s", CASE, code);
	qr_page_url("https://xf.example.cn//", "k", CASE, &url);
	T_STREQ(url.buf, want.buf);
	T_INTEQ(qr_png(url.buf, &png, &err), 0);
	T_CHECK(png.len > 8 && !memcmp(png.buf, "\x89PNG\r\n\x1a\n", 8));
	T_INTEQ(qr_svg(url.buf, &svg, &err), 0);
	T_CHECK(strstr(svg.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	/* the finder pattern's corner module, past the quiet zone */
	T_CHECK(strstr(svg.buf, "d=\"M4 4h1v1h-1z") != NULL);
	T_CHECK(strstr(svg.buf, CASE) == NULL); /* modules only, no text */
	sbuf_release(&url);
	sbuf_release(&png);
	sbuf_release(&svg);
	sbuf_release(&err);
	sbuf_release(&want);
}

T_SUITE(xf_public, { "rate_bucket", t_rate_bucket }, { "rate_table_bounded", t_rate_bounded },
	{ "view_stages", t_view }, { "page_escaped", t_page }, { "case_id_forms", t_case_ids },
	{ "qr_formats", t_qr })
