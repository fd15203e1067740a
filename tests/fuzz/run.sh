#!/usr/bin/env bash
# tests/fuzz/run.sh: runs each libFuzzer harness (bin-fuzz/fuzz-NAME, built
# by `make fuzz-build` from tests/fuzz/NAME.c) as one test case:
#   1. every kept crash input tests/fuzz/NAME/regress-* once (it must pass);
#   2. then fuzzing for SECONDS over the seeds tests/fuzz/NAME/ and the
#      corpus it grew before (WORK/NAME/corpus).
# A crash, a sanitizer report, a broken property, a slow input or a memory
# blowup fails the case; libFuzzer saves the input as WORK/NAME/crash-*
# (or leak-, timeout-, oom-); keep it as tests/fuzz/NAME/regress-WHAT once
# fixed. The last line is "N passed, N failed".
# Usage: tests/fuzz/run.sh [SECONDS [NAME...]]   (default 10 s, every harness)
# XF_FUZZ_WORK sets WORK (default .run/fuzz).
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.." || exit 1

seconds=${1:-10}
shift || true
work=${XF_FUZZ_WORK:-$PWD/.run/fuzz}
names=("$@")
if ((${#names[@]} == 0)); then
    for f in tests/fuzz/*.c; do
        n=${f##*/}
        names+=("${n%.c}")
    done
fi

# Longest input per harness: at least its largest seed. Larger inputs only
# repeat what these sizes already reach, at a slower rate (the validator
# refuses more than 1 MiB before parsing; JSON nesting stops at jansson's
# depth 2048).
max_len() {
    case $1 in
        time) echo 64 ;;
        normalize) echo 4096 ;;
        feedback | validate) echo 8192 ;;
        *) echo 32768 ;;
    esac
}

passed=0 failed=0

# one NAME: 0 if the harness held.
one() {
    local name=$1 bin=bin-fuzz/fuzz-$1 dir=$work/$1 seeds=tests/fuzz/$1 log
    local args=(-max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$dir/" -print_final_stats=1)
    local regress=("$seeds"/regress-*)

    [[ $name == time || $name == normalize ]] || args+=(-dict=tests/fuzz/json.dict)
    mkdir -p "$dir/corpus"
    log=$dir/last.log
    if [[ ! -x $bin ]]; then
        echo "fuzz-$name: $bin missing (make fuzz-build)"
        return 1
    fi
    if ((${#regress[@]})) && ! "$bin" "${args[@]}" "${regress[@]}" >"$log" 2>&1; then
        tail -n 30 "$log"
        echo "fuzz-$name: a kept crash input fails again (log $log)"
        return 1
    fi
    if ! nice "$bin" "${args[@]}" -max_total_time="$seconds" "$dir/corpus" "$seeds" \
        >"$log" 2>&1; then
        grep -E -m 40 'ERROR|SUMMARY|property broken|runtime error|#[0-9]+ +in ' "$log"
        grep -E 'Test unit written to' "$log"
        echo "fuzz-$name: FAILED (log $log)"
        return 1
    fi
    echo "fuzz-$name: ok, ${#regress[@]} kept inputs," \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1) runs in ${seconds}s," \
        "corpus $(find "$dir/corpus" -type f | wc -l)"
}

for n in "${names[@]}"; do
    if one "$n"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
