# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dmarc_parse
short_description: Parse a DMARC record into a dictionary of tags
version_added: 0.1.0
description:
  - Validates a DMARC record (RFC 9989, and the RFC 7489 tags it removed) and returns its tags as a
    dictionary, C(rua) / C(ruf) as lists of URIs (split at commas), C(t) / C(psd) as V(y) / V(n) / V(u), the
    obsolete C(pct) / C(ri) as integers, policies and alignment lower-case.
  - With O(obsolete=true) it returns instead the list of obsolete tags the record carries (C(pct), C(rf),
    C(ri)), to find records to migrate.
  - Only the tags present in the record are returned. The inverse of P(deliverability.ses.dmarc_build#filter).
  - The input may be given in zone-file form (C("v=DMARC1; " "p=none")); the strings are joined first.
options:
  _input:
    description: The DMARC record text.
    type: str
    required: true
  obsolete:
    description: Return the obsolete tags of the record (a list) instead of the tags.
    type: bool
    default: false
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Read the policy of a published record
  ansible.builtin.debug:
    msg: "{{ ('v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.net' | deliverability.ses.dmarc_parse).rua }}"
  # ['mailto:a@example.com', 'mailto:b@example.net']

- name: Which records still use pct / rf / ri
  ansible.builtin.debug:
    msg: "{{ 'v=DMARC1; p=quarantine; pct=25' | deliverability.ses.dmarc_parse(obsolete=true) }}"
  # ['pct']
"""

RETURN = r"""
_value:
  description: The tags of the record (or, with O(obsolete=true), the list of obsolete tags).
  type: raw
"""

from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_unquote
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors


def dmarc_parse(text, obsolete=False):
    with filter_errors("dmarc_parse", catch=dmarc.DmarcError):
        tags = dmarc.parse(txt_unquote(text))
        return dmarc.obsolete(tags) if obsolete else tags


class FilterModule:
    def filters(self):
        return {"dmarc_parse": dmarc_parse}
