/* log.c - see log.h. */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

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

/* A JSON number for an unquoted value that is one, else a string. */
static json_t *plain_value(const char *v)
{
	char *end;
	double d;

	if (*v && (isdigit((unsigned char)*v) || *v == '-')) {
		long long n = strtoll(v, &end, 10);

		if (!*end)
			return json_integer(n);
		d = strtod(v, &end);
		if (!*end)
			return json_real(d);
	}
	return json_string(v);
}

/* After a closing quote: the end, or a space and the next key=. */
static int ends_value(const char *s)
{
	if (!*s)
		return 1;
	if (*s != ' ')
		return 0;
	while (*s == ' ')
		s++;
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
		s++;
	return *s == '=';
}

/*
 * Reads one key=value pair at *p into obj; returns 0, or -1 when what is
 * there is not a pair (the caller keeps it as "msg").
 */
static int take_pair(json_t *obj, const char **p)
{
	const char *s = *p, *k = s;
	char key[64], *val;
	size_t n = 0, cap;

	while (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
		s++;
	if (s == k || *s != '=' || (size_t)(s - k) >= sizeof key)
		return -1;
	memcpy(key, k, (size_t)(s - k));
	key[s - k] = '\0';
	s++;
	cap = strlen(s) + 1;
	val = malloc(cap);
	if (!val)
		abort();
	if (*s == '"') {
		/* a quote ends the value only before a space or the end, so an
		 * error text with quotes of its own stays whole */
		for (s++; *s && !(*s == '"' && ends_value(s + 1)); s++)
			val[n++] = *s == '\\' && s[1] ? *++s : *s;
		if (*s != '"') {
			free(val);
			return -1;
		}
		s++;
		val[n] = '\0';
		json_object_set_new(obj, key, json_stringn(val, n));
	} else {
		while (*s && *s != ' ')
			val[n++] = *s++;
		val[n] = '\0';
		json_object_set_new(obj, key, plain_value(val));
	}
	free(val);
	while (*s == ' ')
		s++;
	*p = s;
	return 0;
}

static void add_pairs(json_t *obj, const char *kv)
{
	const char *p = kv;

	while (*p == ' ')
		p++;
	while (*p)
		if (take_pair(obj, &p)) {
			json_object_set_new(obj, "msg", json_string(p));
			break;
		}
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char kv[2048], ts[32], when[64];
	struct timespec now;
	struct tm tm;
	json_t *line;
	char *text;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof when, "%s.%03ldZ", ts, now.tv_nsec / 1000000);
	line = json_pack("{s:s, s:s, s:s, s:s}", "ts", when, "level", level_names[level],
			 "service", log_service, "event", event);
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(kv, sizeof kv, fmt, ap);
		va_end(ap);
		add_pairs(line, kv);
	}
	/* keys in the order given; invalid UTF-8 from a peer is not lost silently */
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		text = strdup("{\"event\":\"log_unprintable\"}");
	fprintf(stderr, "%s\n", text);
	free(text);
	json_decref(line);
}
