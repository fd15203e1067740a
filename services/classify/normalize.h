/*
 * normalize.h - the text normaliser that makes training data (pre-tokenised,
 * words joined by spaces) and production input (raw citizen text with
 * punctuation, full-width forms, traditional characters) look the same to a
 * character n-gram classifier.
 *
 *   struct normalizer *nz = normalizer_new(&err);
 *   normalizer_apply(nz, text, strlen(text), &out);   "請儘快處理！" -> "请尽快处理"
 *   normalizer_free(nz);
 *
 * The normal form of a text, in order:
 *   1. invalid UTF-8 bytes are dropped (one byte at a time);
 *   2. NFKC (full-width and compatibility forms become plain ones: "Ａ１" -> "A1");
 *   3. traditional and Taiwan/Hong Kong variant characters become simplified,
 *      one character at a time (services/classify/gen/t2s_table.h, generated
 *      from the OpenCC data by deploy/scripts/gen-t2s.sh); characters that
 *      OpenCC's s2t conversion uses interchangeably map to one of them, so a
 *      text and its OpenCC traditional form normalise alike (瞭/了 -> 了,
 *      藉/借 -> 借, 覆/复 -> 复, 著/着 -> 着, 乾/干 -> 干);
 *   4. ASCII letters are lower-cased (other scripts keep their case);
 *   5. every white-space, punctuation, symbol, control or format character is
 *      removed: Unicode categories Z*, P*, S*, C* (Cc, Cf, Cs, Co, Cn), the
 *      enclosing marks (Me) and the variation selectors. Letters, digits and
 *      the other combining marks stay.
 *
 * Fast: ASCII and most of the Basic Multilingual Plane go through one table
 * built by normalizer_new(); only code points whose NFKC depends on their
 * neighbours (combining marks, Hangul jamo, multi-character expansions like
 * "㈱") are handed to utf8proc, with the code point before them.
 *
 * A normalizer is read-only after normalizer_new(): one may be shared by
 * any number of threads.
 */
#ifndef XF_NORMALIZE_H
#define XF_NORMALIZE_H

#include <stddef.h>

#include "sbuf.h"

struct normalizer;

/* Returns a normalizer ready to use, or NULL with the reason in err (which
 * may be NULL) if it cannot be built. Free it with normalizer_free(). */
struct normalizer *normalizer_new(struct sbuf *err);

/* Appends to out the normal form of text[0..len) (which need not be
 * NUL-terminated nor valid UTF-8) and returns the number of code points
 * appended. out stays NUL-terminated; what it held before is kept. */
size_t normalizer_apply(const struct normalizer *nz, const char *text, size_t len,
			struct sbuf *out);

/* Frees nz; NULL is fine. */
void normalizer_free(struct normalizer *nz);

#endif
