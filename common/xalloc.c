/* xalloc.c - see xalloc.h. */
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *xnonnull(void *p)
{
	if (!p)
		abort();
	return p;
}

void *xmalloc(size_t size)
{
	return xnonnull(malloc(size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return xnonnull(calloc(n && size ? n : 1, n && size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return xnonnull(realloc(p, size ? size : 1));
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		abort();
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	return s ? xnonnull(strdup(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	return xnonnull(strndup(s, n));
}
