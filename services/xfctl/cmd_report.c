/*
 * cmd_report.c - xfctl report month YYYY-MM [--region PREFIX] [--csv|--json]:
 * the month's three-colour warning for areas and departments, with
 * escalations (domain/month.h computes it, as xf-dispatch does). Text read
 * from the database (department names and codes) is escaped for the
 * terminal in the table and kept as it is in CSV and JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "month.h"
#include "util.h"
#include "xalloc.h"
#include "xfctl.h"

enum report_form { REPORT_TABLE, REPORT_CSV, REPORT_JSON };

static int usage(void)
{
	fprintf(stderr, "usage: xfctl report month YYYY-MM [--region PREFIX] [--csv | --json]\n");
	return 2;
}

/* Replaces a string with its terminal-safe form. */
static void escape_in_place(char **s)
{
	struct sbuf e = SBUF_INIT;

	xfctl_escape(&e, *s);
	free(*s);
	*s = sbuf_detach(&e, NULL);
}

static void print(struct month_report *rep, const char *region, enum report_form form)
{
	struct sbuf out = SBUF_INIT;
	json_t *j;

	switch (form) {
	case REPORT_CSV:
		month_csv(rep, region, &out);
		break;
	case REPORT_JSON:
		j = month_json(rep, region);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		putchar('\n');
		json_decref(j);
		break;
	case REPORT_TABLE:
		for (size_t i = 0; i < rep->n; i++) {
			escape_in_place(&rep->v[i].code);
			escape_in_place(&rep->v[i].name);
		}
		month_table(rep, region, &out);
		break;
	}
	fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
}

/* Reads the options after the month; 0, or -1 on a usage error. */
static int options(int argc, char **argv, const char **region, enum report_form *form)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--region") && i + 1 < argc &&
		    region_prefix_valid(argv[i + 1]))
			*region = argv[++i];
		else if (!strcmp(argv[i], "--csv"))
			*form = REPORT_CSV;
		else if (!strcmp(argv[i], "--json"))
			*form = REPORT_JSON;
		else
			return -1;
	}
	return 0;
}

int cmd_report(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct month_limits lim;
	struct month_report rep;
	enum report_form form = REPORT_TABLE;
	const char *region = NULL;
	int year, mon;

	if (argc < 2 || strcmp(argv[0], "month") || month_parse(argv[1], &year, &mon) ||
	    options(argc - 2, argv + 2, &region, &form))
		return usage();
	if (!xfctl_db(x))
		return 1;
	month_limits_from_conf(&x->conf, &lim);
	if (month_load(&rep, x->conn, year, mon, &lim, &err)) {
		xfctl_fail("report month", &err);
		sbuf_release(&err);
		return 1;
	}
	print(&rep, region, form);
	month_release(&rep);
	return 0;
}
