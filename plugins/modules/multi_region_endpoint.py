#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: multi_region_endpoint
short_description: An SES multi-region (global) endpoint - create, delete, wait until READY
version_added: 0.3.0
description:
  - An SES multi-region endpoint sends through its primary region and fails over to its secondary region. It is
    created in the primary region - the module's O(region) - and routes to O(secondary_region).
  - Before creating one, every identity in O(identities) must exist and be verified for sending in both regions
    (with deterministic Easy DKIM the secondary's identity signs with the primary's keys); otherwise the module
    refuses, naming each identity and region, and creates nothing.
  - SES cannot change an endpoint's regions. An endpoint of that name routing elsewhere is refused; remove it
    (O(state=absent)) and create it again.
  - With O(wait), the module reads the endpoint until SES reports it C(READY), backing off from 2 to 30 seconds;
    C(FAILED) or O(wait_timeout) is an error naming the status.
  - Sending through the endpoint (C(SendEmail) with C(EndpointId)) is signed with SigV4a, which boto3 does only
    with C(botocore[crt]) installed.
options:
  name:
    description: The endpoint's name (1-64 letters, digits, C(_) and C(-)).
    type: str
    required: true
  state:
    description: Whether the endpoint exists. P(deliverability.ses.multi_region_endpoint_info#module) reads them.
    type: str
    choices: [present, absent]
    default: present
  secondary_region:
    description: The region SES fails over to (required with O(state=present)); not the module's own region.
    type: str
  identities:
    description: Identities (domains or addresses) that must be verified for sending in both regions before the
      endpoint is created.
    type: list
    elements: str
    default: []
  tags:
    description: Tags given to the endpoint when it is created.
    type: dict
  wait:
    description: Wait until SES reports the endpoint C(READY) (not in check mode).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(READY).
    type: int
    default: 900
extends_documentation_fragment:
  - deliverability.ses.aws
notes:
  - Supports check mode and diff mode. Check mode reads the endpoint and the identities and writes nothing.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: A global endpoint from us-east-1 failing over to eu-west-1, once the domain can send from both
  deliverability.ses.multi_region_endpoint:
    name: global-mail
    region: us-east-1
    secondary_region: eu-west-1
    identities: [example.com]
  register: endpoint

- name: Send through it (boto3 needs botocore[crt] for SigV4a)
  ansible.builtin.debug:
    msg: "EndpointId={{ endpoint.endpoint.id }}"

- name: Remove it
  deliverability.ses.multi_region_endpoint:
    name: global-mail
    region: us-east-1
    state: absent
"""

RETURN = r"""
endpoint:
  description: The endpoint - C(name), C(id) (the C(EndpointId) to send with), C(status) (CREATING, READY, FAILED,
    DELETING), C(regions) (primary first), C(created), C(updated). With O(state=absent), what was removed (null
    when there was none).
  returned: always
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.endpoints import run_multi_region_endpoint


def main():
    module = SesModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            secondary_region=dict(type="str"),
            identities=dict(type="list", elements="str", default=[]),
            tags=dict(type="dict"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_multi_region_endpoint(module, partial))


if __name__ == "__main__":
    main()
