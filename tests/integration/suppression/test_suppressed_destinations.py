"""The bulk module: many addresses, a bounded pool, per-address outcomes, partial failure, audit lines
(its logic, in-process with module_main)."""

from __future__ import annotations

import time

from .conftest import MX_DOMAIN, NO_MAIL, play, task


def _listed(sandbox):
    ses = sandbox.boto3_client("sesv2")
    out, token = {}, None
    while True:
        page = ses.list_suppressed_destinations(PageSize=1000, **({"NextToken": token} if token else {}))
        out.update({s["EmailAddress"]: s["Reason"] for s in page["SuppressedDestinationSummaries"]})
        token = page.get("NextToken")
        if not token:
            return out


def test_bulk_put_from_list_and_file_check_then_apply(sandbox, module_main, audit_log, tmp_path):
    from_list = ["list%03d@%s" % (i, MX_DOMAIN) for i in range(150)]
    src = tmp_path / "import.csv"
    src.write_text("email_address,reason\n" + "".join('"file%03d+x@%s",COMPLAINT\n' % (i, MX_DOMAIN.upper())
                                                       for i in range(150)) + '"file000+x@%s",COMPLAINT\n' % MX_DOMAIN)
    sandbox.post("suppressions", {"entries": [{"email": from_list[0], "reason": "BOUNCE"},
                                              {"email": from_list[1], "reason": "COMPLAINT"}]})
    args = {"addresses": from_list, "src": str(src), "reason": "BOUNCE", "concurrency": 8,
            "audit_log": str(audit_log.path)}

    mark = sandbox.mark()
    check = module_main("suppressed_destinations", args, check=True, diff=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []
    counts = check.result["counts"]
    assert counts == {"total": 300, "changed": 299, "unchanged": 1, "refused": 0, "failed": 0,
                      "put": 298, "update": 1, "delete": 0}
    assert check.result["diff"]["before"][from_list[1]] == "COMPLAINT"
    assert check.result["diff"]["after"][from_list[1]] == "BOUNCE"

    started = time.monotonic()
    run = module_main("suppressed_destinations", args)
    elapsed = time.monotonic() - started
    assert run.rc == 0, run
    assert run.result["counts"] == counts and run.result["audit_records"] == 299
    listed = _listed(sandbox)
    assert len(listed) == 300
    assert all(listed["file%03d+x@%s" % (i, MX_DOMAIN)] == "COMPLAINT" for i in range(150))
    assert all(listed[a] == "BOUNCE" for a in from_list)
    lines = audit_log.lines()
    assert len(lines) == 299 and len({line["address"] for line in lines}) == 299
    writes = [r for r in sandbox.mutating_calls(since=mark) if r["operation"] == "PutSuppressedDestination"]
    assert len(writes) == 299
    print("bulk put of 299 addresses (300 reads) with concurrency 8: %.1fs in-process" % elapsed)

    again = module_main("suppressed_destinations", args)
    assert again.rc == 0 and again.result["changed"] is False and again.result["counts"]["unchanged"] == 300
    assert len(audit_log.lines()) == 299


def test_bulk_remove_reports_partial_failure_without_losing_the_rest(sandbox, mail_dns, module_main,
                                                                     audit_log):
    good = ["ok%02d@%s" % (i, MX_DOMAIN) for i in range(20)]
    refused = "gone@%s" % NO_MAIL
    absent = "never@%s" % MX_DOMAIN
    sandbox.post("suppressions", {"entries": [{"email": e, "reason": "BOUNCE"} for e in good + [refused]]})
    # one delete fails with a server error that is not retried (max_attempts=1)
    sandbox.post("faults", {"rules": [{"operation": "DeleteSuppressedDestination", "kind": "error", "count": 1}],
                            "seed": 1})
    args = {"addresses": good + [refused, absent], "state": "absent", "reason_for_removal": "cleanup TICKET-9",
            "resolvers": [mail_dns.server], "audit_log": str(audit_log.path), "max_attempts": 1}
    res = module_main("suppressed_destinations", args)
    assert res.rc != 0
    out = res.result
    assert "2 of 22 address(es) were not removed" in out["msg"], out["msg"]
    by_email = {r["email"]: r for r in out["results"]}
    assert by_email[refused]["outcome"] == "refused" and "neither MX nor A/AAAA" in by_email[refused]["msg"]
    assert by_email[absent]["outcome"] == "unchanged"
    failed = [r for r in out["results"] if r["outcome"] == "failed"]
    assert len(failed) == 1 and failed[0]["error_code"] == "InternalFailure"
    assert out["counts"]["delete"] == 19 and out["changed"] is True
    # the 19 removals are applied and recorded although the task failed
    lines = audit_log.lines()
    assert len(lines) == 19 and {line["action"] for line in lines} == {"delist"}
    assert {line["address"] for line in lines} == set(good) - {failed[0]["email"]}
    assert set(_listed(sandbox)) == {refused, failed[0]["email"]}

    # the retry removes the one that failed; the refused one needs force
    sandbox.delete("faults")
    retry = module_main("suppressed_destinations", dict(args, addresses=good))
    assert retry.rc == 0 and retry.result["counts"]["delete"] == 1
    forced = module_main("suppressed_destinations", dict(args, addresses=[refused], force=True))
    assert forced.rc == 0 and forced.result["counts"]["delete"] == 1
    assert len(audit_log.lines()) == 21 and _listed(sandbox) == {}


def test_bulk_invalid_input_changes_nothing(sandbox, module_main, audit_log, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("fine@example.test\nbad@@example.test\n")
    mark = sandbox.mark()
    res = module_main("suppressed_destinations", {"addresses": ["a@example.test", "nope", "x y@example.test"],
                                                  "reason": "BOUNCE", "audit_log": str(audit_log.path)})
    assert res.rc != 0
    assert res.result["msg"].startswith("addresses: 2 invalid address(es), nothing was changed")
    assert "'nope'" in res.result["msg"]
    res = module_main("suppressed_destinations", {"src": str(src), "audit_log": str(audit_log.path)})
    assert res.rc != 0 and res.result["msg"].startswith("src: 1 invalid"), res.result["msg"]
    res = module_main("suppressed_destinations", {"addresses": ["a@example.test"], "concurrency": 64})
    assert res.rc != 0 and res.result["msg"].startswith("concurrency:")
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []


def test_bulk_rides_out_throttling(sandbox, module_main, audit_log):
    addresses = ["t%03d@%s" % (i, MX_DOMAIN) for i in range(60)]
    sandbox.post("faults", {"rules": [{"operation": "PutSuppressedDestination", "kind": "throttle", "rate": 0.3},
                                      {"operation": "GetSuppressedDestination", "kind": "throttle", "rate": 0.3}],
                            "seed": 7})
    res = module_main("suppressed_destinations", {"addresses": addresses, "reason": "BOUNCE", "concurrency": 8,
                                                  "audit_log": str(audit_log.path)})
    injected = sandbox.get("faults")["injected"]
    assert res.rc == 0, res
    assert res.result["counts"]["put"] == 60 and len(audit_log.lines()) == 60
    assert injected.get("throttle:PutSuppressedDestination", 0) > 5, injected
    assert len(_listed(sandbox)) == 60
