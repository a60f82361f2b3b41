"""reputation_report.yml's HTML: no green OK without data, labelled sources, every day of the window on a log
axis (missing days are gaps), the thresholds drawn."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "reputation_report.yml")


def test_report_unknown_then_critical(ansible_playbook, sandbox, tmp_path):
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_path": str(tmp_path / "empty.html")})
    assert res.rc == 0, res
    html = (tmp_path / "empty.html").read_text()
    assert '<span class="unknown">UNKNOWN</span>' in html and 'class="ok">OK' not in html
    assert html.count("no data</td>") == 2
    assert html.count('class="gap"') == 28 and 'class="day"' not in html  # 14 empty days per chart

    ses = sandbox.boto3_client("sesv2")
    ses.create_email_identity(EmailIdentity="news@example.com")
    sandbox.post("verify-email", {"identity": "news@example.com"})
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"}]})
    for to in ["gone@bad.test"] + ["ok%d@x.test" % i for i in range(9)]:
        ses.send_email(FromEmailAddress="news@example.com", Destination={"ToAddresses": [to]},
                       Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "y"}}}})
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_path": str(tmp_path / "crit.html")})
    assert res.rc == 2, res  # a critical rate fails the run
    html = (tmp_path / "crit.html").read_text()
    assert '<span class="critical">CRITICAL</span>' in html
    assert html.count('class="day"') == 2 and html.count('class="gap"') == 26  # today per chart, 13 gaps each
    assert "log scale" in html and "Source: <code>GetSendStatistics</code>" in html
    assert re.search(r"<td>bounce rate</td><td>[\d.]+ %</td><td>(cloudwatch|statistics)</td>", html)
    # the four threshold lines, the complaint ones well apart on the log axis (not squashed onto the x axis)
    ys = [float(y) for y in re.findall(r'class="threshold"[^>]*y1="([\d.]+)"', html)]
    assert len(ys) == 4 and abs(ys[2] - ys[3]) > 20, ys


def test_report_reads_as_words(ansible_playbook, sandbox, tmp_path):
    """What a person reads: no Python True/False/None, no '?' placeholder, the time in UTC to the second and the
    region named."""
    res = ansible_playbook(PLAYBOOK, extra_vars={"report_path": str(tmp_path / "r.html")})
    assert res.rc == 0, res
    html = (tmp_path / "r.html").read_text()
    visible = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b(True|False|None)\b", visible), visible
    assert "?" not in visible
    assert re.search(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, region us-east-1\.", visible), visible
    assert re.search(r"sending enabled: (yes|no), production access: (yes|no|not reported)", visible), visible


def test_regions_side_by_side_the_worst_counts(ansible_playbook, module_main, sandbox, tmp_path):
    """A list bouncing in eu-west-1 while us-east-1 is clean: the run fails (rc 2) naming eu-west-1, and the page
    shows both regions side by side; SES's own per-region statistics (read with the AWS CLI) agree."""
    import json
    import os
    import subprocess
    for region in ("us-east-1", "eu-west-1"):
        ses = sandbox.boto3_client("sesv2", region)
        ses.create_email_identity(EmailIdentity="news@example.com")
        sandbox.post("verify-email", {"identity": "news@example.com", "region": region})
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"}]})
    for region, bad in (("us-east-1", 0), ("eu-west-1", 3)):
        ses = sandbox.boto3_client("sesv2", region)
        for i in range(10):
            to = "gone%d@bad.test" % i if i < bad else "ok%d@x.test" % i
            ses.send_email(FromEmailAddress="news@example.com", Destination={"ToAddresses": [to]},
                           Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "y"}}}})
    env = dict(os.environ, **sandbox.env())
    env.update(AWS_DEFAULT_REGION="eu-west-1")
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "ses", "get-send-statistics", "--region", "eu-west-1",
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=60, check=True)
    points = json.loads(out.stdout)["SendDataPoints"]
    assert sum(p["Bounces"] for p in points) == 3 and sum(p["DeliveryAttempts"] for p in points) == 10

    res = module_main("reputation_info", {"regions": ["us-east-1", "eu-west-1"], "sources": ["statistics"]})
    assert res.rc == 0, res.result
    by = {r["region"]: r for r in res.result["per_region"]}
    assert by["us-east-1"]["status"] == "ok" and by["eu-west-1"]["status"] == "critical"
    assert res.result["status"] == "critical" and res.result["region"] == "us-east-1"
    assert any(why.startswith("eu-west-1: bounce rate 30.0000%") for why in res.result["reasons"]), res.result
    bad = module_main("reputation_info", {"regions": ["eu-west-1", "eu-west-1"]})
    assert bad.rc != 0 and "regions" in bad.result["msg"]

    page = tmp_path / "r.html"
    run = ansible_playbook(PLAYBOOK, extra_vars={"report_path": str(page), "regions": ["us-east-1", "eu-west-1"]})
    assert run.rc == 2, run.output  # eu-west-1 is critical
    html = page.read_text()
    table = html[html.index('id="regions"'):html.index("</table>", html.index('id="regions"'))]
    assert "<td>us-east-1</td>" in table and "<td>eu-west-1</td>" in table
    assert re.search(r"<td>eu-west-1</td><td class=\"critical\">critical</td><td>[0-9.]+ %</td>", table), table
    assert re.search(r"<td>us-east-1</td><td class=\"ok\">ok</td>", table), table


def test_tenants_next_to_the_account(ansible_playbook, module_main, sandbox, tmp_path):
    """Two clients in two tenants (strict): one's list bounces until SES pauses it. reputation_info reads each
    tenant's sends, bounces and rates from VDM metrics and says SES paused it and why; the page shows both."""
    from tests.fixtures.tenants import arn, send
    from tests.fixtures.names import unique
    ses = sandbox.boto3_client("sesv2")
    clients = {}
    for label in ("clean", "stale"):
        name, sender = unique("t-" + label, ""), "news@%s" % unique(label)
        made = ses.create_tenant(TenantName=name)
        ses.update_reputation_entity_policy(ReputationEntityType="RESOURCE", ReputationEntityReference=made["TenantArn"],
                                            ReputationEntityPolicy="arn:aws:ses:us-east-1:aws:reputation-policy/strict")
        ses.create_email_identity(EmailIdentity=sender)
        sandbox.post("verify-email", {"identity": sender})
        ses.create_tenant_resource_association(TenantName=name, ResourceArn=arn("identity", sender))
        clients[label] = (name, sender)
    sandbox.post("recipients", {"rules": [{"match": "*@stale-list.test", "behaviour": "hard_bounce"}]})
    for i in range(25):
        send(ses, clients["clean"][1], "reader%d@readers.test" % i, tenant=clients["clean"][0])
    sent = 0
    for i in range(40):
        try:
            send(ses, clients["stale"][1], "user%d@stale-list.test" % i, tenant=clients["stale"][0])
            sent += 1
        except Exception:  # noqa: BLE001 - SendingPausedException: SES paused the tenant
            break
    res = module_main("reputation_info", {"tenants": True, "sources": ["statistics"]})
    assert res.rc == 0, res.result
    rows = {t["name"]: t for t in res.result["tenants"]["tenants"]}
    clean, stale = rows[clients["clean"][0]], rows[clients["stale"][0]]
    assert clean["sends"] == 25 and clean["bounces"] == 0 and clean["status"] == "ok" and clean["paused_by"] is None
    assert stale["sends"] == sent and stale["bounces"] == sent and stale["bounce_level"] == "critical"
    assert stale["paused_by"] == "SES" and "bounce rate" in stale["cause"]
    # read back independently: SES says the same of the paused tenant
    tenant = ses.get_tenant(TenantName=clients["stale"][0])["Tenant"]
    assert tenant["SendingStatus"] == "DISABLED"
    # the scheduled job's per-tenant alarm: it fails naming the paused client only, and why
    alarm = module_main("reputation_info", {"tenants": True, "sources": ["statistics"], "tenant_fail_on": "paused"})
    assert alarm.rc != 0 and alarm.result["failed"] is True
    assert alarm.result["tenants_failing"] == [alarm.result["tenants_failing"][0]]
    assert alarm.result["tenants_failing"][0].startswith(clients["stale"][0] + " - paused by SES: ")
    assert "1 SES tenant(s) at tenant_fail_on=paused" in alarm.result["msg"] and clients["clean"][0] not in \
        alarm.result["msg"]
    refused = module_main("reputation_info", {"tenant_fail_on": "critical"})
    assert refused.rc != 0 and "tenant_fail_on" in refused.result["msg"] and "tenants=true" in refused.result["msg"]
    page = tmp_path / "t.html"
    run = ansible_playbook(PLAYBOOK, extra_vars={"report_path": str(page), "tenants": True})
    assert run.rc == 2, run.output  # the account's own bounce rate is critical too (the stale list)
    html = page.read_text()
    table = html[html.index('id="tenants"'):html.index("</table>", html.index('id="tenants"'))]
    assert clients["clean"][0] in table and "paused by SES: " in table
    assert re.search(r"<td>%s</td><td class=\"ok\">ok</td><td>25</td><td>0.00 %%</td>" % clients["clean"][0], table)
