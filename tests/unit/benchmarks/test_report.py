"""docs/benchmarks.md is generated from benchmarks/results/*.json (benchmarks/report.py): the two cannot disagree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))

import report  # noqa: E402
import run  # noqa: E402


def test_docs_benchmarks_md_is_what_the_recorded_results_render():
    rendered = report.render(run.RESULTS, run.SECTIONS)
    recorded = (ROOT / "docs" / "benchmarks.md").read_text()
    assert recorded == rendered, (
        "docs/benchmarks.md differs from benchmarks/results/*.json: regenerate it with "
        "`.venv/bin/python benchmarks/run.py --doc-only` (never edit the page or a figure by hand)")


def test_every_recorded_result_says_when_on_which_commit_and_at_which_load():
    for section in run.SECTIONS:
        path = run.RESULTS / ("%s.json" % section.name)
        if not path.exists():
            continue
        line = report.stamp(json.loads(path.read_text()))
        assert "load average" in line and "commit" in line and "CPUs" in line, (section.name, line)


def test_a_section_without_results_is_not_measured_and_a_missed_target_says_missed(tmp_path):
    fleet = {"date": "2026-12-05 18:00 UTC", "sizes": {}, "targets": [
        {"target": "first-time onboarding of 100 domains <= 60 s", "measured": "75.0 s", "met": False},
        {"target": "peak memory of the module at N=1,000 < 200 MB", "measured": "not measured", "met": None}],
        "bench": {"section": "fleet", "command": "benchmarks/fleet.py", "quick": False, "commit": "abc123" * 7,
                  "started": "2026-12-05 18:00:00 UTC", "cpus": 2, "load_average_at_start": [0.5, 0.4, 0.3],
                  "load_average_at_end": [1.5, 0.9, 0.4], "seconds": 123.4}}
    (tmp_path / "fleet.json").write_text(json.dumps(fleet))
    doc = report.render(tmp_path, run.SECTIONS)
    assert "| first-time onboarding of 100 domains <= 60 s | 75.0 s | **MISSED** |" in doc
    assert "| peak memory of the module at N=1,000 < 200 MB | not measured | not measured |" in doc
    assert "Measured 2026-12-05 18:00:00 UTC on commit `abc123abc123`, 2 CPUs, load average 0.5, 0.4, 0.3" in doc
    assert "the section took 123 s" in doc
    for section in run.SECTIONS:
        if section.name != "fleet":
            assert "Not measured: no benchmarks/results/%s.json." % section.name in doc
    assert "| [fleet](#fleet) |" in doc and "0 met, 1 MISSED, 1 not measured |" in doc


def test_sections_are_a_list_of_scripts_that_take_out():
    names = [s.name for s in run.SECTIONS]
    assert len(names) == len(set(names))
    for section in run.SECTIONS:
        script = ROOT / "benchmarks" / section.script
        assert script.exists(), section.script
        assert '"--out"' in script.read_text(), "%s must take --out FILE" % section.script
        cmd = section.command("/tmp/x.json", quick=True)
        assert cmd[-2:] == ["--out", "/tmp/x.json"] and all(a in cmd for a in section.quick)
    assert [s.name for s in run.select(["posture,fleet"])] == ["fleet", "posture"]


def _git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.test", "-c",
                           "commit.gpgsign=false"] + list(args), cwd=str(repo), check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_commit_is_dirty_only_when_the_measured_code_differs_not_for_what_a_bench_run_writes(tmp_path):
    written = ["benchmarks/results/fleet.json", "docs/benchmarks.md"]
    measured = ["%sx.py" % prefix for prefix in run.MEASURED_CODE]  # the list stale() uses
    _git(tmp_path, "init", "-q")
    for rel in written + measured + ["README.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("recorded\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "recorded")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert run.commit(tmp_path) == head
    for rel in written + ["README.md"]:  # what `make bench` has just written, and a file no section measures
        (tmp_path / rel).write_text("rewritten by the run\n")
    assert run.commit(tmp_path) == head
    for rel in measured:
        (tmp_path / rel).write_text("changed\n")
        assert run.commit(tmp_path) == head + "+dirty", rel
        (tmp_path / rel).write_text("recorded\n")
    assert run.commit(tmp_path) == head
