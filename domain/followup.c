/* followup.c - the follow-ups of a resolved case (followup.h). */
#include "followup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads one "kind:N{h|d}" of len bytes at s into k. 0, or -1 with err. */
static int kind_parse(const char *s, size_t len, struct followup_kind *k, struct sbuf *err)
{
	const char *colon = memchr(s, ':', len);
	size_t name = colon ? (size_t)(colon - s) : 0;
	char num[24], *end;
	long v;

	if (!name || name > FOLLOWUP_KIND_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz_") < name ||
	    len - name - 1 < 2 || len - name - 1 >= sizeof num)
		goto bad;
	memcpy(k->name, s, name);
	k->name[name] = '\0';
	memcpy(num, colon + 1, len - name - 1);
	num[len - name - 1] = '\0';
	errno = 0;
	v = strtol(num, &end, 10);
	if (errno || v < 1 || v > 3650 || (*end != 'h' && *end != 'd') || end[1] ||
	    (*end == 'h' && v > 3650 * 24))
		goto bad;
	k->secs = *end == 'h' ? v * 3600 : v * 86400;
	return 0;
bad:
	sbuf_addf(
		err,
		"XF_FOLLOWUPS: \"%.*s\" is not kind:N{h|d} (kind of a-z and _, at most 32; N from 1)",
		(int)len, s);
	return -1;
}

int followup_plan_parse(const char *s, struct followup_plan *p, struct sbuf *err)
{
	memset(p, 0, sizeof *p);
	while (s && *s) {
		size_t len = strcspn(s, ",");
		struct followup_kind k;
		size_t i;

		if (p->n == FOLLOWUP_MAX) {
			sbuf_addf(err, "XF_FOLLOWUPS: more than %d follow-ups", FOLLOWUP_MAX);
			return -1;
		}
		if (kind_parse(s, len, &k, err))
			return -1;
		if (followup_find(p, k.name)) {
			sbuf_addf(err, "XF_FOLLOWUPS: %s twice", k.name);
			return -1;
		}
		for (i = p->n; i > 0 && p->v[i - 1].secs > k.secs; i--)
			p->v[i] = p->v[i - 1];
		p->v[i] = k;
		p->n++;
		s += len + (s[len] == ',');
	}
	return 0;
}

const struct followup_kind *followup_find(const struct followup_plan *p, const char *name)
{
	for (size_t i = 0; p && name && i < p->n; i++)
		if (!strcmp(p->v[i].name, name))
			return &p->v[i];
	return NULL;
}
