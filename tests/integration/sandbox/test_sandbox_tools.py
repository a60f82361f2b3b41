"""The AWS CLI works against the sandbox unchanged; the request log and fault injection work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

AWS = str(Path(sys.executable).parent / "aws")


def aws(sandbox, *args):
    env = dict(os.environ, **sandbox.env())
    proc = subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, "--output", "json"] + list(args),
                          env=env, capture_output=True, text=True, timeout=60)
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip() else None), proc.stderr


def test_runbook_commands_with_the_aws_cli(sandbox):
    rc, _, err = aws(sandbox, "sesv2", "put-account-suppression-attributes", "--suppressed-reasons", "BOUNCE", "COMPLAINT")
    assert rc == 0, err
    rc, acct, _ = aws(sandbox, "sesv2", "get-account")
    assert acct["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    sandbox.post("suppressions", {"entries": [
        {"email": "old@example.com", "reason": "BOUNCE", "last_update_time": "2026-10-01T00:00:00Z"},
        {"email": "new@example.com", "reason": "BOUNCE", "last_update_time": "2026-11-20T00:00:00Z"},
        {"email": "spam@example.com", "reason": "COMPLAINT", "last_update_time": "2026-11-21T00:00:00Z"}]})
    rc, out, err = aws(sandbox, "sesv2", "list-suppressed-destinations", "--reasons", "BOUNCE",
                       "--start-date", "2026-11-01T00:00:00Z", "--end-date", "2026-11-30T00:00:00Z")
    assert rc == 0, err
    assert [x["EmailAddress"] for x in out["SuppressedDestinationSummaries"]] == ["new@example.com"]
    rc, out, _ = aws(sandbox, "sesv2", "get-suppressed-destination", "--email-address", "spam@example.com")
    assert out["SuppressedDestination"]["Reason"] == "COMPLAINT"
    rc, _, err = aws(sandbox, "sesv2", "delete-suppressed-destination", "--email-address", "spam@example.com")
    assert rc == 0, err
    rc, _, err = aws(sandbox, "sesv2", "get-suppressed-destination", "--email-address", "spam@example.com")
    assert rc != 0 and "NotFoundException" in err


def test_cli_creates_identity_and_reads_dkim(sandbox):
    rc, out, err = aws(sandbox, "sesv2", "create-email-identity", "--email-identity", "cli.example.com")
    assert rc == 0, err
    assert out["DkimAttributes"]["Status"] == "PENDING" and len(out["DkimAttributes"]["Tokens"]) == 3
    rc, out, _ = aws(sandbox, "sesv2", "list-email-identities")
    assert [x["IdentityName"] for x in out["EmailIdentities"]] == ["cli.example.com"]


def test_request_log_tells_reads_from_writes(sandbox):
    ses = sandbox.boto3_client("sesv2")
    mark = sandbox.mark()
    ses.get_account()
    ses.list_email_identities()
    assert sandbox.mutating_calls(since=mark) == []
    ses.put_account_sending_attributes(SendingEnabled=True)
    sandbox.boto3_client("sqs").create_queue(QueueName="q1")
    writes = [(r["service"], r["operation"]) for r in sandbox.mutating_calls(since=mark)]
    assert writes == [("sesv2", "PutAccountSendingAttributes"), ("sqs", "CreateQueue")]
    logged = sandbox.requests(since=mark)
    assert logged[0]["operation"] == "GetAccount" and logged[0]["mutating"] is False


def test_throttling_is_retried_by_botocore_and_visible_in_the_log(sandbox):
    sandbox.post("faults", {"rules": [{"operation": "GetAccount", "kind": "throttle", "count": 2}]})
    mark = sandbox.mark()
    ses = sandbox.boto3_client("sesv2")
    assert ses.get_account()["SendingEnabled"] is True
    calls = [r for r in sandbox.requests(since=mark) if r["operation"] == "GetAccount"]
    assert [c["fault"] for c in calls] == ["throttle", "throttle", None]


def test_faults_are_refused_before_they_apply(sandbox):
    sandbox.post("faults", {"rules": [{"operation": "PutSuppressedDestination", "kind": "error"}]})
    import boto3
    ses = boto3.client("sesv2", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                       aws_access_key_id="t", aws_secret_access_key="t",
                       config=Config(retries={"mode": "standard", "max_attempts": 2}))
    with pytest.raises(ClientError) as err:
        ses.put_suppressed_destination(EmailAddress="x@example.com", Reason="BOUNCE")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    sandbox.delete("faults")
    assert ses.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def test_latency_and_throttling_on_query_and_json_protocols(sandbox):
    sandbox.post("faults", {"rules": [{"service": "sqs", "kind": "throttle", "count": 1},
                                      {"service": "sns", "kind": "throttle", "count": 1},
                                      {"operation": "ListTopics", "kind": "latency", "latency_ms": 300}]})
    sqs, sns = sandbox.boto3_client("sqs"), sandbox.boto3_client("sns")
    assert sqs.create_queue(QueueName="t")["QueueUrl"]
    assert sns.list_topics()["Topics"] == []
    injected = sandbox.get("faults")["injected"]
    assert injected["throttle:CreateQueue"] == 1 and injected["throttle:ListTopics"] == 1
    assert injected["latency:ListTopics"] >= 1
