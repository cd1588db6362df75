#!/usr/bin/env python3
"""Scale-out ingest rate (issue 8; a benchmark, never a test): the same events ingested by 1, 2
and 3 `locus serve` processes with kafka.scale_out in one group on one embedded cluster (locus
broker, 12 partitions). Each run lets the group settle (every instance holding its share of the
partitions), then publishes the events and times the group until the events applied, summed
over the instances' /metrics, reach their number; events per second. Facts to the by-place
topic, their aggregation and the model topic are all part of what is timed.

    bench/scale_out.py [--events N] [--places N] [--users N] [--instances off,1,2,3] [--json FILE]

"off" is one instance without kafka.scale_out: beside "1" it shows what the by-place and
model topics cost.

Needs build/locus (Release). Prints a JSON line per run and a summary table.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOCUS = ROOT / "build" / "locus"


def wait_for(path, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            m = re.search(pattern, path.read_text(errors="replace"))
            if m:
                return m
        time.sleep(0.1)
    raise RuntimeError(f"{path}: no {pattern!r} within {timeout} s")


def metrics(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


def applied(m):
    return (m.get('locus_events_total{type="visit",outcome="applied"}', 0) +
            m.get('locus_events_total{type="click",outcome="applied"}', 0))


def run(n, city, events, work, scaled=True):
    work.mkdir(parents=True)
    broker = subprocess.Popen([LOCUS, "broker"], stdout=open(work / "broker.out", "w"),
                              stderr=open(work / "broker.log", "w"))
    procs = [broker]
    try:
        bootstrap = wait_for(work / "broker.out", r"bootstrap: (\S+)", 30).group(1)
        config = work / "scaled.yaml"
        config.write_text(f"kafka:\n  scale_out: {'true' if scaled else 'false'}\n"
                          "mysql:\n  snapshot_interval_s: 0\n")
        urls = []
        for i in range(n):
            out, log = work / f"serve-{i}.out", work / f"serve-{i}.log"
            procs.append(subprocess.Popen(
                [LOCUS, "serve", "--config", config, "--bootstrap", bootstrap, "--data-dir",
                 work / f"state-{i}", "--http", "127.0.0.1:0"],
                stdout=open(out, "w"), stderr=open(log, "w")))
            urls.append(wait_for(out, r"http: (http://[0-9.:]+)/", 60).group(1))
        # The group first holds every partition, each instance its share, for 3 s on end (joins
        # and rebalances are not timed); then the events are published (~140k/s here, faster
        # than any run ingests) and the group is timed until it applied them all.
        topics, steady_since = (3 if scaled else 2) * 12, None
        deadline = time.time() + 180
        while time.time() < deadline:
            held = [metrics(u).get("locus_assigned_partitions", 0) for u in urls]
            if sum(held) == topics and min(held) > 0:
                steady_since = steady_since or time.time()
                if time.time() - steady_since > 3:
                    break
            else:
                steady_since = None
            time.sleep(0.1)
        start = time.time()
        subprocess.run([LOCUS, "import", city, "--bootstrap", bootstrap, "--max-lag", "0",
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL,
                       stderr=open(work / "import.log", "w"))
        published = time.time() - start
        done = None
        while time.time() - start < 900:
            m = [metrics(u) for u in urls]
            if sum(applied(x) for x in m) >= events:
                done = time.time()
                break
            time.sleep(0.05)
        seconds = (done or time.time()) - start
        total = sum(applied(metrics(u)) for u in urls)
        rebalances = sum(metrics(u).get("locus_rebalances_total", 0) for u in urls)
        rss = 0
        for p in procs[1:]:
            with open(f"/proc/{p.pid}/status") as f:
                rss += int(next(l for l in f if l.startswith("VmRSS")).split()[1]) * 1024
        return {"instances": n, "scale_out": scaled, "events": events, "seconds": round(seconds, 2),
                "events_per_s": round(events / seconds) if done else None,
                "publish_s": round(published, 2), "events_applied": int(total),
                "rebalances": int(rebalances), "rss_gib_all": round(rss / 2**30, 3),
                "load_avg_1m": os.getloadavg()[0]}
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--places", type=int, default=20000)
    ap.add_argument("--users", type=int, default=20000)
    ap.add_argument("--instances", default="off,1,2,3")
    ap.add_argument("--json")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        city = tmp / "city.tsv"
        subprocess.run([LOCUS, "gen-city", "--out", city, "--checkins", str(a.events), "--places",
                        str(a.places), "--users", str(a.users), "--seed", "3"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results = []
        for x in a.instances.split(","):
            # "off": one instance without kafka.scale_out (no by-place or model topic).
            n = 1 if x == "off" else int(x)
            r = run(n, city, a.events, tmp / f"run-{x}", scaled=x != "off")
            print(json.dumps(r), flush=True)
            results.append(r)
    print("\n| instances | scale_out | events | seconds | events/s | events applied | "
          "RSS of all (GiB) |", file=sys.stderr)
    print("|---|---|---|---|---|---|---|", file=sys.stderr)
    for r in results:
        print(f"| {r['instances']} | {str(r['scale_out']).lower()} | {r['events']} | "
              f"{r['seconds']} | {r['events_per_s']} | {r['events_applied']} | "
              f"{r['rss_gib_all']} |", file=sys.stderr)
    if a.json:
        pathlib.Path(a.json).write_text("\n".join(json.dumps(r) for r in results) + "\n")


if __name__ == "__main__":
    main()
