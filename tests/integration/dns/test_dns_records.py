"""dns_records through ansible-playbook against a real BIND (rfc2136) and the sandbox's Route 53."""

from __future__ import annotations

import base64
import os

import pytest

from tests.fixtures.dns_zones import r53_rrsets

pytestmark = pytest.mark.bind

DKIM_KEY = base64.b64encode(os.urandom(294)).decode()  # the size of a 2048-bit RSA SubjectPublicKeyInfo
DKIM_TXT = "v=DKIM1; k=rsa; p=" + DKIM_KEY
DMARC = "v=DMARC1; p=none; rua=mailto:a@example.test,mailto:b@reports.test; ruf=mailto:f@example.test"


def _records(zone):
    return [
        {"name": "sel1._domainkey", "type": "TXT", "values": [DKIM_TXT]},
        {"name": "_dmarc", "type": "TXT", "values": [DMARC]},
        {"name": "tok1._domainkey." + zone + ".", "type": "CNAME", "values": ["TOK1.dkim.amazonses.com."]},
        {"name": "mail", "type": "MX", "values": ["10 feedback-smtp.us-east-1.amazonses.com"]},
    ]


def test_rfc2136_publish_idempotent_check_and_diff(ansible_module, bind, zone, rfc2136):
    args = dict(rfc2136, records=_records(zone))
    # check mode first: predicts the change and writes nothing
    res = ansible_module("dns_records", args, check=True, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert len(res.result["changes"]) == 4
    assert bind.query("_dmarc." + zone, "TXT") == []
    assert bind.query("sel1._domainkey." + zone, "TXT") == []
    # publish
    res = ansible_module("dns_records", args, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert "_dmarc.%s TXT" % zone in res.result["diff"]["after"]
    assert bind.query("_dmarc." + zone, "TXT") == ['"%s"' % DMARC]  # one string, commas kept
    dkim = bind.query("sel1._domainkey." + zone, "TXT")
    assert len(dkim) == 1 and dkim[0].count('" "') == 1  # two strings in one record
    assert dkim[0].replace('" "', "").strip('"') == DKIM_TXT
    assert bind.query("tok1._domainkey." + zone, "CNAME") == ["tok1.dkim.amazonses.com."]
    # second run and check mode report no change
    res = ansible_module("dns_records", args)
    assert res.rc == 0 and res.result["changed"] is False, res
    res = ansible_module("dns_records", args, check=True)
    assert res.result["changed"] is False


def test_rfc2136_values_of_same_name_left_alone(ansible_module, bind, zone, rfc2136):
    first = dict(rfc2136, records=[{"name": "@", "type": "TXT", "values": ["keep=me", "v=spf1 -all"]}])
    assert ansible_module("dns_records", first).rc == 0
    add = dict(rfc2136, records=[{"name": "@", "type": "TXT", "values": ["added=1"]}])
    assert ansible_module("dns_records", add).result["changed"] is True
    assert bind.query(zone, "TXT") == ['"added=1"', '"keep=me"', '"v=spf1 -all"']
    rm = dict(rfc2136, records=[{"name": "@", "type": "TXT", "values": ["v=spf1 -all"], "state": "absent"}])
    res = ansible_module("dns_records", rm, check=True)
    assert res.result["changed"] is True
    assert bind.query(zone, "TXT") == ['"added=1"', '"keep=me"', '"v=spf1 -all"']
    assert ansible_module("dns_records", rm).result["changed"] is True
    assert bind.query(zone, "TXT") == ['"added=1"', '"keep=me"']
    excl = dict(rfc2136, records=[{"name": "@", "type": "TXT", "values": ["only"], "exclusive": True}])
    assert ansible_module("dns_records", excl).result["changed"] is True
    assert bind.query(zone, "TXT") == ['"only"']


def test_rfc2136_bad_input_and_bad_key(ansible_module, rfc2136):
    res = ansible_module("dns_records", dict(rfc2136, records=[{"name": "a", "type": "A", "values": ["x"]}]))
    assert res.rc != 0
    assert "records[0].values" in res.result["msg"] and "Traceback" not in res.output
    bad = dict(rfc2136, key_secret=base64.b64encode(b"0" * 32).decode(),
               records=[{"name": "a", "type": "A", "values": ["192.0.2.1"]}])
    res = ansible_module("dns_records", bad)
    assert res.rc != 0
    assert res.result["rcode"] == "PeerBadSignature" and "check key_name, key_secret" in res.result["msg"], res.result
    assert bad["key_secret"] not in res.output


def test_rfc2136_concurrent_change_is_not_clobbered(bind, zone, rfc2136):
    """The prerequisite carries the rrset as read: a change in between makes the update fail (NXRRSET)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import DnsError, desired_from_params, plan
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider
    provider = get_provider(dict(rfc2136, key_algorithm="hmac-sha256"))
    provider.apply(plan(desired_from_params([{"name": "x", "type": "TXT", "values": ["one"]}], zone), {}))
    current = provider.read([("x." + zone, "TXT")])
    changes = plan(desired_from_params([{"name": "x", "type": "TXT", "values": ["two"]}], zone), current)
    # someone else changes the rrset between read and write
    provider.apply(plan(desired_from_params([{"name": "x", "type": "TXT", "values": ["other"]}], zone), current))
    with pytest.raises(DnsError) as err:
        provider.apply(changes)
    assert err.value.rcode == "NXRRSET"
    assert bind.query("x." + zone, "TXT") == ['"one"', '"other"']


def test_route53_publish_idempotent_check_and_diff(ansible_module, sandbox, r53_zone):
    name, zone_id = r53_zone
    args = {"provider": "route53", "zone": name, "records": _records(name)}
    mark = sandbox.mark()
    res = ansible_module("dns_records", args, check=True, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert sandbox.mutating_calls(since=mark) == []
    res = ansible_module("dns_records", args, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    ops = [r["operation"] for r in sandbox.requests(mark)]
    assert "ChangeResourceRecordSets" in ops and "GetChange" in ops
    got = r53_rrsets(sandbox, zone_id)
    assert got[("_dmarc." + name, "TXT")] == ['"%s"' % DMARC]
    assert got[("sel1._domainkey." + name, "TXT")][0].count('" "') == 1
    mark = sandbox.mark()
    res = ansible_module("dns_records", args)
    assert res.result["changed"] is False, res
    assert sandbox.mutating_calls(since=mark) == []


def test_route53_missing_zone_names_the_option(ansible_module, sandbox):
    res = ansible_module("dns_records", {"provider": "route53", "zone": "nowhere.test",
                                         "records": [{"name": "a", "type": "A", "values": ["192.0.2.1"]}]})
    assert res.rc != 0 and res.result["msg"].startswith("zone:"), res.result


def test_none_provider_renders_zone_lines(ansible_module, zone):
    res = ansible_module("dns_records", {"provider": "none", "zone": zone, "records": _records(zone)})
    assert res.rc == 0 and res.result["changed"] is False
    lines = res.result["zone_lines"]
    assert '_dmarc.%s. 300 IN TXT "%s"' % (zone, DMARC) in lines
    assert any(line.startswith("sel1._domainkey.%s. 300 IN TXT \"v=DKIM1" % zone) and '" "' in line for line in lines)
    assert len(res.result["changes"]) == 4


def test_none_provider_with_server_reports_only_what_is_missing(ansible_module, bind, zone, rfc2136):
    records = _records(zone)
    assert ansible_module("dns_records", dict(rfc2136, records=records[:2])).rc == 0
    res = ansible_module("dns_records", dict(rfc2136, provider="none", records=records))
    assert res.rc == 0 and res.result["changed"] is False, res
    assert sorted(c["name"] for c in res.result["changes"]) == sorted(["mail." + zone, "tok1._domainkey." + zone])
    assert bind.query("mail." + zone, "MX") == []  # none never writes


def test_route53_dmarc_check_mode_and_ratchet(ansible_module, sandbox, r53_zone):
    name, zone_id = r53_zone
    args = {"provider": "route53", "domain": name, "policy": "reject", "rua": ["d@%s" % name, "e@%s" % name]}
    mark = sandbox.mark()
    res = ansible_module("dmarc", args, check=True, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert sandbox.mutating_calls(since=mark) == []
    assert ansible_module("dmarc", args).result["changed"] is True
    assert r53_rrsets(sandbox, zone_id)[("_dmarc." + name, "TXT")] == [
        '"v=DMARC1; p=reject; rua=mailto:d@%s,mailto:e@%s"' % (name, name)]
    mark = sandbox.mark()
    res = ansible_module("dmarc", dict(args, policy="quarantine"))
    assert res.result["changed"] is False and res.result["downgrade_refused"] is True
    assert sandbox.mutating_calls(since=mark) == []


def test_records_split_elsewhere_are_equal_and_still_updatable(ansible_module, bind, zone, rfc2136):
    """A TXT another tool split at 200 bytes is the same value (no change), and an update's prerequisite
    uses the rdata as read, so it still matches."""
    import dns.query
    import dns.xfr
    import dns.tsigkeyring
    import dns.update
    value = "v=DKIM1; k=rsa; p=" + "B" * 300
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm="hmac-sha256")
    upd.add("k._domainkey", 300, "TXT", '"%s" "%s"' % (value[:200], value[200:]))
    assert dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5).rcode() == 0
    args = dict(rfc2136, records=[{"name": "k._domainkey", "type": "TXT", "values": [value]}])
    assert ansible_module("dns_records", args).result["changed"] is False
    res = ansible_module("dns_records", dict(args, records=[{"name": "k._domainkey", "type": "TXT",
                                                             "values": [value, "second"]}]))
    assert res.rc == 0 and res.result["changed"] is True, res
    assert len(bind.query("k._domainkey." + zone, "TXT")) == 2


def test_route53_record_written_elsewhere_is_updated(ansible_module, sandbox, r53_zone):
    name, zone_id = r53_zone
    r53 = sandbox.boto3_client("route53")
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE",
        "ResourceRecordSet": {"Name": "x." + name, "Type": "TXT", "TTL": 60,
                              "ResourceRecords": [{"Value": '"ab" "cd"'}]}}]})
    args = {"provider": "route53", "zone": name, "records": [{"name": "x", "type": "TXT", "values": ["abcd"]}]}
    assert ansible_module("dns_records", args).result["changed"] is False
    res = ansible_module("dns_records", dict(args, records=[{"name": "x", "type": "TXT", "values": ["ef"]}]))
    assert res.rc == 0 and res.result["changed"] is True, res
    # the DELETE carried '"ab" "cd"' as Route 53 held it; the new rrset is written in our canonical form
    assert r53_rrsets(sandbox, zone_id)[("x." + name, "TXT")] == ['"abcd"', '"ef"']


def test_rfc2136_many_records_axfr_read_and_split_updates(bind, zone, rfc2136, monkeypatch):
    """200 rrsets of 400-byte TXT (80 KB) do not fit one DNS message: several atomic UPDATEs; the
    read is one AXFR, and falls back to one query per rrset when the transfer is refused."""
    import dns.query
    import dns.xfr

    from ansible_collections.deliverability.ses.plugins.module_utils.dns import rfc2136 as mod
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import desired_from_params, run_changes
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider
    recs = [{"name": "r%d" % i, "type": "TXT", "values": ["x" * 400 + str(i)]} for i in range(200)]
    provider = get_provider(dict(rfc2136, key_algorithm="hmac-sha256"))
    desired = desired_from_params(recs, zone)
    res = run_changes(provider, desired)
    assert res["changed"] is True and provider.messages >= 2
    assert bind.query("r199." + zone, "TXT")[0].replace('" "', "").strip('"') == "x" * 400 + "199"
    assert run_changes(provider, desired)["changed"] is False
    assert provider.transfers == 2

    def refused(*args, **kwargs):
        raise dns.xfr.TransferError(5)
    monkeypatch.setattr(mod.dns.query, "xfr", refused)
    fallback = get_provider(dict(rfc2136, key_algorithm="hmac-sha256"))
    assert run_changes(fallback, desired)["changed"] is False
    assert getattr(fallback, "transfers", 0) == 0


def test_route53_many_records_batches_and_paginated_listing(sandbox, r53_zone):
    """320 rrsets: CHANGE batches of 100 rrsets, and the whole-zone read follows Route 53's pagination."""
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import desired_from_params, run_changes
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider

    name, zone_id = r53_zone
    desired = desired_from_params([{"name": "n%03d" % i, "type": "TXT", "values": ["v%d" % i]} for i in range(320)], name)
    # built from a client factory: no module object
    provider = get_provider({"provider": "route53", "zone": name, "dns_wait": True}, clients=sandbox.boto3_client)
    mark = sandbox.mark()
    assert run_changes(provider, desired)["changed"] is True
    ops = [r["operation"] for r in sandbox.requests(mark)]
    assert ops.count("ChangeResourceRecordSets") == 4 and ops.count("GetChange") == 4
    mark = sandbox.mark()
    assert run_changes(provider, desired)["changed"] is False
    ops = [r["operation"] for r in sandbox.requests(mark)]
    assert ops == ["ListResourceRecordSets"] * 2  # 322 rrsets (with SOA and NS), 300 a page


def test_read_zone_keeps_values_as_held_so_updates_match(bind, zone, rfc2136, sandbox, r53_zone):
    """The whole-zone readers (used by the fleet) keep the values as the backend holds them: a TXT split at
    other boundaries by another tool is planned as equal, and an update's prerequisite / DELETE matches it."""
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import desired_from_params, plan
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider

    class Module:
        def client(self, service):
            return sandbox.boto3_client(service)

    value = "v=DKIM1; k=rsa; p=" + "C" * 300
    publish_raw = '"%s" "%s"' % (value[:200], value[200:])
    import dns.query
    import dns.tsigkeyring
    import dns.update
    upd = dns.update.UpdateMessage(zone, keyring=dns.tsigkeyring.from_text({bind.key_name: bind.key_secret}),
                                   keyalgorithm="hmac-sha256")
    upd.add("k._domainkey", 300, "TXT", publish_raw)
    assert dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5).rcode() == 0
    r53_name, r53_id = r53_zone
    sandbox.boto3_client("route53").change_resource_record_sets(HostedZoneId=r53_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "k._domainkey." + r53_name, "Type": "TXT", "TTL": 300,
                                                   "ResourceRecords": [{"Value": publish_raw}]}}]})
    for provider in (get_provider(dict(rfc2136, key_algorithm="hmac-sha256")),
                     get_provider({"provider": "route53", "zone": r53_name, "wait": True}, Module())):
        snapshot = provider.read_zone()
        assert all(k[1] not in ("SOA",) for k in snapshot)
        same = desired_from_params([{"name": "k._domainkey", "type": "TXT", "values": [value]}], provider.zone)
        assert plan(same, snapshot) == []
        more = desired_from_params([{"name": "k._domainkey", "type": "TXT", "values": [value, "x"]}], provider.zone)
        provider.apply(plan(more, snapshot))  # raises on NXRRSET / InvalidChangeBatch if raw were lost
        assert sorted(provider.read([("k._domainkey." + provider.zone, "TXT")])[
            ("k._domainkey." + provider.zone, "TXT")].values) == sorted([value, "x"])


NON_ASCII = 'v=test1; note="café ☕ \\ done"; ' + "é" * 200  # 400+ bytes: strings cut between characters


def test_non_ascii_txt_round_trips_through_route53_and_bind(module_main, sandbox, r53_zone, bind, zone, rfc2136):
    """A TXT over 255 bytes with non-ASCII text: written with the one encoder, read back exactly, second run
    changes nothing, through Route 53 (octal escapes) and RFC 2136 / BIND (RFC 1035 decimal escapes)."""
    import dns.rdata as dns_rdata
    name, zone_id = r53_zone
    args = {"provider": "route53", "zone": name, "records": [{"name": "u", "type": "TXT", "values": [NON_ASCII]}]}
    res = module_main("dns_records", args)
    assert res.rc == 0 and res.result["changed"] is True, res.result
    value = r53_rrsets(sandbox, zone_id)[("u." + name, "TXT")][0]
    assert value.isascii() and "\\303\\251" in value  # é as Route 53 octal escapes
    strings = [s.strip('"') for s in value.split('" "')]
    assert len(strings) == 2
    again = module_main("dns_records", args)
    assert again.result["changed"] is False, again.result
    assert again.result["records"][0]["values"] == [NON_ASCII]

    args = dict(rfc2136, records=[{"name": "u", "type": "TXT", "values": [NON_ASCII]}])  # a fresh BIND zone
    res = module_main("dns_records", args)
    assert res.rc == 0 and res.result["changed"] is True, res.result
    got = bind.query("u." + zone, "TXT")
    assert len(got) == 1
    parsed = dns_rdata.from_text("IN", "TXT", got[0])
    assert all(len(s) <= 255 for s in parsed.strings) and len(parsed.strings) == 2
    for s in parsed.strings:
        s.decode("utf-8")  # no UTF-8 character cut in two
    assert b"".join(parsed.strings).decode("utf-8") == NON_ASCII
    assert module_main("dns_records", args).result["changed"] is False
