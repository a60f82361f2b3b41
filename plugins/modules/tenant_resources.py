#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_resources
short_description: Associate SES identities, configuration sets and templates with a tenant (the exact set)
version_added: 0.2.0
description:
  - Associates the listed resources with an existing SES tenant; with O(exclusive=true), also detaches every
    resource of the tenant that is not listed. O(state=absent) detaches the listed resources.
  - Resources are given by name; the module computes their ARNs for the account of the credentials and the
    region. O(resource_arns) takes ARNs as they are, and refuses one of another account or region.
  - Every resource to associate is read first; one that does not exist fails the task naming its option,
    before anything is associated.
  - A resource may belong to several tenants (SES allows it); this module manages one tenant's set.
options:
  tenant:
    description:
      - The tenant name.
    type: str
    required: true
  identities:
    description:
      - Email identities (domains or addresses) by name; domains are normalised (case, trailing dot, IDN).
    type: list
    elements: str
  configuration_sets:
    description:
      - Configuration sets by name.
    type: list
    elements: str
  templates:
    description:
      - Email templates by name.
    type: list
    elements: str
  resource_arns:
    description:
      - Resources by ARN (C(arn:aws:ses:REGION:ACCOUNT:identity/NAME), C(configuration-set/NAME) or C(template/NAME)),
        of this account and region only.
    type: list
    elements: str
  exclusive:
    description:
      - With O(state=present), detach the tenant's resources that are not listed.
    type: bool
    default: false
  state:
    description:
      - V(present) associates the listed resources; V(absent) detaches them.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: The client's domain and configuration set, and nothing else, in its tenant
  deliverability.ses.tenant_resources:
    tenant: client-acme
    identities: [acme.example]
    configuration_sets: [acme-transactional]
    exclusive: true

- name: Take a template out of a tenant
  deliverability.ses.tenant_resources:
    tenant: client-acme
    templates: [old-newsletter]
    state: absent
"""

RETURN = r"""
tenant:
  description: The tenant name.
  returned: always
  type: str
attached:
  description: The ARNs associated by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: str
detached:
  description: The ARNs detached by this run (or that would be).
  returned: always
  type: list
  elements: str
resources:
  description: The tenant's resources after the run, by kind (C(identities), C(configuration_sets), C(templates)).
  returned: always
  type: dict
  sample: {identities: [acme.example], configuration_sets: [acme-transactional], templates: []}
resource_arns:
  description: The ARNs of the tenant's resources after the run.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.tenants import run_tenant_resources


def main():
    module = SesModule(
        argument_spec=dict(
            tenant=dict(type="str", required=True),
            identities=dict(type="list", elements="str"),
            configuration_sets=dict(type="list", elements="str"),
            templates=dict(type="list", elements="str"),
            resource_arns=dict(type="list", elements="str"),
            exclusive=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_tenant_resources(module, partial))


if __name__ == "__main__":
    main()
