# tests/check_lib.sh: sourced by the shell check suites (deploy_check.sh,
# source_check.sh). check SUITE.NAME CMD...: one check, "ok" when CMD
# succeeds, else "FAIL" with the last 20 lines of its output as "#" lines;
# check_summary prints the totals and fails when any check failed.
passed=0 failed=0
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok - $name"; passed=$((passed + 1))
    else
        echo "FAIL - $name"; failed=$((failed + 1))
        [[ -z $out ]] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
    fi
}
check_summary() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
