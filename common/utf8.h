/*
 * utf8.h - the one UTF-8 decoder, and the helpers built on it.
 *
 * Inline because the classifier's normalizer decodes every character of
 * every petition with it; ASCII and the three-byte forms (CJK) are tried
 * first.
 */
#ifndef XF_UTF8_H
#define XF_UTF8_H

#include <stddef.h>
#include <stdint.h>

static inline int utf8_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * The well-formed UTF-8 character at str[0..n): returns its length, 1 to 4,
 * with its code point in *cp; 0 when none starts there (a stray or
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut
 * short by n), leaving *cp as it was.
 */
static inline size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t v;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if (n < 3 || !utf8_cont(s[1]) || !utf8_cont(s[2]))
			return 0;
		v = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return 3;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		if (n < 2 || !utf8_cont(s[1]))
			return 0;
		*cp = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
		return 2;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if (n < 4 || !utf8_cont(s[1]) || !utf8_cont(s[2]) || !utf8_cont(s[3]))
			return 0;
		v = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 |
		    (s[3] & 0x3Fu);
		if (v < 0x10000 || v > 0x10FFFF)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

/*
 * Bytes of the character whose first byte is c, in text known to be
 * well-formed (a continuation byte counts 1): for stepping, not checking.
 */
static inline size_t utf8_step(unsigned char c)
{
	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* 1 if buf[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *buf, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_len(const char *s);

#endif
