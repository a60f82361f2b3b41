#!/usr/bin/env python3
"""The anchors `make bench` measures beside the collection, installed privately under .build/anchors/.

    .venv/bin/python benchmarks/anchors.py            # install (or find) both and print where they are

- community.aws / amazon.aws / community.general: these machines reach no Galaxy server, so the collections come
  from the `ansible` community package on PyPI (`pip download --no-deps`, the wheel only), whose version is pinned
  to the ansible-core of .venv (ANSIBLE_PACKAGE below; ansible 14 requires ansible-core ~= 2.21.5). Only the
  three collections the loop uses are unpacked, into .build/anchors/ansible-<version>/ansible_collections: a
  private collections path, put first on ANSIBLE_COLLECTIONS_PATH for the anchor's run only. The modules run
  under .venv's ansible-core, boto3 and botocore.
- parsedmarc: its own virtualenv, .build/anchors/parsedmarc (PARSEDMARC_PACKAGE); a bench-only tool, never a
  dependency of the collection. PARSEDMARC_PYTHON=/path/to/python uses another one instead.

Each function returns what it installed (paths and versions) for the results to record, or raises AnchorError
saying what failed: the section then writes no anchor figure ("not measured"), never a guessed one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = Path(os.environ.get("BENCH_ANCHORS_DIR") or ROOT / ".build" / "anchors")
ANSIBLE_PACKAGE = os.environ.get("BENCH_ANSIBLE_PACKAGE", "ansible==14.5.0")
COLLECTIONS = ("community/aws", "amazon/aws", "community/general")
PARSEDMARC_PACKAGE = os.environ.get("BENCH_PARSEDMARC_PACKAGE", "parsedmarc==11.1.0")


class AnchorError(Exception):
    pass


def _pip(args, python=None, timeout=900):
    cmd = [python or sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"] + args
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("WARNING: Location"))[-1500:]
        raise AnchorError("%s failed (rc %s): %s" % (" ".join(cmd[3:]), proc.returncode, tail))
    return proc


def _manifest_version(base, name):
    data = json.loads((base / "ansible_collections" / name / "MANIFEST.json").read_text())
    return data["collection_info"]["version"]


def community_collections():
    """community.aws, amazon.aws and community.general from the `ansible` package's wheel, in a private path.

    Returns {"collections_path": str, "package": "ansible==X", "versions": {"community.aws": ...}}."""
    version = ANSIBLE_PACKAGE.split("==", 1)[-1]
    base = ANCHORS / ("ansible-%s" % version)
    done = base / ".complete"
    if not done.exists():
        dl = ANCHORS / "downloads"
        dl.mkdir(parents=True, exist_ok=True)
        wheel = next(iter(sorted(dl.glob("ansible-%s-*.whl" % version))), None)
        if wheel is None:
            _pip(["download", "--no-deps", "--only-binary", ":all:", "-d", str(dl), ANSIBLE_PACKAGE])
            wheel = next(iter(sorted(dl.glob("ansible-%s-*.whl" % version))), None)
        if wheel is None:
            raise AnchorError("pip download %s left no wheel in %s" % (ANSIBLE_PACKAGE, dl))
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            requires = [line.split(":", 1)[1].strip() for line in zf.read(meta).decode().splitlines()
                        if line.startswith("Requires-Dist:") and "ansible-core" in line]
            members = [n for n in zf.namelist()
                       if any(n.startswith("ansible_collections/%s/" % c) for c in COLLECTIONS)]
            zf.extractall(base, members)
        (base / "requires.json").write_text(json.dumps(requires))
        done.write_text(ANSIBLE_PACKAGE + "\n")
    requires = json.loads((base / "requires.json").read_text())
    import ansible
    core = ansible.__version__ if hasattr(ansible, "__version__") else None
    if core is None:
        from ansible.release import __version__ as core
    ok = _satisfies(core, requires)
    if ok is False:
        raise AnchorError("%s requires %s; .venv has ansible-core %s: set BENCH_ANSIBLE_PACKAGE to the `ansible` "
                          "release for this ansible-core" % (ANSIBLE_PACKAGE, ", ".join(requires), core))
    return {"collections_path": str(base), "package": ANSIBLE_PACKAGE, "ansible_core": core,
            "package_requires": requires,
            "versions": dict((c.replace("/", "."), _manifest_version(base, c)) for c in COLLECTIONS)}


def _satisfies(version, requires):
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:
        return None
    specs = [r.split("ansible-core", 1)[1].strip() for r in requires]
    return all(version in SpecifierSet(s) for s in specs if s)


def parsedmarc_python():
    """A Python that has parsedmarc: PARSEDMARC_PYTHON, or a private virtualenv made here.

    Returns {"python": str, "package": ..., "version": ...}."""
    given = os.environ.get("PARSEDMARC_PYTHON")
    if given:
        python = given
    else:
        venv = ANCHORS / "parsedmarc"
        python = str(venv / "bin" / "python")
        if not (venv / ".complete").exists():
            base = getattr(sys, "_base_executable", None) or sys.executable
            proc = subprocess.run([base, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True,
                                  check=False, timeout=300)
            if proc.returncode != 0:
                raise AnchorError("python -m venv %s failed: %s" % (venv, proc.stderr[-800:]))
            _pip(["install", PARSEDMARC_PACKAGE], python=python, timeout=1200)
            (venv / ".complete").write_text(PARSEDMARC_PACKAGE + "\n")
    proc = subprocess.run([python, "-c", "import parsedmarc; print(parsedmarc.__version__)"], capture_output=True,
                          text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise AnchorError("%s cannot import parsedmarc: %s" % (python, proc.stderr[-800:]))
    return {"python": python, "package": PARSEDMARC_PACKAGE if not given else "PARSEDMARC_PYTHON",
            "version": proc.stdout.strip()}


def main():
    out = {}
    for name, fn in (("community_collections", community_collections), ("parsedmarc", parsedmarc_python)):
        try:
            out[name] = fn()
        except AnchorError as exc:
            out[name] = {"error": str(exc)}
    print(json.dumps(out, indent=2))
    return 0 if all("error" not in v for v in out.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
