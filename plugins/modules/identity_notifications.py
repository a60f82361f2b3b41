#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: identity_notifications
short_description: Per-identity SNS topics for SES bounce, complaint and delivery notifications
version_added: 0.1.0
description:
  - Sets the SES (v1 API) SNS topic of an identity for each notification type and whether the original
    headers are included, as many accounts still route bounces this way rather than through
    configuration-set event destinations.
  - Only the notification types and settings given are changed.
  - Topics are checked to exist (SNS C(GetTopicAttributes)) before anything is changed, when the
    credentials may read them.
options:
  identity:
    description:
      - The domain or email address identity. Domains are normalised (case, trailing dot, IDN to punycode).
    type: str
    required: true
  bounce:
    description:
      - Bounce notifications.
    type: dict
    suboptions: &kind
      topic:
        description:
          - ARN of the SNS topic. An empty string removes the topic.
          - SES refuses to remove the bounce or complaint topic while feedback forwarding is disabled.
        type: str
      include_headers:
        description:
          - Whether notifications carry the original message headers.
        type: bool
  complaint:
    description:
      - Complaint notifications.
    type: dict
    suboptions: *kind
  delivery:
    description:
      - Delivery notifications.
    type: dict
    suboptions: *kind
extends_documentation_fragment:
  - deliverability.ses.aws
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly and makes no write call.
  diff_mode:
    support: full
    description: Shows the topics and header flags before and after.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Route bounces and complaints of example.com to one topic, with headers
  deliverability.ses.identity_notifications:
    identity: example.com
    bounce:
      topic: arn:aws:sns:eu-west-1:123456789012:ses-feedback
      include_headers: true
    complaint:
      topic: arn:aws:sns:eu-west-1:123456789012:ses-feedback
      include_headers: true

- name: Stop delivery notifications
  deliverability.ses.identity_notifications:
    identity: example.com
    delivery:
      topic: ""
"""

RETURN = r"""
identity:
  description: The normalised identity.
  returned: always
  type: str
  sample: example.com
notifications:
  description: Topic and header flag per notification type after the change (predicted in check mode).
  returned: always
  type: dict
  sample:
    bounce: {topic: "arn:aws:sns:eu-west-1:123456789012:ses-feedback", include_headers: true}
    complaint: {topic: "arn:aws:sns:eu-west-1:123456789012:ses-feedback", include_headers: true}
    delivery: {topic: null, include_headers: false}
actions:
  description: The SES operations applied (in check mode, those that would be).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.identity import run_identity_notifications


def kind_spec():
    return dict(type="dict", options=dict(topic=dict(type="str"), include_headers=dict(type="bool")))


def main():
    module = SesModule(
        argument_spec=dict(identity=dict(type="str", required=True), bounce=kind_spec(), complaint=kind_spec(),
                           delivery=kind_spec()),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_identity_notifications(module, partial))


if __name__ == "__main__":
    main()
