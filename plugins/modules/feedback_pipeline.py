#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: feedback_pipeline
short_description: The SNS topic -> SQS queue (+ dead-letter queue) that carries SES bounces and complaints
version_added: 0.1.0
description:
  - Ensures an SNS topic, an SQS queue subscribed to it, a dead-letter queue that receives messages the
    bounce processor failed to handle O(max_receive_count) times, and a queue policy that lets only that
    topic send to the queue.
  - Point SES at the topic with M(deliverability.ses.identity_notifications) or
    M(deliverability.ses.configuration_set_event_destination); drain the queue with
    M(deliverability.ses.bounce_processor).
  - Check mode makes no write call; C(diff) shows what would be created or changed.
options:
  name:
    description:
      - Base name. The topic and queue are called O(name) unless O(topic_name) / O(queue_name) say
        otherwise; the dead-letter queue is C(<queue name>-dlq).
    type: str
    required: true
  topic_name:
    description: Name of the SNS topic.
    type: str
  queue_name:
    description: Name of the SQS queue.
    type: str
  state:
    description:
      - V(absent) removes the subscription, both queues and the topic. Messages still in the queues are
        lost, so it refuses unless O(force=true) when the queues are not empty.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: With O(state=absent), delete queues that still hold messages.
    type: bool
    default: false
  dead_letter_queue:
    description: Create and attach a dead-letter queue.
    type: bool
    default: true
  max_receive_count:
    description: Receives after which a message moves to the dead-letter queue.
    type: int
    default: 5
  raw_message_delivery:
    description:
      - Deliver the SES JSON as the message body instead of inside the SNS envelope.
        M(deliverability.ses.bounce_processor) reads both.
    type: bool
    default: false
  message_retention_seconds:
    description: How long the queues keep a message (SQS maximum, 14 days, by default).
    type: int
    default: 1209600
  visibility_timeout:
    description: Seconds a received message stays hidden from other consumers.
    type: int
    default: 300
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Create the feedback pipeline
  deliverability.ses.feedback_pipeline:
    name: ses-feedback
  register: pipeline

- name: Send the domain's bounces and complaints to it
  deliverability.ses.identity_notifications:
    identity: example.com
    bounce_topic: "{{ pipeline.topic_arn }}"
    complaint_topic: "{{ pipeline.topic_arn }}"
"""

RETURN = r"""
topic_arn:
  description: ARN of the SNS topic (null in check mode when it does not exist yet).
  returned: always
  type: str
queue_url:
  description: URL of the SQS queue.
  returned: always
  type: str
queue_arn:
  description: ARN of the SQS queue.
  returned: always
  type: str
dead_letter_queue_url:
  description: URL of the dead-letter queue.
  returned: when O(dead_letter_queue=true)
  type: str
subscription_arn:
  description: ARN of the topic's subscription to the queue.
  returned: always
  type: str
actions:
  description: The write calls made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
diff:
  description: Before and after of the pipeline.
  returned: always
  type: dict
"""

import json
import re

from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError, SesModule, call, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners import pipeline
from ansible_collections.deliverability.ses.plugins.module_utils import validate


def main():
    module = SesModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            topic_name=dict(type="str"),
            queue_name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            force=dict(type="bool", default=False),
            dead_letter_queue=dict(type="bool", default=True),
            max_receive_count=dict(type="int", default=5),
            raw_message_delivery=dict(type="bool", default=False),
            message_retention_seconds=dict(type="int", default=1209600),
            visibility_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: reconcile(module, partial))


def _validate(p):
    for opt in ("name", "topic_name", "queue_name"):
        # SQS allows 80 characters; the dead-letter queue adds "-dlq"
        if p[opt] is not None:
            validate.text(p[opt], opt, max_len=1000)
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,76}", p[opt]):
                raise InputError(opt, "%r: use 1-76 letters, digits, hyphens or underscores" % p[opt])
    if not 1 <= p["max_receive_count"] <= 1000:
        raise InputError("max_receive_count", "must be between 1 and 1000, got %d" % p["max_receive_count"])
    if not 60 <= p["message_retention_seconds"] <= 1209600:
        raise InputError("message_retention_seconds", "must be between 60 and 1209600")
    if not 0 <= p["visibility_timeout"] <= 43200:
        raise InputError("visibility_timeout", "must be between 0 and 43200")


def reconcile(module, partial):
    p = module.params
    _validate(p)
    sns, sqs = module.client("sns"), module.client("sqs")
    topic_name = p["topic_name"] or p["name"]
    queue_name = p["queue_name"] or p["name"]
    dlq_name = queue_name + "-dlq"
    topic = pipeline.find_topic(sns, topic_name)
    queue = pipeline.queue_state(sqs, queue_name)
    dlq = pipeline.queue_state(sqs, dlq_name)
    sub = pipeline.subscription_for(sns, topic, queue and queue["arn"])
    before = {"topic": topic, "queue": queue and queue["url"], "dead_letter_queue": dlq and dlq["url"],
              "subscription": sub}
    actions = []
    partial["actions"] = actions
    check = module.check_mode

    def act(label, fn):
        # an action is reported once it succeeded, so a failure's result lists only what was applied
        if check:
            actions.append(label)
            return None
        out = fn()
        actions.append(label)
        partial["changed"] = True
        return out

    if p["state"] == "absent":
        for q in (queue, dlq):
            if q and not p["force"] and int(q["attributes"].get("ApproximateNumberOfMessages", "0")):
                raise InputError("force", "queue %s still holds %s message(s); drain it first or set force=true"
                                 % (q["url"], q["attributes"]["ApproximateNumberOfMessages"]))
        if sub:
            act("Unsubscribe", lambda: call(sns, "Unsubscribe", SubscriptionArn=sub["arn"]))
        for q in (queue, dlq):
            if q:
                act("DeleteQueue " + q["url"], lambda q=q: call(sqs, "DeleteQueue", QueueUrl=q["url"]))
        if topic:
            act("DeleteTopic", lambda: call(sns, "DeleteTopic", TopicArn=topic))
        after = {"topic": None, "queue": None, "dead_letter_queue": None, "subscription": None}
        return dict(changed=bool(actions), actions=actions, topic_arn=None, queue_url=None, queue_arn=None,
                    subscription_arn=None, diff={"before": before, "after": after})

    if not topic:
        topic = act("CreateTopic", lambda: call(sns, "CreateTopic", Name=topic_name)["TopicArn"])
    dlq_arn = None
    if p["dead_letter_queue"]:
        if not dlq:
            created = act("CreateQueue " + dlq_name, lambda: call(
                sqs, "CreateQueue", QueueName=dlq_name,
                Attributes={"MessageRetentionPeriod": str(p["message_retention_seconds"])}))
            dlq = created and pipeline.queue_state(sqs, dlq_name)
        dlq_arn = dlq and dlq["arn"]
    desired = pipeline.desired_queue_attributes(p, dlq_arn)
    if not queue:
        act("CreateQueue " + queue_name, lambda: call(sqs, "CreateQueue", QueueName=queue_name, Attributes=desired))
        queue = None if check else pipeline.queue_state(sqs, queue_name)
        current = {}
    else:
        current = queue["attributes"]
    if queue and topic:
        desired["Policy"] = json.dumps(pipeline.queue_policy(queue["arn"], topic))
    changes = pipeline.attribute_changes(current, desired) if queue else {}
    if changes:
        # the whole desired set, not just the changed keys: moto drops a Policy it is not sent again
        act("SetQueueAttributes " + ",".join(sorted(changes)),
            lambda: call(sqs, "SetQueueAttributes", QueueUrl=queue["url"], Attributes=desired))
    if not p["dead_letter_queue"] and "RedrivePolicy" in current:
        act("SetQueueAttributes RedrivePolicy=''",
            lambda: call(sqs, "SetQueueAttributes", QueueUrl=queue["url"], Attributes={"RedrivePolicy": ""}))
    raw = "true" if p["raw_message_delivery"] else "false"
    if sub is None:
        sub_arn = act("Subscribe", lambda: call(
            sns, "Subscribe", TopicArn=topic, Protocol="sqs", Endpoint=queue["arn"],
            Attributes={"RawMessageDelivery": raw}, ReturnSubscriptionArn=True)["SubscriptionArn"])
    else:
        sub_arn = sub["arn"]
        if sub["raw"] != p["raw_message_delivery"]:
            act("SetSubscriptionAttributes RawMessageDelivery=" + raw, lambda: call(
                sns, "SetSubscriptionAttributes", SubscriptionArn=sub_arn, AttributeName="RawMessageDelivery",
                AttributeValue=raw))
    after = {"topic": topic or "(new) " + topic_name, "queue": queue["url"] if queue else "(new) " + queue_name,
             "dead_letter_queue": (dlq["url"] if dlq else "(new) " + dlq_name) if p["dead_letter_queue"] else None,
             "subscription": {"arn": sub_arn or "(new)", "raw": p["raw_message_delivery"]}}
    result = dict(changed=bool(actions), actions=actions, topic_arn=topic, queue_url=queue and queue["url"],
                  queue_arn=queue and queue["arn"], subscription_arn=sub_arn,
                  diff={"before": before, "after": after})
    if p["dead_letter_queue"]:
        result["dead_letter_queue_url"] = dlq and dlq["url"]
    return result


if __name__ == "__main__":
    main()
