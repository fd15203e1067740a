/* figures.c - see figures.h. */
#include "figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "xalloc.h"

/* dept_stats counters, in the order of the columns read and written. */
enum {
	ST_ASSIGNED,
	ST_ACCEPTED,
	ST_RETURNED,
	ST_RESOLVED,
	ST_RATED,
	ST_SATISFIED,
	ST_DISSATISFIED,
	ST_OVERDUE,
	ST_FOLLOWUP_OVERDUE,
	ST_N
};
static const char *const stat_names[ST_N] = {
	"assigned",  "accepted",     "returned", "resolved",         "rated",
	"satisfied", "dissatisfied", "overdue",  "followup_overdue",
};

struct figures_stat {
	char *department, *category;
	long base[ST_N], delta[ST_N];
	long base_hist[CHOOSE_HIST], delta_hist[CHOOSE_HIST];
	int changed;
};

void figures_init(struct figures *fg)
{
	memset(fg, 0, sizeof *fg);
	fg->idx = json_object();
	fg->open = json_object();
	fg->open_delta = json_object();
}

void figures_release(struct figures *fg)
{
	for (size_t i = 0; i < fg->n; i++) {
		free(fg->v[i].department);
		free(fg->v[i].category);
	}
	free(fg->v);
	json_decref(fg->idx);
	json_decref(fg->open);
	json_decref(fg->open_delta);
	memset(fg, 0, sizeof *fg);
}

static void stat_key(const char *dept, const char *category, char *out, size_t n)
{
	snprintf(out, n, "%s\t%s", dept, category ? category : "other");
}

static struct figures_stat *stat_get(struct figures *fg, const char *dept, const char *category)
{
	char key[256];
	json_t *i;
	struct figures_stat *s;

	stat_key(dept, category, key, sizeof key);
	if ((i = json_object_get(fg->idx, key)))
		return &fg->v[json_integer_value(i)];
	XALLOC_GROW(fg->v, fg->n, fg->alloc, 64);
	s = &fg->v[fg->n];
	memset(s, 0, sizeof *s);
	s->department = xstrdup(dept);
	s->category = xstrdup(category ? category : "other");
	json_object_set_new(fg->idx, key, json_integer((json_int_t)fg->n++));
	return s;
}

void figures_add(struct figures *fg, const char *dept, const char *category, const char *counter,
		 int bucket)
{
	struct figures_stat *s = stat_get(fg, dept, category);

	for (int k = 0; k < ST_N; k++)
		if (!strcmp(stat_names[k], counter))
			s->delta[k]++;
	if (bucket >= 0 && bucket < CHOOSE_HIST)
		s->delta_hist[bucket]++;
	s->changed = 1;
}

void figures_open_add(struct figures *fg, const char *dept, long n)
{
	json_t *v = json_object_get(fg->open_delta, dept);

	json_object_set_new(fg->open_delta, dept, json_integer(json_integer_value(v) + n));
}

static void stat_row(struct figures *fg, const PGresult *res, int r)
{
	struct figures_stat *s = stat_get(fg, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
	const char *h = PQgetvalue(res, r, 3 + ST_N);

	for (int k = 0; k < ST_N; k++)
		s->base[k] = atol(PQgetvalue(res, r, 3 + k));
	for (int b = 0; b < CHOOSE_HIST && *h; b++) {
		char *end;

		s->base_hist[b] = strtol(h, &end, 10);
		h = *end == ',' ? end + 1 : end;
	}
}

int figures_load(struct figures *fg, PGconn *conn, struct sbuf *err)
{
	PGresult *res;

	if (fg->loaded)
		return 0;
	res = pg_query(
		conn,
		"SELECT 's', department, category, assigned, accepted, returned, resolved,"
		" rated, satisfied, dissatisfied, overdue, followup_overdue,"
		" array_to_string(accept_hist, ',')"
		" FROM dept_stats UNION ALL SELECT 'o', department, '', open, 0, 0, 0, 0, 0, 0,"
		" 0, 0, '' FROM dept_open",
		0, NULL, err);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		if (*PQgetvalue(res, r, 0) == 's')
			stat_row(fg, res, r);
		else
			json_object_set_new(fg->open, PQgetvalue(res, r, 1),
					    json_integer(atoll(PQgetvalue(res, r, 3))));
	}
	PQclear(res);
	fg->loaded = 1;
	return 0;
}

void figures_candidate(const struct figures *fg, const char *category,
		       const struct rules_dept *dept, struct choose_stats *st)
{
	char key[256];
	json_t *i;

	memset(st, 0, sizeof *st);
	st->department = dept->code;
	st->capacity = dept->capacity;
	stat_key(dept->code, category, key, sizeof key);
	if ((i = json_object_get(fg->idx, key))) {
		const struct figures_stat *s = &fg->v[json_integer_value(i)];
		long now[ST_N];

		for (int k = 0; k < ST_N; k++)
			now[k] = s->base[k] + s->delta[k];
		st->assigned = now[ST_ASSIGNED];
		st->accepted = now[ST_ACCEPTED];
		st->resolved = now[ST_RESOLVED];
		st->rated = now[ST_RATED];
		st->satisfied = now[ST_SATISFIED];
		st->dissatisfied = now[ST_DISSATISFIED];
		for (int b = 0; b < CHOOSE_HIST; b++)
			st->accept_hist[b] = s->base_hist[b] + s->delta_hist[b];
	}
	st->open_cases = (long)(json_integer_value(json_object_get(fg->open, dept->code)) +
				json_integer_value(json_object_get(fg->open_delta, dept->code)));
}

static json_t *stat_json(const struct figures_stat *s)
{
	json_t *row = json_pack("{s:s, s:s}", "department", s->department, "category", s->category);
	json_t *hist = json_array();

	for (int k = 0; k < ST_N; k++)
		json_object_set_new(row, stat_names[k], json_integer(s->delta[k]));
	for (int b = 0; b < CHOOSE_HIST; b++)
		json_array_append_new(hist, json_integer(s->delta_hist[b]));
	json_object_set_new(row, "hist", hist);
	return row;
}

void figures_rows(const struct figures *fg, json_t *rows)
{
	for (size_t i = 0; i < fg->n; i++)
		if (fg->v[i].changed)
			json_array_append_new(rows, stat_json(&fg->v[i]));
}

void figures_open_departments(const struct figures *fg, json_t *arr)
{
	const char *dept;
	json_t *v;

	json_object_foreach(fg->open_delta, dept, v) json_array_append_new(arr, json_string(dept));
}
