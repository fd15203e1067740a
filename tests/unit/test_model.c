/*
 * test_model.c - the category model on a small corpus made here: training,
 * prediction, determinism, save/load round trip, evaluation arithmetic,
 * stratified cross-validation, loading labelled JSON lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "classify/classifier.h"
#include "classify/corpus.h"
#include "classify/model_impl.h"
#include "classify/split.h"
#include "tharness.h"

static const char *const texts[][2] = {
	{ "labor_social_security", "公司拖欠工资三个月讨薪无果" },
	{ "labor_social_security", "工厂欠薪不发工资社保没交" },
	{ "labor_social_security", "单位辞退员工不给经济补偿社保断缴" },
	{ "labor_social_security", "农民工工资被包工头拖欠" },
	{ "environment", "工厂排放废气刺鼻异味污染" },
	{ "environment", "夜间施工噪音扰民严重" },
	{ "environment", "河道被排污水质发黑发臭" },
	{ "environment", "餐馆油烟直排异味扰民" },
	{ "transport", "公交车绕行站台取消出行不便" },
	{ "transport", "出租车拒载绕路乱收费" },
	{ "transport", "路口红绿灯损坏交通拥堵" },
	{ "transport", "客运班车超载乘客安全" },
};
#define NT (sizeof texts / sizeof texts[0])

static void make_corpus(struct corpus *c)
{
	static const char *const classes[] = { "labor_social_security", "environment",
					       "transport" };

	memset(c, 0, sizeof *c);
	c->nclasses = 3;
	for (int k = 0; k < 3; k++)
		c->classes[k] = strdup(classes[k]);
	c->alloc = NT;
	c->text = calloc(NT, sizeof *c->text);
	c->label = calloc(NT, sizeof *c->label);
	for (size_t i = 0; i < NT; i++) {
		c->text[c->n] = strdup(texts[i][1]);
		for (int k = 0; k < 3; k++)
			if (!strcmp(classes[k], texts[i][0]))
				c->label[c->n] = k;
		c->n++;
	}
}

/* The small test settings (2^14 buckets, min_df 1) in o. */
static void small_opts(struct train_opts *o)
{
	train_opts_default(o);
	o->bucket_bits = 14;
	o->min_df = 1;
}

/* A model of the small corpus, made into c, with o. */
static struct model *train_small(struct corpus *c, const struct train_opts *o)
{
	struct sbuf err = SBUF_INIT;
	struct model *m;

	make_corpus(c);
	m = model_train(c, NULL, o, &err);
	T_CHECK(m != NULL);
	sbuf_release(&err);
	return m;
}

static struct model *small_model(struct corpus *c)
{
	struct train_opts o;

	small_opts(&o);
	return train_small(c, &o);
}

static int predict(const struct model *m, const char *text, struct model_result *r)
{
	struct model_ws *ws = model_ws_new();
	int rc = model_predict(m, ws, text, r);

	model_ws_free(ws);
	return rc;
}

static void t_train_predict(void)
{
	struct corpus c;
	struct model *m = small_model(&c);
	struct model_result r;
	double sum = 0;

	if (!m)
		return;
	T_INTEQ(predict(m, "老板拖欠工资不发", &r), 0);
	T_STREQ(m->classes[r.best], "labor_social_security");
	for (int k = 0; k < m->nclasses; k++)
		sum += r.prob[k];
	T_CHECK(fabs(sum - 1.0) < 1e-9);
	T_CHECK(r.nkeywords >= 1);
	T_INTEQ(predict(m, "工厂排放废气", &r), 0);
	T_STREQ(m->classes[r.best], "environment");
	T_INTEQ(predict(m, "公交站台", &r), 0);
	T_STREQ(m->classes[r.best], "transport");
	T_INTEQ(predict(m, "zzzz", &r), -1); /* no known feature */
	model_free(m);
	corpus_release(&c);
}

static void t_deterministic(void)
{
	struct corpus c1, c2;
	struct model *a = small_model(&c1), *b = small_model(&c2);

	if (a && b) {
		T_CHECK(memcmp(a->bias, b->bias, sizeof a->bias) == 0);
		T_CHECK(memcmp(a->rows, b->rows,
			       (size_t)a->nbuckets * (size_t)a->stride * sizeof(float)) == 0);
	}
	model_free(a);
	model_free(b);
	corpus_release(&c1);
	corpus_release(&c2);
}

static void t_save_load(void)
{
	struct corpus c;
	struct model *m = small_model(&c), *l;
	struct sbuf err = SBUF_INIT;
	char path[64];

	if (!m)
		return;
	snprintf(m->version, sizeof m->version, "test-1");
	snprintf(path, sizeof path, "/tmp/xf-model-%d.bin", (int)getpid());
	T_INTEQ(model_save(m, path, NULL, &err), 0);
	l = model_load(path, &err);
	if (T_CHECK(l != NULL)) {
		T_STREQ(l->version, "test-1");
		T_INTEQ(l->nclasses, 3);
		T_INTEQ(l->nfeatures, m->nfeatures);
		for (size_t i = 0; i < NT; i++) {
			struct model_result r1, r2;

			predict(m, texts[i][1], &r1);
			predict(l, texts[i][1], &r2);
			T_INTEQ(r1.best, r2.best);
			T_CHECK(memcmp(r1.prob, r2.prob, sizeof r1.prob) == 0);
		}
		/* the prediction table is rebuilt bit for bit from the file */
		T_CHECK(memcmp(l->packed, m->packed, (size_t)m->nbuckets * (size_t)m->pstride) ==
			0);
		T_CHECK(memcmp(l->idf_level, m->idf_level, sizeof m->idf_level) == 0);
		/* a loaded model has no training form to save from */
		T_CHECK(l->rows == NULL);
		T_CHECK(model_save(l, path, NULL, &err) == -1 && err.len > 0);
	}
	truncate(path, 200);
	sbuf_reset(&err);
	T_CHECK(model_load(path, &err) == NULL && err.len > 0);
	unlink(path);
	sbuf_reset(&err);
	T_CHECK(model_load("/nonexistent/model", &err) == NULL && err.len > 0);
	model_free(l);
	model_free(m);
	corpus_release(&c);
	sbuf_release(&err);
}

static void t_eval_math(void)
{
	struct eval e = { 0 };
	double p, r, f1;

	e.nclasses = 2;
	eval_add(&e, 0, 0), eval_add(&e, 0, 0), eval_add(&e, 0, 1);
	eval_add(&e, 1, 1), eval_add(&e, 1, 0);
	T_CHECK(fabs(eval_accuracy(&e) - 0.6) < 1e-12);
	eval_class(&e, 0, &p, &r, &f1);
	T_CHECK(fabs(p - 2.0 / 3) < 1e-12 && fabs(r - 2.0 / 3) < 1e-12);
	eval_class(&e, 1, &p, &r, &f1);
	T_CHECK(fabs(p - 0.5) < 1e-12 && fabs(r - 0.5) < 1e-12 && fabs(f1 - 0.5) < 1e-12);
	T_CHECK(fabs(eval_macro_f1(&e) - (2.0 / 3 + 0.5) / 2) < 1e-12);
}

/* With the elsewhere column, a document given a category that is none of
 * the classes is a miss for its class and a prediction for none. */
static void t_eval_elsewhere(void)
{
	struct eval e = { 0 };
	double p, r, f1, lo, hi;

	e.nclasses = 2;
	e.elsewhere = 1;
	eval_add(&e, 0, 0), eval_add(&e, 0, 2), eval_add(&e, 1, 1), eval_add(&e, 1, 1);
	T_CHECK(fabs(eval_accuracy(&e) - 0.75) < 1e-12);
	eval_class(&e, 0, &p, &r, &f1);
	T_CHECK(fabs(p - 1) < 1e-12 && fabs(r - 0.5) < 1e-12);
	eval_class(&e, 1, &p, &r, &f1);
	T_CHECK(fabs(f1 - 1) < 1e-12);
	eval_bootstrap(&e, 200, 7, &lo, &hi); /* resamples keep the column */
	T_CHECK(lo < hi && hi <= 1.0);
}

/* What xf-classify decides with a model: the model's class for a long text
 * it barely claims, "other" for a short one, and a category it does not
 * know only when that category's keyword confidence beats its claim. */
static void t_whole_decision(void)
{
	struct corpus c;
	struct model *m = small_model(&c);
	struct classifier cl;
	struct classifier_text t;
	struct model_result r;
	struct sbuf err = SBUF_INIT;
	/* 36 characters the model has never seen, but 工资 */
	const char *vague = "我们这里的情况一直都是这样请领导关心一下看看到底怎么回事工资呢谢谢您",
		   *brief = "请领导关心一下到底怎么样不行呢";
	/* 拆迁 4 + 强拆 4 + 补偿款 3: confidence 11 / 14 */
	const char *sure = "公司拖欠工资三个月讨薪无果工资社保没交拖欠工资拆迁强拆补偿款",
		   *unsure = "我们这里拆迁强拆补偿款一直都是这样请领导关心一下工资";

	T_INTEQ(classifier_init(&cl, NULL, &err), 0);
	T_INTEQ(classifier_use_model(&cl, m, &err), 0);
	T_INTEQ(predict(m, vague, &r), 0);
	T_CHECK(r.claim < CLASSIFIER_OTHER_BELOW); /* the case is the one meant */
	classifier_text(&cl, "", vague, NULL, &t);
	T_CHECK(strcmp(t.category, "other") != 0);
	classifier_text_release(&t);
	T_INTEQ(predict(m, brief, &r), 0);
	T_CHECK(r.claim < CLASSIFIER_OTHER_BELOW);
	classifier_text(&cl, "", brief, NULL, &t);
	T_STREQ(t.category, "other");
	classifier_text_release(&t);

	T_INTEQ(predict(m, sure, &r), 0);
	T_CHECK(r.claim > 11.0 / 14);
	classifier_text(&cl, "", sure, NULL, &t);
	T_STREQ(t.category, "labor_social_security");
	classifier_text_release(&t);
	T_INTEQ(predict(m, unsure, &r), 0);
	T_CHECK(r.claim < 11.0 / 14);
	classifier_text(&cl, "", unsure, NULL, &t);
	T_STREQ(t.category, "land_acquisition");
	classifier_text_release(&t);
	cl.keyword_strong = 12; /* the threshold holds too */
	classifier_text(&cl, "", unsure, NULL, &t);
	T_CHECK(strcmp(t.category, "land_acquisition") != 0);
	classifier_text_release(&t);

	classifier_release(&cl);
	model_free(m);
	corpus_release(&c);
	sbuf_release(&err);
}

static void t_cv(void)
{
	struct corpus c;
	struct train_opts o;
	struct sbuf err = SBUF_INIT;
	struct eval e;

	make_corpus(&c);
	small_opts(&o);
	T_INTEQ(corpus_cv(&c, 4, &o, &e, &err), 0);
	T_INTEQ(e.n, NT); /* every document judged exactly once */
	T_CHECK(eval_accuracy(&e) > 0.5);
	corpus_release(&c);
	sbuf_release(&err);
}

static void t_labels(void)
{
	T_STREQ(corpus_label_code("劳动和社会保障"), "labor_social_security");
	T_STREQ(corpus_label_code("城乡建设"), "urban_construction");
	T_STREQ(corpus_label_code("transport"), "transport");
	T_CHECK(corpus_label_code("无此类") == NULL);
	T_CHECK(corpus_label_code(NULL) == NULL);
}

static void t_load_jsonl(void)
{
	struct sbuf err = SBUF_INIT;
	struct normalizer *nz = normalizer_new(&err);
	struct corpus c = { 0 };
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/tmp/xf-corpus-%d.jsonl", (int)getpid());
	f = fopen(path, "w");
	fputs("{\"text\": \"公交 车 绕行\", \"label\": \"交通运输\"}\n"
	      "{\"text\": \"欠薪！\", \"label\": \"labor_social_security\"}\n",
	      f);
	fclose(f);
	if (T_CHECK(nz != NULL) && T_INTEQ(corpus_load(&c, path, nz, &err), 0)) {
		T_INTEQ(c.n, 2);
		T_INTEQ(c.nclasses, 2);
		T_STREQ(c.classes[0], "transport"); /* taxonomy order */
		T_STREQ(c.text[0], "公交车绕行");   /* normalised */
		T_STREQ(c.text[1], "欠薪");
	}
	f = fopen(path, "a");
	fputs("{\"text\": \"x\", \"label\": \"nope\"}\n", f);
	fclose(f);
	corpus_release(&c);
	sbuf_reset(&err);
	T_INTEQ(corpus_load(&c, path, nz, &err), -1);
	T_CHECK(strstr(err.buf, ":3:") != NULL);
	corpus_release(&c);
	normalizer_free(nz);
	unlink(path);
	sbuf_release(&err);
}

/* 3 classes of 10, 20 and 5 documents; ids "d0".."d34". */
static void split_input(char ids[35][8], const char *idp[35], int label[35])
{
	for (int i = 0; i < 35; i++) {
		snprintf(ids[i], sizeof ids[i], "d%d", i);
		idp[i] = ids[i];
		label[i] = i < 10 ? 0 : i < 30 ? 1 : 2;
	}
}

static void t_split(void)
{
	char ids[35][8];
	const char *idp[35], *rev[35];
	int label[35], rlabel[35], held[3] = { 0 };
	unsigned char test[35], again[35], rtest[35], other[35];

	split_input(ids, idp, label);
	T_INTEQ(split_stratified(idp, label, 35, 3, 7, 20, test), 2 + 4 + 1);
	for (int i = 0; i < 35; i++)
		held[label[i]] += test[i];
	/* stratified: round(20% of each class) */
	T_INTEQ(held[0], 2);
	T_INTEQ(held[1], 4);
	T_INTEQ(held[2], 1);
	/* deterministic, and independent of the order of the input */
	split_stratified(idp, label, 35, 3, 7, 20, again);
	T_CHECK(memcmp(test, again, sizeof test) == 0);
	for (int i = 0; i < 35; i++)
		rev[i] = idp[34 - i], rlabel[i] = label[34 - i];
	split_stratified(rev, rlabel, 35, 3, 7, 20, rtest);
	for (int i = 0; i < 35; i++)
		T_INTEQ(rtest[34 - i], test[i]);
	/* the seed matters, and the key is fixed: any machine gives the same split */
	split_stratified(idp, label, 35, 3, 8, 20, other);
	T_CHECK(memcmp(test, other, sizeof test) != 0);
	/* the value an independent implementation (a few lines of Python) gives */
	T_CHECK(split_key(20261203, "tc20f-00004") == 0xfd8a56cab786b3a8u);
	T_CHECK(split_key(7, "d1") != split_key(7, "d2"));
	T_CHECK(split_key(7, "d1") != split_key(8, "d1"));
}

static void t_bootstrap(void)
{
	struct eval e = { 0 }, all = { 0 };
	double lo, hi, lo2, hi2, f1;

	/* 20 documents, 2 classes: 8 + 7 right, 5 wrong */
	e.nclasses = all.nclasses = 2;
	for (int i = 0; i < 8; i++)
		eval_add(&e, 0, 0);
	for (int i = 0; i < 7; i++)
		eval_add(&e, 1, 1);
	for (int i = 0; i < 3; i++)
		eval_add(&e, 0, 1);
	for (int i = 0; i < 2; i++)
		eval_add(&e, 1, 0);
	f1 = eval_macro_f1(&e);
	eval_bootstrap(&e, 1000, 1, &lo, &hi);
	T_CHECK(lo < f1 && f1 < hi);
	T_CHECK(lo > 0.3 && hi < 1.0); /* 20 documents: a wide interval, not the point */
	T_CHECK(hi - lo > 0.2);
	eval_bootstrap(&e, 1000, 1, &lo2, &hi2);
	T_CHECK(lo == lo2 && hi == hi2); /* a fixed seed, the same interval */
	/* more of the same evidence narrows it */
	for (int rep = 0; rep < 50; rep++)
		for (int t = 0; t < 2; t++)
			for (int p = 0; p < 2; p++)
				for (long j = 0; j < e.confusion[t][p]; j++)
					eval_add(&all, t, p);
	eval_bootstrap(&all, 1000, 1, &lo2, &hi2);
	T_CHECK(hi2 - lo2 < (hi - lo) / 4);
	T_CHECK(lo2 < f1 && f1 < hi2);
	/* all right: no doubt */
	memset(&e, 0, sizeof e);
	e.nclasses = 2;
	eval_add(&e, 0, 0), eval_add(&e, 1, 1), eval_add(&e, 1, 1);
	eval_bootstrap(&e, 200, 1, &lo, &hi);
	T_CHECK(hi == 1.0 && lo <= 1.0);
}

/* The other training options: NB scaling, the ensemble and the tf factors
 * still learn the small corpus, and the tf factor survives the file. */
static void t_train_options(void)
{
	struct train_opts o;
	struct corpus c;
	struct sbuf err = SBUF_INIT;
	struct model_result r;
	char path[64];

	make_corpus(&c);
	small_opts(&o);
	o.balanced = 1;
	for (int v = 0; v < 5; v++) {
		struct model *m, *l;

		o.nb = v == 0 ? 1 : v == 4 ? 2 : 0; /* NB, plain, the ensemble */
		o.tf = v == 2 ? MODEL_TF_RAW : v == 3 ? MODEL_TF_BINARY : MODEL_TF_LOG;
		if (!T_CHECK((m = model_train(&c, NULL, &o, &err)) != NULL))
			continue;
		T_INTEQ(predict(m, "老板拖欠工资不发", &r), 0);
		T_STREQ(m->classes[r.best], "labor_social_security");
		T_INTEQ(predict(m, "河道排污", &r), 0);
		T_STREQ(m->classes[r.best], "environment");
		snprintf(path, sizeof path, "/tmp/xf-model-opt-%d.bin", (int)getpid());
		T_INTEQ(model_save(m, path, NULL, &err), 0);
		if (T_CHECK((l = model_load(path, &err)) != NULL))
			T_INTEQ(l->tf, o.tf);
		unlink(path);
		model_free(l);
		model_free(m);
	}
	corpus_release(&c);
	sbuf_release(&err);
}

/* A small dictionary for the word tests, written to dir/xf-words.dict:
 * content words of the corpus above and stop words (的, 了, 我们, 在). */
static int write_small_dict(const char *dir)
{
	static const char *const words[] = { "公司", "拖欠",   "工资", "讨薪", "无果",   "工厂",
					     "欠薪", "社保",   "排放", "废气", "污染",   "噪音",
					     "扰民", "公交车", "绕行", "站台", "出租车", "拒载",
					     "的",   "了",     "我们", "在" };
	uint32_t freqs[sizeof words / sizeof *words];
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	char path[128];
	FILE *f;
	int rc;

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		freqs[i] = 1000;
	rc = segment_dict_encode(words, freqs, sizeof words / sizeof *words, 100000, &out, &err);
	snprintf(path, sizeof path, "%s/xf-words.dict", dir);
	if (!rc && (f = fopen(path, "wb"))) {
		rc = fwrite(out.buf, 1, out.len, f) == out.len ? 0 : -1;
		rc |= fclose(f);
	} else {
		rc = -1;
	}
	sbuf_release(&out);
	sbuf_release(&err);
	return rc;
}

static void unlink_words_dir(const char *dir)
{
	char path[128];

	snprintf(path, sizeof path, "%s/xf-words.dict", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/m.model", dir);
	unlink(path);
	rmdir(dir);
}

/* A model of the small corpus with stop words left out and word bigrams,
 * its dictionary in dir. */
static struct model *words_model(struct corpus *c, const char *dir)
{
	struct train_opts o;
	char dict[128];

	snprintf(dict, sizeof dict, "%s/xf-words.dict", dir);
	small_opts(&o);
	o.ngram_max = 2;
	o.dict = dict;
	o.stop = 1;
	o.words = 2;
	return train_small(c, &o);
}

/* The features of a normalised copy of text: (bucket, count) pairs into out. */
static size_t features(const struct model *m, const char *text, uint32_t out[][2], size_t max)
{
	struct sbuf err = SBUF_INIT, norm = SBUF_INIT;
	struct normalizer *nz = normalizer_new(&err);
	struct model_ws *ws = model_ws_new();
	size_t n = 0;

	normalizer_apply(nz, text, strlen(text), &norm);
	model_extract(m, ws, norm.buf);
	for (; n < ws->nfeat && n < max; n++)
		out[n][0] = ws->feat[n].bucket, out[n][1] = ws->feat[n].count;
	model_ws_free(ws);
	normalizer_free(nz);
	sbuf_release(&norm);
	sbuf_release(&err);
	return n;
}

/* With stop words left out, raw text (stop words, punctuation, full width)
 * gives the very features of its pre-tokenised form. */
static void t_words_stop_features(void)
{
	char dir[64];
	struct corpus c;
	struct model *m;
	uint32_t a[64][2], b[64][2], d[64][2];
	size_t na, nb, nd;

	snprintf(dir, sizeof dir, "/tmp/xf-model-words-%d", (int)getpid());
	mkdir(dir, 0700);
	if (!T_CHECK(write_small_dict(dir) == 0) || !(m = words_model(&c, dir)))
		return;
	na = features(m, "公司 拖欠 工资 讨薪 无果", a, 64);
	nb = features(m, "我们公司拖欠了工资，在讨薪的！无果。", b, 64);
	T_CHECK(na > 9); /* 1-2-grams of 10 characters, 5 words, 4 pairs, less collisions */
	T_INTEQ(nb, na);
	T_CHECK(nb == na && memcmp(a, b, na * sizeof a[0]) == 0);
	/* a stop word alone, and a character more, which changes them */
	nd = features(m, "公司拖欠的工资讨薪无果", d, 64);
	T_CHECK(nd == na && memcmp(a, d, na * sizeof a[0]) == 0);
	nd = features(m, "公司拖欠工资讨薪无果好", d, 64);
	T_CHECK(nd != na || memcmp(a, d, na * sizeof a[0]) != 0);
	model_free(m);
	corpus_release(&c);
	unlink_words_dir(dir);
}

/* The word options survive the file, the dictionary is found beside the
 * model, and a model whose dictionary is missing does not load. */
static void t_words_save_load(void)
{
	char dir[64], path[128];
	struct corpus c;
	struct model *m, *l;
	struct sbuf err = SBUF_INIT;

	snprintf(dir, sizeof dir, "/tmp/xf-model-wsl-%d", (int)getpid());
	mkdir(dir, 0700);
	if (!T_CHECK(write_small_dict(dir) == 0) || !(m = words_model(&c, dir)))
		return;
	snprintf(path, sizeof path, "%s/m.model", dir);
	T_INTEQ(model_save(m, path, NULL, &err), 0);
	if (T_CHECK((l = model_load(path, &err)) != NULL)) {
		T_STREQ(l->segment, "xf-words.dict");
		T_INTEQ(l->stop, 1);
		T_INTEQ(l->words, 2);
		for (size_t i = 0; i < NT; i++) {
			struct model_result r1, r2;

			predict(m, texts[i][1], &r1);
			predict(l, texts[i][1], &r2);
			T_INTEQ(r1.best, r2.best);
			T_CHECK(memcmp(r1.prob, r2.prob, sizeof r1.prob) == 0);
		}
	}
	model_free(l);
	snprintf(path, sizeof path, "%s/xf-words.dict", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/m.model", dir);
	T_CHECK(model_load(path, &err) == NULL);
	T_CHECK(strstr(err.buf, "cannot load the word dictionary") != NULL);
	T_CHECK(strstr(err.buf, "xf-words.dict") != NULL);
	model_free(m);
	corpus_release(&c);
	unlink_words_dir(dir);
	sbuf_release(&err);
}

/* clang-format off */
T_SUITE(model, { "train_predict", t_train_predict }, { "deterministic", t_deterministic },
	{ "save_load_round_trip", t_save_load }, { "eval_math", t_eval_math },
	{ "cross_validation", t_cv }, { "labels", t_labels }, { "load_jsonl", t_load_jsonl },
	{ "split_stratified_deterministic", t_split }, { "bootstrap_interval", t_bootstrap },
	{ "train_options", t_train_options }, { "eval_elsewhere", t_eval_elsewhere },
	{ "whole_decision", t_whole_decision }, { "words_stop_features", t_words_stop_features },
	{ "words_save_load_round_trip", t_words_save_load })
/* clang-format on */
