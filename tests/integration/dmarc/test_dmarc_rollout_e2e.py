"""DMARC from evidence, end to end on the sandbox: receivers mail aggregate reports to the rua address, the SES
receipt rule stores them in S3 as raw MIME, playbooks/dmarc_rollout.yml ingests them, the gate refuses with too
little evidence, opens with enough, the record in BIND moves one stage, and a second run changes nothing.

State is read back independently: S3 with the AWS CLI, the record with a DNS query to BIND, the store with
sqlite3, the report from its files.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import dmarc_reports as gen
from tests.fixtures.dns_zones import publish

pytestmark = pytest.mark.bind
ROOT = Path(__file__).resolve().parents[3]
AWS = str(Path(sys.executable).parent / "aws")
PLAYBOOK = str(ROOT / "playbooks" / "dmarc_rollout.yml")
MIX = (("54.240.8.10", "a8-10.smtp-out.amazonses.com", "ses", 0.995), ("203.0.113.7", "mta.crm.example", "crm", 0.003),
       ("192.0.2.66", "", "spoofer", 0.002))


def _aws(env, *args):
    out = subprocess.run([AWS, "--endpoint-url", env["AWS_ENDPOINT_URL"], "--region", "us-east-1", "--output",
                          "json"] + list(args), env=dict(env, AWS_DEFAULT_REGION="us-east-1"), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout or "{}")


def _mail(sandbox, zone, days, first_day_ago, prefix, policy="none"):
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = int((today - dt.timedelta(days=first_day_ago)).timestamp())
    sent = 0
    # the reporters sign their report mail (DKIM, their own domain): SES receiving says so, the gate counts them
    gen.publish_reporter_keys(sandbox, [r["email"].rsplit("@", 1)[-1] for r in gen.REPORTERS])
    for i, (name, data, rep, _xml) in enumerate(gen.daily_reports(zone, days, 800, start, mix=MIX, policy=policy,
                                                                  id_prefix=prefix)):
        raw = gen.signed_mime(data, name, "dmarc@" + zone, sender=rep["email"], odd=bool(i % 3 == 0))
        out = sandbox.post("inbound", {"raw_base64": base64.b64encode(raw).decode(), "recipients": ["dmarc@" + zone]})
        assert out["stored"], out
        sent += 1
    return sent


def test_rollout_from_receipt_rule_to_published_record(sandbox, bind, zone, rfc2136, ansible_playbook, tmp_path,
                                                       aws_env):
    bucket = "dmarc-reports-" + zone.replace(".", "-")
    s3 = sandbox.boto3_client("s3")
    s3.create_bucket(Bucket=bucket)
    ses = sandbox.boto3_client("ses")
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule(RuleSetName="inbound", Rule={
        "Name": "dmarc-rua", "Enabled": True, "Recipients": ["dmarc@" + zone], "ScanEnabled": False,
        "Actions": [{"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "rua/"}}]})
    ses.set_active_receipt_rule_set(RuleSetName="inbound")
    name = "_dmarc." + zone
    publish(bind, zone, [(name, "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@%s" % zone)])

    # three days of reports, and one hostile mail, land in S3 through the receipt rule
    sent = _mail(sandbox, zone, days=3, first_day_ago=3, prefix="a")
    evil = gen.mime(b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><feedback>&x;'
                    b'</feedback>', "evil.xml", "dmarc@" + zone)
    assert sandbox.post("inbound", {"raw_base64": base64.b64encode(evil).decode()})["stored"]  # To: header
    sandbox.post("inbound", {"raw_base64": base64.b64encode(evil).decode(), "recipients": ["other@elsewhere.test"]})
    listed = _aws(aws_env, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "rua/")
    assert len(listed["Contents"]) == sent + 1
    head = s3.get_object(Bucket=bucket, Key=listed["Contents"][0]["Key"])["Body"].read()
    assert b"Content-Type: multipart/mixed" in head  # raw MIME, as SES stores it

    store = str(tmp_path / "evidence.sqlite")
    report_dir = tmp_path / "report"
    extra = {"dmarc_domains": [zone], "dmarc_provider": "rfc2136", "dmarc_zone": zone, "dmarc_server": bind.server,
             "dmarc_key_name": bind.key_name, "dmarc_key_secret": bind.key_secret, "reports_bucket": bucket,
             "reports_prefix": "rua/", "evidence_path": store, "report_dir": str(report_dir),
             "dmarc_external_destinations": "ignore"}

    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=extra, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert not Path(store).exists() and not report_dir.exists()  # check mode: no store, no report
    assert sandbox.mutating_calls(since=mark) == []  # and no S3 quarantine copy
    res = ansible_playbook(PLAYBOOK, extra_vars=extra, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    ingest = res.task("Ingest the aggregate reports (S3 objects from the receipt rule, and files)")
    assert ingest["totals"]["reports_new"] == sent and ingest["totals"]["quarantined"] == 1, ingest["totals"]
    advance = res.task("Advance each domain one stage when the gate opens (the ratchet never loosens)")["results"][0]
    assert advance["changed"] is False and advance["gate"]["open"] is False
    assert any("fewer than min_days 14" in r for r in advance["gate"]["reasons"])
    assert "gate shut" in res.stdout  # the decision in the --diff output
    assert bind.query(name, "TXT") == ['"v=DMARC1; p=none; rua=mailto:dmarc@%s"' % zone]
    quarantined = _aws(aws_env, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "dmarc-quarantine/")
    keys = sorted(o["Key"] for o in quarantined["Contents"])
    assert len(keys) == 2 and keys[1] == keys[0] + ".reason.json", keys  # the copy and its reason
    reason = json.loads(s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read())
    assert "DTDForbidden" in reason["reason"]

    # the rest of the window arrives: the gate opens, the record moves one stage
    sent += _mail(sandbox, zone, days=17, first_day_ago=20, prefix="b")
    # --check predicts the real run: the new reports are parsed in memory and counted by the gate, nothing written
    reports_before = sqlite3.connect(store).execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=extra, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert sandbox.mutating_calls(since=mark) == []
    assert sqlite3.connect(store).execute("SELECT COUNT(*) FROM reports").fetchone()[0] == reports_before
    assert bind.query(name, "TXT") == ['"v=DMARC1; p=none; rua=mailto:dmarc@%s"' % zone]
    predicted = res.task("Advance each domain one stage when the gate opens (the ratchet never loosens)")["results"][0]
    assert predicted["changed"] is True and predicted["gate"]["open"] is True, predicted["gate"]["summary"]
    res = ansible_playbook(PLAYBOOK, extra_vars=extra, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    advance = res.task("Advance each domain one stage when the gate opens (the ratchet never loosens)")["results"][0]
    assert advance["changed"] is True and advance["gate"]["open"] is True, advance["gate"]
    assert predicted["record"] == advance["record"]  # the stage check mode predicted is the one published
    assert "p=quarantine; t=y" in str(predicted["record"]), predicted["record"]
    assert predicted["gate"]["figures"] == advance["gate"]["figures"]
    assert bind.query(name, "TXT") == ['"v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s"' % zone]
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == sent
    assert db.execute("SELECT DISTINCT trust FROM evidence").fetchall() == [("authenticated",)]
    assert db.execute("SELECT COUNT(DISTINCT org) FROM evidence").fetchone()[0] == len(gen.REPORTERS)
    html = (report_dir / "dmarc-rollout.html").read_text()
    assert "<svg" in html and "http" not in html.split("<body>", 1)[1].replace("http://www.w3.org/2000/svg", "")
    assert "DKIM not aligned for 203.0.113.7 / crm.example" in html
    assert "SPF never aligned" in html and "p=quarantine; t=y" in html
    assert re.search(r'id="headline"><b>[01] of 1 domain can move to their next stage', html), html[:600]
    assert "day(s)" not in html and "None" not in html
    rows = (report_dir / "dmarc-rollout.csv").read_text().splitlines()
    assert rows[0].startswith("domain,record,stage") and zone in rows[1]
    assert "203.0.113.7" in (report_dir / "dmarc-sources.csv").read_text()
    assert json.loads((report_dir / "dmarc-rollout.json").read_text())["domains"][0]["stage"] == "quarantine; t=y"

    # a second run changes nothing: no new report, no gate opening on evidence gathered under p=none
    before = (report_dir / "dmarc-rollout.json").read_text()
    res = ansible_playbook(PLAYBOOK, extra_vars=extra)
    assert res.rc == 0, res.stdout[-3000:]
    changed = [r["task"] for r in res.results if r["result"].get("changed")]
    after = (report_dir / "dmarc-rollout.json").read_text()
    diff = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [], (changed, diff[:10])
    assert bind.query(name, "TXT") == ['"v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s"' % zone]
    dig = subprocess.run([shutil.which("dig") or "dig", "+short", "-p", str(bind.port), "@127.0.0.1", name, "TXT"],
                         capture_output=True, text=True, check=True)
    assert dig.stdout.strip() == '"v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s"' % zone
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == sent
