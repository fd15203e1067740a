/* querycode.c - the query code of a case (querycode.h). */
#include "querycode.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void query_code(const char *key, const char *case_id, char out[QUERY_CODE_LEN + 1])
{
	char msg[128], mac[65];
	unsigned long long bits = 0;

	snprintf(msg, sizeof msg, "xf-query-code.v1.%s", case_id);
	hmac_sha256_hex(key, msg, strlen(msg), mac);
	for (int i = 0; i < 10; i++) /* 10 hex digits: 40 bits */
		bits = bits << 4 | (unsigned)(mac[i] <= '9' ? mac[i] - '0' : mac[i] - 'a' + 10);
	for (int i = QUERY_CODE_LEN - 1; i >= 0; i--, bits >>= 5)
		out[i] = alphabet[bits & 31];
	out[QUERY_CODE_LEN] = '\0';
}

/* c as Crockford reads it, upper case; '\0' to skip it; '?' if no such digit. */
static char normal(char c)
{
	if (c == '-' || c == ' ')
		return '\0';
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		return '0';
	if (c == 'I' || c == 'L')
		return '1';
	return c && strchr(alphabet, c) ? c : '?';
}

int query_code_ok(const char *key, const char *case_id, const char *code)
{
	char want[QUERY_CODE_LEN + 1], got[QUERY_CODE_LEN + 1];
	unsigned char diff = 0;
	size_t n = 0;

	for (; code && *code && n <= QUERY_CODE_LEN; code++) {
		char c = normal(*code);

		if (c && n < QUERY_CODE_LEN)
			got[n] = c;
		n += c != '\0';
	}
	if (n != QUERY_CODE_LEN || (code && *code))
		return 0;
	query_code(key, case_id, want);
	for (size_t i = 0; i < QUERY_CODE_LEN; i++)
		diff |= (unsigned char)(got[i] ^ want[i]);
	return diff == 0;
}
