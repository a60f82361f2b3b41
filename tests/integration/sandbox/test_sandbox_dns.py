"""The sandbox's DNS server (`make sandbox`'s --dns-port) answers as DNS does, read with dig: SOA and NS for every
zone, CNAME / MX targets written without the final dot, TXT values split into strings, NODATA apart from NXDOMAIN
(with the zone's SOA), more than 100 hosted zones, and SES's SPF at amazonses.com still there after a reset."""

from __future__ import annotations

import subprocess

import pytest

from tests.fixtures.names import unique
from tests.sandbox.control import Sandbox, free_port


@pytest.fixture(scope="module")
def dns_sandbox():
    with Sandbox(dns_port=free_port()) as sb:
        yield sb


def dig(sb, name, rtype):
    out = subprocess.run(["dig", "+tries=1", "+time=3", "-p", str(sb.dns_port), "@127.0.0.1", name, rtype],
                         capture_output=True, text=True, timeout=30, check=False).stdout
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
