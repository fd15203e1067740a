/*
 * corpus.h - labelled petitions for training and judging the category
 * model: loading JSON lines, evaluation (accuracy, macro-F1, per-class
 * precision/recall/F1, confusion matrix) and stratified k-fold
 * cross-validation.
 */
#ifndef XF_CLASSIFY_CORPUS_H
#define XF_CLASSIFY_CORPUS_H

#include <stdio.h>

#include "classify/model_train.h"
#include "classify/normalize.h"

/*
 * Appends the JSON lines of path ({"text": ..., "label": ...}; the label a
 * taxonomy code or its Chinese name) to c, normalised by nz. A corpus that
 * already has classes keeps them (a label it lacks is an error); otherwise
 * the classes are the taxonomy codes present, in taxonomy order.
 * Returns 0, or -1 with err naming the line.
 */
int corpus_load(struct corpus *c, const char *path, const struct normalizer *nz, struct sbuf *err);
/* The taxonomy code of a label (code or Chinese name), or NULL. */
const char *corpus_label_code(const char *label);

struct eval {
	int nclasses;
	/* 1: column nclasses counts documents given a category that is none of
	 * the classes (the whole classifier's other and untrained categories):
	 * a miss for their class, a prediction for none */
	int elsewhere;
	long confusion[MODEL_MAX_CLASSES][MODEL_MAX_CLASSES]; /* [truth][predicted] */
	long n;
	double predict_ms; /* time spent in model_predict */
};

void eval_add(struct eval *e, int truth, int predicted);
double eval_accuracy(const struct eval *e);
double eval_macro_f1(const struct eval *e);
/* Per-class precision, recall and F1 of class c. */
void eval_class(const struct eval *e, int c, double *p, double *r, double *f1);
/* The bootstrap behind eval_print's 95% interval of macro-F1 (split.h). */
#define EVAL_RESAMPLES 1000
#define EVAL_SEED 20261203u
/* Accuracy, macro-F1 with its 95% bootstrap interval, per class, confusion. */
void eval_print(const struct eval *e, char *const *classes, FILE *out);

/* Predicts every document of c (where use[i], or all) with m into e. */
void eval_model(const struct model *m, const struct corpus *c, const unsigned char *use,
		struct eval *e);
/* Stratified k-fold cross-validation (seeded, so repeatable) into e. */
int corpus_cv(const struct corpus *c, int k, const struct train_opts *o, struct eval *e,
	      struct sbuf *err);
/* The same, each fold's model judged by judge(arg, m, c, test, e) instead of
 * eval_model() (xfctl model cv --whole runs the whole classifier). */
typedef void (*cv_judge_fn)(void *arg, const struct model *m, const struct corpus *c,
			    const unsigned char *test, struct eval *e);
int corpus_cv_judged(const struct corpus *c, int k, const struct train_opts *o, cv_judge_fn judge,
		     void *arg, struct eval *e, struct sbuf *err);

#endif
