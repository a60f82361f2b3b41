"""domain_policy at fleet scale (issue 24): domains from a file relative to where the user ran the playbook, the
compact result with every domain's full result in a file, through the real controller."""

from __future__ import annotations

import json
import stat

import pytest

from tests.fixtures.ansible_runner import ROOT
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind

TASK = "Audit or enforce every domain (check mode makes no write call)"


def test_enforce_policy_from_a_domains_file_then_a_compact_audit(ansible_playbook, sandbox, bind, tmp_path):
    zone = unique("fo")
    bind.add_zone(zone)
    domains = ["f%d.%s" % (i, zone) for i in range(3)]
    (tmp_path / "fleet.txt").write_text("# the fleet\n%s\n\n" % "\n".join(domains))
    extra = {"enforce_policy_domains_file": "fleet.txt", "enforce_policy_provider": "rfc2136",
             "enforce_policy_zone": zone, "enforce_policy_server": bind.server,
             "enforce_policy_key_name": bind.key_name, "enforce_policy_key_secret": bind.key_secret,
             "enforce_policy_dmarc": {"policy": "quarantine"}}
    path = str(ROOT / "playbooks" / "enforce_policy.yml")
    ran_from = {"PWD": str(tmp_path)}  # the directory the user ran ansible-playbook from
    res = ansible_playbook(path, extra_vars=extra, env=ran_from)
    out = res.task(TASK)
    assert res.rc == 0 and out["summary"] == {"total": 3, "changed": 3, "failed": 0, "ok": 3}, res
    assert out["return_domains"] == "all" and len(out["domains"]) == 3  # auto: a small fleet gets everything
    ses = sandbox.boto3_client("sesv2")
    assert all(ses.get_email_identity(EmailIdentity=d)["DkimAttributes"]["Status"] == "SUCCESS" for d in domains)

    # drift on one domain; the audit returns it in full, names the others, and the file holds all three
    ses.put_email_identity_dkim_attributes(EmailIdentity=domains[1], SigningEnabled=False)
    mark = sandbox.mark()
    res = ansible_playbook(path, check=True, env=ran_from, extra_vars=dict(
        extra, enforce_policy_return_domains="attention", enforce_policy_results_path="reports/fleet.json"))
    out = res.task(TASK)
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    assert [d["domain"] for d in out["domains"]] == [domains[1]] and out["domains"][0]["changed"] is True
    assert out["unchanged_domains"] == [domains[0], domains[2]] and out["summary"]["changed"] == 1
    report = tmp_path / "reports" / "fleet.json"
    assert not report.exists() and "results_path" not in out  # check mode writes nothing anywhere
    assert ses.get_email_identity(EmailIdentity=domains[1])["DkimAttributes"]["SigningEnabled"] is False

    # the enforcing run writes every domain's full result there, owner-only
    res = ansible_playbook(path, env=ran_from, extra_vars=dict(
        extra, enforce_policy_return_domains="attention", enforce_policy_results_path="reports/fleet.json"))
    out = res.task(TASK)
    assert res.rc == 0, res
    assert out["results_path"] == str(report)
    full = json.loads(report.read_text())
    assert [d["domain"] for d in full["domains"]] == domains and full["summary"]["total"] == 3
    assert full["domains"][0]["identity"]["dkim_status"] == "SUCCESS" and full["domains"][1]["changed"] is True
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert ses.get_email_identity(EmailIdentity=domains[1])["DkimAttributes"]["SigningEnabled"] is True


def test_a_bad_domains_file_fails_naming_it_before_any_call(module_main, sandbox, tmp_path):
    mark = sandbox.mark()
    res = module_main("domain_policy", {"domains_file": str(tmp_path / "absent.txt"), "provider": "none"},
                      check=True)
    assert res.rc != 0 and res.result["msg"].startswith("domains_file: cannot read"), res.result
    assert "Traceback" not in res.output
    assert sandbox.requests(mark) == []
    res = module_main("domain_policy", {"provider": "none"}, check=True)
    assert res.rc != 0 and "domains" in res.result["msg"] and "domains_file" in res.result["msg"], res.result


def test_a_json_domains_file_keeps_overrides(module_main, sandbox, tmp_path):
    zone = unique("fj")
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps([{"name": "a." + zone, "dmarc": {"policy": "reject"}}, "b." + zone]))
    res = module_main("domain_policy", {"domains": ["c." + zone], "domains_file": str(path), "provider": "none",
                                        "dmarc": {"policy": "none"}, "spf": {"enabled": False}},
                      check=True)
    assert res.rc == 0, res.result
    records = {d["domain"]: d["dmarc"]["record"] for d in res.result["domains"]}
    assert list(records) == ["c." + zone, "a." + zone, "b." + zone]
    assert "p=reject" in records["a." + zone] and "p=none" in records["b." + zone]
