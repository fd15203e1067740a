/*
 * policy.h - the related policies table (关联政策, xf.policies.v1): laws,
 * regulations and their articles, each with the categories and phrases
 * that make it concern a petition. The classifier (classifier.h) finds the
 * table's phrases in the same pass over the text as its keywords and asks
 * policy_related which entries apply.
 *
 *   struct policy_table *t = policy_table_parse(nz, json, &err);
 *   ... phrase i of the table is t->phrase[i] (normalised), of entry t->of[i];
 *   ... hits[i] != 0 when the text has phrase i ...
 *   json_t *related = policy_related(t, hits, category);
 *   policy_table_free(t);
 *
 * An entry applies when at least one of its phrases is in the text and,
 * if it names categories, the petition's category is one of them (an
 * entry without categories applies on a phrase alone). At most
 * POLICY_MAX_RELATED apply, those with the most distinct phrases found
 * first, ties in the order of the file.
 */
#ifndef XF_CLASSIFY_POLICY_H
#define XF_CLASSIFY_POLICY_H

#include <jansson.h>

#include <stddef.h>

#include "sbuf.h"

#define POLICY_MAX_RELATED 5
/* the longest phrase, in bytes once normalised */
#define POLICY_PHRASE_MAX 255

struct normalizer;

struct policy {
	char *id, *title, *article; /* owned; article NULL when the entry has none */
	unsigned cats;              /* bit i: vocab_categories[i]; 0: any category */
	json_t *out;                /* {id, title, article?}, made once, shared */
};

struct policy_table {
	struct policy *p; /* entries, in the order of the file */
	size_t n;
	char **phrase; /* every entry's phrases, normalised, owned */
	size_t *of;    /* the entry of each phrase */
	size_t nphrases;
	unsigned *score; /* scratch of policy_related, one per entry */
	char version[65];
};

/*
 * Reads an xf.policies.v1 document (JSON text): ids unique, categories
 * known, at least one phrase an entry, each phrase 3 to POLICY_PHRASE_MAX
 * bytes once normalised by nz (borrowed, used only during the call); a
 * phrase an entry repeats counts once. Returns a new table, or NULL with
 * the reason in err (may be NULL), naming the entry (/policies/N).
 */
struct policy_table *policy_table_parse(const struct normalizer *nz, const char *json,
					struct sbuf *err);
void policy_table_free(struct policy_table *t);

/*
 * The entries that apply to a text of category (an index of
 * vocab_categories; -1 matches only entries without categories), given
 * hits[0..t->nphrases) (non-zero: the phrase was found): a new array of
 * {id, title, article?}, empty when none applies. The entries are the
 * table's own objects, shared by every array that names them: read them,
 * never change them.
 */
json_t *policy_related(struct policy_table *t, const unsigned char *hits, int category);

#endif
