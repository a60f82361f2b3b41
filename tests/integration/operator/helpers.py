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


def rfc2136_vars(bind, zone, journal, **extra):
    """onboard_domain.yml variables for a BIND zone through RFC 2136 (no wait, no receiver check)."""
    out = {"domain": zone, "provider": "rfc2136", "domain_dns_server": bind.server,
           "domain_dns_key_name": bind.key_name, "domain_dns_key_secret": bind.key_secret,
           "domain_resolvers": [bind.server], "domain_wait": False, "domain_auth_check": False,
           "domain_offboard_journal_dir": str(journal)}
    out.update(extra)
    return out


def axfr(bind, zone):
    """Every record of the zone but the SOA (its serial moves with each update): {(name, ttl, type, rdata)},
    by zone transfer with dig (TSIG-signed)."""
    host, port = bind.server.rsplit(":", 1)
    key = "hmac-sha256:%s:%s" % (bind.key_name, bind.key_secret)
    proc = subprocess.run(["dig", "@" + host, "-p", port, "-y", key, "+noall", "+answer", "+nocomments", "AXFR", zone],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and parts[3] not in ("SOA", "TSIG"):
            out.add((parts[0].lower(), int(parts[1]), parts[3], parts[4]))
    assert any(r[2] == "NS" for r in out), proc.stdout  # the transfer answered
    return out
