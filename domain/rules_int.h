/*
 * rules_int.h - what the three parts of the rules engine share, for them
 * alone: rules_when.c (the fixed vocabularies and the `when` tests, one
 * row each), rules_parse.c (reading a rule set, every problem reported)
 * and rules.c (deciding). The API is rules.h.
 */
#ifndef XF_RULES_INT_H
#define XF_RULES_INT_H

#include <string.h>

#include <jansson.h>

#include "rules.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline int str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline int str_in(const char *const *a, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(a[i], s))
			return 1;
	return 0;
}

/* Digits of a region at this level; 0 if the level is unknown. */
size_t rules_level_digits(const char *level);

/* The petition, as the tests see it. */
struct pview {
	const char *region, *subject, *content, *channel, *category, *risk;
	json_t *collective, *repeat, *intensity, *keywords;
};

void rules_pview_init(struct pview *pv, json_t *p);

enum arg_kind { ARG_LIST, ARG_BOOL, ARG_COUNT, ARG_PERCENT };

struct when_test {
	const char *name;
	enum arg_kind arg;
	int (*item_ok)(const char *s); /* ARG_LIST: which strings may appear */
	const char *wants;             /* what a value (or list item) must be */
	int (*holds)(json_t *arg, const struct pview *pv);
};

extern const struct when_test rules_when_tests[];
extern const size_t rules_nwhen_tests;
const struct when_test *rules_when_find(const char *name);
/* NULL if every test of r holds for the petition, else the first that does not. */
const char *rules_rule_fails(const struct rules_rule *r, const struct pview *pv);

#endif
