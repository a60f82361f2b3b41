# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The feedback pipeline: SNS topic -> SQS queue (with a dead-letter queue), read and reconciled."""

from __future__ import annotations

import json

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, paginate

QUEUE_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def find_topic(sns, name):
    for topic in paginate(sns, "ListTopics", "Topics"):
        if topic["TopicArn"].rsplit(":", 1)[-1] == name:
            return topic["TopicArn"]
    return None


def queue_state(sqs, name):
    """{url, arn, attributes} or None."""
    try:
        url = call(sqs, "GetQueueUrl", QueueName=name)["QueueUrl"]
    except AwsError as exc:
        if exc.code in QUEUE_MISSING:
            return None
        raise
    attrs = call(sqs, "GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {"url": url, "arn": attrs.get("QueueArn"), "attributes": attrs}


def subscription_for(sns, topic_arn, queue_arn):
    if not topic_arn or not queue_arn:
        return None
    for sub in paginate(sns, "ListSubscriptionsByTopic", "Subscriptions", TopicArn=topic_arn):
        if sub.get("Protocol") == "sqs" and sub.get("Endpoint") == queue_arn:
            attrs = call(sns, "GetSubscriptionAttributes", SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            return {"arn": sub["SubscriptionArn"], "raw": attrs.get("RawMessageDelivery", "false") == "true"}
    return None


def queue_policy(queue_arn, topic_arn):
    """Only the pipeline's topic may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowSesFeedbackTopic",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }],
    }


def desired_queue_attributes(params, dlq_arn):
    attrs = {
        "MessageRetentionPeriod": str(params["message_retention_seconds"]),
        "VisibilityTimeout": str(params["visibility_timeout"]),
    }
    if dlq_arn:
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn,
                                             "maxReceiveCount": params["max_receive_count"]})
    return attrs


def attribute_changes(current, desired):
    """Attributes whose value differs; JSON-valued ones are compared as data."""
    changes = {}
    for key, value in desired.items():
        have = current.get(key)
        if key in ("RedrivePolicy", "Policy"):
            try:
                same = have is not None and json.loads(have) == json.loads(value)
            except ValueError:
                same = False
            if key == "RedrivePolicy" and have is not None and not same:
                a, b = json.loads(have), json.loads(value)
                same = (a.get("deadLetterTargetArn") == b.get("deadLetterTargetArn")
                        and int(a.get("maxReceiveCount", 0)) == int(b.get("maxReceiveCount", 0)))
        else:
            same = have == value
        if not same:
            changes[key] = value
    return changes
