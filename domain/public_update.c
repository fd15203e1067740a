/* public_update.c - the public view of a case's chain events (public_update.h). */
#include "public_update.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* A chain event type the citizen is told of, and how. */
static const struct told {
	const char *type;   /* the chain event */
	const char *status; /* xf.petition_update.v1 status */
	const char *text;   /* %s: the department's name */
} told[] = {
	{ "received", "received", "您的信访事项已登记受理。" },
	{ "assigned", "assigned", "已交办%s办理。" },
	{ "accepted", "accepted", "%s已受理，正在办理。" },
	{ "returned", "returned", "%s认为不属其职责，已退回重新交办。" },
	{ "redispatched", "reassigned", "已重新交办%s办理。" },
	{ "extended", "extended", "%s申请延期，办理期限已延长。" },
	{ "resolved", "resolved", "%s已办结并答复。" },
	{ "reopened", "reopened", "您对办理结果不满意，已交%s重新办理。" },
	{ "rated", "closed", "您已评价，事项办结。" },
	{ "followed_up", "followed_up", "已对办理情况进行回访。" },
};

static const struct told *told_of(const char *type, json_t *data)
{
	const char *sat = json_string_value(json_object_get(data, "satisfaction"));

	if (type && !strcmp(type, "rated") && sat && !strcmp(sat, "dissatisfied"))
		return NULL; /* not closed: "reopened" follows */
	for (size_t i = 0; type && i < sizeof told / sizeof told[0]; i++)
		if (!strcmp(told[i].type, type))
			return &told[i];
	return NULL;
}

/* The follow-ups announced with an answer: [{followup, due_by}], nothing else of them. */
static void copy_followups(json_t *u, json_t *data)
{
	json_t *list = json_object_get(data, "followups"), *f, *out = json_array();
	size_t i;

	json_array_foreach(list, i, f)
	{
		json_t *kind = json_object_get(f, "followup"), *by = json_object_get(f, "due_by");

		if (json_is_string(kind) && json_is_string(by))
			json_array_append_new(
				out, json_pack("{s:O, s:O}", "followup", kind, "due_by", by));
	}
	if (json_array_size(out))
		json_object_set(u, "followups", out);
	json_decref(out);
}

/* Copies data.key to u.key when it is a string. */
/* Bytes of the digit at s (ASCII, or full-width U+FF10..FF19), 0 if none. */
static size_t digit_at(const char *s)
{
	if (*s >= '0' && *s <= '9')
		return 1;
	if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbc &&
	    (unsigned char)s[2] >= 0x90 && (unsigned char)s[2] <= 0x99)
		return 3;
	return 0;
}

void public_mask(const char *s, struct sbuf *out)
{
	while (*s) {
		size_t n = 0, len = 0, d;

		while ((d = digit_at(s + len))) {
			n++;
			len += d;
		}
		if (n >= 14 && (s[len] == 'X' || s[len] == 'x')) /* an id number's check letter */
			len++;
		if (n >= PUBLIC_MASK_DIGITS)
			sbuf_adds(out, "****");
		else
			sbuf_add(out, s, len ? len : 1);
		s += len ? len : 1;
	}
}

/* The answer, its long numbers masked (public_mask). */
static void copy_masked(json_t *u, json_t *data, const char *key)
{
	const char *v = json_string_value(json_object_get(data, key));
	struct sbuf out = SBUF_INIT;

	if (!v)
		return;
	public_mask(v, &out);
	json_object_set_new(u, key, json_string(out.buf ? out.buf : ""));
	sbuf_release(&out);
}

static void copy(json_t *u, json_t *data, const char *key)
{
	json_t *v = json_object_get(data, key);

	if (json_is_string(v))
		json_object_set(u, key, v);
}

json_t *public_update(json_t *ev, const char *system, const char *external_id,
		      const struct rules_set *rs)
{
	json_t *data = json_object_get(ev, "data");
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *code = json_string_value(json_object_get(data, "department"));
	const struct rules_dept *dept = code ? rules_dept_find(rs, code) : NULL;
	const struct told *t = told_of(type, data);
	const char *name = dept ? dept->name : "承办单位";
	char text[512];
	json_t *u;

	if (!t || !json_is_object(data))
		return NULL;
	snprintf(text, sizeof text, t->text, name);
	u = json_pack("{s:s, s:O, s:O, s:s, s:O, s:{s:s?, s:s?}, s:s}", "schema",
		      PUBLIC_UPDATE_SCHEMA, "case_id", json_object_get(ev, "case_id"), "seq",
		      json_object_get(ev, "seq"), "status", t->status, "at",
		      json_object_get(ev, "at"), "source", "system", system, "external_id",
		      external_id, "text", text);
	if (!u)
		return NULL;
	if (code)
		json_object_set_new(u, "department",
				    json_pack("{s:s, s:s}", "code", code, "name", name));
	copy(u, data, "accept_by");
	copy(u, data, "resolve_by");
	copy_masked(u, data, "result");
	if (!strcmp(t->status, "closed") || !strcmp(t->status, "followed_up"))
		copy(u, data, "satisfaction");
	if (!strcmp(t->status, "followed_up"))
		copy(u, data, "followup");
	if (!strcmp(t->status, "resolved"))
		copy_followups(u, data);
	return u;
}
