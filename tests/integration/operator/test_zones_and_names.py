"""dns_records: names outside the zone are refused, and find_zone walks up to the parent zone (pre-flight).

The module's logic runs in-process (module_main); state is read back with the AWS CLI and dig."""

from __future__ import annotations


import pytest

from tests.integration.operator.helpers import create_zone, dig, rrsets
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind


@pytest.fixture
def r53(sandbox):
    name = unique("op")
    return name, create_zone(sandbox, name)


def test_name_outside_the_zone_is_refused_and_nothing_written(module_main, sandbox, r53):
    zone, zone_id = r53
    mark = sandbox.mark()
    res = module_main("dns_records", {"provider": "route53", "zone": zone, "records": [
        {"name": "_dmarc", "type": "TXT", "values": ["v=DMARC1; p=none"]},
        {"name": "www.example.org", "type": "CNAME", "values": ["web.example.org"]}]})
    assert res.rc == 1 and not res.result.get("traceback_escaped"), res
    assert "records[1].name" in res.result["msg"] and "not inside zone %s" % zone in res.result["msg"], res.result
    assert sandbox.mutating_calls(since=mark) == []
    names = {name for name, _ in rrsets(sandbox, zone_id)}
    assert names == {zone}, names  # only SOA / NS: neither _dmarc nor www.example.org.<zone>


def test_find_zone_walks_up_to_the_parent_route53(module_main, sandbox, r53):
    zone, zone_id = r53
    sub = "news." + zone
    res = module_main("dns_records", {"provider": "route53", "zone": sub, "find_zone": True, "records": [
        {"name": "_dmarc." + sub, "type": "TXT", "values": ["v=DMARC1; p=none"]}]})
    assert res.rc == 0, res
    assert res.result["zone"] == zone and res.result["changed"] is True
    assert rrsets(sandbox, zone_id)[("_dmarc." + sub, "TXT")] == ['"v=DMARC1; p=none"']


def test_find_zone_typo_fails_before_any_write(module_main, sandbox, r53):
    zone, zone_id = r53
    typo = "exmaple-%s" % zone  # no hosted zone holds it
    mark = sandbox.mark()
    res = module_main("dns_records", {"provider": "route53", "zone": typo, "find_zone": True, "records": [
        {"name": "_dmarc." + typo, "type": "TXT", "values": ["v=DMARC1; p=none"]}]})
    assert res.rc == 1 and not res.result.get("traceback_escaped"), res
    assert "zone" in res.result["msg"] and "no Route 53 hosted zone in this account holds %s" % typo in res.result["msg"]
    assert sandbox.mutating_calls(since=mark) == []


def test_find_zone_walks_up_rfc2136(module_main, bind):
    zone = unique("op")
    bind.add_zone(zone)
    args = {"provider": "rfc2136", "server": bind.server, "key_name": bind.key_name, "key_secret": bind.key_secret}
    res = module_main("dns_records", dict(args, zone="news." + zone, find_zone=True, records=[
        {"name": "_dmarc.news." + zone, "type": "TXT", "values": ["v=DMARC1; p=none"]}]))
    assert res.rc == 0, res
    assert res.result["zone"] == zone
    assert dig(bind.server, "_dmarc.news." + zone, "TXT") == ['"v=DMARC1; p=none"']
    # a domain the server does not serve: refused before anything is written, naming the option
    res = module_main("dns_records", dict(args, zone="exmaple.invalid", find_zone=True, records=[]))
    assert res.rc == 1 and "zone" in res.result["msg"] and "serves no zone holding exmaple.invalid" in res.result["msg"], res
