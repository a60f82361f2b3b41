"""playbooks/posture_report.yml end to end: exit codes (2 findings, 4 could not look), the files, and the HTML
report rendered by a real headless Chromium (screenshot taken, trend chart in the rendered DOM)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess

import pytest

from tests.fixtures.ansible_runner import ROOT
from tests.integration.posture.seed import EXPECTED, PARKED_EXPECTED, SES_SIDE

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
    # what a person reads: the headline in domains, no Python values, shared problems list every domain
    need = sum(1 for v in EXPECTED.values() if v) + sum(1 for v in PARKED_EXPECTED.values() if v)
    total = len(EXPECTED) + len(PARKED_EXPECTED)
    assert "%d of %d domains need action; every domain was looked at" % (need, total) in text
    visible = re.sub(r"<script>.*?</script>", "", text, flags=re.S)
    assert not re.search(r"\b(True|False|None)\b", visible), re.findall(r".{40}\b(?:True|False|None)\b.{40}", visible)
    assert not re.search(r"\b1 findings\b", visible) and "(sending, 1 finding)" in visible
    problems = visible[visible.index('id="problems"'):visible.index("</table>", visible.index('id="problems"'))]
    missing = [row for row in problems.split("<tr>") if ">dkim_record_missing<" in row][0]
    assert names["nohost"] in missing and names["notype"] in missing and "DKIM records missing" in missing
    providers = visible[visible.index('id="providers"'):visible.index("</table>", visible.index('id="providers"'))]
    assert all('href="#d-%s"' % names[label] in providers for label in ("mfspf", "mfreject", "nodmarc"))
    assert 'href="#d-%s"' % names["good"] not in providers


def test_dns_unreachable_exits_4_and_the_report_says_so(ansible_playbook, sandbox, bind, fleet, tmp_path):
    """The resolver is down: exit 4 (could not look), not 2; the report says how many could not be looked at and
    gives no DNS finding."""
    from tests.fixtures.dns_proxy import closed_port
    zone, names, parked = fleet
    reports = tmp_path / "reports"
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_dir": str(reports), "parked_domains": list(parked.values()),
                                                 "nameservers": ["127.0.0.1:%d" % closed_port()]})
    assert res.rc == 4, res.output
    doc = json.loads((reports / "posture.json").read_text())
    assert doc["status"] == "could_not_look" and doc["summary"]["could_not_look"] == len(names) + len(parked)
    assert not [f for d in doc["domains"] for f in d["findings"] if f["area"] == "dns"]
    page = (reports / "posture.html").read_text()
    # SES's own answers still stand (e.g. signing off): those domains need action; none is said to be fine
    need = sum(1 for label, ids in EXPECTED.items() if set(ids) & SES_SIDE)
    assert "%d of %d domains need action; %d could not be looked at" % (
        need, len(names) + len(parked), len(names) + len(parked)) in page


def test_could_not_look_exits_4(ansible_playbook, sandbox, tmp_path):
    sandbox.post("faults", {"rules": [{"operation": "GetAccount", "kind": "error"}]})
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_dir": str(tmp_path / "r")},
                           env={"AWS_MAX_ATTEMPTS": "1"})
    assert res.rc == 4, res.output
    assert "could not read the account" in res.output
    assert not (tmp_path / "r" / "posture.html").exists()
