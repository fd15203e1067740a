/* split.c - see split.h. */
#include "classify/split.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* A 64-bit finaliser (splitmix64's): every input bit reaches every output bit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

uint64_t split_key(uint64_t seed, const char *id)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (int b = 0; b < 8; b++) /* the seed's bytes, little-endian */
		h = (h ^ ((seed >> (8 * b)) & 0xff)) * 0x100000001b3u;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return mix64(h);
}

struct keyed {
	uint64_t key;
	const char *id; /* ties (only if two keys collide) broken by the id */
	size_t i;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Holds out the first round(n pct / 100) of one class's documents, in key order. */
static size_t hold_out(struct keyed *k, size_t n, int test_pct, unsigned char *test)
{
	size_t want = (n * (size_t)test_pct + 50) / 100;

	qsort(k, n, sizeof *k, keyed_cmp);
	for (size_t j = 0; j < n; j++)
		test[k[j].i] = j < want;
	return want;
}

size_t split_stratified(const char *const *ids, const int *label, size_t n, int nlabels,
			uint64_t seed, int test_pct, unsigned char *test)
{
	struct keyed *k = xmalloc((n ? n : 1) * sizeof *k);
	size_t held = 0;

	for (int c = 0; c < nlabels; c++) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			if (label[i] == c)
				k[m++] = (struct keyed){ split_key(seed, ids[i]), ids[i], i };
		held += hold_out(k, m, test_pct, test);
	}
	free(k);
	return held;
}

static uint64_t splitmix_next(uint64_t *state)
{
	return mix64(*state += 0x9e3779b97f4a7c15u);
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* e's documents as a flat list of confusion cells, one entry per document. */
static unsigned short *cells(const struct eval *e)
{
	unsigned short *doc = xmalloc((size_t)(e->n ? e->n : 1) * sizeof *doc);
	size_t d = 0;

	for (int t = 0; t < e->nclasses; t++)
		for (int p = 0; p < e->nclasses + e->elsewhere; p++)
			for (long j = 0; j < e->confusion[t][p]; j++)
				doc[d++] = (unsigned short)(t * MODEL_MAX_CLASSES + p);
	return doc;
}

void eval_bootstrap(const struct eval *e, int resamples, uint64_t seed, double *lo, double *hi)
{
	unsigned short *doc = cells(e);
	double *f1 = xmalloc((size_t)(resamples > 0 ? resamples : 1) * sizeof *f1);
	struct eval r;
	int cut = (int)(0.025 * resamples);

	for (int s = 0; s < resamples; s++) {
		memset(&r, 0, sizeof r);
		r.nclasses = e->nclasses;
		r.elsewhere = e->elsewhere;
		for (long j = 0; j < e->n; j++) {
			unsigned short cell = doc[splitmix_next(&seed) % (uint64_t)e->n];

			eval_add(&r, cell / MODEL_MAX_CLASSES, cell % MODEL_MAX_CLASSES);
		}
		f1[s] = eval_macro_f1(&r);
	}
	qsort(f1, (size_t)resamples, sizeof *f1, double_cmp);
	*lo = resamples > 0 && e->n ? f1[cut] : 0;
	*hi = resamples > 0 && e->n ? f1[resamples - 1 - cut] : 0;
	free(f1);
	free(doc);
}
