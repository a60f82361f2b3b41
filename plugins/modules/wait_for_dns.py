#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wait_for_dns
short_description: Wait until records are visible on every authoritative nameserver
version_added: 0.1.0
description:
  - Polls each nameserver directly (no recursion, no cache) until it answers every record of O(records),
    with a growing interval, up to O(timeout). Servers that are in sync are not asked again.
  - The nameservers are O(authoritative_servers), or the NS records of O(zone) resolved through O(resolvers).
  - On timeout the task fails and names each lagging server and what it answered instead.
  - Read-only. The AWS options are accepted so that the module can be used with the collection's
    C(module_defaults) group; they are not used.
options:
  records:
    description:
      - The records to wait for.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The record name, fully qualified or relative to O(zone).
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
          - Values that must be present (TXT as one logical string). Without values, any rrset of the type will do.
        type: list
        elements: str
      state:
        description:
          - V(present) waits for the values to appear, V(absent) for them (or, without values, the rrset) to go.
        type: str
        choices: [present, absent]
        default: present
  zone:
    description:
      - The zone, to resolve relative names and find the authoritative nameservers.
    type: str
  authoritative_servers:
    description:
      - The authoritative nameservers to ask, as C(host), C(host:port) or C([v6]:port). By default the NS of O(zone).
      - The alias O(nameservers) is deprecated - everywhere else in this collection C(nameservers) means the
        recursive resolvers (O(resolvers)) - and will be removed in version 2.0.0.
    type: list
    elements: str
    aliases: [nameservers]
  resolvers:
    description:
      - Recursive resolvers (C(host), C(host:port) or C([v6]:port)) for finding the NS of O(zone). By default the
        system resolver.
    type: list
    elements: str
  port:
    description:
      - The port of nameservers found through the NS records.
    type: int
    default: 53
  timeout:
    description:
      - Seconds to wait in total.
    type: int
    default: 300
  interval:
    description:
      - Seconds before the second poll; each later one waits 1.5 times longer, at most 10 seconds.
    type: float
    default: 2.0
extends_documentation_fragment:
  - deliverability.ses.aws
attributes:
  check_mode:
    support: full
    description: Only reads; it waits in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Wait for the DKIM CNAMEs on every nameserver of the zone before verifying the identity
  deliverability.ses.wait_for_dns:
    zone: example.com
    records:
      - name: "{{ ident.identities[0].dkim.tokens[0] }}._domainkey"
        type: CNAME
      - name: "{{ ident.identities[0].dkim.tokens[1] }}._domainkey"
        type: CNAME
      - name: "{{ ident.identities[0].dkim.tokens[2] }}._domainkey"
        type: CNAME
    timeout: 600

- name: Wait on given servers for the DMARC record
  deliverability.ses.wait_for_dns:
    authoritative_servers: [192.0.2.53, "198.51.100.53:5353"]
    records:
      - name: _dmarc.example.com
        type: TXT
        values: ["v=DMARC1; p=none; rua=mailto:dmarc@example.com"]
"""

RETURN = r"""
servers:
  description: One entry per nameserver.
  returned: always
  type: list
  elements: dict
  contains:
    server:
      description: The address and port asked.
      type: str
    host:
      description: The NS host name, when found through the NS records.
      type: str
    ready:
      description: Whether the server answered every record as wanted.
      type: bool
    seconds:
      description: When the server was first in sync, in seconds from the start.
      type: float
    lagging:
      description: The records the server did not answer as wanted, with what it has and its rcode.
      type: list
      elements: dict
lagging:
  description: The servers that were not in sync in the end.
  returned: always
  type: list
  elements: str
elapsed:
  description: Seconds waited.
  returned: always
  type: float
attempts:
  description: Polling rounds.
  returned: always
  type: int
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError, InputError, SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns import wait
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec

RECORD_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True, choices=["A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"]),
    values=dict(type="list", elements="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def main():
    module = SesModule(
        argument_spec=dict(
            records=dict(type="list", elements="dict", required=True, options=RECORD_SPEC),
            zone=dict(type="str"),
            authoritative_servers=dict(type="list", elements="str", aliases=["nameservers"],
                                       deprecated_aliases=[dict(name="nameservers", version="2.0.0",
                                                                collection_name="deliverability.ses")]),
            resolvers=resolvers_spec(alias=False),
            port=dict(type="int", default=53),
            timeout=dict(type="int", default=300),
            interval=dict(type="float", default=2.0),
        ),
        needs_boto3=False,
        supports_check_mode=True,
    )

    def body(partial):
        p = dict(module.params)
        validate.duration(p["timeout"], "timeout", maximum=86400, integer=True)
        if not p["interval"] > 0:
            raise InputError("interval", "must be more than 0 seconds (0 would poll the nameservers in a tight loop)")
        validate.duration(p["interval"], "interval", maximum=3600)
        validate.count(p["port"], "port", maximum=65535)
        for option in ("authoritative_servers", "resolvers"):
            for server in p[option] or []:
                validate.server(server, option)
        if p["zone"]:
            p["zone"] = normalize_domain(p["zone"], "zone")
        records = wait.records_from_params(p["records"], p["zone"])
        servers = wait.servers_from_params(p)
        result = wait.wait_for(records, servers, timeout=p["timeout"], interval=p["interval"])
        if result["lagging"]:
            partial.update(result)
            raise DeliverabilityError(wait.lag_message(result, p["timeout"]))
        return dict(result, changed=False)

    run_module(module, body)


if __name__ == "__main__":
    main()
