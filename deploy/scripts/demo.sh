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
public_port=$(free_port 8090)
write_env "$run/env" "XF_KAFKA_BROKERS=$brokers" "XF_DATABASE_URL=$db_url" \
    "XF_HTTP_ADDR=off" "XF_GROUP_PREFIX=xf-demo" "XF_ENV=development" \
    "XF_PUBLIC_ADDR=127.0.0.1:$public_port" "XF_PUBLIC_URL=http://127.0.0.1:$public_port"
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

# The departments answer (department.feedback): one returns its case (退单),
# which goes to the next department by the rules; another accepts and
# resolves, and the hotline gives the citizen's satisfied rating.
sql() { psql -qtAX "$db_url" -c "$1"; }
feedback() { # id case department action [extra JSON fields]
    printf '{"schema": "xf.feedback.v1", "feedback_id": "%s", "case_id": "%s", "department": "%s", "action": "%s", "at": "%s"%s}\n' \
        "$1" "$2" "$3" "$4" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${5:+, $5}"
}
read -r ret_case ret_dept <<<"$(sql "SELECT case_id, department FROM cases
    WHERE category = 'labor_social_security' ORDER BY case_id LIMIT 1" | tr '|' ' ')"
read -r ok_case ok_dept <<<"$(sql "SELECT case_id, department FROM cases
    WHERE category = 'environment' ORDER BY case_id LIMIT 1" | tr '|' ' ')"
{
    feedback demo-1 "$ret_case" "$ret_dept" return '"reason": "欠薪属劳动监察职责，非本单位受理范围"'
    feedback demo-2 "$ok_case" "$ok_dept" accept
    feedback demo-3 "$ok_case" "$ok_dept" resolve '"result": "已责令企业整改并复查"'
} >"$run/feedback.jsonl"
"$xfctl" publish department.feedback "$run/feedback.jsonl" >/dev/null
# The rating comes from the citizen's side (the 12345 hotline), not the
# department; development believes unsigned feedback (README "Who sent it").
feedback demo-4 "$ok_case" "$ok_dept" rate '"satisfaction": "satisfied"' >"$run/rating.jsonl"
"$xfctl" publish --as zj12345 department.feedback "$run/rating.jsonl" >/dev/null
settled() {
    [[ $(sql "SELECT count(*) FROM feedback") -ge 4 ]]
}
wait_for 60 "the feedback" settled || log "feedback not applied in time; logs in $run/logs"
echo
echo "== $ret_dept returned $ret_case: re-dispatched"
"$xfctl" case show "$ret_case" | sed -n '/^assignments/,/^chain/p'
echo
echo "== $ok_case: accepted, resolved, rated"
"$xfctl" case show "$ok_case" | sed -n '/^timeline/,/^chain/p'
echo
echo "== what the citizen sees of $ok_case (xf-public; the page is up while the demo runs)"
page=$("$xfctl" case qr "$ok_case" -o "$run/qr.png")
curl -fsS --noproxy '*' "${page/\/c\//\/v1\/cases\/}" ||
    log "xf-public did not answer; see $run/logs/xf-public.log"
echo "page: $page   (QR code: $run/qr.png)"
echo
echo "== the situation board of the demo's days (xfctl board; xf-dispatch serves it as /board)"
# from the first petition's day (when the citizens petitioned) to today (their handling)
# (the board takes at most 400 days)
period=$(sql "SELECT greatest(least(min(d), t), t - 399) || '..' || t
    FROM (SELECT ((petition->>'occurred_at')::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
    AS d, (now() AT TIME ZONE 'Asia/Shanghai')::date AS t FROM cases) x GROUP BY t")
"$xfctl" board --period "$period" | sed -n '1,/^潮汐表/p' | sed '$d'
"$xfctl" board --period "$period" | sed -n '/^上升热点/,$p'
echo
echo "== department scorecard (red first; xfctl departments lists all)"
"$xfctl" departments >"$run/departments.txt"
head -n 4 "$run/departments.txt"
tail -n 1 "$run/departments.txt"
echo
"$xfctl" audit verify
echo
echo "== consumer lag (xfctl lag: offsets, seconds, status over 3 samples)"
"$xfctl" lag
