#!/usr/bin/env python3
"""`make demo`: the main job end to end against the SES sandbox, then stop what it started.

1. start the sandbox (SES v2 + moto's Route 53, SNS, SQS, CloudWatch) and a DNS server answering from its
   Route 53 zones (what receivers would resolve),
2. create the hosted zone, run playbooks/onboard_domain.yml for the sample domain with Route 53,
3. run playbooks/configure_account.yml (suppression list, SNS -> SQS pipeline, reputation alarms),
4. send through the mailbox simulator and to real recipients, one of which hard-bounces,
5. run playbooks/process_bounces.yml and playbooks/reputation_report.yml,
6. print what a person needs to see.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.ansible_runner import run_playbook  # noqa: E402
from tests.fixtures.route53_dns import Route53Dns  # noqa: E402
from tests.sandbox.control import Sandbox  # noqa: E402

DOMAIN = "example.com"
SENDER = "news@" + DOMAIN
SIMULATOR = ["success@simulator.amazonses.com", "bounce@simulator.amazonses.com",
             "complaint@simulator.amazonses.com", "ooto@simulator.amazonses.com"]
CUSTOMERS = ["alice@customer.test", "bob@customer.test", "carol@customer.test", "dave@customer.test",
             "erin@customer.test", "frank@customer.test", "grace@customer.test", "heidi@customer.test",
             "ivan@customer.test", "gone@customer.test"]
HARD_BOUNCE = "gone@customer.test"
AMAZONSES_SPF = ("v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20 "
                 "ip4:23.249.208.0/20 ip4:23.251.224.0/19 ip4:76.223.176.0/20 ip4:54.240.64.0/19 "
                 "ip4:54.240.96.0/19 ip4:76.223.128.0/19 ip4:216.221.160.0/19 ip4:206.55.144.0/20 -all")


def step(text):
    print("\n== %s" % text, flush=True)


def playbook(name, env, extra_vars=None, args=()):
    started = time.monotonic()
    res = run_playbook(str(ROOT / "playbooks" / name), env=env, extra_vars=extra_vars, args=args)
    print("   ansible-playbook playbooks/%s -> rc=%d in %.0f s" % (name, res.rc, time.monotonic() - started))
    return res


def fact(res, task_suffix):
    """The result of the last task whose name ends with task_suffix (role tasks are prefixed with the role)."""
    found = [r for r in res.results if r["task"].endswith(task_suffix)]
    if not found:
        raise KeyError(task_suffix)
    return found[-1]["result"]


def fail(res, what):
    print("\n%s failed (rc=%d):\n%s\n%s" % (what, res.rc, res.stdout[-6000:], res.stderr[-3000:]), file=sys.stderr)
    return res.rc or 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default=DOMAIN)
    args = parser.parse_args(argv)
    domain = args.domain
    work = Path(tempfile.mkdtemp(prefix="ses-demo-"))
    with Sandbox() as sandbox, Route53Dns(sandbox.endpoint) as dns:
        env = sandbox.env()
        print("Sandbox up at %s; DNS for its Route 53 zones at %s" % (sandbox.endpoint, dns.server))
        r53 = sandbox.boto3_client("route53")
        zone = r53.create_hosted_zone(Name=domain, CallerReference="demo-%d" % time.time())["HostedZone"]
        print("Route 53 hosted zone %s (%s)" % (domain, zone["Id"].split("/")[-1]))
        # nothing here reaches the internet: a stand-in for SES's own SPF record (what include:amazonses.com
        # expands to) is served from a sandbox zone, so the receiver checks can count SPF lookups
        ses_zone = r53.create_hosted_zone(Name="amazonses.com", CallerReference="demo-ses-%d" % time.time())
        r53.change_resource_record_sets(HostedZoneId=ses_zone["HostedZone"]["Id"], ChangeBatch={"Changes": [{
            "Action": "UPSERT", "ResourceRecordSet": {"Name": "amazonses.com", "Type": "TXT", "TTL": 300,
                                                      "ResourceRecords": [{"Value": '"%s"' % AMAZONSES_SPF}]}}]})

        step("Onboard %s (identity, DKIM, MAIL FROM, SPF, DMARC, wait, check)" % domain)
        res = playbook("onboard_domain.yml", env, {
            "domain": domain, "provider": "route53",
            "domain_spf_apex": True, "domain_dmarc_rua": ["dmarc-reports@" + domain],
            "domain_resolvers": [dns.server], "domain_ses_region": "us-east-1",
            "domain_wait_timeout": 120})
        if res.rc:
            return fail(res, "onboard_domain.yml")
        onboarding = fact(res, "Record the outcome")["ansible_facts"]["domain_onboarding"]

        step("Account guard rails (suppression list, notification pipeline, reputation alarms)")
        res = playbook("configure_account.yml", env, {"identities": [domain]})
        if res.rc:
            return fail(res, "configure_account.yml")
        account = fact(res, "Record the outcome")["ansible_facts"]["account_policy"]

        step("Send %d messages through the mailbox simulator and %d to customers (%s hard-bounces)"
             % (len(SIMULATOR), len(CUSTOMERS), HARD_BOUNCE))
        sandbox.post("recipients", {"rules": [{"match": HARD_BOUNCE, "behaviour": "hard_bounce"}]})
        ses = sandbox.boto3_client("sesv2")
        for to in SIMULATOR + CUSTOMERS:
            ses.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": [to]},
                           Content={"Simple": {"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Hi."}}}})

        step("Process the bounces and complaints")
        reports = work / "reports"
        res = playbook("process_bounces.yml", env, {"report_dir": str(reports), "wait_time_seconds": 1,
                                                     "store_path": str(work / "bounces.sqlite")})
        if res.rc:
            return fail(res, "process_bounces.yml")
        bounces = fact(res, "Record the outcome")["ansible_facts"]["bounce_processing_result"]

        step("Reputation report")
        res = playbook("reputation_report.yml", env, {"report_path": str(reports / "reputation.html")})
        if res.rc not in (0, 2):
            return fail(res, "reputation_report.yml")
        reputation = fact(res, "Record the reputation")["ansible_facts"]["reputation"]

        suppressed = sorted(s["EmailAddress"] for s in
                            ses.list_suppressed_destinations()["SuppressedDestinationSummaries"])

    print("\n" + "=" * 72)
    print("Domain              %s" % onboarding["domain"])
    print("Identity verified   %s" % ("yes" if onboarding["verified_for_sending"] else "NO"))
    print("DKIM                %s (Easy DKIM, RSA 2048)" % onboarding["dkim_status"])
    print("MAIL FROM           %s %s" % (onboarding["mail_from"], onboarding["mail_from_status"]))
    # RFC 9989 removed pct: the domain role reports test mode (t=y) instead
    print("DMARC stage         p=%s%s   %s" % (onboarding["dmarc_policy"],
                                             " (test mode)" if onboarding.get("dmarc_test_mode") else "",
                                             onboarding["dmarc_record"]))
    print("Receiver checks     %s %s" % (onboarding["auth_status"], json.dumps(onboarding["auth_check"])))
    print("Records published in Route 53:")
    for line in onboarding["records"]:
        print("  " + line)
    print("Pipeline            %s -> %s" % (account["topic_arn"], account["queue_url"]))
    # the processor's class "suppressed" counts mail SES did not send because the address was already suppressed;
    # printed as "suppressed: 0" it sat beside "Addresses suppressed: gone@..." as a contradiction. Name it for what
    # it counts, and say which of the suppressed addresses this run's bounces account for.
    counts = {("to already-suppressed" if k == "suppressed" else k): v for k, v in bounces["counts"].items()}
    print("Bounces processed   %s" % ", ".join("%s %s" % kv for kv in sorted(counts.items())))
    print("Remove from lists   %s" % ", ".join(bounces["remove_from_lists"]))
    print("Addresses suppressed (account list): %s" % ", ".join(suppressed))
    print("  of which from this run's bounces: %s" % (", ".join(bounces["suppressed"]) or "none"))
    print("Bounce rate         %.2f %% (warning %.1f, critical %.1f) -> %s" % (
        reputation["bounce_rate"], reputation["thresholds"]["bounce_rate_warning"],
        reputation["thresholds"]["bounce_rate_critical"], reputation["status"]))
    print("Complaint rate      %.3f %%" % reputation["complaint_rate"])
    print("Reports             %s" % ", ".join(str(p) for p in sorted(reports.iterdir())))
    print("=" * 72)
    print("Sandbox and DNS stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
