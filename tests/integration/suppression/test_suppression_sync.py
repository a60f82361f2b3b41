"""suppression_sync: one suppression list across regions, against the sandbox (which keeps SES state per region:
the region of the request's signature). Its logic in-process (module_main); every region read back with the
AWS CLI's --region, every write proven from the sandbox request log with its region."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import MX_DOMAIN

AWS = str(Path(sys.executable).parent / "aws")
US, EU = "us-east-1", "eu-west-1"


def aws_cli(sandbox, *args):
    return subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, *args],
                          env=dict(sandbox.env(), PATH="/usr/bin:/bin"), capture_output=True, text=True, timeout=60)


def listed(sandbox, region):
    """{address: reason} of one region, read with the AWS CLI (one page of up to 1,000: the pinned CLI v1 does not
    follow this listing's pages)."""
    out = aws_cli(sandbox, "--region", region, "sesv2", "list-suppressed-destinations", "--page-size", "1000",
                  "--output", "json")
    assert out.returncode == 0, out.stderr
    return {s["EmailAddress"]: s["Reason"] for s in json.loads(out.stdout)["SuppressedDestinationSummaries"]}


def seed(sandbox, region, entries):
    sandbox.post("suppressions", {"region": region, "entries": [
        {"email": e, "reason": r, "last_update_time": t} for e, r, t in entries]})


def addr(name):
    return "%s@%s" % (name, MX_DOMAIN)


def test_sandbox_keeps_the_suppression_list_per_region(sandbox):
    mark = sandbox.mark()
    put = aws_cli(sandbox, "--region", EU, "sesv2", "put-suppressed-destination", "--email-address", addr("eu-only"),
                  "--reason", "BOUNCE")
    assert put.returncode == 0, put.stderr
    assert listed(sandbox, EU) == {addr("eu-only"): "BOUNCE"}
    assert listed(sandbox, US) == {}
    got = aws_cli(sandbox, "--region", US, "sesv2", "get-suppressed-destination", "--email-address", addr("eu-only"))
    assert got.returncode != 0 and "NotFoundException" in got.stderr
    writes = sandbox.mutating_calls(since=mark, service="sesv2")
    assert [(w["operation"], w["region"]) for w in writes] == [("PutSuppressedDestination", EU)]


def test_sync_check_mode_then_apply_then_nothing(sandbox, module_main, audit_log):
    seed(sandbox, US, [(addr("only-us"), "BOUNCE", "2026-11-01T10:00:00Z"),
                       (addr("older-in-us"), "BOUNCE", "2026-11-01T10:00:00Z"),
                       (addr("newer-in-us"), "BOUNCE", "2026-11-20T10:00:00.500Z"),
                       (addr("tie"), "BOUNCE", "2026-11-05T00:00:00Z"),
                       (addr("same"), "COMPLAINT", "2026-10-01T00:00:00Z")])
    seed(sandbox, EU, [(addr("only-eu"), "COMPLAINT", "2026-11-02T10:00:00Z"),
                       (addr("older-in-us"), "COMPLAINT", "2026-11-03T10:00:00Z"),
                       (addr("newer-in-us"), "COMPLAINT", "2026-11-20T10:00:00Z"),
                       (addr("tie"), "COMPLAINT", "2026-11-05T00:00:00Z"),
                       (addr("same"), "COMPLAINT", "2026-09-01T00:00:00Z")])
    args = {"regions": [US, EU], "audit_log": str(audit_log.path)}
    expected = {US: {addr("only-eu"): "COMPLAINT", addr("older-in-us"): "COMPLAINT", addr("tie"): "COMPLAINT"},
                EU: {addr("only-us"): "BOUNCE", addr("newer-in-us"): "BOUNCE"}}

    mark = sandbox.mark()
    check = module_main("suppression_sync", args, check=True, diff=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []
    assert check.result["changed"] is True and check.result["writes"] == 5 and check.result["union"] == 6
    assert check.result["diff"]["after"] == expected
    assert check.result["diff"]["before"][US] == {addr("only-eu"): None, addr("older-in-us"): "BOUNCE",
                                                  addr("tie"): "BOUNCE"}
    assert {r: (s["put"], s["update"], s["in_sync"]) for r, s in check.result["regions"].items()} == {
        US: (1, 2, 3), EU: (1, 1, 4)}
    assert {s["written"] for s in check.result["regions"].values()} == {0}
    reads = sandbox.requests(since=mark)
    assert {(r["operation"], r["region"]) for r in reads} == {("ListSuppressedDestinations", US),
                                                              ("ListSuppressedDestinations", EU)}

    mark = sandbox.mark()
    run = module_main("suppression_sync", args, diff=True)
    assert run.rc == 0, run
    assert run.result["changed"] is True and run.result["writes"] == 5 and run.result["audit_records"] == 5
    assert {r: s["written"] for r, s in run.result["regions"].items()} == {US: 3, EU: 2}
    writes = sandbox.mutating_calls(since=mark)
    assert sorted((w["region"], w["params"]["EmailAddress"], w["params"]["Reason"]) for w in writes) == sorted(
        (region, email, reason) for region, found in expected.items() for email, reason in found.items())
    assert {w["operation"] for w in writes} == {"PutSuppressedDestination"}
    union = {addr("only-us"): "BOUNCE", addr("only-eu"): "COMPLAINT", addr("older-in-us"): "COMPLAINT",
             addr("newer-in-us"): "BOUNCE", addr("tie"): "COMPLAINT", addr("same"): "COMPLAINT"}
    assert listed(sandbox, US) == union and listed(sandbox, EU) == union
    lines = audit_log.lines()
    assert sorted((line["region"], line["address"], line["reason"]) for line in lines) == sorted(
        (w["region"], w["params"]["EmailAddress"], w["params"]["Reason"]) for w in writes)
    newer = next(line for line in lines if line["address"] == addr("newer-in-us"))
    assert newer["action"] == "sync_update_reason" and newer["previous_reason"] == "COMPLAINT"
    assert newer["source_region"] == US and newer["source_time"] == "2026-11-20T10:00:00.500Z"

    mark = sandbox.mark()
    again = module_main("suppression_sync", args)
    assert again.rc == 0 and again.result["changed"] is False and again.result["writes"] == 0
    assert sandbox.mutating_calls(since=mark) == [] and len(audit_log.lines()) == 5


def test_sync_reads_pages_then_writes_only_the_difference(sandbox, module_main, audit_log):
    both = [(addr("p%04d" % i), "BOUNCE", "2026-11-01T00:00:00Z") for i in range(1000)]
    seed(sandbox, US, both + [(addr("extra"), "COMPLAINT", "2026-11-02T00:00:00Z")])
    seed(sandbox, EU, both)
    mark = sandbox.mark()
    run = module_main("suppression_sync", {"regions": [EU, US], "audit_log": str(audit_log.path)})
    assert run.rc == 0, run
    calls = [(r["operation"], r["region"]) for r in sandbox.requests(since=mark)]
    assert calls.count(("ListSuppressedDestinations", US)) == 2 and calls.count(("ListSuppressedDestinations", EU)) == 1
    assert [c for c in calls if c[0] not in ("ListSuppressedDestinations", "GetCallerIdentity")] == [
        ("PutSuppressedDestination", EU)]
    assert run.result["regions"][US]["pages"] == 2 and run.result["regions"][EU]["written"] == 1
    got = aws_cli(sandbox, "--region", EU, "sesv2", "get-suppressed-destination", "--email-address", addr("extra"))
    assert got.returncode == 0 and json.loads(got.stdout)["SuppressedDestination"]["Reason"] == "COMPLAINT"


def test_bad_regions_fail_naming_the_option_before_any_request(sandbox, module_main, audit_log):
    cases = [([US, "eu-nowhere-9"], "unknown region"), ([US, EU, EU], "listed twice"),
             ([US], "at least 2"), ([US, "not a region"], "not an AWS region name")]
    mark = sandbox.mark()
    for regions, words in cases:
        out = module_main("suppression_sync", {"regions": regions, "audit_log": str(audit_log.path)})
        assert out.rc != 0 and out.result["msg"].startswith("regions:"), out.result
        assert words in out.result["msg"], out.result["msg"]
        assert "Traceback" not in json.dumps(out.result)
    assert sandbox.requests(since=mark) == [] and not audit_log.path.exists()


def test_a_region_that_cannot_be_read_stops_the_run_before_any_write(sandbox, module_main, audit_log):
    seed(sandbox, US, [(addr("x"), "BOUNCE", "2026-11-01T00:00:00Z")])
    sandbox.post("faults", {"rules": [{"operation": "ListSuppressedDestinations", "kind": "error", "rate": 1.0}]})
    try:
        mark = sandbox.mark()
        out = module_main("suppression_sync", {"regions": [US, EU], "audit_log": str(audit_log.path),
                                               "max_attempts": 1})
    finally:
        sandbox.delete("faults")
    assert out.rc != 0 and "ListSuppressedDestinations" in out.result["msg"], out.result
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []
