#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: spf
short_description: Merge mechanisms (by default include:amazonses.com) into a domain's one SPF record
version_added: 0.1.0
description:
  - Ensures the SPF record of O(domain) authorises O(mechanisms) by merging them into the existing record.
    It never publishes a second SPF record, never drops another sender's mechanism (only those in O(remove)),
    and keeps the existing C(all) qualifier unless O(all_qualifier) is given.
  - Other TXT values of the name (site verifications and the like) are left alone.
  - Before publishing it counts the DNS lookups the new record costs, recursively through includes and
    redirects (C(include), C(a), C(mx), C(ptr), C(exists), C(redirect), and void lookups), and refuses a
    change that would exceed RFC 7208's limit of 10 (or 2 void lookups) with a message listing every
    lookup, unless O(force=true).
  - A domain that already has two SPF records is reported and left alone.
options:
  domain:
    description:
      - The domain whose SPF record is managed (for example the MAIL FROM domain or the apex).
    type: str
    required: true
  mechanisms:
    description:
      - Mechanisms to authorise, in the order they are added (before C(all) / the modifiers).
      - A mechanism already in the record, with any qualifier, is kept as it is.
    type: list
    elements: str
    default: [include:amazonses.com]
  remove:
    description:
      - Mechanisms to take out of the record (for example a retired provider's include).
    type: list
    elements: str
    default: []
  all_qualifier:
    description:
      - Set the qualifier of C(all) (C(-all) fail, C(~all) softfail, C(?all) neutral, C(+all) pass).
      - By default an existing C(all) is kept as it is, and a new record ends in C(~all).
    type: str
    choices: ['-', '~', '?', '+']
  force:
    description:
      - Publish even when the record would need more than 10 DNS lookups (or 2 void lookups).
    type: bool
    default: false
  ttl:
    description:
      - TTL of the TXT rrset. By default the existing TTL, or 300 for a new rrset.
    type: int
extends_documentation_fragment:
  - deliverability.ses.dns_provider
  - deliverability.ses.aws
  - deliverability.ses.resolvers
attributes:
  check_mode:
    support: full
    description: Predicts the change exactly and writes nothing.
  diff_mode:
    support: full
    description: Shows the TXT rrset before and after.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Authorise SES in the SPF of the MAIL FROM domain (Route 53)
  deliverability.ses.spf:
    provider: route53
    zone: example.com
    domain: mail.example.com

- name: Add SES next to another sender and tighten all, through RFC 2136
  deliverability.ses.spf:
    provider: rfc2136
    server: ns1.example.com
    key_name: ansible
    key_secret: "{{ vault_tsig_secret }}"
    domain: example.com
    mechanisms: [include:amazonses.com]
    remove: [include:old-esp.example.net]
    all_qualifier: "-"
"""

RETURN = r"""
record:
  description: The SPF record after the change (or as it would be, in check mode).
  returned: success
  type: str
  sample: v=spf1 include:_spf.google.com include:amazonses.com -all
previous:
  description: The SPF record before, or null when there was none.
  returned: success
  type: str
lookups:
  description: The DNS lookups the new record costs.
  returned: always
  type: dict
  contains:
    count:
      description: The number of lookups (limit 10).
      type: int
    void:
      description: Lookups that returned no data or NXDOMAIN (limit 2).
      type: int
    lookups:
      description: Each lookup, with the term, the domain whose record holds it, and the include chain.
      type: list
      elements: dict
    errors:
      description: Includes that could not be resolved or parsed (the count is then a lower bound).
      type: list
      elements: str
changes:
  description: The rrset changes, as in M(deliverability.ses.dns_records).
  returned: success
  type: list
  elements: dict
records:
  description: The TXT rrset of O(domain) afterwards.
  returned: success
  type: list
  elements: dict
zone_lines:
  description: The TXT rrset in zone-file syntax.
  returned: success
  type: list
  elements: str
"""


from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import DNS_PROVIDER_ARGUMENT_SPEC, resolvers_spec
from ansible_collections.deliverability.ses.plugins.module_utils.runners.spf_dmarc import ensure_spf
from ansible_collections.deliverability.ses.plugins.module_utils.policy.spf import DEFAULT_MECHANISMS


def main():
    spec = dict(DNS_PROVIDER_ARGUMENT_SPEC)
    spec.update(
        domain=dict(type="str", required=True),
        mechanisms=dict(type="list", elements="str", default=list(DEFAULT_MECHANISMS)),
        remove=dict(type="list", elements="str", default=[]),
        all_qualifier=dict(type="str", choices=["-", "~", "?", "+"]),
        force=dict(type="bool", default=False),
        resolvers=resolvers_spec(env=True),
        ttl=dict(type="int"),
    )
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True)
    run_module(module, lambda partial: ensure_spf(module.params, module, module.check_mode, partial,
                                                  module.module.warn))


if __name__ == "__main__":
    main()
