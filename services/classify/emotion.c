/* emotion.c - lexicon-based emotion intensity; see emotion.h. */
#include "emotion.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "classify/phrase.h"
#include "utf8.h"

enum kind {
	EMO,     /* anger, dissatisfaction, despair, urgency: w points */
	THREAT,  /* w points; never negated; intensity >= the threat floor */
	INTENS,  /* multiplies the next emotion word by w */
	NEG,     /* cancels the next emotion word */
	FILLER,  /* links a negation or intensifier to its word: "不是很生气" */
	NEUTRAL, /* looks like a negation but is none: "不断", "不得不" */
};

struct lex {
	const char *word; /* normal form: simplified, no punctuation */
	unsigned char kind;
	float w;
};

/* Weights are points before the curve in to_intensity(): one strong word
 * (~25) alone reads as angry, mild words (~10) as dissatisfied. */
static const struct lex lexicon[] = {
	/* anger */
	{ "愤怒", EMO, 25 },
	{ "气愤", EMO, 22 },
	{ "愤慨", EMO, 22 },
	{ "愤恨", EMO, 25 },
	{ "义愤填膺", EMO, 30 },
	{ "忍无可忍", EMO, 35 },
	{ "欺人太甚", EMO, 30 },
	{ "无法无天", EMO, 28 },
	{ "丧尽天良", EMO, 35 },
	{ "天理何在", EMO, 30 },
	{ "天理难容", EMO, 30 },
	{ "岂有此理", EMO, 25 },
	{ "令人发指", EMO, 30 },
	{ "草菅人命", EMO, 30 },
	{ "官官相护", EMO, 25 },
	{ "无耻", EMO, 25 },
	{ "可耻", EMO, 22 },
	{ "混蛋", EMO, 28 },
	{ "王八蛋", EMO, 30 },
	{ "畜生", EMO, 30 },
	{ "流氓", EMO, 22 },
	{ "土匪", EMO, 22 },
	{ "强盗", EMO, 22 },
	{ "黑心", EMO, 20 },
	{ "可恶", EMO, 20 },
	{ "可恨", EMO, 20 },
	{ "恼火", EMO, 18 },
	{ "火大", EMO, 18 },
	{ "生气", EMO, 18 },
	{ "气死", EMO, 28 },
	{ "过分", EMO, 15 },
	{ "欺负", EMO, 15 },
	{ "欺压", EMO, 18 },
	{ "霸道", EMO, 15 },
	{ "蛮横", EMO, 18 },
	{ "猖狂", EMO, 20 },
	{ "嚣张", EMO, 18 },
	{ "恶劣", EMO, 14 },
	{ "骗子", EMO, 18 },
	{ "坑人", EMO, 15 },
	{ "坑害", EMO, 18 },
	{ "忍不了", EMO, 25 },
	{ "受够了", EMO, 25 },
	{ "凭什么", EMO, 14 },
	{ "没有王法", EMO, 28 },
	{ "有没有王法", EMO, 28 },
	{ "目无王法", EMO, 28 },
	{ "还有王法吗", EMO, 28 },
	{ "绝不罢休", EMO, 25 },
	{ "决不罢休", EMO, 25 },
	{ "誓不罢休", EMO, 28 },
	{ "抗议", EMO, 15 },
	{ "谴责", EMO, 15 },
	{ "声讨", EMO, 18 },
	{ "严惩", EMO, 15 },
	{ "讨回公道", EMO, 14 },
	{ "一告到底", EMO, 22 },
	{ "告到底", EMO, 20 },
	{ "强烈", EMO, 10 },
	{ "强烈要求", EMO, 16 },
	{ "强烈抗议", EMO, 25 },
	{ "强烈谴责", EMO, 25 },
	{ "无法忍受", EMO, 22 },
	{ "难以忍受", EMO, 20 },
	{ "恶心", EMO, 15 },
	{ "荒唐", EMO, 15 },
	{ "荒谬", EMO, 15 },
	{ "胡作非为", EMO, 25 },
	{ "为所欲为", EMO, 20 },
	{ "横行霸道", EMO, 25 },
	{ "仗势欺人", EMO, 25 },
	{ "曝光", EMO, 12 },
	{ "找媒体", EMO, 14 },
	{ "太过分", EMO, 22 },
	{ "悲愤", EMO, 25 },
	{ "悲愤欲绝", EMO, 35 },
	{ "至极", EMO, 10 },
	{ "管不管", EMO, 12 },
	/* dissatisfaction */
	{ "不满", EMO, 12 },
	{ "不满意", EMO, 12 },
	{ "不太满意", EMO, 8 },
	{ "失望", EMO, 12 },
	{ "寒心", EMO, 15 },
	{ "心寒", EMO, 15 },
	{ "不公", EMO, 12 },
	{ "不公平", EMO, 12 },
	{ "不合理", EMO, 9 },
	{ "不作为", EMO, 12 },
	{ "乱作为", EMO, 12 },
	{ "推诿", EMO, 12 },
	{ "推脱", EMO, 10 },
	{ "踢皮球", EMO, 15 },
	{ "敷衍", EMO, 12 },
	{ "敷衍了事", EMO, 15 },
	{ "一拖再拖", EMO, 15 },
	{ "拖延", EMO, 9 },
	{ "迟迟", EMO, 7 },
	{ "至今未", EMO, 7 },
	{ "至今没有", EMO, 7 },
	{ "一直没有", EMO, 7 },
	{ "一直没人", EMO, 8 },
	{ "没人管", EMO, 12 },
	{ "没人理", EMO, 12 },
	{ "无人问津", EMO, 12 },
	{ "不了了之", EMO, 12 },
	{ "石沉大海", EMO, 15 },
	{ "杳无音信", EMO, 12 },
	{ "置之不理", EMO, 15 },
	{ "不予理睬", EMO, 15 },
	{ "不理不睬", EMO, 15 },
	{ "不闻不问", EMO, 15 },
	{ "不管不问", EMO, 15 },
	{ "投诉无门", EMO, 18 },
	{ "求助无门", EMO, 18 },
	{ "多次反映", EMO, 8 },
	{ "反复反映", EMO, 8 },
	{ "多次投诉", EMO, 8 },
	{ "多次举报", EMO, 8 },
	{ "屡次", EMO, 5 },
	{ "无奈", EMO, 10 },
	{ "无语", EMO, 10 },
	{ "郁闷", EMO, 8 },
	{ "苦不堪言", EMO, 18 },
	{ "叫苦不迭", EMO, 15 },
	{ "怨声载道", EMO, 18 },
	{ "不负责任", EMO, 12 },
	{ "不负责", EMO, 12 },
	{ "讨个说法", EMO, 10 },
	{ "要个说法", EMO, 10 },
	{ "给个说法", EMO, 10 },
	{ "讨说法", EMO, 10 },
	{ "焦虑", EMO, 12 },
	{ "担忧", EMO, 6 },
	{ "担心", EMO, 6 },
	{ "害怕", EMO, 10 },
	{ "恐惧", EMO, 15 },
	{ "提心吊胆", EMO, 12 },
	{ "不安", EMO, 8 },
	{ "心急", EMO, 10 },
	{ "着急", EMO, 8 },
	{ "吃拿卡要", EMO, 10 },
	{ "刁难", EMO, 12 },
	{ "态度差", EMO, 10 },
	{ "态度恶劣", EMO, 16 },
	{ "扯皮", EMO, 12 },
	{ "互相推诿", EMO, 15 },
	{ "血汗钱", EMO, 15 },
	{ "辛苦钱", EMO, 10 },
	{ "救命钱", EMO, 18 },
	{ "毫无结果", EMO, 10 },
	{ "揭不开锅", EMO, 20 },
	{ "不像话", EMO, 14 },
	{ "说不过去", EMO, 10 },
	{ "没完没了", EMO, 12 },
	/* despair */
	{ "绝望", EMO, 30 },
	{ "走投无路", EMO, 35 },
	{ "无路可走", EMO, 30 },
	{ "欲哭无泪", EMO, 25 },
	{ "痛不欲生", EMO, 35 },
	{ "生不如死", EMO, 38 },
	{ "家破人亡", EMO, 30 },
	{ "倾家荡产", EMO, 25 },
	{ "无家可归", EMO, 20 },
	{ "哭诉", EMO, 15 },
	{ "以泪洗面", EMO, 20 },
	{ "心力交瘁", EMO, 18 },
	{ "崩溃", EMO, 22 },
	{ "救救", EMO, 20 },
	{ "求求", EMO, 15 },
	{ "跪求", EMO, 25 },
	{ "哀求", EMO, 15 },
	{ "万般无奈", EMO, 18 },
	{ "实在没办法", EMO, 15 },
	{ "没有办法", EMO, 7 },
	{ "没办法", EMO, 7 },
	{ "给条活路", EMO, 25 },
	{ "没有活路", EMO, 30 },
	{ "没有出路", EMO, 22 },
	{ "走投无门", EMO, 30 },
	/* urgency */
	{ "尽快", EMO, 3 },
	{ "立即", EMO, 6 },
	{ "马上", EMO, 6 },
	{ "立刻", EMO, 6 },
	{ "赶紧", EMO, 8 },
	{ "赶快", EMO, 8 },
	{ "速速", EMO, 10 },
	{ "刻不容缓", EMO, 18 },
	{ "十万火急", EMO, 22 },
	{ "迫在眉睫", EMO, 15 },
	{ "紧急", EMO, 10 },
	{ "危急", EMO, 15 },
	{ "再不解决", EMO, 20 },
	{ "再不处理", EMO, 20 },
	{ "再不管", EMO, 20 },
	{ "再拖", EMO, 12 },
	{ "急需", EMO, 8 },
	{ "务必", EMO, 6 },
	{ "人命关天", EMO, 20 },
	{ "出人命", EMO, 25 },
	{ "救命", EMO, 22 },
	{ "命悬一线", EMO, 25 },
	{ "等不起", EMO, 15 },
	{ "耗不起", EMO, 15 },
	{ "危险", EMO, 10 },
	{ "上访", EMO, 12 },
	{ "上告", EMO, 10 },
	{ "火烧眉毛", EMO, 18 },
	/* threats: self-harm, violence, collective or escalated action */
	{ "自杀", THREAT, 45 },
	{ "跳楼", THREAT, 45 },
	{ "自焚", THREAT, 50 },
	{ "同归于尽", THREAT, 50 },
	{ "喝农药", THREAT, 45 },
	{ "喝百草枯", THREAT, 45 },
	{ "喝敌敌畏", THREAT, 45 },
	{ "服毒", THREAT, 45 },
	{ "上吊", THREAT, 45 },
	{ "割腕", THREAT, 45 },
	{ "跳河", THREAT, 45 },
	{ "跳江", THREAT, 45 },
	{ "卧轨", THREAT, 45 },
	{ "轻生", THREAT, 40 },
	{ "寻死", THREAT, 45 },
	{ "寻短见", THREAT, 45 },
	{ "一死了之", THREAT, 45 },
	{ "不想活", THREAT, 45 },
	{ "活不下去", THREAT, 40 },
	{ "不活了", THREAT, 45 },
	{ "死给你们看", THREAT, 50 },
	{ "以死明志", THREAT, 50 },
	{ "以死相逼", THREAT, 50 },
	{ "以死抗争", THREAT, 50 },
	{ "爆炸", THREAT, 45 },
	{ "炸掉", THREAT, 50 },
	{ "炸药", THREAT, 50 },
	{ "放火", THREAT, 50 },
	{ "泼汽油", THREAT, 50 },
	{ "浇汽油", THREAT, 50 },
	{ "杀了他", THREAT, 50 },
	{ "杀人", THREAT, 45 },
	{ "报复社会", THREAT, 50 },
	{ "一命换一命", THREAT, 50 },
	{ "鱼死网破", THREAT, 40 },
	{ "玉石俱焚", THREAT, 45 },
	{ "拉横幅", THREAT, 40 },
	{ "进京上访", THREAT, 40 },
	{ "赴京上访", THREAT, 40 },
	{ "去北京上访", THREAT, 40 },
	{ "到北京上访", THREAT, 40 },
	{ "越级上访", THREAT, 35 },
	{ "集体上访", THREAT, 40 },
	{ "堵路", THREAT, 40 },
	{ "堵门", THREAT, 35 },
	{ "围堵", THREAT, 40 },
	{ "静坐", THREAT, 35 },
	{ "绝食", THREAT, 45 },
	{ "遗书", THREAT, 45 },
	{ "跳下去", THREAT, 40 },
	{ "一把火", THREAT, 45 },
	{ "游行", THREAT, 35 },
	{ "示威", THREAT, 35 },
	{ "堵高速", THREAT, 40 },
	/* intensifiers */
	{ "非常", INTENS, 1.6f },
	{ "极其", INTENS, 1.9f },
	{ "极度", INTENS, 1.9f },
	{ "极为", INTENS, 1.8f },
	{ "太", INTENS, 1.5f },
	{ "十分", INTENS, 1.6f },
	{ "特别", INTENS, 1.6f },
	{ "严重", INTENS, 1.5f },
	{ "很", INTENS, 1.3f },
	{ "真的", INTENS, 1.3f },
	{ "实在", INTENS, 1.4f },
	{ "简直", INTENS, 1.5f },
	{ "万分", INTENS, 1.8f },
	{ "相当", INTENS, 1.4f },
	{ "更加", INTENS, 1.4f },
	{ "越来越", INTENS, 1.4f },
	{ "如此", INTENS, 1.4f },
	{ "这么", INTENS, 1.3f },
	{ "那么", INTENS, 1.3f },
	{ "超级", INTENS, 1.6f },
	{ "无比", INTENS, 1.8f },
	{ "彻底", INTENS, 1.5f },
	{ "太过", INTENS, 1.5f },
	{ "极", INTENS, 1.7f },
	{ "到底", INTENS, 1.3f },
	/* negations */
	{ "不", NEG, 0 },
	{ "没", NEG, 0 },
	{ "没有", NEG, 0 },
	{ "并非", NEG, 0 },
	{ "不是", NEG, 0 },
	{ "并不", NEG, 0 },
	{ "并没有", NEG, 0 },
	{ "并没", NEG, 0 },
	{ "无需", NEG, 0 },
	{ "无须", NEG, 0 },
	{ "不用", NEG, 0 },
	{ "不必", NEG, 0 },
	{ "别", NEG, 0 },
	{ "毫不", NEG, 0 },
	{ "从不", NEG, 0 },
	{ "从未", NEG, 0 },
	{ "未", NEG, 0 },
	{ "不要", NEG, 0 },
	{ "谈不上", NEG, 0 },
	{ "算不上", NEG, 0 },
	/* linking words between a negation or intensifier and its word */
	{ "是", FILLER, 0 },
	{ "感到", FILLER, 0 },
	{ "觉得", FILLER, 0 },
	{ "会", FILLER, 0 },
	{ "怎么", FILLER, 0 },
	{ "让人", FILLER, 0 },
	{ "令人", FILLER, 0 },
	{ "使人", FILLER, 0 },
	{ "有点", FILLER, 0 },
	{ "有些", FILLER, 0 },
	{ "感觉", FILLER, 0 },
	/* negation-like phrases that negate nothing */
	{ "不断", NEUTRAL, 0 },
	{ "不得不", NEUTRAL, 0 },
	{ "不仅", NEUTRAL, 0 },
	{ "不但", NEUTRAL, 0 },
	{ "不知道", NEUTRAL, 0 },
	{ "没想到", NEUTRAL, 0 },
	{ "不停", NEUTRAL, 0 },
	{ "不少", NEUTRAL, 0 },
	{ "不久", NEUTRAL, 0 },
	{ "别人", NEUTRAL, 0 },
	{ "未来", NEUTRAL, 0 },
	{ "太多", NEUTRAL, 0 },
	{ "不管", NEUTRAL, 0 },
	{ "不然", NEUTRAL, 0 },
	{ "否则", NEUTRAL, 0 },
};

#define NLEX (sizeof lexicon / sizeof lexicon[0])
#define INTENS_REACH 3 /* other characters an intensifier reaches over */
#define MULT_MAX 2.5   /* stacked intensifiers: "非常非常" */
#define PUNCT_MAX 20.0 /* points from punctuation at most */
#define CURVE 40.0     /* points that give 1 - 1/e of 100 */

/* The lexicon's phrases (phrase.h), built once, on first use; read-only after. */
static struct phrase_index *lex_index;
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static void index_build(void)
{
	lex_index = phrase_index_new(NLEX);
	for (size_t i = 0; i < NLEX; i++)
		phrase_index_add(lex_index, i, lexicon[i].word);
	phrase_index_build(lex_index);
}

/* What one pass carries from word to word. */
struct scan {
	double points;
	double mult;  /* pending intensifier; 1 when none */
	int mult_gap; /* other characters since it */
	int neg;      /* a negation is pending */
	unsigned char seen[NLEX];
	struct emotion_result *out;
};

/* 1, 1/2, 1/4, then 0 for the same entry seen again. */
static double repeat_factor(struct scan *s, size_t idx)
{
	if (s->seen[idx] < 255)
		s->seen[idx]++;
	return s->seen[idx] > 3 ? 0.0 : 1.0 / (double)(1 << (s->seen[idx] - 1));
}

static void add_threat(struct scan *s, size_t idx)
{
	double f = repeat_factor(s, idx);

	s->points += lexicon[idx].w * f;
	if (s->seen[idx] != 1)
		return;
	if (s->out->threats < EMOTION_MAX_THREATS)
		s->out->threat[s->out->threats] = lexicon[idx].word;
	s->out->threats++;
}

/* Applies one lexicon entry to the scan state. */
static void apply(struct scan *s, size_t idx)
{
	const struct lex *e = &lexicon[idx];

	switch (e->kind) {
	case EMO:
		s->points += s->neg ? 0.0 : e->w * s->mult * repeat_factor(s, idx);
		break;
	case THREAT:
		add_threat(s, idx);
		break;
	case INTENS:
		s->mult = s->mult * e->w > MULT_MAX ? MULT_MAX : s->mult * e->w;
		s->mult_gap = 0;
		return;
	case NEG:
		s->neg = 1;
		s->mult = 1;
		return;
	case FILLER:
		return;
	}
	s->neg = 0; /* an emotion word, threat or neutral phrase ends both scopes */
	s->mult = 1;
}

/* A character no entry starts at: it ends a negation's scope and counts
 * against an intensifier's reach. */
static void other_char(struct scan *s)
{
	s->neg = 0;
	if (s->mult != 1 && ++s->mult_gap > INTENS_REACH)
		s->mult = 1;
}

static void scan_text(struct scan *s, const char *text)
{
	size_t len = strlen(text), i = 0;

	while (i < len) {
		const struct phrase_entry *k = phrase_longest(lex_index, text + i, len - i);

		if (k) {
			apply(s, k->idx);
			i += k->len;
		} else {
			other_char(s);
			i += utf8_step((unsigned char)text[i]);
		}
	}
}

/* Returns the mark at raw[i] (1 '!', 2 '?', 0 none) and its byte length. */
static int mark_at(const char *raw, size_t i, size_t *n)
{
	const unsigned char *p = (const unsigned char *)raw + i;

	*n = 1;
	if (*p == '!' || *p == '?')
		return *p == '!' ? 1 : 2;
	if (p[0] == 0xEF && p[1] == 0xBC && (p[2] == 0x81 || p[2] == 0x9F)) {
		*n = 3;
		return p[2] == 0x81 ? 1 : 2;
	}
	return 0;
}

/* Points for one run of marks: a lone '!' 2, a lone '?' nothing,
 * longer runs 4 a mark (3 if only question marks), 15 at most. */
static double run_points(size_t marks, int bangs)
{
	double p;

	if (marks == 1)
		return bangs ? 2.0 : 0.0;
	p = (double)marks * (bangs ? 4.0 : 3.0);
	return p > 15.0 ? 15.0 : p;
}

static double punct_points(const char *raw)
{
	double total = 0;
	size_t i = 0, n, marks = 0;
	int bangs = 0, m;

	for (; raw[i]; i += n) {
		if (!marks)
			i += strcspn(raw + i, "!?\xEF");
		if (!raw[i])
			break;
		m = mark_at(raw, i, &n);
		if (m) {
			marks++;
			bangs |= m == 1;
			continue;
		}
		if (marks)
			total += run_points(marks, bangs);
		marks = 0;
		bangs = 0;
	}
	if (marks)
		total += run_points(marks, bangs);
	return total > PUNCT_MAX ? PUNCT_MAX : total;
}

static int to_intensity(double points, int threats)
{
	int v = (int)lround(100.0 * (1.0 - exp(-points / CURVE)));

	if (threats) {
		int floor = EMOTION_THREAT_FLOOR + 5 * (threats - 1) + (int)(points / 20);

		v = v > floor ? v : floor;
	}
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

void emotion_score(const char *norm, const char *raw, struct emotion_result *out)
{
	struct scan s;

	pthread_once(&lex_once, index_build);
	memset(out, 0, sizeof *out);
	memset(&s, 0, sizeof s);
	s.mult = 1;
	s.out = out;
	if (norm)
		scan_text(&s, norm);
	if (raw)
		s.points += punct_points(raw);
	out->intensity = to_intensity(s.points, out->threats);
}

size_t emotion_lexicon_size(void)
{
	return NLEX;
}
