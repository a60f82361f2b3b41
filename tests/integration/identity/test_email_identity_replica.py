"""email_identity with dkim.origin_region: a Deterministic Easy DKIM (DEED) replica of the identity of the same
name in another region, run in-process (module_main) against the sandbox and read back per region with the AWS CLI
(--region) and boto3. Check mode, diff, a second run, drift (own keys, another parent) and bad input (nothing
written in any region, from the sandbox's request log)."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import dkim_records

from tests.fixtures.aws_cli import sesv2 as cli
from tests.fixtures.names import unique

from .helpers import publish_route53

M = "email_identity"
US, EU, AP, WEST = "us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"


def verified_parent(sandbox, name, region=US):
    """The parent identity in ``region``, its Easy DKIM CNAMEs published in the sandbox's Route 53."""
    tokens = sandbox.boto3_client("sesv2", region).create_email_identity(EmailIdentity=name)["DkimAttributes"]["Tokens"]
    publish_route53(sandbox, name, dkim_records(tokens, name))
    assert sandbox.boto3_client("sesv2", region).get_email_identity(EmailIdentity=name)["DkimAttributes"][
        "Status"] == "SUCCESS"
    return tokens


def record_count(sandbox):
    r53 = sandbox.boto3_client("route53")
    return sum(len(r53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"])
               for z in r53.list_hosted_zones()["HostedZones"])


def test_replica_created_with_deed_check_mode_diff_and_second_run(module_main, sandbox):
    name = unique("replica", "example.com")
    tokens = verified_parent(sandbox, name)
    records_before = record_count(sandbox)
    args = {"identity": name, "region": EU, "dkim": {"origin_region": US}}

    mark = sandbox.mark()
    check = module_main(M, args, check=True, diff=True)
    assert check.rc == 0, check.result
    assert check.result["changed"] is True and check.result["actions"] == ["CreateEmailIdentity"]
    assert check.result["diff"]["before"] == {"state": "absent"}
    assert check.result["diff"]["after"]["dkim"] == {"signing_enabled": True, "mode": "replica", "origin_region": US}
    assert check.result["replica"]["origin"] == "AWS_SES_US_EAST_1"
    assert check.result["replica"]["current_origin"] is None and check.result["replica"]["drift"] is False
    assert check.result["dns_records"] == []
    assert sandbox.mutating_calls(since=mark) == []  # check mode: no write in any region
    # the parent was read in its own region before anything else
    reads = [(r["operation"], r["region"]) for r in sandbox.requests(since=mark)]
    assert reads == [("GetEmailIdentity", EU), ("GetEmailIdentity", US)], reads
    rc, _out, err = cli(sandbox, EU, "get-email-identity", "--email-identity", name)
    assert rc != 0 and "NotFoundException" in err

    mark = sandbox.mark()
    made = module_main(M, args, diff=True)
    assert made.rc == 0, made.result
    assert made.result["changed"] is True and made.result["actions"] == check.result["actions"]
    assert made.result["diff"] == check.result["diff"]  # the prediction was exact
    assert made.result["dns_records"] == []  # the replica signs with the parent's keys: no record of its own
    writes = sandbox.mutating_calls(since=mark)
    assert [(w["operation"], w["region"]) for w in writes] == [("CreateEmailIdentity", EU)]
    assert writes[0]["params"]["DkimSigningAttributes"] == {"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"}

    # read back per region with the AWS CLI: the replica has the parent's tokens, is verified, the parent unchanged
    rc, eu, err = cli(sandbox, EU, "get-email-identity", "--email-identity", name)
    assert rc == 0, err
    assert eu["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1"
    assert eu["DkimAttributes"]["Tokens"] == tokens
    assert eu["DkimAttributes"]["Status"] == "SUCCESS" and eu["VerifiedForSendingStatus"] is True
    rc, us, err = cli(sandbox, US, "get-email-identity", "--email-identity", name)
    assert rc == 0 and us["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES", err
    assert record_count(sandbox) == records_before  # no new DNS record

    mark = sandbox.mark()
    again = module_main(M, args, diff=True)
    assert again.rc == 0, again.result
    assert again.result["changed"] is False and again.result["actions"] == []
    assert again.result["replica"]["drift"] is False and again.result["replica"]["findings"] == []
    assert again.result["replica"]["current_origin"] == "AWS_SES_US_EAST_1"
    assert again.result["diff"]["before"]["dkim"]["mode"] == "replica"
    assert again.result["diff"]["before"]["dkim"]["origin_region"] == US
    assert sandbox.mutating_calls(since=mark) == []
    assert [r["operation"] for r in sandbox.requests(since=mark)] == ["GetEmailIdentity"]  # one read, no parent read


def test_existing_identity_with_own_keys_or_another_parent_is_reported_not_changed(module_main, sandbox):
    name = unique("drift", "example.com")
    verified_parent(sandbox, name)
    verified_parent(sandbox, name, region=WEST)
    own = sandbox.boto3_client("sesv2", AP).create_email_identity(EmailIdentity=name)["DkimAttributes"]["Tokens"]
    sandbox.boto3_client("sesv2", EU).create_email_identity(
        EmailIdentity=name, DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_WEST_2"})

    mark = sandbox.mark()
    res = module_main(M, {"identity": name, "region": AP, "dkim": {"origin_region": US}})
    assert res.rc == 0, res.result
    assert res.result["changed"] is False and res.result["actions"] == []
    assert res.result["replica"]["drift"] is True and res.result["replica"]["current_origin"] == "AWS_SES"
    assert "region_dkim_own_keys" in [f["id"] for f in res.result["replica"]["findings"]]
    assert any("dkim.origin_region" in w and "delete it in %s" % AP in w for w in res.result["warnings"])
    assert len(res.result["dns_records"]) == 3  # it still needs its own CNAMEs while it signs with its own keys

    res = module_main(M, {"identity": name, "region": EU, "dkim": {"origin_region": US}})
    assert res.rc == 0, res.result
    assert res.result["changed"] is False and res.result["replica"]["drift"] is True
    assert [f["id"] for f in res.result["replica"]["findings"]] == ["region_dkim_wrong_parent"]
    assert sandbox.mutating_calls(since=mark) == []
    # read back: both left as they were
    rc, ap, err = cli(sandbox, AP, "get-email-identity", "--email-identity", name)
    assert rc == 0 and ap["DkimAttributes"]["Tokens"] == own and ap["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES"
    rc, eu, err = cli(sandbox, EU, "get-email-identity", "--email-identity", name)
    assert rc == 0 and eu["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_WEST_2", err


BAD = [
    # (case, identity ("name": verified in us-east-1 with a replica in eu-west-1; "other": only in ap-southeast-2,
    #  own keys, not verified), connection region, dkim, words in the message, reads allowed)
    ("unknown region", "name", EU, {"origin_region": "zz-north-1"}, "dkim.origin_region: unknown region", False),
    ("unknown replica region", "other", "zz-north-1", {"origin_region": US}, "region: unknown region", False),
    ("not a region name", "name", EU, {"origin_region": "US-EAST-1"}, "dkim.origin_region", False),
    ("the connection's own region", "other", EU, {"origin_region": EU}, "region this task connects to", False),
    ("with a key length", "other", EU, {"origin_region": US, "key_length": "RSA_1024_BIT"}, "dkim.key_length", False),
    ("an address", "address", EU, {"origin_region": US}, "domain identities only", False),
    ("no parent there", "other", EU, {"origin_region": WEST}, "is not an SES identity in us-west-2", True),
    ("parent not verified", "other", EU, {"origin_region": AP}, "is not verified in ap-southeast-2", True),
    ("parent is a replica", "name", AP, {"origin_region": EU}, "is itself a replica of us-east-1", True),
]


def test_bad_input_one_clear_error_and_nothing_written(module_main, sandbox):
    name = unique("badreplica", "example.com")
    other = unique("fresh", "example.com")
    verified_parent(sandbox, name)
    sandbox.boto3_client("sesv2", EU).create_email_identity(
        EmailIdentity=name, DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    sandbox.boto3_client("sesv2", AP).create_email_identity(EmailIdentity=other)
    names = {"name": name, "other": other, "address": "news@" + other}
    for case, which, region, dkim, words, reads in BAD:
        mark = sandbox.mark()
        res = module_main(M, {"identity": names[which], "region": region, "dkim": dkim})
        assert res.rc != 0 and res.result.get("failed"), (case, res.result)
        assert not res.result.get("traceback_escaped"), (case, res.result)
        msg = res.result["msg"]
        assert words in msg and ("dkim." in msg or msg.startswith("region: ")), (case, msg)
        assert sandbox.mutating_calls(since=mark) == [], case  # nothing written in any region
        if not reads:
            assert sandbox.requests(since=mark) == [], case  # refused before the first request
    # read back: the regions that were refused hold no new identity
    for region, ident in ((EU, other), (AP, name)):
        rc, _out, err = cli(sandbox, region, "get-email-identity", "--email-identity", ident)
        assert rc != 0 and "NotFoundException" in err, (region, ident)


@pytest.mark.parametrize("check", [True, False])
def test_wait_follows_the_parent(module_main, sandbox, check):
    name = unique("waitreplica", "example.com")
    verified_parent(sandbox, name)
    res = module_main(M, {"identity": name, "region": EU, "dkim": {"origin_region": US}, "wait": True,
                          "wait_timeout": 30}, check=check)
    assert res.rc == 0, res.result
    if check:
        assert res.result["identity"] is None
    else:
        assert res.result["identity"]["dkim"]["status"] == "SUCCESS"
        assert res.result["identity"]["dkim"]["origin"] == "AWS_SES_US_EAST_1"
