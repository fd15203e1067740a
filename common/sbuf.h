/*
 * sbuf.h - a growable, always NUL-terminated byte buffer.
 *
 *   struct sbuf sb = SBUF_INIT;
 *   sbuf_addf(&sb, "%d", n);
 *   ... sb.buf ...
 *   sbuf_release(&sb);
 *
 * The add functions ignore a NULL sb, so an optional error buffer
 * (`struct sbuf *err`, NULL when the caller does not want the text) can be
 * passed down as it is.
 *
 * Allocation failure aborts (there is no useful recovery in a daemon that
 * cannot allocate a few bytes); everything else is infallible.
 */
#ifndef XF_SBUF_H
#define XF_SBUF_H

#include <stddef.h>

struct sbuf {
	char *buf; /* never NULL after init; "" when empty */
	size_t len;
	size_t alloc;
};

extern char sbuf_empty[];
/* brace initialisers in macros, which clang-format takes for blocks */
/* clang-format off */
#define SBUF_INIT { sbuf_empty, 0, 0 }
/* clang-format on */

void sbuf_init(struct sbuf *sb, size_t hint);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as HTML text or attribute value: & < > " ' as character references. */
void sbuf_add_html(struct sbuf *sb, const char *s);
/* Empties the buffer and keeps its memory. */
void sbuf_reset(struct sbuf *sb);
/* Frees the memory; the buffer is empty and usable again. */
void sbuf_release(struct sbuf *sb);
/* Hands the string to the caller (free() it) and empties the buffer. */
char *sbuf_detach(struct sbuf *sb, size_t *len);

#endif
