/*
 * cmd_board.c - xfctl board: the situation board of a period (热力图, 潮汐表,
 * 上升热点, 信访指数) as text or JSON, the same figures as xf-dispatch's
 * /board and /board.json (domain/board.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "xfctl.h"

static int usage(void)
{
	fprintf(stderr, "usage: xfctl board [--period 7d|YYYY-MM|FROM..TO] [--region PREFIX]"
			" [--json]\n");
	return 2;
}

int cmd_board(struct xfctl *x, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	const char *spec = "7d", *region = "";
	struct board_index_conf ic;
	struct board_period p;
	json_t *board;
	int json = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--period") && i + 1 < argc)
			spec = argv[++i];
		else if (!strcmp(argv[i], "--region") && i + 1 < argc)
			region = argv[++i];
		else
			return usage();
	}
	if (board_period_parse(spec, time(NULL), &p, &err) ||
	    board_index_conf(&x->conf, &ic, &err)) {
		fprintf(stderr, "xfctl board: %s\n", err.buf);
		sbuf_release(&err);
		return 2;
	}
	if (!xfctl_db(x))
		return 1;
	if (!(board = board_load(x->conn, &p, region, &ic, &err))) {
		xfctl_fail("board", &err);
		sbuf_release(&err);
		return 1;
	}
	if (json) {
		json_dumpf(board, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		putchar('\n');
	} else {
		board_text(board, &out);
		fputs(out.buf, stdout);
	}
	json_decref(board);
	sbuf_release(&out);
	return 0;
}
