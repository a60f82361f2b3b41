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


AMAZONSES_SPF = ("v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20 "
                 "ip4:23.249.208.0/20 ip4:23.251.224.0/19 ip4:76.223.176.0/20 ip4:54.240.64.0/19 "
                 "ip4:54.240.96.0/19 ip4:52.82.172.0/22 -all")


def publish(bind, zone, records):
    """Put test data into a BIND zone directly (dnspython + TSIG): records = [(name, type, value), ...]."""
    import dns.query
    import dns.tsigkeyring
    import dns.update

    from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import presentation
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm="hmac-sha256")
    for name, rtype, value in records:
        upd.add(name.rstrip(".") + ".", 300, rtype, presentation(rtype, value) if rtype == "TXT" else value)
    resp = dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)
    assert resp.rcode() == 0, resp


@pytest.fixture(scope="session")
def amazonses(bind):
    """amazonses.com served by the BIND with SES's real (ip4-only) SPF, so include:amazonses.com resolves."""
    if "amazonses.com" not in bind.zones:
        bind.add_zone("amazonses.com")
        publish(bind, "amazonses.com", [("amazonses.com", "TXT", AMAZONSES_SPF)])
    return "amazonses.com"
