# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dmarc_build
short_description: Build a DMARC record from a dictionary of tags
version_added: 0.1.0
description:
  - Validates the tags and returns the DMARC record text (RFC 9989) with the tags in one canonical order
    (C(v p sp np psd t rua ruf adkim aspf fo), then unknown tags), as the M(deliverability.ses.dmarc)
    module publishes it. C(t) may be given as a boolean (V(true) is C(t=y)).
  - The RFC 7489 tags that RFC 9989 removed (C(pct), C(rf), C(ri)) are refused unless O(legacy=true).
  - C(rua) / C(ruf) are lists of addresses or C(mailto:) URIs, joined with commas. Tags whose value is null
    or an empty list are left out. The inverse of P(deliverability.ses.dmarc_parse#filter).
options:
  _input:
    description:
      - 'The tags, for example C({"p": "quarantine", "pct": 50, "rua": ["dmarc@example.com"]}).'
      - C(p) is required.
    type: dict
    required: true
  legacy:
    description:
      - Allow the obsolete C(pct), C(rf) and C(ri) tags (written after C(t), C(fo) in the canonical order).
    type: bool
    default: false
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Render a record for a DNS managed elsewhere
  ansible.builtin.debug:
    msg: "{{ {'p': 'quarantine', 't': true, 'np': 'reject', 'rua': ['dmarc@example.com', 'agg@example.net']} | deliverability.ses.dmarc_build }}"
  # v=DMARC1; p=quarantine; np=reject; t=y; rua=mailto:dmarc@example.com,mailto:agg@example.net

- name: A legacy record for receivers that only know RFC 7489
  ansible.builtin.debug:
    msg: "{{ {'p': 'reject', 'pct': 0} | deliverability.ses.dmarc_build(legacy=true) }}"
"""

RETURN = r"""
_value:
  description: The DMARC record text.
  type: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def dmarc_build(tags, legacy=False):
    if not isinstance(tags, dict):
        refuse("dmarc_build", "expects a dictionary of tags, got %s" % type(tags).__name__)
    old = [t for t in dmarc.obsolete(tags) if tags[t] is not None]
    if old and not legacy:
        refuse("dmarc_build", "%s removed by RFC 9989 (use t for test mode); pass legacy=true to write them anyway"
               % ", ".join(old))
    with filter_errors("dmarc_build", catch=dmarc.DmarcError):
        return dmarc.build(tags)


class FilterModule:
    def filters(self):
        return {"dmarc_build": dmarc_build}
