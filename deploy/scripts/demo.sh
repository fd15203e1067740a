#!/usr/bin/env bash
# demo.sh: the main job on the embedded default.  A private PostgreSQL, the
# librdkafka mock cluster (bin/xf-mockbroker, no JVM), the sample rules of
# 瑞安市 and about 30 sample petitions; prints who got what, then stops
# everything it started.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
. "$(dirname "$0")/lib.sh"

run=$(abs_dir "$XF_ROOT/.run/demo")
examples=$XF_ROOT/deploy/examples
mkdir -p "$run/logs" "$run/pids"

cleanup() {
    "$XF_ROOT/deploy/scripts/daemons.sh" stop "$run" || true
    stop_group "$run/pids/mockbroker" 5 || true
    "$XF_ROOT/deploy/scripts/pg.sh" stop "$run" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$XF_ROOT/deploy/scripts/pg.sh" start "$run" >/dev/null 2>&1 ||
    die "PostgreSQL did not start; see $run/logs/postgres.log"
# shellcheck disable=SC1091
. "$run/pg.env"
# a fresh database for every demo
PGOPTIONS='-c client_min_messages=warning' psql -q "${XF_DATABASE_URL%/*}/postgres" -c 'DROP DATABASE IF EXISTS xf_demo' \
    -c 'CREATE DATABASE xf_demo' >/dev/null
db_url=${XF_DATABASE_URL%/*}/xf_demo

rm -f "$run/mock.env"
daemonize "$run/mock.env" "$run/pids/mockbroker" "$XF_ROOT/bin/xf-mockbroker"
wait_for 10 "the mock cluster" grep -q XF_KAFKA_BROKERS "$run/mock.env" ||
    die "mock cluster did not start"
brokers=$(sed -n 's/^XF_KAFKA_BROKERS=//p' "$run/mock.env")
write_env "$run/env" "XF_KAFKA_BROKERS=$brokers" "XF_DATABASE_URL=$db_url" \
    "XF_HTTP_ADDR=off" "XF_GROUP_PREFIX=xf-demo"
set -a
# shellcheck disable=SC1091
. "$run/env"
set +a

xfctl=$XF_ROOT/bin/xfctl
"$xfctl" migrate >/dev/null
# the mock cluster has no CreateTopics; it makes topics on first use
"$xfctl" rules import --no-topics "$examples/rules.json" || die "rules import failed"
"$XF_ROOT/deploy/scripts/daemons.sh" start "$run"
"$xfctl" publish hotline.events "$examples/petitions.jsonl"

want=$(grep -c . "$examples/petitions.jsonl")
count_cases() {
    local n
    n=$(psql -qtAX "$db_url" -c 'SELECT count(*) FROM cases')
    [[ $n -ge $want ]]
}
wait_for 90 "$want cases" count_cases ||
    log "not every petition became a case in time; logs in $run/logs"
echo
"$xfctl" cases "$want"
echo
"$xfctl" audit verify
