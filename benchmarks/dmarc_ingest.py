#!/usr/bin/env python3
"""DMARC aggregate report ingestion: reports per second and peak memory for 10,000 reports (~1 million records).

    .venv/bin/python benchmarks/dmarc_ingest.py [--reports 10000] [--records 100] [--core 0]

1. Generates the reports with the tests' generator (tests/fixtures/dmarc_reports.py): 100 domains x 25 days x 4
   reporters, ~100 records each (SES sources, a CRM, forwarders, spoofers), wrapped as each reporter does it
   (gzip, zip, plain XML). Generation is not measured.
2. Runs the real dmarc_reports module (its main(), in a child process pinned to one core) over the folder into a
   fresh SQLite evidence store, and measures wall time, CPU time and the child's peak RSS (ru_maxrss).
3. Runs it again over the same folder (every source already seen: the idempotent re-run).

Target: >= 200 reports/s and <= 200 MB peak on one core. Writes benchmarks/results/dmarc_ingest.json.
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
TARGETS = {"reports_per_s": 200, "peak_mb": 200}


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


def child(folder, store, quarantine):
    """Run the module's real main() here (in-process harness) and print the figures as JSON."""
    from tests.fixtures.ansible_runner import collections_path
    sys.path.insert(0, str(collections_path()))
    from tests.fixtures.inprocess import run_main
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_main("dmarc_reports", {"paths": [folder], "evidence_path": store, "quarantine_dir": quarantine})
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rc": res.rc, "totals": res.result.get("totals"), "msg": res.result.get("msg"),
                      "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mb": round(peak_kb / 1024.0, 1)}))


def run_child(folder, store, quarantine, core):
    cmd = [sys.executable, __file__, "--child", str(folder), str(store), str(quarantine)]
    if core is not None and hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", str(core)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), check=False)
    if out.returncode != 0:
        raise SystemExit("child failed: %s" % out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=int(os.environ.get("BENCH_DMARC_REPORTS", "10000")))
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--core", type=int, default=None, help="pin the child to this core (default: one thread, not pinned)")
    ap.add_argument("--child", nargs=3)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        log("generating %d reports of ~%d records" % (args.reports, args.records))
        t0 = time.perf_counter()
        n, records = generate(folder, args.reports, args.records)
        size = sum(p.stat().st_size for p in folder.iterdir())
        log("generated %d reports, %d records, %.1f MB on disk in %.1f s" % (n, records, size / 1e6,
                                                                            time.perf_counter() - t0))
        store, quarantine = Path(tmp) / "evidence.sqlite", Path(tmp) / "quarantine"
        log("ingest (first run)")
        first = run_child(folder, store, quarantine, args.core)
        log("ingest again (every source seen)")
        second = run_child(folder, store, quarantine, args.core)
        store_mb = store.stat().st_size / 1e6
    rate = n / first["wall_s"] if first["wall_s"] else 0
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()},
        "reports": n, "records": records, "input_mb": round(size / 1e6, 1), "pinned_core": args.core,
        "first_run": first, "second_run": second, "store_mb": round(store_mb, 1),
        "reports_per_s": round(rate, 1), "records_per_s": round(records / first["wall_s"], 0) if first["wall_s"] else 0,
        "reports_per_cpu_s": round(n / first["cpu_s"], 1) if first["cpu_s"] else 0,
        "targets": TARGETS,
        "met": {"reports_per_s": rate >= TARGETS["reports_per_s"],
                "peak_mb": first["peak_mb"] <= TARGETS["peak_mb"] and second["peak_mb"] <= TARGETS["peak_mb"]},
    }
    assert first["rc"] == 0 and first["totals"]["reports_new"] == n, first
    assert second["totals"]["reports_new"] == 0 and second["totals"]["seen"] == n, second
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dmarc_ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    log("%d reports (%d records) in %.1f s wall / %.1f s CPU: %.0f reports/s (%.0f per CPU second), peak %.0f MB; "
        "re-run %.1f s, peak %.0f MB; targets met: %s" % (
            n, records, first["wall_s"], first["cpu_s"], rate, result["reports_per_cpu_s"], first["peak_mb"],
            second["wall_s"], second["peak_mb"], result["met"]))


if __name__ == "__main__":
    main()
