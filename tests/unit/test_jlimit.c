/* Unit tests for common/jlimit.c: counting JSON values without parsing. */
#include <stdlib.h>
#include <string.h>

#include "jlimit.h"
#include "tharness.h"

static size_t count(const char *s)
{
	return jlimit_count(s, strlen(s), 1000000);
}

static void t_count(void)
{
	T_INTEQ(count("{}"), 1);
	T_INTEQ(count("[{},{},{}]"), 4);
	T_INTEQ(count("{\"a\":1}"), 3); /* object, key, value */
	T_INTEQ(count("{\"a\":[1,-2.5e-3,true,false,null,\"x\\\"[{y\"]}"), 9);
	T_INTEQ(count(" [ 10 , 20 ,\n30 ] "), 4);
	T_INTEQ(count("\"{[,:]}\""), 1); /* brackets in a string are text */
	T_INTEQ(count(""), 0);
}

/* The count stops just past the limit; the flood's shape is refused. */
static void t_limit(void)
{
	size_t n = 3 * 20000 + 2;
	char *flood = malloc(n + 1);

	flood[0] = '[';
	for (size_t i = 0; i < 20000; i++)
		memcpy(flood + 1 + 3 * i, "{},", 3);
	flood[n - 2] = '{';
	flood[n - 1] = ']'; /* "[{},{},...,{]" is not JSON, and refused on count anyway */
	flood[n] = '\0';
	T_INTEQ(jlimit_count(flood, n, 100), 101);
	T_CHECK(!jlimit_ok(flood, n, JLIMIT_VALUES));
	T_CHECK(jlimit_ok(flood, n, 30000));
	T_CHECK(jlimit_ok("[1,2,3]", 7, 4));
	T_CHECK(!jlimit_ok("[1,2,3]", 7, 3));
	free(flood);
}

/* clang-format off */
T_SUITE(jlimit,
	{ "count", t_count },
	{ "limit", t_limit })
/* clang-format on */
