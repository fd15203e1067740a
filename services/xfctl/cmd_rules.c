/* cmd_rules.c - xfctl migrate, rules import|export|validate|test, keywords and
 * policies import|export|validate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classifier.h"
#include "embed.h"
#include "jschema.h"
#include "pg.h"
#include "rules.h"
#include "util.h"
#include "xfctl.h"
#include "xalloc.h"

int cmd_migrate(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	PGconn *conn;
	int applied;

	(void)argv;
	if (argc)
		return -1;
	if (!(conn = pg_connect(x->conf.database_url, &err)))
		return xfctl_fail("migrate", &err);
	applied = pg_migrate(conn, &err);
	PQfinish(conn);
	if (applied < 0)
		return xfctl_fail("migrate", &err);
	printf("migrations applied: %d\n", applied);
	sbuf_release(&err);
	return 0;
}

/* The embedded JSON schemas, loaded once per command. */
static struct jschema_set *schemas_load(struct sbuf *err)
{
	struct jschema_set *set = jschema_set_new();

	for (size_t i = 0; i < embed_nfiles; i++) {
		const struct embed_file *f = &embed_files[i];

		if (strncmp(f->path, "schemas/xf.", 11) || !strstr(f->path, ".json"))
			continue;
		if (jschema_add(set, f->data, f->len, err)) {
			jschema_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* Schema check, then the engine's own checks; the set or NULL with err. */
static struct rules_set *rules_check(json_t *doc, struct sbuf *err)
{
	struct jschema_set *set = schemas_load(err);
	struct rules_set *rs = NULL;

	if (set && !jschema_validate(set, "xf.rules.v1", doc, err))
		rs = rules_parse(doc, err);
	jschema_set_free(set);
	return rs;
}

static int rules_validate(const char *path)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = xfctl_load_json(path);
	struct rules_set *rs = doc ? rules_check(doc, &err) : NULL;
	int rc = 1;

	if (rs) {
		printf("%s: valid: version %s, %zu departments, %zu rules\n", path, rs->version,
		       rs->ndepts, rs->nrules);
		rc = 0;
	} else if (doc) {
		rc = xfctl_fail(path, &err);
	}
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
	return rc;
}

static int dept_upsert(PGconn *conn, const struct rules_dept *dp, struct sbuf *err)
{
	char cap[24];

	snprintf(cap, sizeof cap, "%ld", dp->capacity);
	return pg_exec(
		conn,
		"INSERT INTO departments (code, name, region, level, kind, capacity, webhook)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET"
		" name = $2, region = $3, level = $4, kind = $5, capacity = $6, webhook = $7",
		7,
		(const char *const[]){ dp->code, dp->name, dp->region, dp->level, dp->kind, cap,
				       dp->webhook },
		err);
}

/* The versioned documents xfctl imports: rules, keyword and policy tables. */
static const struct doc_kind {
	const char *schema, *what;
	const char *select_sha, *deactivate, *insert, *active_body;
} rules_kind = {
	"xf.rules.v1", "rules",
	"SELECT sha256 FROM rule_sets WHERE version = $1",
	"UPDATE rule_sets SET active = false WHERE active",
	"INSERT INTO rule_sets (version, body, sha256, active, activated_at)"
	" VALUES ($1, $2, $3, true, now())"
	" ON CONFLICT (version) DO UPDATE SET active = true, activated_at = now()",
	"SELECT body FROM rule_sets WHERE active",
}, keywords_kind = {
	"xf.keywords.v1", "keywords",
	"SELECT sha256 FROM keyword_sets WHERE version = $1",
	"UPDATE keyword_sets SET active = false WHERE active",
	"INSERT INTO keyword_sets (version, body, sha256, active) VALUES ($1, $2, $3, true)"
	" ON CONFLICT (version) DO UPDATE SET active = true",
	"SELECT body FROM keyword_sets WHERE active",
}, policies_kind = {
	"xf.policies.v1", "policies",
	"SELECT sha256 FROM policy_sets WHERE version = $1",
	"UPDATE policy_sets SET active = false WHERE active",
	"INSERT INTO policy_sets (version, body, sha256, active) VALUES ($1, $2, $3, true)"
	" ON CONFLICT (version) DO UPDATE SET active = true",
	"SELECT body FROM policy_sets WHERE active",
};

/*
 * Stores a document as the active one of its kind, inside the caller's
 * transaction. The same version with other content is refused.
 */
static int doc_store(PGconn *conn, const struct doc_kind *k, const char *version, const char *body,
		     struct sbuf *err)
{
	char sha[65];
	const char *params[3] = { version, body, sha };
	PGresult *res;

	sha256_hex(body, strlen(body), sha);
	res = pg_query(conn, k->select_sha, 1, params, err);
	if (res && PQntuples(res) && strcmp(PQgetvalue(res, 0, 0), sha))
		sbuf_addf(err,
			  "version %s was imported before with other content: "
			  "give the new %s a new version",
			  version, k->what);
	if (!res || err->len || pg_exec(conn, k->deactivate, 0, NULL, err) ||
	    pg_exec(conn, k->insert, 3, params, err)) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Stores the rule set and its departments as the active one, in one transaction. */
static int rules_store(PGconn *conn, const struct rules_set *rs, const char *body, struct sbuf *err)
{
	if (pg_begin(conn, err))
		return -1;
	if (doc_store(conn, &rules_kind, rs->version, body, err)) {
		pg_rollback(conn);
		return -1;
	}
	for (size_t i = 0; i < rs->ndepts; i++)
		if (dept_upsert(conn, &rs->depts[i], err)) {
			pg_rollback(conn);
			return -1;
		}
	/* running dispatchers LISTEN: they switch at their next batch */
	if (pg_exec(conn, "NOTIFY xf_rules", 0, NULL, err)) {
		pg_rollback(conn);
		return -1;
	}
	return pg_commit(conn, err);
}

/*
 * Makes the rule set active before the current one active again (and its
 * departments current); the current one will not be returned to by a
 * later rollback. One transaction; dispatchers are told by NOTIFY.
 */
static int rules_rollback(struct xfctl *x)
{
	struct sbuf err = SBUF_INIT;
	PGresult *res = NULL;
	json_t *doc = NULL;
	struct rules_set *rs = NULL;
	int rc = 1;

	if (!xfctl_db(x) || pg_begin(x->conn, &err))
		goto out;
	res = pg_query(x->conn,
		       "SELECT version, body FROM rule_sets WHERE NOT active"
		       " AND activated_at IS NOT NULL ORDER BY activated_at DESC LIMIT 1"
		       " FOR UPDATE",
		       0, NULL, &err);
	if (res && !PQntuples(res))
		sbuf_adds(&err, "no earlier rule set to return to");
	if (!res || err.len)
		goto out;
	doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	rs = doc ? rules_parse(doc, &err) : NULL;
	if (!rs ||
	    pg_exec(x->conn,
		    "UPDATE rule_sets SET active = false, activated_at = NULL"
		    " WHERE active",
		    0, NULL, &err) ||
	    pg_exec(x->conn, "UPDATE rule_sets SET active = true WHERE version = $1", 1,
		    (const char *const[]){ PQgetvalue(res, 0, 0) }, &err))
		goto out;
	for (size_t i = 0; i < rs->ndepts; i++)
		if (dept_upsert(x->conn, &rs->depts[i], &err))
			goto out;
	if (pg_exec(x->conn, "NOTIFY xf_rules", 0, NULL, &err) || pg_commit(x->conn, &err))
		goto out;
	printf("rolled back: rules %s active again\n", rs->version);
	rc = 0;
out:
	if (rc) {
		if (x->conn)
			pg_rollback(x->conn);
		xfctl_fail("rules rollback", &err);
	}
	PQclear(res);
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
	return rc;
}

static int dept_topics(struct xfctl *x, const struct rules_set *rs)
{
	char **topics = xcalloc(rs->ndepts + 1, sizeof *topics);
	int rc;

	for (size_t i = 0; i < rs->ndepts; i++) {
		size_t size = strlen(rs->depts[i].code) + sizeof "assignments.";

		topics[i] = xmalloc(size);
		snprintf(topics[i], size, "assignments.%s", rs->depts[i].code);
	}
	rc = xfctl_create_topics(x, (const char *const *)topics, rs->ndepts);
	for (size_t i = 0; i < rs->ndepts; i++)
		free(topics[i]);
	free(topics);
	return rc;
}

static int rules_import(struct xfctl *x, const char *path, int topics)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = xfctl_load_json(path);
	struct rules_set *rs = doc ? rules_check(doc, &err) : NULL;
	char *body = rs ? json_dumps(doc, JSON_COMPACT) : NULL;
	int rc = 1;

	if (!rs)
		rc = doc ? xfctl_fail(path, &err) : 1;
	else if (!xfctl_db(x))
		rc = 1;
	else if (rules_store(x->conn, rs, body, &err))
		rc = xfctl_fail("rules import", &err);
	else {
		printf("imported rules %s: %zu departments, %zu rules (active)\n", rs->version,
		       rs->ndepts, rs->nrules);
		rc = topics && dept_topics(x, rs) ? 3 : 0; /* 3: imported, no topics */
	}
	free(body);
	rules_free(rs);
	json_decref(doc);
	sbuf_release(&err);
	return rc;
}

/* Prints the active document of a kind. */
static int doc_export(struct xfctl *x, const struct doc_kind *k)
{
	struct sbuf err = SBUF_INIT;
	PGresult *res;
	json_t *doc;

	if (!xfctl_db(x))
		return 1;
	res = pg_query(x->conn, k->active_body, 0, NULL, &err);
	if (!res || !PQntuples(res)) {
		PQclear(res);
		if (!err.len)
			sbuf_addf(&err, "no %s imported", k->what);
		return xfctl_fail("export", &err);
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	PQclear(res);
	return 0;
}

/* A classifier table xfctl imports: its kind, its load, what it counts. */
struct table_kind {
	const struct doc_kind *kind;
	int (*load)(struct classifier *cl, const char *json, struct sbuf *err);
	const char *list, *unit; /* the document's array and what an item is */
};

static const struct table_kind keywords_table = { &keywords_kind, classifier_keywords, "keywords",
						  "phrases" },
			       policies_table = { &policies_kind, classifier_policies, "policies",
						  "entries" };

/* Schema check, then the classifier's own load of the table. */
static int table_check(const struct table_kind *tk, json_t *doc, struct sbuf *err)
{
	struct jschema_set *set = schemas_load(err);
	struct classifier cl;
	char *text;
	int rc = -1;

	if (set && !jschema_validate(set, tk->kind->schema, doc, err) &&
	    !classifier_init(&cl, NULL, err)) {
		text = json_dumps(doc, JSON_COMPACT);
		rc = tk->load(&cl, text, err);
		free(text);
		classifier_release(&cl);
	}
	jschema_set_free(set);
	return rc;
}

/* Stores doc as the active table of its kind, in one transaction; 0 or 1. */
static int table_store(struct xfctl *x, const struct table_kind *tk, json_t *doc)
{
	struct sbuf err = SBUF_INIT, what = SBUF_INIT;
	char *body = json_dumps(doc, JSON_COMPACT);
	const char *version = json_string_value(json_object_get(doc, "version"));
	int rc = 0;

	if (pg_begin(x->conn, &err) || doc_store(x->conn, tk->kind, version, body, &err) ||
	    pg_commit(x->conn, &err)) {
		pg_rollback(x->conn);
		sbuf_addf(&what, "%s import", tk->kind->what);
		rc = xfctl_fail(what.buf, &err);
	} else {
		printf("imported %s %s: %zu %s (active; xf-classify loads them at its next "
		       "batch)\n",
		       tk->kind->what, version, json_array_size(json_object_get(doc, tk->list)),
		       tk->unit);
	}
	free(body);
	sbuf_release(&what);
	sbuf_release(&err);
	return rc;
}

static int table_import(struct xfctl *x, const struct table_kind *tk, const char *path, int store)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = xfctl_load_json(path);
	int rc = 1;

	if (doc && table_check(tk, doc, &err))
		rc = xfctl_fail(path, &err);
	else if (doc && !store)
		rc = printf("%s: valid: version %s, %zu %s\n", path,
			    json_string_value(json_object_get(doc, "version")),
			    json_array_size(json_object_get(doc, tk->list)), tk->list) < 0;
	else if (doc && xfctl_db(x))
		rc = table_store(x, tk, doc);
	json_decref(doc);
	sbuf_release(&err);
	return rc;
}

static int table_command(struct xfctl *x, const struct table_kind *tk, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[0], "import"))
		return table_import(x, tk, argv[1], 1);
	if (argc == 2 && !strcmp(argv[0], "validate"))
		return table_import(x, tk, argv[1], 0);
	if (argc == 1 && !strcmp(argv[0], "export"))
		return doc_export(x, tk->kind);
	return -1;
}

int cmd_keywords(struct xfctl *x, int argc, char **argv)
{
	return table_command(x, &keywords_table, argc, argv);
}

int cmd_policies(struct xfctl *x, int argc, char **argv)
{
	return table_command(x, &policies_table, argc, argv);
}

/* Gives a raw hotline event the classification the daemon would give it
 * (without history: no repeat or cluster). */
static void classify_if_needed(struct xfctl *x, json_t *petition)
{
	struct classifier_history h = { 0, NULL, NULL, 0 };
	struct classifier_text t;
	struct classifier cl;
	struct sbuf err = SBUF_INIT;

	if (json_object_get(petition, "classification"))
		return;
	if (classifier_init(&cl, x->conf.model_path, &err))
		fprintf(stderr, "xfctl: %s: keyword tables only\n", err.buf);
	h.related = json_array();
	classifier_text(&cl, json_string_value(json_object_get(petition, "subject")),
			json_string_value(json_object_get(petition, "content")),
			json_string_value(json_object_get(petition, "category_hint")), &t);
	json_object_set_new(petition, "classification",
			    classifier_build(petition, &t, &h, &cl.risk));
	classifier_text_release(&t);
	classifier_release(&cl);
	json_decref(h.related);
	sbuf_release(&err);
}

static int rules_test(struct xfctl *x, const char *path, const char *petition_path)
{
	struct sbuf err = SBUF_INIT;
	json_t *doc = xfctl_load_json(path), *p = xfctl_load_json(petition_path);
	struct rules_set *rs = doc && p ? rules_check(doc, &err) : NULL;
	struct rules_decision dec;
	int rc = 1;

	if (rs && json_is_object(p)) {
		classify_if_needed(x, p);
		if (rules_decide(rs, p, &dec, &err)) {
			rc = xfctl_fail("rules test", &err);
		} else {
			json_t *cls = json_object_get(p, "classification");
			char *tags = json_dumps(cls, JSON_COMPACT);

			printf("classification: %s\n", tags);
			free(tags);
			printf("department: %s (%s)\nrule: %s\nco-handlers:", dec.lead->code,
			       dec.lead->name, dec.rule ? dec.rule->id : "triage");
			for (size_t i = 0; i < dec.nco; i++)
				printf(" %s", dec.co[i]->code);
			printf("\nexplain: ");
			json_dumpf(dec.explain, stdout, JSON_INDENT(2));
			printf("\n");
			rules_decision_release(&dec);
			rc = 0;
		}
	} else if (doc && p) {
		rc = xfctl_fail(path, &err);
	}
	rules_free(rs);
	json_decref(doc);
	json_decref(p);
	sbuf_release(&err);
	return rc;
}

int cmd_rules(struct xfctl *x, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[0], "import"))
		return rules_import(x, argv[1], 1);
	if (argc == 3 && !strcmp(argv[0], "import") && !strcmp(argv[1], "--no-topics"))
		return rules_import(x, argv[2], 0);
	if (argc == 1 && !strcmp(argv[0], "export"))
		return doc_export(x, &rules_kind);
	if (argc == 1 && !strcmp(argv[0], "rollback"))
		return rules_rollback(x);
	if (argc == 2 && !strcmp(argv[0], "validate"))
		return rules_validate(argv[1]);
	if (argc == 3 && !strcmp(argv[0], "test"))
		return rules_test(x, argv[1], argv[2]);
	return -1;
}
