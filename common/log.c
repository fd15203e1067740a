/* log.c - see log.h. */
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sbuf.h"
#include "util.h"

static const char *log_service = "xf";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *service, enum log_level level)
{
	log_service = service;
	log_min = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i <= LOG_ERROR; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_enabled(enum log_level level)
{
	return level >= log_min;
}

/* One byte below 0x80 as JSON string content. */
static void add_ascii(struct sbuf *out, unsigned char c)
{
	static const char short_esc[] = "\"\"\\\\\bb\ff\nn\rr\tt";
	const char *e = memchr(short_esc, c, sizeof short_esc - 1);

	if (e && (e - short_esc) % 2 == 0) {
		sbuf_addch(out, '\\');
		sbuf_addch(out, e[1]);
	} else if (c < 0x20 || c == 0x7f) {
		sbuf_addf(out, "\\u%04x", c);
	} else {
		sbuf_addch(out, (char)c);
	}
}

/*
 * s[0..n) as a JSON string: control characters escaped, NUL and bytes that
 * are not UTF-8 replaced by U+FFFD, cut at LOG_VALUE_MAX bytes (marked with U+2026).
 */
static void add_string(struct sbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	sbuf_addch(out, '"');
	while (i < n) {
		k = p[i] ? utf8_decode(s + i, n - i, &cp) : 0;
		if (i + (k ? k : 1) > LOG_VALUE_MAX) {
			sbuf_adds(out, "\\u2026");
			break;
		}
		if (k == 1)
			add_ascii(out, p[i]);
		else if (k)
			sbuf_add(out, p + i, k);
		else
			sbuf_adds(out, "\\ufffd");
		i += k ? k : 1;
	}
	sbuf_addch(out, '"');
}

static void add_value(struct sbuf *out, const struct log_field *f)
{
	if (f->type == LOG_T_INT)
		sbuf_addf(out, "%lld", f->i);
	else if (f->type == LOG_T_NUM && isfinite(f->f))
		sbuf_addf(out, "%.15g", f->f);
	else if (f->type == LOG_T_STR && f->s)
		add_string(out, f->s, f->n == (size_t)-1 ? strlen(f->s) : f->n);
	else
		sbuf_adds(out, "null");
}

static void add_member(struct sbuf *out, const char *key, const char *value)
{
	sbuf_addch(out, ',');
	add_string(out, key, strlen(key));
	sbuf_addch(out, ':');
	add_string(out, value, strlen(value));
}

void log_format(struct sbuf *out, enum log_level level, const char *event,
		const struct log_field *fields, size_t n)
{
	char ts[32], when[64];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof when, "%s.%03ldZ", ts, now.tv_nsec / 1000000);
	sbuf_adds(out, "{\"ts\":");
	add_string(out, when, strlen(when));
	add_member(out, "level", level_names[level]);
	add_member(out, "service", log_service);
	add_member(out, "event", event);
	for (size_t i = 0; i < n && fields[i].key; i++) {
		sbuf_addch(out, ',');
		add_string(out, fields[i].key, strlen(fields[i].key));
		sbuf_addch(out, ':');
		add_value(out, &fields[i]);
	}
	sbuf_addch(out, '}');
}

void log_write(enum log_level level, const char *event, const struct log_field *fields, size_t n)
{
	struct sbuf line = SBUF_INIT;

	if (!log_enabled(level))
		return;
	log_format(&line, level, event, fields, n);
	sbuf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stderr); /* one write: lines of threads do not mix */
	sbuf_release(&line);
}
