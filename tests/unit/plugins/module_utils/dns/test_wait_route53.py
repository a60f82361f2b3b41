"""wait_for_dns polling, Route 53 name decoding and INSYNC back-off, without network."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.dns import route53, wait
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError, InputError


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, s):
        self.sleeps.append(s)
        self.now += s


def test_wait_for_stops_asking_servers_in_sync(monkeypatch):
    clock = Clock()
    asked = []

    def fake_check(server, records, timeout):
        asked.append((server, clock.now))
        if server == "b:53" and clock.now < 5:
            return False, [{"name": "x.test", "type": "TXT", "has": [], "rcode": "NOERROR"}]
        return True, []

    monkeypatch.setattr(wait, "check_server", fake_check)
    res = wait.wait_for([{}], [{"server": "a:53"}, {"server": "b:53"}], timeout=60, interval=1,
                        clock=clock, sleep=clock.sleep)
    assert res["lagging"] == []
    assert [server for server, when in asked].count("a:53") == 1
    assert clock.sleeps[:3] == [1, 1.5, 2.25]  # growing interval


def test_lag_message_names_server_and_content(monkeypatch):
    monkeypatch.setattr(wait, "check_server", lambda s, r, t: (False, [{"name": "x.test", "type": "TXT",
                                                                        "has": ["old"], "rcode": "NOERROR"}]))
    clock = Clock()
    res = wait.wait_for([{}], [{"server": "10.0.0.1:53", "host": "ns1.x.test"}], timeout=3, interval=1,
                        clock=clock, sleep=clock.sleep)
    assert res["lagging"] == ["10.0.0.1:53"]
    assert wait.lag_message(res, 3) == "after 3s, 1 of 1 nameservers lag: 10.0.0.1:53 (ns1.x.test): x.test TXT has ['old']"


def test_route53_names_and_insync_backoff(monkeypatch):
    assert route53.decode_name("\\052.Example.com.") == "*.example.com"
    statuses = iter(["PENDING", "PENDING", "INSYNC"])
    monkeypatch.setattr(route53, "call", lambda client, op, **kw: {"ChangeInfo": {"Status": next(statuses)}})
    prov = route53.Route53Provider.__new__(route53.Route53Provider)
    prov.client, prov.wait_timeout = None, 60
    sleeps = []
    prov.wait_insync("C1", sleep=sleeps.append)
    assert len(sleeps) == 2 and all(0 < s <= 10 for s in sleeps)
    monkeypatch.setattr(route53, "call", lambda client, op, **kw: {"ChangeInfo": {"Status": "PENDING"}})
    prov.wait_timeout = 0
    with pytest.raises(DnsError) as err:
        prov.wait_insync("C2", sleep=sleeps.append)
    assert err.value.rcode == "PENDING"


def test_missing_dnspython_names_the_pip_command(monkeypatch):
    from ansible_collections.deliverability.ses.plugins.module_utils.dns import resolve, rfc2136
    # one guard: the RFC 2136 provider asks resolve.py's, so both report a missing dnspython the same way
    assert rfc2136.require_dnspython is resolve.require_dnspython and rfc2136.dns is resolve.dns
    monkeypatch.setattr(resolve, "HAS_DNSPYTHON", False)
    for mod in (resolve, rfc2136):
        with pytest.raises(DnsError) as err:
            mod.require_dnspython()
        assert "pip install dnspython" in err.value.msg and err.value.rcode == "ImportError"


class FakeRoute53:
    """A boto3-like Route 53 client: one hosted zone, records the calls made."""

    def __init__(self):
        self.calls = []

    def list_hosted_zones_by_name(self, **kw):
        self.calls.append(("ListHostedZonesByName", kw))
        return {"HostedZones": [{"Name": "example.com.", "Id": "/hostedzone/Z1", "Config": {"PrivateZone": False}}]}


def test_providers_are_built_from_a_client_factory_not_a_module():
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider
    fake = FakeRoute53()
    asked = []

    def clients(service, **kw):
        asked.append(service)
        return fake

    prov = get_provider({"provider": "route53", "zone": "Example.com.", "dns_wait": False, "dns_wait_timeout": 9},
                        clients=clients)
    assert asked == ["route53"] and prov.client is fake and prov.zone_id == "Z1"
    assert prov.wait is False and prov.wait_timeout == 9.0
    assert not hasattr(prov, "module")
    # the old option names still work for params built by hand
    prov = get_provider({"provider": "route53", "zone": "example.com", "wait": False, "wait_timeout": 7},
                        clients=clients)
    assert prov.wait is False and prov.wait_timeout == 7.0

    class Module:  # the transition form: get_provider(params, module) uses module.client
        client = staticmethod(clients)
    assert get_provider({"provider": "route53", "zone": "example.com"}, Module()).client is fake
    with pytest.raises(InputError) as err:
        get_provider({"provider": "route53", "zone": "example.com"})
    assert err.value.option == "provider"


def test_dns_wait_options_are_distinct_from_ses_waits():
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import DNS_PROVIDER_ARGUMENT_SPEC
    assert "wait" not in DNS_PROVIDER_ARGUMENT_SPEC and "wait_timeout" not in DNS_PROVIDER_ARGUMENT_SPEC
    for name, old in (("dns_wait", "wait"), ("dns_wait_timeout", "wait_timeout")):
        spec = DNS_PROVIDER_ARGUMENT_SPEC[name]
        assert spec["aliases"] == [old]
        assert spec["deprecated_aliases"] == [{"name": old, "version": "2.0.0", "collection_name": "deliverability.ses"}]


def test_route53_writes_txt_escapes_in_octal_and_reads_them_back():
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import Record, txt_unquote
    rrset = route53.Route53Provider._rrset(Record("x.example.com", "TXT", ["café"], 300))
    assert rrset["ResourceRecords"] == [{"Value": '"caf\\303\\251"'}]
    assert txt_unquote(rrset["ResourceRecords"][0]["Value"], octal=True) == "café"
