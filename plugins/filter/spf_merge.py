# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: spf_merge
short_description: Merge mechanisms into an SPF record without dropping any sender
version_added: 0.1.0
description:
  - Returns the SPF record that authorises O(mechanisms) on top of the input record, exactly as the
    M(deliverability.ses.spf) module computes it, without any DNS access.
  - New mechanisms go before C(all) (or before the modifiers); a mechanism already present, with any
    qualifier, is kept as it is; nothing is dropped except O(remove); the C(all) qualifier is kept unless
    O(all_qualifier) is given. An empty input gives a new record ending in C(~all).
options:
  _input:
    description: The existing SPF record (C(v=spf1 ...)), or an empty string / null for none.
    type: str
    required: true
  mechanisms:
    description: Mechanisms to authorise.
    type: list
    elements: str
    default: [include:amazonses.com]
  remove:
    description: Mechanisms to take out.
    type: list
    elements: str
    default: []
  all_qualifier:
    description: Set the C(all) qualifier.
    type: str
    choices: ['-', '~', '?', '+']
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Add SES to an existing record
  ansible.builtin.debug:
    msg: "{{ 'v=spf1 include:_spf.google.com -all' | deliverability.ses.spf_merge }}"
  # v=spf1 include:_spf.google.com include:amazonses.com -all

- name: Replace a retired provider and soft-fail
  ansible.builtin.debug:
    msg: "{{ current_spf | deliverability.ses.spf_merge(['include:amazonses.com'], remove=['include:old.example.net'], all_qualifier='~') }}"
"""

RETURN = r"""
_value:
  description: The merged SPF record.
  type: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_unquote
from ansible_collections.deliverability.ses.plugins.module_utils.policy import spf
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors


def spf_merge(record, mechanisms=None, remove=None, all_qualifier=None):
    with filter_errors("spf_merge", catch=spf.SpfError):
        return spf.merge(txt_unquote(record) if record else None,
                         add=spf.DEFAULT_MECHANISMS if mechanisms is None else mechanisms,
                         remove=remove or (), all_qualifier=all_qualifier)


class FilterModule:
    def filters(self):
        return {"spf_merge": spf_merge}
