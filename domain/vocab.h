/*
 * vocab.h - the fixed vocabularies of the contract, each owned here once:
 * the 14 petition categories (taxonomy codes and their Chinese names), the
 * source channels and the case states. The codes are the strings of the
 * schemas (schemas/xf.*.json) and of the database; tests/unit/test_vocab.c
 * holds the tables to the schemas' enums.
 */
#ifndef XF_VOCAB_H
#define XF_VOCAB_H

/* ---- categories (xf.petition.v1 classification.category) ---- */

#define VOCAB_NCATEGORIES 14

struct vocab_category {
	const char *code; /* taxonomy code, e.g. "land_acquisition" */
	const char *name; /* its Chinese name, e.g. "征地拆迁" */
};

/* The taxonomy in DESIGN's order; "other" is the last. */
extern const struct vocab_category vocab_categories[VOCAB_NCATEGORIES];
/* The same codes as a NULL-terminated list. */
extern const char *const vocab_category_codes[VOCAB_NCATEGORIES + 1];

/* The index of a taxonomy code in vocab_categories; -1 if code is NULL or unknown. */
int vocab_category_index(const char *code);
/* The same for a label that is a code or a Chinese name (corpus labels). */
int vocab_category_label(const char *label);

/* ---- channels (xf.petition.v1 source.channel) ---- */

/* hotline, web, app, grid, walk_in, letter, e_station; NULL-terminated. */
extern const char *const vocab_channels[];

/* 1 if s is a channel code; 0 otherwise (and for NULL). */
int vocab_channel_known(const char *s);

/* ---- case states (cases.state) ---- */

/*
 * assigned --accept--> accepted --resolve--> resolved --rate--> rated; a
 * return keeps a case assigned (to the next department), a dissatisfied
 * rating makes it accepted again. The database stores the names.
 */
enum case_state {
	CASE_UNKNOWN, /* not a state: what an unknown string parses to */
	CASE_ASSIGNED,
	CASE_ACCEPTED,
	CASE_RESOLVED,
	CASE_RATED,
};
#define VOCAB_NSTATES 5 /* CASE_UNKNOWN included */

/* The stored name of s ("assigned", ...); "unknown" for CASE_UNKNOWN or out of range. */
const char *vocab_state_name(enum case_state s);
/* The state named s; CASE_UNKNOWN if s is NULL or names no state. */
enum case_state vocab_state_parse(const char *s);
/*
 * 1 if a case in state s is open: its department still works it (assigned
 * or accepted; SQL says state IN ('assigned', 'accepted')).
 */
int vocab_state_open(enum case_state s);

#endif
