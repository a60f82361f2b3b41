"""The sandbox's DNS server (`make sandbox`'s --dns-port) answers as DNS does, read with dig: SOA and NS for every
zone, CNAME / MX targets written without the final dot, TXT values split into strings, NODATA apart from NXDOMAIN
(with the zone's SOA), more than 100 hosted zones, and SES's SPF at amazonses.com still there after a reset.
Route 53 change batches as Route 53 judges them (CREATE conflicts only on the same name and type; a refused batch
writes nothing), and a DNS port that is free on both TCP and UDP."""

from __future__ import annotations

import socket
import socketserver
import subprocess

import botocore.exceptions
import pytest

from tests.fixtures.names import unique
from tests.fixtures.route53_dns import Route53Dns
from tests.sandbox.control import Sandbox


@pytest.fixture(scope="module")
def dns_sandbox():
    with Sandbox(dns_port="auto") as sb:
        yield sb


def dig(sb, name, rtype, *options, port=None):
    out = subprocess.run(["dig", "+tries=1", "+time=3", *options, "-p", str(port or sb.dns_port), "@127.0.0.1",
                          name, rtype], capture_output=True, text=True, timeout=30, check=False).stdout
    status = out.split("status: ")[1].split(",")[0] if "status: " in out else "TIMEOUT"
    answers = []
    section = None
    for line in out.splitlines():
        if line.startswith(";; ANSWER SECTION") or line.startswith(";; AUTHORITY SECTION"):
            section = line.split()[1]
        elif not line.strip():
            section = None
        elif section and not line.startswith(";"):
            fields = line.split(None, 4)
            answers.append((section, fields[3], fields[4]))
    return status, answers


def _zone(sb, name, records=()):
    r53 = sb.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    if records:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 300,
                                                        "ResourceRecords": [{"Value": v} for v in vs]}}
            for n, t, vs in records]})
    return zone_id


def test_records_answer_as_dns_does(dns_sandbox):
    sb = dns_sandbox
    name = unique("dig")
    long_txt = '"%s" "%s"' % ("a" * 255, "b" * 45)
    _zone(sb, name, [("mail." + name, "MX", ["10 feedback-smtp.us-east-1.amazonses.com"]),
                     ("sel._domainkey." + name, "CNAME", ["sel.dkim.amazonses.com"]),
                     (name, "TXT", [long_txt])])
    status, ans = dig(sb, name, "SOA")
    assert status == "NOERROR" and [a[1] for a in ans] == ["SOA"], ans
    status, ans = dig(sb, name, "NS")
    assert status == "NOERROR" and len(ans) == 4 and all(a[1] == "NS" and a[2].endswith(".") for a in ans), ans
    assert dig(sb, "mail." + name, "MX")[1] == [("ANSWER", "MX", "10 feedback-smtp.us-east-1.amazonses.com.")]
    assert dig(sb, "sel._domainkey." + name, "CNAME")[1] == [("ANSWER", "CNAME", "sel.dkim.amazonses.com.")]
    assert dig(sb, name, "TXT")[1] == [("ANSWER", "TXT", long_txt)]
    # NODATA (the name exists, or has names below it) is not NXDOMAIN; both carry the zone's SOA
    status, ans = dig(sb, "mail." + name, "TXT")
    assert status == "NOERROR" and [a[:2] for a in ans] == [("AUTHORITY", "SOA")], ans
    status, ans = dig(sb, "_domainkey." + name, "TXT")
    assert status == "NOERROR" and [a[:2] for a in ans] == [("AUTHORITY", "SOA")], ans
    status, ans = dig(sb, "nothing." + name, "A")
    assert status == "NXDOMAIN" and [a[:2] for a in ans] == [("AUTHORITY", "SOA")], ans
    assert dig(sb, "outside.invalid", "A")[0] == "REFUSED"


def test_more_than_a_page_of_zones_and_a_reset_keeps_amazonses(dns_sandbox):
    sb = dns_sandbox
    names = [unique("many") for _ in range(105)]
    for n in names:
        _zone(sb, n)
    last = names[-1]  # past ListHostedZones' first page of 100
    _zone(sb, "x." + last, [("x." + last, "TXT", ['"deep"'])])
    assert dig(sb, last, "SOA")[0] == "NOERROR"
    assert dig(sb, "x." + last, "TXT")[1] == [("ANSWER", "TXT", '"deep"')]
    sb.reset()
    assert dig(sb, last, "SOA")[0] == "REFUSED"  # the test's zones are gone
    status, ans = dig(sb, "amazonses.com", "TXT")
    assert status == "NOERROR" and ans and "include" not in ans[0][2] and ans[0][2].startswith('"v=spf1 ip4:'), ans


def _change(sb, zone_id, *changes):
    sb.boto3_client("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": action, "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 300,
                                                 "ResourceRecords": [{"Value": v} for v in vs]}}
        for action, n, t, vs in changes]})


def _listed(sb, zone_id):
    pages = sb.boto3_client("route53").get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return {(r["Name"], r["Type"]): sorted(v["Value"] for v in r.get("ResourceRecords", []))
            for page in pages for r in page["ResourceRecordSets"] if r["Type"] not in ("SOA", "NS")}


def test_onboard_offboard_onboard_creates_again(dns_sandbox):
    """A CREATE conflicts only with a record set of the same name and type: after the MX is deleted, the TXT of the
    same name (which sorts after it) does not make the same CREATE fail with `MX already exists` (moto did)."""
    sb = dns_sandbox
    name = unique("again")
    zone_id = _zone(sb, name)
    mx = ("mail." + name, "MX", ["10 feedback-smtp.us-east-1.amazonses.com"])
    spf = ("mail." + name, "TXT", ['"v=spf1 include:amazonses.com ~all"'])
    _change(sb, zone_id, ("CREATE",) + mx, ("CREATE",) + spf)   # onboard
    _change(sb, zone_id, ("DELETE",) + mx)                      # offboard (the MAIL FROM MX only)
    assert dig(sb, "mail." + name, "MX")[1] == [("AUTHORITY", "SOA", dig(sb, name, "SOA")[1][0][2])]
    _change(sb, zone_id, ("CREATE",) + mx)                      # onboard again
    assert dig(sb, "mail." + name, "MX")[1] == [("ANSWER", "MX", "10 feedback-smtp.us-east-1.amazonses.com.")]
    assert _listed(sb, zone_id) == {("mail.%s." % name, "MX"): mx[2], ("mail.%s." % name, "TXT"): spf[2]}


@pytest.mark.parametrize("spelling", ["exact", "upper-case, no final dot"])
def test_create_of_an_existing_name_and_type_is_refused_and_a_refused_batch_writes_nothing(dns_sandbox, spelling):
    sb = dns_sandbox
    name = unique("exists")
    zone_id = _zone(sb, name, [("mail." + name, "MX", ["10 feedback-smtp.us-east-1.amazonses.com"])])
    before = _listed(sb, zone_id)
    mail = ("mail.%s." % name) if spelling == "exact" else ("MAIL." + name.upper())
    with pytest.raises(botocore.exceptions.ClientError) as err:
        # one change that holds (a new name) and one that does not (the MX exists, with another value even)
        _change(sb, zone_id, ("CREATE", "new." + name, "TXT", ['"v=spf1 -all"']),
                ("CREATE", mail, "MX", ["20 elsewhere.example.net"]))
    assert err.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert "Tried to create resource record set [name='mail.%s.', type='MX'] but it already exists" % name \
        in err.value.response["Error"]["Message"]
    assert _listed(sb, zone_id) == before
    assert dig(sb, "new." + name, "TXT")[0] == "NXDOMAIN"
    assert dig(sb, "mail." + name, "MX")[1] == [("ANSWER", "MX", "10 feedback-smtp.us-east-1.amazonses.com.")]


def test_names_are_stored_in_lower_case_however_written(dns_sandbox):
    """Route 53 "stores alphabetic characters as lowercase letters (a-z), regardless of how you specify them"."""
    sb = dns_sandbox
    name = unique("case")
    r53 = sb.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=name.upper(), CallerReference=name)["HostedZone"]["Id"]
    assert r53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"] == name + "."
    _change(sb, zone_id, ("CREATE", "MAIL." + name.upper(), "MX", ["10 feedback-smtp.us-east-1.amazonses.com"]))
    assert _listed(sb, zone_id) == {("mail.%s." % name, "MX"): ["10 feedback-smtp.us-east-1.amazonses.com"]}
    assert dig(sb, "Mail." + name, "MX")[1] == [("ANSWER", "MX", "10 feedback-smtp.us-east-1.amazonses.com.")]
    _change(sb, zone_id, ("DELETE", "mail." + name, "MX", ["10 feedback-smtp.us-east-1.amazonses.com"]))
    assert _listed(sb, zone_id) == {}


def test_the_auto_dns_port_answers_on_udp_and_tcp(dns_sandbox):
    sb = dns_sandbox
    assert isinstance(sb.dns_port, int) and sb.dns_port > 0
    for transport in ("+notcp", "+tcp"):
        status, ans = dig(sb, "amazonses.com", "SOA", transport)
        assert status == "NOERROR" and [a[1] for a in ans] == ["SOA"], (transport, ans)


def test_a_number_taken_on_the_second_protocol_is_tried_again(dns_sandbox, monkeypatch):
    """The number the first socket got is taken on the other protocol before the second binds (the `Address already
    in use` of make demo, made to happen every time): the server moves to a fresh number free on both."""
    stolen = []

    def stealing(real, kind):
        def make(address, handler):
            if address[1] and not stolen:  # the second protocol, on the number the first one got
                thief = socket.socket(socket.AF_INET, kind)
                thief.bind(address)
                if kind == socket.SOCK_STREAM:
                    thief.listen()
                stolen.append(thief)
            return real(address, handler)
        return make
    for server, kind in (("ThreadingUDPServer", socket.SOCK_DGRAM), ("ThreadingTCPServer", socket.SOCK_STREAM)):
        monkeypatch.setattr(socketserver, server, stealing(getattr(socketserver, server), kind))
    try:
        with Route53Dns(dns_sandbox.endpoint) as server:
            assert stolen and server.port != stolen[0].getsockname()[1]
            for transport in ("+notcp", "+tcp"):
                status, ans = dig(dns_sandbox, "amazonses.com", "TXT", transport, port=server.port)
                assert status == "NOERROR" and ans[0][2].startswith('"v=spf1 ip4:'), (transport, ans)
    finally:
        for thief in stolen:
            thief.close()


def _taken_on_udp_only():
    """A UDP socket holding a number that is free on TCP, so that the refusal is about UDP."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        with socket.socket() as tcp:
            try:
                tcp.bind(udp.getsockname())
                return udp
            except OSError:
                udp.close()
    raise AssertionError("no UDP port free on TCP in 20 tries")


def test_a_fixed_dns_port_taken_on_udp_is_refused_naming_port_and_protocol():
    with _taken_on_udp_only() as taken:
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError) as err:
            Sandbox(dns_port=port).start()
    message = str(err.value)
    assert "--dns-port %d: DNS port 127.0.0.1:%d is taken on UDP" % (port, port) in message, message
    assert "Traceback" not in message, message
