"""The bounce processor per SES tenant: each event's tenant (its ses:tenant-name tag, else the identity's and
configuration set's associations, read once per resource), suppression in the tenant's own list when its scope is
TENANT and in the account's otherwise. Read back with boto3 (GetSuppressedDestination with and without
TenantName), not from the module's result; check mode proven from the sandbox's request log."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.feedback import DOMAIN, SENDER

IDENTITY_ARN = "arn:aws:ses:us-east-1:123456789012:identity/%s" % DOMAIN


def listed(ses, email, tenant=None):
    """The reason on the account's list (or the tenant's, with ``tenant``), or None; read independently."""
    params = {"TenantName": tenant} if tenant else {}
    try:
        return ses.get_suppressed_destination(EmailAddress=email, **params)["SuppressedDestination"]["Reason"]
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NotFoundException", exc
        return None


def tenant_with(ses, name, scope, resources):
    # no reasons: SES records nothing itself, so whatever is on a list was put there by the processor
    ses.create_tenant(TenantName=name, SuppressionAttributes={"SuppressedReasons": [], "SuppressionScope": scope})
    for arn in resources:
        ses.create_tenant_resource_association(TenantName=name, ResourceArn=arn)


def set_arn(name):
    return "arn:aws:ses:us-east-1:123456789012:configuration-set/%s" % name


def send(feedback, tenant, config_set, *recipients):
    feedback.ses.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": list(recipients)},
                            Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}}},
                            ConfigurationSetName=config_set, TenantName=tenant)


def args(feedback, tmp_path, **extra):
    out = {"queue_url": feedback.queue_url, "store_path": str(tmp_path / "history.sqlite"), "wait_time_seconds": 0,
           "max_seconds": 60, "dead_letter_queue_url": feedback.dlq_url, "report_dir": str(tmp_path / "reports")}
    out.update(extra)
    return out


def send_tagged_bounce(sandbox, feedback, recipient):
    """One hard bounce of mail tagged with tenant client-own (scope TENANT, owner of the identity and of the
    configuration set own-mail, BOUNCE events only); the account list records nothing by itself."""
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    own = feedback.event_destination("own-mail", types=("BOUNCE",))
    tenant_with(feedback.ses, "client-own", "TENANT", [IDENTITY_ARN, set_arn(own)])
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"}]})
    send(feedback, "client-own", own, recipient)


def test_tagged_events_are_suppressed_in_the_tenants_list_or_the_accounts(sandbox, feedback, module_main, tmp_path):
    ses = feedback.ses
    ses.put_account_suppression_attributes(SuppressedReasons=[])
    own = feedback.event_destination("own-mail", types=("BOUNCE", "COMPLAINT"))
    shared = feedback.event_destination("shared-mail", types=("BOUNCE", "COMPLAINT"))
    tenant_with(ses, "client-own", "TENANT", [IDENTITY_ARN, set_arn(own)])
    tenant_with(ses, "client-shared", "ACCOUNT", [IDENTITY_ARN, set_arn(shared)])
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "angry@x.test", "behaviour": "complaint"},
                                          {"match": "full@x.test", "behaviour": "soft_bounce"}]})
    send(feedback, "client-own", own, "h1@bad.test", "h2@bad.test", "angry@x.test", "full@x.test")
    send(feedback, "client-shared", shared, "h3@bad.test")

    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    r = res.result
    # client-own's scope is TENANT: its own list has them, the account's does not
    for email, reason in (("h1@bad.test", "BOUNCE"), ("h2@bad.test", "BOUNCE"), ("angry@x.test", "COMPLAINT")):
        assert listed(ses, email, "client-own") == reason
        assert listed(ses, email) is None and listed(ses, email, "client-shared") is None
    # client-shared's scope is ACCOUNT: the account's list
    assert listed(ses, "h3@bad.test") == "BOUNCE" and listed(ses, "h3@bad.test", "client-shared") is None
    t = r["tenants"]
    assert t["sources"]["event"] == 5 and t["sources"]["none"] == 0
    assert t["by_tenant"]["client-own"] == {"hard": 2, "complaint": 1, "soft": 1, "suppressed_in_tenant_list": 3}
    assert [(x["email"], x["tenant"]) for x in r["retry_schedule"]] == [("full@x.test", "client-own")]
    assert t["by_tenant"]["client-shared"] == {"hard": 1, "suppressed_in_account_list": 1}
    assert t["scopes"] == {"client-own": "TENANT", "client-shared": "ACCOUNT"}
    # the tag answered: no association read; each tenant's attributes read once
    assert r["api_calls"].get("ListResourceTenants", 0) == 0 and r["api_calls"]["GetTenant"] == 2
    # the tenant's list read the bounded way: one listing for its three events, no per-address read
    assert r["api_calls"].get("GetSuppressedDestination", 0) == 0
    by_email = dict((x["email"], x) for x in r["suppressed"])
    assert by_email["h1@bad.test"]["tenant"] == "client-own" and by_email["h1@bad.test"]["list"] == "tenant"
    assert by_email["h3@bad.test"]["list"] == "account" and by_email["h3@bad.test"]["via"] == "api"
    # the report: per tenant next to the account's
    md = (tmp_path / "reports" / "list-hygiene.md").read_text()
    assert "| client-own | 4 | 2 | 1 | 1 |" in md and "| client-shared | 1 | 1 | 0 | 0 |" in md
    assert "| **account (all events)** | 5 | 3 | 1 | 1 |" in md

    assert "| h1@bad.test | BOUNCE | hard | tenant:client-own |" in md  # the store says which list

    # a second run: nothing new, nothing written
    mark = sandbox.mark()
    again = module_main("bounce_processor", args(feedback, tmp_path))
    assert again.rc == 0 and again.result["changed"] is False, again
    assert sandbox.mutating_calls(since=mark) == []

    # h1 also bounced, earlier, for client-shared (scope ACCOUNT): the store's "suppressed" was client-own's list,
    # so it does not stand for the account's - the account's list gets it too
    older = _identity_bounce("h1@bad.test", "m-older", config_set=shared)
    older["mail"]["tags"]["ses:tenant-name"] = ["client-shared"]
    older["bounce"]["timestamp"] = "2026-01-01T00:00:00.000Z"
    path = tmp_path / "older.json"
    path.write_text(json.dumps(older))
    late = module_main("bounce_processor", {"paths": [str(path)], "store_path": str(tmp_path / "history.sqlite")})
    assert late.rc == 0, late
    assert listed(ses, "h1@bad.test") == "BOUNCE" and listed(ses, "h1@bad.test", "client-own") == "BOUNCE"


def _identity_bounce(email, message_id, config_set=None):
    """An identity notification (no tags) or, with ``config_set``, an event naming the set but no tenant."""
    mail = {"timestamp": "2026-12-05T10:00:00.000Z", "messageId": message_id, "source": SENDER,
            "sourceArn": IDENTITY_ARN, "sendingAccountId": "123456789012", "destination": [email]}
    body = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-12-05T10:00:01.000Z",
            "feedbackId": "fb-" + message_id,
            "bouncedRecipients": [{"emailAddress": email, "action": "failed", "status": "5.1.1"}]}
    if config_set:
        mail["tags"] = {"ses:configuration-set": [config_set]}
        return {"eventType": "Bounce", "mail": mail, "bounce": body}
    return {"notificationType": "Bounce", "mail": mail, "bounce": body}


def test_untagged_events_take_the_associations_read_once_and_check_mode_writes_nothing(
        sandbox, feedback, module_main, tmp_path):
    ses = feedback.ses
    ses.put_account_suppression_attributes(SuppressedReasons=[])
    ses.create_configuration_set(ConfigurationSetName="other-mail")
    tenant_with(ses, "client-own", "TENANT", [IDENTITY_ARN])
    tenant_with(ses, "client-other", "TENANT", [set_arn("other-mail")])
    notes = [_identity_bounce("n%d@bad.test" % i, "m%d" % i) for i in range(3)]
    notes.append(_identity_bounce("split@bad.test", "m9", config_set="other-mail"))
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(notes))
    params = {"paths": [str(path)], "store_path": str(tmp_path / "h.sqlite")}

    mark = sandbox.mark()
    check = module_main("bounce_processor", params, check=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == []
    assert listed(ses, "n0@bad.test", "client-own") is None and listed(ses, "n0@bad.test") is None
    assert sorted((x["email"], x["tenant"], x["list"]) for x in check.result["suppressed"])[0] == \
        ("n0@bad.test", "client-own", "tenant")

    res = module_main("bounce_processor", params)
    assert res.rc == 0, res
    r = res.result
    for i in range(3):
        assert listed(ses, "n%d@bad.test" % i, "client-own") == "BOUNCE"
        assert listed(ses, "n%d@bad.test" % i) is None
    # the identity is in client-own, the set in client-other: they disagree, the set's tenant is chosen
    assert listed(ses, "split@bad.test", "client-other") == "BOUNCE"
    assert listed(ses, "split@bad.test", "client-own") is None and listed(ses, "split@bad.test") is None
    t = r["tenants"]
    assert t["sources"] == {"event": 0, "both": 0, "configuration_set": 1, "identity": 3, "none": 0}
    assert t["disagreement_events"] == 1
    assert t["disagreements"] == [{"identity": IDENTITY_ARN, "configuration_set": "other-mail",
                                   "identity_tenants": ["client-own"], "configuration_set_tenants": ["client-other"],
                                   "chosen": "client-other"}]
    # one ListTenants per run, one ListResourceTenants per resource (identity, set), one GetTenant per tenant
    assert r["api_calls"]["ListTenants"] == 1
    assert r["api_calls"]["ListResourceTenants"] == 2 and r["api_calls"]["GetTenant"] == 2


def test_a_failed_tenant_read_keeps_the_message_and_writes_nothing(sandbox, feedback, module_main, tmp_path):
    ses = feedback.ses
    send_tagged_bounce(sandbox, feedback, "kept@bad.test")
    sandbox.post("faults", {"rules": [{"operation": "GetTenant", "kind": "error", "count": 100}]})
    try:
        failed = module_main("bounce_processor", args(feedback, tmp_path, max_attempts=2, visibility_timeout=1))
    finally:
        sandbox.delete("faults")
    assert failed.rc != 0 and "stay in the queue" in failed.result["msg"], failed
    r = failed.result
    assert r["messages"]["deleted"] == 0 and feedback.depth() == 1
    assert [x["operation"] for x in r["tenants"]["could_not_look"]] == ["GetTenant"]
    assert listed(ses, "kept@bad.test") is None and listed(ses, "kept@bad.test", "client-own") is None
    # it did not become an account-list suppression either: the next run, with SES answering, puts it right
    time.sleep(1.5)  # the kept message is visible again
    again = module_main("bounce_processor", args(feedback, tmp_path))
    assert again.rc == 0 and again.result["messages"]["deleted"] == 1, again
    assert listed(ses, "kept@bad.test", "client-own") == "BOUNCE" and listed(ses, "kept@bad.test") is None
    assert feedback.depth() == 0


@pytest.mark.parametrize("mode", ["ignore"])
def test_tenants_ignore_keeps_the_account_list(sandbox, feedback, module_main, tmp_path, mode):
    ses = feedback.ses
    send_tagged_bounce(sandbox, feedback, "plain@bad.test")
    res = module_main("bounce_processor", args(feedback, tmp_path, tenants=mode))
    assert res.rc == 0, res
    assert listed(ses, "plain@bad.test") == "BOUNCE" and listed(ses, "plain@bad.test", "client-own") is None
    assert "GetTenant" not in res.result["api_calls"] and res.result["tenants"]["mode"] == "ignore"


def test_every_region_uses_its_own_tenant_of_that_name(sandbox, module_main, tmp_path):
    """Tenants are regional: the event's tenant has scope TENANT in us-east-1 (where the mail was sent) and in
    eu-west-1, and does not exist in us-west-2 - its list in the first two, us-west-2's account list."""
    regions = ("us-east-1", "eu-west-1", "us-west-2")
    for region in regions[:2]:
        ses = sandbox.boto3_client("sesv2", region)
        ses.create_tenant(TenantName="client-own",
                          SuppressionAttributes={"SuppressedReasons": [], "SuppressionScope": "TENANT"})
    note = _identity_bounce("far@bad.test", "m-far", config_set="own-mail")
    note["mail"]["tags"]["ses:tenant-name"] = ["client-own"]
    path = tmp_path / "note.json"
    path.write_text(json.dumps(note))
    params = {"paths": [str(path)], "store_path": str(tmp_path / "h.sqlite"), "region": "us-east-1",
              "regions": list(regions)}
    mark = sandbox.mark()
    check = module_main("bounce_processor", params, check=True)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == []
    res = module_main("bounce_processor", params)
    assert res.rc == 0, res
    us, eu, west = (sandbox.boto3_client("sesv2", r) for r in regions)
    assert listed(us, "far@bad.test", "client-own") == "BOUNCE" and listed(us, "far@bad.test") is None
    assert listed(eu, "far@bad.test", "client-own") == "BOUNCE" and listed(eu, "far@bad.test") is None
    assert listed(west, "far@bad.test") == "BOUNCE"
    r = res.result
    assert r["regions"]["tenant_lists"] == {"far@bad.test": {"eu-west-1": "tenant:client-own"}}
    assert r["regions"]["suppressed"] == {"far@bad.test": {"eu-west-1": "api", "us-west-2": "api"}}
    assert r["tenants"]["scopes"] == {"client-own": "TENANT", "client-own@eu-west-1": "TENANT",
                                      "client-own@us-west-2": "ACCOUNT"}
    assert r["tenants"]["missing"] == ["client-own@us-west-2"]


def test_the_identity_notification_copy_of_a_tenant_event_is_not_put_on_the_account_list(
        sandbox, module_main, feedback, tmp_path):
    """The tagged event put the address on its tenant's list; the identity notification of the same bounce (no tag,
    the identity in no tenant) arrives in a later run: one event, handled - nothing on the account's list."""
    ses = feedback.ses
    ses.create_configuration_set(ConfigurationSetName="own-mail")
    tenant_with(ses, "client-own", "TENANT", [set_arn("own-mail")])
    tagged = _identity_bounce("twice@bad.test", "m-twice", config_set="own-mail")
    tagged["mail"]["tags"]["ses:tenant-name"] = ["client-own"]
    store = str(tmp_path / "h.sqlite")
    for name, note in (("tagged.json", tagged), ("plain.json", _identity_bounce("twice@bad.test", "m-twice"))):
        (tmp_path / name).write_text(json.dumps(note))
        res = module_main("bounce_processor", {"paths": [str(tmp_path / name)], "store_path": store})
        assert res.rc == 0, res
    assert res.result["cross_channel_copies"] == 1 and res.result["tenants"]["sources"]["none"] == 1
    assert "PutSuppressedDestination" not in res.result["api_calls"]
    assert listed(ses, "twice@bad.test", "client-own") == "BOUNCE" and listed(ses, "twice@bad.test") is None
