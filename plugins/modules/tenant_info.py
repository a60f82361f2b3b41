#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_info
short_description: Read SES tenants with their resources, sending status, reputation policy and impact
version_added: 0.2.0
description:
  - Returns every tenant of the account in the region (all pages, no cap), or one tenant by name.
  - For each tenant its tags, suppression attributes, resources, reputation policy, reputation impact and
    sending status, aggregate and by side, with the cause SES gives (for example why SES paused it).
  - Three reads per tenant (C(GetTenant), C(ListTenantResources), C(GetReputationEntity)); a tenant deleted
    while the listing runs is left out.
options:
  name:
    description:
      - One tenant. A tenant that does not exist gives an empty list.
    type: str
  include_resources:
    description:
      - Read each tenant's resources.
    type: bool
    default: true
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Every tenant, and which SES has paused
  deliverability.ses.tenant_info:
  register: tenants

- name: Why SES paused one client
  deliverability.ses.tenant_info:
    name: client-acme
  register: acme

- name: Show the cause
  ansible.builtin.debug:
    msg: "{{ acme.tenants[0].aws_managed_status.cause }}"
"""

RETURN = r"""
tenants:
  description: The tenants, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The tenant name.
      type: str
    arn:
      description: The tenant ARN.
      type: str
    sending_status_aggregate:
      description: Whether the tenant can send (ENABLED, REINSTATED, DISABLED).
      type: str
    aws_managed_status:
      description: The status SES set, with C(status), C(cause) and C(last_updated).
      type: dict
    customer_managed_status:
      description: The customer-managed status, with C(status), C(cause) and C(last_updated).
      type: dict
    reputation_policy:
      description: V(standard), V(strict) or V(none).
      type: str
    reputation_impact:
      description: The highest impact of the tenant's reputation findings (LOW or HIGH).
      type: str
    resources:
      description: The tenant's resources by kind (C(identities), C(configuration_sets), C(templates)).
      type: dict
    suppression:
      description: The suppression attributes, C(reasons) and C(scope).
      type: dict
count:
  description: How many tenants were returned.
  returned: always
  type: int
paused:
  description: The names of the tenants that cannot send (aggregate status DISABLED).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.tenants import run_tenant_info


def main():
    module = SesModule(
        argument_spec=dict(
            name=dict(type="str"),
            include_resources=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_tenant_info(module, partial))


if __name__ == "__main__":
    main()
