# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dmarc_build
short_description: Build a DMARC record from a dictionary of tags
version_added: 0.1.0
description:
  - Validates the tags and returns the DMARC record text with the tags in one canonical order
    (C(v p sp np pct rua ruf adkim aspf fo rf ri), then unknown tags), as the M(deliverability.ses.dmarc)
    module publishes it.
  - C(rua) / C(ruf) are lists of addresses or C(mailto:) URIs, joined with commas. Tags whose value is null
    or an empty list are left out. The inverse of P(deliverability.ses.dmarc_parse#filter).
options:
  _input:
    description:
      - 'The tags, for example C({"p": "quarantine", "pct": 50, "rua": ["dmarc@example.com"]}).'
      - C(p) is required.
    type: dict
    required: true
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Render a record for a DNS managed elsewhere
  ansible.builtin.debug:
    msg: "{{ {'p': 'quarantine', 'pct': 25, 'rua': ['dmarc@example.com', 'agg@example.net']} | deliverability.ses.dmarc_build }}"
  # v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc@example.com,mailto:agg@example.net
"""

RETURN = r"""
_value:
  description: The DMARC record text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc


def dmarc_build(tags):
    if not isinstance(tags, dict):
        raise AnsibleFilterError("dmarc_build: expects a dictionary of tags, got %s" % type(tags).__name__)
    try:
        return dmarc.build(tags)
    except dmarc.DmarcError as exc:
        raise AnsibleFilterError("dmarc_build: %s" % exc)


class FilterModule:
    def filters(self):
        return {"dmarc_build": dmarc_build}
