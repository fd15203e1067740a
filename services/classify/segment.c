/*
 * segment.c - jieba's precise mode without HMM, in C (see segment.h).
 *
 * The dictionary file ("xf-words-1"), all integers little-endian:
 *   8 bytes  "XFSEG1\n\0"
 *   u32      number of words
 *   u32      nodes of their trie (distinct prefixes, and the root)
 *   u64      total (the frequency the log-probabilities are taken against)
 *   per word, in strictly increasing byte order (front-coded):
 *     u8 bytes shared with the word before, u8 bytes that follow,
 *     those bytes, the frequency as an unsigned LEB128 (1 to 2^32-1).
 *
 * In memory the words form a trie of code points: node 0 is the root, a
 * node's children are found through one open-addressing table of 64-bit
 * entries (word: 1 bit, parent: 20, code point: 21, child: 20; 0 is empty), and the
 * root's children below U+10000 through a direct array, since every word
 * starts there; the entries and the array also say whether the child is a
 * word. A bitmap of 512 KiB, which stays in the cache, says which (parent,
 * code point) may have an entry, so most missing ones cost no look-up in
 * the table. Each node has its log-probability and flags.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"
#include "utf8.h"
#include "xalloc.h"

#define SEG_MAGIC "XFSEG1\n"
#define SEG_HDR 24
#define BAD_CP 0x110000u /* a byte that starts no character */
#define NODE_BITS 20
#define MAX_NODES ((1u << NODE_BITS) - 1)
#define KEY_MASK ((UINT64_C(1) << 41) - 1)
#define EDGE_WORD (UINT64_C(1) << 61)
#define PAIR_BITS 22
/* A link to a child: its node, and LINK_WORD if that node is a word. */
#define LINK_WORD 0x80000000u
#define LINK_NODE(l) ((l)&MAX_NODES)
#define MAX_TEXT 0x7FFFFFFFu

enum { NODE_WORD = 1, NODE_STOP = 2 };

struct segmenter {
	uint32_t *root;    /* link to the root's child for each code point < 0x10000 */
	uint64_t *edges;   /* the other parent -> child links */
	uint64_t *pairs;   /* bit per hash of (parent, code point) in edges */
	size_t edge_mask;  /* slots - 1 (a power of two) */
	double *lp;        /* log(freq) - log(total) of each node's word */
	uint8_t *flags;    /* NODE_* of each node */
	uint32_t nnodes;   /* nodes in use, the root included */
	uint32_t nwords;   /* nodes with NODE_WORD */
	uint32_t nalloc;   /* entries of lp and flags */
	double neg_logtot; /* log(1) - log(total): a character not in the list */
};

/*
 * Function words the training texts (teddycup2020_train.jsonl, pre-tokenised)
 * left out: of the 400 most frequent words of jieba's dictionary, those that
 * are not once a token of the 7,323 texts (159 of them; 石首, 政体 and 人民,
 * absent by chance, are not function words and are not listed).
 */
static const char *const stop_words[] = {
	"了",   "是",   "在",   "和",   "有",   "他",   "不",   "我",   "的",   "也",   "为",
	"就",   "这",   "上",   "你",   "一",   "到",   "都",   "等",   "着",   "对",   "来",
	"与",   "地",   "还",   "要",   "又",   "大",   "而",   "之",   "以",   "得",   "她",
	"个",   "去",   "将",   "那",   "但",   "从",   "把",   "被",   "于",   "多",   "我们",
	"过",   "可",   "他们", "并",   "能",   "会",   "自己", "没有", "出",   "或",   "由",
	"用",   "所",   "向",   "其",   "可以", "给",   "很",   "看",   "这个", "它",   "什么",
	"见",   "起",   "更",   "如",   "才",   "便",   "没",   "让",   "内",   "及",   "这样",
	"这些", "不是", "各",   "至",   "叫",   "当",   "三",   "本",   "此",   "们",   "起来",
	"如果", "开始", "同",   "因为", "比",   "通过", "即",   "其中", "不能", "打",   "老",
	"自",   "跟",   "则",   "像",   "时候", "可能", "出来", "以及", "较",   "一般", "同时",
	"由于", "所以", "不同", "这里", "因",   "呢",   "作为", "但是", "该",   "怎么", "二",
	"每",   "谁",   "其他", "带",   "吧",   "虽然", "根据", "者",   "连",   "因此", "第",
	"共",   "而且", "另",   "一样", "各种", "快",   "必须", "啊",   "你们", "吗",   "为了",
	"之一", "经",   "按",   "均",   "有关", "基本", "拿",   "如何", "不会", "据",   "大家",
	"四",   "那么", "这么", "仍",   "还有",
};

static inline size_t edge_slot(const struct segmenter *seg, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15u) >> 32) & seg->edge_mask;
}

static inline uint64_t pair_bit(uint64_t key)
{
	return (key * 0xC2B2AE3D27D4EB4Fu) >> (64 - PAIR_BITS);
}

/* The link to the child of node parent along code point cp, or 0. */
static inline uint32_t child(const struct segmenter *seg, uint32_t parent, uint32_t cp)
{
	uint64_t key, e, bit;
	size_t i;

	if (!parent && cp < 0x10000)
		return seg->root[cp];
	key = (uint64_t)parent << 21 | cp;
	bit = pair_bit(key);
	if (!(seg->pairs[bit >> 6] >> (bit & 63) & 1))
		return 0;
	for (i = edge_slot(seg, key); (e = seg->edges[i]) != 0; i = (i + 1) & seg->edge_mask)
		if ((e >> NODE_BITS & KEY_MASK) == key)
			return (uint32_t)(e & MAX_NODES) | (e & EDGE_WORD ? LINK_WORD : 0);
	return 0;
}

/* The child of parent along cp, made if missing; 0 when the trie is full. */
static uint32_t child_add(struct segmenter *seg, uint32_t parent, uint32_t cp)
{
	uint32_t c = LINK_NODE(child(seg, parent, cp));
	uint64_t key = (uint64_t)parent << 21 | cp, bit = pair_bit(key);
	size_t i;

	if (c)
		return c;
	if (seg->nnodes >= seg->nalloc)
		return 0;
	c = seg->nnodes++;
	seg->lp[c] = 0;
	seg->flags[c] = 0;
	if (!parent && cp < 0x10000) {
		seg->root[cp] = c;
		return c;
	}
	for (i = edge_slot(seg, key); seg->edges[i]; i = (i + 1) & seg->edge_mask)
		;
	seg->edges[i] = key << NODE_BITS | c;
	seg->pairs[bit >> 6] |= UINT64_C(1) << (bit & 63);
	return c;
}

/* The node of word[0..len), made with its prefixes if add; 0 when not there
 * (or not valid UTF-8, or the trie is full). */
static uint32_t word_node(struct segmenter *seg, const char *word, size_t len, int add)
{
	uint32_t node = 0, cp;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if (!(n = utf8_decode(word + i, len - i, &cp)))
			return 0;
		node = add ? child_add(seg, node, cp) : LINK_NODE(child(seg, node, cp));
		if (!node)
			return 0;
	}
	return node;
}

/* An empty trie of at most nodes nodes (<= MAX_NODES). */
static struct segmenter *seg_alloc(uint32_t nodes)
{
	struct segmenter *seg = xcalloc(1, sizeof *seg);
	size_t slots = 1024;

	while (slots < nodes * 2 + 2)
		slots *= 2;
	seg->root = xcalloc(0x10000, sizeof *seg->root);
	seg->edges = xcalloc(slots, sizeof *seg->edges);
	seg->pairs = xcalloc((size_t)1 << (PAIR_BITS - 6), sizeof *seg->pairs);
	seg->edge_mask = slots - 1;
	seg->lp = xcalloc(nodes, sizeof *seg->lp);
	seg->flags = xcalloc(nodes, sizeof *seg->flags);
	seg->nalloc = nodes;
	seg->nnodes = 1;
	return seg;
}

void segmenter_free(struct segmenter *seg)
{
	if (!seg)
		return;
	free(seg->root);
	free(seg->edges);
	free(seg->pairs);
	free(seg->lp);
	free(seg->flags);
	free(seg);
}

size_t segmenter_size(const struct segmenter *seg)
{
	return seg->nwords;
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Reads an LEB128 frequency at buf[*pos..len); 0 when malformed or too big. */
static uint32_t get_freq(const unsigned char *buf, size_t len, size_t *pos)
{
	uint64_t v = 0;

	for (int shift = 0; *pos < len && shift < 35; shift += 7) {
		unsigned char b = buf[(*pos)++];

		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80))
			return v <= UINT32_MAX ? (uint32_t)v : 0;
	}
	return 0;
}

/* Adds the words of buf[SEG_HDR..len); 0, or -1 with the reason in err. */
static int load_words(struct segmenter *seg, const unsigned char *buf, size_t len, uint32_t nwords,
		      double logtot, struct sbuf *err)
{
	char word[256];
	size_t pos = SEG_HDR, wlen = 0;

	for (uint32_t i = 0; i < nwords; i++) {
		size_t shared, more;
		uint32_t freq, node;

		if (len - pos < 2 || (shared = buf[pos]) > wlen || !(more = buf[pos + 1]) ||
		    shared + more > 255 || len - pos - 2 < more)
			break;
		/* strictly after the word before: it is a prefix, or a byte is greater */
		if (shared < wlen && buf[pos + 2] <= (unsigned char)word[shared])
			break;
		memcpy(word + shared, buf + pos + 2, more);
		wlen = shared + more;
		pos += 2 + more;
		if (!(freq = get_freq(buf, len, &pos)) || !(node = word_node(seg, word, wlen, 1)))
			break;
		seg->flags[node] |= NODE_WORD;
		seg->lp[node] = log((double)freq) - logtot;
		seg->nwords++;
	}
	if (seg->nwords == nwords && pos == len)
		return 0;
	sbuf_addf(err, "malformed dictionary at word %u", seg->nwords + 1);
	return -1;
}

/* Copies each node's NODE_WORD into the links to it, so that cutting
 * need not read its flags to know. */
static void mark_words(struct segmenter *seg)
{
	for (size_t cp = 0; cp < 0x10000; cp++)
		if (seg->root[cp] && (seg->flags[seg->root[cp]] & NODE_WORD))
			seg->root[cp] |= LINK_WORD;
	for (size_t i = 0; i <= seg->edge_mask; i++)
		if (seg->edges[i] && (seg->flags[seg->edges[i] & MAX_NODES] & NODE_WORD))
			seg->edges[i] |= EDGE_WORD;
}

struct segmenter *segmenter_from_buf(const void *data, size_t len, struct sbuf *err)
{
	const unsigned char *buf = data;
	struct segmenter *seg;
	uint64_t total;
	uint32_t nwords, nodes;

	if (len < SEG_HDR || memcmp(buf, SEG_MAGIC, 8)) {
		sbuf_adds(err, "not an xf-words-1 dictionary");
		return NULL;
	}
	nwords = (uint32_t)get_le(buf + 8, 4);
	nodes = (uint32_t)get_le(buf + 12, 4);
	total = get_le(buf + 16, 8);
	if (!total || nwords > (len - SEG_HDR) / 3 || !nodes || nodes > MAX_NODES ||
	    nodes - 1 > len - SEG_HDR) {
		sbuf_adds(err, "malformed dictionary header");
		return NULL;
	}
	seg = seg_alloc(nodes);
	seg->neg_logtot = log(1.0) - log((double)total);
	if (load_words(seg, buf, len, nwords, log((double)total), err)) {
		segmenter_free(seg);
		return NULL;
	}
	mark_words(seg);
	for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++) {
		uint32_t node = word_node(seg, stop_words[i], strlen(stop_words[i]), 0);

		if (node)
			seg->flags[node] |= NODE_STOP;
	}
	return seg;
}

struct segmenter *segmenter_load(const char *path, struct sbuf *err)
{
	struct segmenter *seg = NULL;
	struct sbuf buf = SBUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sbuf_add(&buf, chunk, n);
	if (ferror(f)) {
		sbuf_addf(err, "%s: read failed", path);
	} else if (!(seg = segmenter_from_buf(buf.buf, buf.len, err))) {
		sbuf_addf(err, " (%s)", path);
	}
	fclose(f);
	sbuf_release(&buf);
	return seg;
}

/* ---- cutting ---- */

static inline int is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* In a block (jieba's re_han_default). */
static inline int in_block(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FD5) || is_alnum(c) ||
	       (c < 0x80 && c && strchr("+#&._%-", (int)c));
}

/* White space as Python's \s (str.isspace) sees it. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

static void scratch_reserve(struct seg_scratch *sc, size_t n)
{
	if (n <= sc->cap)
		return;
	sc->cp = xreallocarray(sc->cp, n, sizeof *sc->cp);
	sc->off = xreallocarray(sc->off, n, sizeof *sc->off);
	sc->next = xreallocarray(sc->next, n, sizeof *sc->next);
	sc->node = xreallocarray(sc->node, n, sizeof *sc->node);
	sc->score = xreallocarray(sc->score, n, sizeof *sc->score);
	sc->cap = n;
}

void seg_scratch_release(struct seg_scratch *sc)
{
	free(sc->cp);
	free(sc->off);
	free(sc->next);
	free(sc->node);
	free(sc->score);
	memset(sc, 0, sizeof *sc);
}

/* Fills sc->next, ->node and ->score for the block [b, e) (jieba's calc()). */
static void best_path(const struct segmenter *seg, struct seg_scratch *sc, size_t b, size_t e)
{
	sc->score[e] = 0;
	for (size_t i = e; i-- > b;) {
		double best = 0, s;
		uint32_t node = 0, best_node = 0, link;
		size_t best_end = 0;

		for (size_t j = i; j < e && (link = child(seg, node, sc->cp[j])); j++) {
			node = LINK_NODE(link);
			if (!(link & LINK_WORD))
				continue;
			s = seg->lp[node] + sc->score[j + 1];
			if (!best_end || s >= best) {
				best = s;
				best_end = j + 1;
				best_node = node;
			}
		}
		if (!best_end) {
			best = seg->neg_logtot + sc->score[i + 1];
			best_end = i + 1;
		}
		sc->score[i] = best;
		sc->next[i] = (uint32_t)best_end;
		sc->node[i] = best_node;
	}
}

struct emit {
	const struct segmenter *seg;
	struct seg_scratch *sc;
	const char *text;
	unsigned opts;
	segment_fn fn;
	void *arg;
	long calls;
};

/* Passes on the word of code points [x, y) with dictionary node node. */
static void emit(struct emit *em, size_t x, size_t y, uint32_t node)
{
	unsigned flags = node ? em->seg->flags[node] & (SEG_DICT | SEG_STOP) : 0;

	if ((flags & SEG_STOP) && (em->opts & SEG_SKIP_STOP))
		return;
	em->fn(em->arg, em->text + em->sc->off[x], em->sc->off[y] - em->sc->off[x], flags);
	em->calls++;
}

/* Cuts the block [b, e) along its best path (jieba's __cut_DAG_NO_HMM). */
static void cut_block(struct emit *em, size_t b, size_t e)
{
	const struct seg_scratch *sc = em->sc;
	size_t eng = SIZE_MAX; /* start of a run of one-character ASCII words */

	best_path(em->seg, em->sc, b, e);
	for (size_t x = b, y; x < e; x = y) {
		y = sc->next[x];
		if (y == x + 1 && is_alnum(sc->cp[x])) {
			if (eng == SIZE_MAX)
				eng = x;
			continue;
		}
		if (eng != SIZE_MAX)
			emit(em, eng, x, 0);
		eng = SIZE_MAX;
		emit(em, x, y, sc->node[x]);
	}
	if (eng != SIZE_MAX)
		emit(em, eng, e, 0);
}

/* Decodes text into sc (code points and offsets); returns their count. A
 * byte that starts no character becomes BAD_CP: it ends a block and is
 * never passed on. */
static size_t decode(struct seg_scratch *sc, const char *text, size_t len)
{
	size_t n = 0, i = 0, k;
	uint32_t cp;

	while (i < len) {
		k = utf8_decode(text + i, len - i, &cp);
		sc->off[n] = (uint32_t)i;
		sc->cp[n++] = k ? cp : BAD_CP;
		i += k ? k : 1;
	}
	sc->off[n] = (uint32_t)len;
	return n;
}

long segment_words(const struct segmenter *seg, struct seg_scratch *sc, const char *text,
		   size_t len, unsigned opts, segment_fn fn, void *arg)
{
	struct emit em = { seg, sc, text, opts, fn, arg, 0 };
	size_t n, b = 0;

	if (len > MAX_TEXT)
		len = MAX_TEXT;
	scratch_reserve(sc, len + 1);
	n = decode(sc, text, len);
	for (size_t i = 0; i <= n; i++) {
		uint32_t c = i < n ? sc->cp[i] : 0;

		if (i < n && in_block(c))
			continue;
		if (b < i)
			cut_block(&em, b, i);
		b = i + 1;
		if (i < n && c != BAD_CP && !is_space(c))
			emit(&em, i, i + 1, LINK_NODE(child(seg, 0, c)));
	}
	return em.calls;
}

/* ---- writing a dictionary ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_le(struct sbuf *out, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		sbuf_addch(out, (char)(v & 0xFF));
}

/* Bytes of the whole characters a and b share at their start. */
static size_t common_chars(const char *a, const char *b)
{
	size_t i = 0, n;

	while (a[i] && a[i] == b[i]) {
		n = utf8_step((unsigned char)a[i]);
		if (strncmp(a + i, b + i, n))
			break;
		i += n;
	}
	return i;
}

/* Checks the sorted words and their frequencies; 0, or -1 with the reason in err. */
static int check_words(const char *const *sorted, size_t n, const uint32_t *freq_of, uint64_t total,
		       struct sbuf *err)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(sorted[i]);

		if (!len || len > 255 || !utf8_valid(sorted[i], len)) {
			sbuf_addf(err, "word %zu: empty, longer than 255 bytes or not UTF-8",
				  i + 1);
			return -1;
		}
		if (i && !strcmp(sorted[i - 1], sorted[i])) {
			sbuf_adds(err, "a word is listed twice");
			return -1;
		}
		if (!freq_of[i] || freq_of[i] > total) {
			sbuf_addf(err, "word %zu: frequency 0 or above the total", i + 1);
			return -1;
		}
	}
	return 0;
}

int segment_dict_encode(const char *const *words, const uint32_t *freqs, size_t n, uint64_t total,
			struct sbuf *out, struct sbuf *err)
{
	const char **sorted = xcalloc(n + 1, sizeof *sorted);
	uint32_t *freq_of = xcalloc(n + 1, sizeof *freq_of);
	size_t nodes = 1, hdr = out->len;
	int rc = -1;

	memcpy(sorted, words, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_str);
	for (size_t i = 0; i < n; i++) /* the frequency of each sorted word */
		freq_of[(const char **)bsearch(&words[i], sorted, n, sizeof *sorted, cmp_str) -
			sorted] = freqs[i];
	if (n > UINT32_MAX || check_words(sorted, n, freq_of, total, err))
		goto out;
	sbuf_add(out, SEG_MAGIC, 8);
	put_le(out, n, 4);
	put_le(out, 0, 4); /* the node count, below */
	put_le(out, total, 8);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(sorted[i]), shared = 0;

		while (i && sorted[i - 1][shared] == sorted[i][shared])
			shared++;
		/* the new trie nodes: its prefixes longer than those it shares */
		nodes += utf8_len(sorted[i] + (i ? common_chars(sorted[i - 1], sorted[i]) : 0));
		sbuf_addch(out, (char)shared);
		sbuf_addch(out, (char)(len - shared));
		sbuf_add(out, sorted[i] + shared, len - shared);
		for (uint32_t v = freq_of[i];; v >>= 7) {
			sbuf_addch(out, (char)((v & 0x7F) | (v >= 0x80 ? 0x80 : 0)));
			if (v < 0x80)
				break;
		}
	}
	if (nodes > MAX_NODES) {
		sbuf_adds(err, "too many distinct prefixes");
		out->len = hdr;
		out->buf[hdr] = '\0';
		goto out;
	}
	for (int i = 0; i < 4; i++)
		out->buf[hdr + 12 + i] = (char)(nodes >> (8 * i) & 0xFF);
	rc = 0;
out:
	free(sorted);
	free(freq_of);
	return rc;
}
