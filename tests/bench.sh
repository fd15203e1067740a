#!/usr/bin/env bash
# tests/bench.sh (make bench): the whole flow beside its ceiling, on a real
# Kafka broker and PostgreSQL (deploy/scripts/kafka.sh and pg.sh, in
# .run/bench/stack), then the classifier's figures. Every figure is
# measured in this run; nothing is asserted about speed: the bench fails
# only when something breaks (a case missing, a daemon that never gets ready).
#
#   1. ceiling: bin/xf-passthrough chained over three hops (bench.t0 -> t1 ->
#      t2 -> t3), the same petitions, their throughput;
#   2. end to end: N petitions (texts of XF_TRAIN_DATA, three counties,
#      petitioners' phones) produced as fast as the client goes into a
#      running pipeline, until every one has its lead assignment; the ratio
#      to the ceiling; per daemon: busy time, PostgreSQL statements and
#      their time per message, resident memory (VmHWM, VmRSS);
#   3. latency hotline.events -> lead assignment (p50, p99, max) at RATE
#      petitions/s for SECONDS, from the messages' Kafka timestamps;
#   4. two instances of each daemon in their groups (topics of 4 partitions);
#   5. the run of (2) again after loading HISTORY historical petitions
#      (tests/bench/history.sql);
#   6. the classifier's figures (bin/bench-classify; on the held-out split
#      of the corpus, the test part of the old settings beside the shipped
#      model's, on the pre-tokenised, spaceless and raw-looking forms
#      (tests/rawsim.py) and through the whole classifier; 5-fold
#      cross-validation on the training part);
#   in (2) and (5), what the board's figures (migration 017) cost per dispatch
#   batch beside the batch's own write.
# Each pipeline run has its own database and consumer groups; the topics
# are emptied (DeleteRecords) between runs. The table is printed as
# Markdown; .run/bench/bench.json has the same figures.
#
# Settings (environment): XF_BENCH_N (20000), XF_BENCH_RATE (1000),
# XF_BENCH_SECONDS (60), XF_BENCH_HISTORY (1000000; 0 skips step 5),
# XF_BENCH_MAX_S (180: a pipeline run still going after this is cut short
# and its figures marked partial), XF_BENCH_CLASSIFIER (1; 0 skips step 6),
# XF_BENCH_KEEP (1: leave the stack running), XF_BENCH_RUNS (which of
# "warm ceiling e2e lat two hist" to run; all by default; warm is a run of
# the pipeline before the others, not reported: the broker's JVM compiles
# its hot code in its first minutes, and cold it costs several times its
# CPU per message), XF_TRAIN_DATA (the corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy/scripts/lib.sh
. deploy/scripts/lib.sh
root=$PWD
N=${XF_BENCH_N:-20000}
RATE=${XF_BENCH_RATE:-1000}
SECS=${XF_BENCH_SECONDS:-60}
HISTORY=${XF_BENCH_HISTORY:-1000000}
RUNS=${XF_BENCH_RUNS:-warm ceiling e2e lat two hist}
data=${XF_TRAIN_DATA:-$root/../shared/data/teddycup2020_train.jsonl}
work=$root/.run/bench
stack=$work/stack
out=$work/out
mkdir -p "$work" "$stack/logs" "$stack/pids"
rm -rf "$out" "$stack"/logs/*-xf-*.log "$stack"/logs/passthrough-*.log
mkdir -p "$out"
bin=$root/bin
IDLE_S=120 # a run fails when no petition got its assignment for this long
# A run slower than this many seconds is cut short and its figures marked
# partial (the latency run gets SECONDS more): a slow flow is a figure, not a failure.
MAX_S=${XF_BENCH_MAX_S:-180}
t_bench=$SECONDS

cleanup() {
    local p
    for p in "$stack"/pids/*; do [[ -e $p ]] && stop_group "$p" 5; done
    deploy/scripts/kafka.sh stop "$stack" >/dev/null 2>&1 || true
    deploy/scripts/pg.sh stop "$stack" >/dev/null 2>&1 || true
}
trap cleanup EXIT

note() { printf '== %s (%ds)\n' "$*" $((SECONDS - t_bench)); }

# --- the stack: PostgreSQL and Kafka as make up runs them ----------------
start_stack() {
    deploy/scripts/pg.sh start "$stack" 2>>"$stack/logs/stack.log"
    deploy/scripts/kafka.sh start "$stack" 2>>"$stack/logs/stack.log"
    set -a
    # shellcheck disable=SC1091
    . "$stack/pg.env"
    # shellcheck disable=SC1091
    . "$stack/kafka.env"
    set +a
    pgbase=${XF_DATABASE_URL%/*}
    psql "$pgbase/postgres" -Xqc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    export XF_MODEL_PATH=$root/models/xf-category.model XF_LOG_LEVEL=${XF_LOG_LEVEL:-warn}
    export XF_ENV=development
}

# new_db NAME: a fresh database with the migrations and the bench's rules.
new_db() {
    psql "$pgbase/postgres" -Xq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1" \
        -c "CREATE DATABASE $1" >/dev/null 2>&1
    XF_DATABASE_URL=$pgbase/$1 "$bin/xfctl" migrate >/dev/null
    XF_DATABASE_URL=$pgbase/$1 "$bin/xfctl" rules import tests/bench/rules.json >/dev/null
    XF_DATABASE_URL=$pgbase/$1 "$bin/xfctl" topics create >/dev/null
}

# Empties the topics (new topics may still be electing their leaders).
clear_topics() {
    wait_for 60 "the topics to be emptied" "$bin/bench-kafka" clear hotline.events \
        petition. case.events department.feedback assignments. bench.t \
        >/dev/null 2>>"$out/clear.log" || die "topics not emptied; see $out/clear.log"
}

# collect NAME IN OUT-PREFIX COUNT MAX-S [lead]: in the background, into out/NAME.json
collect_start() {
    local name=$1
    shift
    "$bin/bench-kafka" collect "$1" "$2" "$3" "$IDLE_S" "$4" ${5:+"$5"} \
        >"$out/$name.json" 2>"$out/$name.collect.log" &
    collector=$!
}

# collect_wait NAME: 0 when every petition got through, 3 when the run was
# cut short after MAX-S; dies when the flow is stuck.
collect_wait() {
    local rc=0
    wait "$collector" || rc=$?
    if ((rc == 3)); then
        log "$1: cut short after its time; figures partial"
    elif ((rc != 0)); then
        cat "$out/$1.json" >&2
        die "$1: not every petition got through (above: what the collector saw)"
    fi
    return "$rc"
}

# --- 1. the ceiling --------------------------------------------------------
run_ceiling() {
    local events=$1 count=$2 hop ready=()
    note "ceiling: xf-passthrough over three hops, $count messages"
    clear_topics
    for hop in 1 2 3; do
        rm -f "$out/hop$hop.ready"
        daemonize "$stack/logs/passthrough-$hop.log" "$stack/pids/passthrough-$hop" \
            "$bin/xf-passthrough" "bench.t$((hop - 1))" "bench.t$hop" "bench-hop$hop-$$" \
            "$out/hop$hop.ready"
        ready+=("$out/hop$hop.ready")
    done
    wait_for 60 "the passthroughs" ls "${ready[@]}" >/dev/null 2>&1 ||
        die "xf-passthrough did not join its group; see $stack/logs/passthrough-*.log"
    for hop in 1 2 3; do
        echo "passthrough $hop - $(<"$stack/pids/passthrough-$hop")"
    done >"$out/ceiling.daemons"
    collect_start ceiling bench.t0 bench.t3 "$count" "$MAX_S"
    cpu_snap "$out/ceiling.cpu0.json" ceiling
    "$bin/bench-kafka" produce bench.t0 "$events" 2>>"$out/produce.log"
    collect_wait ceiling || true
    cpu_snap "$out/ceiling.cpu1.json" ceiling
    for hop in 1 2 3; do stop_group "$stack/pids/passthrough-$hop" 10; done
}

# --- the pipeline ---------------------------------------------------------
# start_daemons RUN DB INSTANCES: xf-intake, xf-classify, xf-dispatch, each
# INSTANCES times, in groups of their own; waits until every one is ready.
start_daemons() {
    local run=$1 db=$2 k=$3 d i port used=()
    : >"$out/$run.daemons"
    for d in intake classify dispatch; do
        for ((i = 1; i <= k; i++)); do
            port=$(free_port "" "${used[@]}")
            used+=("$port")
            daemonize "$stack/logs/$run-xf-$d-$i.log" "$stack/pids/$run-$d-$i" \
                env XF_DATABASE_URL="$pgbase/$db" XF_GROUP_PREFIX="bench-$run-$$" \
                XF_HTTP_ADDR="127.0.0.1:$port" "$bin/xf-$d"
            echo "$d $i $port $(<"$stack/pids/$run-$d-$i")" >>"$out/$run.daemons"
        done
    done
    wait_for 90 "the daemons of $run" all_ready "$run" ||
        die "$run: daemons not ready; see $stack/logs/$run-xf-*.log"
}

all_ready() {
    local d i port pid
    while read -r d i port pid; do
        pid_alive "$pid" || die "xf-$d ($i) exited; see $stack/logs/$1-xf-$d-$i.log"
        curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" || return 1
    done <"$out/$1.daemons"
}

# Each daemon's /metrics and memory, then stop it.
stop_daemons() {
    local run=$1 d i port pid
    while read -r d i port pid; do
        curl -sf "http://127.0.0.1:$port/metrics" >"$out/$run.$d.$i.metrics" || true
        grep -E '^Vm(HWM|RSS):' "/proc/$pid/status" >"$out/$run.$d.$i.mem" || true
    done <"$out/$run.daemons"
    while read -r d i port pid; do
        stop_group "$stack/pids/$run-$d-$i" 15
    done <"$out/$run.daemons"
}

# cpu_snap FILE RUN: the CPU seconds used so far by the broker, PostgreSQL,
# each daemon of RUN, and the whole machine (tests/bench/cpu.py).
cpu_snap() {
    local d i port pid procs=()
    procs+=("kafka=$(cat "$stack/kafka/pid" 2>/dev/null)")
    procs+=("postgres=$(head -n 1 "$stack/pg/data/postmaster.pid" 2>/dev/null)")
    while read -r d i port pid; do procs+=("xf-$d=$pid"); done <"$out/$2.daemons"
    /usr/bin/python3 tests/bench/cpu.py "${procs[@]}" >"$1"
}

# pg_top RUN: the statements that took PostgreSQL's time in RUN (pg_stat_statements).
pg_top() {
    psql "$pgbase/postgres" -XqP pager=off -c "SELECT round(total_exec_time::numeric, 0) AS ms,
        calls, rows, round((total_exec_time / calls)::numeric, 2) AS ms_per_call,
        left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
        WHERE datname = 'xfb_$1') ORDER BY total_exec_time DESC LIMIT 20"
}

# board_cost RUN: what the board's figures cost PostgreSQL in RUN (the statements of
# its triggers and folds, on board_day_deltas and board_hour_deltas), beside the
# dispatch writes whose transactions they run in (JSON).
board_cost() {
    psql "$pgbase/postgres" -XqAtc "SELECT json_build_object(
        'board_ms', round(coalesce(sum(total_exec_time)
            FILTER (WHERE query ~ 'board_(day|hour)_deltas'), 0)::numeric, 1),
        'write_ms', round(coalesce(sum(total_exec_time)
            FILTER (WHERE query ~ '^SELECT xf_dispatch_write'), 0)::numeric, 1),
        'batches', coalesce(sum(calls) FILTER (WHERE query ~ '^SELECT xf_dispatch_write'), 0))
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
        WHERE datname = 'xfb_$1')"
}

# run_pipeline RUN DB INSTANCES EVENTS COUNT RATE MAX-S
run_pipeline() {
    local run=$1 db=$2 k=$3 events=$4 count=$5 rate=$6 max=$7 cases rc=0
    note "$run: $count petitions, $k instance(s) of each daemon${rate:+, $rate/s offered}"
    clear_topics
    start_daemons "$run" "$db" "$k"
    collect_start "$run" hotline.events assignments. "$count" "$max" lead
    cpu_snap "$out/$run.cpu0.json" "$run"
    psql "$pgbase/postgres" -XqAtc "SELECT pg_stat_statements_reset()" >/dev/null
    "$bin/bench-kafka" produce hotline.events "$events" ${rate:+"$rate"} 2>>"$out/produce.log"
    collect_wait "$run" || rc=$?
    cpu_snap "$out/$run.cpu1.json" "$run"
    pg_top "$run" >"$out/$run.statements.txt"
    board_cost "$run" >"$out/$run.board.json"
    stop_daemons "$run"
    ((rc == 0)) || return 0 # cut short: cases are still on their way
    cases=$(psql "$pgbase/$db" -XtAc \
        "SELECT count(*) FROM cases WHERE external_id LIKE '$run-%'")
    [[ $cases == "$count" ]] || die "$run: $cases cases in PostgreSQL, $count expected"
}

# events TAG COUNT: the petitions of one run (tests/bench/events.py).
events() {
    /usr/bin/python3 tests/bench/events.py "$2" "$1" "$data" "$out/$1.events" >"$out/texts"
}

# history DB: DB with HISTORY petitions loaded. The loaded database is kept
# as the template xfb_hist_tpl_HISTORY, marked with a checksum of what made
# it (the migrations, the rules, the loader), so a later bench with the same
# checksum copies it instead of loading again.
history() {
    local db=$1 key tpl=xfb_hist_tpl_$HISTORY t0=$SECONDS made
    key=$(cat schemas/sql/*.sql tests/bench/rules.json tests/bench/history.sql \
        <(echo "$HISTORY") | sha256sum | cut -c1-16)
    made=$(psql "$pgbase/postgres" -XtAc "SELECT shobj_description(oid, 'pg_database')
        FROM pg_database WHERE datname = '$tpl'")
    if [[ ${made%% *} != "$key" ]]; then
        note "history: loading $HISTORY petitions (tests/bench/history.sql)"
        new_db "$tpl"
        psql "$pgbase/$tpl" -Xq -v ON_ERROR_STOP=1 -v n="$HISTORY" \
            -f tests/bench/history.sql >"$out/history.load.log"
        made="$key $((SECONDS - t0))"
        psql "$pgbase/postgres" -Xqc "COMMENT ON DATABASE $tpl IS '$made'"
    else
        note "history: $HISTORY petitions loaded by an earlier bench (database $tpl)"
    fi
    PGOPTIONS="-c client_min_messages=warning" psql "$pgbase/postgres" -Xq -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $db" \
        -c "CREATE DATABASE $db TEMPLATE $tpl STRATEGY FILE_COPY" >/dev/null
    echo "{\"petitions\": $HISTORY, \"seconds\": ${made#* }}" >"$out/history.load.json"
}

# --- 6. the classifier's figures -------------------------------------------
# The one held-out split (README "The classifier"): nothing is chosen on its
# test part. The old settings and the shipped model's are both trained on
# the training part only here, so their test figures are honest.
SPLIT_SEED=20261203
OLD_OPTS=(-C 1000 --balanced 1)
NEW_OPTS=(-C 300 --balanced 1 --nb 2 --tf raw --ngram 2 --bits 19)

# Two eval outputs side by side: the old settings' and the shipped model's.
side_by_side() {
    printf '%-78s | %s\n' "old settings (${OLD_OPTS[*]})" "shipped model"
    paste -d'|' <(cut -c1-78 "$1" | awk '{printf "%-78s\n", $0}') "$2"
}

classifier_figures() {
    if ! command -v opencc >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q opencc >/dev/null
    fi
    local s=$work/split
    mkdir -p "$s"
    "$bin/xfctl" model split "$data" --seed $SPLIT_SEED --test-pct 20 -o "$s"
    if ! cmp -s "$s/test_ids.txt" models/split-test-ids.txt; then
        echo "bench: the split differs from models/split-test-ids.txt" >&2
        return 1
    fi
    # the texts without the tokeniser's spaces, and their traditional copy (OpenCC s2t, phrase level)
    /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line); d["text"] = d["text"].replace(" ", "")
    print(json.dumps(d, ensure_ascii=False))' "$data" >"$work/plain.jsonl"
    opencc -c s2t.json -i "$work/plain.jsonl" -o "$work/traditional.jsonl"
    # the test part made to look raw: stop words, punctuation, full width (a proxy)
    /usr/bin/python3 tests/rawsim.py "$s/test.jsonl" "$s/test_rawsim.jsonl" --seed 1
    echo "== classifier speed, memory, traditional text"
    "$bin/bench-classify" models/xf-category.model "$work/plain.jsonl" "$work/traditional.jsonl"
    echo
    "$bin/xfctl" model train "$s/train.jsonl" -o "$work/old.model" "${OLD_OPTS[@]}" >/dev/null
    for form in test test_raw test_rawsim; do
        echo "== held-out test part ($form.jsonl, $(wc -l <"$s/$form.jsonl") petitions)"
        "$bin/xfctl" model eval "$work/old.model" "$s/$form.jsonl" >"$work/old.$form"
        "$bin/xfctl" model eval models/xf-category.model "$s/$form.jsonl" >"$work/new.$form"
        side_by_side "$work/old.$form" "$work/new.$form"
        echo
    done
    for form in test test_rawsim; do
        echo "== held-out test part ($form.jsonl) through the whole classifier (--whole)"
        "$bin/xfctl" model eval "$work/old.model" "$s/$form.jsonl" --whole >"$work/old.whole"
        "$bin/xfctl" model eval models/xf-category.model "$s/$form.jsonl" --whole >"$work/new.whole"
        side_by_side "$work/old.whole" "$work/new.whole"
        echo
    done
    echo "== 5-fold stratified cross-validation on the training part (the shipped model's settings)"
    "$bin/xfctl" model cv "$s/train.jsonl" -k 5 "${NEW_OPTS[@]}"
}

# Runs the pipeline (not reported) until the broker's JIT compiler has
# settled: under a tenth of the broker's time in the last run, at most 5 runs.
warm_up() {
    local i jit
    events warm "$N"
    for i in 1 2 3 4 5; do
        new_db xfb_warm
        run_pipeline warm xfb_warm 1 "$out/warm.events" "$N" "" "$MAX_S"
        jit=$(/usr/bin/python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
print(round((b["kafka-jit"] - a["kafka-jit"]) / max(b["kafka"] - a["kafka"], 0.01), 3))' \
            "$out/warm.cpu0.json" "$out/warm.cpu1.json")
        note "warm-up $i: the JIT took $jit of the broker's time"
        if awk -v j="$jit" 'BEGIN { exit !(j < 0.1) }'; then break; fi
    done
    return 0
}

# Is run $1 among XF_BENCH_RUNS?
wanted() { [[ " $RUNS " == *" $1 "* ]]; }

main() {
    [[ -r $data ]] ||
        die "no labelled petitions at $data: the bench's texts and the classifier's" \
            "figures need the 2020 Teddy Cup problem C training set (README \"The" \
            "classifier\"); set XF_TRAIN_DATA to its path"
    note "stack: PostgreSQL and Kafka in $stack"
    start_stack
    "$bin/bench-kafka" create 4 bench.t0 bench.t1 bench.t2 bench.t3 >/dev/null 2>>"$out/clear.log"
    events e2e "$N"
    wanted warm && warm_up
    wanted ceiling && run_ceiling "$out/e2e.events" "$N"
    if wanted e2e; then
        new_db xfb_e2e
        run_pipeline e2e xfb_e2e 1 "$out/e2e.events" "$N" "" "$MAX_S"
    fi
    if wanted lat; then
        events lat $((RATE * SECS))
        new_db xfb_lat
        run_pipeline lat xfb_lat 1 "$out/lat.events" $((RATE * SECS)) "$RATE" $((MAX_S + SECS))
    fi
    if wanted two; then
        events two "$N"
        new_db xfb_two
        run_pipeline two xfb_two 2 "$out/two.events" "$N" "" "$MAX_S"
    fi
    if ((HISTORY > 0)) && wanted hist; then
        history xfb_hist
        events hist "$N"
        run_pipeline hist xfb_hist 1 "$out/hist.events" "$N" "" "$MAX_S"
    fi
    note "done"
    /usr/bin/python3 tests/bench/report.py "$out" "$(<"$out/texts")" "$RATE" "$SECS" \
        >"$work/bench.md"
    cp "$out/bench.json" "$work/bench.json"
    cat "$work/bench.md"
    echo "(also in $work/bench.json; logs in $stack/logs)"
    trap - EXIT
    [[ ${XF_BENCH_KEEP:-0} == 1 ]] || cleanup
    if [[ ${XF_BENCH_CLASSIFIER:-1} != 0 ]]; then
        echo
        classifier_figures
    fi
}

main "$@"
