#!/usr/bin/env bash
# deploy_check.sh: what can be checked of the container files without an
# engine: docker-compose.yml parses and names the contract's services and
# images, and the Dockerfile builds with the same setup script as make.
# Monitoring: promtool (Debian's prometheus package, from setup.sh) checks
# the Prometheus configuration and alert rules and runs the rules' unit
# tests; the Grafana dashboard and provisioning are checked against the
# metrics the daemons expose, and the compose file against both.
# The ACL recipe (deploy/kafka/acls.sh --print) grants outsiders exactly
# their rights; e2e_tls proves it on the broker.
# A failed check prints its command's output as "#" lines.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/check_lib.sh
. tests/check_lib.sh
compose_ok() {
    /usr/bin/python3 - <<'PY'
import yaml, sys
c = yaml.safe_load(open("docker-compose.yml"))
s = c["services"]
assert s["kafka"]["image"] == "apache/kafka:3.9.1", s["kafka"]["image"]
assert s["postgres"]["image"].startswith("postgres:15")
for d in ("xf-intake", "xf-classify", "xf-dispatch"):
    assert "deploy/Dockerfile" in str(s[d]["build"]), d
    assert "XF_KAFKA_BROKERS" in str(s[d]["environment"]), d
    assert "XF_DATABASE_URL" in str(s[d]["environment"]), d
assert "prometheus" in s and "grafana" in s
PY
}
# monitoring_ok WHAT: one of the Python checks below (rules, dashboard,
# grafana_provisioning, compose).  KNOWN lists the metrics the daemons
# expose; a panel or a rule that names anything else shows nothing or never
# fires.
monitoring_ok() {
    /usr/bin/python3 - "$1" <<'PY'
import json, re, sys, yaml
KNOWN = {
    "xf_messages_in_total", "xf_messages_out_total", "xf_dead_letters_total",
    "xf_batches_total", "xf_batch_retries_total", "xf_feedback_duplicates_total",
    "xf_webhook_attempts_total", "xf_similar_cached_rows",
    "xf_kafka_consumer_lag", "xf_kafka_broker_rtt_seconds",
    "xf_kafka_queue_messages", "xf_kafka_replyq", "xf_cases", "xf_cases_overdue",
    "xf_department_status", "xf_consumer_group_lag", "xf_consumer_group_lag_seconds",
    "xf_consumer_group_max_lag_seconds", "xf_consumer_group_status",
    "xf_consumer_partition_status", "xf_petition_index",
    "up",  # Prometheus' own: 1 when the last scrape of a target worked
}
HISTOGRAMS = {"xf_batch_duration_seconds", "xf_message_duration_seconds",
              "xf_pg_query_duration_seconds", "xf_end_to_end_seconds"}
KNOWN |= {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}
WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset",
         "bool", "and", "or", "unless", "inf", "nan"}
DS_UID = "xf-prometheus"

def metrics(expr):
    """The metric names in a PromQL expression: what is left once strings,
    label matchers, ranges and by/on (...) lists are gone, minus calls."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    found = re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?", e)
    return {m[1] for m in found if not m[2] and m[1].lower() not in WORDS}

def known(exprs, where):
    assert exprs, where + ": no expressions"
    for x in exprs:
        bad = metrics(x) - KNOWN
        assert not bad, "%s: unknown metric %s in %s" % (where, sorted(bad), x)
    return set().union(*map(metrics, exprs))

def rules():
    doc = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
    alerts = [r for g in doc["groups"] for r in g["rules"]]
    tests = open("deploy/prometheus/alerts_test.yml").read()
    for r in alerts:
        a = r["alert"]
        assert r.get("for"), a + ": no for:"
        assert r["labels"]["severity"] in ("critical", "warning", "info"), a
        assert r["annotations"]["summary"] and r["annotations"]["description"], a
        assert "alertname: " + a + "\n" in tests, a + ": not in alerts_test.yml"
    used = known([r["expr"] for r in alerts], "alerts.yml")
    need = {"up", "xf_consumer_group_lag_seconds", "xf_consumer_group_status",
            "xf_dead_letters_total", "xf_cases_overdue", "xf_batch_retries_total"}
    assert need <= used, "alerts.yml: nothing on %s" % sorted(need - used)

def dashboard():
    d = json.load(open("deploy/grafana/dashboards/xinfang.json"))
    assert d["uid"] == "xinfang-router" and d["schemaVersion"] >= 37
    panels = d["panels"] + [p for r in d["panels"] for p in r.get("panels", [])]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    exprs = []
    for p in panels:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
        for t in [p] + p.get("targets", []):
            if p["type"] != "row":
                assert t["datasource"]["uid"] == DS_UID, p["title"] + ": datasource"
        exprs += [t["expr"] for t in p.get("targets", [])]
    used = known(exprs, "xinfang.json")
    need = {"xf_consumer_group_lag", "xf_consumer_group_lag_seconds",
            "xf_consumer_group_status", "xf_messages_in_total", "xf_messages_out_total",
            "xf_end_to_end_seconds_bucket", "xf_dead_letters_total", "xf_cases",
            "xf_department_status", "xf_batch_duration_seconds_bucket",
            "xf_pg_query_duration_seconds_bucket"}
    assert need <= used, "xinfang.json: no panel on %s" % sorted(need - used)
    for q in ("0.5", "0.99"):
        assert any(x.startswith("histogram_quantile(%s," % q)
                   and "xf_end_to_end_seconds_bucket" in x for x in exprs), "no p" + q

def grafana_provisioning():
    ds = yaml.safe_load(open("deploy/grafana/provisioning/datasources/prometheus.yml"))
    ds = ds["datasources"][0]
    assert ds["uid"] == DS_UID and ds["url"] == "http://prometheus:9090", ds
    dp = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/xinfang.yml"))
    assert dp["providers"][0]["options"]["path"] == "/etc/grafana/dashboards"

def compose():
    s = yaml.safe_load(open("docker-compose.yml"))["services"]
    g = "./deploy/grafana/"
    mounts = {
        "prometheus": ["./deploy/prometheus:/etc/prometheus:ro"],
        "grafana": [
            g + "provisioning/datasources:/etc/grafana/provisioning/datasources:ro",
            g + "provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro",
            g + "dashboards:/etc/grafana/dashboards:ro"],
    }
    for name, want in mounts.items():
        missing = set(want) - set(s[name]["volumes"])
        assert not missing, "%s lacks %s" % (name, sorted(missing))
    assert "127.0.0.1:9090:9090" in s["prometheus"]["ports"]
    assert "127.0.0.1:3000:3000" in s["grafana"]["ports"]
    assert {"xf-intake", "xf-classify", "xf-dispatch"} <= set(s["prometheus"]["depends_on"])
    assert "prometheus" in s["grafana"]["depends_on"]

try:
    {"rules": rules, "dashboard": dashboard, "grafana_provisioning": grafana_provisioning,
     "compose": compose}[sys.argv[1]]()
except (AssertionError, LookupError, TypeError, ValueError, OSError) as e:
    sys.exit("%s: %s" % (type(e).__name__, e))
PY
}
# acls_least: deploy/kafka/acls.sh --print for one department, upstream
# system and the bureau grants each outsider exactly what README "Security"
# says, and no one All, a wildcard or a cluster right but IdempotentWrite.
acls_least() {
    deploy/kafka/acls.sh --bootstrap b:9093 --command-config /dev/null --group-prefix g \
        --department d1 --bureau bx --upstream s1 --print | /usr/bin/python3 -c '
import sys
grants = {}
for line in sys.stdin:
    w = line.split()
    assert w[0] == "kafka.admin.AclCommand" and "--add" in w, line
    i, who, ops, res, pat = 1, [], [], [], "literal"
    while i < len(w):
        k = w[i]
        if k == "--add" or k == "--cluster":
            if k == "--cluster": res.append(("cluster", "kafka-cluster"))
            i += 1; continue
        v = w[i + 1]; i += 2
        if k == "--allow-principal": who.append(v)
        elif k == "--operation": ops.append(v)
        elif k == "--resource-pattern-type": pat = v
        elif k in ("--topic", "--group"): res.append((k[2:], v))
    for p in who:
        for o in ops:
            assert o != "All", line
            for t, n in res:
                assert "*" not in n, line
                assert t != "cluster" or o == "IdempotentWrite", line
                grants.setdefault(p, set()).add((o, t, n if t == "cluster" else pat + ":" + n))
RD = {"Read", "Describe"}
def g(ops, t, n): return {(o, t, n) for o in ops}
want = {
    "User:dept-d1": g(RD, "topic", "literal:assignments.d1") | g(RD, "group", "prefixed:dept-d1:")
        | g({"Write", "Describe"}, "topic", "literal:department.feedback"),
    "User:upstream-s1": g({"Write", "Describe"}, "topic", "literal:hotline.events")
        | g({"Write", "Describe"}, "topic", "literal:department.feedback")
        | g(RD, "topic", "literal:petition.receipts") | g(RD, "topic", "literal:petition.updates")
        | g(RD, "group", "prefixed:upstream-s1:"),
    "User:bureau": g(RD, "topic", "literal:assignments.bx") | g(RD, "topic", "literal:case.events")
        | g(RD, "group", "prefixed:bureau:") | g({"Write", "Describe"}, "topic", "literal:department.feedback"),
}
for p, w in want.items():
    assert grants.get(p) == w, "%s: %s" % (p, sorted(grants.get(p, set()) ^ w))
assert ("Read", "group", "literal:g-intake") in grants["User:xf-intake"]
'
}
check deploy.compose_parses_with_contract_services compose_ok
check deploy.dockerfile_uses_setup_script grep -q 'deploy/scripts/setup.sh' deploy/Dockerfile
check deploy.runtime_image_has_the_model grep -q 'COPY --from=build /src/models models/' deploy/Dockerfile
check deploy.prometheus_scrapes_daemons grep -q 'xf-dispatch' deploy/prometheus/prometheus.yml
check deploy.prometheus_config_valid promtool check config deploy/prometheus/prometheus.yml
check deploy.prometheus_rules_valid promtool check rules deploy/prometheus/alerts.yml
check deploy.prometheus_rules_unit_tests promtool test rules deploy/prometheus/alerts_test.yml
check deploy.prometheus_alerts_complete monitoring_ok rules
check deploy.grafana_dashboard_known_metrics monitoring_ok dashboard
check deploy.grafana_provisioning monitoring_ok grafana_provisioning
check deploy.compose_mounts_monitoring monitoring_ok compose
check deploy.ci_runs_make_test grep -q 'make test' .ci/run
check deploy.acls_least_privilege acls_least
check_summary
