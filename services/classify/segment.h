/*
 * segment.h - a Chinese word segmenter that cuts normalised text as jieba's
 * precise mode does without its HMM (jieba.cut(text, HMM=False)), from a
 * word list with frequencies (models/xf-words.dict, built from Debian's
 * python3-jieba dictionary by deploy/scripts/gen-segdict.sh).
 *
 *   struct segmenter *seg = segmenter_load("models/xf-words.dict", &err);
 *   struct seg_scratch sc = SEG_SCRATCH_INIT;
 *   segment_words(seg, &sc, text, len, SEG_SKIP_STOP, on_word, arg);
 *   seg_scratch_release(&sc);
 *   segmenter_free(seg);
 *
 * How a text is cut, as jieba 0.42 does:
 *   1. Blocks are the runs of U+4E00..U+9FD5, ASCII letters and digits and
 *      "+#&._%-" (jieba's re_han_default). Every other character is a word
 *      of its own, but white space, which is dropped, and bytes that are not
 *      UTF-8, which are dropped and end a block.
 *   2. In a block, every dictionary word starting at each position forms a
 *      DAG (a position that starts none has its character alone), and the
 *      path with the greatest sum of log(freq / total) is taken (a lone
 *      character not in the dictionary counts freq 1). Of two equal sums,
 *      the one whose first word is longer wins, as jieba's max() over
 *      (score, end) does.
 *   3. Consecutive one-character words that are ASCII letters or digits are
 *      joined into one word (jieba's re_eng), so "2019" and "abc" stay whole.
 *
 * The dictionary's words are in the normal form of classify/normalize.h, so
 * the text given must be normalised too (normalizer_apply): on such text
 * this segmenter and jieba (on the same text) agree on 99.9% of the words
 * of the training data (tests/segment_agree.py measures it).
 *
 * A segmenter is read-only after it is loaded: any number of threads may
 * share one, each with its own seg_scratch.
 */
#ifndef XF_SEGMENT_H
#define XF_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct segmenter;

/* Per-thread working memory of segment_words(): it grows to the longest
 * text seen and is reused, so cutting allocates nothing once warm. */
struct seg_scratch {
	uint32_t *cp;   /* code points of the text */
	uint32_t *off;  /* byte offset of each, and the end */
	uint32_t *next; /* end of the best first word at each position */
	uint32_t *node; /* its dictionary node (0: not a word) */
	double *score;  /* best sum of log-probabilities from each position */
	size_t cap;     /* entries of each array */
};
/* clang-format off */
#define SEG_SCRATCH_INIT { 0 }
/* clang-format on */

/* Flags a word is given to the callback with. */
enum {
	SEG_DICT = 1, /* a dictionary word */
	SEG_STOP = 2, /* a stop word (a function word that training texts lack) */
};

/* Options of segment_words(). */
enum {
	SEG_SKIP_STOP = 1, /* do not pass on stop words */
};

/* Called once per word, in text order: word[0..len) lies in the text given
 * (not NUL-terminated); flags as above. */
typedef void (*segment_fn)(void *arg, const char *word, size_t len, unsigned flags);

/* Loads the dictionary file at path. Returns NULL with the reason in err
 * (may be NULL) if it cannot be read or is malformed. */
struct segmenter *segmenter_load(const char *path, struct sbuf *err);

/* Like segmenter_load(), from the file's bytes buf[0..len) (copied). */
struct segmenter *segmenter_from_buf(const void *buf, size_t len, struct sbuf *err);

/* Frees seg; NULL is fine. */
void segmenter_free(struct segmenter *seg);

/* Number of words in the dictionary. */
size_t segmenter_size(const struct segmenter *seg);

/*
 * Cuts text[0..len) (UTF-8, normalised; anything else is cut without
 * harm; bytes past the first 2^31 - 1 are ignored) and calls fn(arg, ...)
 * for each word, leaving out stop words if opts has SEG_SKIP_STOP. Returns
 * the number of calls made. sc grows (allocation failure aborts, as
 * everywhere) only for a text longer than any before.
 */
long segment_words(const struct segmenter *seg, struct seg_scratch *sc, const char *text,
		   size_t len, unsigned opts, segment_fn fn, void *arg);

/* Frees what sc holds and makes it empty again. */
void seg_scratch_release(struct seg_scratch *sc);

/*
 * Appends to out a dictionary file of n words (words[i], UTF-8, distinct,
 * 1 to 255 bytes, NUL-free) with their frequencies (freqs[i] >= 1), the
 * log-probabilities taken against total (>= each freq; jieba uses the sum
 * of its whole list's). Words may come in any order (they are sorted here).
 * Returns 0, or -1 with the reason in err if an argument is out of range.
 */
int segment_dict_encode(const char *const *words, const uint32_t *freqs, size_t n, uint64_t total,
			struct sbuf *out, struct sbuf *err);

#endif
