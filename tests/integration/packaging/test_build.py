"""`ansible-galaxy collection build` ships the collection, never test tooling or what runs leave behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GALAXY = Path(sys.executable).parent / "ansible-galaxy"

# what an operator's runs leave in a checkout: reports and exports hold email addresses
LEFT_BEHIND = ["reports/bounces.csv", "reports/list-hygiene.md", "playbooks/reports/reputation.html",
               "playbooks/reports/suppression-list.csv", "bounces.csv", "bounce_history.sqlite", "audit.jsonl",
               ".deliverability-ses/offboard-example.com.json"]


def test_built_tarball_holds_no_tests_reports_or_exports(tmp_path):
    # build from a copy of the tracked files plus the leftovers, so the checkout itself stays untouched
    src = tmp_path / "ansible_collections" / "deliverability" / "ses"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=str(ROOT), capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    for rel in LEFT_BEHIND:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("gone@customer.test,BOUNCE\n")
    out = tmp_path / "dist"
    proc = subprocess.run([str(GALAXY), "collection", "build", str(src), "--output-path", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = out.glob("deliverability-ses-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/email_identity.py" in names and "roles/domain/tasks/main.yml" in names
    assert "playbooks/onboard_domain.yml" in names and "meta/runtime.yml" in names
    assert not [n for n in names if n == "tests" or n.startswith("tests/")], names
    assert "pytest.ini" not in names
    leaked = [n for n in names if n.endswith((".csv", ".sqlite", ".jsonl")) or "reports" in n.split("/")
              or n == "reports" or n.startswith(".deliverability-ses")]
    assert not leaked, leaked
    for tooling in ("Makefile", "scripts", "benchmarks", "molecule", ".venv", ".build"):
        assert not [n for n in names if n == tooling or n.startswith(tooling + "/")], tooling
