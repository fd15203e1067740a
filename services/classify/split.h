/*
 * split.h - the one held-out split of a labelled corpus: a stratified
 * train/test split that is the same on every machine, and the bootstrap
 * confidence interval of macro-F1 on the test part.
 *
 * Within each class, documents are ordered by a keyed hash of their id
 * (FNV-1a 64 over the seed and the id, then a 64-bit finaliser) and the
 * first round(n_class * test_pct / 100) go to the test part. No rand(), no
 * dependence on the order of the file: the same ids, labels and seed give
 * the same test part anywhere.
 */
#ifndef XF_CLASSIFY_SPLIT_H
#define XF_CLASSIFY_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "classify/corpus.h"

/* The keyed hash of one id under seed. */
uint64_t split_key(uint64_t seed, const char *id);

/*
 * Marks the test part: test[i] = 1 for the documents held out, 0 for
 * training. ids[i] and label[i] (any small integer, one per class, 0 <=
 * label < nlabels <= 64) describe document i; ids must be distinct.
 * test_pct is 1..99. Returns the number of test documents.
 */
size_t split_stratified(const char *const *ids, const int *label, size_t n, int nlabels,
			uint64_t seed, int test_pct, unsigned char *test);

/*
 * The 95% percentile bootstrap interval of e's macro-F1: `resamples`
 * resamples of e's documents (its (truth, predicted) pairs, drawn with
 * replacement by a splitmix64 generator seeded with seed), their macro-F1
 * sorted, the 2.5th and 97.5th percentiles into *lo and *hi.
 */
void eval_bootstrap(const struct eval *e, int resamples, uint64_t seed, double *lo, double *hi);

#endif
