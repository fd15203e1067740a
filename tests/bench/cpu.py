#!/usr/bin/env python3
"""cpu.py NAME=PID...: the CPU seconds (user + system) each named process
has used so far, with every descendant's, living or reaped (a reaped child's
time is in its parent's cutime and cstime). Prints one JSON object
{NAME: seconds}; names may repeat (their times add up), and "machine" is
the whole machine's busy time (every CPU, /proc/stat), "wall" a monotonic
clock in seconds, "kafka-jit" the part of the broker's time its JIT
compiler threads took. make bench takes one
before and one after a run: the difference is where the machine's time went."""
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def stats():
    """pid -> (ppid, own ticks, reaped children's ticks) of every process."""
    res = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # rest[0] is field 3 (state): ppid is field 4, utime..cstime 14..17
        res[int(d)] = (int(rest[1]), int(rest[11]) + int(rest[12]),
                       int(rest[13]) + int(rest[14]))
    return res


def children(procs):
    """ppid -> its children's pids."""
    kids = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    return kids


def tree_seconds(procs, kids, root):
    if root not in procs:
        return 0.0
    ticks, todo = procs[root][2], [root]
    while todo:
        pid = todo.pop()
        ticks += procs[pid][1]
        todo += kids.get(pid, [])
    return ticks / TICK


def jit_seconds(pid):
    """CPU seconds of a JVM's JIT compiler threads (C1 and C2)."""
    ticks = 0
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0.0
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                text = f.read()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        if "CompilerThre" in comm:
            rest = text.rsplit(")", 1)[1].split()
            ticks += int(rest[11]) + int(rest[12])
    return ticks / TICK


def machine_seconds():
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: busy is all but idle, iowait
    return (sum(cpu[:8]) - cpu[3] - cpu[4]) / TICK


def main():
    procs = stats()
    kids = children(procs)
    out = {"machine": round(machine_seconds(), 2), "wall": round(time.monotonic(), 2)}
    for arg in sys.argv[1:]:
        name, pid = arg.split("=", 1)
        if pid.strip().isdigit():
            out[name] = round(out.get(name, 0.0) + tree_seconds(procs, kids, int(pid)), 2)
            if name == "kafka":
                out["kafka-jit"] = round(jit_seconds(int(pid)), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
