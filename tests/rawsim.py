#!/usr/bin/python3
"""rawsim.py - a raw-looking copy of pre-tokenised petitions: a proxy for
the raw text citizens write, which the labelled data lacks.

Usage: tests/rawsim.py IN.jsonl OUT.jsonl [--seed N] [--dict FILE] [--segment-c FILE]
Defaults: seed 1, models/xf-words.dict, services/classify/segment.c.

Each text's tokens (the data's spaces) get back what its tokeniser took
away, as far as we know it:
  - after a token, with probability 1/3, a function word of the
    segmenter's stop list (the 159 of segment.c), drawn by its frequency in
    the dictionary (jieba's), so that stop words are a quarter of the
    tokens, as in jieba-cut Chinese prose;
  - after a token, with probability 1/7, a Chinese punctuation mark
    (，。、！？, weighted 60/25/8/4/3);
  - each ASCII letter or digit run, with probability 1/2, in full width;
then the tokens are joined without spaces. Other fields are kept.

Deterministic: a splitmix64 stream per document, seeded by the seed and a
hash of the document's id (or its line number), so a document's copy does
not depend on the others; no rand(), no Python random.
"""
import argparse
import json
import re
import struct
import sys

MASK = (1 << 64) - 1
STOP_RATE = (1, 3)   # a stop word after a token: 1 in 3 -> 25% of the tokens
PUNCT_RATE = (1, 7)  # a mark after a token
WIDE_RATE = (1, 2)   # an ASCII run in full width
MARKS = [('，', 60), ('。', 25), ('、', 8), ('！', 4), ('？', 3)]


class Stream:
    """splitmix64 (Steele, Lea and Flood 2014)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def chance(self, rate):
        return self.next() % rate[1] < rate[0]

    def pick(self, weighted, total):
        r = self.next() % total
        for item, w in weighted:
            if r < w:
                return item
            r -= w
        raise AssertionError('weights do not sum to total')


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def stop_words(path):
    """The stop list of segment.c (its stop_words[] array)."""
    src = open(path, encoding='utf-8').read()
    body = re.search(r'stop_words\[\] = \{(.*?)\};', src, re.S)
    if not body:
        sys.exit(f'rawsim: no stop_words[] in {path}')
    return re.findall(r'"([^"]+)"', body.group(1))


def dict_freqs(path):
    """word -> frequency of an xf-words-1 dictionary (segment.c's format)."""
    buf = open(path, 'rb').read()
    if buf[:8] != b'XFSEG1\n\0':
        sys.exit(f'rawsim: {path} is not an xf-words-1 dictionary')
    nwords = struct.unpack_from('<I', buf, 8)[0]
    pos, word, freqs = 24, b'', {}
    for _ in range(nwords):
        shared, more = buf[pos], buf[pos + 1]
        word = word[:shared] + buf[pos + 2:pos + 2 + more]
        pos += 2 + more
        freq, shift = 0, 0
        while True:
            b = buf[pos]
            pos += 1
            freq |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        freqs[word.decode()] = freq
    return freqs


def wide(tok):
    return ''.join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in tok)


def rawsim(text, rng, stops, total):
    out = []
    for tok in text.split():
        if tok.isascii() and tok.isalnum() and rng.chance(WIDE_RATE):
            tok = wide(tok)
        out.append(tok)
        if rng.chance(STOP_RATE):
            out.append(rng.pick(stops, total))
        if rng.chance(PUNCT_RATE):
            out.append(rng.pick(MARKS, 100))
    return ''.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('inp')
    ap.add_argument('out')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--dict', default='models/xf-words.dict')
    ap.add_argument('--segment-c', default='services/classify/segment.c')
    args = ap.parse_args()
    freqs = dict_freqs(args.dict)
    stops = [(w, freqs[w]) for w in stop_words(args.segment_c) if w in freqs]
    total = sum(f for _, f in stops)
    with open(args.inp, encoding='utf-8') as f, open(args.out, 'w', encoding='utf-8') as out:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            doc = json.loads(line)
            key = doc.get('id') or str(lineno)
            rng = Stream(args.seed * 0x9E3779B97F4A7C15 ^ fnv1a64(key))
            doc['text'] = rawsim(doc['text'], rng, stops, total)
            out.write(json.dumps(doc, ensure_ascii=False) + '\n')


if __name__ == '__main__':
    main()
