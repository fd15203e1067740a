/* normalize.c - see normalize.h. */
#include "normalize.h"

#include <stdint.h>
#include <stdlib.h>

#include <utf8proc.h>

#include "gen/t2s_table.h"
#include "utf8.h"
#include "xalloc.h"

#define NZ_DROP 0u         /* the code point leaves nothing */
#define NZ_SLOW 0xFFFFu    /* its NFKC may depend on its neighbours */
#define NZ_BAD 0xFFFFFFFFu /* the decoder met an invalid byte */
#define NZ_NFKC (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT)
#define NZ_STACK 128 /* code points a slow run holds without malloc */

struct normalizer {
	/* Per BMP code point: NZ_DROP, NZ_SLOW, or the code point to append. */
	uint16_t bmp[0x10000];
};

/* One normalizer_apply() call. */
struct nz_run {
	const struct normalizer *nz;
	const unsigned char *s;
	size_t len;
	struct sbuf *out;
	size_t ncp;      /* code points appended */
	size_t prev;     /* start of the last code point the table handled; SIZE_MAX if none */
	size_t prev_len; /* out->len before it */
	size_t prev_ncp; /* ncp before it */
};

static uint32_t t2s(uint32_t cp)
{
	size_t lo = 0, hi = sizeof nz_t2s / sizeof nz_t2s[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nz_t2s[mid][0] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sizeof nz_t2s / sizeof nz_t2s[0] && nz_t2s[lo][0] == cp)
		return nz_t2s[lo][1];
	return cp;
}

static int is_variation_selector(uint32_t cp)
{
	return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

/* Letters, numbers and the non-enclosing marks stay; the rest goes. */
static int kept_category(uint32_t cp)
{
	static const uint32_t keep = 1u << UTF8PROC_CATEGORY_LU | 1u << UTF8PROC_CATEGORY_LL |
				     1u << UTF8PROC_CATEGORY_LT | 1u << UTF8PROC_CATEGORY_LM |
				     1u << UTF8PROC_CATEGORY_LO | 1u << UTF8PROC_CATEGORY_MN |
				     1u << UTF8PROC_CATEGORY_MC | 1u << UTF8PROC_CATEGORY_ND |
				     1u << UTF8PROC_CATEGORY_NL | 1u << UTF8PROC_CATEGORY_NO;

	return (keep >> utf8proc_category((utf8proc_int32_t)cp)) & 1u;
}

/* What a code point already in NFKC appends: NZ_DROP or a code point. */
static uint32_t finish(uint32_t cp)
{
	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			return cp + ('a' - 'A');
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
			return cp;
		return NZ_DROP;
	}
	if (is_variation_selector(cp) || !kept_category(cp))
		return NZ_DROP;
	return t2s(cp);
}

static int is_jamo(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xA960 && cp <= 0xA97F) ||
	       (cp >= 0xD7B0 && cp <= 0xD7FF);
}

/* 1 if nothing before cp can reorder or compose with it. Every code point
 * that composes with a preceding one is a mark or a conjoining jamo. */
static int is_starter(utf8proc_int32_t cp)
{
	utf8proc_category_t cat = utf8proc_category(cp);

	return utf8proc_get_property(cp)->combining_class == 0 && cat != UTF8PROC_CATEGORY_MN &&
	       cat != UTF8PROC_CATEGORY_MC && cat != UTF8PROC_CATEGORY_ME && !is_jamo((uint32_t)cp);
}

/* What cp appends when its NFKC is one starter whatever its neighbours:
 * NZ_DROP or a code point; NZ_SLOW otherwise. A following mark may still
 * compose with it: the slow path then takes it back (see slow_run). */
static uint32_t action(uint32_t cp)
{
	utf8proc_int32_t d[4];
	int bound = 0;

	if (cp < 0x80)
		return finish(cp);
	if (is_variation_selector(cp))
		return NZ_DROP;
	if (cp >= 0xAC00 && cp <= 0xD7A3) /* Hangul syllables are NFKC already */
		return cp;
	if (!is_starter((utf8proc_int32_t)cp))
		return NZ_SLOW;
	if (utf8proc_decompose_char((utf8proc_int32_t)cp, d, 4,
				    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &bound) != 1 ||
	    !is_starter(d[0]))
		return NZ_SLOW;
	return finish((uint32_t)d[0]);
}

struct normalizer *normalizer_new(struct sbuf *err)
{
	struct normalizer *nz = xmalloc(sizeof *nz);

	(void)err; /* nothing can fail: allocation aborts (xalloc.h) */
	for (uint32_t cp = 0; cp < 0x10000; cp++) {
		uint32_t v = cp >= 0xD800 && cp <= 0xDFFF ? NZ_DROP : action(cp);

		nz->bmp[cp] = (uint16_t)(v < NZ_SLOW ? v : NZ_SLOW);
	}
	return nz;
}

void normalizer_free(struct normalizer *nz)
{
	free(nz);
}

/* The code point at s[0..n), n >= 1, in *cp, and its length; an invalid
 * or truncated sequence gives NZ_BAD and length 1. */
static inline size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = utf8_decode((const char *)s, n, cp);

	if (k)
		return k;
	*cp = NZ_BAD;
	return 1;
}

/* Appends cp in UTF-8, leaving room for the closing NUL. */
static inline void put(struct nz_run *r, uint32_t cp)
{
	struct sbuf *out = r->out;
	unsigned char *p;

	if (out->alloc - out->len < 5)
		sbuf_grow(out, 4);
	p = (unsigned char *)out->buf + out->len;
	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		out->len += 1;
	} else if (cp < 0x800) {
		p[0] = (unsigned char)(0xC0 | cp >> 6);
		p[1] = (unsigned char)(0x80 | (cp & 0x3F));
		out->len += 2;
	} else if (cp < 0x10000) {
		p[0] = (unsigned char)(0xE0 | cp >> 12);
		p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		p[2] = (unsigned char)(0x80 | (cp & 0x3F));
		out->len += 3;
	} else {
		p[0] = (unsigned char)(0xF0 | cp >> 18);
		p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		p[3] = (unsigned char)(0x80 | (cp & 0x3F));
		out->len += 4;
	}
	r->ncp++;
}

static inline uint32_t lookup(const struct normalizer *nz, uint32_t cp)
{
	return cp < 0x10000 ? nz->bmp[cp] : action(cp);
}


/* Copies the valid code points of s[0..n) to dst; returns the bytes copied. */
static size_t copy_valid(const unsigned char *s, size_t n, unsigned char *dst)
{
	size_t i = 0, len = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);

		if (cp != NZ_BAD)
			for (size_t j = 0; j < k; j++)
				dst[len++] = s[i + j];
		i += k;
	}
	return len;
}

/* Appends NFKC of the valid code points of s[from..to), each finished. */
static void nfkc_segment(struct nz_run *r, size_t from, size_t to)
{
	unsigned char u8_stack[4 * NZ_STACK];
	utf8proc_int32_t cp_stack[NZ_STACK], *cps = cp_stack;
	unsigned char *u8 = to - from <= sizeof u8_stack ? u8_stack : xmalloc(to - from);
	size_t u8len = copy_valid(r->s + from, to - from, u8);
	utf8proc_ssize_t n;

	n = utf8proc_decompose(u8, (utf8proc_ssize_t)u8len, cps, NZ_STACK, NZ_NFKC);
	if (n > NZ_STACK) {
		cps = xmalloc((size_t)n * sizeof *cps);
		n = utf8proc_decompose(u8, (utf8proc_ssize_t)u8len, cps, n, NZ_NFKC);
	}
	if (n > 0)
		n = utf8proc_normalize_utf32(cps, n, NZ_NFKC);
	for (utf8proc_ssize_t k = 0; k < n; k++) {
		uint32_t v = finish((uint32_t)cps[k]);

		if (v != NZ_DROP)
			put(r, v);
	}
	if (cps != cp_stack)
		free(cps);
	if (u8 != u8_stack)
		free(u8);
}

/* s[i] starts a code point the table cannot handle. Takes back the code
 * point before it (a following mark may compose with it), normalises from
 * there through the last consecutive such code point with utf8proc, and
 * returns the index after them. */
static size_t slow_run(struct nz_run *r, size_t i)
{
	size_t from = i, end = i;

	if (r->prev != SIZE_MAX) {
		from = r->prev;
		r->out->len = r->prev_len;
		r->ncp = r->prev_ncp;
	}
	while (end < r->len) {
		uint32_t cp;
		size_t k = utf8_next(r->s + end, r->len - end, &cp);

		if (cp != NZ_BAD && lookup(r->nz, cp) != NZ_SLOW)
			break;
		end += k;
	}
	nfkc_segment(r, from, end);
	r->prev = SIZE_MAX;
	return end;
}

size_t normalizer_apply(const struct normalizer *nz, const char *text, size_t len, struct sbuf *out)
{
	struct nz_run r = { nz, (const unsigned char *)text, len, out, 0, SIZE_MAX, 0, 0 };
	size_t i = 0;

	while (i < len) {
		uint32_t cp, v;
		size_t k = utf8_next(r.s + i, len - i, &cp);

		if (cp == NZ_BAD) {
			i += k;
			continue;
		}
		v = lookup(nz, cp);
		if (v == NZ_SLOW) {
			i = slow_run(&r, i);
			continue;
		}
		r.prev = i;
		r.prev_len = out->len;
		r.prev_ncp = r.ncp;
		if (v != NZ_DROP)
			put(&r, v);
		i += k;
	}
	if (out->alloc)
		out->buf[out->len] = '\0';
	return r.ncp;
}
