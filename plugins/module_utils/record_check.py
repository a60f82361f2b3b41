# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of an identity's records DNS does not show yet, to explain a wait that timed out.

SES only reports one DKIM status; this names the records still missing. dnspython is optional: without
it every record is reported as unconfirmed.
"""

from __future__ import annotations

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.query
    import dns.rdatatype
    import dns.resolver
    HAS_DNSPYTHON = True
except ImportError:  # pragma: no cover - depends on the host
    HAS_DNSPYTHON = False


def _norm(name):
    return name.rstrip(".").lower()


def _answers(name, rtype, nameservers, timeout):
    """Values as comparable strings: CNAME/MX targets lower-case without dot, TXT strings concatenated."""
    rdtype = dns.rdatatype.from_text(rtype)
    rdatas = []
    if nameservers:
        for server in nameservers:
            host, dummy, port = server.partition(":")
            try:
                query = dns.message.make_query(name, rdtype)
                resp = dns.query.udp(query, host, port=int(port or 53), timeout=timeout)
                if resp.flags & dns.flags.TC:
                    resp = dns.query.tcp(query, host, port=int(port or 53), timeout=timeout)
            except (dns.exception.DNSException, OSError, ValueError):
                continue
            for rrset in resp.answer:
                if rrset.rdtype == rdtype:
                    rdatas.extend(rrset)
            if rdatas:
                break
    else:
        try:
            rdatas = list(dns.resolver.resolve(name, rdtype, lifetime=timeout))
        except (dns.exception.DNSException, OSError):
            rdatas = []
    out = []
    for rd in rdatas:
        if rtype == "TXT":
            out.append(b"".join(rd.strings).decode("utf-8", "replace"))
        elif rtype == "MX":
            out.append("%d %s" % (rd.preference, _norm(rd.exchange.to_text())))
        else:
            out.append(_norm(rd.to_text()))
    return out


def _wanted(rec):
    if rec["type"] == "TXT":
        return list(rec["value"])
    if rec["type"] == "MX":
        out = []
        for v in rec["value"]:
            pref, dummy, host = v.partition(" ")
            out.append("%s %s" % (pref, _norm(host)))
        return out
    return [_norm(v) for v in rec["value"]]


def missing_records(records, nameservers=None, timeout=2.0):
    """The records (dns_records shape) whose values DNS does not return; all of them without dnspython."""
    if not HAS_DNSPYTHON:
        return list(records)
    missing = []
    for rec in records:
        got = _answers(rec["name"], rec["type"], nameservers, timeout)
        if rec["type"] == "TXT":
            got = [g.replace(" ", "") for g in got]
            wanted = [w.replace(" ", "") for w in _wanted(rec)]
        else:
            wanted = _wanted(rec)
        if not all(w in got for w in wanted):
            missing.append(rec)
    return missing


def describe(records):
    """'name TYPE value' for a message (TXT strings joined, long values shortened)."""
    parts = []
    for r in records:
        value = " ".join(r["value"])
        if len(value) > 60:
            value = value[:40] + "..."
        parts.append("%s %s %s" % (r["name"], r["type"], value))
    return "; ".join(parts)
