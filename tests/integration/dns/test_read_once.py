"""Plan and apply from the same read (issue 21, D3): a TXT value that appears at the apex (or at _dmarc) while
spf / dmarc make their lookups - between the read they plan from and the write - is never deleted. The providers'
preconditions (RFC 2136 prerequisites, Route 53's exact DELETE) hold the rrset as it was read: the write is
refused and says so, and the value is still there, read back from BIND and from Route 53 with boto3."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import spf_dmarc
from tests.fixtures.dns_zones import publish, r53_rrsets

pytestmark = pytest.mark.bind

ADDED = "google-site-verification=added-while-planning"


def _txt(bind, name):
    return sorted(v.replace('" "', "").strip('"') for v in bind.query(name, "TXT"))


def _hook_lookups(monkeypatch, concurrent_change):
    """The SPF include lookups / report authorisation lookups run the concurrent change once, then go on."""
    fired = []

    def wrap(resolver_factory):
        def factory(params):
            resolver = resolver_factory(params)
            real = resolver.lookup

            def lookup(name, rtype):
                if not fired:
                    fired.append(name)
                    concurrent_change()
                return real(name, rtype)
            resolver.lookup = lookup
            return resolver
        return factory
    monkeypatch.setattr(spf_dmarc, "lookup_resolver", wrap(spf_dmarc.lookup_resolver))
    return fired


def test_rfc2136_spf_keeps_a_value_added_between_read_and_write(module_main, monkeypatch, bind, zone, rfc2136,
                                                                 amazonses):
    publish(bind, zone, [(zone, "TXT", "v=spf1 ip4:192.0.2.0/24 -all")])
    fired = _hook_lookups(monkeypatch, lambda: publish(bind, zone, [(zone, "TXT", ADDED)]))
    res = module_main("spf", dict(rfc2136, domain=zone))
    assert fired == ["amazonses.com"]
    assert res.rc != 0, res.result
    assert "UPDATE" in res.result["msg"] and "NXRRSET" in res.result["msg"], res.result["msg"]
    assert _txt(bind, zone) == sorted([ADDED, "v=spf1 ip4:192.0.2.0/24 -all"])
    # the next run plans from what is there now and keeps it
    monkeypatch.undo()
    res = module_main("spf", dict(rfc2136, domain=zone))
    assert res.rc == 0 and res.result["changed"] is True, res.result
    assert _txt(bind, zone) == sorted([ADDED, "v=spf1 ip4:192.0.2.0/24 include:amazonses.com -all"])


def test_rfc2136_dmarc_keeps_a_value_added_between_read_and_write(module_main, monkeypatch, bind, zone, rfc2136):
    name = "_dmarc." + zone
    publish(bind, zone, [(name, "TXT", "v=DMARC1; p=none")])
    fired = _hook_lookups(monkeypatch, lambda: publish(bind, zone, [(name, "TXT", ADDED)]))
    res = module_main("dmarc", dict(rfc2136, domain=zone, policy="none", rua=["dmarc@reports.test"]))
    assert fired, "the report authorisation lookup did not run"
    assert res.rc != 0, res.result
    assert _txt(bind, name) == sorted([ADDED, "v=DMARC1; p=none"])


def test_route53_spf_keeps_a_value_added_between_read_and_write(module_main, monkeypatch, sandbox, r53_zone, bind,
                                                                 amazonses):
    name, zone_id = r53_zone
    r53 = sandbox.boto3_client("route53")

    def txt(values):
        return {"Action": "UPSERT", "ResourceRecordSet": {"Name": name + ".", "Type": "TXT", "TTL": 300,
                                                          "ResourceRecords": [{"Value": '"%s"' % v} for v in values]}}
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [txt(["v=spf1 -all"])]})
    fired = _hook_lookups(monkeypatch, lambda: r53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [txt(["v=spf1 -all", ADDED])]}))
    res = module_main("spf", {"provider": "route53", "domain": name, "hosted_zone_id": zone_id,
                              "resolvers": [bind.server]})
    assert fired == ["amazonses.com"]
    assert res.rc != 0, res.result
    assert "InvalidChangeBatch" in res.result["msg"], res.result["msg"]
    assert r53_rrsets(sandbox, zone_id)[(name, "TXT")] == sorted(['"%s"' % ADDED, '"v=spf1 -all"'])
