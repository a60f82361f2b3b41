#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: configuration_set_event_destination
short_description: Send a configuration set's email events to SNS or CloudWatch
version_added: 0.1.0
description:
  - Creates, updates or deletes one event destination of an SES v2 configuration set, publishing the
    chosen event types (bounces, complaints, deliveries, rejects, delivery delays...) to an SNS topic or as
    CloudWatch metrics.
  - An existing destination of another kind (Kinesis Firehose, EventBridge, Pinpoint) with the same name is
    replaced.
options:
  configuration_set:
    description:
      - The configuration set; it must exist (see M(deliverability.ses.configuration_set)).
    type: str
    required: true
  name:
    description:
      - Name of the event destination (1 to 64 letters, digits, V(_) or V(-)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the destination; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Whether SES publishes events to the destination.
    type: bool
    default: true
  matching_event_types:
    description:
      - The events to publish. Required with O(state=present). Order does not matter.
    type: list
    elements: str
    choices: [SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK, RENDERING_FAILURE, DELIVERY_DELAY, SUBSCRIPTION]
  sns_topic_arn:
    description:
      - Publish each event as a JSON message to this SNS topic.
    type: str
  cloudwatch_dimensions:
    description:
      - Publish events as CloudWatch metrics with these dimensions.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The dimension name.
        type: str
        required: true
      source:
        description:
          - Where SES takes the dimension's value from.
        type: str
        choices: [MESSAGE_TAG, EMAIL_HEADER, LINK_TAG]
        default: MESSAGE_TAG
      default_value:
        description:
          - Value used when a message has none.
        type: str
        required: true
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Bounces and complaints to the bounce processor's topic
  deliverability.ses.configuration_set_event_destination:
    configuration_set: transactional
    name: bounces-to-sns
    matching_event_types: [BOUNCE, COMPLAINT, REJECT, DELIVERY_DELAY]
    sns_topic_arn: arn:aws:sns:eu-west-1:123456789012:ses-bounces

- name: Delivery metrics per campaign in CloudWatch
  deliverability.ses.configuration_set_event_destination:
    configuration_set: marketing
    name: metrics
    matching_event_types: [SEND, DELIVERY, BOUNCE, COMPLAINT]
    cloudwatch_dimensions:
      - name: campaign
        source: MESSAGE_TAG
        default_value: none
"""

RETURN = r"""
event_destination:
  description: The destination after the run (null once deleted).
  returned: always
  type: dict
  contains:
    name:
      description: The name.
      type: str
    enabled:
      description: Whether events are published.
      type: bool
    matching_event_types:
      description: The event types, sorted.
      type: list
      elements: str
    sns_topic_arn:
      description: The SNS topic, for an SNS destination.
      type: str
    cloudwatch_dimensions:
      description: The dimensions (C(name), C(source), C(default_value)), for a CloudWatch destination.
      type: list
      elements: dict
action:
  description: What was (or in check mode would be) done.
  returned: always
  type: str
  choices: [none, create, update, delete]
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError, SesModule, call, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.ses import configuration_sets as cs


def main():
    module = SesModule(
        argument_spec=dict(
            configuration_set=dict(type="str", required=True),
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            enabled=dict(type="bool", default=True),
            matching_event_types=dict(type="list", elements="str", choices=list(cs.EVENT_TYPES)),
            sns_topic_arn=dict(type="str"),
            cloudwatch_dimensions=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True),
                source=dict(type="str", choices=list(cs.DIMENSION_SOURCES), default="MESSAGE_TAG"),
                default_value=dict(type="str", required=True),
            )),
        ),
        mutually_exclusive=[("sns_topic_arn", "cloudwatch_dimensions")],
        required_if=[("state", "present", ["matching_event_types"]),
                     ("state", "present", ["sns_topic_arn", "cloudwatch_dimensions"], True)],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        set_name = cs.check_name(p["configuration_set"], "configuration_set")
        name = cs.check_name(p["name"], "name", "event_destination")
        # every option checked before the first call
        want = cs.desired_destination(p) if p["state"] == "present" else None
        client = module.client("sesv2")
        exists, current = cs.get_destination(client, set_name, name)
        if not exists:
            raise InputError("configuration_set", "configuration set %r does not exist" % set_name)
        if p["state"] == "absent":
            result = dict(changed=current is not None, action="delete" if current else "none",
                          event_destination=None, diff=dict(before=current or {}, after={}))
            if current and not module.check_mode:
                call(client, "DeleteConfigurationSetEventDestination", ConfigurationSetName=set_name,
                     EventDestinationName=name)
            return result
        if current is not None and not cs.destination_differs(current, want):
            return dict(changed=False, action="none", event_destination=current,
                        diff=dict(before=current, after=current))
        action = "create" if current is None else "update"
        result = dict(changed=True, action=action, event_destination=want,
                      diff=dict(before=current or {}, after=want))
        if module.check_mode:
            return result
        call(client, "CreateConfigurationSetEventDestination" if action == "create"
             else "UpdateConfigurationSetEventDestination",
             ConfigurationSetName=set_name, EventDestinationName=name, EventDestination=cs.destination_request(want))
        partial.update(changed=True, action=action)
        after = cs.get_destination(client, set_name, name)[1]
        return dict(result, event_destination=after)

    run_module(module, body)


if __name__ == "__main__":
    main()
