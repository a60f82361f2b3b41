#!/usr/bin/env python3
"""Run `ansible-test sanity` on a copy of the collection, on a machine that cannot reach ansible-test's
download host.

ansible-test wants the tree at .../ansible_collections/deliverability/ses, and bootstraps pip in its
per-test venvs from a script it downloads; we place a stand-in in its cache that uses ensurepip and
the machine's own pip configuration instead (see shared NOTES).

Each sanity test runs in its own virtualenv under ~/.ansible/test/venv, keyed by its requirements, and reused by
later runs on the same machine (a cold run spends ~2.5 of its ~4 minutes creating them). The controller runs from
this venv (no --venv): ansible-test would otherwise build a fresh controller venv in the copy on every run
(~20 s) only to run the same ansible-core.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# outside the repository: inside it, ansible-test would list files through our git and skip the copy; one copy
# per checkout, so two checkouts (worktrees, CI next to a developer) running sanity at once do not clobber each other
DEST = (Path(tempfile.gettempdir())
        / ("deliverability-ses-sanity-%d-%s" % (os.getuid(), hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]))
        / "ansible_collections" / "deliverability" / "ses")
# Test tooling that is not part of the collection artifact (galaxy.yml build_ignore) is not sanity-tested.
SKIP = ("tests/sandbox/", "tests/fixtures/", "tests/integration/", "tests/reliability/", "benchmarks/", "scripts/", ".ci/", "Makefile",
        "pytest.ini", "molecule/")

STAND_IN = r'''# Stand-in for get-pip.py, written by deliverability.ses scripts/sanity.py (no access to the download host).
import os
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
cert = os.environ.get("DELIVERABILITY_PIP_CERT")
extra = ["--cert", cert] if cert else []
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + extra + args)
'''


def pip_version() -> str:
    import ansible_test
    text = (Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    found = re.search(r"pip='([0-9.]+)'", text)
    return found.group(1) if found else "25.2"


def pip_cert() -> str | None:
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    found = re.search(r"(?:global|:env:)\.cert='([^']+)'", out)
    return found.group(1) if found else os.environ.get("PIP_CERT")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [f for f in out.splitlines() if f and not f.startswith(SKIP) and (ROOT / f).is_file()]


def main() -> int:
    if DEST.exists():
        shutil.rmtree(DEST)
    for rel in tracked_files():
        target = DEST / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    cache = Path.home() / ".ansible" / "test" / "cache" / ("get_pip_%s.py" % pip_version().replace(".", "_"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(STAND_IN)
    env = dict(os.environ)
    cert = pip_cert()
    if cert:
        env["DELIVERABILITY_PIP_CERT"] = cert
    python = "%d.%d" % sys.version_info[:2]
    cmd = [str(Path(sys.executable).parent / "ansible-test"), "sanity", "--python", python, "--color", "no"]
    cmd += sys.argv[1:]
    print("+ (cd %s && %s)" % (DEST, " ".join(cmd)), flush=True)
    return subprocess.call(cmd, cwd=DEST, env=env)


if __name__ == "__main__":
    sys.exit(main())
