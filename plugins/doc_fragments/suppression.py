# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # The audit trail, for every module that changes the suppression list or the account's suppression.
    AUDIT = r"""
options:
  audit_log:
    description:
      - JSON Lines file that every change this module makes is appended to, one line per change, with
        C(time) (UTC), C(action), C(address), C(reason), C(operator) (the caller ARN from STS
        C(GetCallerIdentity), or null with C(sts_error) when STS cannot answer), C(account), C(local_user),
        C(module), C(region) and the action's details (C(previous_reason), C(reason_for_removal), C(forced),
        C(dns_check)).
      - The file is opened for append only, locked while a line is written and fsynced after each change,
        so records of changes made before a later failure survive. Created with mode 0600 when missing.
      - Before changing anything the module checks that the file can be written, and refuses to make a
        change it cannot record. Nothing is written in check mode.
    type: path
    default: ~/.ansible/deliverability-ses-audit.jsonl
"""

    # The guard in front of every removal from the suppression list.
    DELIST = r"""
options:
  reason_for_removal:
    description:
      - Why the address may receive mail again (free text, for example a ticket number). Recorded in the
        audit log. Required to remove an address.
    type: str
  force:
    description:
      - Skip the DNS check of the address's domain. The syntax check and the audit record still happen.
    type: bool
    default: false
  resolvers:
    description:
      - DNS servers that the delisting check asks, each C(host), C(host:port), an IPv6 address or
        C([ipv6]:port).
      - When not set, the resolvers of the host that runs the module (C(/etc/resolv.conf)).
    type: list
    elements: str
    aliases: [nameservers]
  dns_timeout:
    description:
      - Seconds the DNS check may spend on one domain before it gives up. A check that times out
        refuses the removal (it proves nothing either way); use O(force) to remove anyway.
    type: float
    default: 5.0
notes:
  - Removing an address is guarded. The address must be syntactically valid, and unless O(force=true) its
    domain must accept mail by the rules of RFC 5321 section 5.1 - an MX record, or without one an A or
    AAAA record; a domain that does not exist, has neither, or publishes a null MX (RFC 7505) is refused,
    because mail to it would bounce and land the address on the list again.
"""
