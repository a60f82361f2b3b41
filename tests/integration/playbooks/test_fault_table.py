"""Every runbook playbook fails when its work failed: one fault in its first essential call (SES, SQS, DNS, the
store) makes the run exit non-zero with a message naming the failure; the same playbook with no fault exits 0.

One ansible-playbook per row, through scripts/run_unattended (the documented exit codes for scheduled runs:
0 done, 2 failed or critical, 4 could not look), so the wrapper is tested on every row too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ansible_runner import base_env

ROOT = Path(__file__).resolve().parents[3]
WRAPPER = ROOT / "scripts" / "run_unattended"


def _suppressed(sandbox, request):
    sandbox.post("suppressions", {"entries": [{"email": "gone@example.com", "reason": "BOUNCE"}]})
    return {}


def _queue(sandbox, request):
    url = sandbox.boto3_client("sqs").create_queue(QueueName="faults-feedback")["QueueUrl"]
    return {"queue_url": url, "wait_time_seconds": 0}


def _production(sandbox, request):
    sandbox.post("account", {"production_access": True})  # a new account's sandbox status is a finding of its own
    return {}


def _ses_spf(sandbox, request):
    """The SPF guard resolves include:amazonses.com: the test BIND serves SES's SPF record as the internet does."""
    return {"domain_resolvers": [request.getfixturevalue("bind").server]}


def _fleet_spf(sandbox, request):
    return {"enforce_policy_nameservers": [request.getfixturevalue("bind").server]}


def _files(tmp_path):
    return {"report_dir": str(tmp_path / "reports"), "store_path": str(tmp_path / "history.sqlite")}


# (id, playbook, extra vars, setup, fault rule or None for "no fault", expected rc, text naming the failure)
ROWS = [
    ("suppression_check/ses", "suppression_check.yml", {"email": "gone@example.com"}, _suppressed,
     {"operation": "GetSuppressedDestination"}, 2, "GetSuppressedDestination failed: InternalFailure"),
    ("suppression_report/ses", "suppression_report.yml", {"reasons": "BOUNCE"}, _suppressed,
     {"operation": "ListSuppressedDestinations"}, 2, "ListSuppressedDestinations failed: InternalFailure"),
    ("suppression_delist/ses", "suppression_delist.yml",
     {"email": "gone@example.com", "reason_for_removal": "TICKET-1", "confirm": "yes", "force": True},
     _suppressed, {"operation": "GetSuppressedDestination"}, 2, "GetSuppressedDestination failed: InternalFailure"),
    ("reputation_report/ses", "reputation_report.yml", {}, None,
     {"operation": "GetAccount"}, 2, "GetAccount failed: InternalFailure"),
    ("posture_report/ses", "posture_report.yml", {}, _production,
     {"operation": "ListEmailIdentities"}, 4, "could not look"),
    ("configure_account/ses", "configure_account.yml", {"identities": []}, None,
     {"operation": "GetAccount"}, 2, "GetAccount failed: InternalFailure"),
    ("process_bounces/sqs", "process_bounces.yml", {}, _queue,
     {"operation": "ReceiveMessage"}, 2, "ReceiveMessage failed: InternalFailure"),
    # the DynamoDB store as docs/ee shows it, with the role's variables (a fresh HOME: nothing from an earlier run)
    ("process_bounces/store", "process_bounces.yml",
     {"bounce_processing_store": "dynamodb", "bounce_processing_store_table": "ses-bounces",
      "bounce_processing_store_create_table": True}, _queue,
     {"operation": "DescribeTable"}, 2, "DescribeTable failed: InternalFailure"),
    ("onboard_domain/ses", "onboard_domain.yml", {"domain": "faults.example.com", "provider": "none"}, _ses_spf,
     {"operation": "GetEmailIdentity"}, 2, "Cannot read the SES identity faults.example.com"),
    ("onboard_domain/dns", "onboard_domain.yml", {"domain": "faults.example.com"}, None,
     {"operation": "ListHostedZones"}, 2, "ListHostedZones failed: InternalFailure"),
    ("enforce_policy/ses", "enforce_policy.yml",
     {"enforce_policy_domains": ["faults.example.com"], "enforce_policy_provider": "none"}, _fleet_spf,
     {"operation": "ListEmailIdentities"}, 2, "ListEmailIdentities failed: InternalFailure"),
]


def _run(sandbox, aws_env, tmp_path, request, playbook, extra, setup):
    extra = dict(extra)
    if setup is not None:
        extra.update(setup(sandbox, request) or {})
    if playbook in ("process_bounces.yml", "posture_report.yml", "reputation_report.yml", "suppression_delist.yml"):
        extra.update({"process_bounces.yml": _files(tmp_path),
                      "posture_report.yml": {"report_dir": str(tmp_path / "posture")},
                      "reputation_report.yml": {"report_path": str(tmp_path / "reputation.html")},
                      "suppression_delist.yml": {"audit_log": str(tmp_path / "audit.jsonl")}}[playbook])
    env = base_env(dict(aws_env, HOME=str(tmp_path)))
    cmd = [str(WRAPPER), "-i", "localhost,", "-c", "local", str(ROOT / "playbooks" / playbook),
           "-e", json.dumps(extra)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=str(ROOT))


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_a_fault_in_the_first_essential_call_fails_the_run(sandbox, aws_env, tmp_path, request, row):
    _, playbook, extra, setup, fault, rc, text = row
    sandbox.post("faults", {"rules": [dict(fault, kind="error")]})
    proc = _run(sandbox, aws_env, tmp_path, request, playbook, extra, setup)
    out = proc.stdout + proc.stderr
    assert proc.returncode == rc, out[-4000:]
    assert text in out, out[-4000:]


# the first row of each playbook, and the DynamoDB store's
CLEAN = [r for i, r in enumerate(ROWS) if r[1] not in [o[1] for o in ROWS[:i]] or r[0].endswith("/store")]


@pytest.mark.parametrize("row", CLEAN, ids=[r[0] for r in CLEAN])
def test_the_same_playbook_without_a_fault_exits_0(sandbox, aws_env, tmp_path, request, row):
    _, playbook, extra, setup, _, _, _ = row
    proc = _run(sandbox, aws_env, tmp_path, request, playbook, extra, setup)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "failed=0" in proc.stdout and "run_unattended:" not in proc.stderr
    if row[0].endswith("/store"):  # the run used the DynamoDB table it was told to create, not a local file
        assert "ses-bounces" in sandbox.boto3_client("dynamodb").list_tables()["TableNames"]
        assert not (tmp_path / ".ansible" / "deliverability_ses" / "bounce_history.sqlite").exists()
    if row[1] == "posture_report.yml":  # an empty account is not "clean in 0 domains"
        assert "clean: nothing at or above high in the account (no domains:" in proc.stdout, proc.stdout[-2000:]


def test_the_wrapper_tells_a_broken_playbook_from_could_not_look(tmp_path):
    """ansible-playbook exits 4 for a YAML error as for an unreachable host: the wrapper says 2 (failed) for it."""
    broken = tmp_path / "broken.yml"
    broken.write_text("- hosts: localhost\n  tasks:\n    - ansible.builtin.debug: [\n")
    env = base_env()
    direct = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(broken)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert direct.returncode == 4, direct.stderr  # what the wrapper is for
    wrapped = subprocess.run([str(WRAPPER), "-i", "localhost,", str(broken)], env=env, capture_output=True, text=True,
                             timeout=120)
    assert wrapped.returncode == 2, wrapped.stderr
    assert "run_unattended: failed (ansible-playbook exit 4" in wrapped.stderr


def test_two_zones_of_one_name_name_the_roles_variable(sandbox, aws_env, tmp_path, request):
    """Two Route 53 zones named like the domain: the refusal names domain_dns_hosted_zone_id (the role's variable),
    not the module's hosted_zone_id, and does not blame the spelling; nothing is created."""
    r53 = sandbox.boto3_client("route53")
    for ref in ("a", "b"):
        r53.create_hosted_zone(Name="twice.example.com", CallerReference=ref)
    mark = sandbox.mark()
    proc = _run(sandbox, aws_env, tmp_path, request, "onboard_domain.yml", {"domain": "twice.example.com"}, None)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out[-3000:]
    assert "Set domain_dns_hosted_zone_id to the ID of the zone" in out, out[-3000:]
    assert "spelling" not in out and "set hosted_zone_id" not in out, out[-3000:]
    assert sandbox.mutating_calls(since=mark) == []
