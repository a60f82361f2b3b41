"""The Route 53 provider against recorded Route 53 responses, no network.

A real boto3 client with botocore's Stubber: every call must be the next recorded exchange, with exactly the
recorded parameters (Stubber fails otherwise), and both the request and the recorded response are validated
against botocore's Route 53 service model, so a misspelt parameter or a response shape the provider does not
really get fails here. The responses are the shapes the Route 53 API reference documents (names with a final
dot, ``*`` as ``\\052``, TXT strings quoted with octal escapes, ``/hostedzone/`` and ``/change/`` prefixes).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.deliverability.ses.plugins.module_utils.dns import route53
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Change, Record
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DnsError, InputError

ZONE = "example.com"
ZONE_ID = "Z0123456789ABCDEFGHIJ"


@pytest.fixture
def r53():
    """(client, stubber): the client answers only what the test recorded, in order, and nothing else."""
    client = boto3.client("route53", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="secret")
    stubber = Stubber(client)
    stubber.activate()
    yield client, stubber
    stubber.assert_no_pending_responses()  # every recorded exchange was asked for
    stubber.deactivate()


def provider(client, **params):
    base = {"hosted_zone_id": ZONE_ID, "dns_wait": False}
    base.update(params)
    return route53.Route53Provider(ZONE, base, clients=lambda service: client)


def zone(name, zone_id, private=False):
    return {"Id": "/hostedzone/" + zone_id, "Name": name, "CallerReference": "ref-" + zone_id,
            "Config": {"PrivateZone": private}, "ResourceRecordSetCount": 4}


def rrset(name, rtype, values, ttl=300, **extra):
    out = {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}
    out.update(extra)
    return out


def listing(rrsets, truncated=False, **nxt):
    out = {"ResourceRecordSets": rrsets, "IsTruncated": truncated, "MaxItems": "300"}
    out.update(nxt)
    return out


# ------------------------------------------------------------------------------------------------- the zone id
def test_zone_id_is_found_by_name_among_the_neighbours_route53_lists(r53):
    client, stub = r53
    # ListHostedZonesByName lists from the name on: the next zones in name order come back too
    stub.add_response("list_hosted_zones_by_name",
                      {"HostedZones": [zone("example.com.", "ZPUBLIC"), zone("example.com.au.", "ZAU")],
                       "IsTruncated": False, "MaxItems": "100", "DNSName": "example.com."},
                      {"DNSName": "example.com.", "MaxItems": "100"})
    prov = route53.Route53Provider("Example.COM.", {"dns_wait": False}, clients=lambda service: client)
    assert prov.zone_id == "ZPUBLIC"


def test_a_public_and_a_private_zone_of_one_name(r53):
    client, stub = r53
    both = {"HostedZones": [zone("example.com.", "ZPUB"), zone("example.com.", "ZPRIV", private=True)],
            "IsTruncated": False, "MaxItems": "100"}
    for dummy in range(3):
        stub.add_response("list_hosted_zones_by_name", both, {"DNSName": "example.com.", "MaxItems": "100"})
    assert provider(client, hosted_zone_id=None, private_zone=True).zone_id == "ZPRIV"
    assert provider(client, hosted_zone_id=None, private_zone=False).zone_id == "ZPUB"
    with pytest.raises(InputError) as err:
        provider(client, hosted_zone_id=None)
    assert err.value.option == "zone"
    assert "2 hosted zones are named example.com (ZPUB, ZPRIV): set hosted_zone_id" in err.value.msg


def test_no_zone_of_that_name_names_the_zone(r53):
    client, stub = r53
    stub.add_response("list_hosted_zones_by_name",
                      {"HostedZones": [zone("example.net.", "ZNET")], "IsTruncated": False, "MaxItems": "100"},
                      {"DNSName": "example.com.", "MaxItems": "100"})
    with pytest.raises(InputError) as err:
        provider(client, hosted_zone_id=None)
    assert err.value.option == "zone" and "no Route 53 hosted zone named example.com" in err.value.msg


def test_a_refused_lookup_carries_code_and_operation(r53):
    client, stub = r53
    stub.add_client_error("list_hosted_zones_by_name", service_error_code="AccessDenied",
                          service_message="User is not authorized to perform route53:ListHostedZonesByName",
                          http_status_code=403)
    with pytest.raises(AwsError) as err:
        provider(client, hosted_zone_id=None)
    assert err.value.code == "AccessDenied" and err.value.operation == "ListHostedZonesByName"


# ------------------------------------------------------------------------------------------------- reads
def test_read_lists_from_each_name_and_stops_at_the_next_name(r53):
    client, stub = r53
    # names in sorted order: _dmarc.example.com first
    stub.add_response("list_resource_record_sets", listing([
        rrset("_dmarc.example.com.", "TXT", ['"v=DMARC1; p=none; rua=mailto:d@example.com"'], ttl=60),
    ]), {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": "_dmarc.example.com."})
    stub.add_response("list_resource_record_sets", listing([
        rrset("example.com.", "MX", ["10 inbound-smtp.us-east-1.amazonaws.com"]),
        rrset("example.com.", "TXT", ['"v=spf1 include:amazonses.com ~all"', '"google-site-verification=abc"']),
        rrset("mail.example.com.", "TXT", ['"other name: the listing stops here"']),
    ], truncated=True, NextRecordName="www.example.com.", NextRecordType="A"),
        {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": "example.com."})
    got = provider(client).read([("example.com", "TXT"), ("example.com", "CNAME"), ("_dmarc.example.com", "TXT")])
    assert sorted(got) == [("_dmarc.example.com", "TXT"), ("example.com", "TXT")]  # MX not asked, CNAME absent
    txt = got[("example.com", "TXT")]
    assert sorted(txt.values) == ["google-site-verification=abc", "v=spf1 include:amazonses.com ~all"]
    assert txt.ttl == 300
    # kept exactly as Route 53 holds them: a DELETE must repeat them byte for byte
    assert txt.raw == ['"v=spf1 include:amazonses.com ~all"', '"google-site-verification=abc"']
    assert list(got[("_dmarc.example.com", "TXT")].values) == ["v=DMARC1; p=none; rua=mailto:d@example.com"]
    assert got[("_dmarc.example.com", "TXT")].ttl == 60


def test_read_decodes_octal_txt_split_strings_and_escaped_names(r53):
    client, stub = r53
    long_dkim = "v=DKIM1; k=rsa; p=" + "A" * 300
    split = '"%s" "%s"' % (long_dkim[:255], long_dkim[255:])  # one value, two strings of at most 255
    stub.add_response("list_resource_record_sets", listing([
        rrset("\\052.example.com.", "TXT", ['"caf\\303\\251 \\"quoted\\""', split]),
    ]), {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": "*.example.com."})
    got = provider(client).read([("*.example.com", "TXT")])
    assert sorted(got[("*.example.com", "TXT")].values) == sorted(['café "quoted"', long_dkim])


def test_alias_and_routing_policy_records_are_left_alone(r53):
    client, stub = r53
    stub.add_response("list_resource_record_sets", listing([
        {"Name": "www.example.com.", "Type": "A",
         "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d111.cloudfront.net.",
                         "EvaluateTargetHealth": False}},
        rrset("www.example.com.", "TXT", ['"weighted"'], SetIdentifier="blue", Weight=10),
    ]), {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": "www.example.com."})
    assert provider(client).read([("www.example.com", "A"), ("www.example.com", "TXT")]) == {}


def test_read_of_many_names_lists_the_zone_once_page_by_page(r53):
    client, stub = r53
    names = ["n%02d.example.com" % i for i in range(route53.LIST_THRESHOLD + 1)]
    half = len(names) // 2
    stub.add_response("list_resource_record_sets", listing(
        [rrset("example.com.", "SOA", ["ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"])]
        + [rrset(n + ".", "TXT", ['"%s"' % n]) for n in names[:half]],
        truncated=True, NextRecordName=names[half] + ".", NextRecordType="TXT"),
        {"HostedZoneId": ZONE_ID, "MaxItems": "300"})
    stub.add_response("list_resource_record_sets", listing([rrset(n + ".", "TXT", ['"%s"' % n]) for n in names[half:]]),
                      {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": names[half] + ".",
                       "StartRecordType": "TXT"})
    got = provider(client).read([(n, "TXT") for n in names])
    assert sorted(got) == [(n, "TXT") for n in names]
    assert all(list(got[(n, "TXT")].values) == [n] for n in names)


def test_read_zone_leaves_out_soa_and_ns_and_follows_record_identifiers(r53):
    client, stub = r53
    stub.add_response("list_resource_record_sets", listing([
        rrset("example.com.", "NS", ["ns-1.awsdns-01.org.", "ns-2.awsdns-02.co.uk."], ttl=172800),
        rrset("example.com.", "SOA", ["ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"]),
    ], truncated=True, NextRecordName="a.example.com.", NextRecordType="A", NextRecordIdentifier="blue"),
        {"HostedZoneId": ZONE_ID, "MaxItems": "300"})
    stub.add_response("list_resource_record_sets", listing([
        rrset("a.example.com.", "A", ["192.0.2.10"], SetIdentifier="blue", Weight=1),
        rrset("mail.example.com.", "MX", ["10 feedback-smtp.us-east-1.amazonses.com"]),
    ]), {"HostedZoneId": ZONE_ID, "MaxItems": "300", "StartRecordName": "a.example.com.", "StartRecordType": "A",
         "StartRecordIdentifier": "blue"})
    got = provider(client).read_zone()
    assert list(got) == [("mail.example.com", "MX")]
    assert list(got[("mail.example.com", "MX")].values) == ["10 feedback-smtp.us-east-1.amazonses.com"]


# ------------------------------------------------------------------------------------------------- writes
def change_batch(*changes):
    return {"Comment": "deliverability.ses", "Changes": list(changes)}


def submitted(change_id, status="PENDING"):
    return {"ChangeInfo": {"Id": "/change/" + change_id, "Status": status,
                           "SubmittedAt": "2026-12-05T08:00:00Z", "Comment": "deliverability.ses"}}


def test_an_update_deletes_exactly_what_was_read_and_waits_for_insync(r53):
    client, stub = r53
    before = Record("example.com", "TXT", ["v=spf1 ~all"], 300, raw=['"v=spf1  ~all"'])  # as Route 53 held it
    after = Record("example.com", "TXT", ["v=spf1 include:amazonses.com ~all"], 300)
    new = Record("_dmarc.example.com", "TXT", ["v=DMARC1; p=quarantine"], 60)
    stub.add_response("change_resource_record_sets", submitted("C1"), {"HostedZoneId": ZONE_ID, "ChangeBatch": change_batch(
        {"Action": "DELETE", "ResourceRecordSet": rrset("example.com.", "TXT", ['"v=spf1  ~all"'])},
        {"Action": "CREATE", "ResourceRecordSet": rrset("example.com.", "TXT", ['"v=spf1 include:amazonses.com ~all"'])},
        {"Action": "CREATE", "ResourceRecordSet": rrset("_dmarc.example.com.", "TXT", ['"v=DMARC1; p=quarantine"'],
                                                        ttl=60)})})
    stub.add_response("get_change", submitted("C1", "INSYNC"), {"Id": "C1"})
    prov = provider(client, dns_wait=True)
    prov.apply([Change(before, after), Change(None, new)])
    assert prov.last_change == ["C1"] and prov.submitted == 2


def test_a_delete_sends_only_the_delete_and_dns_wait_false_does_not_poll(r53):
    client, stub = r53
    gone = Record("old.example.com", "CNAME", ["target.example.net"], 3600)
    stub.add_response("change_resource_record_sets", submitted("C2"), {"HostedZoneId": ZONE_ID, "ChangeBatch": change_batch(
        {"Action": "DELETE", "ResourceRecordSet": rrset("old.example.com.", "CNAME", ["target.example.net."],
                                                        ttl=3600)})})
    prov = provider(client, dns_wait=False)
    prov.apply([Change(gone, None)])  # no GetChange recorded: one would fail the Stubber
    assert prov.last_change == ["C2"]


def test_changes_go_in_batches_and_a_refused_batch_reports_what_was_submitted(r53):
    client, stub = r53
    changes = [Change(None, Record("h%03d.example.com" % i, "TXT", ["v%d" % i], 300))
               for i in range(route53.BATCH + 5)]
    stub.add_response("change_resource_record_sets", submitted("C3"), {"HostedZoneId": ZONE_ID, "ChangeBatch": change_batch(
        *[{"Action": "CREATE", "ResourceRecordSet": rrset("h%03d.example.com." % i, "TXT", ['"v%d"' % i])}
          for i in range(route53.BATCH)])})
    stub.add_client_error("change_resource_record_sets", service_error_code="InvalidChangeBatch",
                          service_message="[Tried to create resource record set [name='h100.example.com.', "
                                          "type='TXT'] but it already exists]", http_status_code=400)
    prov = provider(client)
    with pytest.raises(AwsError) as err:
        prov.apply(changes)
    assert err.value.code == "InvalidChangeBatch" and err.value.operation == "ChangeResourceRecordSets"
    assert "an rrset changed since it was read" in err.value.msg and "but it already exists" in err.value.msg
    assert prov.submitted == route53.BATCH  # the first batch was accepted; the caller reports it


def test_a_change_that_never_gets_insync_is_an_error_naming_it(r53, monkeypatch):
    client, stub = r53
    stub.add_response("change_resource_record_sets", submitted("C4"), None)
    stub.add_response("get_change", submitted("C4", "PENDING"), {"Id": "C4"})
    prov = provider(client, dns_wait=True, dns_wait_timeout=5)
    ticks = iter(range(0, 1000, 10))  # each look at the clock is 10 s later: the first PENDING is past 5 s
    monkeypatch.setattr(route53, "time", type("Clock", (), {"monotonic": staticmethod(lambda: next(ticks))}))
    with pytest.raises(DnsError) as err:
        prov.apply([Change(None, Record("x.example.com", "TXT", ["x"], 300))])
    assert err.value.operation == "GetChange C4" and err.value.rcode == "PENDING"
    assert "not INSYNC after 5.0s (the change was submitted)" in err.value.msg


# ------------------------------------------------------------------------------------------------- zones by name
def test_enclosing_zone_walks_up_over_every_page(r53):
    client, stub = r53
    stub.add_response("list_hosted_zones", {"HostedZones": [zone("example.org.", "ZORG")], "IsTruncated": True,
                                            "NextMarker": "ZNEXT", "Marker": "", "MaxItems": "1"}, {})
    stub.add_response("list_hosted_zones", {"HostedZones": [zone("example.com.", "ZCOM"),
                                                            zone("example.com.", "ZCOMPRIV", private=True)],
                                            "IsTruncated": False, "Marker": "ZNEXT", "MaxItems": "1"},
                      {"Marker": "ZNEXT"})
    assert route53.enclosing_zone(client, "news.Example.com.", private_zone=False) == ("example.com", "ZCOM")


def test_enclosing_zone_refuses_an_ambiguous_or_missing_zone(r53):
    client, stub = r53
    two = {"HostedZones": [zone("example.com.", "ZA"), zone("example.com.", "ZB")], "IsTruncated": False,
           "Marker": "", "MaxItems": "100"}
    stub.add_response("list_hosted_zones", two, {})
    stub.add_response("list_hosted_zones", two, {})
    with pytest.raises(InputError) as err:
        route53.enclosing_zone(client, "a.example.com")
    assert err.value.option == "hosted_zone_id" and "several hosted zones are named example.com" in err.value.msg
    with pytest.raises(InputError) as err:
        route53.enclosing_zone(client, "a.b.example.net")
    assert err.value.option == "zone"
    assert "looked for a.b.example.net, b.example.net, example.net" in err.value.msg
