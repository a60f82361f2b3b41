#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_records
short_description: Publish or remove a set of DNS records in one zone (Route 53, RFC 2136, or none)
version_added: 0.1.0
description:
  - Ensures a set of records of one zone in one invocation, through the provider chosen with O(provider).
  - Each entry of O(records) adds or removes exactly the given values; other values of the same name and type
    are left alone unless O(records[].exclusive=true).
  - Values are normalised before comparing (case and trailing dots of names, TXT quoting and 255-byte
    splitting), so a second run reports no change.
options:
  records:
    description:
      - The records to ensure.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The record name, relative to O(zone) (C(www), C(s1._domainkey)), fully qualified inside O(zone)
            (C(www.example.com)), or C(@) for the zone apex.
          - A name outside O(zone) (C(www.example.org) in zone C(example.com)) is refused, never appended to the
            zone; a relative name of several labels must end in an underscore label (C(s1._domainkey)).
        type: str
        required: true
      type:
        description:
          - The record type.
        type: str
        required: true
        choices: [A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT]
      values:
        description:
          - The values. A TXT value is one logical string (quoted zone-file form is accepted too); longer than
            255 bytes it is split into several strings of one record, never at commas.
          - With O(records[].state=absent) and no values, the whole rrset is removed.
        type: list
        elements: str
      ttl:
        description:
          - TTL in seconds. Default the existing rrset's TTL, or 300 for a new rrset.
        type: int
      state:
        description:
          - V(present) adds the values, V(absent) removes them.
        type: str
        choices: [present, absent]
        default: present
      exclusive:
        description:
          - With V(present), the rrset holds exactly O(records[].values) (other values are removed).
            With V(absent), the whole rrset is removed.
        type: bool
        default: false
  find_zone:
    description:
      - Treat O(zone) as a domain name and use the closest zone the provider serves that holds it, walking up
        to the parent (C(news.example.com) is published in zone C(example.com) when there is no
        C(news.example.com) zone) - for Route 53 one C(ListHostedZones), for RFC 2136 one SOA query to O(server).
      - The provider is reached before anything is planned, so a typo'd domain or an unreachable server fails
        here, naming O(zone). With O(records=[]) this is a read-only pre-flight check; RV(zone) says what was found.
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.dns_provider
  - deliverability.ses.aws
attributes:
  check_mode:
    support: full
    description: Predicts the changes exactly and writes nothing.
  diff_mode:
    support: full
    description: Shows the rrsets before and after.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Publish the SES DKIM CNAMEs and a verification TXT through RFC 2136
  deliverability.ses.dns_records:
    provider: rfc2136
    zone: example.com
    server: ns1.example.com
    key_name: ansible
    key_secret: "{{ vault_tsig_secret }}"
    records:
      - name: "{{ item }}._domainkey"
        type: CNAME
        values: ["{{ item }}.dkim.amazonses.com"]
      - name: "@"
        type: TXT
        values: ["google-site-verification=abc"]

- name: Replace an MX rrset in Route 53
  deliverability.ses.dns_records:
    provider: route53
    zone: example.com
    records:
      - name: mail
        type: MX
        values: ["10 feedback-smtp.eu-west-1.amazonses.com"]
        exclusive: true

- name: Render the records for a DNS we do not manage
  deliverability.ses.dns_records:
    provider: none
    zone: example.com
    records:
      - name: _dmarc
        type: TXT
        values: ["v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net"]
  register: rendered
"""

RETURN = r"""
changes:
  description: The rrset changes made (or, in check mode or with O(provider=none), that would be made).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(create), V(update) or V(delete).
      type: str
    name:
      description: The fully qualified name, without trailing dot.
      type: str
    type:
      description: The record type.
      type: str
    before:
      description: The rrset before (name, type, ttl, values), or null.
      type: dict
    after:
      description: The rrset after, or null.
      type: dict
records:
  description: The resulting rrsets of the names and types asked for (those that exist afterwards).
  returned: always
  type: list
  elements: dict
  sample:
    - name: _dmarc.example.com
      type: TXT
      ttl: 300
      values: ["v=DMARC1; p=none"]
zone:
  description: The zone the records are in (with O(find_zone=true), the zone that was found).
  returned: always
  type: str
  sample: example.com
zone_lines:
  description: The resulting records in zone-file syntax (TXT split into 255-byte quoted strings).
  returned: always
  type: list
  elements: str
  sample: ['_dmarc.example.com. 300 IN TXT "v=DMARC1; p=none"']
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import desired_from_params, run_changes
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import (
    DNS_PROVIDER_ARGUMENT_SPEC, find_zone, get_provider)

RECORD_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True, choices=["A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"]),
    values=dict(type="list", elements="str"),
    ttl=dict(type="int"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    exclusive=dict(type="bool", default=False),
)


def main():
    spec = dict(DNS_PROVIDER_ARGUMENT_SPEC)
    spec["records"] = dict(type="list", elements="dict", required=True, options=RECORD_SPEC)
    spec["find_zone"] = dict(type="bool", default=False)
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True)

    def body(partial):
        p = module.params
        zone, params = p.get("zone"), p
        if p["find_zone"]:
            zone, params = find_zone(p, module, p.get("zone"))
        provider = get_provider(params, module, zone=zone)
        desired = desired_from_params(p["records"], provider.zone)
        result = run_changes(provider, desired, check_mode=module.check_mode, partial=partial)
        result["zone"] = provider.zone
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
