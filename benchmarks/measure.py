#!/usr/bin/env python3
"""Run one command and write its wall time, CPU time and peak memory (of the whole process tree) as JSON.

    python benchmarks/measure.py OUT.json -- COMMAND ARGS...

A fresh process per measurement, so RUSAGE_CHILDREN covers exactly this command and every descendant it
waited for (ansible-playbook waits for its workers, which wait for the module processes): user + system CPU,
and ru_maxrss = the peak resident memory of the largest single process of the tree.

Also the set-up the fleet sections share (imported by benchmarks/fleet.py, fleet_overhead.py, fleet_regions.py,
posture.py; their imports are inside the helpers, so this script stays light): ``servers()``, the BIND 9 and
sandbox they measure against, and ``header()``, the head every result starts with.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time


@contextlib.contextmanager
def servers():
    """One BIND 9 (zone bench.test) and one SES sandbox resolving through it, with amazonses.com's SPF published
    (the records of a healthy domain include it); yields (bind, sandbox)."""
    from run import AMAZONSES_SPF, publish
    from tests.fixtures.bind import Bind
    from tests.sandbox.control import Sandbox
    with Bind(zones=("bench.test",)) as bind, Sandbox(dns_servers=[bind.server]) as sandbox:
        if "amazonses.com" not in bind.zones:  # the test BIND serves it already (tests/fixtures/bind.py)
            bind.add_zone("amazonses.com")
            publish(bind, "amazonses.com", [("amazonses.com", "TXT", '"%s"' % AMAZONSES_SPF)])
        yield bind, sandbox


def header(**fields):
    """The head of a result: when, the commit measured (run.commit), the cores (``cpus``, the key every result and
    benchmarks/report.py use) and the load average at the start; then ``fields``, in order."""
    from run import commit
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit(), "cpus": os.cpu_count(),
           "load_average_at_start": list(os.getloadavg())}
    out.update(fields)
    return out


def main(argv):
    out, sep, cmd = argv[0], argv[1], argv[2:]
    assert sep == "--", "usage: measure.py OUT.json -- COMMAND..."
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"rc": proc.returncode, "wall_s": round(wall, 3), "cpu_user_s": round(ru.ru_utime, 3),
              "cpu_sys_s": round(ru.ru_stime, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
              "peak_rss_mb": round(ru.ru_maxrss / 1024.0, 1), "output_tail": proc.stdout[-3000:]}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
