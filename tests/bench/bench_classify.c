/*
 * bench_classify.c - figures of the classifier (make bench): model load
 * time, petitions per second through classifier_text (normalise, model,
 * keyword tables, emotion) against the cost of merely parsing the same
 * petitions' JSON in the same run (each the best of five interleaved
 * rounds), resident memory, and how often a
 * traditional-character copy of each text gets the same category.
 *
 *   bench-classify MODEL DATA.jsonl [TRADITIONAL.jsonl]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify/classifier.h"
#include "util.h"

struct texts {
	char **v;
	size_t n;
};

static void load(const char *path, struct texts *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	memset(t, 0, sizeof *t);
	while (f && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *s = json_string_value(json_object_get(j, "text"));

		if (s) {
			t->v = realloc(t->v, (t->n + 1) * sizeof *t->v);
			t->v[t->n++] = strdup(s);
		}
		json_decref(j);
	}
	free(line);
	if (f)
		fclose(f);
}

/* The petitions as xf.petition.v1 JSON, as xf-classify receives them. */
static char **as_petitions(const struct texts *t)
{
	char **out = calloc(t->n, sizeof *out);

	for (size_t i = 0; i < t->n; i++) {
		json_t *p = json_pack("{s:s, s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s}", "schema",
				      "xf.petition.v1", "case_id", "XF-330381-20261122-000001",
				      "source", "system", "bench", "external_id", "b",
				      "region_code", "330381", "subject", "", "content", t->v[i],
				      "occurred_at", "2026-11-22T09:00:00+08:00");

		out[i] = json_dumps(p, JSON_COMPACT);
		json_decref(p);
	}
	return out;
}

static double parse_rate(char **msgs, size_t n, int rounds)
{
	double t0 = now_ms();

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			json_decref(json_loads(msgs[i], 0, NULL));
	return (double)n * rounds / ((now_ms() - t0) / 1000.0);
}

/* classifier_text alone, on texts already out of their JSON. */
static double text_rate(struct classifier *cl, const struct texts *t, int rounds)
{
	double t0 = now_ms();

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < t->n; i++) {
			struct classifier_text ct;

			classifier_text(cl, "", t->v[i], NULL, &ct);
			classifier_text_release(&ct);
		}
	return (double)t->n * rounds / ((now_ms() - t0) / 1000.0);
}

/* Parse + classify, as the daemon does per message. */
static double classify_rate(struct classifier *cl, char **msgs, size_t n, int rounds)
{
	double t0 = now_ms();

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			json_t *p = json_loads(msgs[i], 0, NULL);
			struct classifier_text t;

			classifier_text(cl, json_string_value(json_object_get(p, "subject")),
					json_string_value(json_object_get(p, "content")), NULL, &t);
			classifier_text_release(&t);
			json_decref(p);
		}
	return (double)n * rounds / ((now_ms() - t0) / 1000.0);
}

static double agreement(struct classifier *cl, const struct texts *a, const struct texts *b)
{
	size_t same = 0, n = a->n < b->n ? a->n : b->n;

	for (size_t i = 0; i < n; i++) {
		struct classifier_text x, y;

		classifier_text(cl, "", a->v[i], NULL, &x);
		classifier_text(cl, "", b->v[i], NULL, &y);
		same += !strcmp(x.category, y.category);
		classifier_text_release(&x);
		classifier_text_release(&y);
	}
	return n ? (double)same / (double)n : 0;
}

static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct classifier cl;
	struct sbuf err = SBUF_INIT;
	struct texts data, trad;
	char **msgs;
	double t0, load_ms, parse, alone, classify, chars = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-classify MODEL DATA.jsonl [TRADITIONAL.jsonl]\n");
		return 2;
	}
	t0 = now_ms();
	if (classifier_init(&cl, argv[1], &err)) {
		fprintf(stderr, "bench-classify: %s\n", err.buf);
		return 1;
	}
	load_ms = now_ms() - t0;
	load(argv[2], &data);
	for (size_t i = 0; i < data.n; i++)
		chars += (double)utf8_len(data.v[i]);
	msgs = as_petitions(&data);
	/* this machine shares its cores: each figure is the best of five
	 * interleaved rounds, the baseline's too */
	parse = alone = classify = 0;
	for (int round = 0; round < 5; round++) {
		parse = fmax(parse, parse_rate(msgs, data.n, 1));
		alone = fmax(alone, text_rate(&cl, &data, 1));
		classify = fmax(classify, classify_rate(&cl, msgs, data.n, 1));
	}
	printf("model            %s\n", classifier_version(&cl));
	printf("model load       %.0f ms\n", load_ms);
	printf("petitions        %zu, %.0f characters on average\n", data.n,
	       chars / (double)data.n);
	printf("JSON parse only  %.0f petitions/s (baseline, same run: jansson, one core)\n",
	       parse);
	printf("classify only    %.0f petitions/s on one core (%.2fx the cost of parsing)\n", alone,
	       parse / alone);
	printf("parse + classify %.0f petitions/s on one core (%.2fx the cost of parsing)\n",
	       classify, parse / classify);
	if (argc > 3) {
		load(argv[3], &trad);
		printf("traditional copy same category: %.2f%% of %zu\n",
		       100.0 * agreement(&cl, &data, &trad), trad.n);
	}
	printf("peak resident    %.1f MB\n", (double)peak_rss_kb() / 1024.0);
	classifier_release(&cl);
	return 0;
}
