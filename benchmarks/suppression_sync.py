#!/usr/bin/env python3
"""suppression_sync at scale, in the sandbox: two regions' lists of N addresses each, D of them differing.

    .venv/bin/python benchmarks/suppression_sync.py [--size 50000] [--differ 1000]
                                                    [--out benchmarks/results/suppression_sync.json]

Seeds us-east-1 and eu-west-1 with N entries each: N - D/2 shared, D/2 only in one region and D/2 only in the
other (so the union differs by D entries: D writes). Then runs the real module's main() in-process (check mode,
the sync, a second sync) and counts, from the sandbox's request log, the list pages and the writes per region.
Issue 26 asks for at most D writes plus the list pages, in under 2 minutes. A benchmark, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from tests.fixtures.inprocess import run_main  # noqa: E402
from tests.sandbox.control import Sandbox  # noqa: E402

REGIONS = ("us-east-1", "eu-west-1")


def seed(sandbox, region, emails, reason, when):
    for start in range(0, len(emails), 10000):
        sandbox.post("suppressions", {"region": region, "entries": [
            {"email": e, "reason": reason, "last_update_time": when} for e in emails[start:start + 10000]]})


def calls_since(sandbox, mark):
    return Counter((r["operation"], r["region"]) for r in sandbox.requests(since=mark))


def timed(sandbox, args, check=False):
    mark = sandbox.mark()
    started = time.monotonic()
    out = run_main("suppression_sync", args, env=sandbox.env(), check=check)
    elapsed = time.monotonic() - started
    assert out.rc == 0, out.result.get("msg")
    calls = calls_since(sandbox, mark)
    return out.result, elapsed, calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=50000)
    parser.add_argument("--differ", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "suppression_sync.json"))
    opts = parser.parse_args()
    half = opts.differ // 2
    shared = ["shared%06d@bench.example" % i for i in range(opts.size - half)]
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        seed(sandbox, REGIONS[0], shared + ["us%06d@bench.example" % i for i in range(half)], "BOUNCE",
             "2026-11-01T00:00:00Z")
        seed(sandbox, REGIONS[1], shared + ["eu%06d@bench.example" % i for i in range(opts.differ - half)],
             "BOUNCE", "2026-11-01T00:00:00Z")
        seeding = time.monotonic() - started
        args = {"regions": list(REGIONS), "concurrency": opts.concurrency,
                "audit_log": os.path.join(tmp, "audit.jsonl")}
        _, check_s, check_calls = timed(sandbox, args, check=True)
        result, sync_s, sync_calls = timed(sandbox, args)
        again, again_s, again_calls = timed(sandbox, args)
    pages = sum(n for (op, _), n in sync_calls.items() if op == "ListSuppressedDestinations")
    writes = sum(n for (op, _), n in sync_calls.items() if op == "PutSuppressedDestination")
    other = {"%s/%s" % k: n for k, n in sync_calls.items()
             if k[0] not in ("ListSuppressedDestinations", "PutSuppressedDestination", "GetCallerIdentity")}
    report = {
        "size_per_region": opts.size, "differing": opts.differ, "concurrency": opts.concurrency,
        "seeding_s": round(seeding, 1),
        "check_mode": {"seconds": round(check_s, 1),
                       "writes": sum(n for (op, _), n in check_calls.items() if op == "PutSuppressedDestination")},
        "sync": {"seconds": round(sync_s, 1), "list_pages": pages, "writes": writes,
                 "writes_per_region": {r: sync_calls.get(("PutSuppressedDestination", r), 0) for r in REGIONS},
                 "other_calls": other, "audit_records": result["audit_records"], "union": result["union"]},
        "second_run": {"seconds": round(again_s, 1), "changed": again["changed"],
                       "writes": sum(n for (op, _), n in again_calls.items() if op == "PutSuppressedDestination")},
        "bound_met": writes <= opts.differ and not other,
    }
    Path(opts.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
