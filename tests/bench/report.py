#!/usr/bin/env python3
"""report.py OUT TEXTS RATE SECONDS: make bench's figures from the files of
tests/bench.sh in OUT (the collector's JSON per run, each daemon's /metrics
and /proc memory). Writes OUT/bench.json and prints the tables as Markdown."""
import glob
import json
import os
import sys

DAEMONS = ("intake", "classify", "dispatch")
GOALS = {"ratio": 0.5, "p99_ms": 100, "history_ratio": 0.8, "statements": 0.05}


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def metric_sum(text, name):
    """Sum of every series of metric `name` (any labels), or the one series
    `name` names with its labels."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or ("{" not in name and line.startswith(name + "{")):
            total += float(line.rsplit(" ", 1)[1])
    return total


PHASES = ("poll", "work", "acks", "commit")


def daemon_figures(out, run, daemon):
    """Busy time, statements, PostgreSQL time per message; memory (max of instances)."""
    msgs = busy = stmts = pg_s = 0.0
    phase = dict.fromkeys(PHASES, 0.0)
    hwm = rss = 0
    for path in sorted(glob.glob(os.path.join(out, "%s.%s.*.metrics" % (run, daemon)))):
        with open(path) as f:
            text = f.read()
        msgs += metric_sum(text, "xf_messages_in_total")
        busy += metric_sum(text, "xf_message_duration_seconds_sum")
        stmts += metric_sum(text, "xf_pg_query_duration_seconds_count")
        pg_s += metric_sum(text, "xf_pg_query_duration_seconds_sum")
        for p in PHASES:
            phase[p] += metric_sum(text, 'xf_batch_phase_seconds_sum{phase="%s"}' % p)
    for path in glob.glob(os.path.join(out, "%s.%s.*.mem" % (run, daemon))):
        with open(path) as f:
            for line in f:
                key, val = line.split(":")
                kb = int(val.split()[0])
                if key == "VmHWM":
                    hwm = max(hwm, kb)
                else:
                    rss = max(rss, kb)
    per = (lambda v: v / msgs) if msgs else (lambda v: None)
    return {"messages_in": int(msgs), "busy_ms_per_message": ms(per(busy)),
            "statements_per_message": rnd(per(stmts), 3),
            "pg_ms_per_message": ms(per(pg_s)), "vm_hwm_mb": round(hwm / 1024, 1),
            "vm_rss_mb": round(rss / 1024, 1),
            "phase_ms_per_message": {p: ms(per(v)) for p, v in phase.items()}}


def board_figures(out, run):
    """The board's triggers and folds per dispatch batch, beside the batch's write."""
    b = load(out, run + ".board")
    if not b or not b.get("batches"):
        return None
    return {"batches": b["batches"], "board_ms_per_batch": rnd(b["board_ms"] / b["batches"], 3),
            "write_ms_per_batch": rnd(b["write_ms"] / b["batches"], 3),
            "share_of_write": ratio(b["board_ms"], b["write_ms"])}


def cpu_figures(out, run, count):
    """CPU ms per petition of each part between the run's two snapshots, and
    how busy the machine was (share of all its CPUs)."""
    a, b = load(out, run + ".cpu0"), load(out, run + ".cpu1")
    if not a or not b or not count:
        return None
    res = {k: round((b[k] - a.get(k, 0)) * 1000 / count, 3) for k in b if k != "wall"}
    parts = sum(v for k, v in res.items() if k not in ("machine", "kafka-jit"))
    res["other"] = round(res["machine"] - parts, 3)
    wall = b["wall"] - a["wall"]
    res["machine_busy_share"] = round((b["machine"] - a["machine"]) / (wall * os.cpu_count()), 3) \
        if wall > 0 else None
    return res


def ms(v):
    return None if v is None else round(v * 1000, 3)


def rnd(v, n=1):
    return None if v is None else round(v, n)


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        v = ("%.3f" % v).rstrip("0").rstrip(".") if abs(v) < 10 else "%.0f" % v
    return "%s%s" % (v, unit)


def build(out, texts, rate, secs):
    ceiling, e2e, lat, two, hist = (load(out, n) for n in ("ceiling", "e2e", "lat", "two", "hist"))
    per_s = lambda r: r["per_second"] if r else None
    res = {
        "petitions": e2e["count"] if e2e else None,
        "texts": texts,
        "ceiling_per_second": per_s(ceiling),
        "e2e_per_second": per_s(e2e),
        "e2e_ratio_to_ceiling": ratio(per_s(e2e), per_s(ceiling)),
        "latency": dict(lat["latency_ms"], offered_per_second=rate, seconds=secs,
                        petitions=lat["count"], assigned=lat["distinct"],
                        partial=bool(lat.get("partial")),
                        seconds_to_last_assignment=lat["seconds"]) if lat else None,
        "two_instances_per_second": per_s(two),
        "two_instances_ratio": ratio(per_s(two), per_s(e2e)),
        "history": dict(load(out, "history.load") or {}, per_second=per_s(hist),
                        ratio_to_empty=ratio(per_s(hist), per_s(e2e))) if hist else None,
        "board": {r: board_figures(out, r) for r in ("e2e", "hist")},
        "daemons": {d: daemon_figures(out, "e2e", d) for d in DAEMONS},
        "daemons_with_history": {d: daemon_figures(out, "hist", d) for d in DAEMONS}
        if hist else None,
        "cpu_ms_per_petition": {r: cpu_figures(out, r, (load(out, r) or {}).get("distinct"))
                                for r in ("ceiling", "e2e", "lat", "two", "hist")},
        "runs": {"ceiling": ceiling, "e2e": e2e, "latency": lat, "two": two, "history": hist},
        "goals": GOALS,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": open("/proc/loadavg").read().split()[:3]},
    }
    return res


def partial(run):
    """A note for a run cut short after its time: how far it got."""
    if not run or not run.get("partial"):
        return ""
    return " (partial: %d of %d in %.0f s)" % (run["distinct"], run["count"], run["seconds"])


def table(res):
    lat = res["latency"] or {}
    hist = res["history"] or {}
    runs = res["runs"]
    at_least = ">= " if (runs["latency"] or {}).get("partial") else ""
    rows = [
        ("Ceiling: xf-passthrough, 3 hops (msg/s)",
         fmt(res["ceiling_per_second"]) + partial(runs["ceiling"]), ""),
        ("End to end, %s petitions, empty database (petitions/s)" % fmt(res["petitions"]),
         fmt(res["e2e_per_second"]) + partial(runs["e2e"]), ""),
        ("End to end / ceiling", fmt(res["e2e_ratio_to_ceiling"]), ">= 0.5"),
        ("Latency intake -> lead assignment at %s/s for %s s: p50 / p99 / max (ms)"
         % (lat.get("offered_per_second", "-"), lat.get("seconds", "-")),
         "%s%s / %s / %s%s" % (at_least, fmt(lat.get("p50")), fmt(lat.get("p99")),
                               fmt(lat.get("max")), partial(runs["latency"])),
         "p99 <= 100"),
        ("End to end with %s petitions of history (petitions/s)" % fmt(hist.get("petitions")),
         fmt(hist.get("per_second")) + partial(runs["history"]), ""),
        ("With history / empty", fmt(hist.get("ratio_to_empty")), ">= 0.8"),
        ("History load (s)", fmt(hist.get("seconds")), ""),
        ("Two instances of each daemon (petitions/s)",
         fmt(res["two_instances_per_second"]) + partial(runs["two"]), ""),
        ("Two instances / one", fmt(res["two_instances_ratio"]), "> 1"),
    ]
    for r, name in (("e2e", "empty database"), ("hist", "with history")):
        b = res["board"].get(r)
        if b:
            rows.append(("Board figures per dispatch batch, %s: ms (share of the batch's"
                         " write, %s ms)" % (name, fmt(b["write_ms_per_batch"])),
                         "%s (%s)" % (fmt(b["board_ms_per_batch"]), fmt(b["share_of_write"])),
                         "not growing with history"))
    lines = ["| Figure | Measured | Goal |", "|---|---:|---|"]
    lines += ["| %s | %s | %s |" % r for r in rows]
    lines += ["", "| Daemon (run) | busy ms/msg | statements/msg | PostgreSQL ms/msg"
              " | VmHWM MB | VmRSS MB | poll / work / acks / commit ms/msg |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for name, runs in (("", res["daemons"]), (" (history)", res["daemons_with_history"] or {})):
        for d, f in runs.items():
            lines.append("| xf-%s%s | %s | %s | %s | %s | %s | %s |" % (
                d, name, fmt(f["busy_ms_per_message"]), fmt(f["statements_per_message"]),
                fmt(f["pg_ms_per_message"]), fmt(f["vm_hwm_mb"]), fmt(f["vm_rss_mb"]),
                " / ".join(fmt(f["phase_ms_per_message"][p]) for p in PHASES)))
    cpu = {r: f for r, f in res["cpu_ms_per_petition"].items() if f}
    if cpu:
        parts = ["xf-passthrough", "xf-intake", "xf-classify", "xf-dispatch", "postgres",
                 "kafka", "other"]
        parts = [p for p in parts if any(p in f for f in cpu.values())]
        lines += ["", "| CPU ms per message (run) | " + " | ".join(parts) +
                  " | machine | machine busy |", "|---|" + "---:|" * (len(parts) + 2)]
        for r, f in cpu.items():
            lines.append("| %s | %s | %s | %s |" % (
                r, " | ".join(fmt(f.get(p)) for p in parts), fmt(f["machine"]),
                fmt(f["machine_busy_share"])))
    lines.append("")
    lines.append("Texts: %s; statements goal <= %s per message; %s CPUs, load average at the"
                 " end %s." % (res["texts"], GOALS["statements"], res["machine"]["cpus"],
                               " ".join(res["machine"]["loadavg_at_end"])))
    return "\n".join(lines)


def main():
    out, texts, rate, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    res = build(out, texts, rate, secs)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    print(table(res))


if __name__ == "__main__":
    main()
