/*
 * xalloc.h - allocation that cannot fail, in git's manner (wrapper.c).
 *
 * A daemon that cannot allocate a few bytes has no useful recovery: these
 * abort instead of returning NULL, so callers never check. A size of 0
 * asks for one byte, so a valid pointer always comes back.
 */
#ifndef XF_XALLOC_H
#define XF_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* xrealloc(p, n * size), aborting when the product overflows. */
void *xreallocarray(void *p, size_t n, size_t size);
/* A copy of s; NULL for NULL. */
char *xstrdup(const char *s);
/* A copy of at most n bytes of s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);

/*
 * Makes room for v[n]: when n has reached alloc (v's capacity in items),
 * alloc doubles, from first, and v grows to it (as git's ALLOC_GROW).
 */
#define XALLOC_GROW(v, n, alloc, first)                                 \
	do {                                                            \
		if ((n) >= (alloc)) {                                   \
			(alloc) = (alloc) ? 2 * (alloc) : (first);      \
			(v) = xreallocarray((v), (alloc), sizeof *(v)); \
		}                                                       \
	} while (0)

/*
 * p, when an allocation made elsewhere (jansson, libmicrohttpd, OpenSSL)
 * succeeded; aborts when it returned NULL.
 */
void *xnonnull(void *p);

#endif
