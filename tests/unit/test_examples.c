/*
 * test_examples.c - the files operators copy from: every sample petition is
 * a valid xf.hotline_event.v1 (by the schema and by xf-intake's checks), and
 * the sample and test rule sets pass the schema and the engine's checks.
 * Run from the repository root (make test does).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "embed.h"
#include "intake/validate.h"
#include "jschema.h"
#include "rules.h"
#include "tharness.h"

/* The compiled event schema, made once for the whole test run. */
static const struct jschema_set *schemas(void)
{
	static struct jschema_set *set;

	if (!set)
		set = intake_schemas_new(NULL);
	return set;
}

static struct jschema_set *load_schemas(void)
{
	struct jschema_set *set = jschema_set_new();

	for (size_t i = 0; i < embed_nfiles; i++)
		if (!strncmp(embed_files[i].path, "schemas/xf.", 11))
			T_CHECK(jschema_add(set, embed_files[i].data, embed_files[i].len, NULL) ==
				0);
	return set;
}

static void t_petitions(void)
{
	struct jschema_set *set = load_schemas();
	FILE *f = fopen("deploy/examples/petitions.jsonl", "r");
	char line[65536];
	int n = 0;

	if (!T_CHECK(f != NULL))
		return;
	while (fgets(line, sizeof line, f)) {
		struct intake_verdict v;
		struct sbuf err = SBUF_INIT;

		if (!T_CHECK(intake_validate(schemas(), line, strlen(line), &v) == 0))
			fprintf(stderr, "    line %d: %s\n", n + 1, intake_first_code(&v));
		if (!T_CHECK(jschema_validate(set, "xf.hotline_event.v1", v.event, &err) == 0))
			fprintf(stderr, "    line %d: %s\n", n + 1, err.buf);
		intake_verdict_release(&v);
		sbuf_release(&err);
		n++;
	}
	fclose(f);
	T_CHECK(n >= 30);
	jschema_set_free(set);
}

static void check_rules_file(const char *path)
{
	struct jschema_set *set = load_schemas();
	json_t *doc = json_load_file(path, 0, NULL);
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs;

	if (!T_CHECK(doc != NULL))
		return;
	if (!T_CHECK(jschema_validate(set, "xf.rules.v1", doc, &err) == 0))
		fprintf(stderr, "    %s: %s\n", path, err.buf);
	rs = rules_parse(doc, &err);
	if (!T_CHECK(rs != NULL))
		fprintf(stderr, "    %s: %s\n", path, err.buf);
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
	jschema_set_free(set);
}

static void t_rules(void)
{
	check_rules_file("deploy/examples/rules.json");
	check_rules_file("tests/e2e/rules.json");
}

/*
 * A rules file written from the contract, whose departments give neither
 * capacity nor webhook (both optional): the schema takes it and each
 * department has no capacity (0: no limit) and no webhook. Before, the
 * schema refused it ("required property capacity is missing").
 */
static void t_rules_optional_fields(void)
{
	static const char text[] =
		"{\"schema\": \"xf.rules.v1\", \"version\": \"2026-12-02.1\","
		" \"departments\": ["
		"  {\"code\": \"ruian-xfj\", \"name\": \"瑞安市信访局\", \"region\": \"330381\","
		"   \"level\": \"county\", \"kind\": \"xfj\"},"
		"  {\"code\": \"ruian-rsj\", \"name\": \"瑞安市人社局\", \"region\": \"330381\","
		"   \"level\": \"county\", \"kind\": \"rsj\"}],"
		" \"rules\": [{\"id\": \"catch-all\", \"priority\": 1000,"
		"   \"assign\": {\"kind\": \"xfj\", \"level\": \"county\"}}],"
		" \"triage\": {\"kind\": \"xfj\", \"level\": \"county\"}}";
	struct jschema_set *set = load_schemas();
	json_t *doc = json_loads(text, 0, NULL);
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs;

	if (!T_CHECK(doc != NULL))
		return;
	if (!T_CHECK(jschema_validate(set, "xf.rules.v1", doc, &err) == 0))
		fprintf(stderr, "    %s\n", err.buf);
	rs = rules_parse(doc, &err);
	if (T_CHECK(rs != NULL) && T_CHECK(rs->ndepts == 2))
		for (size_t i = 0; i < rs->ndepts; i++) {
			T_INTEQ(rs->depts[i].capacity, 0);
			T_CHECK(rs->depts[i].webhook == NULL);
		}
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
	jschema_set_free(set);
}

/* clang-format off */
T_SUITE(examples, { "sample_petitions_valid", t_petitions },
	{ "rule_sets_valid", t_rules },
	{ "rules_capacity_webhook_optional", t_rules_optional_fields })
/* clang-format on */
