#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: suppressed_destinations
short_description: Put many addresses on the SES suppression list, or take them off, in one task
version_added: 0.1.0
description:
  - The bulk form of M(deliverability.ses.suppressed_destination). Addresses come from O(addresses), from
    a file O(src), or both; duplicates (as SES compares addresses) are handled once.
  - Each address is read, compared and changed on its own, by a bounded pool of O(concurrency) threads.
    One address failing (an AWS error, or a refused removal) does not stop the others; the task reports
    the outcome of every address and fails at the end if any failed, after applying and recording the rest.
  - Removal (O(state=absent)) has the same guards as the single-address module; the DNS check runs once
    per domain.
  - Every invalid address is reported in one message before anything is changed.
options:
  addresses:
    description:
      - Email addresses.
    type: list
    elements: str
    default: []
  src:
    description:
      - A file on the host that runs the module, with more addresses. Either CSV with a header row naming an
        C(email_address) (or C(email)) column and optionally a C(reason) column (the format
        M(deliverability.ses.suppressed_destination_info) exports), SES's import format (C(address,REASON)
        per line, no header), JSON Lines with C(email_address) (or C(emailAddress)) and optional C(reason),
        or one address per line. Blank lines and lines starting with C(#) are skipped.
    type: path
  state:
    description:
      - V(present) puts the addresses on the list; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  reason:
    description:
      - Reason for addresses that do not carry their own (a C(reason) in O(src)). Required with
        O(state=present) unless every address in O(src) has one.
    type: str
    choices: [BOUNCE, COMPLAINT]
  concurrency:
    description:
      - How many addresses are read and changed at the same time (1 to 16).
      - SES throttles its API per account and region; throttled calls are retried with jittered back-off
        (see O(retry_mode) and O(max_attempts)). Keep this low when other jobs use the same account.
    type: int
    default: 4
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.suppression.audit
  - deliverability.ses.suppression.delist
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Suppress the addresses the old provider had on its bounce list
  deliverability.ses.suppressed_destinations:
    src: /srv/migration/old-provider-bounces.csv
    reason: BOUNCE

- name: Delist addresses confirmed working again, checked against the company resolvers
  deliverability.ses.suppressed_destinations:
    addresses:
      - jane@example.com
      - support+eu@example.org
    state: absent
    reason_for_removal: "TICKET-4800: confirmed by the customers"
    resolvers: [10.0.0.2]
  register: delisted
"""

RETURN = r"""
results:
  description: One entry per distinct address, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    email:
      description: The address as SES compares it.
      type: str
    action:
      description: What was (or in check mode, would be) done.
      type: str
      choices: [none, put, update, delete]
    outcome:
      description: V(changed), V(unchanged), V(refused) (removal guard) or V(failed) (AWS error).
      type: str
    reason:
      description: The reason after the run, for V(present).
      type: str
    previous_reason:
      description: The reason before the run, if the address was on the list.
      type: str
    msg:
      description: Why the address was refused or failed.
      type: str
    error_code:
      description: The AWS error code of a failure.
      type: str
counts:
  description: Number of addresses per outcome and per action.
  returned: always
  type: dict
  sample: {total: 3, changed: 2, unchanged: 1, refused: 0, failed: 0, put: 2, update: 0, delete: 0}
audit_records:
  description: Number of lines appended to the audit log.
  returned: always
  type: int
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.audit import AUDIT_LOG_SPEC, open_audit_log
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bulk_suppression as bulk
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup


def main():
    module = SesModule(
        argument_spec=dict(
            addresses=dict(type="list", elements="str", default=[]),
            src=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            reason=dict(type="str", choices=list(sup.REASONS)),
            concurrency=dict(type="int", default=4),
            audit_log=AUDIT_LOG_SPEC,
            **sup.DELIST_SPEC
        ),
        required_one_of=[("addresses", "src")],
        required_if=[("state", "absent", ["reason_for_removal"])],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        concurrency = bulk.check_concurrency(p["concurrency"])
        items = bulk.collect(p["addresses"], p["src"], p["state"], p["reason"])
        guard = sup.DelistGuard(p)
        if p["state"] == "absent":
            guard.require_reason()
        client = module.client("sesv2", max_pool_connections=max(10, concurrency))
        audit = open_audit_log(module, "suppressed_destinations", client)
        run = bulk.BulkRun(client, items, p["state"], guard, audit, concurrency, module.check_mode)
        partial.update(run.partial_result())
        run.execute(partial)
        return run.result()

    run_module(module, body)


if __name__ == "__main__":
    main()
