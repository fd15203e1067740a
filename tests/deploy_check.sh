#!/usr/bin/env bash
# deploy_check.sh: what can be checked of the container files without an
# engine: docker-compose.yml parses and names the contract's services and
# images, and the Dockerfile builds with the same setup script as make.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        echo "ok - deploy.$name"; passed=$((passed + 1))
    else
        echo "FAIL - deploy.$name"; failed=$((failed + 1))
    fi
}
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
check compose_parses_with_contract_services compose_ok
check dockerfile_uses_setup_script grep -q 'deploy/scripts/setup.sh' deploy/Dockerfile
check runtime_image_has_the_model grep -q 'COPY --from=build /src/models models/' deploy/Dockerfile
check prometheus_scrapes_daemons grep -q 'xf-dispatch' deploy/prometheus/prometheus.yml
check ci_runs_make_test grep -q 'make test' .ci/run
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
