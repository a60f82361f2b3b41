"""The RFC 2136 provider against what a real BIND 9 answered, replayed without a network.

recorded/rfc2136.json was recorded by ``python -m tests.fixtures.record_rfc2136`` (a throwaway BIND from
tests/fixtures/bind.py, TSIG hmac-sha256). ``dns.query.tcp`` and ``dns.query.xfr`` are replaced by a replay that
takes the recorded exchanges of one step in order: the request the provider builds must be the recorded one
(sections, flags, prerequisites, TTLs; signed with TSIG when it was), else the test fails; the answer is what BIND
sent. Failures a recording cannot hold (a TSIG the server rejects, a timeout, a message too big) are raised by
hand, each in its own test.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.xfr
import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.dns import rfc2136
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Change, Record
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError, InputError

RECORDED = json.loads((Path(__file__).parent / "recorded" / "rfc2136.json").read_text())
ZONE = "example.test"
SERVER = "127.0.0.1:5353"
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="  # any base64: the replay does not verify MACs


def scrub(message):
    """As the recorder wrote requests: no id line, no TSIG record."""
    return "\n".join(line for line in message.to_text().splitlines()
                     if not line.startswith("id ") and " ANY TSIG " not in line)


class Replay:
    """Stands in for dns.query.tcp / dns.query.xfr; answers the recorded exchanges of ``step`` in order."""

    def __init__(self, monkeypatch):
        self.pending = []
        self.sent = []
        monkeypatch.setattr(dns.query, "tcp", self.tcp)
        monkeypatch.setattr(dns.query, "xfr", self.xfr)

    def step(self, name):
        self.pending = [e for e in RECORDED["exchanges"] if e["step"] == name]
        assert self.pending, "nothing recorded for step %s" % name
        return self

    def _next(self, kind, request_text, signed):
        assert self.pending, "an exchange more than BIND was asked for: %s" % request_text
        exchange = self.pending.pop(0)
        assert exchange["kind"] == kind
        assert request_text == exchange["request"]
        assert signed == exchange["signed"]
        self.sent.append(request_text)
        return exchange

    def tcp(self, message, where, port=53, timeout=None, **kwargs):
        assert (where, port) == ("127.0.0.1", 5353) and timeout == 10.0
        exchange = self._next("tcp", scrub(message), message.keyring is not None)
        answer = dns.message.from_text(exchange["response"][0])
        answer.id = message.id
        return answer

    def xfr(self, where, zone, port=53, keyring=None, **kwargs):
        assert (where, port) == ("127.0.0.1", 5353) and kwargs["relativize"] is False
        exchange = self._next("xfr", "AXFR %s" % zone, keyring is not None)
        if exchange.get("error"):
            raise dns.xfr.TransferError(dns.rcode.from_text(exchange["error"].split()[-1]))
        return iter([dns.message.from_text(text) for text in exchange["response"]])

    def done(self):
        assert self.pending == [], "recorded exchanges the provider did not make: %s" % self.pending


@pytest.fixture
def bind(monkeypatch):
    replay = Replay(monkeypatch)
    yield replay
    replay.done()


def provider(**params):
    base = {"server": SERVER, "key_name": "deliverability-test-key", "key_secret": SECRET}
    base.update(params)
    return rfc2136.Rfc2136Provider(ZONE, base)


DMARC = Record("_dmarc." + ZONE, "TXT", ["v=DMARC1; p=none"], 300)


# ------------------------------------------------------------------------------------------------- reads
def test_a_query_reads_the_rrset_bind_holds(bind):
    bind.step("query_txt")
    rec = provider().query(ZONE, "TXT")
    assert rec.key == (ZONE, "TXT")
    assert list(rec.values) == ["v=spf1 include:amazonses.com ~all"] and rec.ttl == 300
    assert rec.raw == ['"v=spf1 include:amazonses.com ~all"']
    assert "flags RD" not in bind.sent[0]  # no recursion asked of a primary


def test_no_such_type_and_no_such_name_are_both_absent(bind):
    bind.step("query_nodata")
    assert provider().query(ZONE, "CNAME") is None  # NOERROR, empty answer
    bind.step("query_nxdomain")
    assert provider().query("nothing." + ZONE, "TXT") is None  # NXDOMAIN


def test_the_enclosing_zone_from_one_soa_query(bind):
    bind.step("zone_at_apex")
    assert provider().enclosing_zone(ZONE) == ZONE  # the SOA is the answer
    bind.step("zone_below")
    assert provider().enclosing_zone("news.mail." + ZONE) == ZONE  # NXDOMAIN, the SOA in the authority section


def test_a_name_the_server_serves_no_zone_for(bind):
    bind.step("zone_outside")
    with pytest.raises(InputError) as err:
        provider().enclosing_zone("example.invalid")
    assert err.value.option == "zone"
    assert "the server 127.0.0.1:5353 serves no zone holding example.invalid (REFUSED)" in err.value.msg


def test_many_rrsets_are_read_by_one_signed_zone_transfer(bind):
    bind.step("transfer")
    prov = provider()
    keys = [("h%d.%s" % (i, ZONE), "TXT") for i in range(rfc2136.AXFR_THRESHOLD)] + [("_dmarc." + ZONE, "TXT"),
                                                                                     ("missing." + ZONE, "TXT")]
    got = prov.read(keys)
    assert prov.transfers == 1
    assert sorted(got) == sorted(keys[:-1])  # the missing one is absent, nothing else was asked
    assert list(got[("h3." + ZONE, "TXT")].values) == ["v3"] and got[("h3." + ZONE, "TXT")].ttl == 60
    assert list(got[("_dmarc." + ZONE, "TXT")].values) == ["v=DMARC1; p=quarantine"]


def test_read_zone_leaves_out_the_soa(bind):
    bind.step("transfer")
    zone = provider().read_zone()
    assert (ZONE, "SOA") not in zone
    assert (ZONE, "NS") in zone and (ZONE, "TXT") in zone and ("ns1." + ZONE, "A") in zone
    assert (ZONE, "MX") not in zone  # deleted by the step before the recording's transfer


def test_a_refused_transfer_falls_back_to_one_query_per_rrset(bind):
    bind.step("read_unsigned")
    prov = rfc2136.Rfc2136Provider(ZONE, {"server": SERVER})  # no key: BIND refuses the AXFR
    keys = [("h%d.%s" % (i, ZONE), "TXT") for i in range(rfc2136.AXFR_THRESHOLD + 1)]
    got = prov.read(keys)
    assert sorted(got) == sorted(keys)
    assert all(list(got[("h%d.%s" % (i, ZONE), "TXT")].values) == ["v%d" % i] for i in range(9))
    assert len(bind.sent) == 1 + len(keys)


# ------------------------------------------------------------------------------------------------- updates
def test_creates_go_in_one_update_with_absent_prerequisites(bind):
    bind.step("create")
    hosts = [Record("h%d.%s" % (i, ZONE), "TXT", ["v%d" % i], 60) for i in range(10)]
    prov = provider()
    prov.apply([Change(None, Record(ZONE, "TXT", ["v=spf1 include:amazonses.com ~all"], 300)), Change(None, DMARC),
                Change(None, Record(ZONE, "MX", ["10 inbound-smtp.us-east-1.amazonaws.com"], 3600))]
               + [Change(None, h) for h in hosts])
    assert prov.messages == 1
    assert "_dmarc.example.test. NONE TXT" in bind.sent[0]  # the rrset must not exist yet (RFC 2136 2.4.5)


def test_an_update_requires_the_rrset_exactly_as_read(bind):
    bind.step("update")
    prov = provider()
    before = prov.query("_dmarc." + ZONE, "TXT")
    prov.apply([Change(before, Record("_dmarc." + ZONE, "TXT", ["v=DMARC1; p=quarantine"], 300))])
    assert '_dmarc.example.test. 0 IN TXT "v=DMARC1; p=none"' in bind.sent[1]  # RFC 2136 2.4.2: TTL 0
    assert prov.messages == 1


def test_a_delete_removes_the_rrset(bind):
    bind.step("delete")
    prov = provider()
    prov.apply([Change(prov.query(ZONE, "MX"), None)])
    assert "example.test. ANY MX" in bind.sent[1]


def test_a_record_created_meanwhile_fails_the_update(bind):
    bind.step("create_again")
    with pytest.raises(DnsError) as err:
        provider().apply([Change(None, DMARC)])
    assert err.value.rcode == "YXRRSET" and err.value.operation == "UPDATE example.test"
    assert "an rrset appeared since it was read" in err.value.msg and "server 127.0.0.1:5353" in err.value.msg


def test_a_record_changed_meanwhile_fails_the_update(bind):
    bind.step("update_stale")
    stale = Record("_dmarc." + ZONE, "TXT", ["v=DMARC1; p=reject"], 300)
    with pytest.raises(DnsError) as err:
        provider().apply([Change(stale, Record("_dmarc." + ZONE, "TXT", ["v=DMARC1; p=quarantine"], 300))])
    assert err.value.rcode == "NXRRSET" and "this update was not applied" in err.value.msg


def test_a_name_outside_the_zone_is_refused_by_the_server(bind):
    bind.step("outside_zone")
    with pytest.raises(DnsError) as err:
        provider().apply([Change(None, Record("x.example.invalid", "TXT", ["x"], 300))])
    assert err.value.rcode == "NOTZONE" and "a name is outside the zone" in err.value.msg


def test_changes_bigger_than_one_message_go_in_several_updates(monkeypatch):
    sent = []

    def tcp(message, where, port=53, timeout=None, **kwargs):
        sent.append(message)
        return dns.message.make_response(message)

    monkeypatch.setattr(dns.query, "tcp", tcp)
    value = "k=rsa; p=" + "A" * 2000
    changes = [Change(None, Record("s%02d._domainkey.%s" % (i, ZONE), "TXT", [value], 300)) for i in range(60)]
    prov = provider()
    prov.apply(changes)
    assert prov.messages == len(sent) >= 3
    assert all(len(m.to_wire()) < 65535 for m in sent)
    assert sum(len(m.update) for m in sent) == 60  # every change once, none lost between messages


# ------------------------------------------------------------------------------------------------- failures
def test_a_rejected_tsig_names_the_key_options(monkeypatch):
    def tcp(message, *args, **kwargs):
        raise dns.tsig.PeerBadSignature

    monkeypatch.setattr(dns.query, "tcp", tcp)
    with pytest.raises(DnsError) as err:
        provider().query(ZONE, "TXT")
    assert err.value.rcode == "PeerBadSignature"
    assert "TSIG rejected by the server" in err.value.msg and "key_secret" in err.value.msg


@pytest.mark.parametrize("exc", [dns.exception.Timeout(), ConnectionRefusedError(111, "Connection refused"),
                                 socket.timeout("timed out")])
def test_an_unreachable_server_is_a_dns_error_naming_it(monkeypatch, exc):
    def tcp(message, *args, **kwargs):
        raise exc

    monkeypatch.setattr(dns.query, "tcp", tcp)
    with pytest.raises(DnsError) as err:
        provider().query(ZONE, "TXT")
    assert err.value.rcode == type(exc).__name__ and "(server 127.0.0.1:5353)" in err.value.msg


def test_a_transfer_rejected_for_its_tsig_is_not_taken_for_refused(monkeypatch):
    def xfr(*args, **kwargs):
        raise dns.tsig.PeerBadKey

    monkeypatch.setattr(dns.query, "xfr", xfr)
    with pytest.raises(DnsError) as err:
        provider().transfer()
    assert err.value.operation == "AXFR example.test" and "TSIG rejected" in err.value.msg


def test_a_servfail_transfer_is_an_error_not_a_fallback(monkeypatch):
    def xfr(*args, **kwargs):
        raise dns.xfr.TransferError(dns.rcode.SERVFAIL)

    monkeypatch.setattr(dns.query, "xfr", xfr)
    with pytest.raises(DnsError) as err:
        provider().read_zone()
    assert err.value.rcode == "SERVFAIL"


# ------------------------------------------------------------------------------------------------- options
@pytest.mark.parametrize("params, option, words", [
    ({"server": None}, "server", "is required with provider=rfc2136"),
    ({"key_secret": None}, "key_secret", "is required with key_name"),
    ({"key_secret": "not base64!"}, "key_secret", "is not a base64 TSIG secret"),
    ({"key_algorithm": "hmac-sha3"}, "key_algorithm", "'hmac-sha3' is not one of hmac-sha256"),
])
def test_bad_options_name_the_option(params, option, words):
    with pytest.raises(InputError) as err:
        provider(**params)
    assert err.value.option == option and words in err.value.msg


def test_server_port_and_timeout_options():
    prov = provider(server="192.0.2.1:5300", dns_timeout=3, key_algorithm="HMAC-SHA512")
    assert (prov.host, prov.port, prov.timeout) == ("192.0.2.1", 5300, 3.0)
    assert prov.keyalgorithm.to_text() == "hmac-sha512."
    assert provider(server="192.0.2.1", port=5353).port == 5353
