"""The forgery of issue 22 replayed end to end: sandbox receipt rule -> S3 -> playbooks/dmarc_rollout.yml, the
record read back from BIND.

The real reporter (google.com, DKIM-signed by its own domain, 20 days) shows 60 % pass and 40 % from an unaligned
CRM. A forger (no DKIM, From attacker@evil.example) mails 84 reports to the public rua address: two made-up
org_names, one report a day for 14 days, 5,000,000 passing messages each, for three policies. Unattended runs
must not move the record: the forged reports are shown as unauthenticated and not counted. The same kind of
report mailed by a real, signing reporter counts - and still cannot outvote google.com's failing CRM.
"""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.fixtures import dmarc_reports as gen
from tests.fixtures.dns_zones import publish

pytestmark = pytest.mark.bind
ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "dmarc_rollout.yml")
ADVANCE = "Advance each domain one stage when the gate opens (the ratchet never loosens)"
CRM_MIX = (("54.240.8.10", "a8-10.smtp-out.amazonses.com", "ses", 0.6), ("203.0.113.7", "mta.crm.example", "crm", 0.4))


def _post(sandbox, raw, zone):
    out = sandbox.post("inbound", {"raw_base64": base64.b64encode(raw).decode(), "recipients": ["dmarc@" + zone]})
    assert out["stored"], out


def test_forged_reports_do_not_move_the_record(sandbox, bind, zone, rfc2136, ansible_playbook, tmp_path):
    bucket = "rua-" + zone.replace(".", "-")
    sandbox.boto3_client("s3").create_bucket(Bucket=bucket)
    ses = sandbox.boto3_client("ses")
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule(RuleSetName="inbound", Rule={"Name": "rua", "Enabled": True, "Recipients": ["dmarc@" + zone],
                                                         "Actions": [{"S3Action": {"BucketName": bucket,
                                                                                   "ObjectKeyPrefix": "rua/"}}]})
    ses.set_active_receipt_rule_set(RuleSetName="inbound")
    name = "_dmarc." + zone
    record = "v=DMARC1; p=none; rua=mailto:dmarc@%s" % zone
    publish(bind, zone, [(name, "TXT", record)])
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = int((today - dt.timedelta(days=20)).timestamp())

    # the real reporter, signed by google.com: 60 % pass, 40 % from an unaligned CRM
    google = gen.REPORTERS[0]
    gen.publish_reporter_keys(sandbox, ["google.com", "yahooinc.com"])
    for fname, data, rep, _xml in gen.daily_reports(zone, 20, 1000, start, reporters=(google,), mix=CRM_MIX,
                                                    id_prefix="g"):
        _post(sandbox, gen.signed_mime(data, fname, "dmarc@" + zone, sender=rep["email"]), zone)

    # the forger: no DKIM, its own From, two made-up reporters, 14 days x 3 policies of 5,000,000 passing messages
    def forged(org, email_addr, day, policy, testing, rid):
        begin = start + (6 + day) * 86400
        recs = [gen.record("198.51.100.99", 5000000, zone, zone, "pass", zone, "pass")]
        return gen.report_xml(org, email_addr, rid, zone, begin, begin + 86399, recs, schema="rfc9990",
                              policy=policy, testing=testing)

    sent = 0
    for policy, testing in (("none", "n"), ("quarantine", "y"), ("quarantine", "n")):
        for n, org in enumerate(("Trusted Receiver A", "Big Mailbox B")):
            for day in range(14):
                xml = forged(org, "reports@receiver-%d.example" % n, day, policy, testing,
                             "f-%s%s-%d-%d" % (policy, testing, n, day))
                _post(sandbox, gen.mime(gen.gz(xml), "r.xml.gz", "dmarc@" + zone, sender="attacker@evil.example"),
                      zone)
                sent += 1
    assert sent == 84

    store = str(tmp_path / "evidence.sqlite")
    extra = {"dmarc_domains": [zone], "dmarc_provider": "rfc2136", "dmarc_zone": zone, "dmarc_server": bind.server,
             "dmarc_key_name": bind.key_name, "dmarc_key_secret": bind.key_secret, "reports_bucket": bucket,
             "reports_prefix": "rua/", "evidence_path": store, "report_dir": str(tmp_path / "report"),
             "dmarc_external_destinations": "ignore"}
    for run in range(2):  # unattended runs: the record does not move
        res = ansible_playbook(PLAYBOOK, extra_vars=extra)
        assert res.rc == 0, res.stdout[-3000:]
        gate = res.task(ADVANCE)["results"][0]["gate"]
        assert gate["open"] is False, gate["summary"]
        assert bind.query(name, "TXT") == ['"%s"' % record]
    uncounted = {e["reporter"]: e for e in gate["uncounted_reporters"]}
    assert set(uncounted) == {"receiver-0.example", "receiver-1.example"}, uncounted
    assert all(e["trust"] == "unauthenticated" for e in uncounted.values())
    assert gate["figures"]["messages"] == 20000 and gate["figures"]["reporters"] == ["google.com"]
    assert any(r.startswith("reporter google.com: 60.00 %") for r in gate["reasons"]), gate["reasons"]
    db = sqlite3.connect(store)
    trust = dict(db.execute("SELECT trust, COUNT(DISTINCT day) FROM evidence GROUP BY trust").fetchall())
    assert trust == {"authenticated": 20, "unauthenticated": 14}, trust

    # the same volume from a real reporter that signs its mail (yahooinc.com) counts - and still cannot
    # outvote google.com's failing CRM: each reporter is judged on its own
    yahoo = gen.REPORTERS[1]
    for day in range(14):
        xml = forged(yahoo["org"], yahoo["email"], day, "none", "n", "y-%d" % day)
        _post(sandbox, gen.signed_mime(gen.gz(xml), "y.xml.gz", "dmarc@" + zone, sender=yahoo["email"]), zone)
    res = ansible_playbook(PLAYBOOK, extra_vars=extra)
    assert res.rc == 0, res.stdout[-3000:]
    gate = res.task(ADVANCE)["results"][0]["gate"]
    assert gate["figures"]["reporters"] == ["google.com", "yahooinc.com"], gate["figures"]
    assert gate["figures"]["messages"] == 20000 + 14 * 5000000 and gate["figures"]["pass_rate"] > 99.0
    assert gate["open"] is False and any(r.startswith("reporter google.com:") for r in gate["reasons"])
    assert bind.query(name, "TXT") == ['"%s"' % record]
    # with the forgery admitted by the operator's explicit choice, the record still does not move (google.com)
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(extra, gate={"count_unauthenticated": True}))
    assert res.rc == 0 and res.task(ADVANCE)["results"][0]["gate"]["open"] is False
    assert bind.query(name, "TXT") == ['"%s"' % record]
