/*
 * log.h - the one logging path: one JSON object a line on stderr,
 *   {"ts":"2026-11-22T09:30:00.123Z","level":"info","service":"xf-intake",
 *    "event":"batch_done","n":120,"ms":4.1}
 * Callers pass the event name and key=value pairs as a printf format
 * (k=v, or k="v with spaces" with \" for a quote); each pair becomes a
 * field, a number when the unquoted value is one. Give events about a case
 * its case_id=. Anything that is not a pair lands in "msg". The level is
 * checked before anything is formatted. Never log personal data (names,
 * phones, id numbers, petition text) or secrets.
 */
#ifndef XF_LOG_H
#define XF_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the service name and minimum level; level names: debug|info|warn|error. */
void log_init(const char *service, enum log_level level);
/* Parses a level name; returns 0 and sets *out, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
int log_enabled(enum log_level level);
/* Logs `event` followed by the formatted key=value pairs (may be NULL). */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...)  log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_msg(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_msg(LOG_ERROR, ev, __VA_ARGS__)

#endif
