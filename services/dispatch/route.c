/* route.c - see route.h. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define str_at caseops_str

/* received, classified, assigned: the first three links of the chain. */
static int events_insert(struct caseops *co, json_t *petition, const struct rules_decision *dec,
			 time_t now, time_t accept_by, time_t resolve_by, struct sbuf *err)
{
	const char *case_id = str_at(petition, "case_id", NULL);
	const char *received = str_at(petition, "received_at", NULL);
	json_t *cls = json_object_get(petition, "classification");
	json_t *co_handlers = json_array();
	time_t received_t = now;
	char aid[160], abys[32], rbys[32];

	time_format_cst(accept_by, abys);
	time_format_cst(resolve_by, rbys);
	if (received)
		time_parse_rfc3339(received, &received_t);
	for (size_t i = 0; i < dec->nco; i++)
		json_array_append_new(co_handlers, json_string(dec->co[i]->code));
	caseops_assignment_id(case_id, 1, "lead", dec->lead->code, aid, sizeof aid);
	if (caseops_event(co, case_id, "received", received_t,
			  json_pack("{s:s?, s:s?, s:s?}", "source_system",
				    str_at(petition, "source", "system"), "external_id",
				    str_at(petition, "external_id", NULL), "channel",
				    str_at(petition, "source", "channel")),
			  NULL, err) ||
	    caseops_event(co, case_id, "classified", now,
			  json_pack("{s:O?, s:O?, s:O?}", "category",
				    json_object_get(cls, "category"), "risk",
				    json_object_get(cls, "risk"), "model",
				    json_object_get(cls, "model")),
			  NULL, err)) {
		json_decref(co_handlers);
		return -1;
	}
	return caseops_event(co, case_id, "assigned", now,
			     json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:b, s:s, s:s}",
				       "department", dec->lead->code, "assignment_id", aid,
				       "co_handlers", co_handlers, "rule",
				       dec->rule ? dec->rule->id : "triage", "rules_version",
				       co->env.rules->version, "attempt", 1, "triage", dec->triage,
				       "accept_by", abys, "resolve_by", rbys),
			     NULL, err);
}

/* End-to-end latency of a new case: from the event and from intake (real time). */
static void observe_latency(struct route *rt, json_t *petition)
{
	const char *occurred = str_at(petition, "occurred_at", NULL);
	const char *received = str_at(petition, "received_at", NULL);
	time_t t, now = time(NULL);

	if (time_parse_rfc3339(occurred ? occurred : "", &t) == 0 && t <= now)
		metrics_observe(rt->m_latency_occurred, (double)(now - t));
	if (time_parse_rfc3339(received ? received : "", &t) == 0 && t <= now)
		metrics_observe(rt->m_latency_received, (double)(now - t));
}

/* Records a new case decided as dec; the outputs go to the outbox. */
static int case_decide(struct route *rt, struct caseops *co, json_t *petition,
		       const struct rules_decision *dec, time_t now, struct sbuf *err)
{
	time_t accept_by = caseops_accept_by(now), resolve_by = caseops_resolve_by(dec, now);

	caseops_case_new(co, petition, dec, now);
	observe_latency(rt, petition);
	caseops_assign(co, petition, dec, dec->lead, "lead", 1, now, accept_by, resolve_by);
	for (size_t i = 0; i < dec->nco; i++)
		caseops_assign(co, petition, dec, dec->co[i], "co", 1, now, accept_by, resolve_by);
	return events_insert(co, petition, dec, now, accept_by, resolve_by, err);
}

int route_petition(struct route *rt, struct caseops *co, json_t *petition, time_t now,
		   const char **dlq_code, char **dlq_why, struct sbuf *err)
{
	struct rules_decision dec;
	struct sbuf why = SBUF_INIT;
	int rc;

	if (caseops_replay(co, str_at(petition, "case_id", NULL), petition))
		return 0;
	rc = caseops_decide(co, petition, NULL, 0, &dec, &why);
	if (rc == -1) {
		sbuf_adds(err, why.buf);
		sbuf_release(&why);
		return -1;
	}
	if (rc) {
		*dlq_code = "unroutable";
		*dlq_why = sbuf_detach(&why, NULL);
		return 0;
	}
	rc = case_decide(rt, co, petition, &dec, now, err);
	rules_decision_release(&dec);
	sbuf_release(&why);
	return rc;
}
