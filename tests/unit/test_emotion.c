/* Unit tests for services/classify/emotion.c: the graded sentence set in
 * tests/data/emotion_graded.tsv (tests run from the repository root) and
 * focused cases for negation, intensifiers, punctuation and threats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/emotion.h"
#include "classify/normalize.h"
#include "sbuf.h"
#include "tharness.h"

#define GRADED "tests/data/emotion_graded.tsv"
#define MAX_SAMPLES 1024

struct sample {
	int grade;
	int intensity;
};

struct graded {
	struct sample s[MAX_SAMPLES];
	size_t n;
	size_t per[4];
};

static struct normalizer *new_nz(void)
{
	struct normalizer *nz = normalizer_new(NULL);

	if (!nz)
		abort();
	return nz;
}

/* Scores raw as the classifier will: normalised text, raw punctuation. */
static void score_nz(const struct normalizer *nz, const char *raw, struct emotion_result *er)
{
	struct sbuf norm = SBUF_INIT;

	normalizer_apply(nz, raw, strlen(raw), &norm);
	emotion_score(norm.buf, raw, er);
	sbuf_release(&norm);
}

static int score(const char *raw)
{
	struct normalizer *nz = new_nz();
	struct emotion_result er;

	score_nz(nz, raw, &er);
	normalizer_free(nz);
	return er.intensity;
}

/* Parses one "grade<TAB>sentence" line into g; returns 0, or -1 if the line
 * is a comment, blank or malformed. */
static int parse_line(char *line, int *grade, char **text)
{
	char *tab = strchr(line, '\t');

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || !tab || tab != line + 1 || line[0] < '0' || line[0] > '3')
		return -1;
	*grade = line[0] - '0';
	*text = tab + 1;
	return 0;
}

/* Scores every sentence of the graded set into g; returns 0 or -1. */
static int load_graded(struct graded *g)
{
	FILE *f = fopen(GRADED, "r");
	struct normalizer *nz = new_nz();
	char line[2048], *text;
	int grade;

	memset(g, 0, sizeof *g);
	if (!T_CHECK(f != NULL)) {
		normalizer_free(nz);
		return -1;
	}
	while (fgets(line, sizeof line, f) && g->n < MAX_SAMPLES) {
		struct emotion_result er;

		if (parse_line(line, &grade, &text) < 0)
			continue;
		score_nz(nz, text, &er);
		if (grade == 3 && er.intensity < 80)
			fprintf(stderr, "    grade 3 at %d: %s\n", er.intensity, text);
		if (grade == 0 && er.intensity >= 40)
			fprintf(stderr, "    grade 0 at %d: %s\n", er.intensity, text);
		g->s[g->n++] = (struct sample){ grade, er.intensity };
		g->per[grade]++;
	}
	fclose(f);
	normalizer_free(nz);
	return 0;
}

static void t_graded_size(void)
{
	static struct graded g;

	if (load_graded(&g) < 0)
		return;
	T_CHECK(g.n >= 120);
	for (int k = 0; k < 4; k++)
		T_CHECK(g.per[k] >= 25);
}

static void t_graded_means(void)
{
	static struct graded g;
	double sum[4] = { 0 }, mean[4];

	if (load_graded(&g) < 0)
		return;
	for (size_t i = 0; i < g.n; i++)
		sum[g.s[i].grade] += g.s[i].intensity;
	for (int k = 0; k < 4; k++)
		mean[k] = g.per[k] ? sum[k] / (double)g.per[k] : 0;
	fprintf(stderr, "    mean intensity by grade: %.1f %.1f %.1f %.1f\n", mean[0], mean[1],
		mean[2], mean[3]);
	for (int k = 1; k < 4; k++)
		T_CHECK(mean[k] > mean[k - 1]);
}

/* Counts samples of grade k with lo <= intensity < hi. */
static size_t count_in(const struct graded *g, int k, int lo, int hi)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->s[i].grade == k && g->s[i].intensity >= lo && g->s[i].intensity < hi;
	return n;
}

static void t_graded_thresholds(void)
{
	static struct graded g;
	double r1, r2;

	if (load_graded(&g) < 0)
		return;
	T_INTEQ(count_in(&g, 3, 80, 101), g.per[3]);
	T_INTEQ(count_in(&g, 0, 0, 40), g.per[0]);
	r1 = (double)count_in(&g, 1, 0, 60) / (double)g.per[1];
	r2 = (double)count_in(&g, 2, 40, 101) / (double)g.per[2];
	fprintf(stderr, "    grade 1 below 60: %.1f%%, grade 2 at 40 or more: %.1f%%\n", 100 * r1,
		100 * r2);
	T_CHECK(r1 >= 0.9);
	T_CHECK(r2 >= 0.9);
}

/* Sets rank[i] to the rank of v[i] (1-based, ties share their mean rank). */
static void ranks(const double *v, double *rank, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t below = 0, equal = 0;

		for (size_t j = 0; j < n; j++) {
			below += v[j] < v[i];
			equal += v[j] == v[i];
		}
		rank[i] = (double)below + ((double)equal + 1) / 2;
	}
}

static double pearson(const double *x, const double *y, size_t n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

	for (size_t i = 0; i < n; i++) {
		mx += x[i] / (double)n;
		my += y[i] / (double)n;
	}
	for (size_t i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static void t_graded_spearman(void)
{
	static struct graded g;
	static double x[MAX_SAMPLES], y[MAX_SAMPLES], rx[MAX_SAMPLES], ry[MAX_SAMPLES];
	double rho;

	if (load_graded(&g) < 0)
		return;
	for (size_t i = 0; i < g.n; i++) {
		x[i] = g.s[i].grade;
		y[i] = g.s[i].intensity;
	}
	ranks(x, rx, g.n);
	ranks(y, ry, g.n);
	rho = pearson(rx, ry, g.n);
	fprintf(stderr, "    Spearman rho (grade, intensity) over %zu sentences: %.3f\n", g.n, rho);
	T_CHECK(rho >= 0.8);
}

static void t_negation(void)
{
	T_CHECK(score("我并不生气，只是咨询") < score("我非常生气"));
	T_CHECK(score("我不生气") < 20);
	T_CHECK(score("我不是很生气") < score("我很生气"));
	T_CHECK(score("我没有失望") < score("我很失望"));
	/* a negation reaches only across linking words, not a whole clause */
	T_CHECK(score("拖着不办，非常愤怒") == score("拖着办，非常愤怒"));
	/* phrases that contain a negation are entries of their own */
	T_CHECK(score("我们很不满意") > score("我们很满意"));
	T_CHECK(score("问题不断，非常愤怒") == score("问题，非常愤怒"));
}

static void t_negated_threat(void)
{
	struct emotion_result er;

	emotion_score("我真的不想活了", "", &er);
	T_CHECK(er.intensity >= 80);
	T_INTEQ(er.threats, 1);
	T_STREQ(er.threat[0], "不想活");
	emotion_score("我不是吓唬你们再不处理我就去自杀", "", &er);
	T_INTEQ(er.threats, 1);
	T_CHECK(er.intensity >= 80);
}

static void t_intensifier(void)
{
	T_CHECK(score("非常愤怒") > score("愤怒"));
	T_CHECK(score("极其愤怒") > score("很愤怒"));
	T_CHECK(score("非常让人愤怒") > score("愤怒"));
	/* beyond its reach an intensifier does nothing */
	T_CHECK(score("非常好的一个地方可是愤怒") == score("好的一个地方可是愤怒"));
}

static void t_punctuation(void)
{
	T_CHECK(score("太过分了！！！") > score("太过分了"));
	T_CHECK(score("太过分了!!!") == score("太过分了！！！"));
	T_CHECK(score("这是为什么？？") > score("这是为什么？"));
	T_CHECK(score("太过分了！！！！！！！！！！！！！！！！！！！！") <=
		score("太过分了") + 40);
	T_CHECK(score("！？！？！？。。。") < 40);
}

static void t_case(void)
{
	T_INTEQ(score("ANGRY, 我很不满意!"), score("angry, 我很不满意!"));
}

static void t_threats_listed(void)
{
	struct normalizer *nz = new_nz();
	struct emotion_result er;

	score_nz(nz, "再不解决，我们就拉横幅、堵路，然后进京上访！我不想活了，大不了跳楼。跳楼！",
		 &er);
	T_INTEQ(er.threats, 5);
	T_STREQ(er.threat[0], "拉横幅");
	T_STREQ(er.threat[1], "堵路");
	T_STREQ(er.threat[2], "进京上访");
	T_STREQ(er.threat[3], "不想活");
	T_STREQ(er.threat[4], "跳楼");
	T_CHECK(er.intensity >= 80);
	score_nz(nz, "請問辦理護照需要哪些材料？", &er);
	T_INTEQ(er.threats, 0);
	T_CHECK(er.threat[0] == NULL);
	normalizer_free(nz);
}

static void t_threats_capped(void)
{
	struct emotion_result er;

	emotion_score("自杀跳楼自焚同归于尽喝农药拉横幅进京上访堵路爆炸绝食静坐", NULL, &er);
	T_INTEQ(er.threats, 11);
	T_STREQ(er.threat[5], "拉横幅");
	T_STREQ(er.threat[7], "堵路");
	T_INTEQ(er.intensity, 100);
}

static void t_empty(void)
{
	struct emotion_result er;

	emotion_score("", "", &er);
	T_INTEQ(er.intensity, 0);
	T_INTEQ(er.threats, 0);
	emotion_score(NULL, NULL, &er);
	T_INTEQ(er.intensity, 0);
	emotion_score("谢谢", "谢谢。", &er);
	T_CHECK(er.intensity < 10);
}

/* 20,000 characters of emotion words, intensifiers and marks. */
static void t_bounds(void)
{
	static const char *const parts[] = { "非常愤怒", "忍无可忍", "极其", "！！！", "不",
					     "自杀",     "太过分",   "绝望", "？？" };
	struct sbuf raw = SBUF_INIT;
	struct emotion_result er;
	size_t chars = 0;

	for (size_t i = 0; chars < 20000; i++) {
		const char *p = parts[i % (sizeof parts / sizeof parts[0])];

		sbuf_add(&raw, p, strlen(p));
		chars += strlen(p) / 3;
	}
	emotion_score(raw.buf, raw.buf, &er);
	T_CHECK(er.intensity >= 80 && er.intensity <= 100);
	T_CHECK(er.threats == 1);
	emotion_score("愤怒愤怒愤怒愤怒愤怒", "", &er);
	T_CHECK(er.intensity >= 0 && er.intensity < 80);
	sbuf_release(&raw);
}

/* Cut-off and stray bytes: no word is matched across the end of the text. */
static void t_truncated(void)
{
	const char *w = "愤怒";
	char buf[8];
	struct emotion_result er;

	memcpy(buf, w, 5);
	buf[5] = '\0';
	emotion_score(buf, "", &er);
	T_INTEQ(er.intensity, 0);
	emotion_score("\xE6", "\xEF\xBC", &er);
	T_INTEQ(er.intensity, 0);
}

static void t_deterministic(void)
{
	const char *t = "开发商欺人太甚，我们非常愤怒！！！";

	T_INTEQ(score(t), score(t));
	T_CHECK(emotion_lexicon_size() >= 200);
}

/* clang-format off */
T_SUITE(emotion, { "graded set size", t_graded_size }, { "graded means increase", t_graded_means },
	{ "graded thresholds", t_graded_thresholds }, { "graded spearman", t_graded_spearman },
	{ "negation", t_negation }, { "negation keeps threats", t_negated_threat },
	{ "intensifier", t_intensifier }, { "punctuation", t_punctuation },
	{ "letter case", t_case }, { "threats listed", t_threats_listed },
	{ "threats capped at 8", t_threats_capped }, { "empty", t_empty },
	{ "bounds on 20000 characters", t_bounds }, { "truncated text", t_truncated },
	{ "deterministic", t_deterministic })
/* clang-format on */
