#!/usr/bin/env python3
"""schema_agree.py: xf-intake and an independent JSON Schema validator agree.

Every held event -- deploy/examples/petitions.jsonl, the integration tests'
generator (tests/e2e/gen.c, through bin/validate-events --gen), the fuzz
corpus tests/fuzz/validate, the texts of tests/data and /work/shared/data
(when present) set into an event -- and hostile variants of them (each
field missing, null, empty, of every wrong type, at and past its length,
bad times, region codes, attachments, ...) is judged twice:

  * by python-jsonschema (Debian python3-jsonschema) against
    schemas/xf.hotline_event.v1.json, Draft 2020-12, with its FormatChecker
    and the project's named formats written here from their definitions
    (date-time as PostgreSQL stores it, xf-region-code);
  * by xf-intake's intake_validate() (bin/validate-events).

The verdicts (valid or not) must be the same for every case. Reading the
bytes comes before any schema: both refuse what is over 1 MiB, not UTF-8,
not JSON (duplicate keys, NaN, a \\u0000, a lone surrogate, a number jansson
cannot hold), more than 10000 values, not an object -- as README "Topics"
says intake does.

Usage: tests/schema_agree.py [BIN_DIR]  (default bin). Prints check lines and
"N passed, N failed" as the other check suites do; exit 1 on a failure.
"""
import copy
import datetime
import glob
import json
import os
import re
import subprocess
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, validators
    from jsonschema.exceptions import ValidationError
except ImportError:
    print("FAIL - schema.reference: python3-jsonschema is not installed "
          "(deploy/scripts/setup.sh installs it)")
    print("0 passed, 1 failed")
    sys.exit(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "schemas", "xf.hotline_event.v1.json")
SHARED_DATA = "/work/shared/data/teddycup2020_train.jsonl"
MAX_BYTES = 1 << 20
MAX_VALUES = 10000
INT64 = (-(1 << 63), (1 << 63) - 1)
PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
             "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
             "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81",
             "82"}


# ---- reading the bytes (before the schema) ------------------------------

class Unreadable(Exception):
    pass


def _no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Unreadable("duplicate key")
    return dict(pairs)


def _int(text):
    n = int(text)
    if not INT64[0] <= n <= INT64[1]:
        raise Unreadable("integer too big")
    return n


def _float(text):
    f = float(text)
    if f in (float("inf"), float("-inf")):
        raise Unreadable("real overflow")
    return f


def _refuse(text):
    raise Unreadable("not JSON: " + text)


def _count(v):
    """Values, object keys included."""
    if isinstance(v, dict):
        return 1 + sum(1 + _count(x) for x in v.values())
    if isinstance(v, list):
        return 1 + sum(_count(x) for x in v)
    if isinstance(v, str) and ("\0" in v or re.search("[\ud800-\udfff]", v)):
        raise Unreadable("NUL or lone surrogate")
    return 1


def _keys_ok(v):
    if isinstance(v, dict):
        for k, x in v.items():
            _count(k)
            _keys_ok(x)
    elif isinstance(v, list):
        for x in v:
            _keys_ok(x)


def read_event(raw):
    """The event as intake reads it, or raises Unreadable."""
    if len(raw) > MAX_BYTES:
        raise Unreadable("too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8")
    try:
        doc = json.loads(text, object_pairs_hook=_no_dups, parse_int=_int,
                         parse_float=_float, parse_constant=_refuse)
    except ValueError as e:
        raise Unreadable(str(e))
    _keys_ok(doc)
    if _count(doc) > MAX_VALUES:
        raise Unreadable("too many values")
    if not isinstance(doc, dict):
        raise Unreadable("not an object")
    return doc


# ---- the schema, with ECMA-262 patterns and the project's formats --------

def ecma(pattern):
    """ECMA-262's $ (no multiline) is the very end; Python's $ also matches
    before a final newline, so it becomes \\Z (outside classes)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        out.append("\\Z" if c == "$" and not in_class else c)
        i += 1
    return "".join(out)


def pattern_keyword(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and \
            not re.search(ecma(pattern), instance, re.ASCII):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})"
                     r"(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))", re.ASCII)


def date_time(s):
    """RFC 3339 date-time with offset and T, as PostgreSQL stores it: years
    0001-9999, offset within +-15:59, second 60 the next minute's first
    instant, nothing after 24:00:00 (the fraction rounded to microseconds),
    at most 64 characters."""
    if not isinstance(s, str):
        return True
    m = TIME_RE.fullmatch(s)
    if not m or len(s) > 64:
        return False
    y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    if h > 23 or mi > 59 or sec > 60:
        return False
    if m.group(9) and (int(m.group(9)) > 15 or int(m.group(10)) > 59):
        return False
    us = round(float(m.group(7)) * 1e6) if m.group(7) else 0
    return (h * 3600 + mi * 60 + sec) * 1000000 + us <= 86400 * 1000000


def region_code(s):
    """GB/T 2260: 6, 9 or 12 ASCII digits, the first two a province."""
    if not isinstance(s, str):
        return True
    return re.fullmatch(r"[0-9]{6}|[0-9]{9}|[0-9]{12}", s) is not None and \
        s[:2] in PROVINCES


def reference():
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    checker = FormatChecker()
    # uri is an annotation in the project (common/jschema.h), as in 2020-12
    checker.checkers.pop("uri", None)
    checker.checks("date-time")(date_time)
    checker.checks("xf-region-code")(region_code)
    cls = validators.extend(Draft202012Validator, {"pattern": pattern_keyword})
    cls.check_schema(schema)
    return cls(schema, format_checker=checker)


def ref_verdict(validator, raw):
    try:
        doc = read_event(raw)
    except Unreadable as e:
        return False, "unreadable: " + str(e)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if not errors:
        return True, ""
    return False, "; ".join("/".join(map(str, e.path)) + ": " + e.message[:80]
                            for e in errors[:4])


# ---- the cases ----------------------------------------------------------

def enc(doc):
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def base_event(text, i):
    return {"source": {"system": "corpus"}, "external_id": f"C-{i}",
            "occurred_at": "2026-11-22T10:00:00+08:00", "region_code": "330381",
            "subject": text, "content": text}


def held(bin_dir):
    """(name, bytes) of every held corpus."""
    cases = []
    with open(os.path.join(ROOT, "deploy/examples/petitions.jsonl"), "rb") as f:
        for i, line in enumerate(f):
            cases.append((f"examples/petitions.jsonl:{i + 1}", line.rstrip(b"\n")))
    gen = subprocess.run([os.path.join(bin_dir, "validate-events"), "--gen", "400"],
                         check=True, capture_output=True, text=True).stdout
    for i, line in enumerate(gen.split()):
        cases.append((f"e2e/gen.c:{i}", bytes.fromhex(line)))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fuzz/validate/*"))):
        with open(path, "rb") as f:
            cases.append(("fuzz/validate/" + os.path.basename(path), f.read()))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/*"))):
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if line.strip() and not line.startswith("#"):
                    text = line.rstrip("\n").split("\t")[-1]
                    cases.append((f"data/{os.path.basename(path)}:{i + 1}",
                                  enc(base_event(text, i))))
    if os.path.exists(SHARED_DATA):
        with open(SHARED_DATA, encoding="utf-8") as f:
            for i, line in enumerate(f):
                text = json.loads(line)["text"].replace(" ", "")
                cases.append((f"shared/teddycup:{i + 1}", enc(base_event(text, i))))
    return cases


FULL = {
    "schema": "xf.hotline_event.v1",
    "source": {"system": "wz12345", "channel": "hotline", "operator": "A07"},
    "external_id": "WO-1", "occurred_at": "2026-11-22T10:00:00+08:00",
    "region_code": "330381001", "subject": "拖欠工资", "content": "公司拖欠三个月工资。",
    "petitioner": {"name": "某", "phone": "138", "id_number": "X", "anonymous": False},
    "address": "瑞安市", "location": {"lat": 27.78, "lon": 120.65}, "co_signers": 3,
    "attachments": [{"name": "a.jpg", "url": "https://x/a.jpg", "sha256": "ab" * 32}],
    "category_hint": "劳动保障", "language": "zh-Hans", "x_upstream": {"kept": [1]},
}

# (dotted path, schema maximum length) of every bounded string
LIMITS = [("source.system", 128), ("external_id", 256), ("subject", 200),
          ("content", 20000), ("address", 500), ("category_hint", 100),
          ("language", 35), ("petitioner.name", 100), ("petitioner.phone", 40),
          ("petitioner.id_number", 40), ("attachments.0.name", 255),
          ("attachments.0.url", 2048), ("occurred_at", 64)]

DELETE = object()

WRONG = [None, "", 5, 2.5, True, [], {}, ["x"], {"a": 1}]

TIMES = ["2026-11-22 10:00:00+08:00", "2026-11-22t10:00:00z", "2026-11-22T10:00:00",
         "2026-11-22T10:00:00+16:00", "2026-11-22T10:00:00-15:59", "0000-01-01T00:00:00Z",
         "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2016-12-31T23:59:60Z",
         "2016-12-31T23:59:60.5Z", "2026-11-22T10:00:60+08:00", "2024-02-29T10:00:00Z",
         "2026-02-29T10:00:00Z", "2026-11-31T10:00:00Z", "2026-11-22T24:00:00Z",
         "2026-11-22T10:60:00Z", "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00.123456789Z",
         "2026-11-22T23:59:59.9999999Z", "2026-11-22T23:59:60.0000001Z",
         "2026-11-22T10:00:00+08:00\n", "２０２６-11-22T10:00:00Z", "2026-11-22T10:00:00+8:00",
         "2026-11-22T10:00:00.0000000000000000000000000000000000000000+08:00",
         "2026-11-22T10:00:00.000000000000000000000000000000000000000+08:00", "yesterday"]

REGIONS = ["330381", "330381001", "330381001001", "33038", "3303810", "3303810010010",
           "990101", "710000", "820000", "720000", "000000", "330381\n", "３３０３８１",
           "33038a", " 330381", 330381]

ATTACHMENTS = [[], {}, [7], [{}], [{"url": ""}], [{"url": 5}], [{"url": "x", "name": None}],
               [{"url": "x", "name": 1}], [{"url": "x", "sha256": "ab"}],
               [{"url": "x", "sha256": "AB" * 32}], [{"url": "x", "sha256": "ab" * 32 + "\n"}],
               [{"url": "x", "sha256": "g" * 64}], [{"url": "x", "sha256": ""}],
               [{"url": "x", "sha256": None}], [{"url": "x"}, {"name": "y"}],
               [{"url": "not a uri at all"}]]

OTHERS = [("source.channel", v) for v in
          ["hotline", "web", "app", "grid", "walk_in", "letter", "e_station", "Hotline",
           "fax", None, 1]] + \
    [("schema", v) for v in ["xf.hotline_event.v1", "xf.petition.v1", 1, None]] + \
    [("co_signers", v) for v in [1, 0, 3.0, 2.5, "3", None, 5000000000, -1, True, 1e300]] + \
    [("location", v) for v in [None, {}, {"lat": 91, "lon": 0}, {"lat": -90, "lon": 180},
                               {"lat": "1", "lon": 1}, [1, 2], {"lat": 1},
                               {"lat": 0, "lon": -180.5}, {"lat": None, "lon": 1}]] + \
    [("petitioner", v) for v in [None, "x", {}, {"anonymous": "yes"}, {"anonymous": None},
                                 {"phone": 1}, {"anonymous": True, "extra": {}}]] + \
    [("attachments", v) for v in ATTACHMENTS] + \
    [("occurred_at", v) for v in TIMES] + [("region_code", v) for v in REGIONS] + \
    [("subject", "😀" * 200), ("subject", "😀" * 201), ("content", "a\nb\tc"),
     ("source", "wz12345"), ("source", {}), ("x_upstream", None)]


def put(doc, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc.setdefault(k, {})
    last = int(keys[-1]) if isinstance(doc, list) else keys[-1]
    if value is DELETE:
        del doc[last]
    else:
        doc[last] = value


def mutants():
    """(name, bytes) of variants of a full valid event."""
    cases = [("full", enc(FULL))]

    def variant(name, path, value):
        doc = copy.deepcopy(FULL)
        put(doc, path, value)
        cases.append((name, enc(doc)))

    for path in ["source", "source.system", "external_id", "occurred_at", "region_code",
                 "subject", "content", "attachments.0.url", "location.lat"]:
        variant(f"{path} deleted", path, DELETE)
    for path in [p for p, _ in LIMITS] + ["petitioner.anonymous", "co_signers",
                                          "attachments.0.sha256", "schema", "location.lon"]:
        for i, v in enumerate(WRONG):
            variant(f"{path} wrong {i}", path, v)
    for path, n in LIMITS:
        if path == "occurred_at":
            continue
        for k in (n - 1, n, n + 1):
            variant(f"{path} {k} x", path, "x" * k)
            variant(f"{path} {k} 访", path, "访" * k)
    for i, (path, v) in enumerate(OTHERS):
        variant(f"{path} other {i}", path, v)
    raw = [b"", b"[]", b"\"x\"", b"1", b"null", b"{", b"\xff", b"{\"a\":1,\"a\":2}",
           b"{\"a\": NaN}", b"{\"a\": 1e400}", b"{\"a\": 99999999999999999999}",
           b"{\"a\": \"\\u0000\"}", b"{\"a\": \"\\ud800\"}", b"{\"\\ud800\": 1}",
           enc(FULL).replace(b"WO-1", b"WO-\\u0000"),
           enc(FULL).replace(b"\"WO-1\"", b"\"WO-\\ud83d\\ude00\""),
           enc(FULL)[:-1] + b", \"pad\": [" + b",".join([b"0"] * 9970) + b"]}",
           enc(FULL)[:-1] + b", \"pad\": [" + b",".join([b"0"] * 9990) + b"]}",
           enc(FULL)[:-1] + b", \"pad\": \"" + b"x" * MAX_BYTES + b"\"}"]
    cases += [(f"raw {i}", r) for i, r in enumerate(raw)]
    return cases


# ---- the comparison -----------------------------------------------------

def main():
    bin_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bin")
    validator = reference()
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print(("ok - " if ok else "FAIL - ") + name)
        for line in detail.splitlines()[-20:] if not ok else []:
            print("#   " + line)
        passed, failed = passed + ok, failed + (not ok)

    suites = [("schema.held_corpora", held(bin_dir)), ("schema.hostile_variants", mutants())]
    for suite, cases in suites:
        intake = subprocess.run([os.path.join(bin_dir, "validate-events")],
                                input="".join(raw.hex() + "\n" for _, raw in cases),
                                check=True, capture_output=True, text=True).stdout.splitlines()
        bad, counts = [], {True: 0, False: 0}
        for (name, raw), got in zip(cases, intake):
            want, why = ref_verdict(validator, raw)
            counts[want] += 1
            if want != got.startswith("valid"):
                bad.append(f"{name}: reference {'valid' if want else 'invalid'} ({why}),"
                           f" intake {got[:200]}")
        if len(intake) != len(cases):
            bad.append(f"{len(cases)} cases, {len(intake)} verdicts")
        # a run that judges nothing, or only one way, proves nothing
        if counts[True] < 10 or counts[False] < 10:
            bad.append(f"too few cases of one verdict: {counts}")
        check(f"{suite} ({len(cases)} cases: {counts[True]} valid, {counts[False]} invalid)",
              not bad, "\n".join(bad))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
