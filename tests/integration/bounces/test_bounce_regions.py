"""bounce_processor with regions: a hard bounce or complaint received in one region is suppressed in every
configured region (in-process, the notification files of the parser's corpus; each region read back with the AWS
CLI's --region, every write from the sandbox request log with its region)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

AWS = str(Path(sys.executable).parent / "aws")
CORPUS = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "formats" / "notifications"
US, EU = "us-east-1", "eu-west-1"
HARD, COMPLAINT = "jane@example.com", "richard@example.com"


def reason_in(sandbox, region, email):
    out = subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, "--region", region, "sesv2",
                          "get-suppressed-destination", "--email-address", email],
                         env=dict(sandbox.env(), PATH="/usr/bin:/bin"), capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        assert "NotFoundException" in out.stderr, out.stderr
        return None
    return json.loads(out.stdout)["SuppressedDestination"]["Reason"]


def args(tmp_path, **extra):
    out = {"paths": [str(CORPUS / "doc_bounce_with_dsn.json"), str(CORPUS / "sns_complaint.json")],
           "store_path": str(tmp_path / "h.sqlite"), "region": EU, "regions": [US, EU]}
    out.update(extra)
    return out


def test_hard_bounce_and_complaint_are_suppressed_in_every_region(sandbox, module_main, tmp_path):
    # us-east-1 already has the complaint (SES listed it there): read, not written again
    sandbox.post("suppressions", {"region": US, "entries": [{"email": COMPLAINT, "reason": "COMPLAINT"}]})
    mark = sandbox.mark()
    check = module_main("bounce_processor", args(tmp_path), check=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == []
    assert check.result["regions"] == {"primary": EU, "others": [US],
                                       "suppressed": {HARD: {US: "api"}, COMPLAINT: {US: "account"}}}

    mark = sandbox.mark()
    run = module_main("bounce_processor", args(tmp_path))
    assert run.rc == 0, run
    writes = {(w["operation"], w["region"], w["params"]["EmailAddress"]) for w in sandbox.mutating_calls(since=mark)
              if w["service"] == "sesv2"}
    assert writes == {("PutSuppressedDestination", EU, HARD), ("PutSuppressedDestination", EU, COMPLAINT),
                      ("PutSuppressedDestination", US, HARD)}
    for region in (US, EU):
        assert reason_in(sandbox, region, HARD) == "BOUNCE"
        assert reason_in(sandbox, region, COMPLAINT) == "COMPLAINT"

    mark = sandbox.mark()
    again = module_main("bounce_processor", args(tmp_path))
    assert again.rc == 0 and again.result["new_events"] == 0
    assert [w for w in sandbox.mutating_calls(since=mark) if w["service"] == "sesv2"] == []


def test_without_regions_only_the_own_region_as_before(sandbox, module_main, tmp_path):
    run = module_main("bounce_processor", args(tmp_path, regions=None))
    assert run.rc == 0, run
    assert run.result["regions"] == {"primary": EU, "others": [], "suppressed": {}}
    assert reason_in(sandbox, EU, HARD) == "BOUNCE" and reason_in(sandbox, US, HARD) is None


def test_an_error_in_another_region_keeps_the_event_for_the_next_run(sandbox, module_main, tmp_path):
    sandbox.post("faults", {"rules": [{"operation": "PutSuppressedDestination", "region": US, "kind": "error",
                                       "rate": 1.0}]})
    try:
        failed = module_main("bounce_processor", args(tmp_path, paths=[str(CORPUS / "doc_bounce_with_dsn.json")],
                                                      max_attempts=1))
    finally:
        sandbox.delete("faults")
    assert failed.rc != 0 and "PutSuppressedDestination" in failed.result["msg"], failed.result
    assert "in us-east-1" in json.dumps(failed.result["errors"])
    assert reason_in(sandbox, US, HARD) is None and reason_in(sandbox, EU, HARD) == "BOUNCE"
    # the store did not mark the address suppressed: the next copy tries every region again
    again = module_main("bounce_processor", args(tmp_path, paths=[str(CORPUS / "doc_bounce_with_dsn.json")]))
    assert again.rc == 0, again
    assert reason_in(sandbox, US, HARD) == "BOUNCE" and reason_in(sandbox, EU, HARD) == "BOUNCE"


def test_bad_regions_fail_naming_the_option_before_any_request(sandbox, module_main, tmp_path):
    mark = sandbox.mark()
    for regions, words in (([US, US], "listed twice"), (["zz-north-1"], "unknown region")):
        out = module_main("bounce_processor", args(tmp_path, regions=regions))
        assert out.rc != 0 and out.result["msg"].startswith("regions:") and words in out.result["msg"], out.result
    assert sandbox.requests(since=mark) == [] and not (tmp_path / "h.sqlite").exists()


def test_an_address_ses_already_suppressed_is_suppressed_in_the_other_regions_with_its_reason(
        sandbox, module_main, tmp_path):
    """OnAccountSuppressionList: SES did not send because eu-west-1 lists the address. us-east-1 must list it
    too, with the reason eu-west-1 holds (COMPLAINT here: the notification, a bounce, does not say it); the
    second copy writes nothing; an address delisted here since the notification is left alone elsewhere."""
    gone, delisted = "gone@example.com", "back@example.com"
    sandbox.post("suppressions", {"region": EU, "entries": [{"email": gone, "reason": "COMPLAINT"}]})
    note = json.loads((CORPUS / "bounce_on_account_suppression_list.json").read_text())
    note["bounce"]["bouncedRecipients"].append(dict(note["bounce"]["bouncedRecipients"][0], emailAddress=delisted))
    path = tmp_path / "ses_suppressed.json"
    path.write_text(json.dumps(note))

    mark = sandbox.mark()
    check = module_main("bounce_processor", args(tmp_path, paths=[str(path)]), check=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == []
    assert check.result["regions"]["suppressed"] == {gone: {US: "api"}}

    mark = sandbox.mark()
    run = module_main("bounce_processor", args(tmp_path, paths=[str(path)]))
    assert run.rc == 0, run
    writes = [(w["operation"], w["region"], w["params"]["EmailAddress"], w["params"].get("Reason"))
              for w in sandbox.mutating_calls(since=mark) if w["service"] == "sesv2"]
    assert writes == [("PutSuppressedDestination", US, gone, "COMPLAINT")]
    assert reason_in(sandbox, US, gone) == "COMPLAINT" and reason_in(sandbox, EU, gone) == "COMPLAINT"
    assert reason_in(sandbox, US, delisted) is None and reason_in(sandbox, EU, delisted) is None

    mark = sandbox.mark()
    again = module_main("bounce_processor", args(tmp_path, paths=[str(path)]))
    assert again.rc == 0, again
    assert [w for w in sandbox.mutating_calls(since=mark) if w["service"] == "sesv2"] == []
