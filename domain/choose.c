/* choose.c - see choose.h. */
#include "choose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* One candidate as scored; explain and the sort read the same numbers. */
struct scored {
	const struct choose_stats *s; /* the caller's, borrowed */
	size_t i;                     /* its index in the caller's array */
	double fit, speed, satisfaction, load, median, score;
	long long key; /* score to 9 decimals: figures that score the same
			      in exact arithmetic tie despite rounding */
};

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

static long nonneg(long v)
{
	return v > 0 ? v : 0;
}

void choose_weights_from_conf(const struct xf_conf *conf, struct choose_weights *w)
{
	double fit = nonneg(conf->choice_w_fit), speed = nonneg(conf->choice_w_speed);
	double sat = nonneg(conf->choice_w_satisfaction), load = nonneg(conf->choice_w_load);
	double sum = fit + speed + sat + load;

	if (sum <= 0) {
		w->fit = w->speed = w->satisfaction = w->load = 0.25;
		return;
	}
	w->fit = fit / sum;
	w->speed = speed / sum;
	w->satisfaction = sat / sum;
	w->load = load / sum;
}

/* Bounds of bucket b in hours; the last, open bucket gets a made-up top. */
static void bucket_bounds(int b, double *lo, double *hi)
{
	*lo = b ? ldexp(1, b - 1) : 0;
	*hi = ldexp(1, b);
}

double choose_median_hours(const long hist[CHOOSE_HIST])
{
	double total = 0, below = 0, half, lo, hi;
	int b;

	for (b = 0; b < CHOOSE_HIST; b++)
		total += nonneg(hist[b]);
	if (total <= 0)
		return -1;
	half = total / 2;
	for (b = 0; b < CHOOSE_HIST - 1 && below + nonneg(hist[b]) < half; b++)
		below += nonneg(hist[b]);
	bucket_bounds(b, &lo, &hi);
	return lo + (hi - lo) * (half - below) / nonneg(hist[b]);
}

/* Laplace-smoothed share: no history is 0.5, never exactly 0 or 1. */
static double smoothed(long good, long of)
{
	return clamp01((nonneg(good) + 1.0) / (nonneg(of) + 2.0));
}

/* fewest: the fewest open cases among the candidates with no capacity. */
static void score_one(const struct choose_stats *s, const struct choose_weights *w, long fewest,
		      struct scored *out)
{
	out->fit = smoothed(s->satisfied, s->resolved);
	out->satisfaction = smoothed(s->satisfied, s->rated);
	out->median = choose_median_hours(s->accept_hist);
	out->speed = out->median < 0 ? 0.5 : 1 / (1 + out->median / 24);
	out->load = s->capacity > 0 ? clamp01(1 - (double)nonneg(s->open_cases) / s->capacity)
				    : clamp01((1.0 + fewest) / (1.0 + nonneg(s->open_cases)));
	out->score = w->fit * out->fit + w->speed * out->speed +
		     w->satisfaction * out->satisfaction + w->load * out->load;
	out->key = llround(out->score * 1e9);
}

/* Best first; ties as choose.h orders them. */
static int by_rank(const void *pa, const void *pb)
{
	const struct scored *a = pa, *b = pb;
	long oa = nonneg(a->s->open_cases), ob = nonneg(b->s->open_cases);
	int d;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	if (oa != ob)
		return oa < ob ? -1 : 1;
	d = strcmp(a->s->department ? a->s->department : "",
		   b->s->department ? b->s->department : "");
	if (d)
		return d;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* One candidate's entry of the explain array (choose.h). */
static json_t *explain_one(const struct scored *r, int chosen)
{
	const struct choose_stats *s = r->s;

	return json_pack("{s:s?, s:f, s:f, s:f, s:f, s:f, s:o, s:I, s:I, s:I, s:I, s:I, s:b}",
			 "department", s->department, "score", r->score, "fit", r->fit, "speed",
			 r->speed, "satisfaction", r->satisfaction, "load", r->load,
			 "median_accept_hours", r->median < 0 ? json_null() : json_real(r->median),
			 "resolved", (json_int_t)s->resolved, "satisfied", (json_int_t)s->satisfied,
			 "rated", (json_int_t)s->rated, "open", (json_int_t)s->open_cases,
			 "capacity", (json_int_t)s->capacity, "chosen", chosen);
}

int choose_best(const struct choose_stats *c, size_t n, const struct choose_weights *w,
		json_t **explain)
{
	struct scored *r;
	size_t best;
	long fewest = -1;

	if (explain)
		*explain = NULL;
	if (!n)
		return -1;
	r = xcalloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++)
		if (c[i].capacity <= 0 && (fewest < 0 || nonneg(c[i].open_cases) < fewest))
			fewest = nonneg(c[i].open_cases);
	for (size_t i = 0; i < n; i++) {
		r[i].s = &c[i];
		r[i].i = i;
		score_one(&c[i], w, fewest, &r[i]);
	}
	qsort(r, n, sizeof *r, by_rank);
	best = r[0].i;
	if (explain) {
		*explain = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(*explain, explain_one(&r[i], i == 0));
	}
	free(r);
	return (int)best;
}
