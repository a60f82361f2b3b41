"""Helpers for the tenant tests: a verified sending identity, the AWS CLI against the sandbox, audit lines."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.tenants import ACCOUNT, REGION, arn, audit_lines, send, verify_domain  # noqa: F401 - shared

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def aws_cli(sandbox):
    """aws sesv2 ... against the sandbox, JSON out (the CLI v1 wants AWS_DEFAULT_REGION too)."""
    def run(*args, error=None):
        """The JSON answer; with ``error`` (an AWS error code), the call must fail with it (returns None)."""
        env = dict(os.environ, **sandbox.env())
        env["AWS_DEFAULT_REGION"] = env.get("AWS_REGION", REGION)
        out = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "sesv2", *args, "--output", "json"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
        if error is not None:
            assert out.returncode != 0 and "(%s)" % error in out.stderr, (out.stdout, out.stderr)
            return None
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout or "{}")
    return run


@pytest.fixture
def sender(sandbox):
    """verified(identity): an email address identity SES lets send (domain identities need DNS)."""
    ses = sandbox.boto3_client("sesv2")

    def make(address):
        ses.create_email_identity(EmailIdentity=address)
        sandbox.post("verify-email", {"identity": address})
        return address
    return make


def verify_domain(sandbox, domain):
    """A domain identity SES verifies: its Easy DKIM CNAMEs published in a sandbox Route 53 zone."""
    ses = sandbox.boto3_client("sesv2")
    tokens = ses.create_email_identity(EmailIdentity=domain)["DkimAttributes"]["Tokens"]
    r53 = sandbox.boto3_client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference="tenants-" + domain)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "%s._domainkey.%s" % (t, domain), "Type": "CNAME",
                                                    "TTL": 300, "ResourceRecords": [{"Value": "%s.dkim.amazonses.com" % t}]}}
        for t in tokens]})
    assert ses.get_email_identity(EmailIdentity=domain)["VerifiedForSendingStatus"]
    return domain
