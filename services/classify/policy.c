/* policy.c - see policy.h. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/normalize.h"
#include "vocab.h"
#include "xalloc.h"

void policy_table_free(struct policy_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->p[i].id);
		free(t->p[i].title);
		free(t->p[i].article);
		json_decref(t->p[i].out);
	}
	for (size_t i = 0; i < t->nphrases; i++)
		free(t->phrase[i]);
	free(t->p);
	free(t->phrase);
	free(t->of);
	free(t->score);
	free(t);
}

/* The category bits of an entry's "categories" (absent: 0); -1 with err. */
static int entry_cats(json_t *cats, size_t i, unsigned *out, struct sbuf *err)
{
	size_t k;
	json_t *c;

	*out = 0;
	if (cats && !json_is_array(cats)) {
		sbuf_addf(err, "/policies/%zu/categories: not an array", i);
		return -1;
	}
	json_array_foreach(cats, k, c)
	{
		int idx = vocab_category_index(json_string_value(c));

		if (idx < 0) {
			sbuf_addf(err, "/policies/%zu/categories/%zu: not a category code", i, k);
			return -1;
		}
		*out |= 1u << idx;
	}
	return 0;
}

/* Whether entry i already has phrase s (a repeat counts once). */
static int has_phrase(const struct policy_table *t, size_t i, const char *s)
{
	for (size_t k = t->nphrases; k-- > 0 && t->of[k] == i;)
		if (!strcmp(t->phrase[k], s))
			return 1;
	return 0;
}

/* The phrases of entry i, normalised, appended to t; -1 with err. */
static int entry_phrases(struct policy_table *t, const struct normalizer *nz, json_t *list,
			 size_t i, struct sbuf *err)
{
	size_t k;
	json_t *ph;

	if (!json_array_size(list)) {
		sbuf_addf(err, "/policies/%zu/phrases: needs at least one phrase", i);
		return -1;
	}
	json_array_foreach(list, k, ph)
	{
		struct sbuf norm = SBUF_INIT;
		const char *s = json_string_value(ph);

		if (s)
			normalizer_apply(nz, s, strlen(s), &norm);
		if (norm.len < 3 || norm.len > POLICY_PHRASE_MAX) {
			sbuf_addf(err,
				  "/policies/%zu/phrases/%zu: not a phrase of 3 to %d bytes once"
				  " normalised",
				  i, k, POLICY_PHRASE_MAX);
			sbuf_release(&norm);
			return -1;
		}
		if (has_phrase(t, i, norm.buf)) {
			sbuf_release(&norm);
			continue;
		}
		t->of[t->nphrases] = i;
		t->phrase[t->nphrases++] = sbuf_detach(&norm, NULL);
	}
	return 0;
}

/* Room for every phrase of the document's entries. */
static void phrases_alloc(struct policy_table *t, json_t *list)
{
	size_t n = 1, i;
	json_t *e;

	json_array_foreach(list, i, e) n += json_array_size(json_object_get(e, "phrases"));
	t->phrase = xcalloc(n, sizeof *t->phrase);
	t->of = xcalloc(n, sizeof *t->of);
}

static char *opt_dup(json_t *s)
{
	return json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

/* Entry i of the document into t->p[i]; -1 with err. */
static int entry_add(struct policy_table *t, const struct normalizer *nz, json_t *e, size_t i,
		     json_t *seen, struct sbuf *err)
{
	struct policy *p = &t->p[t->n];
	const char *id = json_string_value(json_object_get(e, "id"));
	json_t *article = json_object_get(e, "article");

	if (!id || !*id || !json_is_string(json_object_get(e, "title")) ||
	    !json_is_string(json_object_get(e, "issuer")) ||
	    (article && !json_is_string(article))) {
		sbuf_addf(err, "/policies/%zu: needs an id, a title and an issuer (strings)", i);
		return -1;
	}
	if (json_object_get(seen, id)) {
		sbuf_addf(err, "/policies/%zu: id \"%s\" is used twice", i, id);
		return -1;
	}
	json_object_set_new(seen, id, json_true());
	if (entry_cats(json_object_get(e, "categories"), i, &p->cats, err))
		return -1;
	p->id = xstrdup(id);
	p->title = opt_dup(json_object_get(e, "title"));
	p->article = opt_dup(article);
	p->out = json_pack("{s:s, s:s}", "id", p->id, "title", p->title);
	if (p->article)
		json_object_set_new(p->out, "article", json_string(p->article));
	t->n++;
	return entry_phrases(t, nz, json_object_get(e, "phrases"), i, err);
}

struct policy_table *policy_table_parse(const struct normalizer *nz, const char *json,
					struct sbuf *err)
{
	json_t *doc = json_loads(json, 0, NULL), *list = json_object_get(doc, "policies");
	json_t *seen = json_object(), *v = json_object_get(doc, "version");
	struct policy_table *t = xcalloc(1, sizeof *t);
	int rc = json_array_size(list) ? 0 : -1;

	if (rc)
		sbuf_adds(err, "not an xf.policies.v1 document with policies");
	t->p = xcalloc(json_array_size(list) + 1, sizeof *t->p);
	phrases_alloc(t, list);
	for (size_t i = 0; !rc && i < json_array_size(list); i++)
		rc = entry_add(t, nz, json_array_get(list, i), i, seen, err);
	snprintf(t->version, sizeof t->version, "%.64s",
		 json_is_string(v) ? json_string_value(v) : "unknown");
	t->score = xcalloc(t->n + 1, sizeof *t->score);
	json_decref(seen);
	json_decref(doc);
	if (rc) {
		policy_table_free(t);
		return NULL;
	}
	return t;
}

/* The best entry not yet taken (score 0: none); ties: the first. */
static size_t best_entry(const struct policy_table *t)
{
	size_t best = t->n;

	for (size_t i = 0; i < t->n; i++)
		if (t->score[i] && (best == t->n || t->score[i] > t->score[best]))
			best = i;
	return best;
}

json_t *policy_related(struct policy_table *t, const unsigned char *hits, int category)
{
	unsigned want = category >= 0 ? 1u << category : 0;
	json_t *out = json_array();
	int any = 0;

	memset(t->score, 0, t->n * sizeof *t->score);
	for (size_t i = 0; i < t->nphrases; i++) {
		const struct policy *p = &t->p[t->of[i]];

		if (hits[i] && (!p->cats || (p->cats & want))) {
			t->score[t->of[i]]++;
			any = 1;
		}
	}
	for (int k = 0; any && k < POLICY_MAX_RELATED; k++) {
		size_t b = best_entry(t);

		if (b == t->n)
			break;
		json_array_append(out, t->p[b].out);
		t->score[b] = 0;
	}
	return out;
}
