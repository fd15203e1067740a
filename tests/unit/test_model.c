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

#include "classify/corpus.h"
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

static struct model *small_model(struct corpus *c)
{
	struct train_opts o;
	struct sbuf err = SBUF_INIT;
	struct model *m;

	train_opts_default(&o);
	o.bucket_bits = 14;
	o.min_df = 1;
	make_corpus(c);
	m = model_train(c, NULL, &o, &err);
	T_CHECK(m != NULL);
	sbuf_release(&err);
	return m;
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

static void t_cv(void)
{
	struct corpus c;
	struct train_opts o;
	struct sbuf err = SBUF_INIT;
	struct eval e;

	make_corpus(&c);
	train_opts_default(&o);
	o.bucket_bits = 14;
	o.min_df = 1;
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

/* clang-format off */
T_SUITE(model, { "train_predict", t_train_predict }, { "deterministic", t_deterministic },
	{ "save_load_round_trip", t_save_load }, { "eval_math", t_eval_math },
	{ "cross_validation", t_cv }, { "labels", t_labels }, { "load_jsonl", t_load_jsonl })
/* clang-format on */
