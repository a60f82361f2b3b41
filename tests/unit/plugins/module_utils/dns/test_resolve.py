"""dns/resolve.py, the one DNS reader: server syntax (IPv6, host:port) and real lookups over ::1."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.dns import mailcheck, record_check
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import (
    Resolver, server_text, split_server)
from ansible_collections.deliverability.ses.plugins.module_utils.dns.wait import servers_from_params
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError, InputError


@pytest.mark.parametrize("given, expected", [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("2001:db8::53", ("2001:db8::53", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[::1]", ("::1", 53)),
    ("[2001:DB8::53]:54", ("2001:db8::53", 54)),
    ("localhost:5353", None),  # a name: resolved to an address once
    (("192.0.2.1", 5300), ("192.0.2.1", 5300)),
])
def test_server_syntax(given, expected):
    host, port = split_server(given)
    if expected is None:
        assert port == 5353 and host in ("127.0.0.1", "::1")
    else:
        assert (host, port) == expected
    assert split_server(server_text(host, port)) == (host, port)  # the text form reads back


@pytest.mark.parametrize("bad", ["", "127.0.0.1:x", "127.0.0.1:70000", "[::1]x", "[::1]:0", "no-such-host.invalid",
                                 "a" * 301, "bad\nname"])
def test_bad_servers_name_the_option(bad):
    with pytest.raises(InputError) as err:
        split_server(bad, option="resolvers")
    assert err.value.option == "resolvers"


class V6Server:
    """A tiny authoritative DNS server on ::1 (UDP): {(name, rtype): [rdata text]}; anything else NXDOMAIN."""

    def __init__(self, answers):
        self.answers = answers
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind(("::1", 0))
        self.port = self.sock.getsockname()[1]
        self.asked = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            q = dns.message.from_wire(data)
            name = q.question[0].name.to_text().rstrip(".").lower()
            rtype = dns.rdatatype.to_text(q.question[0].rdtype)
            self.asked.append((name, rtype))
            resp = dns.message.make_response(q)
            values = self.answers.get((name, rtype))
            if values is None:
                resp.set_rcode(dns.rcode.NXDOMAIN)
            elif values:
                resp.answer.append(dns.rrset.from_text_list(q.question[0].name, 60, "IN", rtype, values))
            self.sock.sendto(resp.to_wire(), peer)

    def close(self):
        self.sock.close()


@pytest.fixture
def v6():
    try:
        server = V6Server({
            ("mail.test", "MX"): ["10 MX.Mail.Test."],
            ("tok._domainkey.mail.test", "CNAME"): ["tok.dkim.amazonses.com."],
            ("sel._domainkey.mail.test", "TXT"): ['"v=DKIM1; p=caf\\195\\169" "' + "A" * 250 + '"'],
            ("empty.test", "MX"): [],
        })
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    yield server
    server.close()


def test_resolver_over_ipv6_with_port(v6):
    for form in ("[::1]:%d" % v6.port, ("::1", v6.port)):
        res = Resolver([form], timeout=2)
        assert res.nameservers == ["[::1]:%d" % v6.port]
        assert res.lookup("Mail.Test.", "MX") == ["10 mx.mail.test"]
        assert res.lookup("sel._domainkey.mail.test", "TXT") == ["v=DKIM1; p=café" + "A" * 250]
        assert res.query("nothing.test", "A") == ("NXDOMAIN", [])
        assert res.query("empty.test", "MX") == ("NOERROR", [])


def test_record_check_reads_through_ipv6(v6):
    records = [{"name": "tok._domainkey.mail.test", "type": "CNAME", "values": ["tok.dkim.amazonses.com"]},
               {"name": "sel._domainkey.mail.test", "type": "TXT", "values": ["v=DKIM1; p=café" + "A" * 250]},
               {"name": "other._domainkey.mail.test", "type": "CNAME", "values": ["other.dkim.amazonses.com"]}]
    missing = record_check.missing_records(records, ["[::1]:%d" % v6.port])
    assert [r["name"] for r in missing] == ["other._domainkey.mail.test"]
    assert ("tok._domainkey.mail.test", "CNAME") in v6.asked  # it really asked the IPv6 server


def test_delisting_check_reads_through_ipv6(v6):
    resolver = mailcheck.make_resolver(mailcheck.parse_resolvers(["[::1]:%d" % v6.port]), timeout=2)
    assert mailcheck.domain_accepts_mail("mail.test", resolver)["mx"] == ["10 mx.mail.test"]
    assert mailcheck.domain_accepts_mail("gone.test", resolver)["accepts_mail"] is False


def test_wait_servers_accept_ipv6():
    servers = servers_from_params({"authoritative_servers": ["::1", "[::1]:5353", "127.0.0.1:54"]})
    assert [s["server"] for s in servers] == ["[::1]:53", "[::1]:5353", "127.0.0.1:54"]


def test_a_dead_server_is_a_dns_error_not_an_empty_answer():
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        sock.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    try:  # bound, never answers
        with pytest.raises(DnsError):
            Resolver(["[::1]:%d" % sock.getsockname()[1]], timeout=0.5).lookup("x.test", "TXT")
    finally:
        sock.close()
