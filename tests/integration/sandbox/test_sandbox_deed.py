"""The sandbox's Deterministic Easy DKIM (DEED), as SES documents it: a replica created with
DomainSigningAttributesOrigin = AWS_SES_<PARENT_REGION> signs with the parent's keys (its tokens, no new DNS
record) and its verification follows the parent's. Each region read back with the AWS CLI's --region."""

from __future__ import annotations

from tests.fixtures.aws_cli import sesv2_ok as cli

US, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
NAME = "deed.example.com"


def identity(sandbox, region, name=NAME):
    return cli(sandbox, region, "get-email-identity", "--email-identity", name)


def publish(sandbox, zone, tokens):
    r53 = sandbox.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": "%s._domainkey.%s" % (t, zone), "Type": "CNAME",
                                                   "TTL": 300, "ResourceRecords": [{"Value": "%s.dkim.amazonses.com" % t}]}}
        for t in tokens]})
    return r53, zone_id


def test_replica_has_the_parents_tokens_and_verifies_with_it(sandbox):
    parent = sandbox.boto3_client("sesv2", US).create_email_identity(EmailIdentity=NAME)
    tokens = parent["DkimAttributes"]["Tokens"]
    replica = sandbox.boto3_client("sesv2", EU).create_email_identity(
        EmailIdentity=NAME, DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    assert replica["DkimAttributes"]["Tokens"] == tokens
    assert replica["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1"
    assert identity(sandbox, EU)["DkimAttributes"]["Status"] == "PENDING"
    assert identity(sandbox, EU)["VerifiedForSendingStatus"] is False

    r53, zone_id = publish(sandbox, NAME, tokens)  # the parent's records only
    records = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    got = identity(sandbox, EU)
    assert got["DkimAttributes"]["Status"] == "SUCCESS" and got["VerifiedForSendingStatus"] is True
    assert got["DkimAttributes"]["Tokens"] == tokens
    assert identity(sandbox, US)["DkimAttributes"]["Status"] == "SUCCESS"
    # no record was added for the replica
    assert r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"] == records
    sent = cli(sandbox, EU, "send-email", "--from-email-address", "news@" + NAME, "--destination",
               "ToAddresses=someone@customer.test", "--content", "Simple={Subject={Data=hi},Body={Text={Data=x}}}")
    assert sent["MessageId"]


def test_an_existing_identity_becomes_a_replica_through_put_dkim_signing_attributes(sandbox):
    tokens = sandbox.boto3_client("sesv2", US).create_email_identity(EmailIdentity=NAME)["DkimAttributes"]["Tokens"]
    own = sandbox.boto3_client("sesv2", AP).create_email_identity(EmailIdentity=NAME)["DkimAttributes"]["Tokens"]
    assert set(own).isdisjoint(tokens)
    out = cli(sandbox, AP, "put-email-identity-dkim-signing-attributes", "--email-identity", NAME,
              "--signing-attributes-origin", "AWS_SES_US_EAST_1")
    assert out["DkimTokens"] == tokens
    assert identity(sandbox, AP)["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1"
    assert identity(sandbox, AP)["DkimAttributes"]["Tokens"] == tokens  # read back, not only the put's answer


def test_a_parent_that_cannot_be_used_is_a_verification_error_of_the_replica(sandbox):
    ses_us, ses_eu = sandbox.boto3_client("sesv2", US), sandbox.boto3_client("sesv2", EU)
    ses_eu.create_email_identity(EmailIdentity="orphan.example.com",
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    ses_us.create_email_identity(EmailIdentity="self.example.com",
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    ses_us.create_email_identity(EmailIdentity=NAME)
    ses_eu.create_email_identity(EmailIdentity=NAME,
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    sandbox.boto3_client("sesv2", AP).create_email_identity(
        EmailIdentity=NAME, DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_EU_WEST_1"})
    cases = {(EU, "orphan.example.com"): "REPLICATION_PRIMARY_NOT_FOUND",
             (US, "self.example.com"): "REPLICATION_PRIMARY_INVALID_REGION",
             (AP, NAME): "REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED"}
    for (region, name), error in cases.items():
        got = identity(sandbox, region, name)
        assert got["VerificationInfo"]["ErrorType"] == error, (region, name, got)
        assert got["DkimAttributes"]["Status"] == "FAILED" and got["VerifiedForSendingStatus"] is False
        assert got["DkimAttributes"]["Tokens"] == []
