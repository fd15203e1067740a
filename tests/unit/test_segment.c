/*
 * Unit tests for services/classify/segment.c. The expected cuts were made
 * once with Debian's python3-jieba 0.42.1, jieba.cut(text, HMM=False) on
 * the normalised text (with jieba.Tokenizer(dictionary=...) for the small
 * dictionaries), and written here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/normalize.h"
#include "classify/segment.h"
#include "sbuf.h"
#include "tharness.h"

/* The committed dictionary (tests run from the repository root). */
#define WORDS_DICT "models/xf-words.dict"

struct cut {
	struct sbuf out; /* the words, joined by spaces */
	unsigned flags;  /* the flags of every word, or'ed */
};

static void on_word(void *arg, const char *word, size_t len, unsigned flags)
{
	struct cut *c = arg;

	if (c->out.len)
		sbuf_addch(&c->out, ' ');
	sbuf_add(&c->out, word, len);
	c->flags |= flags;
}

/* Checks that text[0..len) is cut (with opts) into want (words joined by
 * spaces) and that the count returned is right. */
static void expect_n(const struct segmenter *seg, struct seg_scratch *sc, const char *text,
		     size_t len, unsigned opts, const char *want)
{
	struct cut c = { SBUF_INIT, 0 };
	long n = segment_words(seg, sc, text, len, opts, on_word, &c);
	long words = *want != '\0';

	for (const char *p = want; *p; p++)
		words += *p == ' ';
	if (!T_STREQ(c.out.buf, want))
		fprintf(stderr, "    text: %.*s\n", (int)len, text);
	T_INTEQ(n, words);
	sbuf_release(&c.out);
}

static void expect(const struct segmenter *seg, struct seg_scratch *sc, const char *text,
		   const char *want)
{
	expect_n(seg, sc, text, strlen(text), 0, want);
}

/* A segmenter of the n words and frequencies given, total the sum. */
static struct segmenter *small(const char *const *words, const uint32_t *freqs, size_t n,
			       struct sbuf *file)
{
	struct sbuf err = SBUF_INIT;
	struct segmenter *seg = NULL;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += freqs[i];
	sbuf_reset(file);
	if (T_CHECK(!segment_dict_encode(words, freqs, n, total, file, &err)))
		seg = segmenter_from_buf(file->buf, file->len, &err);
	T_STREQ(err.buf, "");
	sbuf_release(&err);
	return seg;
}

static const char *const tiny_words[] = { "甲乙", "丙", "甲", "乙丙", "丁戊己", "的" };
static const uint32_t tiny_freqs[] = { 2, 3, 3, 2, 5, 9 };
#define TINY 6

/* Equal sums: the path whose first word is longer wins, as in jieba. */
static void t_ties(void)
{
	struct sbuf file = SBUF_INIT;
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct segmenter *seg = small(tiny_words, tiny_freqs, TINY, &file);

	if (!T_CHECK(seg != NULL))
		return;
	T_INTEQ(segmenter_size(seg), TINY);
	expect(seg, &sc, "甲乙丙", "甲乙 丙");
	expect(seg, &sc, "乙丙甲", "乙丙 甲");
	segmenter_free(seg);
	seg_scratch_release(&sc);
	sbuf_release(&file);
}

/* A prefix that is no word is cut into characters; unknown ones stand alone. */
static void t_prefixes(void)
{
	struct sbuf file = SBUF_INIT;
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct segmenter *seg = small(tiny_words, tiny_freqs, TINY, &file);

	if (!T_CHECK(seg != NULL))
		return;
	expect(seg, &sc, "丁戊", "丁 戊");
	expect(seg, &sc, "丁戊己庚", "丁戊己 庚");
	expect(seg, &sc, "", "");
	segmenter_free(seg);
	seg_scratch_release(&sc);
	sbuf_release(&file);
}

/* ASCII runs stay whole; white space and broken UTF-8 end blocks unseen. */
static void t_blocks(void)
{
	struct sbuf file = SBUF_INIT;
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct segmenter *seg = small(tiny_words, tiny_freqs, TINY, &file);

	if (!T_CHECK(seg != NULL))
		return;
	expect(seg, &sc, "ab1甲c 2", "ab1 甲 c 2");
	expect(seg, &sc, "甲x乙 丙", "甲 x 乙 丙");
	expect(seg, &sc, "甲\xff乙\xe4\xb8丙", "甲 乙 丙");
	expect(seg, &sc, "甲乙\t\r\n丙\xe3\x80\x80", "甲乙 丙");
	segmenter_free(seg);
	seg_scratch_release(&sc);
	sbuf_release(&file);
}

/* Stop words are flagged, and left out on demand. */
static void t_stop_flags(void)
{
	struct sbuf file = SBUF_INIT;
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct segmenter *seg = small(tiny_words, tiny_freqs, TINY, &file);
	struct cut c = { SBUF_INIT, 0 };

	if (!T_CHECK(seg != NULL))
		return;
	segment_words(seg, &sc, "的", strlen("的"), 0, on_word, &c);
	T_INTEQ(c.flags, SEG_DICT | SEG_STOP);
	c.flags = 0;
	segment_words(seg, &sc, "庚ab", strlen("庚ab"), 0, on_word, &c);
	T_INTEQ(c.flags, 0);
	expect_n(seg, &sc, "甲乙的丙", strlen("甲乙的丙"), SEG_SKIP_STOP, "甲乙 丙");
	sbuf_release(&c.out);
	segmenter_free(seg);
	seg_scratch_release(&sc);
	sbuf_release(&file);
}

/* A copy of file with byte at set to v (or one byte more if at is its
 * length) is refused as malformed. */
static void refused_with(const struct sbuf *file, size_t at, unsigned char v)
{
	struct sbuf bad = SBUF_INIT, err = SBUF_INIT;
	struct segmenter *seg;

	sbuf_add(&bad, file->buf, file->len);
	if (at == file->len)
		sbuf_addch(&bad, (char)v);
	else
		bad.buf[at] = (char)v;
	seg = segmenter_from_buf(bad.buf, bad.len, &err);
	if (!T_CHECK(seg == NULL))
		fprintf(stderr, "    byte %zu set to 0x%02X\n", at, v);
	T_CHECK(strstr(err.buf, "malformed dictionary") != NULL);
	segmenter_free(seg);
	sbuf_release(&bad);
	sbuf_release(&err);
}

/* Every truncation and a few corruptions of a good file are refused. */
static void t_malformed(void)
{
	struct sbuf file = SBUF_INIT;
	struct segmenter *seg = small(tiny_words, tiny_freqs, TINY, &file);
	const char *const dup[] = { "甲", "甲" }, *const bad[] = { "\xff" };
	const uint32_t freqs[] = { 1, 1 };
	size_t refused = 0;

	if (!T_CHECK(seg != NULL))
		return;
	segmenter_free(seg);
	for (size_t len = 0; len < file.len; len++) {
		seg = segmenter_from_buf(file.buf, len, NULL);
		refused += seg == NULL;
		segmenter_free(seg);
	}
	T_INTEQ(refused, file.len);
	/* header 24 bytes; 丁戊己 (shared 0, 9 bytes, freq 5), then 丙 (shared 2) */
	T_INTEQ((unsigned char)file.buf[36], 2);
	refused_with(&file, 38, 0x80);    /* 丙 -> 一, before 丁: not sorted */
	refused_with(&file, 26, 0xFF);    /* not UTF-8 */
	refused_with(&file, 12, 1);       /* too few trie nodes */
	refused_with(&file, file.len, 0); /* trailing bytes */
	T_CHECK(segmenter_from_buf("XFSEG2\n", 8, NULL) == NULL);
	T_CHECK(segmenter_load("/nonexistent/xf-words.dict", NULL) == NULL);
	sbuf_reset(&file);
	T_CHECK(segment_dict_encode(dup, freqs, 2, 2, &file, NULL) == -1);
	T_CHECK(segment_dict_encode(bad, freqs, 1, 2, &file, NULL) == -1);
	T_CHECK(segment_dict_encode(dup, freqs, 1, 0, &file, NULL) == -1);
	T_INTEQ(file.len, 0);
	sbuf_release(&file);
}

/* Raw and normalised sentences cut with the committed dictionary, as jieba
 * cuts them (left of the tab the text, right jieba's words). */
static const char *const sentences[][2] = {
	{ "我們小區的自來水有霉味，請儘快處理！", "我们 小区 的 自来水 有 霉味 请 尽快 处理" },
	{ "A1区华庭小区高层二次供水楼顶水箱长年不洗",
	  "a1 区 华 庭 小区 高层 二次 供水 楼顶 水箱 长年 不 洗" },
	{ "２０１９年８月份起每天晚上停水，白天水压很小",
	  "2019 年 8 月份 起 每天晚上 停水 白天 水压 很小" },
	{ "长沙市岳麓区麓谷街道某某科技有限公司拖欠工资3个月共计12000元",
	  "长沙市 岳麓区 麓 谷 街道 某某 科技 有限公司 拖欠工资 3 个 月 共计 12000 元" },
	{ "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
	  "小 明 硕士 毕业 于 中国科学院 计算所 后 在 日本京都大学 深造" },
	{ "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
	  "工信处 女干事 每月 经过 下属 科室 都 要 亲口 交代 24 口 交换机 等 技术性 器件 的 "
	  "安装 工作" },
};

static struct segmenter *load_words(void)
{
	struct sbuf err = SBUF_INIT;
	struct segmenter *seg = segmenter_load(WORDS_DICT, &err);

	T_STREQ(err.buf, "");
	sbuf_release(&err);
	return seg;
}

static void t_jieba_sentences(void)
{
	struct normalizer *nz = normalizer_new(NULL);
	struct segmenter *seg = load_words();
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct sbuf norm = SBUF_INIT;

	if (!T_CHECK(nz && seg))
		return;
	T_INTEQ(segmenter_size(seg), 347436);
	for (size_t i = 0; i < sizeof sentences / sizeof *sentences; i++) {
		sbuf_reset(&norm);
		normalizer_apply(nz, sentences[i][0], strlen(sentences[i][0]), &norm);
		expect(seg, &sc, norm.buf, sentences[i][1]);
	}
	/* not normalised: jieba's own blocks, white space left out */
	expect(seg, &sc, "价格3.5%上涨 ，の世界αβ\t测试", "价格 3 . 5 % 上涨 ， の 世界 α β 测试");
	seg_scratch_release(&sc);
	sbuf_release(&norm);
	segmenter_free(seg);
	normalizer_free(nz);
}

/* Without stop words, a raw sentence looks like the pre-tokenised data. */
static void t_skip_stop(void)
{
	struct segmenter *seg = load_words();
	struct seg_scratch sc = SEG_SCRATCH_INIT;

	if (!T_CHECK(seg != NULL))
		return;
	expect_n(seg, &sc, "我们小区的自来水有霉味请尽快处理",
		 strlen("我们小区的自来水有霉味请尽快处理"), SEG_SKIP_STOP,
		 "小区 自来水 霉味 请 尽快 处理");
	expect_n(seg, &sc, "长沙市岳麓区麓谷街道某某科技有限公司拖欠工资3个月共计12000元",
		 strlen("长沙市岳麓区麓谷街道某某科技有限公司拖欠工资3个月共计12000元"),
		 SEG_SKIP_STOP,
		 "长沙市 岳麓区 麓 谷 街道 某某 科技 有限公司 拖欠工资 3 月 共计 12000 元");
	seg_scratch_release(&sc);
	segmenter_free(seg);
}

/* The scratch grows for a long text and serves a short one after it. */
static void t_scratch_reuse(void)
{
	struct segmenter *seg = load_words();
	struct seg_scratch sc = SEG_SCRATCH_INIT;
	struct sbuf text = SBUF_INIT, want = SBUF_INIT;

	if (!T_CHECK(seg != NULL))
		return;
	for (int i = 0; i < 2000; i++) {
		sbuf_adds(&text, "自来水霉味");
		sbuf_adds(&want, i ? " 自来水 霉味" : "自来水 霉味");
	}
	expect(seg, &sc, text.buf, want.buf);
	T_CHECK(sc.cap > text.len);
	expect(seg, &sc, "清华大学", "清华大学");
	seg_scratch_release(&sc);
	sbuf_release(&text);
	sbuf_release(&want);
	segmenter_free(seg);
}

/* clang-format off */
T_SUITE(segment,
	{ "ties", t_ties },
	{ "prefixes", t_prefixes },
	{ "blocks", t_blocks },
	{ "stop_flags", t_stop_flags },
	{ "malformed", t_malformed },
	{ "jieba_sentences", t_jieba_sentences },
	{ "skip_stop", t_skip_stop },
	{ "scratch_reuse", t_scratch_reuse })
/* clang-format on */
