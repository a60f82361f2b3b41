"""The sandbox behaves the way SES documents it, seen through boto3."""

from __future__ import annotations

import base64
import datetime as dt
import json

import dns.query
import dns.tsigkeyring
import dns.update
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ses(sandbox):
    return sandbox.boto3_client("sesv2")


def _r53_publish(sandbox, zone, records):
    r53 = sandbox.boto3_client("route53")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 300,
                                                    "ResourceRecords": [{"Value": v}]}}
        for n, t, v in records]})


def _status(ses, name):
    return ses.get_email_identity(EmailIdentity=name)


def test_domain_gets_three_tokens_and_stays_pending_without_records(ses):
    out = ses.create_email_identity(EmailIdentity="Pending.Example.com.")
    assert out["DkimAttributes"]["Status"] == "PENDING"
    assert len(out["DkimAttributes"]["Tokens"]) == 3
    assert out["DkimAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"
    got = _status(ses, "pending.example.com")
    assert got["VerifiedForSendingStatus"] is False
    assert got["DkimAttributes"]["Status"] == "PENDING"


def test_dkim_success_only_after_all_cnames_resolve_in_route53(sandbox, ses):
    tokens = ses.create_email_identity(EmailIdentity="r53.example.com")["DkimAttributes"]["Tokens"]
    records = [("%s._domainkey.r53.example.com" % t, "CNAME", "%s.dkim.amazonses.com" % t) for t in tokens]
    _r53_publish(sandbox, "r53.example.com", records[:2])
    assert _status(ses, "r53.example.com")["DkimAttributes"]["Status"] == "PENDING"
    _r53_publish(sandbox, "r53.example.com", records[2:])  # a second zone of the same name: still visible
    got = _status(ses, "r53.example.com")
    assert got["DkimAttributes"]["Status"] == "SUCCESS"
    assert got["VerifiedForSendingStatus"] is True
    assert got["VerificationStatus"] == "SUCCESS"


def test_dkim_success_through_bind(sandbox, bind, ses):
    tokens = ses.create_email_identity(EmailIdentity="mail.test")["DkimAttributes"]["Tokens"]
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage("mail.test", keyring=keyring, keyalgorithm="hmac-sha256")
    for t in tokens:
        upd.add("%s._domainkey" % t, 300, "CNAME", "%s.dkim.amazonses.com." % t)
    assert _status(ses, "mail.test")["DkimAttributes"]["Status"] == "PENDING"
    dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)
    assert _status(ses, "mail.test")["DkimAttributes"]["Status"] == "SUCCESS"
    upd = dns.update.UpdateMessage("mail.test", keyring=keyring, keyalgorithm="hmac-sha256")
    for t in tokens:
        upd.delete("%s._domainkey" % t)
    dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)


def test_dkim_fails_after_the_configured_time(sandbox, ses):
    ses.create_email_identity(EmailIdentity="late.example.com")
    sandbox.post("identity-state", {"identity": "late.example.com", "age_seconds": 73 * 3600})
    assert _status(ses, "late.example.com")["DkimAttributes"]["Status"] == "FAILED"


def test_byodkim_verified_against_selector_txt(sandbox, ses):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    pub = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    out = ses.create_email_identity(EmailIdentity="byo.example.com", DkimSigningAttributes={
        "DomainSigningSelector": "s2026", "DomainSigningPrivateKey": base64.b64encode(der).decode()})
    assert out["DkimAttributes"]["SigningAttributesOrigin"] == "EXTERNAL"
    assert out["DkimAttributes"]["Status"] == "PENDING"
    value = "v=DKIM1; k=rsa; p=" + pub
    chunks = " ".join('"%s"' % value[i:i + 255] for i in range(0, len(value), 255))
    _r53_publish(sandbox, "byo.example.com", [("s2026._domainkey.byo.example.com", "TXT", chunks)])
    assert _status(ses, "byo.example.com")["DkimAttributes"]["Status"] == "SUCCESS"
    # the request log never keeps the private key
    assert base64.b64encode(der).decode()[:40] not in json.dumps(sandbox.requests())


def test_byodkim_rejects_a_key_that_is_not_rsa(ses):
    with pytest.raises(ClientError) as err:
        ses.create_email_identity(EmailIdentity="bad.example.com", DkimSigningAttributes={
            "DomainSigningSelector": "s1", "DomainSigningPrivateKey": base64.b64encode(b"not a key").decode()})
    assert err.value.response["Error"]["Code"] == "BadRequestException"


def test_key_length_change_allowed_once_a_day(ses):
    ses.create_email_identity(EmailIdentity="keys.example.com",
                              DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"})
    ses.put_email_identity_dkim_signing_attributes(
        EmailIdentity="keys.example.com", SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"})
    got = _status(ses, "keys.example.com")["DkimAttributes"]
    assert got["NextSigningKeyLength"] == "RSA_2048_BIT"
    with pytest.raises(ClientError) as err:
        ses.put_email_identity_dkim_signing_attributes(
            EmailIdentity="keys.example.com", SigningAttributesOrigin="AWS_SES",
            SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"})
    assert "only once" in err.value.response["Error"]["Message"]


def test_mail_from_pending_until_mx_resolves(sandbox, ses):
    ses.create_email_identity(EmailIdentity="mf.example.com")
    ses.put_email_identity_mail_from_attributes(EmailIdentity="mf.example.com", MailFromDomain="bounce.mf.example.com",
                                                BehaviorOnMxFailure="REJECT_MESSAGE")
    got = _status(ses, "mf.example.com")["MailFromAttributes"]
    assert got == {"MailFromDomain": "bounce.mf.example.com", "MailFromDomainStatus": "PENDING",
                   "BehaviorOnMxFailure": "REJECT_MESSAGE"}
    _r53_publish(sandbox, "mf.example.com",
                 [("bounce.mf.example.com", "MX", "10 feedback-smtp.us-east-1.amazonses.com")])
    assert _status(ses, "mf.example.com")["MailFromAttributes"]["MailFromDomainStatus"] == "SUCCESS"
    with pytest.raises(ClientError) as err:
        ses.put_email_identity_mail_from_attributes(EmailIdentity="mf.example.com", MailFromDomain="other.org")
    assert err.value.response["Error"]["Code"] == "BadRequestException"


@pytest.mark.parametrize("address", ["plus+tag@example.com", "slash/part@example.com", "per%cent@example.com",
                                     '"quoted local"@example.com', "üñï@example.com", "o'brien@example.com"])
def test_suppression_round_trip_of_unusual_addresses(ses, address):
    ses.put_suppressed_destination(EmailAddress=address, Reason="COMPLAINT")
    got = ses.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]
    assert got["EmailAddress"] == address and got["Reason"] == "COMPLAINT"
    listed = ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert [x["EmailAddress"] for x in listed] == [address]
    ses.delete_suppressed_destination(EmailAddress=address)
    with pytest.raises(ClientError) as err:
        ses.get_suppressed_destination(EmailAddress=address)
    assert err.value.response["Error"]["Code"] == "NotFoundException"


def test_suppression_domain_part_is_case_insensitive(ses):
    ses.put_suppressed_destination(EmailAddress="User@Example.COM", Reason="BOUNCE")
    assert ses.get_suppressed_destination(EmailAddress="User@example.com")["SuppressedDestination"]["Reason"] == "BOUNCE"
    with pytest.raises(ClientError):
        ses.get_suppressed_destination(EmailAddress="user@example.com")


def test_suppression_listing_filters_and_pages(sandbox, ses):
    base = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    entries = [{"email": "u%04d@example.com" % i, "reason": "BOUNCE" if i % 3 else "COMPLAINT",
                "last_update_time": (base + dt.timedelta(hours=i)).isoformat()} for i in range(250)]
    sandbox.post("suppressions", {"entries": entries})
    start, end = base + dt.timedelta(hours=10), base + dt.timedelta(hours=109)
    seen, kwargs = [], {"Reasons": ["BOUNCE"], "StartDate": start, "EndDate": end, "PageSize": 7}
    while True:
        page = ses.list_suppressed_destinations(**kwargs)
        assert len(page["SuppressedDestinationSummaries"]) <= 7
        seen += [x["EmailAddress"] for x in page["SuppressedDestinationSummaries"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    expected = [e["email"] for i, e in enumerate(entries) if 10 <= i <= 109 and e["reason"] == "BOUNCE"]
    assert seen == expected
    with pytest.raises(ClientError) as err:
        ses.list_suppressed_destinations(StartDate=end, EndDate=start)
    assert err.value.response["Error"]["Code"] == "BadRequestException"


def test_account_attributes(ses):
    acct = ses.get_account()
    assert acct["SendingEnabled"] is True and acct["EnforcementStatus"] == "HEALTHY"
    ses.put_account_suppression_attributes(SuppressedReasons=[])
    assert ses.get_account()["SuppressionAttributes"]["SuppressedReasons"] == []
    ses.put_account_sending_attributes(SendingEnabled=False)
    assert ses.get_account()["SendingEnabled"] is False


def test_configuration_sets_and_event_destinations(sandbox, ses):
    topic = sandbox.boto3_client("sns").create_topic(Name="events")["TopicArn"]
    ses.create_configuration_set(ConfigurationSetName="main", SuppressionOptions={"SuppressedReasons": []},
                                 ReputationOptions={"ReputationMetricsEnabled": True},
                                 DeliveryOptions={"TlsPolicy": "REQUIRE"})
    got = ses.get_configuration_set(ConfigurationSetName="main")
    assert got["SuppressionOptions"] == {"SuppressedReasons": []}
    assert got["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert got["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="main", EventDestinationName="sns",
        EventDestination={"Enabled": True, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
                          "SnsDestination": {"TopicArn": topic}})
    dests = ses.get_configuration_set_event_destinations(ConfigurationSetName="main")["EventDestinations"]
    assert dests[0]["MatchingEventTypes"] == ["BOUNCE", "COMPLAINT"]
    ses.update_configuration_set_event_destination(
        ConfigurationSetName="main", EventDestinationName="sns",
        EventDestination={"Enabled": True, "MatchingEventTypes": ["DELIVERY_DELAY"],
                          "SnsDestination": {"TopicArn": topic}})
    assert ses.get_configuration_set_event_destinations(
        ConfigurationSetName="main")["EventDestinations"][0]["MatchingEventTypes"] == ["DELIVERY_DELAY"]
    ses.delete_configuration_set_event_destination(ConfigurationSetName="main", EventDestinationName="sns")
    ses.delete_configuration_set(ConfigurationSetName="main")
    with pytest.raises(ClientError) as err:
        ses.get_configuration_set(ConfigurationSetName="main")
    assert err.value.response["Error"]["Code"] == "NotFoundException"


def test_email_identity_pending_until_verified(sandbox, ses):
    out = ses.create_email_identity(EmailIdentity="ops@example.com")
    assert out["IdentityType"] == "EMAIL_ADDRESS" and out["VerifiedForSendingStatus"] is False
    sandbox.post("verify-email", {"identity": "ops@example.com"})
    assert _status(ses, "ops@example.com")["VerifiedForSendingStatus"] is True


def test_list_identities_pages(ses):
    for i in range(12):
        ses.create_email_identity(EmailIdentity="d%02d.example.com" % i)
    names, kwargs = [], {"PageSize": 5}
    while True:
        page = ses.list_email_identities(**kwargs)
        names += [x["IdentityName"] for x in page["EmailIdentities"]]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    assert names == ["d%02d.example.com" % i for i in range(12)]
