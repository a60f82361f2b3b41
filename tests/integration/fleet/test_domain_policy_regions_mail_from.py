"""domain_policy with regions and a MAIL FROM domain (issue 26): each replica gets its own MAIL FROM name
(``mail-<region>.<domain>``, policy/identity.replica_mail_from_domain), set in its region, and that name's MX (the
region's feedback endpoint, the only MX there) and SPF written by the fleet's DNS path with the primary's records.
Check mode reports a missing or different replica MAIL FROM as drift and writes nothing; a second run changes
nothing. In-process (module_main); SES read back per region with boto3, the DNS with the Route 53 API."""

from __future__ import annotations

import pytest

from tests.fixtures.names import unique

pytestmark = pytest.mark.bind

US, EU = "us-east-1", "eu-west-1"
SPF = '"v=spf1 include:amazonses.com ~all"'


def _args(zone, domains, bind, **extra):
    out = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 4, "domains": domains,
           "spf": {"enabled": False}, "dmarc": {"enabled": False}, "mail_from_subdomain": "mail"}
    out.update(extra)
    return out


def _rrsets(r53, zone_id):
    out = {}
    for page in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for rr in page["ResourceRecordSets"]:
            out[(rr["Name"].rstrip(".").lower(), rr["Type"])] = sorted(v["Value"] for v in rr["ResourceRecords"])
    return out


def test_each_replica_gets_its_own_mail_from_and_records_check_mode_first(module_main, sandbox, bind):
    zone = unique("mfz")
    r53 = sandbox.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    fresh, bare, other = ("%s.%s" % (x, zone) for x in ("fresh", "bare", "other"))
    domains = [fresh, bare, other]
    assert module_main("domain_policy", _args(zone, domains, bind)).rc == 0  # us-east-1 only, MAIL FROM mail.<d>
    eu_ses, us_ses = sandbox.boto3_client("sesv2", EU), sandbox.boto3_client("sesv2", US)
    deed = {"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"}
    eu_ses.create_email_identity(EmailIdentity=bare, DkimSigningAttributes=deed)  # replica, SES's default MAIL FROM
    eu_ses.create_email_identity(EmailIdentity=other, DkimSigningAttributes=deed)
    eu_ses.put_email_identity_mail_from_attributes(EmailIdentity=other, MailFromDomain="mail." + other)  # the primary's
    before = _rrsets(r53, zone_id)
    args = _args(zone, domains, bind, regions=[US, EU])
    want = dict((d, "mail-eu-west-1." + d) for d in domains)

    mark = sandbox.mark()
    audit = module_main("domain_policy", args, check=True, diff=True)
    assert audit.rc == 0 and audit.result["changed"] is True, audit.result
    assert sandbox.mutating_calls(since=mark) == []  # no write in any region, no DNS write
    assert _rrsets(r53, zone_id) == before
    by = dict((d["domain"], d) for d in audit.result["domains"])
    assert [f["id"] for f in by[fresh]["regions"][EU]["findings"]] == ["region_identity_missing"]
    assert by[fresh]["regions"][EU]["actions"] == ["CreateEmailIdentity", "PutEmailIdentityMailFromAttributes"]
    assert [f["id"] for f in by[bare]["regions"][EU]["findings"]] == ["region_mail_from_missing"]
    assert [f["id"] for f in by[other]["regions"][EU]["findings"]] == ["region_mail_from_different"]
    for d in (bare, other):
        assert by[d]["regions"][EU]["actions"] == ["PutEmailIdentityMailFromAttributes"]
    assert by[other]["diff"]["before"]["ses"]["regions"][EU]["mail_from_domain"] == "mail." + other
    assert by[other]["diff"]["after"]["ses"]["regions"][EU]["mail_from_domain"] == want[other]
    for d in domains:  # the replica's records planned, as the primary's were
        planned = dict(((c["name"].rstrip(".").lower(), c["type"]), c) for c in by[d]["dns_changes"])
        assert sorted(planned) == [(want[d], "MX"), (want[d], "TXT")], by[d]["dns_changes"]
    summary = audit.result["regions"]["regions"][EU]
    assert (summary["missing"], summary["mail_from_missing"], summary["mail_from_different"]) == (1, 1, 1)

    mark = sandbox.mark()
    run = module_main("domain_policy", args)
    assert run.rc == 0 and run.result["changed"] is True, run.result
    writes = sandbox.mutating_calls(since=mark)
    ses_writes = sorted((w["operation"], w["region"], w["params"].get("EmailIdentity"),
                         w["params"].get("MailFromDomain")) for w in writes if w["service"] == "sesv2")
    assert {w["operation"] for w in writes if w["service"] != "sesv2"} == {"ChangeResourceRecordSets"}
    assert ses_writes == sorted([("CreateEmailIdentity", EU, fresh, None)] + [
        ("PutEmailIdentityMailFromAttributes", EU, d, want[d]) for d in domains]), ses_writes
    assert run.result["regions"]["regions"][EU]["mail_from_set"] == 3
    after = _rrsets(r53, zone_id)
    added = {k: v for k, v in after.items() if k not in before}
    assert added == dict([((want[d], "MX"), ["10 feedback-smtp.eu-west-1.amazonses.com."]) for d in domains]
                         + [((want[d], "TXT"), [SPF]) for d in domains]), added
    assert all(after[k] == v for k, v in before.items())  # the primary's MAIL FROM records are as they were
    assert after[("mail." + fresh, "MX")] == ["10 feedback-smtp.us-east-1.amazonses.com."]
    for d in domains:  # read back per region
        replica = eu_ses.get_email_identity(EmailIdentity=d)["MailFromAttributes"]
        assert replica["MailFromDomain"] == want[d] and replica["BehaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
        assert replica["MailFromDomainStatus"] == "SUCCESS", replica  # SES (the sandbox) found the EU MX there
        assert us_ses.get_email_identity(EmailIdentity=d)["MailFromAttributes"]["MailFromDomain"] == "mail." + d

    mark = sandbox.mark()
    again = module_main("domain_policy", args)
    assert again.rc == 0 and again.result["changed"] is False, [d.get("regions") for d in again.result["domains"]]
    assert sandbox.mutating_calls(since=mark) == []
    assert all(d["regions"][EU]["findings"] == [] and not d["dns_changes"] for d in again.result["domains"])
    assert _rrsets(r53, zone_id) == after


def test_without_mail_from_a_replica_keeps_ses_default_and_no_record_is_written(module_main, sandbox, bind):
    zone = unique("mfz")
    r53 = sandbox.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    domain = "plain." + zone
    args = _args(zone, [domain], bind)
    del args["mail_from_subdomain"]
    assert module_main("domain_policy", args).rc == 0
    before = _rrsets(r53, zone_id)
    run = module_main("domain_policy", dict(args, regions=[US, EU]))
    assert run.rc == 0 and run.result["domains"][0]["regions"][EU]["actions"] == ["CreateEmailIdentity"]
    assert "MailFromDomain" not in sandbox.boto3_client("sesv2", EU).get_email_identity(
        EmailIdentity=domain)["MailFromAttributes"]
    assert _rrsets(r53, zone_id) == before
