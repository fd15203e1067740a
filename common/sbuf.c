/* sbuf.c - see sbuf.h. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t hint)
{
	sb->buf = sbuf_empty;
	sb->len = sb->alloc = 0;
	if (hint)
		sbuf_grow(sb, hint);
}

void sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *p;

	if (want <= sb->alloc)
		return;
	if (want < sb->alloc * 2)
		want = sb->alloc * 2;
	if (want < 64)
		want = 64;
	p = xrealloc(sb->alloc ? sb->buf : NULL, want);
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = want;
}

void sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	if (!sb)
		return;
	sbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sbuf_adds(struct sbuf *sb, const char *s)
{
	if (!sb)
		return;
	sbuf_add(sb, s, strlen(s));
}

void sbuf_addch(struct sbuf *sb, char c)
{
	sbuf_add(sb, &c, 1);
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!sb)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->alloc ? sb->alloc - sb->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sb->len + (size_t)n + 1 > sb->alloc) {
		sbuf_grow(sb, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

void sbuf_release(struct sbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sbuf_init(sb, 0);
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *s;

	if (!sb->alloc)
		sbuf_grow(sb, 0);
	s = sb->buf;
	if (len)
		*len = sb->len;
	sbuf_init(sb, 0);
	return s;
}

void sbuf_add_html(struct sbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			sbuf_adds(sb, "&amp;");
			break;
		case '<':
			sbuf_adds(sb, "&lt;");
			break;
		case '>':
			sbuf_adds(sb, "&gt;");
			break;
		case '"':
			sbuf_adds(sb, "&quot;");
			break;
		case '\'':
			sbuf_adds(sb, "&#39;");
			break;
		default:
			sbuf_addch(sb, *s);
		}
	}
}
