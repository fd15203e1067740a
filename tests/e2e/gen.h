/*
 * gen.h - the events the integration tests publish: valid petitions across
 * categories and regions (with the department the test rules must pick),
 * duplicates of earlier ones, and malformed events of every kind intake
 * rejects (with the error code it must give).
 */
#ifndef XF_E2E_GEN_H
#define XF_E2E_GEN_H

#include <stddef.h>

enum gen_kind { GEN_VALID, GEN_DUP, GEN_BAD };

/* The petitioner of the valid events (gen_events): personal data no log may show. */
#define GEN_NAME "张三丰"
#define GEN_PHONE "13800138000"
#define GEN_ID_NUMBER "330381199001011234"

struct gen_event {
	enum gen_kind kind;
	char key[64]; /* Kafka key: external_id, or bad-<i> */
	char external_id[64];
	const char *category;   /* GEN_VALID: the category it must get */
	const char *department; /* GEN_VALID: the department it must go to */
	size_t orig;            /* GEN_DUP: index of the original */
	const char *bad_code;   /* GEN_BAD: the xf-error-code expected */
	char *bytes;            /* what is published (malloc'd) */
	size_t len;
};

/*
 * n events for test `tag`: every 20th from the 20th a duplicate (when
 * dup is set) of the event 10 before it (11 when that one is malformed),
 * every 20th from the 10th malformed (when bad is set).
 */
struct gen_event *gen_events(const char *tag, size_t n, int dup, int bad);
/* What gen_events_with varies; zeroes give gen_events' events. */
struct gen_opts {
	size_t people;           /* event i's petitioner is number i % people; the
				     first is GEN_PHONE, GEN_ID_NUMBER, the others
				     differ in their last digits (0: the first alone) */
	const char *occurred_at; /* of every valid event (NULL: 2026-11-22T09:30:00+08:00) */
};

/*
 * gen_events with many petitioners and a given time. A run of thousands
 * wants both: xf-classify reads a petitioner's whole repeat window, and a
 * county's window row by row for each petition older than its cache
 * (about eight days), for each petition of a batch.
 */
struct gen_event *gen_events_with(const char *tag, size_t n, int dup, int bad,
				  const struct gen_opts *o);
void gen_free(struct gen_event *ev, size_t n);
/* The subject and content of the valid events of category (classified as it). 0 or -1. */
int gen_template(const char *category, const char **subject, const char **content);
/* Number of distinct malformed kinds gen_events produces. */
size_t gen_bad_kinds(void);

#endif
