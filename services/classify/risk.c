/* risk.c - see risk.h. */
#include "risk.h"

#include <stdarg.h>
#include <stdio.h>

#include "classify/classifier.h"

static void add_reason(json_t *reasons, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
	if (h->cluster_id && h->cluster_completed)
		add_reason(reasons, "cluster: 同一地区相似诉求聚集 %s", h->cluster_id);
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
		      "category", t->category, "confidence", t->confidence, "top", t->top,
		      "emotion", "intensity", t->intensity, "risk", risk(t, h, co_signers, r),
		      "repeat", "count", h->repeat_count, "related",
		      h->related ? h->related : empty, "collective", co_signers >= 5, "cluster_id",
		      h->cluster_id, "keywords", t->keywords, "model",
		      t->model ? t->model : CLASSIFIER_MODEL);
	json_object_set_new(c, "related_policies",
			    t->policies ? json_incref(t->policies) : json_array());
	json_decref(empty);
	return c;
}
