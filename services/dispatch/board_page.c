/* board_page.c - see board_page.h. */
#include "board_page.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pg.h"

int board_page_init(struct board_page *bp, const struct xf_conf *conf, const time_t *clock_offset,
		    struct sbuf *err)
{
	memset(bp, 0, sizeof *bp);
	bp->conf = conf;
	bp->clock_offset = clock_offset;
	if (board_index_conf(conf, &bp->index, err))
		return -1;
	pthread_mutex_init(&bp->lock, NULL);
	return 0;
}

void board_page_release(struct board_page *bp)
{
	if (!bp->conf)
		return;
	if (bp->conn)
		PQfinish(bp->conn);
	bp->conn = NULL;
	pthread_mutex_destroy(&bp->lock);
	bp->conf = NULL;
}

/* The board of the request's period and region, or NULL with err; *status says why. */
static json_t *load(struct board_page *bp, const struct http_req *req, int *status,
		    struct sbuf *err)
{
	const char *spec = http_req_arg(req, "period"), *region = http_req_arg(req, "region");
	time_t now = time(NULL) + __atomic_load_n(bp->clock_offset, __ATOMIC_RELAXED);
	struct board_period p;
	json_t *board;

	*status = 400;
	if (board_period_parse(spec && *spec ? spec : "7d", now, &p, err))
		return NULL;
	if (!board_region_valid(region)) {
		sbuf_adds(err, "region: want a region code prefix of 2, 4, 6 or 9 digits");
		return NULL;
	}
	*status = 503;
	pthread_mutex_lock(&bp->lock);
	if (!bp->conn)
		bp->conn = pg_connect(bp->conf->database_url, err);
	board = bp->conn ? board_load(bp->conn, &p, region, &bp->index, err) : NULL;
	if (!board && bp->conn) { /* made anew next time */
		PQfinish(bp->conn);
		bp->conn = NULL;
	}
	pthread_mutex_unlock(&bp->lock);
	if (!board)
		log_warn("board_failed", LOG_S("error", err->buf));
	return board;
}

int board_page_route(struct board_page *bp, const char *url, const struct http_req *req,
		     struct sbuf *body, const char **type)
{
	int json = !strcmp(url, "/board.json"), status;
	struct sbuf err = SBUF_INIT;
	json_t *board;

	if (!json && strcmp(url, "/board"))
		return 0;
	if (!(board = load(bp, req, &status, &err))) {
		*type = "text/plain; charset=utf-8";
		sbuf_addf(body, "%s\n", status == 400 ? err.buf : "the board is not available now");
		sbuf_release(&err);
		return status;
	}
	if (json) {
		char *s = json_dumps(board, JSON_COMPACT | JSON_REAL_PRECISION(10));

		sbuf_adds(body, s ? s : "{}");
		sbuf_addch(body, '\n');
		free(s);
		*type = "application/json; charset=utf-8";
	} else {
		board_html(board, "/board", body);
		*type = "text/html; charset=utf-8";
	}
	json_decref(board);
	return 200;
}
