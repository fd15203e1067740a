/*
 * jlimit.h - a bound on the size of a parsed JSON document, checked before
 * parsing. A value parsed by jansson costs far more than its text: an
 * empty object "{}" takes about 220 bytes, so 1 MiB of "[{},{},...]"
 * parses to about 77 MiB. Input from outside is refused above
 * JLIMIT_VALUES values (error code too_many_values), which bounds the
 * memory one document can take whatever its text.
 */
#ifndef XF_JLIMIT_H
#define XF_JLIMIT_H

#include <stddef.h>

/* Values (object keys included) a document from outside may hold. */
#define JLIMIT_VALUES 10000
/* The same for documents the programs wrote themselves (a petition that
 * intake accepted, with what intake and xf-classify add). */
#define JLIMIT_VALUES_OURS (4 * JLIMIT_VALUES)

/*
 * Counts the values of buf[0..len) without parsing it: strings (object
 * keys included), numbers, true/false/null, objects and arrays. Exact for
 * valid JSON; for other text a count the parser refuses anyway. Stops
 * counting once past limit (returns limit + 1 then).
 */
size_t jlimit_count(const char *buf, size_t len, size_t limit);
/* 1 if buf[0..len) holds at most limit values, else 0. */
int jlimit_ok(const char *buf, size_t len, size_t limit);

#endif
