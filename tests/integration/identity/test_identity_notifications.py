"""deliverability.ses.identity_notifications (SES v1 topics) through ansible-playbook against the sandbox."""

from __future__ import annotations

import pytest

M = "identity_notifications"


def ops(sandbox, since):
    return [r["operation"] for r in sandbox.mutating_calls(since=since)]


@pytest.fixture
def topics(sandbox):
    sns = sandbox.boto3_client("sns")
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="example.com")
    return [sns.create_topic(Name=n)["TopicArn"] for n in ("bounces", "complaints")]


def v1_attrs(sandbox, name="example.com"):
    return sandbox.boto3_client("ses").get_identity_notification_attributes(
        Identities=[name])["NotificationAttributes"][name]


def test_set_rerun_check_diff(sandbox, ansible_module, topics):
    bounces, complaints = topics
    args = {"identity": "Example.com.", "bounce": {"topic": bounces, "include_headers": True},
            "complaint": {"topic": complaints}}
    mark = sandbox.mark()
    chk = ansible_module(M, args, check=True, diff=True)
    assert chk.rc == 0, chk
    assert chk.result["changed"] is True
    assert chk.result["actions"] == ["SetIdentityNotificationTopic", "SetIdentityHeadersInNotificationsEnabled",
                                     "SetIdentityNotificationTopic"]
    assert chk.result["diff"]["before"]["bounce"] == {"topic": None, "include_headers": False}
    assert chk.result["diff"]["after"]["bounce"] == {"topic": bounces, "include_headers": True}
    assert ops(sandbox, mark) == []
    res = ansible_module(M, args, diff=True)
    assert res.rc == 0, res
    assert res.result["actions"] == chk.result["actions"]
    assert res.result["diff"] == chk.result["diff"]
    assert res.result["notifications"] == chk.result["notifications"] == res.result["diff"]["after"]
    got = v1_attrs(sandbox)
    assert got["BounceTopic"] == bounces and got["ComplaintTopic"] == complaints
    assert got["HeadersInBounceNotificationsEnabled"] is True
    mark = sandbox.mark()
    assert ansible_module(M, args).result["changed"] is False
    assert ansible_module(M, args, check=True).result["changed"] is False
    assert ops(sandbox, mark) == []
    # remove one topic, leave the rest
    res = ansible_module(M, {"identity": "example.com", "complaint": {"topic": ""}})
    assert res.result["changed"] is True
    assert res.result["notifications"]["complaint"]["topic"] is None
    assert res.result["notifications"]["bounce"]["topic"] == bounces


def test_notifications_reach_the_topic(sandbox, ansible_module, topics):
    """The topic set by the module is the one SES publishes bounces to."""
    bounces, _ = topics
    sqs = sandbox.boto3_client("sqs")
    queue = sqs.create_queue(QueueName="b")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sandbox.boto3_client("sns").subscribe(TopicArn=bounces, Protocol="sqs", Endpoint=qarn,
                                          Attributes={"RawMessageDelivery": "true"})
    res = ansible_module(M, {"identity": "example.com", "bounce": {"topic": bounces, "include_headers": True}})
    assert res.rc == 0, res
    import json
    ses = sandbox.boto3_client("sesv2")
    ses.get_email_identity(EmailIdentity="example.com")
    sandbox.post("identity-state", {"identity": "example.com", "dkim_status": "SUCCESS"})
    ses.send_email(FromEmailAddress="a@example.com", Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
                   Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}})
    msgs = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert msgs
    body = json.loads(msgs[0]["Body"])
    assert body["notificationType"] == "Bounce" and "headers" in body["mail"]


@pytest.mark.parametrize("args,option", [
    ({"identity": "example.com", "bounce": {"topic": "not-an-arn"}}, "bounce.topic"),
    ({"identity": "example.com", "delivery": {"topic": "arn:aws:sns:us-east-1:123456789012:nope"}},
     "delivery.topic"),
    ({"identity": "missing.example.com", "bounce": {"include_headers": True}}, "identity"),
    ({"identity": "bad domain", "bounce": {"include_headers": True}}, "identity"),
])
def test_bad_input(sandbox, ansible_module, topics, args, option):
    mark = sandbox.mark()
    res = ansible_module(M, args)
    assert res.rc != 0
    assert res.result["msg"].startswith(option + ":"), res.result["msg"]
    assert "Traceback" not in res.output
    assert ops(sandbox, mark) == []
