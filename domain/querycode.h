/*
 * querycode.h - the query code of a case (README "Status for citizens"):
 * 8 characters that the e-station prints and encodes in the QR code beside
 * the case id. Case ids are sequential and can be guessed; without its
 * query code a case id reveals nothing.
 *
 * The code is HMAC-SHA256 under XF_QUERY_KEY of "xf-query-code.v1.<case id>",
 * its first 40 bits in Crockford's base 32 (0-9 and A-Z without I, L, O,
 * U), so it reads well aloud and on paper.
 */
#ifndef XF_QUERYCODE_H
#define XF_QUERYCODE_H

#define QUERY_CODE_LEN 8

/* The query code of case_id under key, NUL-terminated, into out. */
void query_code(const char *key, const char *case_id, char out[QUERY_CODE_LEN + 1]);
/*
 * 1 if code is case_id's under key, read as Crockford reads it (lower
 * case, O for 0, I and L for 1; hyphens and spaces ignored); else 0.
 * Takes the same time whatever the code's characters.
 */
int query_code_ok(const char *key, const char *case_id, const char *code);

#endif
