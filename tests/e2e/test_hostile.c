/*
 * test_hostile.c - hostile text from outside on the real stack: a Kafka key
 * and a feedback_id written to forge log fields leave every daemon log line
 * one JSON object with its own level and event; a department's reason and
 * a feedback_id full of terminal escape sequences come out of `xfctl case
 * show` escaped, never as control characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "gen.h"
#include "tharness.h"

/* A key that ends its field, forges level and event, starts a line, clears the screen. */
static const char hostile_key[] =
	"k\" level=debug event=forged\n{\"level\":\"error\",\"event\":\"forged\"}\x1b[2J";
static const char hostile_fid[] = "fb\" level=debug event=forged x=\"\x1b]0;owned\x07";
static const char hostile_reason[] =
	"\xc2\x9b" "31m\xe2\x80\xae\x1b[2J\x1b]0;owned\x07\r\nchain: intact 不属于本单位";

static int assigned(struct e2e *t, void *arg)
{
	(void)arg;
	return e2e_count(t, "assignments.*") >= 1;
}

static int dead_lettered(struct e2e *t, void *arg)
{
	(void)arg;
	return e2e_count(t, "petition.dlq") >= 1;
}

static int sql_true(struct e2e *t, void *sql)
{
	return e2e_sql_long(t, sql) > 0;
}

/* Sends feedback on case_id as dept: action, feedback_id and reason as given. */
static int send_feedback(struct e2e *t, const char *id, const char *case_id,
			 const char *dept, const char *action, const char *reason)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", dept,
			       "action", action, "at", "2026-11-22T10:00:00+08:00",
			       "reason", reason);
	char *text = json_dumps(fb, JSON_COMPACT);
	int rc = !text || e2e_produce_to(t, "department.feedback", case_id, text, strlen(text)) ||
		 e2e_flush(t);

	free(text);
	json_decref(fb);
	return rc;
}

/* 1 if member k of j is a string containing part. */
static int holds(json_t *j, const char *k, const char *part)
{
	const char *v = json_string_value(json_object_get(j, k));

	return v && strstr(v, part);
}

/* 1 if member k of j is a string equal to want. */
static int has(json_t *j, const char *k, const char *want)
{
	const char *v = json_string_value(json_object_get(j, k));

	return v && !strcmp(v, want);
}

/*
 * Checks each line of a daemon's log: one JSON object, a known level, no
 * forged event. Counts the lines carrying the hostile key and feedback_id
 * intact, at level info, under their own event.
 */
static void check_log(const char *path, int *keys, int *fids)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;

	if (!T_CHECK(f != NULL))
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		int lv = 0;

		lines++;
		for (size_t i = 0; i < 4; i++)
			lv |= has(j, "level", levels[i]);
		if (!T_CHECK(json_is_object(j) && lv && !holds(j, "event", "forged")))
			fprintf(stderr, "    %s: %s", path, line);
		*keys += has(j, "event", "dead_letter") && has(j, "key", hostile_key) &&
			 has(j, "level", "info");
		*fids += has(j, "event", "feedback_refused") && has(j, "feedback_id", hostile_fid) &&
			 has(j, "level", "info");
		json_decref(j);
	}
	T_CHECK(lines > 0);
	free(line);
	fclose(f);
}

/* Nothing in out may drive a terminal: no C0/C1 control but newline, no bidi override. */
static void check_plain(const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (!T_CHECK((*p >= 0x20 || *p == '\n') && *p != 0x7f &&
			     !(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) &&
			     !(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae))) {
			fprintf(stderr, "    at: %.40s\n", (const char *)p);
			return;
		}
}

static void t_hostile(void)
{
	static const char *const names[] = { "xf-intake", "xf-classify", "xf-dispatch" };
	const char *show[] = { "case", "show", NULL, NULL };
	struct gen_event *ev = gen_events("hostile", 1, 0, 0);
	struct sbuf out = SBUF_INIT;
	char case_id[32] = "", dept[72] = "", path[512], sql[256];
	int keys = 0, fids = 0;
	json_t *a;
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "hostile") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		snprintf(path, sizeof path, "%s/%s-%s.log", t.logs, t.name, names[d]);
		unlink(path); /* this run's lines only */
		T_CHECK(e2e_start(&t, d) == 0);
	}
	T_CHECK(e2e_produce(&t, ev[0].key, ev[0].bytes, ev[0].len) == 0);
	T_CHECK(e2e_produce(&t, hostile_key, "{not json", 9) == 0 && e2e_flush(&t) == 0);
	T_CHECK(e2e_collect_until(&t, dead_lettered, NULL, 90));
	if (!T_CHECK(e2e_collect_until(&t, assigned, NULL, 90)))
		goto out;
	for (size_t i = 0; i < t.nmsgs; i++)
		if (!strncmp(t.msgs[i].topic, "assignments.", 12) && (a = t.msgs[i].json)) {
			snprintf(case_id, sizeof case_id, "%s", json_string_value(json_object_get(a, "case_id")));
			snprintf(dept, sizeof dept, "%s", json_string_value(json_object_get(a, "department")));
		}
	/* from a department that does not hold the case: refused, logged with its id */
	T_CHECK(send_feedback(&t, hostile_fid, case_id, "no-such-dept", "accept", "x") == 0);
	T_CHECK(send_feedback(&t, "fb-return-1", case_id, dept, "return", hostile_reason) == 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM feedback WHERE case_id = '%s'"
		 " AND feedback_id = 'fb-return-1' AND outcome = 'applied'", case_id);
	T_CHECK(e2e_collect_until(&t, sql_true, sql, 90));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM feedback WHERE case_id = '%s'"
		 " AND outcome = 'refused'", case_id);
	T_CHECK(e2e_collect_until(&t, sql_true, sql, 90));
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
	for (int d = 0; d < E2E_NDAEMONS; d++) {
		snprintf(path, sizeof path, "%s/%s-%s.log", t.logs, t.name, names[d]);
		check_log(path, &keys, &fids);
	}
	T_INTEQ(keys, 1);
	T_INTEQ(fids, 1);

	show[2] = case_id;
	T_INTEQ(e2e_xfctl(&t, &out, show), 0);
	check_plain(out.buf);
	/* what was there is shown, escaped where it would drive the terminal */
	/* the timeline shows the reason as JSON, where C1 and bidi controls were raw */
	T_CHECK(strstr(out.buf, "\"reason\":\"\\u009b31m\\u202e\\u001B[2J") != NULL);
	T_CHECK(strstr(out.buf, "fb\" level=debug event=forged x=\"\\x1b]0;owned\\x07") != NULL);
	if (!T_CHECK(strstr(out.buf, "chain: intact\n") != NULL))
		fprintf(stderr, "    xfctl case show:\n%s", out.buf);
out:
	gen_free(ev, 1);
	sbuf_release(&out);
	e2e_teardown(&t);
}

T_SUITE(e2e_hostile, { "log_lines_and_case_show", t_hostile })
