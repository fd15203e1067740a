/* jlimit.c - see jlimit.h. */
#include "jlimit.h"

static int number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* 1 if c outside a string starts a value (in_num: a number is under way). */
static int value_start(char c, int in_num)
{
	if (c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n')
		return !in_num || c == '"' || c == '{' || c == '[';
	return !in_num && (c == '-' || (c >= '0' && c <= '9'));
}

size_t jlimit_count(const char *buf, size_t len, size_t limit)
{
	size_t count = 0;
	int in_str = 0, in_num = 0;

	for (size_t i = 0; i < len && count <= limit; i++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (value_start(c, in_num))
			count++;
		in_str = c == '"';
		in_num = in_num ? number_char(c) : c == '-' || (c >= '0' && c <= '9');
	}
	return count;
}

int jlimit_ok(const char *buf, size_t len, size_t limit)
{
	return jlimit_count(buf, len, limit) <= limit;
}
