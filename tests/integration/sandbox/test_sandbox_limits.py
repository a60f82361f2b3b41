"""The sandbox throttles like SES (token bucket per operation), answers as a new account (no production
access), and says why a domain is stuck in verification (VerificationInfo)."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def _no_retry_client(sandbox):
    import boto3
    return boto3.client("sesv2", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"total_max_attempts": 1}))


def test_rate_limit_answers_too_many_requests_as_ses_v2(sandbox):
    ses = _no_retry_client(sandbox)
    sandbox.post("rate-limits", {"rules": [{"operation": "GetAccount", "rate": 2, "burst": 2}]})
    ses.get_account()
    ses.get_account()
    with pytest.raises(ClientError) as err:
        ses.get_account()
    resp = err.value.response
    assert resp["Error"]["Code"] == "TooManyRequestsException"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert resp["Error"]["Message"] == "Too Many Requests"
    # botocore's own classifier treats it as throttling (so AWS SDKs back off on it)
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker
    ctx = RetryContext(attempt_number=1, parsed_response=resp, http_response=None, caught_exception=None)
    assert ThrottledRetryableChecker().is_retryable(ctx)
    # other operations have their own bucket (the rule named only GetAccount)
    ses.list_email_identities()
    state = sandbox.get("rate-limits")
    assert state["allowed"] == {"GetAccount": 2} and state["throttled"] == {"GetAccount": 1}
    logged = [r for r in sandbox.requests() if r["operation"] == "GetAccount"]
    assert [r["fault"] for r in logged] == [None, None, "rate_limit"] and logged[-1]["status"] == 429


def test_rate_limit_refills_at_the_configured_rate(sandbox):
    ses = _no_retry_client(sandbox)
    sandbox.post("rate-limits", {"rules": [{"operation": "*", "rate": 10, "burst": 1}]})
    ok = throttled = 0
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        try:
            ses.get_account()
            ok += 1
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
            throttled += 1
    # one burst token, then 10 a second: about 11 in a second, never many more
    assert 8 <= ok <= 12, ok
    assert throttled > 0
    sandbox.delete("rate-limits")
    for _ in range(20):
        ses.get_account()  # no limit once cleared


def test_throttled_write_is_not_applied(sandbox):
    ses = _no_retry_client(sandbox)
    sandbox.post("rate-limits", {"rules": [{"operation": "CreateEmailIdentity", "rate": 0.01, "burst": 1}]})
    ses.create_email_identity(EmailIdentity="one.example.com")
    with pytest.raises(ClientError):
        ses.create_email_identity(EmailIdentity="two.example.com")
    names = [i["IdentityName"] for i in ses.list_email_identities()["EmailIdentities"]]
    assert names == ["one.example.com"]


def test_rate_limit_rules_are_validated(sandbox):
    import urllib.error
    for bad in ({"operation": "*", "rate": 0}, {"operation": "*", "rate": 1, "burst": 0.5},
                {"operation": "*", "rate": 1, "bucket": 3}):
        with pytest.raises(urllib.error.HTTPError) as err:
            sandbox.post("rate-limits", {"rules": [bad]})
        assert err.value.code == 400


def test_a_new_account_has_no_production_access_until_granted(sandbox):
    ses = sandbox.boto3_client("sesv2")
    acct = ses.get_account()
    assert acct["ProductionAccessEnabled"] is False
    assert acct["SendQuota"]["Max24HourSend"] == 200 and acct["SendQuota"]["MaxSendRate"] == 1
    assert sandbox.boto3_client("ses").get_send_quota()["Max24HourSend"] == 200
    sandbox.post("account", {"production_access": True})
    acct = ses.get_account()
    assert acct["ProductionAccessEnabled"] is True and acct["SendQuota"]["Max24HourSend"] == 50000
    sandbox.reset()
    assert ses.get_account()["ProductionAccessEnabled"] is False


def test_verification_info_names_what_is_wrong(sandbox, bind):
    r53 = sandbox.boto3_client("route53")
    zone = r53.create_hosted_zone(Name="stuck.test", CallerReference="stuck")["HostedZone"]["Id"]
    ses = sandbox.boto3_client("sesv2")
    tokens = {}
    for name in ("nohost.stuck.test", "notype.stuck.test", "wrong.stuck.test", "ok.stuck.test", "svc.stuck.test"):
        tokens[name] = ses.create_email_identity(EmailIdentity=name)["DkimAttributes"]["Tokens"]
    changes = []
    for name, toks in tokens.items():
        for i, tok in enumerate(toks):
            rr = "%s._domainkey.%s" % (tok, name)
            if name == "notype.stuck.test":
                changes.append((rr, "TXT", '"not a cname"'))
            elif name == "wrong.stuck.test":
                changes.append((rr, "CNAME", "%s.dkim.example.net" % tok if i == 0 else "%s.dkim.amazonses.com" % tok))
            elif name in ("ok.stuck.test", "svc.stuck.test"):
                changes.append((rr, "CNAME", "%s.dkim.amazonses.com" % tok))
    sandbox.post("identity-state", {"identity": "svc.stuck.test", "verification_error": "SERVICE_ERROR"})
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 60, "ResourceRecords": [{"Value": v}]}}
        for n, t, v in changes]})
    # an identity outside every zone the sandbox knows, while its DNS server (BIND) refuses to answer for it
    ses.create_email_identity(EmailIdentity="elsewhere.example")
    seen = {}
    for name in list(tokens) + ["elsewhere.example"]:
        resp = ses.get_email_identity(EmailIdentity=name)
        seen[name] = (resp["VerificationStatus"], resp["VerificationInfo"].get("ErrorType"))
        assert resp["VerificationInfo"]["LastCheckedTimestamp"]
    assert seen == {
        "nohost.stuck.test": ("PENDING", "HOST_NOT_FOUND"),
        "notype.stuck.test": ("PENDING", "TYPE_NOT_FOUND"),
        "wrong.stuck.test": ("PENDING", "INVALID_VALUE"),
        "ok.stuck.test": ("SUCCESS", None),
        "svc.stuck.test": ("PENDING", "SERVICE_ERROR"),
        "elsewhere.example": ("PENDING", "DNS_SERVER_ERROR"),
    }
    info = ses.get_email_identity(EmailIdentity="nohost.stuck.test")["VerificationInfo"]
    assert info["SOARecord"]["SerialNumber"] >= 1 and info["SOARecord"]["PrimaryNameServer"]
    assert "LastSuccessTimestamp" in ses.get_email_identity(EmailIdentity="ok.stuck.test")["VerificationInfo"]
