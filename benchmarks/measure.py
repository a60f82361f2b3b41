#!/usr/bin/env python3
"""Run one command and write its wall time, CPU time and peak memory (of the whole process tree) as JSON.

    python benchmarks/measure.py OUT.json -- COMMAND ARGS...

A fresh process per measurement, so RUSAGE_CHILDREN covers exactly this command and every descendant it
waited for (ansible-playbook waits for its workers, which wait for the module processes): user + system CPU,
and ru_maxrss = the peak resident memory of the largest single process of the tree.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


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
