/* vocab.c - see vocab.h. */
#include "vocab.h"

#include <stddef.h>
#include <string.h>

/* The taxonomy (DESIGN §2), once: code and Chinese name, in order. */
/* clang-format off */
#define CATEGORIES(X)                                                     \
	X("urban_construction", "城乡建设") X("environment", "环境保护")     \
	X("transport", "交通运输") X("education_culture", "教育文体")        \
	X("labor_social_security", "劳动和社会保障")                         \
	X("commerce_tourism", "商贸旅游") X("health", "卫生计生")            \
	X("land_acquisition", "征地拆迁") X("agriculture_rural", "农业农村") \
	X("law_litigation", "涉法涉诉") X("civil_affairs", "民政")           \
	X("public_security", "公安") X("discipline", "纪检监察")             \
	X("other", "其他")

#define CATEGORY_ROW(code, name) { code, name },
#define CATEGORY_CODE(code, name) code,
/* clang-format on */

const struct vocab_category vocab_categories[VOCAB_NCATEGORIES] = { CATEGORIES(CATEGORY_ROW) };
const char *const vocab_category_codes[VOCAB_NCATEGORIES + 1] = { CATEGORIES(CATEGORY_CODE) NULL };

const char *const vocab_channels[] = {
	"hotline", "web", "app", "grid", "walk_in", "letter", "e_station", NULL,
};

static const struct {
	const char *name;
	int open;
} states[VOCAB_NSTATES] = {
	[CASE_UNKNOWN] = { "unknown", 0 },   [CASE_ASSIGNED] = { "assigned", 1 },
	[CASE_ACCEPTED] = { "accepted", 1 }, [CASE_RESOLVED] = { "resolved", 0 },
	[CASE_RATED] = { "rated", 0 },
};

int vocab_category_index(const char *code)
{
	for (int i = 0; code && i < VOCAB_NCATEGORIES; i++)
		if (!strcmp(code, vocab_categories[i].code))
			return i;
	return -1;
}

int vocab_category_label(const char *label)
{
	for (int i = 0; label && i < VOCAB_NCATEGORIES; i++)
		if (!strcmp(label, vocab_categories[i].code) ||
		    !strcmp(label, vocab_categories[i].name))
			return i;
	return -1;
}

int vocab_channel_known(const char *s)
{
	for (const char *const *c = vocab_channels; s && *c; c++)
		if (!strcmp(s, *c))
			return 1;
	return 0;
}

const char *vocab_state_name(enum case_state s)
{
	return (unsigned)s < VOCAB_NSTATES ? states[s].name : states[CASE_UNKNOWN].name;
}

enum case_state vocab_state_parse(const char *s)
{
	for (int i = CASE_UNKNOWN + 1; s && i < VOCAB_NSTATES; i++)
		if (!strcmp(s, states[i].name))
			return (enum case_state)i;
	return CASE_UNKNOWN;
}

int vocab_state_open(enum case_state s)
{
	return (unsigned)s < VOCAB_NSTATES && states[s].open;
}
