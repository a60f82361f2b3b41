"""A verified sending domain whose feedback reaches an SQS queue through SNS, in the sandbox."""

from __future__ import annotations

import json
import time

import pytest

DOMAIN = "shop.example.com"
SENDER = "news@" + DOMAIN


class Feedback:
    """The test's SES account: domain, topic, queue (+ poison queue), and helpers to send and read."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.ses = sandbox.boto3_client("sesv2")
        self.ses_v1 = sandbox.boto3_client("ses")
        self.sns = sandbox.boto3_client("sns")
        self.sqs = sandbox.boto3_client("sqs")
        self.topic = self.sns.create_topic(Name="ses-feedback")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="ses-feedback")["QueueUrl"]
        self.dlq_url = self.sqs.create_queue(QueueName="ses-feedback-poison")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn)
        tokens = self.ses.create_email_identity(EmailIdentity=DOMAIN)["DkimAttributes"]["Tokens"]
        r53 = sandbox.boto3_client("route53")
        zone = r53.create_hosted_zone(Name=DOMAIN, CallerReference=DOMAIN)["HostedZone"]["Id"]
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": "%s._domainkey.%s" % (t, DOMAIN), "Type": "CNAME",
                                                        "TTL": 300, "ResourceRecords": [{"Value": "%s.dkim.amazonses.com" % t}]}}
            for t in tokens]})
        status = self.ses.get_email_identity(EmailIdentity=DOMAIN)["VerificationStatus"]
        assert status == "SUCCESS", status

    def identity_topics(self, kinds=("Bounce", "Complaint", "Delivery")):
        for kind in kinds:
            self.ses_v1.set_identity_notification_topic(Identity=DOMAIN, NotificationType=kind, SnsTopic=self.topic)

    def event_destination(self, name="events", types=("BOUNCE", "COMPLAINT", "DELIVERY", "DELIVERY_DELAY")):
        self.ses.create_configuration_set(ConfigurationSetName=name)
        self.ses.create_configuration_set_event_destination(
            ConfigurationSetName=name, EventDestinationName="sns",
            EventDestination={"Enabled": True, "MatchingEventTypes": list(types),
                              "SnsDestination": {"TopicArn": self.topic}})
        return name

    def send(self, *recipients, config_set=None):
        kwargs = {"FromEmailAddress": SENDER, "Destination": {"ToAddresses": list(recipients)},
                  "Content": {"Simple": {"Subject": {"Data": "hello"}, "Body": {"Text": {"Data": "hi"}}}}}
        if config_set:
            kwargs["ConfigurationSetName"] = config_set
        return self.ses.send_email(**kwargs)["MessageId"]

    def depth(self, url=None):
        attrs = self.sqs.get_queue_attributes(QueueUrl=url or self.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def peek_all(self, url):
        """Every body in a queue (received with visibility 0, so left in place)."""
        bodies, seen = [], set()
        for _ in range(20):
            got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
            new = [m for m in got if m["MessageId"] not in seen]
            if not new:
                break
            seen.update(m["MessageId"] for m in new)
            bodies += [m["Body"] for m in new]
        return bodies

    def suppressed(self):
        out = self.ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
        return {x["EmailAddress"]: x["Reason"] for x in out}

    def raw(self, body):
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)


@pytest.fixture
def feedback(sandbox):
    return Feedback(sandbox)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


__all__ = ["DOMAIN", "Feedback", "SENDER", "json", "wait_for"]
