/*
 * segment.c - fuzzes the word segmenter (services/classify/segment.c).
 * An input whose first byte is odd is a dictionary file (any bytes: it is
 * loaded or refused, never read out of bounds; once loaded it cuts a
 * sentence); else the rest is a text cut with the committed dictionary
 * (models/xf-words.dict; run from the repository root, as run.sh does).
 * The words of a text must be non-empty, well-formed UTF-8, lie in the
 * text in order without overlapping, and the count returned must match.
 */
#include "classify/segment.h"
#include "fuzz.h"
#include "sbuf.h"
#include "utf8.h"

static struct segmenter *words;
static struct seg_scratch sc = SEG_SCRATCH_INIT;

struct seen {
	const char *text, *end; /* the text, and the end of the last word */
	size_t len;
	long calls;
};

static void on_word(void *arg, const char *word, size_t len, unsigned flags)
{
	struct seen *s = arg;

	FUZZ_ASSERT(len > 0);
	FUZZ_ASSERT(word >= s->end && word + len <= s->text + s->len);
	FUZZ_ASSERT(utf8_valid(word, len));
	FUZZ_ASSERT(!(flags & ~(unsigned)(SEG_DICT | SEG_STOP)));
	s->end = word + len;
	s->calls++;
}

static void cut(const struct segmenter *seg, const char *text, size_t len, unsigned opts)
{
	struct seen s = { text, text, len, 0 };

	FUZZ_ASSERT(segment_words(seg, &sc, text, len, opts, on_word, &s) == s.calls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct segmenter *seg;

	if (!words && !(words = segmenter_load("models/xf-words.dict", NULL)))
		abort();
	if (!size)
		return 0;
	if (data[0] & 1) {
		seg = segmenter_from_buf(data + 1, size - 1, NULL);
		if (seg)
			cut(seg, "我们小区的自来水有霉味abc123",
			    strlen("我们小区的自来水有霉味abc123"), 0);
		segmenter_free(seg);
		return 0;
	}
	cut(words, (const char *)data + 1, size - 1, data[0] & 2 ? SEG_SKIP_STOP : 0);
	return 0;
}
