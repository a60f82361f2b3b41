# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RFC 2136 dynamic update with TSIG (dnspython), reads by TCP queries to the same server."""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_from_strings
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import (
    DnsError, Provider, Record, fqdn, normalize_value)
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import (  # the one dnspython guard
    dns, require_dnspython, server_text, split_server)

ZONE_SKIP_TYPES = ("SOA", "RRSIG", "NSEC", "NSEC3", "DNSKEY", "NSEC3PARAM")
AXFR_THRESHOLD = 8  # reading more rrsets than this: one zone transfer instead of a query each
MESSAGE_BUDGET = 48000  # bytes of record data per UPDATE, well below the 65535-byte message limit
KEY_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5")


def rdata_values(rdtype_text, rrset):
    """Canonical values of a dnspython rrset."""
    out = []
    for rd in rrset:
        if rdtype_text == "TXT":
            out.append(txt_from_strings(rd.strings))
        else:
            out.append(normalize_value(rdtype_text, rd.to_text()))
    return out


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]*")


def owner_text(name):
    """``fqdn(name.to_text())`` of an absolute dnspython name; names of letters, digits, hyphens and underscores
    (nothing dnspython would escape) without its per-character escaping, which was a third of a zone transfer's
    conversion."""
    try:
        text = b".".join(name.labels).decode("ascii")
    except UnicodeDecodeError:
        text = None
    if text is None or not _PLAIN_NAME.fullmatch(text) or text.count(".") != len(name.labels) - 1:  # a dot in a label
        return fqdn(name.to_text())
    return fqdn(text)


class Rfc2136Provider(Provider):
    name = "rfc2136"
    write_operation = "UPDATE"

    def __init__(self, zone, params, clients=None):
        super().__init__(zone, params, clients)
        require_dnspython()
        if not params.get("server"):
            raise InputError("server", "is required with provider=rfc2136")
        self.host, self.port = split_server(params["server"], params.get("port") or 53, option="server")
        if params.get("port"):
            self.port = params["port"]
        self.timeout = float(params.get("dns_timeout") or 10)
        self.keyring = None
        self.keyalgorithm = None
        if params.get("key_name"):
            if not params.get("key_secret"):
                raise InputError("key_secret", "is required with key_name")
            algorithm = (params.get("key_algorithm") or "hmac-sha256").lower()
            if algorithm not in KEY_ALGORITHMS:
                raise InputError("key_algorithm", "%r is not one of %s" % (algorithm, ", ".join(KEY_ALGORITHMS)))
            try:
                self.keyring = dns.tsigkeyring.from_text({params["key_name"]: params["key_secret"]})
            except Exception as exc:  # noqa: BLE001 - binascii errors for a bad secret
                raise InputError("key_secret", "is not a base64 TSIG secret (%s)" % type(exc).__name__)
            self.keyalgorithm = dns.name.from_text(algorithm)
        self.server_text = server_text(self.host, self.port)

    def _send(self, operation, message):
        try:
            return dns.query.tcp(message, self.host, port=self.port, timeout=self.timeout)
        except dns.tsig.PeerError as exc:
            raise DnsError(operation, type(exc).__name__, "TSIG rejected by the server (%s): check key_name, "
                           "key_secret and key_algorithm" % exc, self.server_text)
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsError(operation, type(exc).__name__, str(exc) or repr(exc), self.server_text)

    def query(self, name, rtype):
        """The rrset the server holds for name/rtype as a Record, or None."""
        q = dns.message.make_query(name + ".", rtype)
        q.flags &= ~dns.flags.RD
        if self.keyring:
            q.use_tsig(self.keyring, keyname=self.params["key_name"], algorithm=self.keyalgorithm)
        resp = self._send("query %s %s" % (name, rtype), q)
        rcode = resp.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return None
        if rcode != dns.rcode.NOERROR:
            raise DnsError("query %s %s" % (name, rtype), dns.rcode.to_text(rcode), "the server refused the read",
                           self.server_text)
        rdtype = dns.rdatatype.from_text(rtype)
        for rrset in resp.answer:
            if rrset.rdtype == rdtype and rrset.name == dns.name.from_text(name + "."):
                return Record(name, rtype, rdata_values(rtype, rrset), rrset.ttl,
                              raw=[rd.to_text() for rd in rrset])
        return None

    def enclosing_zone(self, name):
        """The zone on this server that holds ``name`` (walking up: ``news.example.com`` -> ``example.com``),
        from one SOA query: the SOA comes back as the answer at a zone apex, else in the authority section."""
        q = dns.message.make_query(fqdn(name) + ".", "SOA")
        q.flags &= ~dns.flags.RD
        if self.keyring:
            q.use_tsig(self.keyring, keyname=self.params["key_name"], algorithm=self.keyalgorithm)
        resp = self._send("query %s SOA" % fqdn(name), q)
        rcode = resp.rcode()
        if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            for rrset in list(resp.answer) + list(resp.authority):
                if rrset.rdtype == dns.rdatatype.SOA and fqdn(name).endswith(fqdn(rrset.name.to_text())):
                    return fqdn(rrset.name.to_text())
        raise InputError("zone", "the server %s serves no zone holding %s (%s)"
                         % (self.server_text, fqdn(name), dns.rcode.to_text(rcode)))

    def read(self, keys):
        """Many rrsets: one zone transfer (AXFR, TSIG-signed); few, or AXFR refused: one query each."""
        keys = list(keys)
        if len(keys) > AXFR_THRESHOLD:
            zone = self.transfer()
            if zone is not None:
                return dict((k, zone[k]) for k in keys if k in zone)
        out = {}
        for name, rtype in keys:
            rec = self.query(name, rtype)
            if rec is not None:
                out[(name, rtype)] = rec
        return out

    def transfer(self):
        """Every rrset of the zone by one AXFR (TSIG-signed when a key is given), values kept as read, or None
        when the server refuses transfers (REFUSED / NOTAUTH); other failures raise DnsError."""
        try:
            xfr = dns.query.xfr(self.host, self.zone + ".", port=self.port, timeout=self.timeout, relativize=False,
                                lifetime=max(self.timeout * 6, 60.0), keyring=self.keyring,
                                keyname=self.params.get("key_name") if self.keyring else None,
                                keyalgorithm=self.keyalgorithm or dns.tsig.default_algorithm)
            # the rrsets straight from the messages (dnspython's xfr checks each one: TSIG, rcode, the SOA that
            # opens and closes the transfer); no dns.zone.Zone is built, which cost a third of the transfer's CPU
            rrsets = {}
            for message in xfr:
                for rrset in message.answer:
                    key = (rrset.name, rrset.rdtype)
                    if key in rrsets:
                        rrsets[key].union_update(rrset)  # one rrset split over messages: one set, the lower TTL
                    else:
                        rrsets[key] = rrset
        except dns.tsig.PeerError as exc:
            raise DnsError("AXFR %s" % self.zone, type(exc).__name__, "TSIG rejected by the server (%s): check "
                           "key_name, key_secret and key_algorithm" % exc, self.server_text)
        except dns.xfr.TransferError as exc:
            if exc.rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
                return None  # transfers not allowed: the caller reads rrset by rrset
            raise DnsError("AXFR %s" % self.zone, dns.rcode.to_text(exc.rcode), str(exc), self.server_text)
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise DnsError("AXFR %s" % self.zone, type(exc).__name__, str(exc) or repr(exc), self.server_text)
        out = {}
        types = {}
        for (name, rdtype), rdataset in rrsets.items():
            rtype = types.get(rdtype)
            if rtype is None:
                rtype = types[rdtype] = dns.rdatatype.to_text(rdtype)
            fq = owner_text(name)
            # raw: the rdata as the server holds it, so prerequisites match a TXT split at other boundaries
            raw = [rd.to_text() for rd in rdataset]
            values = rdata_values(rtype, rdataset) if rtype == "TXT" else [normalize_value(rtype, t) for t in raw]
            out[(fq, rtype)] = Record(fq, rtype, values, rdataset.ttl, raw=raw)
        self.transfers = getattr(self, "transfers", 0) + 1
        return out

    def read_zone(self):
        """The zone's rrsets for planning (SOA and DNSSEC records left out), or None without AXFR."""
        zone = self.transfer()
        if zone is None:
            return None
        return dict((k, v) for k, v in zone.items() if k[1] not in ZONE_SKIP_TYPES)

    def _rdataset(self, record, ttl=None):
        texts = record.presentations()
        return dns.rdataset.from_text("IN", record.type, record.ttl if ttl is None else ttl, *texts)

    def _message(self, changes):
        """One UPDATE: a prerequisite per rrset (exactly as read, or absent), then the changes."""
        upd = dns.update.UpdateMessage(self.zone + ".", keyring=self.keyring,
                                       keyname=self.params.get("key_name"), keyalgorithm=self.keyalgorithm)
        for c in changes:
            name = dns.name.from_text(c.key[0] + ".")
            if c.before is None:
                upd.absent(name, c.key[1])
            else:
                upd.present(name, self._rdataset(c.before, ttl=0))  # RFC 2136 2.4.2: TTL 0
        for c in changes:
            name = dns.name.from_text(c.key[0] + ".")
            if c.after is None:
                upd.delete(name, c.key[1])
            elif c.before is None:
                upd.add(name, self._rdataset(c.after))
            else:
                upd.replace(name, self._rdataset(c.after))
        return upd

    def _groups(self, changes):
        """Changes in groups whose UPDATE fits a DNS message (64 KiB); each group is atomic on its own."""
        groups, current, size = [], [], 0
        for c in changes:
            weight = 64 + 3 * len(c.key[0]) + sum(len(v) + 16 for r in (c.before, c.after) if r
                                                  for v in r.presentations())
            if current and size + weight > MESSAGE_BUDGET:
                groups.append(current)
                current, size = [], 0
            current.append(c)
            size += weight
        if current:
            groups.append(current)
        return groups

    def apply(self, changes):
        """UPDATE messages with prerequisites, so a concurrent change makes the update fail, not clobber."""
        self.messages = 0
        for group in self._groups(changes):
            upd = self._message(group)
            try:
                upd.to_wire()
            except dns.exception.TooBig:
                if len(group) == 1:
                    raise DnsError("UPDATE %s" % self.zone, "TooBig", "the change of %s %s does not fit one DNS "
                                   "message" % group[0].key, self.server_text)
                half = len(group) // 2
                self.apply(group[:half])
                self.apply(group[half:])
                continue
            resp = self._send("UPDATE %s" % self.zone, upd)
            self.messages += 1
            rcode = resp.rcode()
            if rcode != dns.rcode.NOERROR:
                hint = {
                    dns.rcode.NXRRSET: "an rrset changed since it was read (a concurrent change); this update was "
                                       "not applied",
                    dns.rcode.YXRRSET: "an rrset appeared since it was read (a concurrent change); this update was "
                                       "not applied",
                    dns.rcode.REFUSED: "the server refused the update: check allow-update and the TSIG key",
                    dns.rcode.NOTAUTH: "the server is not authoritative for the zone, or the TSIG key is wrong",
                    dns.rcode.NOTZONE: "a name is outside the zone",
                }.get(rcode, "the update was not applied")
                raise DnsError("UPDATE %s" % self.zone, dns.rcode.to_text(rcode), hint, self.server_text)


PROVIDER = Rfc2136Provider
