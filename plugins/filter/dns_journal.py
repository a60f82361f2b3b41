# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dns_journal
short_description: Keep what onboarding found in DNS, and plan how offboarding puts it back
version_added: 0.1.0
description:
  - The journal the M(deliverability.ses.domain) role keeps per account, region and domain - for each rrset
    onboarding writes, what it was before (absent, or its TTL and values) and what onboarding left.
  - All the rules live in C(plugins/module_utils/policy/dns_restore.py); this filter only hands the role's data
    to them. No DNS access.
options:
  _input:
    description: The journal (a dict keyed C(name TYPE)); C({}) for none, or with O(step=summary) a list of changes.
    type: raw
    required: true
  read:
    description:
      - The C(changes) of a check-mode M(deliverability.ses.dns_records) run that removes each rrset of interest
        (C(state=absent)) - the C(before) of each change is the rrset as it is now.
    type: list
    elements: dict
    default: []
  asked:
    description: The C(name) / C(type) entries that read asked for (O(step=before) and O(step=after)).
    type: list
    elements: dict
    default: []
  step:
    description:
      - V(before) adds what the read saw for rrsets the journal does not hold yet (never replacing what an
        earlier onboarding run found); V(after) records what onboarding left; V(restore) returns the
        M(deliverability.ses.dns_records) entries that put every rrset back as found (keeping what others changed
        since); V(summary) turns a list of C(changes) into one C(name), C(type), C(before), C(after) per rrset.
    type: str
    choices: [before, after, restore, summary]
    required: true
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Plan how to put the records back
  ansible.builtin.set_fact:
    restore: "{{ journal.found | deliverability.ses.dns_journal(read=now.changes, step='restore') }}"
"""

RETURN = r"""
_value:
  description: The journal (V(before), V(after)), a list of dns_records entries (V(restore)) or of changes (V(summary)).
  type: raw
"""

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dns_restore
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def dns_journal(data, read=None, asked=None, step=None):
    with filter_errors("dns_journal(step=%s)" % step, catch=(KeyError, TypeError, AttributeError),
                       hint="the journal or the read is not in the expected shape"):
        if step in ("before", "after"):
            return dns_restore.record_found(data or {}, asked or [], read or [], field=step)
        if step == "restore":
            return dns_restore.restore_records(data or {}, read or [])
        if step == "summary":
            return dns_restore.summary(data or [])
    return refuse("dns_journal", "step must be one of before, after, restore, summary, got %r" % (step,))


class FilterModule:
    def filters(self):
        return {"dns_journal": dns_journal}
