#!/usr/bin/env bash
# gen-segdict.sh - regenerates models/xf-words.dict, the word segmenter's
# dictionary (services/classify/segment.h), from the dictionary of Debian's
# python3-jieba (dict.txt: "word freq tag" lines, 349,046 words).  Run by
# hand; the output is committed, so building and running need no jieba.
# Usage: deploy/scripts/gen-segdict.sh [MIN_FREQ]
#   MIN_FREQ  drop words rarer than this (default: keep all; 3 gives 2.0 MB
#             and 99.67% agreement with jieba instead of 2.3 MB and 99.96%)
#
# Each word is normalised as petitions are (classify/normalize.h: NFKC,
# traditional -> simplified, lower case, punctuation removed); words that
# become one keep the frequency of the one already in normal form, else the
# greatest.  The total the log-probabilities are taken against stays jieba's
# (the sum over every line), so our cut of a normalised text is jieba's.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dict=${JIEBA_DICT:-/usr/lib/python3/dist-packages/jieba/dict.txt}
[[ -r $dict ]] || die "$dict not found; run deploy/scripts/setup.sh (python3-jieba)"
make -s -C "$XF_ROOT" bin/segment-tool
"$XF_ROOT/bin/segment-tool" build "$dict" "$XF_ROOT/models/xf-words.dict" "${1:-0}"
