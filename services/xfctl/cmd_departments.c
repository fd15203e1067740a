/*
 * cmd_departments.c - xfctl departments: the department scorecard (三色预警),
 * as a table or JSON. The figures, the colours and their order are
 * domain/scorecard.h's; a rate with nothing to divide by prints as "-"
 * (null in JSON). Red first, then by code.
 */
#include <stdio.h>
#include <string.h>

#include "scorecard.h"
#include "xfctl.h"

static void print_json(const struct scorecard *sc)
{
	json_t *out = scorecard_json(sc);

	json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	putchar('\n');
	json_decref(out);
}

int cmd_departments(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct scorecard sc;
	int json = argc == 1 && !strcmp(argv[0], "--json");

	if (argc > json) {
		fprintf(stderr, "usage: xfctl departments [--json]\n");
		return 2;
	}
	if (!xfctl_db(x))
		return 1;
	if (scorecard_load(&sc, x->conn, &x->conf, &err)) {
		xfctl_fail("departments", &err);
		sbuf_release(&err);
		return 1;
	}
	if (json) {
		print_json(&sc);
	} else {
		scorecard_table(&sc, &x->conf, &out);
		fputs(out.buf, stdout);
	}
	sbuf_release(&out);
	scorecard_release(&sc);
	return 0;
}
