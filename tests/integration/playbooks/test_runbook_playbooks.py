"""The runbook playbooks as an operator runs them (`ansible-playbook playbooks/X.yml -e ...`), against the sandbox.

Kept to a few runs: every ansible-playbook run costs seconds on these machines."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS = ROOT / "playbooks"


def _seed(sandbox):
    now = dt.datetime.now(dt.timezone.utc)
    sandbox.post("suppressions", {"entries": [
        {"email": "gone@customer.test", "reason": "BOUNCE", "last_update_time": (now - dt.timedelta(days=3)).isoformat()},
        {"email": "old@customer.test", "reason": "BOUNCE", "last_update_time": (now - dt.timedelta(days=90)).isoformat()},
        {"email": "angry@customer.test", "reason": "COMPLAINT", "last_update_time": now.isoformat()},
    ]})


def test_suppression_check_report_and_delist(sandbox, ansible_playbook, tmp_path):
    _seed(sandbox)
    res = ansible_playbook(str(PLAYBOOKS / "suppression_check.yml"), extra_vars={"email": "gone@customer.test"})
    assert res.rc == 0, res
    assert "gone@customer.test IS suppressed: reason BOUNCE" in res.stdout, res.stdout[-3000:]

    export = tmp_path / "bounces.csv"
    mark = sandbox.mark()
    res = ansible_playbook(str(PLAYBOOKS / "suppression_report.yml"), check=True,
                           extra_vars={"reasons": "BOUNCE", "since": "-30d", "export": str(export)})
    assert res.rc == 0, res
    # check mode writes no file anywhere, the export included (nor its directory)
    assert not export.exists()
    assert res.task("Show the summary")["msg"][4].endswith("(check mode: not written)")
    res = ansible_playbook(str(PLAYBOOKS / "suppression_report.yml"),
                           extra_vars={"reasons": "BOUNCE", "since": "-30d", "export": str(export)})
    assert res.rc == 0, res
    rows = list(csv.DictReader(export.open()))
    assert [r["email_address"] for r in rows] == ["gone@customer.test"], rows
    summary = res.task("Show the summary")["msg"]
    assert summary[0].startswith("1 suppressed: BOUNCE 1") and summary[1].startswith("reasons BOUNCE; from 20")
    assert summary[1].endswith("until now") and summary[2].startswith("oldest 20")
    assert summary[3] == "top domains: customer.test 1", summary
    assert not any("None" in line or "{" in line or "oldest ," in line for line in summary), summary
    assert sandbox.mutating_calls(since=mark) == []

    # check mode: no prompt; the guard still checks the domain (customer.test does not resolve) and refuses
    res = ansible_playbook(str(PLAYBOOKS / "suppression_delist.yml"), check=True,
                           extra_vars={"email": "gone@customer.test", "reason_for_removal": "TICKET-1"})
    assert res.rc != 0 and "refusing to delist gone@customer.test" in res.stdout, res
    assert sandbox.mutating_calls(since=mark) == []
    # not interactive and not confirmed: refused, nothing removed
    res = ansible_playbook(str(PLAYBOOKS / "suppression_delist.yml"),
                           extra_vars={"email": "gone@customer.test", "reason_for_removal": "TICKET-1", "force": True})
    assert res.rc != 0 and "Not confirmed; nothing removed." in res.stdout, res
    assert sandbox.mutating_calls(since=mark) == []
    # confirmed: removed and audited
    audit = tmp_path / "audit.jsonl"
    res = ansible_playbook(str(PLAYBOOKS / "suppression_delist.yml"),
                           extra_vars={"email": "gone@customer.test", "reason_for_removal": "TICKET-1", "confirm": "yes",
                                       "force": True, "audit_log": str(audit)})
    assert res.rc == 0, res
    left = [s["EmailAddress"] for s in sandbox.boto3_client("sesv2").list_suppressed_destinations()
            ["SuppressedDestinationSummaries"]]
    assert "gone@customer.test" not in left and "old@customer.test" in left
    assert "TICKET-1" in audit.read_text()


def test_reputation_report_exits_non_zero_when_critical(sandbox, ansible_playbook, tmp_path):
    ses = sandbox.boto3_client("sesv2")
    ses.create_email_identity(EmailIdentity="sender@rep.test")
    sandbox.post("verify-email", {"identity": "sender@rep.test"})
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"}]})
    for to in ["a@good.test", "b@good.test", "c@good.test", "x@bad.test"]:
        ses.send_email(FromEmailAddress="sender@rep.test", Destination={"ToAddresses": [to]},
                       Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}})
    report = tmp_path / "out" / "reputation.html"
    mark = sandbox.mark()
    res = ansible_playbook(str(PLAYBOOKS / "reputation_report.yml"), check=True,
                           extra_vars={"report_path": str(report)})
    assert res.rc == 2 and "CRITICAL" in res.stdout, res
    assert not report.parent.exists()  # check mode writes no file (nor its directory)
    res = ansible_playbook(str(PLAYBOOKS / "reputation_report.yml"), extra_vars={"report_path": str(report)})
    assert res.rc == 2, res
    assert sandbox.mutating_calls(since=mark) == []
    assert "CRITICAL" in res.stdout and "bounce rate 25.00 %" in res.stdout, res.stdout[-3000:]
    html = report.read_text()
    assert "<circle" in html
    assert "SES reputation: <span class=\"critical\">CRITICAL</span>" in html
    assert html.count("<svg") == 2 and "stroke-dasharray" in html
