/* classifier.c - see classifier.h. */
#include "classifier.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/model.h"
#include "classify/normalize.h"
#include "sbuf.h"
#include "util.h"

const char *const classifier_categories[] = {
	"urban_construction", "environment", "transport", "education_culture",
	"labor_social_security", "commerce_tourism", "health", "land_acquisition",
	"agriculture_rural", "law_litigation", "civil_affairs", "public_security",
	"discipline", "other", NULL,
};
#define NCAT 14

struct kw {
	int cat;          /* index into classifier_categories */
	const char *word;
	double weight;
};

/* The category table: a word's weight counts once per petition. */
static const struct kw category_words[] = {
	{ 0, "小区", 1 }, { 0, "物业", 2 }, { 0, "业主", 1.5 }, { 0, "违建", 3 },
	{ 0, "违章建筑", 3 }, { 0, "房屋", 1 }, { 0, "楼盘", 2 }, { 0, "开发商", 2.5 },
	{ 0, "交房", 3 }, { 0, "房产证", 3 }, { 0, "供水", 2 }, { 0, "停水", 2.5 },
	{ 0, "自来水", 2 }, { 0, "燃气", 2 }, { 0, "电梯", 2 }, { 0, "路灯", 2 },
	{ 0, "下水道", 2 }, { 0, "市政", 1.5 }, { 0, "施工", 1 }, { 0, "装修", 1 },
	{ 0, "老旧小区", 3 }, { 0, "维修基金", 3 }, { 0, "城管", 1.5 },
	{ 1, "污染", 2.5 }, { 1, "噪音", 2.5 }, { 1, "噪声", 2.5 }, { 1, "扰民", 2 },
	{ 1, "排污", 3 }, { 1, "废气", 3 }, { 1, "废水", 3 }, { 1, "臭味", 2.5 },
	{ 1, "异味", 2.5 }, { 1, "油烟", 2.5 }, { 1, "粉尘", 2.5 }, { 1, "环保", 2.5 },
	{ 1, "垃圾焚烧", 3 }, { 1, "偷排", 3 }, { 1, "黑烟", 2.5 }, { 1, "河道", 1.5 },
	{ 1, "水质", 2 }, { 1, "辐射", 2 },
	{ 2, "公交", 3 }, { 2, "出租车", 3 }, { 2, "网约车", 3 }, { 2, "道路", 1.5 },
	{ 2, "交通", 2 }, { 2, "红绿灯", 3 }, { 2, "停车", 1.5 }, { 2, "高速", 2 },
	{ 2, "客运", 3 }, { 2, "班车", 2.5 }, { 2, "地铁", 3 }, { 2, "驾校", 2 },
	{ 2, "拥堵", 2.5 }, { 2, "站台", 2 }, { 2, "车辆", 1 },
	{ 3, "学校", 2.5 }, { 3, "学生", 2 }, { 3, "老师", 2 }, { 3, "教师", 2.5 },
	{ 3, "幼儿园", 3 }, { 3, "入学", 3 }, { 3, "招生", 3 }, { 3, "补课", 3 },
	{ 3, "培训机构", 3 }, { 3, "教育", 2 }, { 3, "学区", 3 }, { 3, "体育", 1.5 },
	{ 3, "图书馆", 2 }, { 3, "文化", 1 }, { 3, "课外", 2 }, { 3, "校车", 3 },
	{ 4, "工资", 3 }, { 4, "欠薪", 4 }, { 4, "讨薪", 4 }, { 4, "拖欠", 2 },
	{ 4, "社保", 3.5 }, { 4, "养老保险", 3.5 }, { 4, "医保", 2 }, { 4, "公积金", 3 },
	{ 4, "劳动合同", 3.5 }, { 4, "辞退", 3 }, { 4, "加班", 2.5 }, { 4, "工伤", 3.5 },
	{ 4, "失业", 2.5 }, { 4, "退休", 2.5 }, { 4, "农民工", 3 }, { 4, "用人单位", 3 },
	{ 4, "劳动仲裁", 3 }, { 4, "人才", 1.5 }, { 4, "就业", 2 },
	{ 5, "商家", 2 }, { 5, "消费者", 2.5 }, { 5, "退款", 3 }, { 5, "商场", 2.5 },
	{ 5, "超市", 2.5 }, { 5, "价格", 2 }, { 5, "旅游", 3 }, { 5, "景区", 3 },
	{ 5, "导游", 3 }, { 5, "酒店", 2 }, { 5, "假冒", 2.5 }, { 5, "食品", 1.5 },
	{ 5, "虚假宣传", 3 }, { 5, "预付卡", 3 }, { 5, "会员卡", 2.5 }, { 5, "市场监管", 2 },
	{ 5, "快递", 2 }, { 5, "电商", 2 }, { 5, "营业执照", 2 },
	{ 6, "医院", 3 }, { 6, "医生", 3 }, { 6, "医疗", 3 }, { 6, "患者", 3 },
	{ 6, "卫生", 1.5 }, { 6, "诊所", 3 }, { 6, "疫苗", 3 }, { 6, "药品", 2.5 },
	{ 6, "计生", 3 }, { 6, "生育", 2.5 }, { 6, "看病", 3 }, { 6, "手术", 2.5 },
	{ 6, "护士", 2.5 }, { 6, "卫生院", 3 }, { 6, "医疗纠纷", 3.5 },
	{ 7, "征地", 4 }, { 7, "拆迁", 4 }, { 7, "征收", 3 }, { 7, "补偿款", 3 },
	{ 7, "安置", 3 }, { 7, "强拆", 4 }, { 7, "宅基地", 2.5 }, { 7, "安置房", 3.5 },
	{ 7, "补偿标准", 3 }, { 7, "棚改", 3 },
	{ 8, "村民", 2 }, { 8, "农田", 3 }, { 8, "耕地", 3 }, { 8, "种植", 2.5 },
	{ 8, "养殖", 3 }, { 8, "农业", 2.5 }, { 8, "农村", 1.5 }, { 8, "土地承包", 3.5 },
	{ 8, "村委", 2 }, { 8, "村集体", 3 }, { 8, "化肥", 3 }, { 8, "农药", 2 },
	{ 8, "合作社", 3 }, { 8, "灌溉", 3 }, { 8, "山林", 2.5 },
	{ 9, "法院", 3.5 }, { 9, "判决", 3.5 }, { 9, "执行", 2 }, { 9, "诉讼", 3.5 },
	{ 9, "起诉", 3 }, { 9, "检察院", 3.5 }, { 9, "律师", 2.5 }, { 9, "冤案", 4 },
	{ 9, "再审", 4 }, { 9, "裁定", 3 }, { 9, "申诉", 2.5 }, { 9, "司法", 2.5 },
	{ 10, "低保", 4 }, { 10, "救助", 3 }, { 10, "残疾", 3 }, { 10, "养老院", 3 },
	{ 10, "敬老院", 3 }, { 10, "婚姻登记", 3.5 }, { 10, "殡葬", 3.5 }, { 10, "墓地", 3 },
	{ 10, "困难家庭", 3 }, { 10, "特困", 3 }, { 10, "优抚", 3.5 }, { 10, "退役军人", 3 },
	{ 10, "孤儿", 3 }, { 10, "民政", 3 },
	{ 11, "派出所", 3.5 }, { 11, "警察", 3 }, { 11, "报警", 3 }, { 11, "诈骗", 3.5 },
	{ 11, "盗窃", 3.5 }, { 11, "被偷", 3 }, { 11, "打架", 3 }, { 11, "赌博", 3.5 },
	{ 11, "户口", 3 }, { 11, "身份证", 2 }, { 11, "治安", 3 }, { 11, "传销", 3 },
	{ 11, "黑社会", 3.5 }, { 11, "殴打", 3 }, { 11, "110", 2 },
	{ 12, "贪污", 4 }, { 12, "腐败", 4 }, { 12, "受贿", 4 }, { 12, "行贿", 4 },
	{ 12, "干部", 2 }, { 12, "作风", 2.5 }, { 12, "吃拿卡要", 4 }, { 12, "公款", 3.5 },
	{ 12, "违纪", 4 }, { 12, "举报", 1.5 }, { 12, "滥用职权", 4 }, { 12, "村干部", 2.5 },
	{ 12, "挪用", 3 }, { 12, "不作为", 2 },
};

/* Emotion words raise intensity; danger words also mark risk A. */
static const struct kw emotion_words[] = {
	{ 0, "愤怒", 15 }, { 0, "气愤", 15 }, { 0, "忍无可忍", 25 }, { 0, "投诉无门", 15 },
	{ 0, "欺人太甚", 20 }, { 0, "太过分", 15 }, { 0, "强烈", 10 }, { 0, "无法忍受", 20 },
	{ 0, "再不解决", 20 }, { 0, "求求", 10 }, { 0, "走投无路", 25 }, { 0, "活不下去", 30 },
	{ 0, "绝望", 25 }, { 0, "没人管", 10 }, { 0, "一直没有解决", 10 }, { 0, "多次反映", 10 },
	{ 0, "严重", 5 }, { 0, "马上", 5 }, { 0, "立即", 5 }, { 0, "上访", 15 },
	{ 0, "曝光", 10 }, { 0, "媒体", 8 }, { 0, "拉横幅", 20 }, { 0, "堵路", 20 },
};

static const char *const danger_words[] = {
	"自杀", "跳楼", "自焚", "同归于尽", "喝农药", "轻生", "爆炸", "炸掉", "杀了",
	"不想活", "寻死", "以死", NULL,
};

#define NCATW (sizeof category_words / sizeof category_words[0])
#define NEMOW (sizeof emotion_words / sizeof emotion_words[0])
#define NDANGER (sizeof danger_words / sizeof danger_words[0] - 1)

/* Where each table word occurs in a petition: bit 1 subject, bit 2 content. */
struct hits {
	unsigned char cat[NCATW], emo[NEMOW], danger[NDANGER];
};

enum { T_CAT, T_EMO, T_DANGER };

/* Every table word by its first three bytes, for one pass over a text. */
struct kw_entry {
	uint32_t key;
	unsigned char table;
	unsigned short idx, len;
	const char *word;
};

struct kw_index {
	struct kw_entry e[NCATW + NEMOW + NDANGER];
	size_t n;
};

static uint32_t key3(const char *s)
{
	return (uint32_t)(unsigned char)s[0] << 16 | (uint32_t)(unsigned char)s[1] << 8 |
	       (uint32_t)(unsigned char)s[2];
}

static int entry_cmp(const void *a, const void *b)
{
	const struct kw_entry *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void index_add(struct kw_index *ix, int table, size_t idx, const char *word)
{
	ix->e[ix->n++] = (struct kw_entry){ key3(word), (unsigned char)table,
					    (unsigned short)idx, (unsigned short)strlen(word), word };
}

static struct kw_index *index_new(void)
{
	struct kw_index *ix = calloc(1, sizeof *ix);

	if (!ix)
		abort();
	for (size_t i = 0; i < NCATW; i++)
		index_add(ix, T_CAT, i, category_words[i].word);
	for (size_t i = 0; i < NEMOW; i++)
		index_add(ix, T_EMO, i, emotion_words[i].word);
	for (size_t i = 0; i < NDANGER; i++)
		index_add(ix, T_DANGER, i, danger_words[i]);
	qsort(ix->e, ix->n, sizeof ix->e[0], entry_cmp);
	return ix;
}

static void mark(struct hits *h, int table, size_t idx, unsigned char bit)
{
	unsigned char *v = table == T_CAT ? h->cat : table == T_EMO ? h->emo : h->danger;

	v[idx] |= bit;
}

/* One pass over text: every table word starting at each position. */
static void scan(const struct kw_index *ix, const char *text, unsigned char bit,
		 struct hits *h)
{
	size_t len = strlen(text);

	for (size_t i = 0; i + 3 <= len; i++) {
		uint32_t k;
		size_t lo = 0, hi = ix->n;

		if (((unsigned char)text[i] & 0xC0) == 0x80)
			continue; /* words start at character boundaries */
		k = key3(text + i);
		while (lo < hi) { /* first entry with key >= k */
			size_t mid = (lo + hi) / 2;

			if (ix->e[mid].key < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < ix->n && ix->e[lo].key == k; lo++)
			if (ix->e[lo].len <= len - i && !memcmp(text + i, ix->e[lo].word, ix->e[lo].len))
				mark(h, ix->e[lo].table, ix->e[lo].idx, bit);
	}
}

/* The same by strstr, without an index. */
static void scan_slow(const char *text, unsigned char bit, struct hits *h)
{
	for (size_t i = 0; i < NCATW; i++)
		if (strstr(text, category_words[i].word))
			h->cat[i] |= bit;
	for (size_t i = 0; i < NEMOW; i++)
		if (strstr(text, emotion_words[i].word))
			h->emo[i] |= bit;
	for (size_t i = 0; i < NDANGER; i++)
		if (strstr(text, danger_words[i]))
			h->danger[i] |= bit;
}

static void find_words(const struct kw_index *ix, const char *subject, const char *content,
		       struct hits *h)
{
	memset(h, 0, sizeof *h);
	if (ix) {
		scan(ix, subject, 1, h);
		scan(ix, content, 2, h);
	} else {
		scan_slow(subject, 1, h);
		scan_slow(content, 2, h);
	}
}

int classifier_category_known(const char *code)
{
	for (int i = 0; classifier_categories[i]; i++)
		if (!strcmp(code, classifier_categories[i]))
			return 1;
	return 0;
}

static int category_index(const char *code)
{
	for (int i = 0; code && classifier_categories[i]; i++)
		if (!strcmp(code, classifier_categories[i]))
			return i;
	return -1;
}

/* Scores every category; returns the matched words as a new array. */
static json_t *score_categories(const struct hits *h, double score[NCAT])
{
	json_t *words = json_array();

	for (size_t i = 0; i < NCATW; i++) {
		const struct kw *k = &category_words[i];
		/* a word in the subject says more than one in the details */
		double w = h->cat[i] & 1 ? k->weight * 1.5 : h->cat[i] ? k->weight : 0;

		if (w > 0) {
			score[k->cat] += w;
			if (json_array_size(words) < 12)
				json_array_append_new(words, json_string(k->word));
		}
	}
	return words;
}

/* Turns raw scores into best-3 probabilities (other takes what nothing claims). */
static void rank(const double score[NCAT], struct classifier_text *out)
{
	double total = 1.0; /* prior mass for "other" */
	int order[NCAT];

	for (int i = 0; i < NCAT; i++) {
		order[i] = i;
		total += score[i];
	}
	for (int i = 1; i < NCAT; i++) /* insertion sort, best first */
		for (int j = i; j > 0 && score[order[j]] > score[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	out->top = json_array();
	if (score[order[0]] <= 0) {
		out->category = "other";
		out->confidence = 0.5;
		json_array_append_new(out->top, json_pack("{s:s, s:f}", "category", "other",
							  "score", 0.5));
		return;
	}
	out->category = classifier_categories[order[0]];
	out->confidence = score[order[0]] / total;
	for (int i = 0; i < 3 && score[order[i]] > 0; i++)
		json_array_append_new(out->top, json_pack("{s:s, s:f}", "category",
				      classifier_categories[order[i]], "score",
				      score[order[i]] / total));
}

static int count_bytes(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Emotion words in subject and content; exclamation marks in the raw text. */
static void emotion(const struct hits *h, const char *raw, struct classifier_text *out)
{
	double v = 5;

	out->danger = json_array();
	for (size_t i = 0; i < NEMOW; i++)
		if (h->emo[i])
			v += emotion_words[i].weight;
	for (size_t i = 0; i < NDANGER; i++)
		if (h->danger[i]) {
			json_array_append_new(out->danger, json_string(danger_words[i]));
			v += 40;
		}
	v += 3 * (count_bytes(raw, "!") + count_bytes(raw, "！"));
	out->intensity = v > 100 ? 100 : (int)v;
}

int classifier_init(struct classifier *cl, const char *model_path, struct sbuf *err)
{
	memset(cl, 0, sizeof *cl);
	sbuf_init(&cl->text, 0);
	sbuf_init(&cl->subject, 0);
	cl->low_confidence = 0.5;
	classifier_risk_default(&cl->risk);
	cl->kw = index_new();
	cl->nz = normalizer_new(err);
	if (!cl->nz)
		return -1;
	if (!model_path)
		return 0;
	cl->model = model_load(model_path, err);
	cl->ws = model_ws_new();
	return cl->model ? 0 : -1;
}

void classifier_release(struct classifier *cl)
{
	normalizer_free(cl->nz);
	free(cl->kw);
	model_free(cl->model);
	model_ws_free(cl->ws);
	sbuf_release(&cl->text);
	sbuf_release(&cl->subject);
	memset(cl, 0, sizeof *cl);
}

const char *classifier_version(const struct classifier *cl)
{
	return cl && cl->model ? cl->model->version : CLASSIFIER_MODEL;
}

/* The best keyword score among the categories the model does not know. */
static int untrained_best(const struct model *m, const double *kw)
{
	int best = -1;

	for (int i = 0; i < NCAT; i++) {
		int known = 0;

		for (int c = 0; c < m->nclasses; c++)
			known |= !strcmp(m->classes[c], classifier_categories[i]);
		if (!known && (best < 0 || kw[i] > kw[best]))
			best = i;
	}
	return best;
}

static void top_from_model(const struct model *m, const struct model_result *r, json_t *top)
{
	int used[MODEL_MAX_CLASSES] = { 0 };

	for (int k = 0; k < 3 && k < m->nclasses; k++) {
		int best = -1;

		for (int c = 0; c < m->nclasses; c++)
			if (!used[c] && (best < 0 || r->prob[c] > r->prob[best]))
				best = c;
		used[best] = 1;
		if (json_array_size(top) < 3)
			json_array_append_new(top, json_pack("{s:s, s:f}", "category",
					      m->classes[best], "score", r->prob[best]));
	}
}

/* The model's say, combined with the keyword scores kw (all categories). */
static void decide_with_model(struct classifier *cl, const double *kw,
			      struct classifier_text *out)
{
	const struct model *m = cl->model;
	struct model_result r;
	int u = untrained_best(m, kw);
	double mk; /* the keyword score of the model's best category */

	if (model_predict(m, cl->ws, cl->text.buf, &r))
		r.claim = r.prob[r.best = 0] = 0; /* no known feature at all */
	json_array_clear(out->top);
	mk = kw[category_index(m->classes[r.best])];
	if (u >= 0 && kw[u] >= CLASSIFIER_KEYWORD_STRONG && kw[u] > mk) {
		out->category = classifier_categories[u];
		out->confidence = kw[u] / (kw[u] + 3.0);
		json_array_append_new(out->top, json_pack("{s:s, s:f}", "category",
				      out->category, "score", out->confidence));
	} else if (r.claim < CLASSIFIER_OTHER_BELOW && mk < 3 && (u < 0 || kw[u] < 3)) {
		/* no class claims it and no keyword backs the model's guess */
		out->category = "other";
		out->confidence = 1.0 - r.claim;
		json_array_append_new(out->top, json_pack("{s:s, s:f}", "category", "other",
				      "score", out->confidence));
	} else {
		out->category = classifier_categories[category_index(m->classes[r.best])];
		out->confidence = r.prob[r.best];
	}
	top_from_model(m, &r, out->top);
	for (int k = r.nkeywords - 1; k >= 0; k--) /* the model's strongest first */
		json_array_insert_new(out->keywords, 0, json_string(r.keywords[k]));
	while (json_array_size(out->keywords) > 12)
		json_array_remove(out->keywords, json_array_size(out->keywords) - 1);
}

void classifier_text(struct classifier *cl, const char *subject, const char *content,
		     const char *hint, struct classifier_text *out)
{
	double score[NCAT] = { 0 };
	const char *raw = content ? content : "";
	struct hits hits;
	int h = category_index(hint);

	memset(out, 0, sizeof *out);
	subject = subject ? subject : "";
	content = raw;
	if (cl) {
		/* the tables and the model see the normal form: simplified, no
		 * punctuation or spaces; text = subject followed by content */
		sbuf_reset(&cl->text);
		normalizer_apply(cl->nz, subject, strlen(subject), &cl->text);
		sbuf_reset(&cl->subject);
		sbuf_add(&cl->subject, cl->text.buf, cl->text.len);
		normalizer_apply(cl->nz, raw, strlen(raw), &cl->text);
		subject = cl->subject.buf;
		content = cl->text.buf + cl->subject.len;
	}
	find_words(cl ? cl->kw : NULL, subject, content, &hits);
	out->keywords = score_categories(&hits, score);
	if (h >= 0)
		score[h] += 2; /* upstream's hint counts as one good keyword */
	rank(score, out);
	if (cl && cl->model)
		decide_with_model(cl, score, out);
	out->model = classifier_version(cl);
	out->low_confidence = cl && out->confidence < cl->low_confidence;
	emotion(&hits, raw, out);
}

void classifier_text_release(struct classifier_text *t)
{
	json_decref(t->top);
	json_decref(t->keywords);
	json_decref(t->danger);
	memset(t, 0, sizeof *t);
}

static void add_reason(json_t *reasons, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_reason(json_t *reasons, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

void classifier_risk_default(struct classifier_risk *r)
{
	r->a_intensity = 80;
	r->b_intensity = 60;
	r->b_repeat = 3;
}

/* Risk A (特别重大), B (重大) or C (一般), with the reasons that decided it. */
static json_t *risk(const struct classifier_text *t, const struct classifier_history *h,
		    long co_signers, const struct classifier_risk *r)
{
	json_t *reasons = json_array();
	const char *level = "C";
	size_t i;
	json_t *w;

	json_array_foreach(t->danger, i, w)
		add_reason(reasons, "扬言极端行为: %s", json_string_value(w));
	if (co_signers >= 50)
		add_reason(reasons, "大规模集体访: %ld 人联名", co_signers);
	if (t->intensity >= r->a_intensity)
		add_reason(reasons, "情绪极端: 强度 %d", t->intensity);
	if (json_array_size(reasons))
		level = "A";
	if (co_signers >= 5 && co_signers < 50)
		add_reason(reasons, "集体访: %ld 人联名", co_signers);
	if (h->repeat_count >= r->b_repeat)
		add_reason(reasons, "重复信访: 此前同一事项 %d 次", h->repeat_count);
	if (t->intensity >= r->b_intensity && t->intensity < r->a_intensity)
		add_reason(reasons, "情绪激烈: 强度 %d", t->intensity);
	if (h->cluster_id)
		add_reason(reasons, "cluster: 同一地区同类诉求聚集 %s", h->cluster_id);
	if (*level == 'C' && json_array_size(reasons))
		level = "B";
	/* not a risk by itself: a hint for triage rules */
	if (t->low_confidence)
		add_reason(reasons, "low_confidence: 分类置信度 %.2f", t->confidence);
	return json_pack("{s:s, s:o}", "level", level, "reasons", reasons);
}

json_t *classifier_build(json_t *petition, const struct classifier_text *t,
			 const struct classifier_history *h, const struct classifier_risk *r)
{
	struct classifier_risk defaults;
	json_t *co = json_object_get(petition, "co_signers");
	long co_signers = json_is_integer(co) ? (long)json_integer_value(co) : 1;
	json_t *empty = json_array(), *c;

	if (!r) {
		classifier_risk_default(&defaults);
		r = &defaults;
	}

	c = json_pack("{s:s, s:f, s:O, s:{s:i}, s:o, s:{s:i, s:O}, s:b, s:s?, s:O, s:s}",
			 "category", t->category, "confidence", t->confidence,
			 "top", t->top, "emotion", "intensity", t->intensity,
			 "risk", risk(t, h, co_signers, r),
			 "repeat", "count", h->repeat_count, "related",
			 h->related ? h->related : empty,
			 "collective", co_signers >= 5, "cluster_id", h->cluster_id,
			 "keywords", t->keywords, "model", t->model ? t->model : CLASSIFIER_MODEL);
	json_decref(empty);
	return c;
}

/* Appends the characters of s that keep() accepts, upper-cased; returns how many. */
static size_t append_kept(struct sbuf *sb, const char *s, int (*keep)(int))
{
	size_t n = 0;

	for (; s && *s; s++)
		if (keep((unsigned char)*s)) {
			sbuf_addch(sb, (char)toupper((unsigned char)*s));
			n++;
		}
	return n;
}

int classifier_petitioner_key(json_t *petition, const char *key, char out[65])
{
	json_t *who = json_object_get(petition, "petitioner");
	const char *id = json_string_value(json_object_get(who, "id_number"));
	const char *phone = json_string_value(json_object_get(who, "phone"));
	struct sbuf norm = SBUF_INIT;
	size_t n = 0;

	if (json_is_true(json_object_get(who, "anonymous")))
		return -1;
	/* an id number of 15 or 18 characters, else a phone of 7 digits or more:
	 * anything shorter is junk that would join strangers together */
	sbuf_adds(&norm, "id:");
	if ((n = append_kept(&norm, id, isalnum)) < 15) {
		sbuf_reset(&norm);
		sbuf_adds(&norm, "phone:");
		n = append_kept(&norm, phone, isdigit) >= 7 ? 1 : 0;
	}
	if (n)
		hmac_sha256_hex(key, norm.buf, norm.len, out);
	sbuf_release(&norm);
	return n ? 0 : -1;
}
