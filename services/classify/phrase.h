/*
 * phrase.h - a phrase index: which phrases of a table a text has at each
 * position, for one pass over the text. The keyword table (classifier.c)
 * and the emotion lexicon (emotion.c) search their phrases with it.
 *
 *   struct phrase_index *ix = phrase_index_new(n);
 *   for (i = 0; i < n; i++)
 *           phrase_index_add(ix, i, words[i]);
 *   phrase_index_build(ix);
 *   ... e = phrase_longest(ix, text + i, len - i) ...
 *   phrase_index_free(ix);
 *
 * Phrases are sorted by their first three bytes (one CJK character), the
 * longer ones first; a small open-addressing table finds the run of
 * phrases for the three bytes at a position. Once built, the index is
 * read-only: any number of threads may search it at once.
 *
 * The structures are in the open so that a search inlines into the
 * caller's loop over the characters (a call a character cost 8% of a
 * petition's classification); only phrase.c writes them.
 */
#ifndef XF_CLASSIFY_PHRASE_H
#define XF_CLASSIFY_PHRASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct phrase_entry {
	uint32_t key;       /* the first three bytes */
	uint32_t key2;      /* the next three bytes, 0 if the word has only three */
	unsigned idx;       /* the number it was added with */
	unsigned short len; /* bytes */
	const char *word;   /* borrowed */
};

struct phrase_slot {
	uint32_t key, start, end; /* the run e[start, end) of first bytes key; end 0: empty */
};

struct phrase_index {
	struct phrase_entry *e; /* sorted by key, the longer words first */
	size_t n;
	struct phrase_slot *slot; /* open addressing, at least twice the entries */
	size_t mask;
};

/* An empty index for at most n phrases. Aborts when out of memory. */
struct phrase_index *phrase_index_new(size_t n);
/*
 * Adds phrase number idx, word (borrowed: it must outlive the index). A
 * word of fewer than three bytes (one ASCII or two-byte character) is left
 * out: too short to match alone.
 */
void phrase_index_add(struct phrase_index *ix, size_t idx, const char *word);
/* Sorts and files the phrases added; once, before any search. */
void phrase_index_build(struct phrase_index *ix);
void phrase_index_free(struct phrase_index *ix);

static inline uint32_t phrase_key3(const char *s)
{
	return (uint32_t)(unsigned char)s[0] << 16 | (uint32_t)(unsigned char)s[1] << 8 |
	       (uint32_t)(unsigned char)s[2];
}

static inline size_t phrase_slot_of(const struct phrase_index *ix, uint32_t key)
{
	return (key * 2654435761u) >> 8 & ix->mask;
}

/* The run of entries that may stand at `at` (rem bytes left): those of
 * its first three bytes, longest first; an empty slot when there are none. */
static inline const struct phrase_slot *phrase_run(const struct phrase_index *ix, const char *at,
						   size_t rem)
{
	static const struct phrase_slot none;
	uint32_t k;
	size_t h;

	if (rem < 3)
		return &none; /* every entry is at least three bytes */
	k = phrase_key3(at);
	for (h = phrase_slot_of(ix, k); ix->slot[h].end && ix->slot[h].key != k;)
		h = (h + 1) & ix->mask;
	return &ix->slot[h];
}

/* Whether entry e of the run at `at` (rem bytes left) stands there: its
 * first three bytes are known to match. */
static inline int phrase_matches(const struct phrase_entry *e, const char *at, size_t rem)
{
	if (e->len > rem)
		return 0;
	if (e->len < 6)
		return !memcmp(at + 3, e->word + 3, e->len - 3u);
	return e->key2 == phrase_key3(at + 3) && !memcmp(at + 6, e->word + 6, e->len - 6u);
}

/* The longest entry at `at` (rem bytes left), or NULL. */
static inline const struct phrase_entry *phrase_longest(const struct phrase_index *ix,
							const char *at, size_t rem)
{
	const struct phrase_slot *run = phrase_run(ix, at, rem);

	for (uint32_t j = run->start; j < run->end; j++)
		if (phrase_matches(&ix->e[j], at, rem))
			return &ix->e[j];
	return NULL;
}

#endif
