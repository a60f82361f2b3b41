# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  provider:
    description:
      - Where the records live.
      - V(route53) writes through Amazon Route 53 (ChangeResourceRecordSets batches, then waits until the
        change is C(INSYNC)); it uses the AWS options of this module.
      - V(rfc2136) sends one RFC 2136 dynamic update, signed with TSIG, to O(server). Every rrset read is a
        prerequisite of the update, so a concurrent change makes the update fail instead of being clobbered.
      - V(none) writes nothing. It returns the records as data and as zone-file lines (RV(zone_lines)) for a
        DNS the collection does not manage; with O(server) it reads that server to report what is missing.
    type: str
    required: true
    choices: [none, rfc2136, route53]
  zone:
    description:
      - The DNS zone (domain) that holds the records, for example C(example.com).
      - Defaults to the domain the module manages, where it has one.
    type: str
  server:
    description:
      - The primary (or any authoritative) server for V(rfc2136), as C(host) or C(host:port) (C([v6]:port)).
      - For V(none), an optional server to read the current records from.
    type: str
  port:
    description:
      - The DNS port of O(server), when not given in O(server). Default C(53).
    type: int
  key_name:
    description:
      - The TSIG key name for V(rfc2136). Without it the update is sent unsigned.
    type: str
  key_secret:
    description:
      - The base64 TSIG secret of O(key_name). Never logged.
    type: str
  key_algorithm:
    description:
      - The TSIG algorithm of O(key_name).
    type: str
    default: hmac-sha256
    choices: [hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5]
  dns_timeout:
    description:
      - Seconds to wait for each answer from O(server).
    type: float
    default: 10.0
  hosted_zone_id:
    description:
      - The Route 53 hosted zone ID, when several hosted zones have the name O(zone). By default the zone
        is found by name.
    type: str
  private_zone:
    description:
      - With V(route53), only consider private (V(true)) or public (V(false)) hosted zones when finding
        O(zone) by name.
    type: bool
  dns_wait:
    description:
      - With V(route53), wait until Route 53 reports each change C(INSYNC) (GetChange with back-off).
      - The alias C(wait) is deprecated (it is the SES verification wait in the identity modules).
    type: bool
    default: true
    aliases: [wait]
  dns_wait_timeout:
    description:
      - Seconds to wait for C(INSYNC) before failing (the change stays submitted).
      - The alias C(wait_timeout) is deprecated.
    type: int
    default: 300
    aliases: [wait_timeout]
notes:
  - "These options can be set once per play for every module that publishes records through the action group
    C(group/deliverability.ses.dns) in C(module_defaults) (not C(group/deliverability.ses.ses), whose defaults
    reach the SES-only modules too, which refuse them)."
  - DNS errors are reported with the DNS rcode (for example C(NXRRSET) when a prerequisite failed because
    of a concurrent change) or the exception class, and the server.
  - TXT values are compared as logical strings, split into 255-byte strings on write and joined on read;
    they are never split at commas.
  - Names may be given relative to O(zone), as C(@), or fully qualified (with or without the trailing dot).
requirements:
  - dnspython (for V(rfc2136) and reading a server)
  - boto3 (for V(route53))
"""
