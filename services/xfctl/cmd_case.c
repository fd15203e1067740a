/* cmd_case.c - xfctl case show, case qr, cases, audit verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "pg.h"
#include "public/public.h"
#include "public/qr.h"
#include "xfctl.h"

static int case_head(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		"SELECT case_id, state, category, risk, department, coalesce(rule_id, 'triage'),"
		" rule_version, region_code, source_system || '/' || external_id,"
		" created_at, accept_by, resolve_by, attempt,"
		" coalesce(nullif(array_to_string(returned_by, ', '), ''), '-'),"
		" CASE WHEN extended_days > 0 THEN extended_days || ' days' ELSE '-' END,"
		" reopened, coalesce(satisfaction, '-'),"
		" (ARRAY['running', 'warned', 'overdue', 'supervised'])[clock_stage + 1]"
		"   || coalesce(', next look ' || due_at, '')"
		" FROM cases WHERE case_id = $1",
		1, (const char *const[]){ id }, err);
	static const char *const labels[] = { "case",          "state",        "category",
					      "risk",          "department",   "rule",
					      "rules version", "region",       "source",
					      "created",       "accept by",    "resolve by",
					      "attempt",       "returned by",  "extended",
					      "reopened",      "satisfaction", "deadline clock" };

	struct sbuf v[18];

	if (!res)
		return -1;
	if (!PQntuples(res)) {
		sbuf_addf(err, "no case ");
		xfctl_escape(err, id);
		PQclear(res);
		return -1;
	}
	for (int c = 0; c < 18; c++)
		v[c] = (struct sbuf)SBUF_INIT;
	xfctl_cells(res, 0, v, 18);
	for (int c = 0; c < 18; c++)
		printf("%-14s %s\n", labels[c], v[c].buf);
	xfctl_cells_release(v, 18);
	PQclear(res);
	return 0;
}

static int case_assignments(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		"SELECT assignment_id, department, role, attempt, created_at FROM assignments"
		" WHERE case_id = $1 ORDER BY attempt, role DESC, department",
		1, (const char *const[]){ id }, err);
	struct sbuf v[5] = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT };

	if (!res)
		return -1;
	printf("\nassignments\n");
	for (int i = 0; i < PQntuples(res); i++) {
		xfctl_cells(res, i, v, 5);
		printf("  %-36s %-20s %-4s attempt %s  %s\n", v[0].buf, v[1].buf, v[2].buf,
		       v[3].buf, v[4].buf);
	}
	xfctl_cells_release(v, 5);
	PQclear(res);
	return 0;
}

/* One line of the timeline: seq, when, what, the gist of its data, the hash. */
static void print_event(int seq, const char *type, const char *body, const char *hash, int bad)
{
	json_t *ev = json_loads(body, 0, NULL);
	json_t *data = json_object_get(ev, "data");
	const char *at = json_string_value(json_object_get(ev, "at"));
	struct sbuf v[4] = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT };
	char *gist;

	json_object_del(data, "explain"); /* long: xfctl rules test shows it */
	gist = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	xfctl_escape(&v[0], at ? at : "");
	xfctl_escape(&v[1], type);
	xfctl_escape(&v[2], hash);
	xfctl_escape(&v[3], gist ? gist : "");
	printf("  %3d %-25s %-12s %.16s %-6s %.110s\n", seq, v[0].buf, v[1].buf, v[2].buf,
	       bad ? "BROKEN" : "ok", v[3].buf);
	xfctl_cells_release(v, 4);
	free(gist);
	json_decref(ev);
}

/*
 * Compares where a chain ends (last_seq, last_hash; 0 and NULL for no
 * events) with the head recorded as each event was appended, in row `row`
 * (columns 5 and 6, NULL when none). Returns 1 and says why when they differ.
 */
static int head_differs(PGresult *res, int row, int last_seq, const char *last_hash,
			struct sbuf *why)
{
	int head = PQgetisnull(res, row, 5) ? 0 : atoi(PQgetvalue(res, row, 5));

	if (!head && last_seq)
		sbuf_addf(why, "no head recorded for its %d events", last_seq);
	else if (last_seq < head)
		sbuf_addf(why, "events %d..%d missing: the chain ends at %d, its head is %d",
			  last_seq + 1, head, last_seq, head);
	else if (last_seq > head)
		sbuf_addf(why, "events %d..%d past its head %d", head + 1, last_seq, head);
	else if (head && strcmp(last_hash, PQgetvalue(res, row, 6)))
		sbuf_addf(why, "chain rewritten: event %d hashes to %.16s, its head says %.16s",
			  head, last_hash, PQgetvalue(res, row, 6));
	else
		return 0;
	return 1;
}

/*
 * Checks the chain of rows (case_id, seq, body, hash, type, head_seq,
 * head_hash) from row `from`, then its end against the head; returns the
 * row after this case's last, and *broken (with why). A case with a head
 * and no events is one row with a NULL seq.
 */
static int chain_walk(PGresult *res, int from, int print, int *broken, struct sbuf *why)
{
	const char *id = PQgetvalue(res, from, 0);
	const char *prev = chain_genesis;
	int i = from, seq = 0;

	*broken = 0;
	for (; i < PQntuples(res) && !strcmp(PQgetvalue(res, i, 0), id); i++) {
		int bad;

		if (PQgetisnull(res, i, 1))
			continue;
		seq = atoi(PQgetvalue(res, i, 1));
		bad = !*broken &&
		      (seq != i - from + 1 || chain_check(id, seq, PQgetvalue(res, i, 2),
							  PQgetvalue(res, i, 3), prev, why));
		if (bad && seq != i - from + 1)
			sbuf_addf(why, "event %d missing", i - from + 1);
		*broken |= bad;
		if (print)
			print_event(seq, PQgetvalue(res, i, 4), PQgetvalue(res, i, 2),
				    PQgetvalue(res, i, 3), bad);
		prev = PQgetvalue(res, i, 3);
	}
	if (!*broken)
		*broken = head_differs(res, from, seq, prev, why);
	return i;
}

/* Events beside their case's head: every event row carries it, and a head
 * without events is a row of its own. */
#define EVENTS_SQL(events, heads)                                                          \
	"SELECT coalesce(e.case_id, h.case_id) AS case_id, e.seq, e.body, e.hash, e.type," \
	" h.seq, h.hash FROM " events " e FULL JOIN " heads " h ON h.case_id = e.case_id"

/* Prints a case's timeline: 0, 1 when its chain is broken, -1 with err. */
static int case_events(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		EVENTS_SQL("(SELECT * FROM case_events WHERE case_id = $1)",
			   "(SELECT * FROM case_heads WHERE case_id = $1)") " ORDER BY e.seq",
		1, (const char *const[]){ id }, err);
	struct sbuf why = SBUF_INIT, shown = SBUF_INIT;
	int broken = 0;

	if (!res)
		return -1;
	printf("\ntimeline (audit chain)\n");
	if (PQntuples(res))
		chain_walk(res, 0, 1, &broken, &why);
	xfctl_escape(&shown, why.buf);
	printf("chain: %s%s%s\n", broken ? "BROKEN: " : "intact", shown.buf,
	       PQntuples(res) ? "" : " (no events)");
	sbuf_release(&shown);
	sbuf_release(&why);
	PQclear(res);
	return broken;
}

/*
 * Every feedback message about the case, applied or refused: the department
 * it names, and who sent it when another (a citizen_side sender's rating;
 * "?" when the sender was not authenticated).
 */
static int case_feedback(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		"SELECT received_at, feedback_id, coalesce(department, '?')"
		" || CASE WHEN sender NOT IN ('', coalesce(department, '')) THEN ' by ' || sender"
		" WHEN sender = '' THEN ' by ?' ELSE '' END,"
		" coalesce(action, '?'), outcome, coalesce(reason, '') FROM feedback"
		" WHERE case_id = $1 ORDER BY received_at, feedback_id",
		1, (const char *const[]){ id }, err);

	struct sbuf v[6] = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT };

	if (!res)
		return -1;
	printf("\nfeedback\n");
	for (int i = 0; i < PQntuples(res); i++) {
		xfctl_cells(res, i, v, 6);
		printf("  %.19s  %-24s %-20s %-8s %-8s %s\n", v[0].buf, v[1].buf, v[2].buf,
		       v[3].buf, v[4].buf, v[5].buf);
	}
	xfctl_cells_release(v, 6);
	if (!PQntuples(res))
		printf("  (none)\n");
	PQclear(res);
	return 0;
}

/* Webhook deliveries for the case and where each stands. */
static int case_webhooks(PGconn *conn, const char *id, struct sbuf *err)
{
	PGresult *res = pg_query(
		conn,
		"SELECT id, department, kind, state, attempts, coalesce(last_status::text, '-'),"
		" coalesce(to_char(delivered_at, 'YYYY-MM-DD HH24:MI:SS'), '-'),"
		" coalesce(last_error, '') FROM webhook_deliveries WHERE case_id = $1 ORDER BY id",
		1, (const char *const[]){ id }, err);

	struct sbuf v[8];

	if (!res)
		return -1;
	if (PQntuples(res))
		printf("\nwebhooks\n");
	for (int c = 0; c < 8; c++)
		v[c] = (struct sbuf)SBUF_INIT;
	for (int i = 0; i < PQntuples(res); i++) {
		xfctl_cells(res, i, v, 8);
		printf("  #%-6s %-20s %-12s %-9s attempts %-3s HTTP %-4s delivered %s %s\n",
		       v[0].buf, v[1].buf, v[2].buf, v[3].buf, v[4].buf, v[5].buf, v[6].buf,
		       v[7].buf);
	}
	xfctl_cells_release(v, 8);
	PQclear(res);
	return 0;
}

struct qr_opts {
	const char *case_id, *out;
	int svg;
};

/* CASE_ID [--svg] [-o FILE]; 0, or -1 for a usage error. */
static int qr_args(int argc, char **argv, struct qr_opts *o)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--svg"))
			o->svg = 1;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			o->out = argv[++i];
		else if (argv[i][0] != '-' && !o->case_id)
			o->case_id = argv[i];
		else
			return -1;
	}
	return o->case_id ? 0 : -1;
}

/* Writes image to o->out ("-" or none: standard output); 0 or -1 with err. */
static int qr_write(const struct qr_opts *o, const struct sbuf *image, struct sbuf *err)
{
	int to_stdout = !o->out || !strcmp(o->out, "-");
	FILE *f = to_stdout ? stdout : fopen(o->out, "wb");
	int rc;

	if (!f) {
		sbuf_addf(err, "cannot write %s", o->out);
		return -1;
	}
	rc = fwrite(image->buf, 1, image->len, f) == image->len ? 0 : -1;
	if ((to_stdout ? fflush(f) : fclose(f)) || rc) {
		sbuf_addf(err, "cannot write %s", to_stdout ? "the standard output" : o->out);
		return -1;
	}
	return 0;
}

/*
 * xfctl case qr: the QR code of the case's status page, the page address
 * on standard output (on standard error when the image goes there).
 */
static int case_qr(struct xfctl *x, int argc, char **argv)
{
	struct qr_opts o = { NULL, NULL, 0 };
	struct sbuf url = SBUF_INIT, image = SBUF_INIT, err = SBUF_INIT;
	int rc;

	if (qr_args(argc, argv, &o))
		return -1;
	if (!pub_case_id_valid(o.case_id))
		sbuf_adds(&err, "not a case id (XF-<region>-<yyyymmdd>-<number>)");
	else if (!*x->conf.query_key)
		sbuf_adds(&err, "XF_QUERY_KEY (or XF_QUERY_KEY_FILE) is not set");
	if (err.len) {
		xfctl_fail("case qr", &err);
		sbuf_release(&err);
		return 1;
	}
	qr_page_url(x->conf.public_url, x->conf.query_key, o.case_id, &url);
	rc = (o.svg ? qr_svg : qr_png)(url.buf, &image, &err) || qr_write(&o, &image, &err);
	if (!rc)
		fprintf(o.out && strcmp(o.out, "-") ? stdout : stderr, "%s\n", url.buf);
	if (rc)
		xfctl_fail("case qr", &err);
	sbuf_release(&url);
	sbuf_release(&image);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

int cmd_case(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	int rc;

	if (argc >= 1 && !strcmp(argv[0], "qr"))
		return case_qr(x, argc - 1, argv + 1);
	if (argc != 2 || strcmp(argv[0], "show"))
		return -1;
	if (!xfctl_db(x))
		return 1;
	if (case_head(x->conn, argv[1], &err) || case_assignments(x->conn, argv[1], &err))
		return xfctl_fail("case show", &err);
	rc = case_events(x->conn, argv[1], &err);
	if (rc == -1 || case_feedback(x->conn, argv[1], &err) ||
	    case_webhooks(x->conn, argv[1], &err))
		return xfctl_fail("case show", &err);
	return rc ? 1 : 0;
}


int cmd_cases(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	const char *limit = argc ? argv[0] : "50";
	struct sbuf v[6] = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT };
	PGresult *res;

	if (argc > 1 || !xfctl_db(x))
		return argc > 1 ? -1 : 1;
	res = pg_query(
		x->conn,
		"SELECT case_id, category, risk, department, coalesce(rule_id, 'triage'), state"
		" FROM cases ORDER BY created_at DESC, case_id DESC LIMIT $1::integer",
		1, (const char *const[]){ limit }, &err);
	if (!res)
		return xfctl_fail("cases", &err);
	printf("%-26s %-22s %-4s %-20s %-9s %s\n", "case id", "category", "risk", "department",
	       "state", "rule");
	for (int i = PQntuples(res) - 1; i >= 0; i--) {
		xfctl_cells(res, i, v, 6);
		printf("%-26s %-22s %-4s %-20s %-9s %s\n", v[0].buf, v[1].buf, v[2].buf, v[3].buf,
		       v[5].buf, v[4].buf);
	}
	xfctl_cells_release(v, 6);
	PQclear(res);
	return 0;
}

int cmd_audit(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT, why = SBUF_INIT, shown = SBUF_INIT;
	int cases = 0, bad = 0;
	PGresult *res;

	if (argc != 1 || strcmp(argv[0], "verify"))
		return -1;
	if (!xfctl_db(x))
		return 1;
	res = pg_query(x->conn, EVENTS_SQL("case_events", "case_heads") " ORDER BY 1, 2", 0, NULL,
		       &err);
	if (!res)
		return xfctl_fail("audit verify", &err);
	for (int i = 0, broken; i < PQntuples(res); cases++) {
		const char *id = PQgetvalue(res, i, 0);

		sbuf_reset(&why);
		i = chain_walk(res, i, 0, &broken, &why);
		if (broken && ++bad) {
			sbuf_reset(&shown);
			xfctl_escape(&shown, id);
			printf("BROKEN %s: ", shown.buf);
			sbuf_reset(&shown);
			xfctl_escape(&shown, why.buf);
			printf("%s\n", shown.buf);
		}
	}
	printf("audit: %d cases checked, %d broken\n", cases, bad);
	PQclear(res);
	sbuf_release(&why);
	sbuf_release(&shown);
	return bad ? 1 : 0;
}
