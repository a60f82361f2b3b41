"""suppressed_destination with regions: a delist in every region, one audit line per region, a partial delist
refused unless allow_partial (in-process; each region read back with the AWS CLI's --region, every write from the
sandbox request log with its region)."""

from __future__ import annotations

import json

from .conftest import MX_DOMAIN
from .test_suppression_sync import EU, US, aws_cli

EMAIL = "back@%s" % MX_DOMAIN


def reason_in(sandbox, region, email=EMAIL):
    out = aws_cli(sandbox, "--region", region, "sesv2", "get-suppressed-destination", "--email-address", email)
    if out.returncode != 0:
        assert "NotFoundException" in out.stderr, out.stderr
        return None
    return json.loads(out.stdout)["SuppressedDestination"]["Reason"]


def delist(audit_log, bind, **extra):
    args = {"email": EMAIL, "state": "absent", "reason_for_removal": "TICKET-9: mailbox restored",
            "resolvers": [bind.server], "audit_log": str(audit_log.path), "regions": [US, EU]}
    args.update(extra)
    return args


def test_delist_in_every_region_one_audit_line_each(sandbox, mail_dns, module_main, audit_log):
    for region, reason in ((US, "BOUNCE"), (EU, "COMPLAINT")):
        sandbox.post("suppressions", {"region": region, "entries": [{"email": EMAIL, "reason": reason}]})
    mark = sandbox.mark()
    check = module_main("suppressed_destination", delist(audit_log, mail_dns), check=True, diff=True)
    assert check.rc == 0 and check.result["changed"] is True, check
    assert check.result["diff"]["after"] == {US: {}, EU: {}}
    assert check.result["diff"]["before"][EU]["reason"] == "COMPLAINT"
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []

    mark = sandbox.mark()
    run = module_main("suppressed_destination", delist(audit_log, mail_dns))
    assert run.rc == 0 and run.result["changed"] is True, run
    assert sorted((w["operation"], w["region"]) for w in sandbox.mutating_calls(since=mark)) == [
        ("DeleteSuppressedDestination", EU), ("DeleteSuppressedDestination", US)]
    assert reason_in(sandbox, US) is None and reason_in(sandbox, EU) is None
    lines = audit_log.lines()
    assert sorted((line["action"], line["region"], line["reason"]) for line in lines) == [
        ("delist", EU, "COMPLAINT"), ("delist", US, "BOUNCE")]
    assert all(line["reason_for_removal"] == "TICKET-9: mailbox restored" for line in lines)

    again = module_main("suppressed_destination", delist(audit_log, mail_dns))
    assert again.rc == 0 and again.result["changed"] is False and len(audit_log.lines()) == 2


def test_a_region_that_cannot_be_read_refuses_the_delist_unless_allowed(sandbox, mail_dns, module_main, audit_log):
    for region in (US, EU):
        sandbox.post("suppressions", {"region": region, "entries": [{"email": EMAIL, "reason": "BOUNCE"}]})
    sandbox.post("faults", {"rules": [{"operation": "GetSuppressedDestination", "region": EU, "kind": "error"}]})
    try:
        mark = sandbox.mark()
        refused = module_main("suppressed_destination", delist(audit_log, mail_dns, max_attempts=1))
        assert refused.rc != 0 and "refusing a partial delist" in refused.result["msg"], refused.result
        assert "eu-west-1" in refused.result["msg"] and "allow_partial" in refused.result["msg"]
        assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []
        assert reason_in(sandbox, US) == "BOUNCE"

        allowed = module_main("suppressed_destination", delist(audit_log, mail_dns, max_attempts=1, allow_partial=True))
    finally:
        sandbox.delete("faults")
    assert allowed.rc == 0 and allowed.result["changed"] is True, allowed
    assert list(allowed.result["unknown"]) == [EU]
    assert any("eu-west-1" in w for w in allowed.result.get("warnings", []))
    assert reason_in(sandbox, US) is None and reason_in(sandbox, EU) == "BOUNCE"
    assert [(line["region"], line["action"]) for line in audit_log.lines()] == [(US, "delist")]


def test_regions_refused_before_any_request(sandbox, mail_dns, module_main, audit_log):
    mark = sandbox.mark()
    out = module_main("suppressed_destination", delist(audit_log, mail_dns, regions=[US, US]))
    assert out.rc != 0 and out.result["msg"].startswith("regions:") and "listed twice" in out.result["msg"]
    assert sandbox.requests(since=mark) == [] and audit_log.lines() == []
