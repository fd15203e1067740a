/* gen.c - see gen.h. */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sbuf.h"

static const struct tmpl {
	const char *category, *subject, *content;
} tmpls[] = {
	{ "labor_social_security", "公司拖欠工资三个月",
	  "我在一家公司工作，公司拖欠工资，讨薪无果，社保也没有缴纳，请人社部门帮助。" },
	{ "urban_construction", "老旧小区改造工程进度缓慢",
	  "我们老旧小区改造工程拖了一年还没完工，路面挖开没有恢复，下水道堵塞。" },
	{ "environment", "工厂夜间排放废气噪音扰民",
	  "附近工厂夜间排放废气，有刺鼻异味，噪音很大，污染环境。" },
	{ "education_culture", "学校组织学生补课收费",
	  "孩子所在学校组织学生周末补课，老师要求交费，请教育局调查。" },
	{ "health", "医院检查收费过高",
	  "在医院看病时医生开了很多检查，患者负担很重，请卫生部门核查。" },
	{ "agriculture_rural", "灌溉水渠损坏影响种植",
	  "村民的农田灌溉水渠损坏，耕地无法灌溉，影响种植，请农业部门解决。" },
	{ "other", "咨询办事流程", "想咨询一下办事的流程，谢谢。" },
};
#define NTMPL (sizeof tmpls / sizeof tmpls[0])

int gen_template(const char *category, const char **subject, const char **content)
{
	for (size_t i = 0; i < NTMPL; i++)
		if (!strcmp(tmpls[i].category, category)) {
			*subject = tmpls[i].subject;
			*content = tmpls[i].content;
			return 0;
		}
	return -1;
}

static const char *const regions[] = {
	"330381", "330381001", "330381101", "330382", "330382100",
};
#define NREGION (sizeof regions / sizeof regions[0])

/* The department tests/e2e/rules.json must pick (属地 then catch-all). */
static const char *expected_dept(const char *category, const char *region)
{
	static const struct {
		const char *category, *ruian, *yueqing;
	} table[] = {
		{ "labor_social_security", "t-rsj", "t-yq-rsj" },
		{ "urban_construction", "t-zjj", "t-yq-xfj" },
		{ "environment", "t-sthj", "t-yq-xfj" },
		{ "education_culture", "t-jyj", "t-yq-xfj" },
		{ "health", "t-wjj", "t-yq-xfj" },
		{ "other", "t-xfj", "t-yq-xfj" },
	};
	int ruian = !strncmp(region, "330381", 6);

	if (!strcmp(category, "agriculture_rural"))
		return !strcmp(region, "330381101") ? "t-tangxia" : ruian ? "t-xfj" : "t-yq-xfj";
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].category, category))
			return ruian ? table[i].ruian : table[i].yueqing;
	return NULL;
}

/* Petitioner number who: 0 is GEN_PHONE and GEN_ID_NUMBER, the others differ in their tails. */
static void petitioner_of(size_t who, char phone[16], char id_number[24])
{
	snprintf(phone, 16, "%s", GEN_PHONE);
	snprintf(id_number, 24, "%s", GEN_ID_NUMBER);
	if (who) {
		snprintf(phone + 6, 10, "%05zu", who % 100000);
		snprintf(id_number + 12, 12, "%06zu", who % 1000000);
	}
}

static char *event_json(const char *ext, const struct tmpl *t, const char *region, size_t who,
			const struct gen_opts *o, size_t *len)
{
	const char *at = o->occurred_at ? o->occurred_at : "2026-11-22T09:30:00+08:00";
	char phone[16], id_number[24];
	json_t *j;

	petitioner_of(o->people ? who % o->people : 0, phone, id_number);
	j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s}",
		      "schema", "xf.hotline_event.v1", "source", "system", "t12345", "channel",
		      "hotline", "external_id", ext, "occurred_at", at, "region_code", region,
		      "subject", t->subject, "content", t->content, "petitioner", "phone", phone,
		      "name", GEN_NAME, "id_number", id_number, "x_upstream_field", "kept");
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	*len = strlen(s);
	return s;
}

/* Malformed events: the bytes and the code intake must give. */
static const struct bad {
	const char *code, *text;
} bads[] = {
	{ "not_json", "{\"source\": {\"system\": \"t12345\"}, oops" },
	{ "not_utf8", "{\"subject\": \"\xff\xfe\"}" },
	{ "not_object", "[1, 2, 3]" },
	{ "missing_field",
	  "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
	  " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"330381\","
	  " \"content\": \"没有标题\"}" },
	{ "wrong_type",
	  "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
	  " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"330381\","
	  " \"subject\": \"标题\", \"content\": 12345}" },
	{ "bad_region_code",
	  "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
	  " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"990381\","
	  " \"subject\": \"标题\", \"content\": \"内容\"}" },
	{ "bad_time", "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
		      " \"occurred_at\": \"yesterday\", \"region_code\": \"330381\","
		      " \"subject\": \"标题\", \"content\": \"内容\"}" },
	{ "bad_value",
	  "{\"source\": {\"system\": \"t12345\", \"channel\": \"fax\"},"
	  " \"external_id\": \"%s\", \"occurred_at\": \"2026-11-22T09:30:00+08:00\","
	  " \"region_code\": \"330381\", \"subject\": \"标题\", \"content\": \"内容\"}" },
	{ "empty_field",
	  "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
	  " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"330381\","
	  " \"subject\": \"\", \"content\": \"内容\"}" },
	{ "bad_schema",
	  "{\"schema\": \"xf.hotline_event.v0\", \"source\": {\"system\": \"t12345\"},"
	  " \"external_id\": \"%s\", \"occurred_at\": \"2026-11-22T09:30:00+08:00\","
	  " \"region_code\": \"330381\", \"subject\": \"标题\", \"content\": \"内容\"}" },
	{ "too_long", NULL },  /* a subject of 201 characters */
	{ "too_large", NULL }, /* 1 MiB + 1 of content */
};
#define NBAD (sizeof bads / sizeof bads[0])

size_t gen_bad_kinds(void)
{
	return NBAD;
}

static char *bad_bytes(const struct bad *b, const char *ext, size_t *len)
{
	struct sbuf sb = SBUF_INIT;

	if (!strcmp(b->code, "too_long") || !strcmp(b->code, "too_large")) {
		int big = !strcmp(b->code, "too_large");

		sbuf_addf(&sb,
			  "{\"source\": {\"system\": \"t12345\"}, \"external_id\": \"%s\","
			  " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\":"
			  " \"330381\", \"subject\": \"",
			  ext);
		for (int i = 0; i < (big ? 10 : 201); i++)
			sbuf_adds(&sb, "长");
		sbuf_adds(&sb, "\", \"content\": \"");
		while (big && sb.len <= 1024 * 1024)
			sbuf_adds(&sb, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		sbuf_adds(&sb, "\"}");
	} else {
		sbuf_addf(&sb, b->text, ext);
	}
	return sbuf_detach(&sb, len);
}

struct gen_event *gen_events(const char *tag, size_t n, int dup, int bad)
{
	const struct gen_opts none = { 0, NULL };

	return gen_events_with(tag, n, dup, bad, &none);
}

struct gen_event *gen_events_with(const char *tag, size_t n, int dup, int bad,
				  const struct gen_opts *o)
{
	struct gen_event *ev = calloc(n, sizeof *ev);
	size_t nbad = 0;

	for (size_t i = 0; i < n; i++) {
		struct gen_event *e = &ev[i];
		const struct tmpl *t = &tmpls[i % NTMPL];
		const char *region = regions[(i / NTMPL) % NREGION];

		snprintf(e->external_id, sizeof e->external_id, "%s-%zu", tag, i);
		snprintf(e->key, sizeof e->key, "%s", e->external_id);
		if (dup && i % 20 == 19) {
			/* of i - 10, or of i - 11 when i - 10 is a malformed one */
			size_t orig = ev[i - 10].kind == GEN_VALID ? i - 10 : i - 11;

			e->kind = GEN_DUP;
			e->orig = orig;
			snprintf(e->external_id, sizeof e->external_id, "%s", ev[orig].external_id);
			snprintf(e->key, sizeof e->key, "%s", ev[orig].key); /* same partition */
			e->bytes = event_json(e->external_id, t, region, orig, o, &e->len);
		} else if (bad && i % 20 == 9) {
			const struct bad *b = &bads[nbad++ % NBAD];

			e->kind = GEN_BAD;
			e->bad_code = b->code;
			snprintf(e->key, sizeof e->key, "bad-%s-%zu", tag, i);
			e->bytes = bad_bytes(b, e->external_id, &e->len);
		} else {
			e->kind = GEN_VALID;
			e->category = t->category;
			e->department = expected_dept(t->category, region);
			e->bytes = event_json(e->external_id, t, region, i, o, &e->len);
		}
	}
	return ev;
}

void gen_free(struct gen_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ev[i].bytes);
	free(ev);
}
