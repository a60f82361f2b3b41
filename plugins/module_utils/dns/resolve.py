# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading DNS as the world sees it: a resolver over given nameservers (host or host:port) or the
system's, and direct non-recursive queries to one authoritative server. Values come back canonical
(the same form as :mod:`dns.base`): TXT strings joined, names lower-case without the trailing dot."""

from __future__ import annotations

import os

import socket
import traceback

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_from_strings
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import DNS_PIP_HINT, DnsError, fqdn
from ansible_collections.deliverability.ses.plugins.module_utils import validate

try:
    import dns.exception
    import dns.flags
    import dns.inet
    import dns.message
    import dns.name
    import dns.nameserver
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the missing-library test
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()


def require_dnspython():
    if not HAS_DNSPYTHON:
        raise DnsError("import dnspython", "ImportError", "the dnspython library is missing: " + DNS_PIP_HINT)


def split_server(value, default_port=53, option="nameservers"):
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address -> (address, port); names resolved."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(option, "an empty nameserver")
    value = validate.text(value.strip(), option, max_len=300)
    if value.startswith("["):
        host, dummy, rest = value[1:].partition("]")
        port = rest.lstrip(":") or default_port
    elif value.count(":") == 1:
        host, dummy, port = value.partition(":")
    else:
        host, port = value, default_port
    try:
        if isinstance(port, str) and not (port.isascii() and port.isdigit() and len(port) <= 5):
            raise ValueError
        port = int(port)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise InputError(option, "%r: the port must be a number 1..65535" % value)
    if not dns.inet.is_address(host):
        # a name: checked first (over-long or non-ASCII labels make getaddrinfo raise UnicodeError)
        host = validate.dns_name(host, option, relative=False).rstrip(".")
        try:
            host = socket.getaddrinfo(host, port, proto=socket.IPPROTO_UDP)[0][4][0]
        except (socket.gaierror, IndexError, UnicodeError, ValueError) as exc:
            raise InputError(option, "%r: cannot resolve the nameserver's address (%s)" % (value, exc))
    return host, port


def values_of(rrset):
    rtype = dns.rdatatype.to_text(rrset.rdtype)
    out = []
    for rd in rrset:
        if rtype == "TXT":
            out.append(txt_from_strings(rd.strings))
        elif rtype in ("CNAME", "NS", "PTR"):
            out.append(fqdn(rd.target.to_text()))
        elif rtype == "MX":
            out.append("%d %s" % (rd.preference, fqdn(rd.exchange.to_text())))
        else:
            out.append(rd.to_text())
    return sorted(out)


class Resolver:
    """Recursive-style lookups through given nameservers (or the system resolver), with a cache."""

    def __init__(self, nameservers=None, timeout=5.0, option="nameservers"):
        require_dnspython()
        # DELIVERABILITY_SES_NAMESERVERS (host[:port], comma-separated): where lookups go when a task names no
        # nameservers - split-horizon DNS, or the sandbox's DNS server (README) - instead of the system resolver
        env = [s.strip() for s in os.environ.get("DELIVERABILITY_SES_NAMESERVERS", "").split(",") if s.strip()]
        self.nameservers = list(nameservers or env)
        if self.nameservers:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [dns.nameserver.Do53Nameserver(*split_server(s, option=option))
                                         for s in self.nameservers]
        else:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise DnsError("resolver", type(exc).__name__, "no system resolver: give nameservers")
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout
        self.cache = {}
        self.queries = 0

    def lookup(self, name, rtype):
        """Canonical values, [] for NXDOMAIN / no data; DnsError for anything else."""
        key = (fqdn(name), rtype)
        if key in self.cache:
            return self.cache[key]
        self.queries += 1
        try:
            answer = self.resolver.resolve(key[0] + ".", rtype, raise_on_no_answer=False)
            values = values_of(answer.rrset) if answer.rrset is not None else []
            # a CNAME chain answer for another type: only the final rrset counts
        except dns.resolver.NXDOMAIN:
            values = []
        except dns.resolver.NoNameservers as exc:
            raise DnsError("lookup %s %s" % (key[0], rtype), _rcode_of(exc), str(exc),
                           ", ".join(self.nameservers) or "system resolver")
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsError("lookup %s %s" % (key[0], rtype), type(exc).__name__, str(exc) or repr(exc),
                           ", ".join(self.nameservers) or "system resolver")
        self.cache[key] = values
        return values

    __call__ = lookup


def _rcode_of(exc):
    text = str(exc)
    for code in ("SERVFAIL", "REFUSED", "NOTAUTH", "FORMERR", "NOTIMP"):
        if code in text:
            return code
    return type(exc).__name__


def query_server(server, name, rtype, timeout=3.0):
    """Ask one server directly (no recursion): (rcode text, values, authoritative flag)."""
    require_dnspython()
    host, port = split_server(server) if isinstance(server, str) else server
    q = dns.message.make_query(fqdn(name) + ".", rtype)
    q.flags &= ~dns.flags.RD
    try:
        resp = dns.query.udp(q, host, port=port, timeout=timeout)
        if resp.flags & dns.flags.TC:
            resp = dns.query.tcp(q, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError) as exc:
        return type(exc).__name__, [], False
    rdtype = dns.rdatatype.from_text(rtype)
    values = []
    for rrset in resp.answer:
        if rrset.rdtype == rdtype:
            values.extend(values_of(rrset))
    return dns.rcode.to_text(resp.rcode()), sorted(values), bool(resp.flags & dns.flags.AA)
