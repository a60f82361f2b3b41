"""Sending through the sandbox: the mailbox simulator, real-recipient behaviours, notifications to SQS."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def verified_domain(sandbox):
    """A verified domain identity whose bounce/complaint/delivery topics feed one SQS queue."""
    ses = sandbox.boto3_client("sesv2")
    tokens = ses.create_email_identity(EmailIdentity="sender.example.com")["DkimAttributes"]["Tokens"]
    r53 = sandbox.boto3_client("route53")
    zone = r53.create_hosted_zone(Name="sender.example.com", CallerReference="z")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "%s._domainkey.sender.example.com" % t, "Type": "CNAME",
                                                    "TTL": 300, "ResourceRecords": [{"Value": "%s.dkim.amazonses.com" % t}]}}
        for t in tokens]})
    assert ses.get_email_identity(EmailIdentity="sender.example.com")["VerifiedForSendingStatus"]
    sns, sqs, v1 = sandbox.boto3_client("sns"), sandbox.boto3_client("sqs"), sandbox.boto3_client("ses")
    topic = sns.create_topic(Name="ses-feedback")["TopicArn"]
    queue = sqs.create_queue(QueueName="ses-feedback")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    for kind in ("Bounce", "Complaint", "Delivery"):
        v1.set_identity_notification_topic(Identity="sender.example.com", NotificationType=kind, SnsTopic=topic)
    return {"ses": ses, "sqs": sqs, "queue": queue, "topic": topic, "v1": v1}


def _drain(sqs, queue):
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            envelope = json.loads(m["Body"])
            out.append(json.loads(envelope["Message"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def _send(ses, to, **kw):
    return ses.send_email(FromEmailAddress="news@sender.example.com", Destination={"ToAddresses": [to]},
                          Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "x"}}}}, **kw)


def test_bounce_simulator_puts_a_typed_bounce_notification_on_sqs(verified_domain):
    d = verified_domain
    message_id = _send(d["ses"], "bounce@simulator.amazonses.com")["MessageId"]
    notes = _drain(d["sqs"], d["queue"])
    bounces = [n for n in notes if n["notificationType"] == "Bounce"]
    assert len(bounces) == 1
    b = bounces[0]
    assert b["bounce"]["bounceType"] == "Permanent" and b["bounce"]["bounceSubType"] == "General"
    assert b["bounce"]["bouncedRecipients"][0]["emailAddress"] == "bounce@simulator.amazonses.com"
    assert b["bounce"]["bouncedRecipients"][0]["status"].startswith("5.")
    assert b["mail"]["messageId"] == message_id and b["mail"]["source"] == "news@sender.example.com"
    # the simulator neither counts toward the account's rates nor joins the suppression list
    assert d["v1"].get_send_statistics()["SendDataPoints"] == []
    assert d["ses"].list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


@pytest.mark.parametrize("local,kinds", [("success", ["Delivery"]), ("complaint", ["Delivery", "Complaint"]),
                                         ("ooto", ["Delivery"]), ("suppressionlist", ["Bounce"])])
def test_mailbox_simulator_outcomes(verified_domain, local, kinds):
    _send(verified_domain["ses"], "%s@simulator.amazonses.com" % local)
    notes = _drain(verified_domain["sqs"], verified_domain["queue"])
    assert sorted(n["notificationType"] for n in notes) == sorted(kinds)
    if local == "complaint":
        c = [n for n in notes if n["notificationType"] == "Complaint"][0]
        assert c["complaint"]["complaintFeedbackType"] == "abuse"
    if local == "suppressionlist":
        assert notes[0]["bounce"]["bounceSubType"] == "Suppressed"


def test_real_recipients_hard_bounce_and_complaint_join_the_suppression_list(sandbox, verified_domain):
    d = verified_domain
    sandbox.post("recipients", {"rules": [{"match": "*@gone.example.net", "behaviour": "hard_bounce"},
                                          {"match": "angry@example.net", "behaviour": "complaint"},
                                          {"match": "full@example.net", "behaviour": "soft_bounce"}]})
    for to in ("a@gone.example.net", "angry@example.net", "full@example.net", "fine@example.net"):
        _send(d["ses"], to)
    listed = {x["EmailAddress"]: x["Reason"] for x in
              d["ses"].list_suppressed_destinations()["SuppressedDestinationSummaries"]}
    assert listed == {"a@gone.example.net": "BOUNCE", "angry@example.net": "COMPLAINT"}
    point = d["v1"].get_send_statistics()["SendDataPoints"][0]
    assert (point["DeliveryAttempts"], point["Bounces"], point["Complaints"]) == (4, 1, 1)
    notes = _drain(d["sqs"], d["queue"])
    soft = [n for n in notes if n["notificationType"] == "Bounce" and n["bounce"]["bounceType"] == "Transient"]
    assert soft and soft[0]["bounce"]["bouncedRecipients"][0]["status"].startswith("4.")
    # sending again to a suppressed address bounces with OnAccountSuppressionList, not counted as a bounce
    _send(d["ses"], "a@gone.example.net")
    again = [n for n in _drain(d["sqs"], d["queue"]) if n["notificationType"] == "Bounce"]
    assert again[0]["bounce"]["bounceSubType"] == "OnAccountSuppressionList"
    assert sum(p["Bounces"] for p in d["v1"].get_send_statistics()["SendDataPoints"]) == 1


def test_no_suppression_when_account_does_not_cover_the_reason(sandbox, verified_domain):
    d = verified_domain
    d["ses"].put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    sandbox.post("recipients", {"rules": [{"match": "*@gone.example.net", "behaviour": "hard_bounce"}]})
    _send(d["ses"], "x@gone.example.net")
    assert d["ses"].list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def test_configuration_set_event_publishing_uses_event_type(sandbox, verified_domain):
    d = verified_domain
    d["ses"].create_configuration_set(ConfigurationSetName="events")
    d["ses"].create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestinationName="to-sns",
        EventDestination={"Enabled": True, "MatchingEventTypes": ["BOUNCE", "DELIVERY_DELAY"],
                          "SnsDestination": {"TopicArn": d["topic"]}})
    for kind in ("Bounce", "Complaint", "Delivery"):  # only event publishing this time
        d["v1"].set_identity_notification_topic(Identity="sender.example.com", NotificationType=kind)
    sandbox.post("recipients", {"rules": [{"match": "slow@example.net", "behaviour": "delay"}]})
    _send(d["ses"], "bounce@simulator.amazonses.com", ConfigurationSetName="events",
          EmailTags=[{"Name": "campaign", "Value": "nov"}])
    _send(d["ses"], "slow@example.net", ConfigurationSetName="events")
    events = _drain(d["sqs"], d["queue"])
    assert sorted(e["eventType"] for e in events) == ["Bounce", "DeliveryDelay"]
    bounce = [e for e in events if e["eventType"] == "Bounce"][0]
    assert bounce["mail"]["tags"]["campaign"] == ["nov"]
    assert "notificationType" not in bounce


def test_raw_message_delivery_skips_the_envelope(sandbox, verified_domain):
    d = verified_domain
    sqs, sns = d["sqs"], sandbox.boto3_client("sns")
    raw_q = sqs.create_queue(QueueName="raw")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=raw_q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=d["topic"], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    _send(d["ses"], "bounce@simulator.amazonses.com")
    body = json.loads(sqs.receive_message(QueueUrl=raw_q, MaxNumberOfMessages=10)["Messages"][0]["Body"])
    assert body["notificationType"] in ("Bounce", "Delivery")


def test_unverified_sender_is_rejected(sandbox):
    ses = sandbox.boto3_client("sesv2")
    with pytest.raises(ClientError) as err:
        _send(ses, "success@simulator.amazonses.com")
    assert err.value.response["Error"]["Code"] == "MessageRejected"


def test_v1_send_email_honours_the_simulator(verified_domain):
    d = verified_domain
    d["v1"].send_email(Source="news@sender.example.com", Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
                       Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    notes = _drain(d["sqs"], d["queue"])
    assert [n["notificationType"] for n in notes] == ["Bounce"]
