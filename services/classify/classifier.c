/* classifier.c - see classifier.h. */
#include "classifier.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/emotion.h"
#include "classify/model.h"
#include "embed.h"
#include "classify/normalize.h"
#include "classify/phrase.h"
#include "classify/policy.h"
#include "sbuf.h"
#include "utf8.h"
#include "util.h"
#include "vocab.h"
#include "xalloc.h"

#define NCAT VOCAB_NCATEGORIES

struct kw {
	int cat; /* index into vocab_categories; unused for emotion words */
	const char *word;
	double weight;
};

/* The category keyword table in use: from PostgreSQL, or the starter table
 * compiled in (deploy/examples/keywords.json). Phrases are normalised. */
struct kw_table {
	struct kw *w; /* words owned */
	size_t n;
	char version[64];
};

/* Where each table word occurs in a petition: bit 1 subject, bit 2 content. */
struct hits {
	unsigned char *cat; /* one per category keyword (cl->cat_hits) */
};

/* The keyword table's words, then the policy table's phrases (numbered
 * after the words), for one pass over a text. */
static struct phrase_index *index_new(const struct kw_table *t, const struct policy_table *pt)
{
	size_t np = pt ? pt->nphrases : 0;
	struct phrase_index *ix = phrase_index_new(t->n + np);

	for (size_t i = 0; i < t->n; i++)
		phrase_index_add(ix, i, t->w[i].word);
	for (size_t i = 0; i < np; i++)
		phrase_index_add(ix, t->n + i, pt->phrase[i]);
	phrase_index_build(ix);
	return ix;
}

/* After either table changed: the index and the hits scratch for both. */
static void index_rebuild(struct classifier *cl)
{
	size_t np = cl->policies ? cl->policies->nphrases : 0;

	phrase_index_free(cl->kw);
	free(cl->cat_hits);
	cl->kw = index_new(cl->table, cl->policies);
	cl->cat_hits = xcalloc(cl->table->n + np + 1, 1);
}

/* One pass over text: every table word starting at each character. */
static void scan(const struct phrase_index *ix, const char *text, unsigned char bit, struct hits *h)
{
	size_t len = strlen(text), step;

	/* words start at character boundaries: step a character at a time */
	for (size_t i = 0; i + 3 <= len; i += step) {
		unsigned char c = (unsigned char)text[i];
		const struct phrase_slot *run;

		step = utf8_step(c);
		run = phrase_run(ix, text + i, len - i);
		for (uint32_t e = run->start; e < run->end; e++)
			if (phrase_matches(&ix->e[e], text + i, len - i))
				h->cat[ix->e[e].idx] |= bit;
	}
}

static void find_words(const struct classifier *cl, const char *subject, const char *content,
		       struct hits *h)
{
	h->cat = cl->cat_hits;
	memset(h->cat, 0, cl->table->n + (cl->policies ? cl->policies->nphrases : 0));
	scan(cl->kw, subject, 1, h);
	scan(cl->kw, content, 2, h);
}

int classifier_category_known(const char *code)
{
	return vocab_category_index(code) >= 0;
}

/* Scores every category; returns the matched words as a new array. */
static json_t *score_categories(const struct kw_table *t, const struct hits *h, double score[NCAT])
{
	json_t *words = json_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct kw *k = &t->w[i];
		/* a word in the subject says more than one in the details */
		double w = h->cat[i] & 1 ? k->weight * 1.5 : h->cat[i] ? k->weight : 0;

		if (w > 0) {
			score[k->cat] += w;
			if (json_array_size(words) < 12)
				json_array_append_new(words, json_string(k->word));
		}
	}
	return words;
}

/* One entry of `top`: {"category", "score"}. */
static json_t *top_entry(const char *category, double score)
{
	json_t *e = json_object();

	json_object_set_new(e, "category", json_string_nocheck(category));
	json_object_set_new(e, "score", json_real(score));
	return e;
}

/* Turns raw scores into best-3 probabilities (other takes what nothing claims). */
static void rank(const double score[NCAT], struct classifier_text *out)
{
	double total = 1.0; /* prior mass for "other" */
	int order[NCAT];

	for (int i = 0; i < NCAT; i++) {
		order[i] = i;
		total += score[i];
	}
	for (int i = 1; i < NCAT; i++) /* insertion sort, best first */
		for (int j = i; j > 0 && score[order[j]] > score[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	out->top = json_array();
	if (score[order[0]] <= 0) {
		out->category = "other";
		out->confidence = 0.5;
		json_array_append_new(out->top, top_entry("other", 0.5));
		return;
	}
	out->category = vocab_categories[order[0]].code;
	out->confidence = score[order[0]] / total;
	for (int i = 0; i < 3 && score[order[i]] > 0; i++)
		json_array_append_new(out->top, top_entry(vocab_categories[order[i]].code,
							  score[order[i]] / total));
}

/* Emotion intensity and threat phrases (emotion.h) into out. */
static void emotion(const char *norm, const char *raw, struct classifier_text *out)
{
	struct emotion_result er;

	emotion_score(norm, raw, &er);
	out->intensity = er.intensity;
	out->danger = json_array();
	for (int i = 0; i < er.threats && i < EMOTION_MAX_THREATS; i++)
		json_array_append_new(out->danger, json_string(er.threat[i]));
}

static void table_free(struct kw_table *t)
{
	for (size_t i = 0; t && i < t->n; i++)
		free((char *)t->w[i].word);
	if (t)
		free(t->w);
	free(t);
}

/* One entry of an xf.keywords.v1 document into t; -1 with err. */
static int table_add(struct kw_table *t, const struct normalizer *nz, json_t *e, size_t i,
		     struct sbuf *err)
{
	int cat = vocab_category_index(json_string_value(json_object_get(e, "category")));
	const char *phrase = json_string_value(json_object_get(e, "phrase"));
	json_t *weight = json_object_get(e, "weight");
	struct sbuf norm = SBUF_INIT;

	if (cat < 0 || !phrase || !json_is_number(weight) || json_number_value(weight) < 0) {
		sbuf_addf(err, "/keywords/%zu: needs a known category, a phrase and a weight >= 0",
			  i);
		return -1;
	}
	normalizer_apply(nz, phrase, strlen(phrase), &norm);
	if (norm.len < 3) { /* nothing left, or one ASCII character */
		sbuf_addf(err, "/keywords/%zu: phrase \"%s\" is too short once normalised", i,
			  phrase);
		sbuf_release(&norm);
		return -1;
	}
	t->w[t->n++] = (struct kw){ cat, sbuf_detach(&norm, NULL), json_number_value(weight) };
	return 0;
}

int classifier_keywords(struct classifier *cl, const char *json, struct sbuf *err)
{
	json_t *doc = json_loads(json, 0, NULL), *list = json_object_get(doc, "keywords");
	struct kw_table *t = xcalloc(1, sizeof *t);
	int rc = json_array_size(list) ? 0 : -1;

	if (rc)
		sbuf_adds(err, "not an xf.keywords.v1 document with keywords");
	t->w = xcalloc(json_array_size(list) + 1, sizeof *t->w);
	for (size_t i = 0; !rc && i < json_array_size(list); i++)
		rc = table_add(t, cl->nz, json_array_get(list, i), i, err);
	snprintf(t->version, sizeof t->version, "%s",
		 json_string_value(json_object_get(doc, "version"))
			 ? json_string_value(json_object_get(doc, "version"))
			 : "unknown");
	json_decref(doc);
	if (rc) {
		table_free(t);
		return -1;
	}
	table_free(cl->table);
	cl->table = t;
	index_rebuild(cl);
	return 0;
}

const char *classifier_keywords_version(const struct classifier *cl)
{
	return cl->table ? cl->table->version : "";
}

int classifier_policies(struct classifier *cl, const char *json, struct sbuf *err)
{
	struct policy_table *t = policy_table_parse(cl->nz, json, err);

	if (!t)
		return -1;
	policy_table_free(cl->policies);
	cl->policies = t;
	index_rebuild(cl);
	return 0;
}

const char *classifier_policies_version(const struct classifier *cl)
{
	return cl->policies ? cl->policies->version : "";
}

/* The starter tables compiled in (deploy/examples/); -1 with err. */
static int starter_tables(struct classifier *cl, struct sbuf *err)
{
	const struct embed_file *kw = embed_find("deploy/examples/keywords.json");
	const struct embed_file *pol = embed_find("deploy/examples/policies.json");

	if (!kw || !pol) {
		sbuf_adds(err, "the starter keyword or policy table is not compiled in");
		return -1;
	}
	return classifier_keywords(cl, kw->data, err) || classifier_policies(cl, pol->data, err)
		       ? -1
		       : 0;
}

/* The model's classes as categories; -1 with err if one is not a code. */
static int map_classes(struct classifier *cl, const char *name, struct sbuf *err)
{
	memset(cl->trained, 0, sizeof cl->trained);
	for (int c = 0; c < cl->model->nclasses; c++) {
		cl->model_cat[c] = vocab_category_index(cl->model->classes[c]);
		if (cl->model_cat[c] < 0) {
			sbuf_addf(err, "%s: class %s is not a taxonomy code", name,
				  cl->model->classes[c]);
			return -1;
		}
		cl->trained[cl->model_cat[c]] = 1;
	}
	return 0;
}

int classifier_init(struct classifier *cl, const char *model_path, struct sbuf *err)
{
	memset(cl, 0, sizeof *cl);
	sbuf_init(&cl->text, 0);
	sbuf_init(&cl->subject, 0);
	cl->low_confidence = 0.5;
	cl->other_below = CLASSIFIER_OTHER_BELOW;
	cl->other_short = CLASSIFIER_OTHER_SHORT;
	cl->keyword_strong = CLASSIFIER_KEYWORD_STRONG;
	classifier_risk_default(&cl->risk);
	cl->nz = normalizer_new(err);
	if (!cl->nz || starter_tables(cl, err))
		return -1;
	if (!model_path)
		return 0;
	cl->model = model_load(model_path, err);
	cl->ws = model_ws_new();
	return cl->model ? map_classes(cl, model_path, err) : -1;
}

int classifier_use_model(struct classifier *cl, struct model *m, struct sbuf *err)
{
	if (!cl->model_borrowed)
		model_free(cl->model);
	cl->model = m;
	cl->model_borrowed = 1;
	if (!cl->ws)
		cl->ws = model_ws_new();
	return map_classes(cl, m->version, err);
}

void classifier_release(struct classifier *cl)
{
	normalizer_free(cl->nz);
	phrase_index_free(cl->kw);
	table_free(cl->table);
	policy_table_free(cl->policies);
	free(cl->cat_hits);
	if (!cl->model_borrowed)
		model_free(cl->model);
	model_ws_free(cl->ws);
	sbuf_release(&cl->text);
	sbuf_release(&cl->subject);
	memset(cl, 0, sizeof *cl);
}

const char *classifier_version(const struct classifier *cl)
{
	return cl->model ? cl->model->version : CLASSIFIER_MODEL;
}

/* The best keyword score among the categories the model does not know. */
static int untrained_best(const struct classifier *cl, const double *kw)
{
	int best = -1;

	for (int i = 0; i < NCAT; i++)
		if (!cl->trained[i] && (best < 0 || kw[i] > kw[best]))
			best = i;
	return best;
}

static void top_from_model(const struct model *m, const struct model_result *r, json_t *top)
{
	int used[MODEL_MAX_CLASSES] = { 0 };

	for (int k = 0; k < 3 && k < m->nclasses; k++) {
		int best = -1;

		for (int c = 0; c < m->nclasses; c++)
			if (!used[c] && (best < 0 || r->prob[c] > r->prob[best]))
				best = c;
		used[best] = 1;
		if (json_array_size(top) < 3)
			json_array_append_new(top, top_entry(m->classes[best], r->prob[best]));
	}
}

/* The model's say, combined with the keyword scores kw (all categories). */
static void decide_with_model(struct classifier *cl, const double *kw, struct classifier_text *out)
{
	const struct model *m = cl->model;
	struct model_result r;
	int u = untrained_best(cl, kw);
	double mk; /* the keyword score of the model's best category */

	if (model_predict(m, cl->ws, cl->text.buf, &r))
		r.claim = r.prob[r.best = 0] = 0; /* no known feature at all */
	json_array_clear(out->top);
	mk = kw[cl->model_cat[r.best]];
	if (u >= 0 && kw[u] >= cl->keyword_strong && kw[u] > mk &&
	    kw[u] / (kw[u] + 3.0) > r.claim) {
		out->category = vocab_categories[u].code;
		out->confidence = kw[u] / (kw[u] + 3.0);
		json_array_append_new(out->top, top_entry(out->category, out->confidence));
	} else if (r.claim < cl->other_below && mk < 3 && (u < 0 || kw[u] < 3) &&
		   (r.claim == 0 || utf8_len(cl->text.buf) < (size_t)cl->other_short)) {
		/* short, no class claims it and no keyword backs the model's guess */
		out->category = "other";
		out->confidence = 1.0 - r.claim;
		json_array_append_new(out->top, top_entry("other", out->confidence));
	} else {
		out->category = vocab_categories[cl->model_cat[r.best]].code;
		out->confidence = r.prob[r.best];
	}
	top_from_model(m, &r, out->top);
	for (int k = r.nkeywords - 1; k >= 0; k--) /* the model's strongest first */
		json_array_insert_new(out->keywords, 0, json_string(r.keywords[k]));
	while (json_array_size(out->keywords) > 12)
		json_array_remove(out->keywords, json_array_size(out->keywords) - 1);
}

void classifier_text(struct classifier *cl, const char *subject, const char *content,
		     const char *hint, struct classifier_text *out)
{
	double score[NCAT] = { 0 };
	const char *raw = content ? content : "";
	struct hits hits;
	int h = vocab_category_index(hint);

	memset(out, 0, sizeof *out);
	/* the tables and the model see the normal form: simplified, no
	 * punctuation or spaces; text = subject followed by content */
	sbuf_reset(&cl->text);
	normalizer_apply(cl->nz, subject ? subject : "", subject ? strlen(subject) : 0, &cl->text);
	sbuf_reset(&cl->subject);
	sbuf_add(&cl->subject, cl->text.buf, cl->text.len);
	normalizer_apply(cl->nz, raw, strlen(raw), &cl->text);
	find_words(cl, cl->subject.buf, cl->text.buf + cl->subject.len, &hits);
	out->keywords = score_categories(cl->table, &hits, score);
	if (h >= 0)
		score[h] += 2; /* upstream's hint counts as one good keyword */
	rank(score, out);
	if (cl->model)
		decide_with_model(cl, score, out);
	out->model = classifier_version(cl);
	out->low_confidence = out->confidence < cl->low_confidence;
	out->simhash = classifier_simhash(cl->text.buf);
	emotion(cl->text.buf, raw, out);
	out->policies = policy_related(cl->policies, hits.cat + cl->table->n,
				       vocab_category_index(out->category));
}

void classifier_text_release(struct classifier_text *t)
{
	json_decref(t->top);
	json_decref(t->keywords);
	json_decref(t->danger);
	json_decref(t->policies);
	memset(t, 0, sizeof *t);
}
