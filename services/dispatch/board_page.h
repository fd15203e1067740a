/*
 * board_page.h - xf-dispatch's /board (the situation board as a page) and
 * /board.json (xf.board.v1), beside the status page: ?period= (7d by
 * default, YYYY-MM, FROM..TO) and ?region= (a code prefix). They read the
 * board tables on the page's own PostgreSQL connection, made on first use,
 * one request at a time (domain/board.h).
 */
#ifndef XF_BOARD_PAGE_H
#define XF_BOARD_PAGE_H

#include <pthread.h>
#include <time.h>

#include <libpq-fe.h>

#include "board.h"
#include "cfg.h"
#include "http.h"
#include "sbuf.h"

struct board_page {
	const struct xf_conf *conf;
	const time_t *clock_offset; /* the dispatcher's (tests), read atomically */
	struct board_index_conf index;
	pthread_mutex_t lock; /* over conn */
	PGconn *conn;
};

/* 0, or -1 with err (a bad XF_INDEX_* setting). */
int board_page_init(struct board_page *bp, const struct xf_conf *conf, const time_t *clock_offset,
		    struct sbuf *err);
void board_page_release(struct board_page *bp);

/*
 * For status_route: fills body and *type for "/board" and "/board.json"
 * (200; 400 for a bad period or region; 503 when PostgreSQL fails); 0 for
 * any other url.
 */
int board_page_route(struct board_page *bp, const char *url, const struct http_req *req,
		     struct sbuf *body, const char **type);

#endif
