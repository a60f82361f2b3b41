# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading DNS as the world sees it; the collection's only DNS reader.

A resolver over given servers (``host``, ``host:port``, ``[v6]:port``, a bare IPv6 address) or the
system's, and direct non-recursive queries to one authoritative server. Values come back canonical (the
form of :mod:`dns.rdata`): TXT strings joined, names lower-case without the trailing dot. Every module
that reads DNS (``record_check``, ``mailcheck``, ``dns.wait``, the SPF / DMARC lookups, ``email_auth_check``)
goes through here; providers read the zones they write themselves.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import traceback

from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_from_strings
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import DNS_PIP_HINT, DnsError, fqdn


def _skip_dns_over_https():
    """Nothing in this collection speaks DNS over HTTPS; without this, importing dns.query looks up the versions of
    httpx and h2 (importlib.metadata) and imports them: about 0.15 s of every module run that uses DNS. dnspython's
    switch is private (``dns._features``, 2.4 and later): where it is missing, nothing changes."""
    try:
        import dns._features
        if "doh" not in dns._features._cache:  # pylint: disable=protected-access
            dns._features.force("doh", False)
    except (ImportError, AttributeError):  # pragma: no cover - another dnspython
        pass


# The one dnspython import guard: every DNS module of the collection takes ``dns`` and HAS_DNSPYTHON from here
# (dns/rfc2136.py too), so a missing library is reported the same way everywhere (require_dnspython).
try:
    import dns.exception
    if "dns.query" not in sys.modules:
        _skip_dns_over_https()  # before dns.query is imported, which looks for the DoH libraries once
    import dns.flags
    import dns.message
    import dns.name
    import dns.nameserver
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdataset
    import dns.rdatatype
    import dns.resolver
    import dns.tsig
    import dns.tsigkeyring
    import dns.update
    import dns.xfr
    import dns.zone
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the missing-library test
    dns = None
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()


def require_dnspython():
    if not HAS_DNSPYTHON:
        raise DnsError("import dnspython", "ImportError", "the dnspython library is missing: " + DNS_PIP_HINT)


def split_server(value, default_port=53, option="resolvers"):
    """A server in the one grammar (:func:`validate.server_address`) -> (address, port), host names resolved once,
    here. An ``(address, port)`` pair is returned as it is."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return str(value[0]), int(value[1])
    host, port = validate.server_address(value, option, default_port)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    try:
        host = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0][4][0]
    except (socket.gaierror, IndexError, UnicodeError, ValueError) as exc:
        raise InputError(option, "cannot resolve the server name %r (%s)" % (host, exc))
    return host, port


server_text = validate.server_text


def values_of(rrset):
    rtype = dns.rdatatype.to_text(rrset.rdtype)
    out = []
    for rd in rrset:
        if rtype == "TXT":
            out.append(txt_from_strings(rd.strings))
        elif rtype in ("CNAME", "NS", "PTR"):
            out.append(fqdn(rd.target.to_text()) or ".")
        elif rtype == "MX":
            out.append("%d %s" % (rd.preference, fqdn(rd.exchange.to_text()) or "."))  # "0 ." is a null MX
        else:
            out.append(rd.to_text())
    return sorted(out)


class Resolver:
    """Recursive lookups through given servers (or the system resolver), with a cache.

    ``timeout`` bounds one lookup in all; ``attempt_timeout`` one try of one server (default the same),
    so a lower value moves on to the next server sooner.
    """

    def __init__(self, nameservers=None, timeout=5.0, option="resolvers", attempt_timeout=None):
        require_dnspython()
        # DELIVERABILITY_SES_NAMESERVERS (host[:port], comma-separated): where lookups go when a task names no
        # resolvers - split-horizon DNS, or the sandbox's DNS server (README) - instead of the system resolver
        env = [s.strip() for s in os.environ.get("DELIVERABILITY_SES_NAMESERVERS", "").split(",") if s.strip()]
        self.servers = [split_server(s, option=option) for s in (nameservers or env)]
        self.nameservers = [server_text(*s) for s in self.servers]
        if self.servers:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [dns.nameserver.Do53Nameserver(addr, port) for addr, port in self.servers]
        else:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise DnsError("resolver", type(exc).__name__, "no system resolver: give %s" % option)
        self.resolver.lifetime = timeout
        self.resolver.timeout = attempt_timeout or timeout
        self.cache = {}
        self.queries = 0

    def query(self, name, rtype):
        """(``NOERROR`` or ``NXDOMAIN``, canonical values); DnsError when there is no definite answer
        (SERVFAIL, REFUSED, timeout): that is neither "exists" nor "does not exist"."""
        key = (fqdn(name), rtype)
        if key in self.cache:
            return self.cache[key]
        self.queries += 1
        where = ", ".join(self.nameservers) or "system resolver"
        try:
            answer = self.resolver.resolve(key[0] + ".", rtype, raise_on_no_answer=False, search=False)
            # a CNAME chain answer for another type: only the final rrset counts
            found = ("NOERROR", values_of(answer.rrset) if answer.rrset is not None else [])
        except dns.resolver.NXDOMAIN:
            found = ("NXDOMAIN", [])
        except dns.resolver.NoNameservers as exc:
            raise DnsError("lookup %s %s" % (key[0], rtype), _rcode_of(exc), str(exc), where)
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsError("lookup %s %s" % (key[0], rtype), type(exc).__name__, str(exc) or repr(exc), where)
        self.cache[key] = found
        return found

    def lookup(self, name, rtype):
        """Canonical values, [] for NXDOMAIN / no data; DnsError for anything else."""
        return self.query(name, rtype)[1]

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
