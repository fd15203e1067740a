#!/usr/bin/env python3
"""prom_config.py: deploy/prometheus/ made fit for a test on one host.

    prom_config.py OUTDIR INTERVAL SELF SERVICE=ADDR... [--for ALERT=DURATION]...

Reads deploy/prometheus/prometheus.yml and the rule files it names and
writes them to OUTDIR (prometheus.yml and each rule file by its base name)
with only these changes, so that the test runs what ships:
  - scrape_interval and evaluation_interval become INTERVAL (globally and
    in any scrape config that sets its own);
  - each static target group labelled service: SERVICE gets ADDR as its one
    target (every service of the file must be given, and none else);
  - the job `prometheus` scrapes SELF, the test's own Prometheus;
  - each alert named by --for gets that `for:` (the rule must exist).
Job names, labels, relabelling and expressions are left as they are.
Exits 1 with the reason when the files do not look as expected.
"""
import argparse
import os
import sys

import yaml

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "deploy", "prometheus", "prometheus.yml")


def die(msg):
    sys.exit("prom_config.py: " + msg)


def pairs(items, what):
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            die("%s: expected NAME=VALUE, got %r" % (what, item))
        out[key] = value
    return out


def retarget(conf, interval, self_addr, addrs):
    conf.setdefault("global", {})
    for g in [conf["global"]] + conf["scrape_configs"]:
        for key in ("scrape_interval", "evaluation_interval"):
            if key in g or g is conf["global"]:
                g[key] = interval
        g.pop("scrape_timeout", None)
    seen = set()
    for job in conf["scrape_configs"]:
        for group in job.get("static_configs", []):
            service = group.get("labels", {}).get("service")
            if job["job_name"] == "prometheus":
                group["targets"] = [self_addr]
            elif service is not None:
                if service not in addrs:
                    die("no address given for service %s" % service)
                group["targets"] = [addrs[service]]
                seen.add(service)
    if seen != set(addrs):
        die("services not in %s: %s" % (SRC, sorted(set(addrs) - seen)))


def shorten(rules_doc, fors, done):
    for group in rules_doc["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in fors:
                rule["for"] = fors[rule["alert"]]
                done.add(rule["alert"])


def main(argv):
    ap = argparse.ArgumentParser(prog="prom_config.py")
    ap.add_argument("outdir")
    ap.add_argument("interval")
    ap.add_argument("self_addr")
    ap.add_argument("services", nargs="+", metavar="SERVICE=ADDR")
    ap.add_argument("--for", dest="fors", action="append", default=[],
                    metavar="ALERT=DURATION")
    a = ap.parse_args(argv)
    fors = pairs(a.fors, "--for")
    outdir, interval, self_addr = a.outdir, a.interval, a.self_addr
    conf = yaml.safe_load(open(SRC))
    retarget(conf, interval, self_addr, pairs(a.services, "SERVICE=ADDR"))
    done, names = set(), []
    for path in conf.get("rule_files", []):
        rules_doc = yaml.safe_load(open(os.path.join(os.path.dirname(SRC), path)))
        shorten(rules_doc, fors, done)
        names.append(os.path.basename(path))
        with open(os.path.join(outdir, names[-1]), "w") as f:
            yaml.safe_dump(rules_doc, f, allow_unicode=True, sort_keys=False)
    if done != set(fors):
        die("no such alert: %s" % sorted(set(fors) - done))
    conf["rule_files"] = names
    with open(os.path.join(outdir, "prometheus.yml"), "w") as f:
        yaml.safe_dump(conf, f, sort_keys=False)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (OSError, LookupError, TypeError, yaml.YAMLError) as e:
        die("%s: %s" % (type(e).__name__, e))
