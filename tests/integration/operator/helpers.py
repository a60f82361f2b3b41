"""Read state back the way an operator would: the AWS CLI against the sandbox, dig / BIND queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

AWS = str(Path(sys.executable).parent / "aws")


def aws(sandbox, *args):
    """`aws <args> --output json` against the sandbox; the parsed JSON (None for empty output)."""
    env = dict(os.environ, **sandbox.env())
    proc = subprocess.run([AWS, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise AssertionError("aws %s: rc=%d %s" % (" ".join(args), proc.returncode, proc.stderr))
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def aws_rc(sandbox, *args):
    """(rc, stderr) of an AWS CLI call that may fail (NotFoundException for a deleted identity)."""
    env = dict(os.environ, **sandbox.env())
    proc = subprocess.run([AWS, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def rrsets(sandbox, zone_id):
    """{(name, type): [values]} of a Route 53 zone, read with `aws route53 list-resource-record-sets`."""
    out = {}
    for rr in aws(sandbox, "route53", "list-resource-record-sets", "--hosted-zone-id", zone_id)["ResourceRecordSets"]:
        out[(rr["Name"].rstrip(".").lower(), rr["Type"])] = sorted(r["Value"] for r in rr.get("ResourceRecords", []))
    return out


def create_zone(sandbox, name):
    out = aws(sandbox, "route53", "create-hosted-zone", "--name", name, "--caller-reference", "t-" + name)
    return out["HostedZone"]["Id"].split("/")[-1]


def identity_exists(sandbox, domain):
    rc, err = aws_rc(sandbox, "sesv2", "get-email-identity", "--email-identity", domain)
    assert rc == 0 or "NotFound" in err, err
    return rc == 0


def dig(server, name, rtype):
    """The answer section values of `dig @host -p port name rtype +short`."""
    host, port = server.rsplit(":", 1)
    proc = subprocess.run(["dig", "@" + host, "-p", port, "+short", "+tcp", name, rtype], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]
