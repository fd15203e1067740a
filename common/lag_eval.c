/* lag_eval.c - the evaluator: windows and verdicts (see lag.h). */
#include "lag.h"

#include <string.h>

/* --- the evaluator ------------------------------------------------------ */

const struct lag_status_info lag_statuses[LAG_STATUS_MAX + 1] = {
	[LAG_OK] = { "OK", "正常 OK", "#1a7f37" },
	[LAG_WARN] = { "WARN", "预警 WARN", "#b7791f" },
	[LAG_STALL] = { "STALL", "停滞 STALL", "#c62828" },
	[LAG_STOP] = { "STOP", "停止 STOP", "#5b21b6" },
	[LAG_REWIND] = { "REWIND", "回退 REWIND", "#0e7490" },
};

const char *lag_status_name(enum lag_status st)
{
	return st >= LAG_OK && st <= LAG_STATUS_MAX ? lag_statuses[st].name : "UNKNOWN";
}

void lag_window_init(struct lag_window *w, int size)
{
	memset(w, 0, sizeof *w);
	w->size = size < 1 ? 1 : size > LAG_WINDOW_MAX ? LAG_WINDOW_MAX : size;
}

const struct lag_point *lag_window_at(const struct lag_window *w, int i)
{
	return &w->ring[(w->head + i) % w->size];
}

void lag_window_add(struct lag_window *w, double t_ms, int64_t offset, int64_t end)
{
	struct lag_point p = { t_ms, offset, end };

	if (!w->n || lag_window_at(w, w->n - 1)->offset != offset)
		w->since_ms = t_ms;
	if (w->n < w->size) {
		w->ring[(w->head + w->n++) % w->size] = p;
	} else {
		w->ring[w->head] = p; /* over the oldest */
		w->head = (w->head + 1) % w->size;
	}
}

static int64_t point_lag(const struct lag_point *p)
{
	return p->end > p->offset ? p->end - p->offset : 0;
}

static int went_back(const struct lag_window *w)
{
	for (int i = 1; i < w->n; i++)
		if (lag_window_at(w, i)->offset < lag_window_at(w, i - 1)->offset)
			return 1;
	return 0;
}

static int lag_ever_zero(const struct lag_window *w)
{
	for (int i = 0; i < w->n; i++)
		if (!point_lag(lag_window_at(w, i)))
			return 1;
	return 0;
}

/* The lag never went down, and ended above where it began. */
static int lag_growing(const struct lag_window *w)
{
	for (int i = 1; i < w->n; i++)
		if (point_lag(lag_window_at(w, i)) < point_lag(lag_window_at(w, i - 1)))
			return 0;
	return point_lag(lag_window_at(w, w->n - 1)) > point_lag(lag_window_at(w, 0));
}

enum lag_status lag_evaluate(const struct lag_window *w, double stop_after_ms, int *partial)
{
	const struct lag_point *first, *last;

	if (partial)
		*partial = w->n < w->size || w->n < 2;
	if (w->n < 2)
		return LAG_OK;
	first = lag_window_at(w, 0);
	last = lag_window_at(w, w->n - 1);
	if (!point_lag(last))
		return LAG_OK;
	if (went_back(w))
		return LAG_REWIND;
	if (stop_after_ms > 0 && last->t_ms - w->since_ms > stop_after_ms)
		return LAG_STOP;
	if (w->n < w->size || lag_ever_zero(w))
		return LAG_OK;
	if (first->offset == last->offset)
		return LAG_STALL; /* no rewind, so it never moved at all */
	return lag_growing(w) ? LAG_WARN : LAG_OK;
}
