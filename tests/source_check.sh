#!/usr/bin/env bash
# source_check.sh: habits of the C sources, checked in make test.
#   banned_functions: none of the calls that overrun or truncate silently
#     (git's banned.h list: strcpy, strcat, strncpy, strncat, sprintf,
#     vsprintf, gets, strtok; and the non-reentrant time calls gmtime,
#     localtime, ctime, asctime): use sbuf (common/sbuf.h), snprintf, the
#     _r variants.
# A failed check prints the offending lines as "#" lines.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
check() {
    local name=$1 out
    shift
    out=$("$@" 2>&1)
    if [[ -z $out ]]; then
        echo "ok - source.$name"; passed=$((passed + 1))
    else
        echo "FAIL - source.$name"; failed=$((failed + 1))
        printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
    fi
}
banned() {
    grep -nE '(^|[^_a-zA-Z0-9.>])(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|gmtime|localtime|ctime|asctime)[[:space:]]*\(' \
        common/*.[ch] services/*/*.[ch] tests/*/*.[ch] | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)'
}
check banned_functions banned
echo "$passed passed, $failed failed"
