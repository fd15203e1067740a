/*
 * log.h - the one logging path: one JSON object a line on stderr,
 *   {"ts":"2026-11-22T09:30:00.123Z","level":"info","service":"xf-intake",
 *    "event":"batch_done","n":120,"ms":4.1}
 * Callers pass the event name and typed fields, ending with LOG_END:
 *
 *   log_info("dead_letter", LOG_S("reason", code), LOG_I("partition", p),
 *            LOG_F("ms", ms), LOG_END);
 *
 * Each field becomes one member, in the order given: a string (escaped, so
 * quotes, backslashes, control characters and invalid UTF-8 in a value can
 * never end it or start another field; cut at LOG_VALUE_MAX bytes), an
 * integer or a number. Keys are the caller's own literals. Give events
 * about a case its LOG_S("case_id", id). The level is checked before
 * anything is formatted. Never log personal data (names, phones, id
 * numbers, petition text) or secrets.
 */
#ifndef XF_LOG_H
#define XF_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Longest string value written; longer ones are cut (at a character). */
#define LOG_VALUE_MAX 1024

enum log_type { LOG_T_END, LOG_T_STR, LOG_T_INT, LOG_T_NUM };

struct log_field {
	const char *key; /* NULL ends the list (LOG_END) */
	enum log_type type;
	const char *s; /* LOG_T_STR: NULL is written as null */
	size_t n;      /* LOG_T_STR: its length, or (size_t)-1 up to NUL */
	long long i;   /* LOG_T_INT */
	double f;      /* LOG_T_NUM: NaN and infinities are written as null */
};

#define LOG_S(k, v) ((struct log_field){ .key = (k), .type = LOG_T_STR, .s = (v), .n = (size_t)-1 })
/* n bytes of v, which need not be NUL-terminated (a Kafka key, say) */
#define LOG_SN(k, v, len) \
	((struct log_field){ .key = (k), .type = LOG_T_STR, .s = (v), .n = (len) })
#define LOG_I(k, v) ((struct log_field){ .key = (k), .type = LOG_T_INT, .i = (long long)(v) })
#define LOG_F(k, v) ((struct log_field){ .key = (k), .type = LOG_T_NUM, .f = (double)(v) })
#define LOG_END ((struct log_field){ .key = NULL, .type = LOG_T_END })

/* Sets the service name and minimum level; level names: debug|info|warn|error. */
void log_init(const char *service, enum log_level level);
/* Parses a level name; returns 0 and sets *out, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
int log_enabled(enum log_level level);
/*
 * Logs `event` with fields[0..n), stopping early at a LOG_END. For lists
 * built at run time; the macros below are the usual way in.
 */
void log_write(enum log_level level, const char *event, const struct log_field *fields, size_t n);
/*
 * Appends the line log_write() would print (without its newline) to out;
 * for tests and for anyone who wants the text.
 */
struct sbuf;
void log_format(struct sbuf *out, enum log_level level, const char *event,
		const struct log_field *fields, size_t n);

/* The fields of a call as an array and its length (sizeof does not evaluate them). */
#define LOG_FIELDS_(...)                           \
	(const struct log_field[]){ __VA_ARGS__ }, \
		sizeof((const struct log_field[]){ __VA_ARGS__ }) / sizeof(struct log_field)

/* Logs at level lv (evaluated once); the fields are evaluated only when it is enabled. */
#define log_at(lv, ev, ...)                                                 \
	do {                                                                \
		enum log_level log_lv_ = (lv);                              \
		if (log_enabled(log_lv_))                                   \
			log_write(log_lv_, (ev), LOG_FIELDS_(__VA_ARGS__)); \
	} while (0)
#define log_debug(ev, ...) log_at(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_at(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_at(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_at(LOG_ERROR, ev, __VA_ARGS__)

#endif
