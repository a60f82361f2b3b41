"""Issue 26, Must show, end to end in the sandbox: a fleet of 20 domains onboarded in us-east-1 with domain_policy
gains eu-west-1 through ``regions``. Read back per region with the AWS CLI (``--region``): every replica signs with
DEED from us-east-1 with the primary's tokens and no DKIM record is published; the only new records are each
replica's own MAIL FROM MX and SPF (``bounce-eu-west-1.<domain>``, Route 53 records read with the AWS CLI before
and after); check mode writes nothing in any region and a second run changes nothing; a hard bounce
received in eu-west-1 ends up suppressed in both regions (bounce_processor with regions); a delist removes it from
both with two audit lines (suppressed_destination with regions); a global endpoint is READY and a send through it
succeeds with the primary faulted (/_sandbox/faults). The modules run in-process (module_main); everything asserted
is read back from the sandbox, not taken from a module's result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.dns_zones import publish
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind

AWS = str(Path(sys.executable).parent / "aws")
CORPUS = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "formats" / "notifications"
US, EU = "us-east-1", "eu-west-1"
FLEET = 20


def aws(sandbox, region, *args):
    """The AWS CLI against the sandbox in ``region``: (rc, parsed JSON or {}, stderr)."""
    out = subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, "--region", region, "--output", "json", *args],
                         env=dict(sandbox.env(), PATH="/usr/bin:/bin", AWS_DEFAULT_REGION=region, AWS_REGION=region),
                         capture_output=True, text=True, timeout=120, check=False)
    return out.returncode, json.loads(out.stdout or "{}"), out.stderr


# many AWS CLI commands in one process (the CLI's own driver, a fresh one per command; a process per command costs
# about a second of CPU here): [[rc, stdout, stderr], ...]
_BATCH = """
import contextlib, io, json, sys
from awscli.clidriver import create_clidriver
out = []
for args in json.loads(sys.stdin.read()):
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        rc = create_clidriver().main(args)
    out.append([rc, buf.getvalue(), err.getvalue()])
print(json.dumps(out))
"""


def aws_batch(sandbox, region, commands):
    """Each of ``commands`` through the AWS CLI with ``--region``, in one process: [(rc, parsed JSON or {}, stderr)]."""
    full = [["--endpoint-url", sandbox.endpoint, "--region", region, "--output", "json"] + list(c) for c in commands]
    out = subprocess.run([sys.executable, "-c", _BATCH], input=json.dumps(full), capture_output=True, text=True,
                         env=dict(sandbox.env(), PATH="/usr/bin:/bin", AWS_DEFAULT_REGION=region, AWS_REGION=region),
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return [(rc, json.loads(text or "{}"), err) for rc, text, err in json.loads(out.stdout)]


def record_count(sandbox, zone_id):
    rc, out, err = aws(sandbox, US, "route53", "list-resource-record-sets", "--hosted-zone-id", zone_id)
    assert rc == 0, err
    return len(out["ResourceRecordSets"])


def record_sets(sandbox, zone_id):
    """{(name, type): sorted values} of the hosted zone, read with the AWS CLI."""
    rc, out, err = aws(sandbox, US, "route53", "list-resource-record-sets", "--hosted-zone-id", zone_id)
    assert rc == 0, err
    return dict(((r["Name"].rstrip(".").lower(), r["Type"]), sorted(v["Value"] for v in r["ResourceRecords"]))
                for r in out["ResourceRecordSets"])


def reason_in(sandbox, region, email):
    rc, out, err = aws(sandbox, region, "sesv2", "get-suppressed-destination", "--email-address", email)
    if rc != 0:
        assert "NotFoundException" in err, err
        return None
    return out["SuppressedDestination"]["Reason"]


def test_twenty_domains_gain_eu_west_1(module_main, sandbox, bind, amazonses, tmp_path):
    zone = unique("e2e")
    zone_id = sandbox.boto3_client("route53").create_hosted_zone(
        Name=zone, CallerReference=zone)["HostedZone"]["Id"].split("/")[-1]
    cs = unique("cs", "")
    for region in (US, EU):
        sandbox.boto3_client("sesv2", region).create_configuration_set(ConfigurationSetName=cs)
    domains = ["d%02d.%s" % (i, zone) for i in range(FLEET)]
    args = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 8, "domains": domains,
            "mail_from_subdomain": "bounce", "configuration_set": cs, "dmarc": {"policy": "none"}}

    # onboarded in us-east-1 only (as the fleet is today)
    onboard = module_main("domain_policy", args)
    assert onboard.rc == 0 and onboard.result["summary"]["changed"] == FLEET, onboard.result.get("msg")
    zone_before = record_sets(sandbox, zone_id)
    before = record_count(sandbox, zone_id)
    assert before >= FLEET * 6  # 3 DKIM CNAMEs, MAIL FROM MX + SPF, SPF, DMARC per domain (and SOA / NS)
    for d in domains[:1]:
        rc, dummy, err = aws(sandbox, EU, "sesv2", "get-email-identity", "--email-identity", d)
        assert rc != 0 and "NotFoundException" in err  # nothing in eu-west-1 yet

    # the audit: the missing replicas per domain, no write in any region
    regional = dict(args, regions=[US, EU])
    mark = sandbox.mark()
    audit = module_main("domain_policy", regional, check=True)
    assert audit.rc == 0 and audit.result["changed"] is True, audit.result.get("msg")
    requests = sandbox.requests(since=mark)
    assert [r for r in requests if r["mutating"]] == []
    assert {r["region"] for r in requests if r["operation"] == "ListEmailIdentities"} == {US, EU}
    assert audit.result["regions"]["regions"][EU]["missing"] == FLEET

    mark = sandbox.mark()
    run = module_main("domain_policy", regional)
    assert run.rc == 0 and run.result["summary"]["changed"] == FLEET, run.result.get("msg")
    writes = sandbox.mutating_calls(since=mark)
    ses_writes = sorted((w["operation"], w["region"]) for w in writes if w["service"] == "sesv2")
    assert ses_writes == [("CreateEmailIdentity", EU)] * FLEET + [("PutEmailIdentityMailFromAttributes", EU)] * FLEET
    assert {w["operation"] for w in writes if w["service"] != "sesv2"} == {"ChangeResourceRecordSets"}, writes

    # read back per region with the AWS CLI (--region): DEED from us-east-1, the primary's tokens, verified, the set
    reads = dict((region, aws_batch(sandbox, region, [["sesv2", "get-email-identity", "--email-identity", d]
                                                      for d in domains])) for region in (US, EU))
    for d, (rc, primary, err), (rc2, replica, err2) in zip(domains, reads[US], reads[EU]):
        assert rc == 0 and rc2 == 0, (err, err2)
        assert replica["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1", (d, replica)
        assert replica["DkimAttributes"]["Tokens"] == primary["DkimAttributes"]["Tokens"] and \
            len(primary["DkimAttributes"]["Tokens"]) == 3
        assert primary["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES"
        assert replica["VerifiedForSendingStatus"] is True and replica["ConfigurationSetName"] == cs
        # its own MAIL FROM name, its MX (eu-west-1's feedback endpoint) found in DNS; the primary keeps bounce.<d>
        assert replica["MailFromAttributes"]["MailFromDomain"] == "bounce-eu-west-1." + d
        assert replica["MailFromAttributes"]["MailFromDomainStatus"] == "SUCCESS", replica
        assert primary["MailFromAttributes"]["MailFromDomain"] == "bounce." + d
    # no DKIM record for any replica: the only new records are the replicas' MAIL FROM MX and SPF
    zone_after = record_sets(sandbox, zone_id)
    assert record_count(sandbox, zone_id) == before + 2 * FLEET
    assert {k: v for k, v in zone_after.items() if k not in zone_before} == dict(
        [(("bounce-eu-west-1." + d, "MX"), ["10 feedback-smtp.eu-west-1.amazonses.com."]) for d in domains]
        + [(("bounce-eu-west-1." + d, "TXT"), ['"v=spf1 include:amazonses.com ~all"']) for d in domains])
    assert all(zone_after[k] == v for k, v in zone_before.items())

    mark = sandbox.mark()
    again = module_main("domain_policy", regional)
    assert again.rc == 0 and again.result["changed"] is False, [d for d in again.result["domains"] if d["changed"]]
    assert sandbox.mutating_calls(since=mark) == []

    # a hard bounce received in eu-west-1 is suppressed in both regions
    mx_zone = unique("mx")
    bind.add_zone(mx_zone)
    publish(bind, mx_zone, [(mx_zone, "MX", "10 mx.%s." % mx_zone), ("mx." + mx_zone, "A", "192.0.2.25")])
    bounced = "jane@%s" % mx_zone
    note = tmp_path / "bounce.json"
    note.write_text((CORPUS / "doc_bounce_with_dsn.json").read_text().replace("jane@example.com", bounced))
    got = module_main("bounce_processor", {"paths": [str(note)], "store_path": str(tmp_path / "h.sqlite"),
                                           "region": EU, "regions": [US, EU]})
    assert got.rc == 0, got.result.get("msg")
    assert reason_in(sandbox, US, bounced) == "BOUNCE" and reason_in(sandbox, EU, bounced) == "BOUNCE"

    # the delist removes it from both, one audit line per region
    audit_log = tmp_path / "audit" / "log.jsonl"
    delist = module_main("suppressed_destination", {
        "email": bounced, "state": "absent", "reason_for_removal": "TICKET-26: mailbox restored",
        "resolvers": [bind.server], "audit_log": str(audit_log), "regions": [US, EU]})
    assert delist.rc == 0 and delist.result["changed"] is True, delist.result.get("msg")
    assert reason_in(sandbox, US, bounced) is None and reason_in(sandbox, EU, bounced) is None
    lines = [json.loads(line) for line in audit_log.read_text().splitlines() if line.strip()]
    assert sorted((line["action"], line["region"]) for line in lines) == [("delist", EU), ("delist", US)]

    # the global endpoint: READY, and a send through it succeeds with the primary faulted
    name = unique("global", "")
    made = module_main("multi_region_endpoint", {"name": name, "secondary_region": EU, "identities": [domains[0]]})
    assert made.rc == 0, made.result.get("msg")
    rc, endpoint, err = aws(sandbox, US, "sesv2", "get-multi-region-endpoint", "--endpoint-name", name)
    assert rc == 0 and endpoint["Status"] == "READY", err
    assert [r["Region"] for r in endpoint["Routes"]] == [US, EU]
    sandbox.post("faults", {"rules": [{"operation": "SendEmail", "region": US, "kind": "error"}]})
    try:
        mark = sandbox.mark()
        sent = sandbox.boto3_client("sesv2", US).send_email(
            FromEmailAddress="news@%s" % domains[0], Destination={"ToAddresses": ["reader@readers.test"]},
            Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}}},
            EndpointId=endpoint["EndpointId"])
    finally:
        sandbox.post("faults", {"rules": []})
    assert sent["MessageId"]
    sends = [(r["region"], r["status"]) for r in sandbox.requests(since=mark) if r["operation"] == "SendEmail"]
    assert sends[-1] == (EU, 200) and (US, 200) not in sends, sends
