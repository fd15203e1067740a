/*
 * model_train.h - training the category model (model.h) with liblinear,
 * and the labelled corpus it learns from. xfctl, the tests and the bench
 * link it; xf-classify does not (it only loads and predicts).
 */
#ifndef XF_CLASSIFY_MODEL_TRAIN_H
#define XF_CLASSIFY_MODEL_TRAIN_H

#include <stddef.h>

#include "classify/model.h"
#include "sbuf.h"

/* A labelled corpus: normalised texts and class indexes into classes[]. */
struct corpus {
	size_t n, alloc;
	char **text;
	int *label;
	int nclasses;
	char *classes[MODEL_MAX_CLASSES];
};

struct train_opts {
	int bucket_bits; /* default 20 */
	int ngram_max;   /* default 3 */
	int min_df;      /* default 2 */
	double C;        /* default 100 */
	int svm;         /* 1: L2-loss linear SVM instead of logistic regression */
	int balanced;    /* 1: weight classes by N / (K n_class) */
	int tf;          /* MODEL_TF_*, default MODEL_TF_LOG */
	int nb;          /* 1: NB log-count-ratio scaling (Wang and Manning 2012), one
			    binary problem per class, the ratios folded into the weights;
			    2: the mean of that model and the plain one (an ensemble that
			    is still one linear model) */
	/* Words (model.h): with stop or words set, texts are cut with the
	 * dictionary at dict, which the model then names by its file name. */
	const char *dict; /* default "models/xf-words.dict" */
	int stop;         /* 1: stop words left out; default 0 */
	int words;        /* 1: word unigrams, 2: and bigrams; default 0 */
};
void train_opts_default(struct train_opts *o);

/* Trains on the documents of c whose index i has use[i] (NULL: all). */
struct model *model_train(const struct corpus *c, const unsigned char *use,
			  const struct train_opts *o, struct sbuf *err);

void corpus_release(struct corpus *c);

#endif
