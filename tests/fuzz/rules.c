/*
 * rules.c - fuzzes the routing rules engine (domain/rules.c): any JSON as
 * a rules document (rules_parse never crashes on a wrong type); a set it
 * takes then decides for petitions in the regions of its departments, with
 * and without exclusions and a chooser.
 */
#include <jansson.h>

#include "fuzz.h"
#include "rules.h"
#include "sbuf.h"

static const char *const categories[] = { "labor_social_security", "environment",
					  "urban_construction", "other" };
static const char *const channels[] = { "hotline", "web", "grid", "letter" };
static const char *const risks[] = { "A", "B", "C", "C" };

/* The last candidate: not the first, which rules_decide takes alone. */
static size_t choose_last(void *arg, json_t *petition, const struct rules_dept *const *cands,
			  size_t n, json_t **explain)
{
	(void)arg;
	(void)petition;
	(void)cands;
	*explain = json_pack("{s:I}", "n", (json_int_t)n);
	return n - 1;
}

/* A classified petition in region (padded with zeros to a county or village). */
static json_t *petition(const char *region, size_t i)
{
	char code[13] = "000000000000";
	size_t n = strlen(region);

	memcpy(code, region, n < 12 ? n : 12);
	code[n <= 6 ? 6 : 12] = '\0';
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:{s:s}, s:b, s:{s:i},"
			 " s:{s:i}, s:[s]}}",
			 "case_id", "XF-330381-20261122-000123", "region_code", code, "subject",
			 "拖欠工资", "content", "工地老板拖欠三个月工资 噪音", "source", "channel",
			 channels[i % 4], "classification", "category", categories[i % 4], "risk",
			 "level", risks[i % 4], "collective", (int)(i & 1), "repeat", "count",
			 (int)i, "emotion", "intensity", (int)(i * 30), "keywords", "工资");
}

static void decide(const struct rules_set *rs, json_t *p, const struct rules_options *opt)
{
	struct rules_decision dec;
	struct sbuf err = SBUF_INIT;

	if (rules_decide_opt(rs, p, opt, &dec, &err) == 0) {
		FUZZ_ASSERT(dec.lead && rules_dept_find(rs, dec.lead->code) == dec.lead);
		FUZZ_ASSERT(json_is_object(dec.explain));
		for (size_t i = 0; i < dec.nco; i++)
			FUZZ_ASSERT(dec.co[i] && dec.co[i] != dec.lead);
		rules_decision_release(&dec);
	} else {
		FUZZ_ASSERT(err.len > 0);
	}
	sbuf_release(&err);
}

static void decide_all(const struct rules_set *rs)
{
	const char *exclude[2];
	struct rules_options opt = { exclude, 0, choose_last, NULL };

	for (size_t i = 0; i < rs->ndepts && i < 6; i++) {
		json_t *p = petition(rs->depts[i].region ? rs->depts[i].region : "", i);

		decide(rs, p, NULL);
		exclude[0] = rs->depts[i].code;
		exclude[1] = rs->depts[(i + 1) % rs->ndepts].code;
		for (opt.nexclude = 1; opt.nexclude <= 2; opt.nexclude++)
			decide(rs, p, &opt);
		json_decref(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs = rules_parse(doc, &err);

	if (rs) {
		FUZZ_ASSERT(err.len == 0);
		decide_all(rs);
	} else {
		FUZZ_ASSERT(err.len > 0);
	}
	rules_free(rs);
	sbuf_release(&err);
	json_decref(doc);
	return 0;
}
