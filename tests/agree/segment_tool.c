/*
 * segment_tool.c - builds, checks and times the word segmenter
 * (services/classify/segment.h); bin/segment-tool.
 *
 *   segment-tool build JIEBA_DICT OUT [MIN_FREQ]
 *       the dictionary file from jieba's dict.txt ("word freq tag" lines),
 *       each word normalised like petitions (deploy/scripts/gen-segdict.sh)
 *   segment-tool cut DICT [--skip-stop] < LINES
 *       per input line: its normal form, a tab, its words joined by spaces
 *       (tests/segment_agree.py compares them with jieba's)
 *   segment-tool bench DICT JSONL
 *       load time, and the speed of normalised texts cut on one core
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jansson.h>

#include "classify/normalize.h"
#include "classify/segment.h"
#include "sbuf.h"
#include "util.h"
#include "xalloc.h"

struct entry {
	char *word; /* normalised */
	uint32_t freq;
	int exact; /* the word was already in its normal form */
};

struct words {
	struct entry *e;
	size_t n, alloc;
	uint64_t total;
	size_t lines, merged, pruned;
};

/* By word; of one word, an entry already in normal form first, then the
 * greatest frequency: the one kept. */
static int by_word(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->word, y->word);

	if (c)
		return c;
	if (x->exact != y->exact)
		return y->exact - x->exact;
	return (y->freq > x->freq) - (y->freq < x->freq);
}

/* Sorts ws and keeps one entry per word (see by_word). */
static void merge_words(struct words *ws)
{
	size_t k = 0;

	qsort(ws->e, ws->n, sizeof *ws->e, by_word);
	for (size_t i = 0; i < ws->n; i++) {
		if (k && !strcmp(ws->e[k - 1].word, ws->e[i].word)) {
			free(ws->e[i].word);
			ws->merged++;
			continue;
		}
		ws->e[k++] = ws->e[i];
	}
	ws->n = k;
}

/* Reads jieba's dictionary at path into ws; 0 or -1 after a message. */
static int read_jieba(const char *path, const struct normalizer *nz, unsigned long min_freq,
		      struct words *ws)
{
	char line[1024], word[512];
	unsigned long freq;
	struct sbuf norm = SBUF_INIT;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%511s %lu", word, &freq) != 2 || freq > UINT32_MAX) {
			fprintf(stderr, "%s:%zu: not \"word freq\"\n", path, ws->lines + 1);
			fclose(f);
			return -1;
		}
		ws->lines++;
		ws->total += freq; /* every line counts, as in jieba */
		sbuf_reset(&norm);
		normalizer_apply(nz, word, strlen(word), &norm);
		if (!norm.len || freq < min_freq || !freq) {
			ws->pruned++;
			continue;
		}
		XALLOC_GROW(ws->e, ws->n, ws->alloc, 4096);
		ws->e[ws->n++] = (struct entry){ xstrdup(norm.buf), (uint32_t)freq,
						 !strcmp(norm.buf, word) };
	}
	merge_words(ws);
	fclose(f);
	sbuf_release(&norm);
	return 0;
}

static int cmd_build(int argc, char **argv, const struct normalizer *nz)
{
	struct words ws = { 0 };
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	const char **word;
	uint32_t *freq;
	unsigned long min_freq = argc > 4 ? strtoul(argv[4], NULL, 10) : 0;
	FILE *f;
	int rc = 1;

	if (read_jieba(argv[2], nz, min_freq, &ws))
		return 1;
	word = xcalloc(ws.n + 1, sizeof *word);
	freq = xcalloc(ws.n + 1, sizeof *freq);
	for (size_t i = 0; i < ws.n; i++) {
		word[i] = ws.e[i].word;
		freq[i] = ws.e[i].freq;
	}
	if (segment_dict_encode(word, freq, ws.n, ws.total, &out, &err)) {
		fprintf(stderr, "%s\n", err.buf);
	} else if (!(f = fopen(argv[3], "wb")) || fwrite(out.buf, 1, out.len, f) != out.len ||
		   fclose(f)) {
		perror(argv[3]);
	} else {
		printf("%s: %zu words (%zu lines, %zu merged by normalisation, %zu pruned), "
		       "total %llu, %zu bytes\n",
		       argv[3], ws.n, ws.lines, ws.merged, ws.pruned, (unsigned long long)ws.total,
		       out.len);
		rc = 0;
	}
	for (size_t i = 0; i < ws.n; i++)
		free(ws.e[i].word);
	free(ws.e);
	free(word);
	free(freq);
	sbuf_release(&out);
	sbuf_release(&err);
	return rc;
}

static void print_word(void *arg, const char *word, size_t len, unsigned flags)
{
	int *first = arg;

	(void)flags;
	printf("%s%.*s", *first ? "" : " ", (int)len, word);
	*first = 0;
}

static int cmd_cut(int argc, char **argv, const struct normalizer *nz, const struct segmenter *seg)
{
	unsigned opts = argc > 3 && !strcmp(argv[3], "--skip-stop") ? SEG_SKIP_STOP : 0;
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct sbuf line = SBUF_INIT, norm = SBUF_INIT;
	int c, first;

	while ((c = getchar()) != EOF) {
		if (c != '\n') {
			sbuf_addch(&line, (char)c);
			continue;
		}
		sbuf_reset(&norm);
		normalizer_apply(nz, line.buf, line.len, &norm);
		printf("%s\t", norm.buf);
		first = 1;
		segment_words(seg, &sc, norm.buf, norm.len, opts, print_word, &first);
		putchar('\n');
		sbuf_reset(&line);
	}
	seg_scratch_release(&sc);
	sbuf_release(&line);
	sbuf_release(&norm);
	return 0;
}

static void count_word(void *arg, const char *word, size_t len, unsigned flags)
{
	(void)word;
	(void)len;
	(void)flags;
	++*(size_t *)arg;
}

/* The texts of a JSONL file, spaces removed and normalised, one after
 * another in all; their ends in ends[]. Returns the count. */
static size_t read_texts(const char *path, const struct normalizer *nz, struct sbuf *all,
			 size_t **ends)
{
	json_t *js;
	json_error_t jerr;
	size_t n = 0, alloc = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while ((js = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr))) {
		const char *t = json_string_value(json_object_get(js, "text"));
		struct sbuf joined = SBUF_INIT;

		for (; t && *t; t++)
			if (*t != ' ')
				sbuf_addch(&joined, *t);
		normalizer_apply(nz, joined.buf, joined.len, all);
		XALLOC_GROW(*ends, n, alloc, 1024);
		(*ends)[n++] = all->len;
		sbuf_release(&joined);
		json_decref(js);
	}
	fclose(f);
	return n;
}

static int cmd_bench(char **argv, const struct normalizer *nz, const struct segmenter *seg,
		     double load_ms)
{
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct sbuf all = SBUF_INIT;
	size_t *ends = NULL, n = read_texts(argv[3], nz, &all, &ends), words = 0;
	double best = 0;
	struct rusage ru;

	if (!n) {
		fprintf(stderr, "%s: no texts\n", argv[3]);
		return 1;
	}
	for (int round = 0; round < 5; round++) {
		double t0 = now_ms(), ms;

		words = 0;
		for (size_t i = 0, b = 0; i < n; b = ends[i++])
			segment_words(seg, &sc, all.buf + b, ends[i] - b, SEG_SKIP_STOP, count_word,
				      &words);
		ms = now_ms() - t0;
		if (!round || ms < best)
			best = ms;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("dictionary: %zu words, loaded in %.1f ms\n", segmenter_size(seg), load_ms);
	printf("cut %zu texts (%.2f MB, %zu words but stop words) in %.1f ms (best of 5): "
	       "%.1f MB/s, %.0f texts/s, %.1f us per text; peak RSS %ld MB\n",
	       n, all.len / 1e6, words, best, all.len / 1e3 / best, n * 1e3 / best, best * 1e3 / n,
	       ru.ru_maxrss / 1024);
	seg_scratch_release(&sc);
	sbuf_release(&all);
	free(ends);
	return 0;
}

int main(int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct normalizer *nz;
	struct segmenter *seg = NULL;
	double t0;
	int rc = 2;

	if (argc < 3 ||
	    (strcmp(argv[1], "build") && strcmp(argv[1], "cut") && strcmp(argv[1], "bench")) ||
	    (!strcmp(argv[1], "build") && argc < 4) || (!strcmp(argv[1], "bench") && argc < 4)) {
		fprintf(stderr, "usage: segment-tool build JIEBA_DICT OUT [MIN_FREQ] | "
				"cut DICT [--skip-stop] | bench DICT JSONL\n");
		return 2;
	}
	if (!(nz = normalizer_new(&err))) {
		fprintf(stderr, "normalizer: %s\n", err.buf);
		return 1;
	}
	if (!strcmp(argv[1], "build")) {
		rc = cmd_build(argc, argv, nz);
		goto out;
	}
	t0 = now_ms();
	if (!(seg = segmenter_load(argv[2], &err))) {
		fprintf(stderr, "%s\n", err.buf);
		rc = 1;
		goto out;
	}
	if (!strcmp(argv[1], "cut"))
		rc = cmd_cut(argc, argv, nz, seg);
	else
		rc = cmd_bench(argv, nz, seg, now_ms() - t0);
out:
	segmenter_free(seg);
	normalizer_free(nz);
	sbuf_release(&err);
	return rc;
}
