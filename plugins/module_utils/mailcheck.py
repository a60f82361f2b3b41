# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this address worth sending to again? Syntax (RFC 5321/5322/6531) and "does the domain accept mail".

Used as the guard in front of every delisting. The syntax check is pure; the DNS check asks the
resolvers the operator names (dnspython), never the network layer of the controller by surprise.
"""

from __future__ import annotations

import re
import socket
import traceback

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, DnsCheckError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.names import split_email
from ansible_collections.deliverability.ses.plugins.module_utils import validate

try:
    import dns.exception
    import dns.name
    import dns.nameserver
    import dns.rdatatype
    import dns.resolver
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised only without dnspython
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()

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
    """["192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53", "ns.example.net"] -> [(address, port)]."""
    out = []
    for value in values or []:
        text = validate.text(value, option, max_len=300)
        host, port = text, 53
        found = re.fullmatch(r"\[([^\]]+)\](?::(\d{1,5}))?", text)
        if found:
            host, port = found.group(1), int(found.group(2) or 53)
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
                raise InputError(option, "%r: the port after ':' must be a number" % text)
            port = int(port_text)
        if not host or not 0 < port < 65536:
            raise InputError(option, "%r is not host, host:port or [ipv6]:port" % text)
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError, ValueError):
            # a name, not an address: check it as a host name first (over-long or non-ASCII labels make
            # getaddrinfo raise UnicodeError, not gaierror), then resolve it
            try:
                ascii_host = validate.dns_name(host, option, relative=False).rstrip(".")
                infos = socket.getaddrinfo(ascii_host, port, 0, socket.SOCK_DGRAM)
            except (socket.gaierror, UnicodeError, ValueError) as exc:
                raise InputError(option, "cannot resolve the resolver name %r (%s)" % (host, exc))
        out.append((infos[0][4][0], port))
    return out


def make_resolver(resolvers=None, timeout=5.0):
    if not HAS_DNSPYTHON:
        raise DeliverabilityError("the DNS check needs dnspython: pip install dnspython (or set force=true)",
                                  exception=DNSPYTHON_IMPORT_ERROR)
    if resolvers:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [dns.nameserver.Do53Nameserver(addr, port) for addr, port in resolvers]
    else:
        res = dns.resolver.Resolver()
    res.lifetime = timeout
    res.timeout = min(timeout, 2.0)
    return res


def _answers(resolver, name, rtype):
    """(values, nxdomain) for one query; raises DnsCheckError when there is no definite answer."""
    try:
        ans = resolver.resolve(name, rtype, search=False)
        return [rd.to_text() for rd in ans], False
    except dns.resolver.NXDOMAIN:
        return [], True
    except dns.resolver.NoAnswer:
        return [], False
    except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
        raise DnsCheckError("DNS lookup of %s %s gave no definite answer (%s: %s)"
                            % (name, rtype, type(exc).__name__, exc), dns_error=type(exc).__name__)


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
