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
    assert body == raw  # the raw MIME message, byte for byte
