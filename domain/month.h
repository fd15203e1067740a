/*
 * month.h - the monthly three-colour warning (三色预警 by month, with
 * escalation): `xfctl report month` prints it, xf-dispatch publishes its
 * escalations once a month has ended, the board shows them.
 *
 * Subjects: areas (a township, the first 9 digits of a region code; a
 * 6-digit code stays a county) and departments. Per subject and calendar
 * month (China Standard Time), from board_days_all (migration 017) only,
 * so a month costs a range scan of board_days by day:
 *
 *   volume     petitions of the month (area), assignments (department);
 *              growth = change against the same month a year earlier, when
 *              that month has any figures at all (else none)
 *   repeat     repeats / petitions (area), / assignments (department)
 *   overdue    deadlines missed / petitions (area), / assignments (department)
 *   ontime     (resolved - resolved late) / resolved
 *   satisfied  satisfied / rated
 *
 * Each figure is a fraction n of `of` with a colour by its thresholds
 * (struct month_limits, XF_CARD_*_PCT): growth, repeat and overdue turn
 * yellow or red when they reach their threshold, ontime and satisfied when
 * they fall below it. A fraction with nothing to divide by has no value
 * and no colour. The month's colour is the worst of its figures' colours
 * (none when no figure has one).
 *
 * Escalation of a subject in month M: red in M-2, M-1 and M is level 2
 * (市委书记约谈); else yellow or red in M-1 and M is level 1 (分管副市长约谈).
 * Red counts as "yellow or worse"; a month without a colour breaks a run.
 * The window slides: a subject yellow for four months is escalated in each
 * of the last three.
 */
#ifndef XF_MONTH_H
#define XF_MONTH_H

#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "sbuf.h"

/* Worse is greater: the month's colour is the max of its figures'. */
enum month_colour { MONTH_NONE, MONTH_GREEN, MONTH_YELLOW, MONTH_RED };
enum month_kind { MONTH_AREA, MONTH_DEPARTMENT };

/* A subject's sums over one month of board_days_all. */
struct month_counts {
	long petitions, repeats, assigned, overdue, resolved, resolved_late, rated, satisfied;
};

/* n of `of` (no value when of is 0), and its colour. */
struct month_frac {
	long n, of;
	enum month_colour colour;
};

/* The thresholds in percent, [0] yellow, [1] red. */
struct month_limits {
	long growth[2], repeat[2], overdue[2], ontime[2], satisfied[2];
};

/* One subject's month, judged. */
struct month_figures {
	long volume;
	long last_year;           /* volume a year before; -1 when that month has no figures */
	struct month_frac growth; /* volume - last_year of last_year */
	struct month_frac repeat, overdue, ontime, satisfied;
	enum month_colour colour;
};

/* Fills lim from the XF_CARD_*_PCT settings. */
void month_limits_from_conf(const struct xf_conf *conf, struct month_limits *lim);
/* Judges c (last_year: -1 unknown) into out by lim. */
void month_judge(enum month_kind kind, const struct month_counts *c, long last_year,
		 const struct month_limits *lim, struct month_figures *out);
/* The escalation level (0, 1, 2) of colours c[0..2], oldest first. */
int month_escalation(const enum month_colour c[3]);
/* "green", "yellow", "red"; "" for none. */
const char *month_colour_name(enum month_colour colour);
/* "area", "department". */
const char *month_kind_name(enum month_kind kind);
/* The action of a level: "分管副市长约谈" (1), "市委书记约谈" (2); "" for 0. */
const char *month_action(int level);
/* 100 * f.n / f.of to one decimal into buf ("-" with nothing to divide by). */
const char *month_pct_str(struct month_frac f, char buf[24]);

struct month_subject {
	enum month_kind kind;
	char *code;                /* township code or department code (owned) */
	char *name;                /* the department's name, "" for an area (owned) */
	char *region;              /* the department's own region, "" when unknown (owned) */
	struct month_figures m[3]; /* the month two before, one before, the month */
	int level;                 /* its escalation in the month */
};

/* A month's report: every subject with figures in the month. */
struct month_report {
	int year, mon;   /* the month */
	char month[8];   /* "YYYY-MM" */
	char prev[2][8]; /* the two months before it, oldest first */
	struct month_limits lim;
	struct month_subject *v; /* areas first, then departments; by code */
	size_t n;
};

/* Reads "YYYY-MM" (years 2000..9998). 0, or -1 if it is not one. */
int month_parse(const char *s, int *year, int *mon);
/* The month that ended last before `now` (CST), in *year and *mon. */
void month_before(time_t now, int *year, int *mon);
/*
 * Loads year-mon's report: one query over board_days_all for the month,
 * the two before it and the same three a year earlier; department names
 * and regions from departments. 0, or -1 with err (rep is then empty).
 * Release with month_release().
 */
int month_load(struct month_report *rep, PGconn *conn, int year, int mon,
	       const struct month_limits *lim, struct sbuf *err);
void month_release(struct month_report *rep);
/*
 * Whether s is within region prefix (NULL or "": everything): an area by
 * its code, a department by its own region (its figures stay whole).
 */
int month_in_region(const struct month_subject *s, const char *prefix);

/* The table `xfctl report month` prints (subjects within prefix). */
void month_table(const struct month_report *rep, const char *prefix, struct sbuf *out);
/* The same as CSV for the bulletin: a header row, RFC 4180 quoting, CRLF. */
void month_csv(const struct month_report *rep, const char *prefix, struct sbuf *out);
/*
 * The report as JSON (new reference): {"month", "thresholds", "subjects":
 * [month_subject_json...]}.
 */
json_t *month_json(const struct month_report *rep, const char *prefix);
/*
 * One subject (new reference): {"kind", "subject", "name", "colour",
 * "colours": [{"month", "colour"} x3, oldest first], "volume": {"count",
 * "last_year", "change_pct", "colour"}, "repeat", "overdue", "ontime",
 * "satisfied": {"count", "of", "pct", "colour"}, "escalation": level or 0};
 * an absent value or colour is null.
 */
json_t *month_subject_json(const struct month_report *rep, const struct month_subject *s);
/*
 * The xf.escalation.v1 message of s's escalation (new reference): its id
 * "<month>/<kind>/<subject>/<level>", the subject, level and action, the
 * bureau told (NULL: none), the time `at`, and month_subject_json's figures.
 */
json_t *month_escalation_msg(const struct month_report *rep, const struct month_subject *s,
			     const char *bureau, time_t at);
/*
 * The current escalations, for the board: the xf.escalation.v1 messages
 * recorded for the newest month closed (tables month_closed, month_escalations), as
 * a new array ([] when none), or NULL with err.
 */
json_t *month_escalations_json(PGconn *conn, struct sbuf *err);

#endif
