#!/usr/bin/env bash
# tests/run.sh: every test, as `make test` runs it.
#   1. installs what is missing (deploy/scripts/setup.sh --kafka)
#   2. builds the release and the ASan/UBSan builds
#   3. unit tests under both builds, the container files
#      (tests/deploy_check.sh), the C sources' habits (tests/source_check.sh),
#      intake's verdicts against python-jsonschema's (tests/schema_agree.py),
#      and each libFuzzer harness for 10 s (tests/fuzz/run.sh)
#   4. starts a private PostgreSQL and a real Apache Kafka broker (KRaft) in
#      .run/test, runs the integration tests with the sanitizer-built daemons
#      (the chaos run, e2e_chaos, last and on its own), and stops the stack
#      again. Arguments name the e2e suites to run instead of all of them.
# The last line is the total: "N passed, N failed".
set -uo pipefail
# shellcheck source=deploy/scripts/lib.sh
. "$(dirname "$0")/../deploy/scripts/lib.sh"
cd "$XF_ROOT" || exit 1

run=$(abs_dir "$XF_ROOT/.run/test")
out=$run/results.txt
mkdir -p "$run/logs"
: >"$out"
passed=0 failed=0

stop_stack() {
    deploy/scripts/kafka.sh stop "$run" >/dev/null 2>&1 || true
    deploy/scripts/pg.sh stop "$run" >/dev/null 2>&1 || true
}
trap stop_stack EXIT

# suite NAME CMD...: runs a test binary, echoing its output, adding its totals.
suite() {
    local name=$1 line p f
    shift
    echo "== $name"
    "$@" 2>&1 | tee -a "$out" | tee "$run/logs/$name.out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$run/logs/$name.out" | tail -n 1)
    if [[ -z $line ]]; then
        echo "$name: no summary line (crashed?)"
        failed=$((failed + 1))
        return
    fi
    read -r p _ f _ <<<"${line//,/}"
    passed=$((passed + p)) failed=$((failed + f))
}

deploy/scripts/setup.sh --kafka || exit 1
make -s all && make -s SAN=1 all && make -s fuzz-build ||
    { echo "0 passed, 1 failed"; exit 1; }

suite unit bin/unit-tests
suite unit-san bin-san/unit-tests
suite deploy tests/deploy_check.sh
suite source tests/source_check.sh
suite schema /usr/bin/python3 tests/schema_agree.py bin
suite fuzz env XF_FUZZ_WORK="$run/fuzz" tests/fuzz/run.sh 10

deploy/scripts/pg.sh start "$run" || { echo "0 passed, 1 failed"; exit 1; }
deploy/scripts/kafka.sh start "$run" || { echo "0 passed, 1 failed"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$run/pg.env"
# shellcheck disable=SC1091
. "$run/kafka.env"
set +a
export XF_TEST_PG=${XF_DATABASE_URL%/*} XF_TEST_BIN=$XF_ROOT/bin-san
export XF_TEST_LOGS=$run/logs XF_LOG_LEVEL=info XF_TEST_RUN=$run XF_ENV=development
bin/xfctl migrate >/dev/null && bin/xfctl topics create ||
    { echo "0 passed, 1 failed"; exit 1; }

if [[ $# -gt 0 ]]; then
    suite e2e bin-san/e2e-tests "$@"
else
    suite e2e bin-san/e2e-tests -e2e_chaos
    # The chaos run restarts this PostgreSQL and broker: on its own, after the rest.
    suite e2e_chaos bin-san/e2e-tests e2e_chaos
fi

echo "logs: $run/logs"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
