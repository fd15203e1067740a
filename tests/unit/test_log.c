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
		{ "debug", LOG_DEBUG },
		{ "info", LOG_INFO },
		{ "warn", LOG_WARN },
		{ "error", LOG_ERROR },
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
	log_warn("disk_low", LOG_S("k", "v"), LOG_I("n", 42), LOG_END);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);

	T_INTEQ(count_char(out.buf, '\n'), 1);
	T_CHECK(out.len > 0 && out.buf[out.len - 1] == '\n');
	T_CHECK(strncmp(out.buf, "{\"ts\":", 6) == 0); /* ts first: lines sort by time */
	T_STREQ(check_ts(out.buf),
		"{\"event\":\"disk_low\",\"k\":\"v\",\"level\":\"warn\",\"n\":42,\"service\":\"xf-unit\"}");
	sbuf_release(&out);
}

/* Each type as itself; strings keep spaces and quotes; fields in the order given. */
static void t_msg_fields(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;
	size_t big = (size_t)1 << 40;

	log_init("s", LOG_INFO);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_info("e", LOG_S("case_id", "XF-330381-20261122-000001"), LOG_S("why", "a \"b\" c"),
		 LOG_F("ms", 4.5), LOG_I("n", -3), LOG_S("v", "1x"), LOG_S("none", NULL),
		 LOG_I("big", big), LOG_F("nan", 0.0 / 0.0), LOG_SN("cut", "abcdef", 3),
		 LOG_SN("nul", "a\0b", 3), LOG_END);
	log_info("e", LOG_S("error", "relation \"cases\" does not exist"), LOG_I("n", 1), LOG_END);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	if (T_INTEQ(count_char(out.buf, '\n'), 2)) {
		char *second = strchr(out.buf, '\n') + 1;

		second[-1] = '\0';
		T_CHECK(strstr(out.buf,
			       "\"event\":\"e\",\"case_id\":\"XF-330381-20261122-000001\","
			       "\"why\":\"a \\\"b\\\" c\",\"ms\":4.5,\"n\":-3,\"v\":\"1x\",\"none\":null,"
			       "\"big\":1099511627776,\"nan\":null,\"cut\":\"abc\",\"nul\":\"a\\ufffdb\"}") !=
			NULL);
		T_STREQ(check_ts(second),
			"{\"error\":\"relation \\\"cases\\\" does not exist\","
			"\"event\":\"e\",\"level\":\"info\",\"n\":1,\"service\":\"s\"}");
	}
	sbuf_release(&out);
}

/* Each level prints its own name; LOG_END alone adds nothing after event. */
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
		log_at((enum log_level)l, "e", LOG_END);
		capture_end(&cap, &out);
		T_STREQ(check_ts(out.buf), want[l]);
	}
	log_init("xf", LOG_INFO);
	sbuf_release(&out);
}

static int evaluated;

static const char *count_eval(void)
{
	evaluated++;
	return "x";
}

/* Below the minimum nothing is written, and the fields are not even evaluated. */
static void t_below_min(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;

	log_init("xf-unit", LOG_WARN);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	evaluated = 0;
	log_write(LOG_INFO, "quiet", (const struct log_field[]){ LOG_I("k", 1) }, 1);
	log_debug("quiet", LOG_S("k", count_eval()), LOG_END);
	log_info("quiet", LOG_S("k", count_eval()), LOG_END);
	capture_end(&cap, &out);
	T_INTEQ(out.len, 0);
	T_INTEQ(evaluated, 0);

	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_error("loud", LOG_S("k", count_eval()), LOG_I("n", 4), LOG_END);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	T_INTEQ(evaluated, 1); /* once, though the macro names the fields twice */
	T_CHECK(strstr(out.buf,
		       "\"level\":\"error\",\"service\":\"xf-unit\",\"event\":\"loud\",\"k\":\"x\",\"n\":4}\n") !=
		NULL);
	T_INTEQ(count_char(out.buf, '\n'), 1);
	sbuf_release(&out);
}

/* An over-long value is cut at a character and marked, but still one line of JSON. */
static void t_msg_long(void)
{
	struct sbuf out = SBUF_INIT;
	struct capture cap;
	char big[5000];
	json_t *j;

	memset(big, 'x', sizeof big - 1);
	memcpy(big + LOG_VALUE_MAX - 1, "\xe4\xbf\xa1", 3); /* 信 across the cut */
	big[sizeof big - 1] = '\0';
	log_init("xf-unit", LOG_INFO);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	log_info("big", LOG_S("v", big), LOG_END);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	T_INTEQ(count_char(out.buf, '\n'), 1);
	T_CHECK(out.len > 1000 && out.len <= 1200);
	T_CHECK(out.len > 0 && out.buf[out.len - 1] == '\n');
	j = json_loads(out.buf, 0, NULL);
	if (T_CHECK(j != NULL)) {
		const char *v = json_string_value(json_object_get(j, "v"));

		T_CHECK(v && strlen(v) == LOG_VALUE_MAX - 1 + 3 &&
			strncmp(v, big, LOG_VALUE_MAX - 1) == 0);
		T_CHECK(v && !strcmp(v + LOG_VALUE_MAX - 1, "\xe2\x80\xa6"));
	}
	json_decref(j);
	sbuf_release(&out);
}

/*
 * Hostile values (a Kafka key, a feedback id, an error text from a peer)
 * cannot end their field or the line: every line parses as one JSON object
 * with exactly the fields the caller gave, and level and event unchanged.
 */
static void t_hostile(void)
{
	static const struct {
		const char *v;
		size_t n;
		const char *want; /* what the value reads back as */
	} vals[] = {
#define V(lit) lit, sizeof lit - 1
		{ V("\" level=debug event=x"), "\" level=debug event=x" },
		{ V("x\" level=\"debug\" event=\"x"), "x\" level=\"debug\" event=\"x" },
		{ V("\",\"level\":\"debug\",\"event\":\"x"),
		  "\",\"level\":\"debug\",\"event\":\"x" },
		{ V("a\\\"b\\"), "a\\\"b\\" },
		{ V("line\n{\"ts\":\"x\",\"level\":\"error\"}\r\n"),
		  "line\n{\"ts\":\"x\",\"level\":\"error\"}\r\n" },
		{ V("\x1b[31mred\x1b[0m\a\b\x7f"), "\x1b[31mred\x1b[0m\a\b\x7f" },
		{ V("bad \xff\xfe utf8 \xc0\xaf \xed\xa0\x80 \xe4\xbf"),
		  "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd "
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" },
		{ V("nul\0after"), "nul\xef\xbf\xbd"
				   "after" },
		{ V("信访 ok"), "信访 ok" },
#undef V
	};
	struct sbuf out = SBUF_INIT;
	struct capture cap;
	char *line;

	log_init("xf-unit", LOG_DEBUG);
	if (!T_CHECK(capture_begin(&cap) == 0))
		return;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		log_warn("dead_letter", LOG_SN("key", vals[i].v, vals[i].n), LOG_I("i", i),
			 LOG_S("feedback_id", vals[i].v), LOG_END);
	capture_end(&cap, &out);
	log_init("xf", LOG_INFO);
	T_INTEQ(count_char(out.buf, '\n'), (int)(sizeof vals / sizeof vals[0]));
	line = out.buf;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0] && *line; i++) {
		char *nl = strchr(line, '\n');
		json_error_t jerr;
		json_t *j;

		*nl = '\0';
		j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (!T_CHECK(j != NULL)) {
			fprintf(stderr, "    line %zu: %s: %s\n", i, jerr.text, line);
			break;
		}
		T_INTEQ(json_object_size(j), 7);
		T_STREQ(json_string_value(json_object_get(j, "level")), "warn");
		T_STREQ(json_string_value(json_object_get(j, "event")), "dead_letter");
		T_STREQ(json_string_value(json_object_get(j, "service")), "xf-unit");
		T_INTEQ(json_integer_value(json_object_get(j, "i")), (long long)i);
		T_STREQ(json_string_value(json_object_get(j, "key")), vals[i].want);
		if (strlen(vals[i].v) == vals[i].n) /* a C string stops at its NUL */
			T_STREQ(json_string_value(json_object_get(j, "feedback_id")), vals[i].want);
		for (const char *p = line; *p; p++) /* no raw control byte on the line */
			if (!T_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f))
				break;
		json_decref(j);
		line = nl + 1;
	}
	sbuf_release(&out);
}

/* Other suites log: leave the defaults behind. */
static void t_restore(void)
{
	log_init("xf", LOG_INFO);
	T_CHECK(log_enabled(LOG_INFO));
	T_CHECK(!log_enabled(LOG_DEBUG));
}

/* clang-format off */
T_SUITE(log,
	{ "level_parse", t_level_parse },
	{ "enabled", t_enabled },
	{ "msg_line", t_msg_line },
	{ "msg_fields", t_msg_fields },
	{ "msg_levels", t_msg_levels },
	{ "below_min", t_below_min },
	{ "msg_long", t_msg_long },
	{ "hostile", t_hostile },
	{ "restore", t_restore })
/* clang-format on */
