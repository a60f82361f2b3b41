"""Record normalisation and the pure change planner."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import (
    Record, absolute_name, desired_from_params, normalize_value, plan)


def test_names():
    assert absolute_name("@", "Example.COM.") == "example.com"
    assert absolute_name("_dmarc", "example.com") == "_dmarc.example.com"
    assert absolute_name("_DMARC.example.com.", "example.com") == "_dmarc.example.com"
    assert absolute_name("sel._domainkey.example.com", "example.com") == "sel._domainkey.example.com"
    with pytest.raises(InputError) as err:
        absolute_name("www.other.org.", "example.com", "records[0].name")
    assert err.value.option == "records[0].name"
    assert absolute_name("s1._domainkey", "example.com") == "s1._domainkey.example.com"
    # a full name outside the zone, with or without the final dot, is refused, never glued onto the zone
    for outside in ("www.example.org", "example.org", "mail.example.co", "example.com.evil.test"):
        with pytest.raises(InputError) as err:
            absolute_name(outside, "example.com", "records[3].name")
        assert err.value.option == "records[3].name" and "not inside zone example.com" in str(err.value)


def test_value_normalisation():
    assert normalize_value("CNAME", "Tok.DKIM.amazonses.com.") == "tok.dkim.amazonses.com"
    assert normalize_value("MX", "010  Mail.Example.com.") == "10 mail.example.com"
    assert normalize_value("AAAA", "2001:DB8::0001") == "2001:db8::1"
    with pytest.raises(InputError):
        normalize_value("A", "2001:db8::1")
    with pytest.raises(InputError):
        normalize_value("MX", "mail.example.com")


def _d(records, zone="example.com"):
    return desired_from_params(records, zone)


def test_plan_adds_without_touching_other_values():
    current = {("example.com", "TXT"): Record("example.com", "TXT", ["keep", "v=spf1 -all"], 300)}
    changes = plan(_d([{"name": "@", "type": "TXT", "values": ["new"]}]), current)
    assert len(changes) == 1 and changes[0].action == "update"
    assert changes[0].after.values == ("keep", "new", "v=spf1 -all")
    assert plan(_d([{"name": "@", "type": "TXT", "values": ["keep"]}]), current) == []


def test_plan_absent_and_exclusive():
    current = {("example.com", "TXT"): Record("example.com", "TXT", ["a", "b"], 60)}
    ch = plan(_d([{"name": "@", "type": "TXT", "values": ["a"], "state": "absent"}]), current)
    assert ch[0].after.values == ("b",) and ch[0].after.ttl == 60
    ch = plan(_d([{"name": "@", "type": "TXT", "values": ["b"], "state": "absent"}, ]),
              {("example.com", "TXT"): Record("example.com", "TXT", ["b"], 60)})
    assert ch[0].action == "delete"
    ch = plan(_d([{"name": "@", "type": "TXT", "values": ["c"], "exclusive": True}]), current)
    assert ch[0].after.values == ("c",)
    assert plan(_d([{"name": "zz", "type": "TXT", "state": "absent"}]), current) == []


def test_plan_ttl_and_cname_replace():
    current = {("x.example.com", "CNAME"): Record("x.example.com", "CNAME", ["old.example.net"], 300)}
    ch = plan(_d([{"name": "x", "type": "CNAME", "values": ["New.example.net."]}]), current)
    assert ch[0].after.values == ("new.example.net",)
    ch = plan(_d([{"name": "x", "type": "CNAME", "values": ["old.example.net"], "ttl": 60}]), current)
    assert ch[0].action == "update" and ch[0].after.ttl == 60


def test_bad_records_name_the_option():
    with pytest.raises(InputError) as err:
        _d([{"name": "a", "type": "TXT", "values": []}])
    assert err.value.option == "records[0].values"
    with pytest.raises(InputError) as err:
        _d([{"name": "a", "type": "TXT", "values": ["x"]}, {"name": "a.example.com", "type": "txt", "values": ["y"]}])
    assert err.value.option == "records[1]"
    with pytest.raises(InputError) as err:
        _d([{"name": "a", "type": "CNAME", "values": ["x.test", "y.test"]}])
    assert "exactly one" in err.value.msg
