# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this address worth sending to again? Syntax (RFC 5321/5322/6531) and "does the domain accept mail".

Used as the guard in front of every delisting. The syntax check is pure; the DNS check asks the
resolvers the operator names (through ``dns.resolve``), never the network layer of the controller by surprise.
"""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.dns import resolve
from ansible_collections.deliverability.ses.plugins.module_utils.errors import (
    DeliverabilityError, DnsCheckError, DnsError, InputError)
from ansible_collections.deliverability.ses.plugins.module_utils.names import split_email


# RFC 5322 atext. SES takes only 7-bit ASCII local parts (names.split_email refuses the rest first).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]"
_DOT_ATOM = re.compile(r"%s+(?:\.%s+)*" % (_ATEXT, _ATEXT))
# quoted-string: printable ASCII except \ and ", or a quoted pair
_QUOTED = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"')


def validate_email(value, option="email"):
    """The address as SES compares it (domain lower-cased, IDN to punycode, local part as given).

    Raises InputError naming ``option`` for anything SES would not accept as a destination.
    """
    local, domain = split_email(value, option)
    if not (_DOT_ATOM.fullmatch(local) or _QUOTED.fullmatch(local)):
        raise InputError(option, "%r is not a valid email address: the local part must be dot-atom text "
                                 "(letters, digits, !#$%%&'*+/=?^_`{|}~- separated by single dots) or a "
                                 "quoted string" % (value,))
    email = "%s@%s" % (local, domain)
    if len(email.encode("utf-8")) > 320:
        raise InputError(option, "%r is longer than 320 bytes" % (value,))
    return email


def parse_resolvers(values, option="resolvers"):
    """["192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53", "::1", "ns.example.net"] -> [(address, port)]."""
    return [resolve.split_server(value, option=option) for value in values or []]


def make_resolver(resolvers=None, timeout=5.0, option="resolvers"):
    """The check's resolver (:class:`dns.resolve.Resolver`, the collection's one DNS reader); each try of
    one server gets at most 2 s so a dead server does not use up the whole ``timeout``."""
    if not resolve.HAS_DNSPYTHON:
        raise DeliverabilityError("the DNS check needs dnspython: pip install dnspython (or set force=true)",
                                  exception=resolve.DNSPYTHON_IMPORT_ERROR)
    return resolve.Resolver(resolvers, timeout=timeout, option=option, attempt_timeout=min(timeout, 2.0))


def _answers(resolver, name, rtype):
    """(values, nxdomain) for one query; raises DnsCheckError when there is no definite answer."""
    try:
        rcode, values = resolver.query(name, rtype)
    except DnsError as exc:
        raise DnsCheckError("DNS lookup of %s %s gave no definite answer (%s)" % (name, rtype, exc.msg),
                            dns_error=exc.rcode)
    return values, rcode == "NXDOMAIN"


def domain_accepts_mail(domain, resolver):
    """RFC 5321 section 5.1: MX, or without MX the address records; a null MX (RFC 7505) means no mail.

    Returns {"accepts_mail": bool, "mx": [...], "addresses": [...], "detail": str}.
    """
    mx, nx = _answers(resolver, domain, "MX")
    if nx:
        return {"accepts_mail": False, "mx": [], "addresses": [], "detail": "%s does not exist (NXDOMAIN)" % domain}
    if mx:
        hosts = [v.split(None, 1)[1] if " " in v else v for v in mx]
        if all(h.strip() == "." for h in hosts):
            return {"accepts_mail": False, "mx": mx, "addresses": [],
                    "detail": "%s publishes a null MX (RFC 7505): it accepts no mail" % domain}
        return {"accepts_mail": True, "mx": sorted(mx), "addresses": [], "detail": "MX found"}
    addresses = []
    for rtype in ("A", "AAAA"):
        values = _answers(resolver, domain, rtype)[0]
        addresses.extend(values)
    if addresses:
        return {"accepts_mail": True, "mx": [], "addresses": sorted(addresses),
                "detail": "no MX; falls back to the address records (RFC 5321 5.1)"}
    return {"accepts_mail": False, "mx": [], "addresses": [],
            "detail": "%s has neither MX nor A/AAAA records" % domain}
