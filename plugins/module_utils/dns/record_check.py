# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of an identity's records DNS does not show yet, to explain a wait that timed out.

SES only reports one DKIM status; this names the records still missing. DNS is read through
:mod:`dns.resolve` (the collection's one reader) and compared in :mod:`dns.rdata`'s canonical form.
dnspython is optional: without it every record is reported as unconfirmed.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import normalize_value
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import HAS_DNSPYTHON, Resolver


def missing_records(records, resolvers=None, timeout=2.0, option="resolvers"):
    """The records (dns_records shape) whose values DNS does not return; all of them without dnspython.

    ``resolvers`` are the servers to ask (``host``, ``host:port``, ``[v6]:port``, ``v6``), else the
    system's; a server that cannot answer counts as "not visible", a malformed one is the option's error.
    """
    if not HAS_DNSPYTHON:
        return list(records)
    try:
        resolver = Resolver(resolvers, timeout=timeout, option=option)
    except DnsError:
        return list(records)  # no system resolver: nothing can be confirmed
    missing = []
    for rec in records:
        try:
            got = set(resolver.lookup(rec["name"], rec["type"]))
        except DnsError:
            got = set()
        wanted = set(normalize_value(rec["type"], v) for v in rec["values"])
        if not wanted <= got:
            missing.append(rec)
    return missing


def describe(records):
    """'name TYPE value' for a message (long values shortened)."""
    parts = []
    for r in records:
        value = " ".join(r["values"])
        if len(value) > 60:
            value = value[:40] + "..."
        parts.append("%s %s %s" % (r["name"], r["type"], value))
    return "; ".join(parts)
