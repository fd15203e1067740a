/*
 * test_policies.c - 关联政策 and 历史处置 end to end (issue 14 item 1): a
 * policy table imported with xfctl reaches the running xf-classify; a
 * wage-arrears petition gets the imported wage regulation in
 * petition.classified and in its assignment; the same petitioner's second
 * petition on the matter shows the first as its history.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "tharness.h"

/* Only in this table: the starter table has no such id. */
static const char policies[] =
	"{\"schema\": \"xf.policies.v1\", \"version\": \"pol-e2e-1\", \"policies\": ["
	" {\"id\": \"e2e-wage\", \"title\": \"保障农民工工资支付条例\", \"issuer\": \"国务院\","
	"  \"article\": \"第三条\", \"categories\": [\"labor_social_security\"],"
	"  \"phrases\": [\"拖欠工资\", \"欠薪\"]},"
	" {\"id\": \"e2e-slow\", \"title\": \"信访工作条例\", \"issuer\": \"中共中央、国务院\","
	"  \"article\": \"第三十四条\", \"phrases\": [\"一直没有处理\"]},"
	" {\"id\": \"e2e-health\", \"title\": \"医疗纠纷预防和处理条例\", \"issuer\": \"国务院\","
	"  \"categories\": [\"health\"], \"phrases\": [\"拖欠工资\"]}]}";

static const char wages[] =
	"工地老板拖欠工资三个月，多次讨要一直没有处理，请政府帮我们讨回血汗钱。";

/* A string member of j, "" when missing. */
static const char *sval(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

/*
 * The lead assignment of the event with external id ext as this test's
 * xf-dispatch recorded it (a new reference, NULL while there is none),
 * once the collector has seen it on its topic too. By the database, since
 * other test runs on the shared broker may pass the same event through
 * their own daemons and publish assignments of their own for it.
 */
static json_t *lead_of(struct e2e *t, const char *ext)
{
	const char *params[] = { ext };
	PGresult *res = PQexecParams(t->conn,
				     "SELECT a.body FROM assignments a JOIN cases c USING (case_id)"
				     " WHERE c.external_id = $1 AND a.role = 'lead'"
				     " AND a.attempt = 1",
				     1, NULL, params, NULL, NULL, 0);
	json_t *a = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		for (size_t i = 0; !a && i < t->nmsgs; i++)
			if (!strncmp(t->msgs[i].topic, "assignments.", 12) &&
			    t->msgs[i].len == strlen(PQgetvalue(res, 0, 0)) &&
			    !memcmp(t->msgs[i].value, PQgetvalue(res, 0, 0), t->msgs[i].len))
				a = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return a;
}

/* Whether a petition.classified message of the event with external id ext
 * names the policies ids (space-separated) as its related policies. */
static int classified_with(struct e2e *t, const char *ext, const char *ids_want);

static int has_lead(struct e2e *t, void *arg)
{
	json_t *a = lead_of(t, arg);

	json_decref(a);
	return a != NULL;
}

static void publish(struct e2e *t, const char *ext)
{
	char buf[1024];

	snprintf(buf, sizeof buf,
		 "{\"source\": {\"system\": \"pol12345\"}, \"external_id\": \"%s\","
		 " \"occurred_at\": \"2026-11-22T09:30:00+08:00\", \"region_code\": \"330381\","
		 " \"petitioner\": {\"phone\": \"13900139077\"}, \"subject\": \"讨要工资\","
		 " \"content\": \"%s\"}",
		 ext, wages);
	T_CHECK(e2e_produce(t, ext, buf, strlen(buf)) == 0 && e2e_flush(t) == 0);
	T_CHECK(e2e_collect_until(t, has_lead, (void *)ext, 120));
}

/* The ids of a related_policies array, space-separated, into out. */
static const char *ids(json_t *list, char *out, size_t n)
{
	size_t i, len = 0;
	json_t *e;

	out[0] = '\0';
	json_array_foreach(list, i, e)
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? " " : "",
					json_string_value(json_object_get(e, "id")));
	return out;
}

static int classified_with(struct e2e *t, const char *ext, const char *ids_want)
{
	char buf[256];

	for (size_t i = 0; i < t->nmsgs; i++) {
		json_t *p = t->msgs[i].json;

		if (!strcmp(t->msgs[i].topic, "petition.classified") &&
		    !strcmp(sval(p, "external_id"), ext) &&
		    !strcmp(ids(json_object_get(json_object_get(p, "classification"),
						"related_policies"),
				buf, sizeof buf),
			    ids_want))
			return 1;
	}
	return 0;
}

static int import_table(struct e2e *t)
{
	char path[64];
	const char *import[] = { "policies", "import", path, NULL };
	const char *export[] = { "policies", "export", NULL };
	struct sbuf out = SBUF_INIT;
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "/tmp/xf-pol-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (!T_CHECK(f != NULL))
		return -1;
	fputs(policies, f);
	fclose(f);
	rc = e2e_xfctl(t, &out, import);
	T_INTEQ(rc, 0);
	T_CHECK(strstr(out.buf, "imported policies pol-e2e-1: 3 entries") != NULL);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(t, &out, export), 0);
	T_CHECK(strstr(out.buf, "\"pol-e2e-1\"") != NULL);
	unlink(path);
	sbuf_release(&out);
	return rc ? -1 : 0;
}

static void t_policies_and_history(void)
{
	json_t *cls, *a, *h;
	struct e2e t;
	char buf[256], first_case[64];

	if (!T_CHECK(e2e_setup(&t, "pol") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_CHECK(e2e_start(&t, d) == 0);
	if (import_table(&t)) {
		e2e_teardown(&t);
		return;
	}
	publish(&t, "pol-1");
	T_CHECK(classified_with(&t, "pol-1", "e2e-wage e2e-slow"));
	a = lead_of(&t, "pol-1");
	cls = json_object_get(json_object_get(a, "petition"), "classification");
	T_STREQ(sval(cls, "category"), "labor_social_security");
	T_STREQ(ids(json_object_get(a, "related_policies"), buf, sizeof buf), "e2e-wage e2e-slow");
	T_CHECK(json_equal(json_object_get(a, "related_policies"),
			   json_object_get(cls, "related_policies")));
	T_STREQ(sval(json_array_get(json_object_get(a, "related_policies"), 0), "article"),
		"第三条");
	h = json_object_get(a, "history");
	T_INTEQ(json_integer_value(json_object_get(json_object_get(h, "repeat"), "count")), 0);
	T_STREQ(sval(h, "summary"), "首次信访: 未发现此前同一事项");
	snprintf(first_case, sizeof first_case, "%s", sval(a, "case_id"));
	json_decref(a);

	publish(&t, "pol-2"); /* the same petitioner, the same matter */
	a = lead_of(&t, "pol-2");
	cls = json_object_get(json_object_get(a, "petition"), "classification");
	h = json_object_get(a, "history");
	T_INTEQ(json_integer_value(json_object_get(json_object_get(h, "repeat"), "count")), 1);
	T_STREQ(json_string_value(json_array_get(
			json_object_get(json_object_get(h, "repeat"), "related"), 0)),
		first_case);
	T_CHECK(strstr(sval(h, "summary"), "重复信访: 此前同一事项 1 次") != NULL);
	T_CHECK(json_equal(json_object_get(h, "repeat"), json_object_get(cls, "repeat")));
	T_STREQ(ids(json_object_get(a, "related_policies"), buf, sizeof buf), "e2e-wage e2e-slow");
	json_decref(a);
	check_schemas(&t);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_policies, { "policies_and_history_in_assignment", t_policies_and_history })
/* clang-format on */
