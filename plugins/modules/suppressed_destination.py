#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: suppressed_destination
short_description: Put one address on the SES account-level suppression list, or take it off (guarded)
version_added: 0.1.0
description:
  - Adds an email address to the account-level suppression list with a reason, changes its reason, or
    removes it.
  - Removal (O(state=absent)) is the delisting runbook and is guarded; see the notes. It needs
    O(reason_for_removal), which is recorded in the audit log.
  - Addresses are compared the way SES compares them; the domain part is case-insensitive (and an IDN
    domain is sent as punycode), and the local part is kept exactly as given. Addresses with V(+), V(/),
    V(%) or a quoted local part work as they are.
  - Removing an address that is not on the list reports no change and writes no audit record.
options:
  email:
    description:
      - The email address.
    type: str
    required: true
    aliases: [email_address]
  state:
    description:
      - V(present) puts the address on the list with O(reason); V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  reason:
    description:
      - Why the address is suppressed. Required with O(state=present). An address already on the list with
        another reason is updated (SES resets its last update time).
    type: str
    choices: [BOUNCE, COMPLAINT]
  regions:
    description:
      - Do the same in every listed region (SES keeps one suppression list per region), instead of only in
        O(region). Every region is read before the first change; each region changed gets its own audit line
        with its C(region). The DNS check of a delist runs once.
      - Each name once, known to SES; checked before any request.
    type: list
    elements: str
  allow_partial:
    description:
      - With O(regions) and O(state=absent), a region that cannot be read (an AWS error) refuses the whole
        delist before anything is removed, so the address never stays suppressed in one region unnoticed.
        V(true) delists in the regions that could be read; the others are returned in RV(unknown) and
        warned about.
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.suppression.audit
  - deliverability.ses.suppression.delist
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Suppress an address that complained by phone
  deliverability.ses.suppressed_destination:
    email: someone@example.com
    reason: COMPLAINT

- name: Delist an address whose mailbox works again (checked against the company resolvers)
  deliverability.ses.suppressed_destination:
    email: "jane+news@Example.COM"
    state: absent
    reason_for_removal: "TICKET-4711: mailbox restored, confirmed by phone"
    resolvers: [10.0.0.2, "10.0.0.3:5353"]

- name: Delist in both regions (one audit line per region; refused if a region cannot be read)
  deliverability.ses.suppressed_destination:
    email: jane@example.com
    state: absent
    reason_for_removal: "TICKET-4801: mailbox restored"
    regions: [us-east-1, eu-west-1]

- name: Delist although the domain has no MX yet (still recorded in the audit log)
  deliverability.ses.suppressed_destination:
    email: ops@new-domain.example
    state: absent
    reason_for_removal: "MX goes live tonight, TICKET-4712"
    force: true
    audit_log: /var/log/ses/suppression-audit.jsonl
"""

RETURN = r"""
email:
  description: The address as SES compares it (domain part lower-cased and punycoded).
  returned: always
  type: str
  sample: jane+news@example.com
action:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  choices: [none, put, update, delete]
before:
  description: The list entry before the run (null when the address was not on the list).
  returned: always
  type: dict
  contains:
    email_address:
      description: The address as SES stores it.
      type: str
    reason:
      description: BOUNCE or COMPLAINT.
      type: str
    last_update_time:
      description: When SES last updated the entry, ISO 8601 UTC.
      type: str
    message_id:
      description: The message whose bounce or complaint put the address on the list, if any.
      type: str
    feedback_id:
      description: The feedback ID of that bounce or complaint, if any.
      type: str
after:
  description: The list entry after the run (null when the address is not on the list); same keys as RV(before).
  returned: always
  type: dict
dns_check:
  description: Evidence from the delisting check (MX or A/AAAA found), when one ran.
  returned: when the address was removed or would be, without O(force)
  type: dict
  sample: {accepts_mail: true, mx: ["10 mx.example.com."], addresses: [], detail: MX found}
audit:
  description:
    - The audit record written for this change.
    - With O(regions), a list with one record per region changed.
  returned: when a change was made (not in check mode)
  type: raw
regions:
  description:
    - Per region read, C(before) (the entry, or null), C(action) (V(none), V(put), V(update), V(delete))
      and C(outcome) (V(changed), V(unchanged), V(failed) with C(msg) and C(error_code), or null when nothing
      was to do). C(diff) is per region too.
  returned: with O(regions)
  type: dict
unknown:
  description: Regions that could not be read, with the error (only with O(allow_partial=true) does the task go on).
  returned: with O(regions)
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.audit import AUDIT_LOG_SPEC, open_audit_log
from ansible_collections.deliverability.ses.plugins.module_utils.dns.mailcheck import validate_email
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup
from ansible_collections.deliverability.ses.plugins.module_utils.runners import suppression_regions


def main():
    module = SesModule(
        argument_spec=dict(
            email=dict(type="str", required=True, aliases=["email_address"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            reason=dict(type="str", choices=list(sup.REASONS)),
            audit_log=AUDIT_LOG_SPEC,
            regions=dict(type="list", elements="str"),
            allow_partial=dict(type="bool", default=False),
            **sup.DELIST_SPEC
        ),
        required_if=[("state", "present", ["reason"]), ("state", "absent", ["reason_for_removal"])],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        email = validate_email(p["email"], "email")
        guard = sup.DelistGuard(p)
        if p["state"] == "absent":
            guard.require_reason()
        if p["regions"]:
            result = suppression_regions.run(module, partial, email, guard, open_audit_log)
            if result["unknown"]:
                module.module.warn("not read, so not delisted, in: %s" % ", ".join(sorted(result["unknown"])))
            return result
        client = module.client("sesv2")
        # audited or not done: the log is proven writable (path, no symlink, space) before the first call
        audit = open_audit_log(module, "suppressed_destination", client)
        current = sup.get_suppressed(client, email)
        action = sup.plan(current, p["state"], p["reason"])
        result = dict(changed=action != "none", email=email, action=action, before=current, after=current)
        if action == "none":
            return dict(result, diff=dict(before=current or {}, after=current or {}))
        after = None if action == "delete" else dict(current or {}, email_address=email, reason=p["reason"])
        dns_check = None
        if action == "delete":
            dns_check = guard.check(email)
            if dns_check is not None:
                result["dns_check"] = dns_check
        result.update(after=after, diff=dict(before=current or {}, after=after or {}))
        if module.check_mode:
            return result
        if action == "delete":
            if not sup.delete_suppressed(client, email):
                # gone between our read and the delete: nothing changed, nothing to record
                return dict(result, changed=False, action="none", after=None)
            # applied: from here a failure (the audit line) still reports changed=true
            partial.update(changed=True, email=email, action=action, before=current, after=None)
            record = audit.record("delist", email, current["reason"], reason_for_removal=guard.reason_for_removal,
                                  forced=guard.force, dns_check=dns_check)
        else:
            sup.put_suppressed(client, email, p["reason"])
            partial.update(changed=True, email=email, action=action, before=current, after=after)
            record = audit.record("suppress" if action == "put" else "update_reason", email, p["reason"],
                                  previous_reason=(current or {}).get("reason"))
        partial.update(changed=True, audit=record)
        after = sup.get_suppressed(client, email) if action != "delete" else None
        return dict(result, after=after, diff=dict(before=current or {}, after=after or {}), audit=record)

    run_module(module, body)


if __name__ == "__main__":
    main()
