"""How the sandbox sees DNS: its own Route 53 zones, then any DNS servers it is pointed at."""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from moto.route53.models import route53_backends


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


def _unquote_txt(value: str) -> str:
    # zone-file TXT presentation: "part one" "part two" -> concatenated
    parts, cur, inq, esc = [], "", False, False
    for ch in value:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            if inq:
                parts.append(cur)
                cur = ""
            inq = not inq
        elif inq:
            cur += ch
    if not parts and not inq:
        return value
    return "".join(parts)


class Resolver:
    def __init__(self, account_id: str, servers=None, timeout: float = 1.0):
        self.account_id = account_id
        self.servers = list(servers or [])  # ["127.0.0.1:5353", ...]
        self.timeout = timeout

    def lookup(self, name: str, rtype: str) -> list[str]:
        """Values of name/rtype: CNAME/MX targets lower-case without dot; TXT strings concatenated."""
        name = _norm(name)
        values = self._route53(name, rtype)
        if values:
            return values
        for server in self.servers:
            values = self._query(server, name, rtype)
            if values:
                return values
        return []

    def probe(self, name: str, rtype: str) -> tuple[str, list[str]]:
        """(outcome, values) as a verifier sees them: outcome is ``ok``, ``nxdomain`` (no such name),
        ``nodata`` (the name exists, not this type) or ``error`` (the DNS servers did not answer)."""
        name = _norm(name)
        zone_found, name_found, values = self._route53_probe(name, rtype)
        if values:
            return "ok", values
        if zone_found:
            return ("nodata" if name_found else "nxdomain"), []
        outcome = "nxdomain"
        for server in self.servers:
            rcode, values = self._query_rcode(server, name, rtype)
            if values:
                return "ok", values
            if rcode == "NOERROR":
                return "nodata", []
            if rcode == "NXDOMAIN":
                outcome = "nxdomain"
                break
            outcome = "error"
        return outcome, []

    def soa(self, name: str) -> dict | None:
        """The SOA of the zone holding ``name`` (walks up the labels): PrimaryNameServer, AdminEmail, SerialNumber."""
        labels = _norm(name).split(".")
        for i in range(len(labels) - 1):
            values = self.lookup(".".join(labels[i:]), "SOA")
            if values:
                parts = values[0].split()
                if len(parts) >= 3:
                    admin = parts[1].rstrip(".")
                    admin = admin.replace(".", "@", 1) if "@" not in admin else admin
                    return {"PrimaryNameServer": parts[0].rstrip("."), "AdminEmail": admin,
                            "SerialNumber": int(parts[2])}
        return None

    def _route53_probe(self, name: str, rtype: str):
        zone_found = name_found = False
        out = []
        try:
            backend = route53_backends[self.account_id]["global"]
        except Exception:  # noqa: BLE001
            return zone_found, name_found, out
        for zone in list(backend.zones.values()):
            zname = _norm(zone.name)
            if not (name == zname or name.endswith("." + zname)):
                continue
            zone_found = True
            for rrset in list(zone.rrsets):
                if _norm(rrset.name) == name:
                    name_found = True
                    if rrset.type == rtype:
                        out.extend(self._norm_value(rtype, rec) for rec in rrset.records or [])
        return zone_found, name_found, out

    def _query_rcode(self, server: str, name: str, rtype: str) -> tuple[str, list[str]]:
        host, _, port = server.partition(":")
        try:
            q = dns.message.make_query(name, rtype)
            resp = dns.query.udp(q, host, port=int(port or 53), timeout=self.timeout)
            if resp.flags & dns.flags.TC:
                resp = dns.query.tcp(q, host, port=int(port or 53), timeout=self.timeout)
        except (dns.exception.DNSException, OSError):
            return "TIMEOUT", []
        values = []
        for rrset in resp.answer:
            if rrset.rdtype == dns.rdatatype.from_text(rtype):
                values.extend(b"".join(rd.strings).decode("utf-8", "replace") if rtype == "TXT"
                              else self._norm_value(rtype, rd.to_text()) for rd in rrset)
        return dns.rcode.to_text(resp.rcode()), values

    def _route53(self, name: str, rtype: str) -> list[str]:
        out = []
        try:
            backend = route53_backends[self.account_id]["global"]
        except Exception:  # noqa: BLE001
            return out
        for zone in list(backend.zones.values()):
            zname = _norm(zone.name)
            if not (name == zname or name.endswith("." + zname)):
                continue
            for rrset in list(zone.rrsets):
                if _norm(rrset.name) == name and rrset.type == rtype:
                    for rec in rrset.records or []:
                        out.append(self._norm_value(rtype, rec))
        return out

    def _query(self, server: str, name: str, rtype: str) -> list[str]:
        host, _, port = server.partition(":")
        try:
            q = dns.message.make_query(name, rtype)
            resp = dns.query.udp(q, host, port=int(port or 53), timeout=self.timeout)
            if resp.flags & dns.flags.TC:
                resp = dns.query.tcp(q, host, port=int(port or 53), timeout=self.timeout)
        except (dns.exception.DNSException, OSError):
            return []
        out = []
        for rrset in resp.answer:
            if rrset.rdtype != dns.rdatatype.from_text(rtype):
                continue
            for rd in rrset:
                if rtype == "TXT":
                    out.append(b"".join(rd.strings).decode("utf-8", "replace"))
                else:
                    out.append(self._norm_value(rtype, rd.to_text()))
        return out

    @staticmethod
    def _norm_value(rtype: str, value) -> str:
        if isinstance(value, dict):  # moto keeps some records (its own SOA / NS) as {"Value": ...}
            value = value.get("Value", "")
        if rtype == "TXT":
            return _unquote_txt(value)
        if rtype == "MX":
            pref, _, host = value.strip().partition(" ")
            return "%s %s" % (pref, _norm(host.strip()))
        return _norm(value.strip())

