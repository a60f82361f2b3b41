#!/usr/bin/env python3
"""DMARC aggregate report ingestion: reports per second and peak memory for 10,000 reports (~1 million records).

    .venv/bin/python benchmarks/dmarc_ingest.py [--reports 10000] [--records 100] [--core 0]

1. Generates the reports with the tests' generator (tests/fixtures/dmarc_reports.py): 100 domains x 25 days x 4
   reporters, ~100 records each (SES sources, a CRM, forwarders, spoofers), wrapped as each reporter does it
   (gzip, zip, plain XML). Generation is not measured.
2. Runs the real dmarc_reports module (its main(), in a child process pinned to one core) over the folder into a
   fresh SQLite evidence store, and measures wall time, CPU time and the child's peak RSS (ru_maxrss).
3. Runs it again over the same folder (every source already seen: the idempotent re-run).

4. With ``--parsedmarc PYTHON`` (a Python that has parsedmarc, e.g. a private virtualenv - it is a bench-only
   tool, never a dependency): parsedmarc parses the same folder (``parse_report_file(offline=True)``, no
   storage) in a child pinned to the same core; ours and parsedmarc's runs alternate for ``--rounds`` rounds
   and the best of each is kept. The load average is printed before every run: on a shared machine the
   figures are only comparable side by side, in one run.
5. With ``--big N``: the peak RSS of ingesting one report of N records (every record a distinct source: the
   worst case for the per-report aggregation).

Targets (issue 22): >= 20,000 records/s in-process on one core; the whole run >= 8x parsedmarc side by side;
peak <= 100 MB for a 300,000-record report. A target is reported as met only when measured in this run.
Writes benchmarks/results/dmarc_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
TARGETS = {"reports_per_s": 200, "peak_mb": 200, "records_per_s": 20000, "vs_parsedmarc": 8.0, "big_peak_mb": 100}

PARSEDMARC_CHILD = r"""
import json, os, resource, sys, time
import parsedmarc
folder = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
reports = records = failed = 0
for name in sorted(os.listdir(folder)):
    try:
        parsed = parsedmarc.parse_report_file(os.path.join(folder, name), offline=True)
    except Exception:
        failed += 1
        continue
    reports += 1
    records += len(parsed["report"]["records"])
print(json.dumps({"reports": reports, "records": records, "failed": failed,
                  "wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2),
                  "peak_mb": round(int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
                                   / 1024.0, 1),
                  "version": getattr(parsedmarc, "__version__", "?")}))
"""


def log(msg):
    print("[bench dmarc %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def mix(records):
    """~``records`` sources: mostly SES (aligned DKIM), a few CRM / forwarder / spoofer IPs."""
    out = []
    n_ses = max(1, int(records * 0.9))
    for i in range(n_ses):
        out.append(("54.240.%d.%d" % (i // 250, i % 250 + 1), "a%d.smtp-out.amazonses.com" % i, "ses", 0.995 / n_ses))
    rest = records - n_ses
    kinds = ("crm", "forwarder", "spoofer")
    for i in range(rest):
        out.append(("203.0.%d.%d" % (113 + i % 3, i + 1), "", kinds[i % 3], 0.005 / max(rest, 1)))
    return tuple(out)


def generate(folder, reports, records):
    from tests.fixtures import dmarc_reports as gen
    folder.mkdir(parents=True, exist_ok=True)
    per_domain = 25 * len(gen.REPORTERS)
    domains = max(1, reports // per_domain)
    start = int(time.time()) - 30 * 86400
    sources = mix(records)
    written = 0
    total_records = 0
    for d in range(domains):
        domain = "bench%03d.example.test" % d
        for name, data, _rep, xml in gen.daily_reports(domain, 25, 400000, start, mix=sources, seed=d):
            (folder / name).write_bytes(data)
            written += 1
            total_records += xml.count(b"<record>")
            if written >= reports:
                return written, total_records
    return written, total_records


def peak_rss_kb():
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's peak across fork + exec into it
    (a child started by a parent that had 600 MB reported 600 MB); VmHWM belongs to the new address space."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(folder, store, quarantine, max_records=None):
    """Run the module's real main() here (in-process harness) and print the figures as JSON."""
    from tests.fixtures.ansible_runner import collections_path
    sys.path.insert(0, str(collections_path()))
    from tests.fixtures.inprocess import run_main
    args = {"paths": [folder], "evidence_path": store, "quarantine_dir": quarantine}
    if max_records:
        args.update(max_records=int(max_records), max_report_bytes=2 ** 31, max_source_bytes=2 ** 30, max_ratio=10000)
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_main("dmarc_reports", args)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_kb = peak_rss_kb()
    print(json.dumps({"rc": res.rc, "totals": res.result.get("totals"), "msg": res.result.get("msg"),
                      "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mb": round(peak_kb / 1024.0, 1)}))


def run_child(folder, store, quarantine, core, cmd=None):
    cmd = cmd or [sys.executable, __file__, "--child", str(folder), str(store), str(quarantine)]
    if core is not None and hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", str(core)] + cmd
    log("load average %s: %s" % ("%.2f %.2f %.2f" % os.getloadavg(), " ".join(cmd[-4:])[-80:]))
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), check=False)
    if out.returncode != 0:
        raise SystemExit("child failed: %s" % out.stderr[-3000:])
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["load_avg"] = os.getloadavg()
    return figures


def big_report(tmp, records, core):
    """Peak RSS of ingesting one report of ``records`` distinct sources (the module's main(), in a child)."""
    from tests.fixtures import dmarc_reports as gen
    folder = Path(tmp) / "big"
    folder.mkdir()
    recs = [gen.record("10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 3, "big.example.test",
                       "big.example.test", "pass", "amazonses.com", "pass") for i in range(records)]
    xml = gen.report_xml("google.com", "noreply@google.com", "big-1", "big.example.test", int(time.time()) - 86400,
                         int(time.time()), recs)
    (folder / "big.xml.gz").write_bytes(gen.gz(xml))
    del recs, xml
    cmd = [sys.executable, __file__, "--child", str(folder), str(Path(tmp) / "big.sqlite"), str(Path(tmp) / "bq"),
           "--max-records", str(records)]
    return run_child(folder, None, None, core, cmd=cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=int(os.environ.get("BENCH_DMARC_REPORTS", "10000")))
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--core", type=int, default=None, help="pin the child to this core (default: one thread, not pinned)")
    ap.add_argument("--child", nargs=3)
    ap.add_argument("--max-records", type=int)
    ap.add_argument("--parsedmarc", default=os.environ.get("PARSEDMARC_PYTHON"),
                    help="a Python with parsedmarc installed: compare side by side ('auto': the private virtualenv "
                         "benchmarks/anchors.py installs under .build/anchors/parsedmarc)")
    ap.add_argument("--out", default=str(RESULTS / "dmarc_ingest.json"))
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (best of each is kept)")
    ap.add_argument("--big", type=int, default=0, help="also measure one report of this many records")
    args = ap.parse_args()
    if args.child:
        child(*args.child, max_records=args.max_records)
        return
    anchor = None
    if args.parsedmarc == "auto":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import anchors
        try:
            anchor = anchors.parsedmarc_python()
            args.parsedmarc = anchor["python"]
            log("parsedmarc %s: %s" % (anchor["version"], anchor["python"]))
        except (anchors.AnchorError, OSError, subprocess.SubprocessError) as exc:
            log("parsedmarc could not be installed, the side-by-side figure is not measured: %s" % exc)
            anchor, args.parsedmarc = {"error": str(exc)}, None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        log("generating %d reports of ~%d records" % (args.reports, args.records))
        t0 = time.perf_counter()
        n, records = generate(folder, args.reports, args.records)
        size = sum(p.stat().st_size for p in folder.iterdir())
        log("generated %d reports, %d records, %.1f MB on disk in %.1f s" % (n, records, size / 1e6,
                                                                            time.perf_counter() - t0))
        ours_runs, theirs_runs = [], []
        for rnd in range(max(1, args.rounds)):
            store, quarantine = Path(tmp) / ("evidence%d.sqlite" % rnd), Path(tmp) / ("quarantine%d" % rnd)
            log("round %d: ingest (first run)" % (rnd + 1))
            ours_runs.append(run_child(folder, store, quarantine, args.core))
            if rnd == 0:
                log("ingest again (every source seen)")
                second = run_child(folder, store, quarantine, args.core)
                store_mb = store.stat().st_size / 1e6
            if args.parsedmarc:
                log("round %d: parsedmarc on the same folder" % (rnd + 1))
                theirs_runs.append(run_child(folder, None, None, args.core,
                                             cmd=[args.parsedmarc, "-c", PARSEDMARC_CHILD, str(folder)]))
        first = min(ours_runs, key=lambda r: r["wall_s"])
        theirs = min(theirs_runs, key=lambda r: r["wall_s"]) if theirs_runs else None
        big = big_report(tmp, args.big, args.core) if args.big else None
    rate = n / first["wall_s"] if first["wall_s"] else 0
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()},
        "reports": n, "records": records, "input_mb": round(size / 1e6, 1), "pinned_core": args.core,
        "first_run": first, "second_run": second, "store_mb": round(store_mb, 1),
        "reports_per_s": round(rate, 1), "records_per_s": round(records / first["wall_s"], 0) if first["wall_s"] else 0,
        "reports_per_cpu_s": round(n / first["cpu_s"], 1) if first["cpu_s"] else 0,
        "targets": TARGETS, "rounds": args.rounds, "all_first_runs": ours_runs,
        "met": {"reports_per_s": rate >= TARGETS["reports_per_s"],
                "peak_mb": first["peak_mb"] <= TARGETS["peak_mb"] and second["peak_mb"] <= TARGETS["peak_mb"]},
    }
    result["met"]["records_per_s"] = result["records_per_s"] >= TARGETS["records_per_s"]
    if anchor:
        result["parsedmarc_anchor"] = anchor
    if theirs:
        result["parsedmarc"] = dict(theirs, records_per_s=round(theirs["records"] / theirs["wall_s"], 0)
                                    if theirs["wall_s"] else 0, all_runs=theirs_runs)
        result["vs_parsedmarc"] = round(theirs["wall_s"] / first["wall_s"], 2) if first["wall_s"] else 0
        result["met"]["vs_parsedmarc"] = result["vs_parsedmarc"] >= TARGETS["vs_parsedmarc"]
    if big:
        result["big_report"] = dict(big, records=args.big)
        result["met"]["big_peak_mb"] = big["peak_mb"] <= TARGETS["big_peak_mb"]
    assert first["rc"] == 0 and first["totals"]["reports_new"] == n, first
    assert second["totals"]["reports_new"] == 0 and second["totals"]["seen"] == n, second
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    log("%d reports (%d records) in %.1f s wall / %.1f s CPU: %.0f reports/s (%.0f per CPU second), peak %.0f MB; "
        "re-run %.1f s, peak %.0f MB; targets met: %s" % (
            n, records, first["wall_s"], first["cpu_s"], rate, result["reports_per_cpu_s"], first["peak_mb"],
            second["wall_s"], second["peak_mb"], result["met"]))
    if theirs:
        log("parsedmarc %s: %d reports (%d records, %d refused) in %.1f s wall: %.0f records/s; ours %.2fx as fast "
            "(same core, alternated, best of %d)" % (theirs["version"], theirs["reports"], theirs["records"],
                                                      theirs["failed"], theirs["wall_s"],
                                                      result["parsedmarc"]["records_per_s"], result["vs_parsedmarc"],
                                                      args.rounds))
    if big:
        log("one report of %d records: %.1f s wall, peak %.0f MB" % (args.big, big["wall_s"], big["peak_mb"]))
    log("load average at the end: %.2f %.2f %.2f (a shared machine: figures measured under this load)"
        % os.getloadavg())


if __name__ == "__main__":
    main()
