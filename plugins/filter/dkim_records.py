# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dkim_records
short_description: Easy DKIM tokens to the three CNAME records SES needs
version_added: 0.1.0
description:
  - Turns SES Easy DKIM tokens and the domain into records C(<token>._domainkey.<domain>) CNAME
    C(<token>.dkim.amazonses.com), in the same shape as the C(dns_records) that
    M(deliverability.ses.email_identity) returns (the same function renders both).
  - The input may also be an identity as returned by M(deliverability.ses.email_identity) or
    M(deliverability.ses.email_identity_info); its tokens and name are used.
  - The domain is normalised (case, trailing dot, IDN to punycode).
options:
  _input:
    description: A list of DKIM tokens, one token, or an identity dictionary.
    type: raw
    required: true
  domain:
    description: The identity's domain. Optional when the input is an identity dictionary.
    type: str
  ttl:
    description: TTL put in each record.
    type: int
    default: 1800
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Records from tokens
  ansible.builtin.debug:
    msg: "{{ ['tok1', 'tok2', 'tok3'] | deliverability.ses.dkim_records('example.com') }}"

- name: Records from an identity read earlier
  ansible.builtin.debug:
    msg: "{{ info.identities[0] | deliverability.ses.dkim_records(ttl=300) }}"
"""

RETURN = r"""
_value:
  description:
    - The CNAME records, one per token, in exactly the shape O(deliverability.ses.dns_records#module:records)
      takes, so they can be published as they are.
    - Each has C(name) (C(<token>._domainkey.<domain>) without trailing dot), C(type) (always C(CNAME)),
      C(values) (one target, C(<token>.dkim.amazonses.com)) and C(ttl).
  type: list
  elements: dict
  contains:
    name:
      description: C(<token>._domainkey.<domain>) without trailing dot.
      type: str
    type:
      description: Always C(CNAME).
      type: str
    ttl:
      description: The TTL.
      type: int
"""

from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import DEFAULT_TTL
from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import dkim_records as render
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def dkim_records(value, domain=None, ttl=DEFAULT_TTL):
    tokens = value
    if isinstance(value, dict):
        tokens = (value.get("dkim") or {}).get("tokens") or value.get("tokens") or []
        domain = domain or value.get("identity")
    if domain is None:
        refuse("dkim_records", "domain is required when the input is a list of tokens")
    if isinstance(domain, str) and "@" in domain:
        refuse("dkim_records", "%s is an email address; DKIM records belong to its domain" % domain)
    with filter_errors("dkim_records"):
        return render(tokens, domain, ttl)


class FilterModule:
    def filters(self):
        return {"dkim_records": dkim_records}
