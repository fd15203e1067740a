/* tharness.c - see tharness.h. Globals are fine in tests. */
#include "tharness.h"

#include <stdio.h>

static struct t_suite *suites;
static int case_failed;
static int n_passed, n_failed;

void t_register(struct t_suite *suite)
{
	suite->next = suites;
	suites = suite;
}

int t_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		fprintf(stderr, "    check failed: %s (%s:%d)\n", expr, file, line);
		case_failed = 1;
	}
	return ok;
}

int t_check_str(const char *got, const char *want, const char *expr, const char *file, int line)
{
	int ok = (!got && !want) || (got && want && strcmp(got, want) == 0);

	if (!ok)
		fprintf(stderr, "    got \"%s\", want \"%s\"\n", got ? got : "(null)",
			want ? want : "(null)");
	return t_check(ok, expr, file, line);
}

void t_run_case(const char *suite, const struct t_case *tc)
{
	case_failed = 0;
	tc->fn();
	if (case_failed)
		n_failed++;
	else
		n_passed++;
	printf("%s - %s.%s\n", case_failed ? "FAIL" : "ok", suite, tc->name);
	fflush(stdout);
}

/* Suites named in argv run; "-NAME" leaves NAME out; with no names, every suite runs. */
static int wanted(const char *name, int argc, char **argv)
{
	int named = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && strcmp(argv[i] + 1, name) == 0)
			return 0;
		named |= argv[i][0] != '-';
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return !named;
}

int t_summary(void)
{
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}

int t_main(int argc, char **argv)
{
	for (struct t_suite *s = suites; s; s = s->next) {
		if (!wanted(s->name, argc, argv))
			continue;
		for (size_t i = 0; i < s->ncases; i++)
			t_run_case(s->name, &s->cases[i]);
	}
	return t_summary();
}

json_t *t_jq(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (!T_CHECK(j != NULL))
		fprintf(stderr, "    json: %s at %d\n", jerr.text, jerr.position);
	free(s);
	return j;
}
