/* Unit tests for common/log.c: level names, the level gate, the line format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

/* Where stderr went while a capture is running. */
struct capture {
	int saved_fd;
	FILE *tmp;
};

/* Points stderr at a temporary file; returns 0, or -1 (stderr untouched). */
static int capture_begin(struct capture *cap)
{
	fflush(stderr);
	cap->tmp = tmpfile();
	if (!cap->tmp)
		return -1;
	cap->saved_fd = dup(STDERR_FILENO);
	if (cap->saved_fd < 0 || dup2(fileno(cap->tmp), STDERR_FILENO) < 0) {
		if (cap->saved_fd >= 0)
			close(cap->saved_fd);
		fclose(cap->tmp);
		return -1;
	}
	return 0;
}

/* Restores stderr and appends what was written meanwhile to out. */
static void capture_end(struct capture *cap, struct sbuf *out)
{
	char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(cap->saved_fd, STDERR_FILENO);
	close(cap->saved_fd);
	rewind(cap->tmp);
	while ((n = fread(buf, 1, sizeof buf, cap->tmp)) > 0)
		sbuf_add(out, buf, n);
	fclose(cap->tmp);
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void t_level_parse(void)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "warn", LOG_WARN }, { "error", LOG_ERROR },
	};
	enum log_level lv;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		lv = names[i].level == LOG_DEBUG ? LOG_ERROR : LOG_DEBUG;
		T_INTEQ(log_level_parse(names[i].name, &lv), 0);
		T_INTEQ(lv, names[i].level);
	}
	lv = LOG_ERROR;
	T_INTEQ(log_level_parse("verbose", &lv), -1);
	T_INTEQ(lv, LOG_ERROR); /* untouched on failure */
	T_INTEQ(log_level_parse("", &lv), -1);
	T_INTEQ(log_level_parse("WARN", &lv), -1);
	T_INTEQ(log_level_parse("warning", &lv), -1);
	T_INTEQ(log_level_parse("inf", &lv), -1);
	log_init("xf", LOG_INFO);
}

/* At minimum level m, exactly the levels >= m are enabled. */
static void t_enabled(void)
{
	for (int m = LOG_DEBUG; m <= LOG_ERROR; m++) {
		log_init("xf-test", (enum log_level)m);
		for (int l = LOG_DEBUG; l <= LOG_ERROR; l++)
			if (!T_INTEQ(log_enabled((enum log_level)l), l >= m))
				fprintf(stderr, "    at min %d, level %d\n", m, l);
	}
	log_init("xf", LOG_INFO);
}

/*
 * Checks that line is one JSON object whose "ts" is RFC 3339 UTC with
 * milliseconds and now; returns it without "ts" as compact sorted JSON
 * (static buffer).
 */
static const char *check_ts(const char *line)
{
	static char rest[4096];
	json_t *j = json_loads(line, 0, NULL);
	const char *ts = json_string_value(json_object_get(j, "ts"));
	char *text;
	time_t t;

	rest[0] = '\0';
	if (!T_CHECK(j != NULL) || !T_CHECK(ts != NULL) || !T_INTEQ(strlen(ts), 24)) {
		json_decref(j);
		return rest;
	}
	T_CHECK(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[23] == 'Z');
	T_INTEQ(strspn(ts + 20, "0123456789"), 3);
	if (T_INTEQ(time_parse_rfc3339(ts, &t), 0))
		T_CHECK(t >= time(NULL) - 5 && t <= time(NULL) + 1);
	json_object_del(j, "ts");
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(rest, sizeof rest, "%s", text);
	free(text);
	json_decref(j);
	return rest;
}

static void t_msg_line(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;

	log_init("xf-unit", LOG_INFO);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_msg(LOG_WARN, "disk_low", "k=%s n=%d", "v", 42);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);

	T_INTEQ(count_char(out.buf, '\n'), 1);
	T_CHECK(out.len > 0 && out.buf[out.len - 1] == '\n');
	T_CHECK(strncmp(out.buf, "{\"ts\":", 6) == 0); /* ts first: lines sort by time */
	T_STREQ(check_ts(out.buf),
		"{\"event\":\"disk_low\",\"k\":\"v\",\"level\":\"warn\",\"n\":42,\"service\":\"xf-unit\"}");
	sbuf_release(&out);
}

/* Quoted values keep spaces and quotes; numbers stay numbers; the rest is "msg". */
static void t_msg_fields(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;

	log_init("s", LOG_INFO);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_msg(LOG_INFO, "e", "case_id=%s why=\"%s\" ms=%.1f n=-3 v=1x", "XF-330381-20261122-000001",
		"a \\\"b\\\" c", 4.5);
	log_msg(LOG_INFO, "e", "k=1 this is not a pair");
	log_msg(LOG_INFO, "e", "error=\"%s\" n=1", "relation \"cases\" does not exist");
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	if (T_INTEQ(count_char(out.buf, '\n'), 3)) {
		char *second = strchr(out.buf, '\n') + 1, *third = strchr(second, '\n') + 1;

		second[-1] = '\0';
		third[-1] = '\0';
		T_STREQ(check_ts(third), "{\"error\":\"relation \\\"cases\\\" does not exist\","
			"\"event\":\"e\",\"level\":\"info\",\"n\":1,\"service\":\"s\"}");
		T_STREQ(check_ts(out.buf), "{\"case_id\":\"XF-330381-20261122-000001\",\"event\":\"e\","
			"\"level\":\"info\",\"ms\":4.5,\"n\":-3,\"service\":\"s\",\"v\":\"1x\","
			"\"why\":\"a \\\"b\\\" c\"}");
		T_STREQ(check_ts(second), "{\"event\":\"e\",\"k\":1,\"level\":\"info\","
			"\"msg\":\"this is not a pair\",\"service\":\"s\"}");
	}
	sbuf_release(&out);
}

/* Each level prints its own name; a NULL format adds nothing after event. */
static void t_msg_levels(void)
{
	static const char *const want[] = {
		"{\"event\":\"e\",\"level\":\"debug\",\"service\":\"s\"}",
		"{\"event\":\"e\",\"level\":\"info\",\"service\":\"s\"}",
		"{\"event\":\"e\",\"level\":\"warn\",\"service\":\"s\"}",
		"{\"event\":\"e\",\"level\":\"error\",\"service\":\"s\"}",
	};
	struct sbuf out = SBUF_INIT;
	struct capture cap;

	log_init("s", LOG_DEBUG);
	for (int l = LOG_DEBUG; l <= LOG_ERROR; l++) {
		sbuf_reset(&out);
		if (!T_CHECK(capture_begin(&cap) == 0))
			break;
		log_msg((enum log_level)l, "e", NULL);
		capture_end(&cap, &out);
		T_STREQ(check_ts(out.buf), want[l]);
	}
	log_init("xf", LOG_INFO);
	sbuf_release(&out);
}

/* Below the minimum nothing is written (and the macros do not format). */
static void t_below_min(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;

	log_init("xf-unit", LOG_WARN);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_msg(LOG_INFO, "quiet", "k=%d", 1);
	log_msg(LOG_DEBUG, "quiet", NULL);
	log_debug("quiet", "k=%d", 2);
	log_info("quiet", "k=%d", 3);
	capture_end(&cap, &out);
	T_INTEQ(out.len, 0);

	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_error("loud", "k=%d", 4);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	T_CHECK(strstr(out.buf, "\"level\":\"error\",\"service\":\"xf-unit\",\"event\":\"loud\",\"k\":4}\n") != NULL);
	T_INTEQ(count_char(out.buf, '\n'), 1);
	sbuf_release(&out);
}

/* An over-long message is cut, but still one line of JSON. */
static void t_msg_long(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;
	char big[5000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	log_init("xf-unit", LOG_INFO);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_msg(LOG_INFO, "big", "v=%s", big);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	T_INTEQ(count_char(out.buf, '\n'), 1);
	T_CHECK(out.len > 1000 && out.len <= 2200);
	T_CHECK(out.len > 0 && out.buf[out.len - 1] == '\n');
	T_CHECK(strstr(out.buf, "\"event\":\"big\",\"v\":\"xxx") != NULL);
	sbuf_release(&out);
}

/* Other suites log: leave the defaults behind. */
static void t_restore(void)
{
	log_init("xf", LOG_INFO);
	T_CHECK(log_enabled(LOG_INFO));
	T_CHECK(!log_enabled(LOG_DEBUG));
}

T_SUITE(log,
	{ "level_parse", t_level_parse },
	{ "enabled", t_enabled },
	{ "msg_line", t_msg_line },
	{ "msg_fields", t_msg_fields },
	{ "msg_levels", t_msg_levels },
	{ "below_min", t_below_min },
	{ "msg_long", t_msg_long },
	{ "restore", t_restore })
