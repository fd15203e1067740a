/* phrase.c - see phrase.h. */
#include "phrase.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int entry_cmp(const void *a, const void *b)
{
	const struct phrase_entry *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	if (x->len != y->len)
		return (x->len < y->len) - (x->len > y->len);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Files each run of equal keys under its key, by open addressing. */
static void index_slots(struct phrase_index *ix)
{
	size_t nslots = 64;

	while (nslots < 2 * ix->n)
		nslots <<= 1;
	ix->slot = xcalloc(nslots, sizeof *ix->slot);
	ix->mask = nslots - 1;
	for (size_t i = 0; i < ix->n;) {
		size_t j = i, h = phrase_slot_of(ix, ix->e[i].key);

		while (j < ix->n && ix->e[j].key == ix->e[i].key)
			j++;
		while (ix->slot[h].end)
			h = (h + 1) & ix->mask;
		ix->slot[h].key = ix->e[i].key;
		ix->slot[h].start = (uint32_t)i;
		ix->slot[h].end = (uint32_t)j;
		i = j;
	}
}

struct phrase_index *phrase_index_new(size_t n)
{
	struct phrase_index *ix = xcalloc(1, sizeof *ix);

	ix->e = xcalloc(n + 1, sizeof *ix->e);
	return ix;
}

void phrase_index_add(struct phrase_index *ix, size_t idx, const char *word)
{
	size_t len = strlen(word);

	if (len < 3)
		return; /* one ASCII or two-byte character: too short to match alone */
	ix->e[ix->n++] = (struct phrase_entry){ phrase_key3(word),
						len >= 6 ? phrase_key3(word + 3) : 0, (unsigned)idx,
						(unsigned short)len, word };
}

void phrase_index_build(struct phrase_index *ix)
{
	qsort(ix->e, ix->n, sizeof ix->e[0], entry_cmp);
	index_slots(ix);
}

void phrase_index_free(struct phrase_index *ix)
{
	if (ix) {
		free(ix->e);
		free(ix->slot);
	}
	free(ix);
}
