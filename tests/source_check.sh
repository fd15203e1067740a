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
# shellcheck source=tests/check_lib.sh
. tests/check_lib.sh

# Fails, printing them, when a C source calls a banned function.
no_banned() {
    ! grep -nE '(^|[^_a-zA-Z0-9.>])(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|gmtime|localtime|ctime|asctime)[[:space:]]*\(' \
        common/*.[ch] services/*/*.[ch] tests/*/*.[ch] | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)'
}
check source.banned_functions no_banned
check_summary
