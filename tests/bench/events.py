#!/usr/bin/env python3
"""events.py N TAG DATA OUT: N hotline events for make bench, one line each,
"<external_id>\t<json>" (bench-kafka produce), external ids TAG-0 .. TAG-N-1.

Texts are the citizens' messages of DATA (the labelled corpus, tokeniser
spaces removed), cycled; when DATA is missing, texts made from a few
templates. Regions: the three counties of tests/bench/rules.json (and some
of their townships), weighted like a city's districts. Petitioners: most
phones distinct, a pool of frequent callers repeats. Deterministic (a fixed
seed per TAG), occurred_at is the last two hours."""
import datetime
import json
import os
import random
import sys

REGIONS = [("330381", 30), ("330381001", 8), ("330381101", 7),
           ("330382", 25), ("330382100", 5),
           ("330302", 20), ("330302001", 5)]
CHANNELS = ["hotline"] * 6 + ["web"] * 2 + ["app", "grid"]
TEMPLATES = [
    "公司拖欠工资三个月，讨薪无果，社保也没有缴纳，请人社部门帮助解决。",
    "老旧小区改造工程拖了一年还没完工，路面挖开没有恢复，下水道经常堵塞。",
    "附近工厂夜间排放废气，有刺鼻异味，噪音很大，严重影响周边居民休息。",
    "孩子所在学校组织学生周末补课，老师要求交费，请教育局调查处理。",
    "在医院看病时医生开了很多不必要的检查，患者负担很重，请卫生部门核查。",
    "村里的灌溉水渠损坏多年无人维修，耕地无法灌溉，影响今年的种植。",
    "小区门口道路占道经营严重，早晚高峰堵车，行人无法通行，请城管处理。",
]


def texts(path):
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            out = [json.loads(line)["text"].replace(" ", "") for line in f]
        out = [t[:2000] for t in out if len(t) >= 20]
        if out:
            return out, "corpus"
    rnd = random.Random(7)
    return ["".join(rnd.choice(TEMPLATES) for _ in range(rnd.randint(3, 12)))
            for _ in range(500)], "generated"


def main():
    n, tag, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    rnd = random.Random(tag)
    corpus, origin = texts(data)
    regions = [r for r, w in REGIONS for _ in range(w)]
    frequent = ["139%08d" % rnd.randrange(10**8) for _ in range(max(20, n // 200))]
    cst = datetime.timezone(datetime.timedelta(hours=8))
    now = datetime.datetime.now(cst).replace(microsecond=0)
    offset = rnd.randrange(len(corpus))
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            text = corpus[(offset + i) % len(corpus)]
            phone = rnd.choice(frequent) if rnd.random() < 0.15 else \
                "1%d%09d" % (rnd.choice([3, 5, 7, 8, 9]), rnd.randrange(10**9))
            at = now - datetime.timedelta(seconds=rnd.randrange(7200))
            ev = {
                "schema": "xf.hotline_event.v1",
                "source": {"system": "t12345", "channel": rnd.choice(CHANNELS)},
                "external_id": "%s-%d" % (tag, i),
                "occurred_at": at.isoformat(),
                "region_code": rnd.choice(regions),
                "subject": text[:30],
                "content": text,
                "petitioner": {"phone": phone},
            }
            f.write("%s-%d\t%s\n" % (tag, i, json.dumps(ev, ensure_ascii=False)))
    print(origin)


if __name__ == "__main__":
    main()
