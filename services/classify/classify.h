/*
 * classify.h - xf-classify: petition.received -> tags (category, emotion,
 * risk, repeat, collective, cluster) -> petition.classified.
 */
#ifndef XF_CLASSIFY_H
#define XF_CLASSIFY_H

#include <jansson.h>

#include "classify/classifier.h"
#include "classify/similar.h"
#include "svc.h"

struct classify {
	struct svc svc;
	struct classifier cl;
	char keywords_sha[65]; /* of the active keyword set loaded, "" if none */
	struct similar *sim;   /* recent petitions by county (similar.h) */
};

int classify_init(struct classify *cl, const volatile sig_atomic_t *stop, struct sbuf *err);
int classify_run(struct classify *cl);
void classify_release(struct classify *cl);

#endif
