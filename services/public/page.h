/*
 * page.h - the citizen's status page (/c/<case id>): the view
 * (view.h) as a mobile page in Chinese, inline CSS only, no script and
 * no external asset; every text from the view HTML-escaped.
 */
#ifndef XF_PUBLIC_PAGE_H
#define XF_PUBLIC_PAGE_H

#include <jansson.h>

#include "sbuf.h"

/* The page of view (an xf.public_case.v1 object) into out. */
void page_case(json_t *view, struct sbuf *out);
/* The page of a case not found (unknown, or a wrong code) into out. */
void page_not_found(struct sbuf *out);
/* The page of too many lookups into out. */
void page_too_many(struct sbuf *out);

#endif
