#!/usr/bin/env python3
"""`make test`: pytest, ansible-lint and ansible-test sanity, then one time line of what took how long.

pytest runs in the foreground with the machine's full priority. lint and sanity start at the same time under
`nice`, so they use the CPU that pytest leaves idle (sandbox waits, retry back-off, DNS timeouts) and get whole
cores once pytest is done; `--sequential` runs them one after another instead (to measure each alone).

The time line (also written to tests/output/timeline.txt): wall seconds and CPU seconds per phase, the total,
the ten slowest tests (from pytest's junit XML: setup + call + teardown), and the test-seconds per directory
against the budgets in docs/CONTRIBUTING.md. A budget overrun is printed, not failed: durations depend on the
machine's load, and a timed test would be flaky (benchmarks, not timed tests).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "output"
JUNIT = OUT / "junit.xml"
BUDGET_ROW = re.compile(r"^\|\s*`?(tests/[\w/.-]+?)/?`?\s*\|\s*(\d+)\s*\|")


class Phase:
    def __init__(self, name, cmd, background):
        self.name = name
        self.cmd = cmd
        self.background = background
        self.log = OUT / "phases" / ("%s.log" % name)
        self.rc = None
        self.start = self.end = None
        self.cpu = 0.0

    def run(self, t0):
        self.start = time.monotonic() - t0
        if self.background:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log, "w")
            proc = subprocess.Popen(self.cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, preexec_fn=lambda: os.nice(10))
        else:
            out = None
            proc = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL)
        # wait4: this phase's own CPU time (it and every descendant it waited for)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = self.rc = os.waitstatus_to_exitcode(status)
        self.cpu = usage.ru_utime + usage.ru_stime
        self.end = time.monotonic() - t0
        if out:
            out.close()

    @property
    def wall(self):
        return (self.end or 0) - (self.start or 0)


def slowest(n=10):
    if not JUNIT.exists():
        return []
    cases = []
    for case in ET.parse(JUNIT).iter("testcase"):
        path = (case.get("classname") or "").replace(".", "/")
        cases.append((float(case.get("time") or 0), "%s.py::%s" % (path, case.get("name")), path))
    return sorted(cases, reverse=True)[:n] if n else cases


def budgets():
    text = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return {m.group(1): int(m.group(2)) for m in map(BUDGET_ROW.match, text.splitlines()) if m}


def per_directory(budget):
    """Test-seconds (setup + call + teardown, summed over workers) per budgeted directory."""
    spent = {d: 0.0 for d in budget}
    other = 0.0
    for seconds, _, path in slowest(0):
        owner = max((d for d in budget if path == d or path.startswith(d + "/")), key=len, default=None)
        if owner:
            spent[owner] += seconds
        else:
            other += seconds
    return spent, other


def timeline(phases, total):
    lines = ["", "== make test time line (seconds; CPU = user + sys of the phase and its children) =="]
    lines.append("%-8s %7s %7s %7s %7s  %s" % ("phase", "start", "end", "wall", "CPU", "result"))
    for p in phases:
        result = "passed" if p.rc == 0 else "FAILED rc=%s" % p.rc
        lines.append("%-8s %7.0f %7.0f %7.0f %7.0f  %s" % (p.name, p.start or 0, p.end or 0, p.wall, p.cpu, result))
    lines.append("%-8s %7s %7s %7.0f %7.0f  %s" % ("total", "", "", total, sum(p.cpu for p in phases),
                                                   "passed" if all(p.rc == 0 for p in phases) else "FAILED"))
    cores = os.cpu_count() or 1
    if total > 0:
        # below ~85% the workers wait more than they compute: more workers (PYTEST_WORKERS) would help
        lines.append("machine use: %.2f of %d cores on average over the run (CPU / wall); pytest alone %.2f"
                     % (sum(p.cpu for p in phases) / total, cores, phases[0].cpu / max(phases[0].wall, 1e-9)))
    if JUNIT.exists():
        suites = list(ET.parse(JUNIT).iter("testsuite"))
        counts = {k: sum(int(t.get(k) or 0) for t in suites) for k in ("tests", "failures", "errors", "skipped")}
        lines.append("pytest: %(tests)d tests, %(failures)d failed, %(errors)d errors, %(skipped)d skipped" % counts)
    top = slowest(10)
    if top:
        lines.append("ten slowest tests (setup + call + teardown):")
        lines += ["%8.1f  %s" % (s, name) for s, name, _ in top]
    budget = budgets()
    if budget and JUNIT.exists():
        spent, other = per_directory(budget)
        lines.append("test-seconds per directory (summed over workers) against docs/CONTRIBUTING.md:")
        for d in sorted(budget):
            mark = "  OVER BUDGET" if spent[d] > budget[d] else ""
            lines.append("%8.0f / %4d  %s%s" % (spent[d], budget[d], d, mark))
        if other:
            lines.append("%8.0f / %4s  %s" % (other, "-", "(no budget row)"))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", action="store_true", help="lint and sanity after pytest, not beside it")
    parser.add_argument("--make", default=os.environ.get("MAKE", "make"))
    parser.add_argument("--venv", default=".venv")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    JUNIT.unlink(missing_ok=True)
    # `make test` has just made the venv: the phases must not try again (three at once would race)
    make = [args.make, "--no-print-directory", "-o", "%s/.installed" % args.venv]
    pytest = Phase("pytest", make + ["pytest"], background=False)
    rest = [Phase(n, make + [n], background=not args.sequential) for n in ("lint", "sanity")]
    t0 = time.monotonic()
    threads = []
    if not args.sequential:
        threads = [threading.Thread(target=p.run, args=(t0,)) for p in rest]
        for t in threads:
            t.start()
    pytest.run(t0)
    if args.sequential:
        for p in rest:
            print("\n== %s" % p.name, flush=True)
            p.run(t0)
    else:
        for p, t in zip(rest, threads):
            t.join()
            print("\n== %s (ran beside pytest under nice; its output)" % p.name, flush=True)
            sys.stdout.write(p.log.read_text(encoding="utf-8", errors="replace"))
    total = time.monotonic() - t0
    text = timeline([pytest] + rest, total)
    (OUT / "timeline.txt").write_text(text)
    sys.stdout.write(text)
    return 0 if all(p.rc == 0 for p in [pytest] + rest) else 1


if __name__ == "__main__":
    sys.exit(main())
