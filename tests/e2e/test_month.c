/*
 * test_month.c - the monthly three-colour warning (issue 14 item 4) on the
 * real broker and PostgreSQL: board figures planted in known amounts for
 * 2026-08, -09, -10 and 2025-10 (in board_days and in the deltas, with
 * decoys on the days just outside), then every figure and colour of
 * `xfctl report month 2026-10` (table, CSV, --region) against the planted
 * truth; then two xf-dispatch instances started together just after the
 * end of October (test clock) publish its five escalations exactly once on
 * the bureaus' topics, and a restarted one publishes only November's when
 * that month ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "month.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

/*
 * The planted rows: table, day, township, department, petitions, repeats,
 * assigned, overdue, resolved, resolved late, rated, satisfied. Areas'
 * rows are their petitions, each assigned to the township's bureau; the
 * departments' rows carry a county code, an area of its own (330381).
 */
static const char plant_sql[] =
	"INSERT INTO %s (day, region, department, category, risk, petitions, repeats,"
	" assigned, overdue, resolved, resolved_late, rated, satisfied) SELECT d::date, r, dept,"
	" 'other', 'C', p, rp, a, o, rs, rl, ra, sa FROM (VALUES %s) AS v(d, r, dept, p, rp, a, o,"
	" rs, rl, ra, sa)";

static const char plant_days[] =
	/* A 330381101: red, red, red (repeats; overdue; volume +100%% on 2025-10) */
	"('2026-08-03', '330381101', 't-xfj', 10, 3, 10, 0, 0, 0, 0, 0),"
	"('2026-09-30', '330381101', 't-xfj', 10, 0, 10, 2, 0, 0, 0, 0),"
	"('2026-10-01', '330381101', 't-xfj', 30, 2, 30, 1, 10, 0, 5, 5),"
	"('2025-10-15', '330381101', 't-xfj', 20, 0, 20, 0, 0, 0, 0, 0),"
	/* B 330381102: green, yellow (repeats), yellow (overdue) */
	"('2026-08-10', '330381102', 't-xfj', 20, 0, 20, 0, 0, 0, 0, 0),"
	"('2026-09-10', '330381102', 't-xfj', 20, 2, 20, 0, 0, 0, 0, 0),"
	"('2026-10-10', '330381102', 't-xfj', 12, 0, 12, 3, 10, 1, 0, 0),"
	"('2025-10-10', '330381102', 't-xfj', 19, 0, 19, 0, 0, 0, 0, 0),"
	/* C 330382001 (乐清): none, red (satisfaction), yellow (on time) */
	"('2026-09-20', '330382001', 't-yq-xfj', 5, 0, 5, 0, 0, 0, 5, 2),"
	"('2026-10-20', '330382001', 't-yq-xfj', 8, 0, 8, 0, 10, 2, 0, 0),"
	/* D 330381103: red, green, red: no escalation */
	"('2026-08-31', '330381103', 't-xfj', 10, 5, 10, 0, 0, 0, 0, 0),"
	"('2026-09-01', '330381103', 't-xfj', 10, 0, 10, 0, 0, 0, 0, 0),"
	"('2026-10-31', '330381103', 't-xfj', 10, 0, 10, 5, 0, 0, 0, 0),"
	/* t-rsj: red, red, red (overdue); t-zjj: October only, green */
	"('2026-08-05', '330381', 't-rsj', 0, 0, 10, 2, 0, 0, 0, 0),"
	"('2026-09-05', '330381', 't-rsj', 0, 0, 10, 2, 0, 0, 0, 0),"
	"('2026-10-05', '330381', 't-rsj', 0, 0, 12, 3, 8, 0, 4, 4),"
	"('2025-10-05', '330381', 't-rsj', 0, 0, 12, 0, 0, 0, 0, 0),"
	"('2026-10-06', '330381', 't-zjj', 0, 0, 5, 0, 0, 0, 0, 0),"
	/* decoys just outside October's ranges: November's figures */
	"('2026-07-31', '330381101', 't-xfj', 100, 100, 100, 0, 0, 0, 0, 0),"
	"('2026-11-01', '330381101', 't-xfj', 100, 0, 100, 100, 0, 0, 0, 0),"
	"('2025-07-31', '330381101', 't-xfj', 100, 0, 100, 0, 0, 0, 0, 0),"
	"('2025-11-01', '330381101', 't-xfj', 100, 0, 100, 0, 0, 0, 0, 0)";

/* Not yet folded: the report reads board_days_all. */
static const char plant_deltas[] = "('2026-10-02', '330381101', 't-xfj', 10, 0, 10, 0, 0, 0, 0, 0),"
				   "('2026-10-11', '330381102', 't-xfj', 8, 0, 8, 0, 0, 0, 0, 0)";

/* The October table, whitespace squeezed: every figure and colour. */
static const char *const want_table[] = {
	"green area 330381 0 0 - - - 100.0% G 100.0% G - - -",
	"red area 330381101 40 20 100.0% R 5.0% G 2.5% G 100.0% G 100.0% G red red 市委书记约谈",
	"yellow area 330381102 20 19 5.3% G 0.0% G 15.0% Y 90.0% G - green yellow 分管副市长约谈",
	"red area 330381103 10 0 - 0.0% G 50.0% R - - red green -",
	"yellow area 330382001 8 0 - 0.0% G 0.0% G 80.0% Y - - red 分管副市长约谈",
	"red department t-rsj 12 12 0.0% G 0.0% G 25.0% R 100.0% G 100.0% G red red 市委书记约谈 "
	"瑞安市人力资源和社会保障局",
	"red department t-xfj 70 39 79.5% R 2.9% G 12.9% Y 95.0% G 100.0% G red green - 瑞安市信访局",
	"yellow department t-yq-xfj 8 0 - 0.0% G 0.0% G 80.0% Y - - red 分管副市长约谈 乐清市信访局",
	"green department t-zjj 5 0 - 0.0% G 0.0% G - - - - - 瑞安市住房和城乡建设局",
	NULL,
};

static const char want_csv[] =
	"month,kind,subject,name,colour,volume,last_year,change,change_pct,change_colour,"
	"repeats,repeat_of,repeat_pct,repeat_colour,overdue,overdue_of,overdue_pct,"
	"overdue_colour,on_time,on_time_of,on_time_pct,on_time_colour,satisfied,satisfied_of,"
	"satisfied_pct,satisfied_colour,colour_month_before_last,colour_month_before,"
	"escalation_level,escalation\r\n"
	"2026-10,area,330381,,green,0,0,,,,0,0,,,3,0,,,8,8,100.0%,green,4,4,100.0%,green,,,0,\r\n"
	"2026-10,area,330381101,,red,40,20,20,100.0%,red,2,40,5.0%,green,1,40,2.5%,green,"
	"10,10,100.0%,green,5,5,100.0%,green,red,red,2,市委书记约谈\r\n"
	"2026-10,area,330381102,,yellow,20,19,1,5.3%,green,0,20,0.0%,green,3,20,15.0%,yellow,"
	"9,10,90.0%,green,0,0,,,green,yellow,1,分管副市长约谈\r\n"
	"2026-10,area,330381103,,red,10,0,,,,0,10,0.0%,green,5,10,50.0%,red,0,0,,,0,0,,,"
	"red,green,0,\r\n"
	"2026-10,area,330382001,,yellow,8,0,,,,0,8,0.0%,green,0,8,0.0%,green,8,10,80.0%,yellow,"
	"0,0,,,,red,1,分管副市长约谈\r\n"
	"2026-10,department,t-rsj,瑞安市人力资源和社会保障局,red,12,12,0,0.0%,green,0,12,0.0%,"
	"green,3,12,25.0%,red,8,8,100.0%,green,4,4,100.0%,green,red,red,2,市委书记约谈\r\n"
	"2026-10,department,t-xfj,瑞安市信访局,red,70,39,31,79.5%,red,2,70,2.9%,green,9,70,"
	"12.9%,yellow,19,20,95.0%,green,5,5,100.0%,green,red,green,0,\r\n"
	"2026-10,department,t-yq-xfj,乐清市信访局,yellow,8,0,,,,0,8,0.0%,green,0,8,0.0%,green,"
	"8,10,80.0%,yellow,0,0,,,,red,1,分管副市长约谈\r\n"
	"2026-10,department,t-zjj,瑞安市住房和城乡建设局,green,5,0,,,,0,5,0.0%,green,0,5,0.0%,"
	"green,0,0,,,0,0,,,,,0,\r\n";

/* October's escalations: key, topic; then November's. */
static const char *const want_oct[][2] = {
	{ "2026-10/area/330381101/2", "assignments.t-xfj" },
	{ "2026-10/area/330381102/1", "assignments.t-xfj" },
	{ "2026-10/area/330382001/1", "assignments.t-yq-xfj" },
	{ "2026-10/department/t-rsj/2", "assignments.t-xfj" },
	{ "2026-10/department/t-yq-xfj/1", "assignments.t-yq-xfj" },
};
static const char *const want_nov[][2] = {
	{ "2026-11/area/330381101/2", "assignments.t-xfj" },
	{ "2026-11/department/t-xfj/1", "assignments.t-xfj" },
};

static char clock_path[64];

/* Moves xf-dispatch's clock so that it reads the RFC 3339 time `fake`. */
static void clock_to(const char *fake)
{
	time_t t = 0;
	FILE *f = fopen(clock_path, "w");

	time_parse_rfc3339(fake, &t);
	if (f) {
		fprintf(f, "%lld\n", (long long)(t - time(NULL)));
		fclose(f);
	}
}

static int plant(struct e2e *t)
{
	struct sbuf sql = SBUF_INIT;
	int rc = 0;

	for (int i = 0; i < 2 && !rc; i++) {
		PGresult *res;

		sbuf_reset(&sql);
		sbuf_addf(&sql, plant_sql, i ? "board_day_deltas" : "board_days",
			  i ? plant_deltas : plant_days);
		res = PQexec(t->conn, sql.buf);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "    plant: %s", PQerrorMessage(t->conn));
			rc = -1;
		}
		PQclear(res);
	}
	sbuf_release(&sql);
	return rc;
}

/* line with runs of spaces squeezed to one, trailing ones dropped, into out. */
static void squeeze(const char *line, size_t len, struct sbuf *out)
{
	sbuf_reset(out);
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' || (out->len && out->buf[out->len - 1] != ' '))
			sbuf_addch(out, line[i]);
	while (out->len && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
}

/* Asserts the table's rows are want_table's, in order. */
static void check_table(const char *text)
{
	struct sbuf line = SBUF_INIT;
	const char *p = strchr(text, '\n');
	size_t i = 0;

	for (p = p ? p + 1 : text; *p && *p != '\n'; i++) {
		const char *end = strchr(p, '\n');

		squeeze(p, end ? (size_t)(end - p) : strlen(p), &line);
		if (!want_table[i] || !T_STREQ(line.buf, want_table[i]))
			break;
		p = end ? end + 1 : p + strlen(p);
	}
	T_INTEQ(i, sizeof want_table / sizeof want_table[0] - 1);
	T_CHECK(strstr(text, "2026-10: 4 red, 3 yellow, 2 green, 0 without figures to judge;"
			     " 5 escalated.") != NULL);
	sbuf_release(&line);
}

static void t_report(struct e2e *t)
{
	const char *table[] = { "report", "month", "2026-10", NULL };
	const char *csv[] = { "report", "month", "2026-10", "--csv", NULL };
	const char *region[] = {
		"report", "month", "2026-10", "--region", "330382", "--csv", NULL
	};
	const char *bad[] = { "report", "month", "2026-13", NULL };
	struct sbuf out = SBUF_INIT;

	T_INTEQ(e2e_xfctl(t, &out, table), 0);
	check_table(out.buf);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(t, &out, csv), 0);
	T_STREQ(out.buf, want_csv);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(t, &out, region), 0);
	/* 乐清: its township and its bureau (by the department's own region) */
	T_CHECK(strstr(out.buf, "\r\n2026-10,area,330382001,") != NULL);
	T_CHECK(strstr(out.buf, "\r\n2026-10,department,t-yq-xfj,") != NULL);
	T_CHECK(strstr(out.buf, "t-rsj") == NULL && strstr(out.buf, "330381101") == NULL);
	sbuf_reset(&out);
	T_INTEQ(e2e_xfctl(t, &out, bad), 2);
	sbuf_release(&out);
}

/* Waits (up to timeout_s) until sql's one value is want. */
static int await_sql(struct e2e *t, const char *sql, long want, int timeout_s)
{
	for (int i = 0; i < timeout_s * 20; i++) {
		if (e2e_sql_long(t, sql) == want)
			return 1;
		usleep(50000);
	}
	fprintf(stderr, "    waited for %s = %ld, have %ld\n", sql, want, e2e_sql_long(t, sql));
	return 0;
}

/*
 * Collected escalation messages with key on topic; with topic NULL, those
 * whose key begins with key (a month).
 */
static size_t count_esc(const struct e2e *t, const char *key, const char *topic)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct e2e_msg *m = &t->msgs[i];
		const char *schema = json_string_value(json_object_get(m->json, "schema"));

		if (!schema || strcmp(schema, "xf.escalation.v1"))
			continue;
		n += topic ? !strcmp(m->key, key) && !strcmp(m->topic, topic)
			   : !strncmp(m->key, key, strlen(key));
	}
	return n;
}

/* 1 once the collector has read partition p of end (or it had nothing new since setup). */
static int partition_read(struct e2e *t, const rd_kafka_topic_partition_t *end,
			  const rd_kafka_topic_partition_t *pos)
{
	const rd_kafka_topic_partition_t *start = rd_kafka_topic_partition_list_find(
		t->outputs, end->topic, end->partition);

	return (start && end->offset <= start->offset) || pos->offset >= end->offset;
}

/* Collects until every message now on the bureaus' topics is read; 1, or 0 on timeout. */
static int read_to_end(struct e2e *t, int timeout_s)
{
	static const char *const topics[] = { "assignments.t-xfj", "assignments.t-yq-xfj" };
	int ok = 0;

	for (size_t k = 0; k < 2; k++) {
		rd_kafka_topic_partition_list_t *end = e2e_topic_ends(t->collector, topics[k]);
		rd_kafka_topic_partition_list_t *pos;

		ok = 0;
		for (int round = 0; end && !ok && round < timeout_s * 5; round++) {
			pos = rd_kafka_topic_partition_list_copy(end);
			ok = !rd_kafka_position(t->collector, pos);
			for (int i = 0; ok && i < end->cnt; i++)
				ok = partition_read(t, &end->elems[i], &pos->elems[i]);
			rd_kafka_topic_partition_list_destroy(pos);
			if (!ok)
				e2e_collect(t, 200);
		}
		if (end)
			rd_kafka_topic_partition_list_destroy(end);
		if (!ok)
			fprintf(stderr, "    %s not read to its end\n", topics[k]);
	}
	return ok;
}

/*
 * After the month's closing: nothing left in the outbox (the broker has
 * every message), and the collector has read the bureaus' topics to the end.
 */
static int settled(struct e2e *t, const char *month)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM month_closed WHERE month = '%s-01'", month);
	return await_sql(t, sql, 1, 20) && await_sql(t, "SELECT count(*) FROM outbox", 0, 20) &&
	       read_to_end(t, 20);
}

/* October's message for area 330381101 carries the figures of the report. */
static void check_message(struct e2e *t)
{
	for (size_t i = 0; i < t->nmsgs; i++) {
		json_t *j = t->msgs[i].json, *f = json_object_get(j, "figures");

		if (strcmp(t->msgs[i].key, "2026-10/area/330381101/2"))
			continue;
		T_STREQ(json_string_value(json_object_get(j, "action")), "市委书记约谈");
		T_STREQ(json_string_value(json_object_get(j, "bureau")), "t-xfj");
		T_STREQ(json_string_value(json_object_get(f, "colour")), "red");
		T_INTEQ(json_integer_value(json_object_get(json_object_get(f, "volume"), "count")),
			40);
		T_STREQ(json_string_value(json_object_get(
				json_array_get(json_object_get(f, "colours"), 0), "colour")),
			"red");
		return;
	}
	T_CHECK(!"October's level-2 message for 330381101 found");
}

static void check_published(struct e2e *t, int november)
{
	size_t n = sizeof want_oct / sizeof want_oct[0];

	for (size_t i = 0; i < n; i++)
		if (!T_INTEQ(count_esc(t, want_oct[i][0], want_oct[i][1]), 1))
			fprintf(stderr, "    %s on %s: %zu\n", want_oct[i][0], want_oct[i][1],
				count_esc(t, want_oct[i][0], want_oct[i][1]));
	for (size_t i = 0; november && i < 2; i++)
		T_INTEQ(count_esc(t, want_nov[i][0], want_nov[i][1]), 1);
	T_INTEQ(count_esc(t, "2026-10/", NULL), n);
	T_INTEQ(e2e_sql_long(t, "SELECT count(*) FROM month_escalations"
				" WHERE month = '2026-10-01'"),
		n);
}

/*
 * The board's current escalations: November's, as published (the broker is
 * shared: petitions of tests running beside this one that xf-dispatch
 * takes may add escalations in November, never in October).
 */
static void check_board(struct e2e *t)
{
	struct sbuf err = SBUF_INIT;
	json_t *arr = month_escalations_json(t->conn, &err);

	if (!T_CHECK(arr != NULL))
		fprintf(stderr, "    %s\n", err.buf);
	for (size_t k = 0; k < 2; k++) {
		size_t found = 0;

		for (size_t i = 0; i < json_array_size(arr); i++)
			found += !strcmp(json_string_value(json_object_get(json_array_get(arr, i),
									   "escalation_id")),
					 want_nov[k][0]);
		T_INTEQ(found, 1);
	}
	for (size_t i = 0; i < json_array_size(arr); i++)
		T_CHECK(!strncmp(
			json_string_value(json_object_get(json_array_get(arr, i), "escalation_id")),
			"2026-11/", 8));
	json_decref(arr);
	sbuf_release(&err);
}

static void t_escalations(void)
{
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "month_esc") == 0))
		goto out;
	snprintf(clock_path, sizeof clock_path, "/tmp/xf-month-clock-%d", (int)getpid());
	setenv("XF_CLOCK_FILE", clock_path, 1);
	setenv("XF_TIMER_MS", "100", 1);
	/*
	 * October has just ended for both instances, which start together; what
	 * they take from the shared broker happens from now on, in November.
	 */
	clock_to("2026-11-01T00:00:05+08:00");
	if (!T_CHECK(plant(&t) == 0))
		goto out;
	t_report(&t);
	if (!T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0) ||
	    !T_CHECK(e2e_start_instance(&t, E2E_DISPATCH, 1, NULL) == 0))
		goto stop;
	T_CHECK(settled(&t, "2026-10"));
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM month_closed"), 1);
	check_published(&t, 0);
	check_message(&t);
	/* a restart finds October closed; November's end publishes only November's */
	T_INTEQ(e2e_stop_instance(&t, E2E_DISPATCH, 1), 0);
	T_INTEQ(e2e_stop(&t, E2E_DISPATCH), 0);
	if (!T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0))
		goto stop;
	clock_to("2026-12-01T00:00:05+08:00");
	T_CHECK(settled(&t, "2026-11"));
	check_published(&t, 1);
	T_INTEQ(e2e_sql_long(&t, "SELECT count(*) FROM month_closed"), 2); /* not September */
	check_board(&t);
	check_schemas(&t);
stop:
	e2e_stop_instance(&t, E2E_DISPATCH, 1);
	T_INTEQ(e2e_stop(&t, E2E_DISPATCH), 0);
out:
	unsetenv("XF_CLOCK_FILE");
	unsetenv("XF_TIMER_MS");
	unlink(clock_path);
	e2e_teardown(&t);
}

T_SUITE(e2e_month, { "report_and_escalations", t_escalations })
