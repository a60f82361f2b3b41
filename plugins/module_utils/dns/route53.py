# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Route 53: ChangeResourceRecordSets batches, then GetChange until INSYNC."""

from __future__ import annotations

import random
import re
import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import HAS_BOTO3, PIP_HINT, call, paginate
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_unquote
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import (
    DnsError, Provider, Record, fqdn, normalize_value)

LIST_THRESHOLD = 8  # more names than this: list the whole zone instead of one listing per name
BATCH = 100  # rrset changes per ChangeResourceRecordSets (AWS allows 1000 records / 32000 characters)


def decode_name(name):
    """Route 53 returns names with a dot and octal escapes (``\\052`` for ``*``)."""
    return fqdn(re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), name))


def _option(params, name, old_name, default):
    """A Route 53 wait option by its name, or by the name it had before (scripts and fleet specs that build
    params by hand); modules map the old name through a deprecated alias already."""
    value = params.get(name)
    if value is None:
        value = params.get(old_name)
    return default if value is None else value


class Route53Provider(Provider):
    name = "route53"
    write_operation = "ChangeResourceRecordSets"

    @classmethod
    def directory(cls, params, zones, clients):
        """{zone: hosted zone id} of the whole account in one paginated listing, when zones are found by name."""
        if params.get("hosted_zone_id") or not zones:
            return None
        return hosted_zone_ids(clients("route53"), params.get("private_zone"))

    def __init__(self, zone, params, clients=None):
        super().__init__(zone, params, clients)
        if not HAS_BOTO3:
            raise DnsError("import boto3", "ImportError", "boto3 is required for provider=route53: " + PIP_HINT)
        if clients is None:
            raise InputError("provider", "route53 needs AWS clients (a client factory) to be given")
        self.client = clients("route53")
        self.wait = _option(params, "dns_wait", "wait", True)
        self.wait_timeout = float(_option(params, "dns_wait_timeout", "wait_timeout", None) or 300)
        self.zone_id = params.get("hosted_zone_id") or self.zone_from(params.get("_directory")) or self.find_zone()
        self.last_change = None

    def zone_from(self, directory):
        """The zone id from a prefetched :meth:`directory` (None: not prefetched, so look it up)."""
        if directory is None:
            return None
        if directory.get(self.zone) is None:
            raise InputError("zone", "no single Route 53 hosted zone named %s in this account%s"
                             % (self.zone, " (several have that name: set hosted_zone_id)" if self.zone in directory else ""))
        return directory[self.zone]

    def find_zone(self):
        out = call(self.client, "ListHostedZonesByName", DNSName=self.zone + ".", MaxItems="100")
        found = [z for z in out.get("HostedZones", []) if fqdn(z["Name"]) == self.zone]
        private = self.params.get("private_zone")
        if private is not None:
            found = [z for z in found if bool(z.get("Config", {}).get("PrivateZone")) == private]
        if not found:
            raise InputError("zone", "no Route 53 hosted zone named %s in this account" % self.zone)
        if len(found) > 1:
            raise InputError("zone", "%d hosted zones are named %s (%s): set hosted_zone_id"
                             % (len(found), self.zone, ", ".join(z["Id"].split("/")[-1] for z in found)))
        return found[0]["Id"].split("/")[-1]

    def _list(self, name=None):
        """rrsets of the zone from ``name`` on (all of them without), page by page; with ``name``, only those
        at that name (Route 53 lists in name order, so the listing stops at the first other name)."""
        out = {}
        params = dict(HostedZoneId=self.zone_id, MaxItems="300")
        if name:
            params["StartRecordName"] = name + "."
        while True:
            page = call(self.client, "ListResourceRecordSets", **params)
            for rrset in page.get("ResourceRecordSets", []):
                rname = decode_name(rrset["Name"])
                if name and rname != name:
                    return out
                if rrset.get("AliasTarget") or rrset.get("SetIdentifier"):
                    continue  # alias and routing-policy records are not managed here
                rtype = rrset["Type"]
                raw = [r["Value"] for r in rrset.get("ResourceRecords", [])]
                try:
                    # Route 53 writes TXT escapes in octal (\ooo), not RFC 1035's decimal
                    values = [txt_unquote(v, octal=True) if rtype == "TXT" else normalize_value(rtype, v) for v in raw]
                except InputError:
                    values = raw
                out[(rname, rtype)] = Record(rname, rtype, values, rrset.get("TTL"), raw=raw)
            if not page.get("IsTruncated") or (name and decode_name(page.get("NextRecordName", "")) != name):
                return out
            params["StartRecordName"] = page["NextRecordName"]
            params["StartRecordType"] = page["NextRecordType"]
            if page.get("NextRecordIdentifier"):
                params["StartRecordIdentifier"] = page["NextRecordIdentifier"]
            else:
                params.pop("StartRecordIdentifier", None)

    def read_zone(self):
        """Every rrset of the hosted zone but SOA / NS, by one paginated listing (300 rrsets a page), values kept
        as Route 53 holds them (a DELETE must match them exactly)."""
        return dict((k, v) for k, v in self._list().items() if k[1] not in ("SOA", "NS"))

    def read(self, keys):
        """Few names: one listing from each name; more than LIST_THRESHOLD: the whole zone, 300 rrsets a call."""
        keys = set(keys)
        names = sorted({k[0] for k in keys})
        found = {}
        if len(names) > LIST_THRESHOLD:
            found = self._list()
        else:
            for name in names:
                found.update(self._list(name))
        return dict((k, v) for k, v in found.items() if k in keys)

    @staticmethod
    def _rrset(record):
        return {"Name": record.name + ".", "Type": record.type, "TTL": record.ttl,
                "ResourceRecords": [{"Value": v} for v in record.presentations(octal=True)]}

    def apply(self, changes):
        """DELETE exactly what was read + CREATE the new rrset, so a concurrent change fails the batch."""
        items = []
        for c in changes:
            group = []
            if c.before is not None:
                group.append({"Action": "DELETE", "ResourceRecordSet": self._rrset(c.before)})
            if c.after is not None:
                group.append({"Action": "CREATE", "ResourceRecordSet": self._rrset(c.after)})
            items.append(group)
        change_ids = []
        self.submitted = 0  # changes accepted by Route 53 so far (reported if a later call fails)
        for start in range(0, len(items), BATCH):
            batch = [a for group in items[start:start + BATCH] for a in group]
            try:
                out = call(self.client, "ChangeResourceRecordSets", HostedZoneId=self.zone_id,
                           ChangeBatch={"Comment": "deliverability.ses", "Changes": batch})
            except AwsError as exc:
                if exc.code == "InvalidChangeBatch":
                    exc.msg += " (an rrset changed since it was read, or a value was refused; batch not applied)"
                raise
            change_ids.append(out["ChangeInfo"]["Id"].split("/")[-1])
            self.submitted = min(start + BATCH, len(items))
        if self.wait:
            for change_id in change_ids:
                self.wait_insync(change_id)
        self.last_change = change_ids

    def wait_insync(self, change_id, sleep=time.sleep):
        deadline = time.monotonic() + self.wait_timeout
        attempt = 0
        while True:
            status = call(self.client, "GetChange", Id=change_id)["ChangeInfo"]["Status"]
            if status == "INSYNC":
                return
            if time.monotonic() >= deadline:
                raise DnsError("GetChange %s" % change_id, status,
                               "not INSYNC after %ss (the change was submitted)" % self.wait_timeout)
            delay = random.uniform(0.5, min(10.0, 1.0 * (2 ** attempt)))
            attempt += 1
            sleep(min(delay, max(0.0, deadline - time.monotonic())))


def hosted_zone_ids(client, private_zone=None):
    """{zone name: hosted zone id} of the account by one paginated ListHostedZones; a name held by several
    hosted zones maps to None (the caller must then be told to give hosted_zone_id)."""
    out = {}
    for zone in paginate(client, "ListHostedZones", "HostedZones", token_key="NextMarker", request_token_key="Marker"):
        if private_zone is not None and bool(zone.get("Config", {}).get("PrivateZone")) != private_zone:
            continue
        name = fqdn(zone["Name"])
        out[name] = None if name in out else zone["Id"].split("/")[-1]
    return out


def enclosing_zone(client, name, private_zone=None):
    """(zone name, hosted zone id) of the closest hosted zone holding ``name``: ``news.example.com`` is found in
    ``example.com`` when the account has no ``news.example.com`` zone. One paginated ListHostedZones."""
    zones = hosted_zone_ids(client, private_zone)
    labels = fqdn(name).split(".")
    candidates = [".".join(labels[i:]) for i in range(max(len(labels) - 1, 1))]
    for cand in candidates:
        if cand in zones:
            if zones[cand] is None:
                raise InputError("hosted_zone_id", "several hosted zones are named %s: set hosted_zone_id" % cand)
            return cand, zones[cand]
    raise InputError("zone", "no Route 53 hosted zone in this account holds %s (looked for %s)"
                     % (fqdn(name), ", ".join(candidates)))


PROVIDER = Route53Provider
