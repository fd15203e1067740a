/*
 * tharness.h - a tiny test harness.
 *
 * A test file defines cases and registers them with T_SUITE:
 *
 *   static void t_adds(void) { T_CHECK(1 + 1 == 2); }
 *   T_SUITE(sbuf, { "adds", t_adds });
 *
 * t_main() runs every registered suite (or the ones named on the command
 * line, less those named "-NAME") and prints one line per case and a
 * closing "N passed, N failed".
 */
#ifndef THARNESS_H
#define THARNESS_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

struct t_suite {
	const char *name;
	const struct t_case *cases;
	size_t ncases;
	struct t_suite *next;
};

void t_register(struct t_suite *suite);
/* Records one check; returns ok so callers may bail out early. */
int t_check(int ok, const char *expr, const char *file, int line);
/* Like t_check for strings; NULL compares equal only to NULL. */
int t_check_str(const char *got, const char *want, const char *expr, const char *file, int line);
/*
 * Runs the suites named in argv (all when none is named), leaving out
 * those named "-NAME"; returns the exit status.
 */
int t_main(int argc, char **argv);
/*
 * Parses JSON written with ' for " (test data reads better so), any JSON
 * value; a failed parse is a failed check. New reference.
 */
json_t *t_jq(const char *text);
/* Runs one case by hand (used by integration tests); counts it. */
void t_run_case(const char *suite, const struct t_case *tc);
/* Prints "N passed, N failed" and returns 0 if none failed. */
int t_summary(void);

#define T_CHECK(cond) t_check(!!(cond), #cond, __FILE__, __LINE__)
#define T_STREQ(got, want) t_check_str((got), (want), #got " == " #want, __FILE__, __LINE__)
#define T_INTEQ(got, want) \
	t_check((long long)(got) == (long long)(want), #got " == " #want, __FILE__, __LINE__)

#define T_SUITE(sname, ...)                                                                       \
	static const struct t_case t_cases_##sname[] = { __VA_ARGS__ };                           \
	static struct t_suite t_suite_##sname = {                                                 \
		#sname, t_cases_##sname, sizeof t_cases_##sname / sizeof t_cases_##sname[0], NULL \
	};                                                                                        \
	__attribute__((constructor)) static void t_reg_##sname(void)                              \
	{                                                                                         \
		t_register(&t_suite_##sname);                                                     \
	}

#endif
