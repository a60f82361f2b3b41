# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # The one name for "the DNS servers this module reads through"; every module that reads DNS takes it.
    DOCUMENTATION = r"""
options:
  resolvers:
    description:
      - Recursive DNS servers this module reads DNS through (lookups beyond the records it writes, for example
        SPF includes, DMARC report authorisations, or the records still missing when a wait times out).
      - Each as C(host), C(host:port), an IPv6 address (C(::1)) or C([v6]:port) (C([::1]:5353)); host names
        are resolved once.
      - By default the system resolver; a module that writes DNS with C(provider=rfc2136) or C(provider=none) and
        a C(server) reads through that server instead.
      - M(deliverability.ses.spf), M(deliverability.ses.dmarc) and M(deliverability.ses.domain_policy) take the
        environment variable E(DELIVERABILITY_SES_NAMESERVERS) (comma-separated) when this is not given.
    type: list
    elements: str
    aliases: [nameservers]
"""
