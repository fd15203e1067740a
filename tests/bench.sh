#!/usr/bin/env bash
# tests/bench.sh (make bench): the classifier's figures, each measured in
# this run with its baseline beside it. Needs the labelled data of
# ../shared/data (XF_TRAIN_DATA overrides) and Debian's opencc for the
# traditional-character copy.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${XF_TRAIN_DATA:-../shared/data/teddycup2020_train.jsonl}
work=.run/bench
mkdir -p "$work"
if ! command -v opencc >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q opencc >/dev/null
fi
# the texts without the tokeniser's spaces, and their traditional copy (OpenCC s2t, phrase level)
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line); d["text"] = d["text"].replace(" ", "")
    print(json.dumps(d, ensure_ascii=False))' "$data" >"$work/plain.jsonl"
opencc -c s2t.json -i "$work/plain.jsonl" -o "$work/traditional.jsonl"
echo "== classifier speed, memory, traditional text"
bin/bench-classify models/xf-category.model "$work/plain.jsonl" "$work/traditional.jsonl"
echo
echo "== 5-fold stratified cross-validation (the committed model's settings)"
bin/xfctl model cv "$data" -k 5 -C 1000 --balanced 1
