/*
 * feedback.c - fuzzes xf-dispatch's reading of department.feedback
 * (services/dispatch/lifecycle.c, as dispatch.c hands it each message):
 * each line of the input is one message, worked in order in one batch
 * against a case the batch has just assigned, then the first is delivered
 * again. A line "@CODE {...}" carries the header xf-sender: CODE, as the
 * citizen's side sends a rating (unsigned: the fuzzer runs as in
 * development). No PostgreSQL: the batch state answers, as it does between
 * caseops_load() and caseops_write().
 *
 * Whatever a message holds, it must be recordable: a row that cannot be
 * written (caseops.bad_row) fails the batch's write, and the message
 * would end as processing_failed instead of a refusal.
 */
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "calendar.h"
#include "dispatch/caseops.h"
#include "dispatch/lifecycle.h"
#include "dispatch/outbox.h"
#include "embed.h"
#include "fuzz.h"
#include "jschema.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"
#include "sbuf.h"

#define CASE "XF-330381-20261122-000123"
#define NOW ((time_t)1795312800) /* 2026-11-22T10:00:00+08:00 */
#define MAX_MESSAGES 8

/* 瑞安市: labour to 人社局 with 住建局 as co-handler, the rest to 信访局. */
static const char rules_text[] =
	"{\"schema\": \"xf.rules.v1\", \"version\": \"2026-11-22.1\", \"departments\": ["
	" {\"code\": \"ruian-rsj\", \"name\": \"人社局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"rsj\", \"webhook\": \"http://127.0.0.1:9/h\","
	"  \"local_testing\": true},"
	" {\"code\": \"ruian-zjj\", \"name\": \"住建局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"zjj\"},"
	" {\"code\": \"ruian-xfj\", \"name\": \"信访局\", \"region\": \"330381\","
	"  \"level\": \"county\", \"kind\": \"xfj\"}], \"rules\": ["
	" {\"id\": \"labor\", \"priority\": 100, \"when\": {\"category\":"
	"  [\"labor_social_security\"]}, \"assign\": {\"kind\": \"rsj\", \"level\": \"county\"},"
	"  \"co_handlers\": [\"ruian-zjj\"], \"deadline_days\": 30},"
	" {\"id\": \"catch-all\", \"priority\": 1000, \"assign\": {\"department\": \"ruian-xfj\"}}],"
	" \"citizen_side\": [{\"code\": \"ruian-12345\", \"name\": \"12345热线\"}],"
	" \"triage\": {\"department\": \"ruian-xfj\"}}";

static const char petition_text[] =
	"{\"schema\": \"xf.petition.v1\", \"case_id\": \"" CASE "\","
	" \"source\": {\"system\": \"wz12345\", \"channel\": \"hotline\"},"
	" \"external_id\": \"WO-1\", \"region_code\": \"330381\", \"subject\": \"拖欠工资\","
	" \"content\": \"三个月\", \"received_at\": \"2026-11-22T10:00:00+08:00\","
	" \"classification\": {\"category\": \"labor_social_security\"}}";

static struct {
	struct rules_set *rules;
	struct calendar *cal;
	struct jschema_set *schemas;
	struct choose_weights weights;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	json_t *petition;
	struct metrics *metrics;
	struct metrics_series *dup;
	struct sender_keys *keys;
} g;

static void setup(void)
{
	const struct embed_file *f = embed_find("schemas/xf.feedback.v1.json");
	json_t *doc = json_loads(rules_text, 0, NULL);
	struct sbuf err = SBUF_INIT;
	char errstr[256];

	log_init("fuzz-feedback", LOG_WARN); /* not a line per refusal */
	g.rules = rules_parse(doc, &err);
	g.keys = g.rules ? sender_keys_new(g.rules, 1) : NULL;
	g.cal = calendar_new();
	g.schemas = jschema_set_new();
	g.weights = (struct choose_weights){ 0.25, 0.25, 0.25, 0.25 };
	g.rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
	g.rkt = g.rk ? rd_kafka_topic_new(g.rk, "department.feedback", NULL) : NULL;
	g.petition = json_loads(petition_text, 0, NULL);
	g.metrics = metrics_new();
	g.dup = metrics_get(g.metrics, "xf_feedback_duplicates_total", "duplicates",
			    METRICS_COUNTER, NULL);
	if (!g.rules || jschema_add(g.schemas, f->data, f->len, &err) || !g.rkt || !g.petition) {
		fprintf(stderr, "feedback fuzzer setup: %s %s\n", err.buf, errstr);
		abort();
	}
	json_decref(doc);
	sbuf_release(&err);
}

/* The case, assigned by the rules in this batch. */
static void assign(struct caseops *co)
{
	struct rules_decision dec;
	struct sbuf err = SBUF_INIT;

	FUZZ_ASSERT(caseops_decide(co, g.petition, NULL, 0, &dec, &err) == 0);
	caseops_case_new(co, g.petition, &dec, NOW);
	caseops_assign(co, g.petition, &dec, dec.lead, "lead", 1, NOW, 0, 0);
	FUZZ_ASSERT(caseops_event(co, CASE, "assigned", NOW, json_object(), NULL, &err) == 0);
	rules_decision_release(&dec);
	sbuf_release(&err);
}

/* One message, as xf-dispatch's batch loop works it; 0, or -1 on an error. */
static int work(struct lifecycle *lc, struct caseops *co, const rd_kafka_message_t *rkm,
		const struct sender_hdrs *h, time_t now)
{
	json_t *msg = json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, NULL);
	struct sbuf err = SBUF_INIT;

	lifecycle_want(lc, co, msg, rkm, h);
	const char *code = NULL;
	char *why = NULL;

	int rc = lifecycle_feedback(lc, co, msg, rkm, h, now, &code, &why, &err);

	FUZZ_ASSERT(rc == 0 || err.len > 0);
	FUZZ_ASSERT(!code || (why && *why));
	FUZZ_ASSERT(!co->bad_row);
	free(why);
	sbuf_release(&err);
	json_decref(msg);
	return rc;
}

/* ob->v[a..a+n) and ob->v[b..b+n) are the same messages. */
static int same_outputs(const struct outbox *ob, size_t a, size_t b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct out_msg *x = &ob->v[a + i], *y = &ob->v[b + i];

		if (strcmp(x->topic, y->topic) || strcmp(x->key, y->key) ||
		    strcmp(x->value, y->value))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct caseops_env env = { NULL, NULL, { 80, 3, NULL, NULL }, NULL };
	struct lifecycle lc;
	struct outbox ob = OUTBOX_INIT;
	struct caseops co;
	rd_kafka_message_t rkm[MAX_MESSAGES];
	struct sender_hdrs h[MAX_MESSAGES];
	size_t n = 0, at = 0, first_from = 0, first_n = 0, again;
	int first_rc = -1;

	if (!g.rules)
		setup();
	env.rules = g.rules;
	env.clock.cal = g.cal;
	env.weights = &g.weights;
	lc.schemas = g.schemas;
	lc.m_feedback_dup = g.dup;
	lc.keys = g.keys;
	lc.development = 1; /* unsigned messages are believed: the state machine is fuzzed */
	caseops_init(&co, &env, &ob);
	assign(&co);
	memset(rkm, 0, sizeof rkm);
	memset(h, 0, sizeof h);
	while (at < size && n < MAX_MESSAGES) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - data - at) : size - at;
		const uint8_t *sp = memchr(data + at, ' ', len);

		if (len && data[at] == '@' && sp && (size_t)(sp - data - at) < sizeof h[n].sender) {
			memcpy(h[n].sender, data + at + 1, (size_t)(sp - data - at) - 1);
			len -= (size_t)(sp - data - at) + 1;
			at += (size_t)(sp - data - at) + 1;
		}

		rkm[n] = (rd_kafka_message_t){ .rkt = g.rkt,
					       .partition = 0,
					       .payload = (void *)(data + at),
					       .len = len,
					       .offset = (int64_t)n };
		if (n == 0) {
			first_from = ob.n;
			first_rc = work(&lc, &co, &rkm[n], &h[n], NOW);
			first_n = ob.n - first_from;
		} else {
			work(&lc, &co, &rkm[n], &h[n], NOW + (time_t)n * 86400);
		}
		at += len + 1;
		n++;
	}
	if (n && first_rc == 0) { /* a redelivery of the first: the same outputs again */
		again = ob.n;
		FUZZ_ASSERT(work(&lc, &co, &rkm[0], &h[0], NOW + (time_t)n * 86400) == 0);
		FUZZ_ASSERT(ob.n - again == first_n);
		FUZZ_ASSERT(same_outputs(&ob, first_from, again, first_n));
	}
	caseops_release(&co);
	outbox_release(&ob);
	return 0;
}
