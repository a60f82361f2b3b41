"""playbooks/posture_report.yml end to end: exit codes (2 findings, 4 could not look), the files, and the HTML
report rendered by a real headless Chromium (screenshot taken, trend chart in the rendered DOM)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import pytest

from tests.fixtures.ansible_runner import ROOT
from tests.integration.posture.seed import EXPECTED, PARKED_EXPECTED

PLAYBOOK = str(ROOT / "playbooks" / "posture_report.yml")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(tmp_path, *args):
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=%s" % profile] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM), reason="no chromium")
def test_playbook_reports_and_the_html_renders_in_a_browser(ansible_playbook, sandbox, bind, fleet, tmp_path):
    zone, names, parked = fleet
    reports = tmp_path / "reports"
    extra = {"report_dir": str(reports), "nameservers": [bind.server], "parked_domains": list(parked.values())}
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=extra)
    assert res.rc == 2, res.output  # findings at or above high
    assert sandbox.mutating_calls(since=mark) == []
    # a second run after AWS granted production access: the trend has two points, the account finding is gone
    sandbox.post("account", {"production_access": True})
    res = ansible_playbook(PLAYBOOK, extra_vars=extra)
    assert res.rc == 2, res.output
    history = [json.loads(line) for line in (reports / "posture-history.jsonl").read_text().splitlines()]
    assert len(history) == 2
    assert history[0]["per_problem"].get("account_sandboxed") == 1 and "account_sandboxed" not in history[1]["per_problem"]
    rows = list(csv.DictReader(open(reports / "posture.csv", encoding="utf-8")))
    expected_rows = sum(len(v) for v in EXPECTED.values()) + sum(len(v) for v in PARKED_EXPECTED.values())
    assert len(rows) == expected_rows
    doc = json.loads((reports / "posture.json").read_text())
    assert {d["domain"] for d in doc["domains"]} == set(names.values()) | set(parked.values())

    html = reports / "posture.html"
    png = tmp_path / "posture.png"
    shot = chromium(tmp_path, "--window-size=1280,2000", "--screenshot=%s" % png, html.as_uri())
    assert png.exists(), shot.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000  # a real rendering, not an empty page
    dom = chromium(tmp_path, "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr
    text = dom.stdout
    assert '<svg id="trend-chart"' in text and text.count('class="series"') == 5
    assert "spf_too_many_lookups" in text and "parked_no_null_mx" in text
    # the page needs nothing from outside (no network in the test, and none in an operator's browser)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text


def test_could_not_look_exits_4(ansible_playbook, sandbox, tmp_path):
    sandbox.post("faults", {"rules": [{"operation": "GetAccount", "kind": "error"}]})
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_dir": str(tmp_path / "r")},
                           env={"AWS_MAX_ATTEMPTS": "1"})
    assert res.rc == 4, res.output
    assert "could not read the account" in res.output
    assert not (tmp_path / "r" / "posture.html").exists()
