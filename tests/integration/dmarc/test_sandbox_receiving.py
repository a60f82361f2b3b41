"""The sandbox's SES receiving: a raw message sent through SES to an address an active receipt rule covers is
stored in the rule's S3 bucket as raw MIME (read back with boto3), as is one posted to /_sandbox/inbound."""

from __future__ import annotations

import base64

from tests.fixtures import dmarc_reports as gen


def test_receipt_rule_stores_raw_mime_in_s3(sandbox):
    s3 = sandbox.boto3_client("s3")
    s3.create_bucket(Bucket="rua-bucket")
    ses = sandbox.boto3_client("ses")
    ses.create_receipt_rule_set(RuleSetName="rs")
    ses.create_receipt_rule(RuleSetName="rs", Rule={"Name": "rua", "Enabled": True, "Recipients": ["rua.example.test"],
                                                   "Actions": [{"S3Action": {"BucketName": "rua-bucket",
                                                                             "ObjectKeyPrefix": "in/"}}]})
    xml = gen.report_xml("Yahoo", "dmarc@yahoo.example", "rid-1", "example.test", 1767225600, 1767311999,
                         gen.source_records("example.test", 100), schema="rfc9990")
    raw = gen.mime(gen.gz(xml), "report.xml.gz", "dmarc@rua.example.test", sender="dmarc@reporter.example")
    # no active rule set yet: nothing is received
    assert sandbox.post("inbound", {"raw_base64": base64.b64encode(raw).decode()})["stored"] == []
    ses.set_active_receipt_rule_set(RuleSetName="rs")
    out = sandbox.post("inbound", {"raw_base64": base64.b64encode(raw).decode()})
    assert [s["bucket"] for s in out["stored"]] == ["rua-bucket"] and out["recipients"] == ["dmarc@rua.example.test"]
    # a recipient no rule covers
    assert sandbox.post("inbound", {"raw_base64": base64.b64encode(raw).decode(),
                                    "recipients": ["x@elsewhere.test"]})["stored"] == []
    # sent through SES (v2 raw) to the covered address: it comes back in through receiving
    sesv2 = sandbox.boto3_client("sesv2")
    sesv2.create_email_identity(EmailIdentity="dmarc@reporter.example")
    sandbox.post("verify-email", {"identity": "dmarc@reporter.example"})
    sesv2.send_email(FromEmailAddress="dmarc@reporter.example", Destination={"ToAddresses": ["dmarc@rua.example.test"]},
                     Content={"Raw": {"Data": raw}})
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rua-bucket", Prefix="in/")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("in/") for k in keys)
    body = s3.get_object(Bucket="rua-bucket", Key=keys[0])["Body"].read()
    assert body.endswith(raw)  # the raw MIME message, byte for byte, under SES's verdict headers
    assert body.startswith(b"Authentication-Results: amazonses.com;") and b"dkim=none" in body
    assert b"dmarc=fail header.from=reporter.example" in body and b"X-SES-Spam-Verdict: PASS" in body


def test_receiving_adds_authentication_results_as_ses_does(sandbox):
    """DKIM-signed by the reporter's domain -> dkim=pass / dmarc=pass; the same mail altered, or signed by
    another domain than its From -> fail; the verdicts read back from S3 and through the reader."""
    from email import message_from_bytes

    from ansible_collections.deliverability.ses.plugins.module_utils.formats.dmarc_containers import mail_auth
    from tests.sandbox import dkim
    s3 = sandbox.boto3_client("s3")
    s3.create_bucket(Bucket="rua-auth")
    ses = sandbox.boto3_client("ses")
    ses.create_receipt_rule_set(RuleSetName="rs")
    ses.create_receipt_rule(RuleSetName="rs", Rule={"Name": "rua", "Enabled": True, "Recipients": ["rua.example.test"],
                                                   "Actions": [{"S3Action": {"BucketName": "rua-auth"}}]})
    ses.set_active_receipt_rule_set(RuleSetName="rs")
    private, public = dkim.new_key()
    sandbox.post("dkim-keys", {"keys": [{"domain": "google.com", "selector": "s1", "public_key": public}]})
    raw = gen.mime(b"<feedback/>", "r.xml", "dmarc@rua.example.test", sender="noreply-dmarc-support@google.com")
    signed = dkim.sign(raw, "google.com", "s1", private)
    forged = gen.mime(b"<feedback/>", "r.xml", "dmarc@rua.example.test", sender="attacker@evil.example")
    cases = [(signed, "pass", "pass"), (signed.replace(b"aggregate report", b"aggregate rep0rt"), "fail", "fail"),
             (dkim.sign(forged, "google.com", "s1", private), "pass", "fail"), (forged, None, "fail")]
    for message, dkim_result, dmarc_result in cases:
        key = sandbox.post("inbound", {"raw_base64": base64.b64encode(message).decode()})["stored"][0]["key"]
        stored = s3.get_object(Bucket="rua-auth", Key=key)["Body"].read()
        auth = mail_auth(message_from_bytes(stored))
        assert auth["authserv"] == "amazonses.com" and auth["dmarc"] == dmarc_result, (auth, stored[:400])
        assert [d["result"] for d in auth["dkim"]] == ([dkim_result] if dkim_result else ["none"]), auth
        assert auth["spam"] == "PASS" and auth["virus"] == "PASS"
