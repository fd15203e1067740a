#!/usr/bin/env bash
# source_check.sh: habits of the C sources, checked in make test.
#   banned_h_refuses: none of the calls that overrun or truncate silently
#     (git's banned.h list: strcpy, strcat, strncpy, strncat, sprintf,
#     vsprintf, gets, strtok; and the non-reentrant time calls gmtime,
#     localtime, ctime, asctime) compiles: every file is built with
#     common/compat.h first, which ends with common/banned.h. Use sbuf
#     (common/sbuf.h), snprintf, the _r variants.
#   layers: each layer includes only its own headers and those below it:
#     common/ (plumbing) nothing above it, domain/ common/, services/ both
#     (see the Makefile's libraries).
#   classify_predict_only: xf-classify links no training code.
#   formatted: every C file as .clang-format (clang-format-14) writes it;
#     `make format` rewrites the tree so.
# A failed check prints the offending lines as "#" lines.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/check_lib.sh
. tests/check_lib.sh

# Fails unless a call to each of a few banned functions fails to compile,
# naming the function, with the flags the Makefile gives every file.
banned_refused() {
    local f call out
    for f in 'strcpy(b, "x")' 'sprintf(b, "%d", 1)' 'strtok(b, ",")' 'gmtime(&t)'; do
        call=${f%%(*}
        out=$(printf '#include <string.h>\n#include <stdio.h>\n#include <time.h>\nchar b[8]; time_t t;\nvoid f(void) { (void)%s; }\n' "$f" |
            ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Icommon \
                -include common/compat.h -x c -c -o /dev/null - 2>&1) &&
            { echo "# $call compiled"; return 1; }
        grep -q "sorry_${call}_is_a_banned_function" <<<"$out" ||
            { echo "# $call: not refused by banned.h: $out" | head -3; return 1; }
    done
}
check source.banned_h_refuses banned_refused

# Fails, printing them, when a file includes a header of a layer above its own.
layers_down() {
    local dir below f h bad=0
    for dir in common domain; do
        below=common; [ "$dir" = domain ] && below="domain common"
        for f in "$dir"/*.[ch]; do
            for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
                found=
                for d in $below; do [ -f "$d/$h" ] && found=1; done
                [ "$h" = gen/embedded.h ] && found=1
                [ -n "$found" ] || { echo "# $f includes $h, not in: $below"; bad=1; }
            done
        done
    done
    return $bad
}
check source.layers layers_down

# Fails, printing them, when xf-classify carries the model's trainer
# (model_train.c, corpus.c, liblinear's train): the daemon only loads and
# predicts (the Makefile links it with libxf-classify.a, from which only
# what it calls is taken). Checks the builds there are.
no_trainer() {
    local b seen=0
    for b in bin/xf-classify bin-san/xf-classify; do
        [[ -x $b ]] || continue
        seen=1
        ! nm "$b" | grep -wE 'model_train|train_opts_default|corpus_cv|train|check_parameter' ||
            return 1
    done
    [[ $seen -eq 1 ]] || { echo "no xf-classify built"; return 1; }
}
check source.classify_predict_only no_trainer
# Fails, naming them, when C files are not as clang-format writes them.
formatted() {
    local out
    command -v clang-format-14 >/dev/null || { echo "# no clang-format-14"; return 1; }
    out=$(git ls-files '*.c' '*.h' | grep -v '/gen/' |
        xargs clang-format-14 --dry-run --Werror 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: error' |
        cut -d: -f1 | sort -u)
    [[ -z $out ]] || { printf '# not formatted (make format): %s\n' $out; return 1; }
}
check source.formatted formatted
check_summary
