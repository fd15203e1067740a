/*
 * classify.h - xf-classify: petition.received -> tags (category, emotion,
 * risk, repeat, collective, cluster, related policies) -> petition.classified.
 */
#ifndef XF_CLASSIFY_H
#define XF_CLASSIFY_H

#include <jansson.h>

#include "classify/classifier.h"
#include "classify/similar.h"
#include "svc.h"

/* the tables kept in PostgreSQL: keyword_sets, policy_sets */
#define CLASSIFY_NDOCS 2

struct classify {
	struct svc svc;
	struct classifier cl;
	char doc_sha[CLASSIFY_NDOCS][65]; /* of each active table loaded, "" if none */
	struct similar *sim;              /* recent petitions by county (similar.h) */
};

int classify_init(struct classify *cl, const volatile sig_atomic_t *stop, struct sbuf *err);
int classify_run(struct classify *cl);
void classify_release(struct classify *cl);

#endif
