#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: account_suppression
short_description: Which reasons put addresses on the SES account-level suppression list
version_added: 0.1.0
description:
  - Sets the reasons (BOUNCE, COMPLAINT) for which SES adds addresses to the account-level suppression
    list of the region, and reports the account's sending and enforcement status alongside.
  - An empty list turns automatic suppression off, which is not the same as leaving O(suppressed_reasons)
    unset; unset only reads the current setting.
  - Accounts created after 2019-11-25 suppress both reasons by default; older accounts may have none.
options:
  suppressed_reasons:
    description:
      - The reasons to suppress. V([]) disables the account-level suppression list.
      - Not set, the module changes nothing and returns the current state.
    type: list
    elements: str
    choices: [BOUNCE, COMPLAINT]
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.suppression.audit
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Suppress both bounces and complaints (what the runbook expects)
  deliverability.ses.account_suppression:
    suppressed_reasons: [BOUNCE, COMPLAINT]

- name: Read the current setting and the account's enforcement status
  deliverability.ses.account_suppression:
  register: account

- name: Stop suppressing automatically (rarely what you want)
  deliverability.ses.account_suppression:
    suppressed_reasons: []
"""

RETURN = r"""
suppressed_reasons:
  description: The reasons the account suppresses after the run, sorted.
  returned: always
  type: list
  elements: str
  sample: [BOUNCE, COMPLAINT]
sending_enabled:
  description: Whether the account may send in this region.
  returned: always
  type: bool
enforcement_status:
  description: HEALTHY, PROBATION or SHUTDOWN, as SES reports it.
  returned: always
  type: str
  sample: HEALTHY
production_access_enabled:
  description: Whether the account is out of the SES sandbox.
  returned: always
  type: bool
audit:
  description: The audit record written for the change.
  returned: when changed (not in check mode)
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.audit import AUDIT_LOG_SPEC, open_audit_log
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup


def main():
    module = SesModule(
        argument_spec=dict(
            suppressed_reasons=dict(type="list", elements="str", choices=list(sup.REASONS)),
            audit_log=AUDIT_LOG_SPEC,
        ),
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        client = module.client("sesv2")
        # a change must be audited: the log is checked (path, symlink, space) before the first call
        audit = open_audit_log(module, "account_suppression", client) if p["suppressed_reasons"] is not None \
            else None
        account = sup.get_account(client)
        before = {"suppressed_reasons": account["suppressed_reasons"]}
        if p["suppressed_reasons"] is None:
            return dict(account, changed=False, diff=dict(before=before, after=before))
        wanted = sorted(sup.check_reasons(p["suppressed_reasons"], "suppressed_reasons"))
        after = {"suppressed_reasons": wanted}
        result = dict(account, changed=wanted != account["suppressed_reasons"], suppressed_reasons=wanted,
                      diff=dict(before=before, after=after))
        if not result["changed"] or module.check_mode:
            return result
        sup.call(client, "PutAccountSuppressionAttributes", SuppressedReasons=wanted)
        partial.update(changed=True, suppressed_reasons=wanted, diff=dict(before=before, after=after))
        record = audit.record("account_suppression", None, wanted, previous_reasons=account["suppressed_reasons"])
        partial.update(changed=True, audit=record)
        account = sup.get_account(client)
        return dict(result, audit=record, **account)

    run_module(module, body)


if __name__ == "__main__":
    main()
