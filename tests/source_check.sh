#!/usr/bin/env bash
# source_check.sh: habits of the C sources, checked in make test.
#   banned_functions: none of the calls that overrun or truncate silently
#     (git's banned.h list: strcpy, strcat, strncpy, strncat, sprintf,
#     vsprintf, gets, strtok; and the non-reentrant time calls gmtime,
#     localtime, ctime, asctime): use sbuf (common/sbuf.h), snprintf, the
#     _r variants.
#   classify_predict_only: xf-classify links no training code.
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

# Fails, printing them, when xf-classify carries the model's trainer
# (model_train.c, corpus.c, liblinear's train): the daemon only loads and
# predicts (Makefile, CLASSIFY_TRAIN_SRC). Checks the builds there are.
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
check_summary
