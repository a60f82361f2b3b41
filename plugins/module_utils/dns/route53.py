# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Route 53: ChangeResourceRecordSets batches, then GetChange until INSYNC."""

from __future__ import annotations

import random
import re
import time

from ansible_collections.deliverability.ses.plugins.module_utils.aws import (
    HAS_BOTO3, PIP_HINT, AwsError, InputError, call, paginate)
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import (
    DnsError, Provider, Record, fqdn, normalize_value, presentation)

BATCH = 100  # rrset changes per ChangeResourceRecordSets (AWS allows 1000 records / 32000 characters)


def decode_name(name):
    """Route 53 returns names with a dot and octal escapes (``\\052`` for ``*``)."""
    return fqdn(re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), name))


class Route53Provider(Provider):
    name = "route53"

    def __init__(self, zone, params, module=None):
        super().__init__(zone, params, module)
        if not HAS_BOTO3:
            raise DnsError("import boto3", "ImportError", "boto3 is required for provider=route53: " + PIP_HINT)
        self.client = module.client("route53")
        self.wait = params.get("wait", True)
        self.wait_timeout = float(params.get("wait_timeout") or 300)
        self.zone_id = params.get("hosted_zone_id") or self.find_zone()
        self.last_change = None

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

    def _read_name(self, name):
        """Every rrset at ``name`` (one listing call per name)."""
        out = {}
        params = dict(HostedZoneId=self.zone_id, StartRecordName=name + ".")
        for rrset in paginate(self.client, "ListResourceRecordSets", "ResourceRecordSets",
                              token_key="NextRecordIdentifier", request_token_key="StartRecordIdentifier",
                              **params):
            rname = decode_name(rrset["Name"])
            if rname != name:
                break
            if rrset.get("AliasTarget") or rrset.get("SetIdentifier"):
                continue  # alias and routing-policy records are not managed here
            rtype = rrset["Type"]
            try:
                values = [normalize_value(rtype, r["Value"]) for r in rrset.get("ResourceRecords", [])]
            except InputError:
                values = [r["Value"] for r in rrset.get("ResourceRecords", [])]
            out[(name, rtype)] = Record(name, rtype, values, rrset.get("TTL"))
        return out

    def read(self, keys):
        out = {}
        for name in sorted({k[0] for k in keys}):
            found = self._read_name(name)
            out.update({k: v for k, v in found.items() if k in keys})
        return out

    @staticmethod
    def _rrset(record):
        return {"Name": record.name + ".", "Type": record.type, "TTL": record.ttl,
                "ResourceRecords": [{"Value": presentation(record.type, v)} for v in record.values]}

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


PROVIDER = Route53Provider
