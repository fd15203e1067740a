#!/usr/bin/python3
"""segment_agree.py - how often our word segmenter (bin/segment-tool cut, i.e.
services/classify/segment.c) cuts as Debian's python3-jieba does with
HMM=False, on the same normalised texts.

Usage: tests/segment_agree.py [DATA.jsonl] [--dict FILE] [--tool BIN]
Defaults: ../shared/data/teddycup2020_train.jsonl, models/xf-words.dict,
bin/segment-tool. The texts' spaces are removed first (the data is
pre-tokenised). Prints the share of jieba's words that we cut alike (same
span), the share of texts cut wholly alike, and a few differences; exits 1
below 99%. Then how close raw text comes to the data's own tokens: each
text's spaces removed, cut with stop words left out (cut --skip-stop), and
its words compared, as a multiset, with the data's tokens (each normalised
the same way). Takes about 10 s (jieba is slow): not part of make test.
"""
import collections
import argparse
import json
import subprocess
import sys

import jieba


def spans(words):
    out, pos = set(), 0
    for w in words:
        out.add((pos, pos + len(w)))
        pos += len(w)
    return out


def cut(args, texts, *opts):
    """Our cut of texts: [(normal form, words), ...]."""
    out = subprocess.run([args.tool, 'cut', args.dict, *opts], input='\n'.join(texts) + '\n',
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for row in out.rstrip('\n').split('\n'):
        norm, _, words = row.partition('\t')
        rows.append((norm, words.split(' ') if words else []))
    return rows


def raw_vs_tokens(args, texts, tokens):
    """Share of the data's tokens that the raw text, cut without stop words, gives."""
    ours = cut(args, texts, '--skip-stop')
    flat = iter(norm for norm, _ in cut(args, [w for t in tokens for w in t]))
    same = total = mine = 0
    for (_, a), t in zip(ours, tokens):
        b = collections.Counter(n for n in (next(flat) for _ in t) if n)
        same += sum((collections.Counter(a) & b).values())
        total += sum(b.values())
        mine += len(a)
    print("raw text cut, stop words left out, against the data's own tokens: %d of %d "
          "tokens (%.2f%%), %d words of ours" % (same, total, 100.0 * same / max(total, 1), mine))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data', nargs='?', default='../shared/data/teddycup2020_train.jsonl')
    ap.add_argument('--dict', default='models/xf-words.dict')
    ap.add_argument('--tool', default='bin/segment-tool')
    ap.add_argument('--show', type=int, default=5, help='differences to print')
    args = ap.parse_args()
    jieba.setLogLevel(60)
    texts, tokens = [], []
    with open(args.data, encoding='utf-8') as f:
        for line in f:
            tokens.append(json.loads(line)['text'].split())
            texts.append(''.join(tokens[-1]))
    out = cut(args, texts)
    ours_total = theirs_total = same = whole = 0
    shown = 0
    for norm, ours in out:
        theirs = list(jieba.cut(norm, HMM=False))
        a, b = spans(ours), spans(theirs)
        ours_total += len(a)
        theirs_total += len(b)
        same += len(a & b)
        whole += a == b
        if a != b and shown < args.show:
            shown += 1
            print('differs: ours  ', ' '.join(ours)[:200])
            print('         jieba ', ' '.join(theirs)[:200])
    agree = same / max(theirs_total, 1)
    print('texts: %d, cut wholly alike: %d (%.2f%%)' % (len(texts), whole,
                                                         100.0 * whole / max(len(texts), 1)))
    print("jieba's words: %d, ours: %d, alike: %d: agreement %.3f%%"
          % (theirs_total, ours_total, same, 100.0 * agree))
    raw_vs_tokens(args, texts, tokens)
    return 0 if agree >= 0.99 else 1


if __name__ == '__main__':
    sys.exit(main())
