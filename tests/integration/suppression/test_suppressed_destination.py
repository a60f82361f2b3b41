"""suppressed_destination and account_suppression against the sandbox and BIND.

Guard rails, updates, audit lines and bad input are the modules' logic: in-process (module_main, the real
main()). ansible-playbook where the controller is the point: check mode with the rendered --diff, and loops
with templated arguments (the round trip)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import IDN_DOMAIN, IDN_PUNY, A_ONLY, MX_DOMAIN, NO_MAIL, NULL_MX, play, task

AWS = str(Path(sys.executable).parent / "aws")


def aws_cli(sandbox, *args):
    return subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, *args], env=dict(sandbox.env(), PATH="/usr/bin:/bin"),
                          capture_output=True, text=True, timeout=60)


def seed(sandbox, *emails, reason="BOUNCE"):
    sandbox.post("suppressions", {"entries": [{"email": e, "reason": reason} for e in emails]})


def delist_args(bind, audit_log, email, **extra):
    args = {"email": email, "state": "absent", "reason_for_removal": "TICKET-1: mailbox works again",
            "resolvers": [bind.server], "audit_log": str(audit_log.path)}
    args.update(extra)
    return args


def test_check_then_delist_then_gone_for_the_aws_cli(sandbox, mail_dns, ansible_module, module_main, audit_log):
    email = "jane+news@%s" % MX_DOMAIN
    seed(sandbox, email)
    args = delist_args(mail_dns, audit_log, "jane+news@EXAMPLE.test")

    mark = sandbox.mark()
    check = ansible_module("suppressed_destination", args, check=True, diff=True)
    assert check.rc == 0, check
    assert check.result["changed"] is True and check.result["action"] == "delete"
    assert check.result["diff"]["before"]["reason"] == "BOUNCE" and check.result["diff"]["after"] == {}
    assert check.result["dns_check"]["mx"] == ["10 mx.example.test"]  # canonical, as every DNS read returns it
    assert "--- before" in check.stdout and '-    "reason": "BOUNCE"' in check.stdout
    assert sandbox.mutating_calls(since=mark) == []
    assert audit_log.lines() == []
    assert aws_cli(sandbox, "sesv2", "get-suppressed-destination", "--email-address", email).returncode == 0

    run = module_main("suppressed_destination", args, diff=True)
    assert run.rc == 0, run
    assert run.result["changed"] is True and run.result["after"] is None
    lines = audit_log.lines()
    assert len(lines) == 1
    assert lines[0]["action"] == "delist" and lines[0]["address"] == email and lines[0]["reason"] == "BOUNCE"
    assert lines[0]["reason_for_removal"] == "TICKET-1: mailbox works again" and lines[0]["forced"] is False
    assert lines[0]["operator"] == "arn:aws:sts::123456789012:user/moto"
    assert lines[0]["dns_check"]["accepts_mail"] is True

    cli = aws_cli(sandbox, "sesv2", "get-suppressed-destination", "--email-address", email)
    assert cli.returncode != 0 and "NotFoundException" in cli.stderr, cli

    again = module_main("suppressed_destination", args)
    assert again.rc == 0 and again.result["changed"] is False and again.result["action"] == "none"
    assert len(audit_log.lines()) == 1


def test_guard_refuses_domains_without_mail_unless_forced(sandbox, mail_dns, module_main, audit_log):
    no_mx, null_mx, a_only = "x@%s" % NO_MAIL, "y@%s" % NULL_MX, "z@%s" % A_ONLY
    seed(sandbox, no_mx, null_mx, a_only)
    for email, words in ((no_mx, "neither MX nor A/AAAA"), (null_mx, "null MX")):
        for check in (True, False):
            mark = sandbox.mark()
            refused = module_main("suppressed_destination", delist_args(mail_dns, audit_log, email), check=check)
            assert refused.rc != 0
            assert "refusing to delist %s" % email in refused.result["msg"] and words in refused.result["msg"]
            assert "force=true" in refused.result["msg"]
            assert sandbox.mutating_calls(since=mark) == []
    assert audit_log.lines() == []
    assert sandbox.boto3_client("sesv2").get_suppressed_destination(EmailAddress=no_mx)

    ok = module_main("suppressed_destination", delist_args(mail_dns, audit_log, a_only))
    assert ok.rc == 0 and ok.result["changed"] is True, ok
    assert ok.result["dns_check"]["addresses"] == ["192.0.2.26"]

    forced = module_main("suppressed_destination", delist_args(mail_dns, audit_log, no_mx, force=True))
    assert forced.rc == 0 and forced.result["changed"] is True, forced
    lines = audit_log.lines()
    assert [(line["address"], line["forced"]) for line in lines] == [(a_only, False), (no_mx, True)]
    assert "dns_check" not in lines[1]


def test_unusual_addresses_round_trip(sandbox, mail_dns, ansible_playbook, module_main, audit_log):
    given = ["a+tag@%s" % MX_DOMAIN, "dept/team@%s" % MX_DOMAIN, "per%%cent@%s" % MX_DOMAIN,
             '"john doe"@%s' % MX_DOMAIN, "o'neil@%s" % MX_DOMAIN, "Kim@%s" % IDN_DOMAIN,
             "CaseKept@EXAMPLE.TEST"]
    stored = [g.replace(IDN_DOMAIN, IDN_PUNY).replace("EXAMPLE.TEST", MX_DOMAIN) for g in given]
    common = {"audit_log": str(audit_log.path)}
    # through the controller once: quotes, %, / and non-ASCII survive YAML, a templated loop and the module
    # arguments' JSON; the rest is the modules' own logic, in-process
    res = ansible_playbook(play(
        task("put", "suppressed_destination", dict(common, email="{{ item }}", reason="COMPLAINT"), loop=given),
    ))
    assert res.rc == 0, res
    assert [r["changed"] for r in res.task("put")["results"]] == [True] * len(given)
    assert [r["email"] for r in res.task("put")["results"]] == stored
    again = [module_main("suppressed_destination", dict(common, email=g, reason="COMPLAINT")) for g in given]
    assert [r.result["changed"] for r in again] == [False] * len(given)
    found = [module_main("suppressed_destination_info", {"email": g}).result for g in given]
    assert [r["suppressed_destination"]["email_address"] for r in found] == stored
    assert [r["suppressed_destination"]["reason"] for r in found] == ["COMPLAINT"] * len(given)
    # what SES itself lists is what the modules return
    listed = {s["EmailAddress"] for s in sandbox.boto3_client("sesv2").list_suppressed_destinations(
        PageSize=100)["SuppressedDestinationSummaries"]}
    assert listed == set(stored)
    # the local part is case-sensitive, the domain part is not
    assert "casekept@example.test" not in listed
    assert [line["address"] for line in audit_log.lines()] == stored

    # delisting finds them whatever the case of the domain part (IDN too)
    shouted = ["%s@%s" % (g.rpartition("@")[0], g.rpartition("@")[2].upper()) for g in given]
    delisted = [module_main("suppressed_destination",
                            dict(common, email=e, state="absent", reason_for_removal="round trip",
                                 resolvers=[mail_dns.server])) for e in shouted]
    assert all(r.rc == 0 for r in delisted), delisted
    assert [r.result["changed"] for r in delisted] == [True] * len(given)
    assert [module_main("suppressed_destination_info", {"email": e}).result["found"] for e in stored] == \
        [False] * len(given)
    assert sandbox.boto3_client("sesv2").list_suppressed_destinations()["SuppressedDestinationSummaries"] == []
    assert len(audit_log.lines()) == 2 * len(given)


def test_reason_change_is_an_update_with_diff(sandbox, module_main, audit_log):
    seed(sandbox, "u@%s" % MX_DOMAIN)
    args = {"email": "u@%s" % MX_DOMAIN, "reason": "COMPLAINT", "audit_log": str(audit_log.path)}
    mark = sandbox.mark()
    check = module_main("suppressed_destination", args, check=True, diff=True)
    assert check.result["changed"] is True and check.result["action"] == "update"
    assert check.result["diff"]["before"]["reason"] == "BOUNCE"
    assert check.result["diff"]["after"]["reason"] == "COMPLAINT"
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []
    run = module_main("suppressed_destination", args)
    assert run.result["changed"] is True and run.result["after"]["reason"] == "COMPLAINT"
    assert [(line["action"], line["reason"], line["previous_reason"]) for line in audit_log.lines()] == [
        ("update_reason", "COMPLAINT", "BOUNCE")]
    assert module_main("suppressed_destination", args).result["changed"] is False
    assert len(audit_log.lines()) == 1


def test_account_suppression(sandbox, module_main, audit_log):
    log = {"audit_log": str(audit_log.path)}
    read = module_main("account_suppression", {})
    assert read.result["changed"] is False and read.result["suppressed_reasons"] == ["BOUNCE", "COMPLAINT"]
    assert read.result["enforcement_status"] == "HEALTHY" and read.result["sending_enabled"] is True

    mark = sandbox.mark()
    check = module_main("account_suppression", dict(log, suppressed_reasons=[]), check=True, diff=True)
    assert check.result["changed"] is True
    assert check.result["diff"] == {"before": {"suppressed_reasons": ["BOUNCE", "COMPLAINT"]},
                                    "after": {"suppressed_reasons": []}}
    assert sandbox.mutating_calls(since=mark) == [] and audit_log.lines() == []

    off = module_main("account_suppression", dict(log, suppressed_reasons=[]))
    assert off.result["changed"] is True and off.result["suppressed_reasons"] == []
    assert sandbox.boto3_client("sesv2").get_account()["SuppressionAttributes"]["SuppressedReasons"] == []
    assert module_main("account_suppression", dict(log, suppressed_reasons=[])).result["changed"] is False

    on = module_main("account_suppression", dict(log, suppressed_reasons=["COMPLAINT", "BOUNCE"]))
    assert on.result["changed"] is True and on.result["suppressed_reasons"] == ["BOUNCE", "COMPLAINT"]
    lines = audit_log.lines()
    assert [(line["action"], line["reason"], line["previous_reasons"]) for line in lines] == [
        ("account_suppression", [], ["BOUNCE", "COMPLAINT"]),
        ("account_suppression", ["BOUNCE", "COMPLAINT"], [])]


def test_bad_input_gives_one_message_naming_the_option(sandbox, module_main, audit_log):
    mark = sandbox.mark()
    table = [
        ("invalid email", "suppressed_destination", {"email": "not an address", "reason": "BOUNCE"}),
        ("invalid local part", "suppressed_destination", {"email": "a..b@example.test", "reason": "BOUNCE"}),
        ("unknown reason", "suppressed_destination", {"email": "a@example.test", "reason": "SPAM"}),
        ("no reason for removal", "suppressed_destination", {"email": "a@example.test", "state": "absent"}),
        ("blank reason for removal", "suppressed_destination",
         {"email": "a@example.test", "state": "absent", "reason_for_removal": " "}),
        ("bad resolver", "suppressed_destination",
         {"email": "a@example.test", "state": "absent", "reason_for_removal": "x",
          "resolvers": ["127.0.0.1:notaport"]}),
        ("unknown account reason", "account_suppression", {"suppressed_reasons": ["BOUNCES"]}),
        ("dates in wrong order", "suppressed_destination_info", {"start_date": "-1d", "end_date": "-7d"}),
        ("date too old", "suppressed_destination_info", {"start_date": "2018-01-01"}),
        ("date garbage", "suppressed_destination_info", {"end_date": "last tuesday"}),
        ("unknown list reason", "suppressed_destination_info", {"reasons": ["BOUNCE", "spam"]}),
        ("invalid lookup", "suppressed_destination_info", {"email": "@example.test"}),
    ]
    results = {name: module_main(module, args) for name, module, args in table}
    expected = {
        "invalid email": "email", "invalid local part": "email", "unknown reason": "reason",
        "no reason for removal": "reason_for_removal", "blank reason for removal": "reason_for_removal",
        "bad resolver": "resolvers", "unknown account reason": "suppressed_reasons",
        "dates in wrong order": "start_date", "date too old": "start_date", "date garbage": "end_date",
        "unknown list reason": "reasons", "invalid lookup": "email",
    }
    assert sorted(results) == sorted(expected)
    for name, option in expected.items():
        result = results[name].result
        assert results[name].rc == 1 and result.get("failed") is True, (name, result)
        assert option in result["msg"], (name, result["msg"])
        assert "Traceback" not in json.dumps(result) and not result.get("traceback_escaped"), name
    assert "wrong order" in results["dates in wrong order"].result["msg"]
    assert sandbox.mutating_calls(since=mark) == []
