#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tenant
short_description: Create, update or delete an SES tenant, with its suppression, reputation policy and sending status
version_added: 0.2.0
description:
  - An SES tenant groups one client's identities, configuration sets and templates; SES tracks the tenant's
    reputation and can pause that tenant alone. Use M(deliverability.ses.tenant_resources) for its resources.
  - Creates the tenant when missing; sets its tags, its suppression attributes (reasons and scope), its
    reputation policy and its customer-managed sending status. Options left unset are not managed.
  - Pausing (O(sending_status=disabled)), resuming (V(enabled)) or reinstating (V(reinstated)) needs O(reason),
    which is written to the audit log with the previous status; the module refuses to change the status when
    the log cannot be written.
  - A status that SES itself set (the AWS-managed status, for example after the reputation policy paused the
    tenant) is not changed by this module; M(deliverability.ses.tenant_info) shows it with SES's cause.
  - Deleting a tenant that still has resources is refused unless O(detach_resources=true); the resources
    themselves are never deleted.
options:
  name:
    description:
      - The tenant name, 1-64 ASCII letters, digits, V(-) and V(_).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the tenant; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags of the tenant. Unset leaves the tags alone.
    type: dict
  purge_tags:
    description:
      - Remove tags not listed in O(tags) (only when O(tags) is given).
    type: bool
    default: true
  suppressed_reasons:
    description:
      - Why SES adds an address to the suppression list for mail sent for this tenant. An empty list suppresses
        nothing.
    type: list
    elements: str
    choices: [BOUNCE, COMPLAINT]
  suppression_scope:
    description:
      - V(TENANT) keeps a suppression list for this tenant alone; V(ACCOUNT) uses the account's list.
    type: str
    choices: [ACCOUNT, TENANT]
  reputation_policy:
    description:
      - The AWS-managed reputation policy; V(strict) pauses the tenant on findings of low or high impact,
        V(standard) on findings of high impact, V(none) never. The module sends the policy's ARN
        (C(arn:aws:ses:REGION:aws:reputation-policy/NAME)).
    type: str
    choices: [standard, strict, none]
  sending_status:
    description:
      - The customer-managed sending status. V(disabled) pauses the tenant, V(enabled) resumes it,
        V(reinstated) lets it send despite active reputation findings (not despite an SES pause).
    type: str
    choices: [enabled, disabled, reinstated]
  reason:
    description:
      - Why the sending status changes (free text, for example a ticket number); required with
        O(sending_status) and written to the audit log.
    type: str
  detach_resources:
    description:
      - With O(state=absent), delete the tenant even though resources are still associated with it (the
        associations go, the resources stay).
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.suppression.audit
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: One tenant per client, strict reputation policy, its own suppression list
  deliverability.ses.tenant:
    name: client-acme
    reputation_policy: strict
    suppression_scope: TENANT
    suppressed_reasons: [BOUNCE, COMPLAINT]
    tags:
      client: acme

- name: Pause one client (recorded in the audit log)
  deliverability.ses.tenant:
    name: client-acme
    sending_status: disabled
    reason: "TICKET-4711: list import under review"

- name: Resume it
  deliverability.ses.tenant:
    name: client-acme
    sending_status: enabled
    reason: "TICKET-4711: list cleaned"

- name: Delete a tenant that still has identities (they stay, unassociated)
  deliverability.ses.tenant:
    name: client-gone
    state: absent
    detach_resources: true
"""

RETURN = r"""
tenant:
  description: The tenant after the run (predicted in check mode); null when deleted.
  returned: always
  type: dict
  contains:
    name:
      description: The tenant name.
      type: str
    id:
      description: The tenant ID SES gave it.
      type: str
    arn:
      description: The tenant ARN (also its reputation entity reference).
      type: str
    tags:
      description: The tenant's tags.
      type: dict
    suppression:
      description: The suppression attributes, C(reasons) and C(scope).
      type: dict
    reputation_policy:
      description: V(standard), V(strict) or V(none) (null for a policy that is not one of SES's).
      type: str
    reputation_policy_arn:
      description: The policy ARN as SES returns it.
      type: str
    sending_status_aggregate:
      description: Whether the tenant can send, from both statuses (ENABLED, REINSTATED, DISABLED).
      type: str
    aws_managed_status:
      description: The status SES set, with its C(cause) and C(last_updated).
      type: dict
    customer_managed_status:
      description: The status set through this module, with C(cause) and C(last_updated).
      type: dict
    reputation_impact:
      description: The highest impact of the tenant's reputation findings (LOW or HIGH).
      type: str
changes:
  description: What changed (or would), among created, tags, suppression, reputation_policy, sending_status, deleted.
  returned: always
  type: list
  elements: str
detached:
  description: The resource ARNs whose association went with the deleted tenant.
  returned: when O(state=absent)
  type: list
  elements: str
audit:
  description: The audit record of a sending status change.
  returned: when the sending status changed (not in check mode)
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.audit import AUDIT_LOG_SPEC
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as rules
from ansible_collections.deliverability.ses.plugins.module_utils.runners.tenants import run_tenant


def main():
    module = SesModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            suppressed_reasons=dict(type="list", elements="str", choices=list(rules.SUPPRESSION_REASONS)),
            suppression_scope=dict(type="str", choices=list(rules.SUPPRESSION_SCOPES)),
            reputation_policy=dict(type="str", choices=list(rules.POLICIES)),
            sending_status=dict(type="str", choices=list(rules.SENDING_STATUSES)),
            reason=dict(type="str"),
            detach_resources=dict(type="bool", default=False),
            audit_log=AUDIT_LOG_SPEC,
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_tenant(module, partial))


if __name__ == "__main__":
    main()
