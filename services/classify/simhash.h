/*
 * simhash.h - the SimHash by which xf-classify finds repeats and clusters
 * (similar.h).
 */
#ifndef XF_CLASSIFY_SIMHASH_H
#define XF_CLASSIFY_SIMHASH_H

#include <stdint.h>

/*
 * 64-bit SimHash of a normalised text over its character bigrams:
 * near-duplicate texts differ in few bits (xf_hamming in PostgreSQL).
 */
uint64_t classifier_simhash(const char *norm);

#endif
