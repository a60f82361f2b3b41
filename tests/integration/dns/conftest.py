"""Fixtures for the DNS integration tests: a fresh BIND zone per test, provider arguments, Route 53 zones."""

from __future__ import annotations

import itertools
import os

import pytest

_counter = itertools.count(1)


@pytest.fixture
def zone(bind):
    """A fresh, empty zone on the session's BIND (so tests never see each other's records)."""
    name = "t%d-%d.test" % (os.getpid(), next(_counter))
    bind.add_zone(name)
    return name


@pytest.fixture
def rfc2136(bind, zone):
    """Module arguments for provider=rfc2136 against the fresh zone."""
    return {"provider": "rfc2136", "zone": zone, "server": bind.server, "key_name": bind.key_name,
            "key_secret": bind.key_secret}


@pytest.fixture
def r53_zone(sandbox):
    """A Route 53 hosted zone in the sandbox; returns (name, id)."""
    r53 = sandbox.boto3_client("route53")
    name = "r53-%d.test" % next(_counter)
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"].split("/")[-1]
    return name, zone_id


def r53_rrsets(sandbox, zone_id):
    r53 = sandbox.boto3_client("route53")
    out = {}
    for rr in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        out[(rr["Name"].rstrip(".").lower(), rr["Type"])] = sorted(r["Value"] for r in rr.get("ResourceRecords", []))
    return out
