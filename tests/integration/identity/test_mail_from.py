"""deliverability.ses.mail_from through ansible-playbook against the sandbox."""

from __future__ import annotations

import pytest

from .helpers import publish_bind, publish_route53

M = "mail_from"


def ops(sandbox, since):
    return [r["operation"] for r in sandbox.mutating_calls(since=since)]


@pytest.fixture
def identity(sandbox):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="example.com")
    return "example.com"


def test_set_rerun_check_diff_and_records(sandbox, ansible_module, identity):
    args = {"identity": "EXAMPLE.com.", "mail_from_domain": "Bounce.Example.com.",
            "behavior_on_mx_failure": "REJECT_MESSAGE"}
    mark = sandbox.mark()
    chk = ansible_module(M, args, check=True, diff=True)
    assert chk.rc == 0, chk
    assert chk.result["changed"] is True and chk.result["status"] == "PENDING"
    assert chk.result["diff"] == {
        "before": {"mail_from_domain": None, "behavior_on_mx_failure": "USE_DEFAULT_VALUE"},
        "after": {"mail_from_domain": "bounce.example.com", "behavior_on_mx_failure": "REJECT_MESSAGE"}}
    assert ops(sandbox, mark) == []
    res = ansible_module(M, args, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert res.result["diff"] == chk.result["diff"]
    assert res.result["actions"] == chk.result["actions"] == ["PutEmailIdentityMailFromAttributes"]
    assert res.result["status"] == "PENDING"
    assert res.result["mail_from"] == {"domain": "bounce.example.com", "status": "PENDING",
                                       "behavior_on_mx_failure": "REJECT_MESSAGE"}
    assert res.result["dns_records"] == [
        {"name": "bounce.example.com", "type": "MX", "values": ["10 feedback-smtp.us-east-1.amazonses.com"],
         "ttl": 1800, "exclusive": True},
        {"name": "bounce.example.com", "type": "TXT", "values": ["v=spf1 include:amazonses.com ~all"], "ttl": 1800}]
    mark = sandbox.mark()
    again = ansible_module(M, args)
    assert again.result["changed"] is False and ops(sandbox, mark) == []
    assert ansible_module(M, args, check=True).result["changed"] is False

    # publish the returned records: SES sees the MX, the wait succeeds
    publish_route53(sandbox, "example.com", res.result["dns_records"])
    res = ansible_module(M, dict(args, wait=True, wait_timeout=30))
    assert res.rc == 0, res
    assert res.result["status"] == "SUCCESS" and res.result["changed"] is False


def test_change_behaviour_only_and_remove(sandbox, ansible_module, identity):
    ansible_module(M, {"identity": identity, "mail_from_domain": "mf.example.com"})
    res = ansible_module(M, {"identity": identity, "mail_from_domain": "mf.example.com",
                             "behavior_on_mx_failure": "REJECT_MESSAGE"}, diff=True)
    assert res.result["changed"] is True
    assert res.result["diff"]["before"]["behavior_on_mx_failure"] == "USE_DEFAULT_VALUE"
    mark = sandbox.mark()
    chk = ansible_module(M, {"identity": identity, "state": "absent"}, check=True)
    assert chk.result["changed"] is True and chk.result["status"] is None and ops(sandbox, mark) == []
    res = ansible_module(M, {"identity": identity, "state": "absent"}, diff=True)
    assert res.result["changed"] is True
    assert res.result["diff"]["after"]["mail_from_domain"] is None
    assert res.result["dns_records"] == [] and res.result["status"] is None
    got = sandbox.boto3_client("sesv2").get_email_identity(EmailIdentity=identity)["MailFromAttributes"]
    assert "MailFromDomain" not in got
    assert ansible_module(M, {"identity": identity, "state": "absent"}).result["changed"] is False


@pytest.mark.bind
def test_wait_names_the_missing_mx(sandbox, bind, ansible_module):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="mail.test")
    res = ansible_module(M, {"identity": "mail.test", "mail_from_domain": "bounce.mail.test", "wait": True,
                             "wait_timeout": 1, "nameservers": [bind.server]})
    assert res.rc != 0
    assert "MAIL FROM status of bounce.mail.test is PENDING after 1s" in res.result["msg"]
    assert "MX not visible in DNS yet: bounce.mail.test MX 10 feedback-smtp.us-east-1.amazonses.com" \
        in res.result["msg"]
    assert res.result["changed"] is True
    records = res.result["dns_records"]
    publish_bind(bind, "mail.test", records)
    try:
        res = ansible_module(M, {"identity": "mail.test", "mail_from_domain": "bounce.mail.test", "wait": True,
                                 "wait_timeout": 30})
        assert res.rc == 0, res
        assert res.result["status"] == "SUCCESS"
        assert bind.query("bounce.mail.test", "TXT") == ['"v=spf1 include:amazonses.com ~all"']
    finally:
        publish_bind(bind, "mail.test", records, delete=True)


@pytest.mark.parametrize("args,option", [
    ({"identity": "example.com", "mail_from_domain": "other.org"}, "mail_from_domain"),
    ({"identity": "example.com", "mail_from_domain": "example.com"}, "mail_from_domain"),
    ({"identity": "example.com", "mail_from_domain": "bad..example.com"}, "mail_from_domain"),
    ({"identity": "missing.example.com", "mail_from_domain": "mf.missing.example.com"}, "identity"),
])
def test_bad_input(sandbox, ansible_module, identity, args, option):
    mark = sandbox.mark()
    res = ansible_module(M, args)
    assert res.rc != 0
    assert res.result["msg"].startswith(option + ":"), res.result["msg"]
    assert "Traceback" not in res.output
    assert ops(sandbox, mark) == []


def test_missing_mail_from_domain_is_an_argument_error(sandbox, ansible_module, identity):
    res = ansible_module(M, {"identity": identity})
    assert res.rc != 0 and "mail_from_domain" in res.result["msg"]


def test_identity_created_in_an_earlier_task_but_not_visible_yet(sandbox, ansible_module, identity):
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "not_found", "count": 2}]})
    res = ansible_module(M, {"identity": identity, "mail_from_domain": "mf.example.com"})
    assert res.rc == 0, res
    assert res.result["changed"] is True
