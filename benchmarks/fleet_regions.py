#!/usr/bin/env python3
"""The fleet audit in two regions against the same audit in one (issue 26: within 1.3x, whole run, same run).

    .venv/bin/python benchmarks/fleet_regions.py [--n 1000] [--rounds 3] [--out benchmarks/results/fleet_regions.json]

One BIND 9 and one sandbox, a healthy seeded fleet of N domains in us-east-1 (benchmarks/posture.py's seed, as
benchmarks/fleet_overhead.py), each with its DEED replica in eu-west-1 (created with boto3, not measured: the steady
state of a fleet that already sends from both). In each round, alternating: the no-change audit as a user runs it
(`ansible-playbook playbooks/enforce_policy.yml --check`, the default callback, the domains from a file) in one
region, then the same with `enforce_policy_regions=[us-east-1, eu-west-1]`. Best of the rounds for each; cores and
the load average printed before each run; the reads per region of each audit counted from the sandbox's request
log, and every run must write nothing. Target: two regions <= 1.3x one region at N = 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import fleet_vars, log, publish  # noqa: E402
from measure import header, servers  # noqa: E402
from posture import seed  # noqa: E402
from fleet_overhead import playbook  # noqa: E402

TARGET = 1.3
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
PRIMARY, REPLICA = "us-east-1", "eu-west-1"


def replicate(sandbox, bind, zone, domains):
    """Each domain's DEED replica in eu-west-1 with the primary's configuration set and its own MAIL FROM
    (``bounce-eu-west-1.<domain>``, its MX and SPF published): the steady state, so the audit is a no-change one
    (not measured)."""
    eu = sandbox.boto3_client("sesv2", REPLICA)
    eu.create_configuration_set(ConfigurationSetName="bench")
    mail_from = "bounce-%s." % REPLICA

    def one(d):
        eu.create_email_identity(EmailIdentity=d, ConfigurationSetName="bench",
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
        eu.put_email_identity_mail_from_attributes(EmailIdentity=d, MailFromDomain=mail_from + d,
                                                   BehaviorOnMxFailure="USE_DEFAULT_VALUE")
    publish(bind, zone, [r for d in domains for r in (
        (mail_from + d, "MX", "10 feedback-smtp.%s.amazonses.com." % REPLICA),
        (mail_from + d, "TXT", '"v=spf1 include:amazonses.com ~all"'))])
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, domains))


def reads_by_region(sandbox, mark):
    out = {}
    for r in sandbox.requests(mark):
        region = out.setdefault(r.get("region") or "?", {})
        region[r["operation"]] = region.get(r["operation"], 0) + 1
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_REGIONS_N", "1000")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "fleet_regions.json"))
    opts = parser.parse_args()
    result = header(n=opts.n, workers=WORKERS, rounds=opts.rounds, regions=[PRIMARY, REPLICA],
                    runs={"one_region": [], "two_regions": []})
    with servers() as (bind, sandbox), tempfile.TemporaryDirectory() as tmp:
        zone = "regions%d.bench" % opts.n
        log("seeding %d healthy domains in %s and their replicas in %s (not measured)" % (opts.n, PRIMARY, REPLICA))
        domains = seed(sandbox, bind, zone, opts.n)
        ses = sandbox.boto3_client("sesv2")
        for d in domains:  # the playbook's policy keeps SES's default MAIL FROM behaviour: make the audit a no-change
            ses.put_email_identity_mail_from_attributes(EmailIdentity=d, MailFromDomain="bounce." + d,
                                                        BehaviorOnMxFailure="USE_DEFAULT_VALUE")
        replicate(sandbox, bind, zone, domains)
        domains_file = Path(tmp) / "domains.txt"
        domains_file.write_text("\n".join(domains) + "\n")
        extra = dict(((k, v) for k, v in fleet_vars(bind, zone, domains).items() if k != "enforce_policy_domains"),
                     enforce_policy_domains_file=str(domains_file), enforce_policy_mail_from_subdomain="bounce",
                     enforce_policy_workers=WORKERS, enforce_policy_configuration_set="bench")
        files = {}
        for kind, regions in (("one_region", None), ("two_regions", [PRIMARY, REPLICA])):
            files[kind] = Path(tmp) / ("%s.json" % kind)
            files[kind].write_text(json.dumps(dict(extra, **({"enforce_policy_regions": regions} if regions else {}))))
        policy = ROOT / "playbooks" / "enforce_policy.yml"
        reads = {}
        for rnd in range(opts.rounds):
            for kind in ("one_region", "two_regions"):
                load = os.getloadavg()
                log("round %d %-11s cores %d, load %.2f %.2f %.2f" % ((rnd + 1, kind, os.cpu_count()) + load))
                mark = sandbox.mark()
                m = playbook(sandbox, policy, files[kind], check=True)
                writes = [r for r in sandbox.requests(mark) if r["mutating"]]
                reads[kind] = reads_by_region(sandbox, mark)
                changed = "changed=0" not in m["output_tail"].split("PLAY RECAP")[-1]
                result["runs"][kind].append({"rc": m["rc"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"],
                                             "writes": len(writes), "load_before": [round(x, 2) for x in load],
                                             "peak_rss_mb": m["peak_rss_mb"], "changed": changed})
                log("round %d %-11s wall %.2f s cpu %.2f s rc %s writes %d" % (
                    rnd + 1, kind, m["wall_s"], m["cpu_s"], m["rc"], len(writes)))
        result["reads_by_region"] = reads
    result["load_average_at_end"] = list(os.getloadavg())
    runs = result["runs"]
    best = dict((k, min(r["wall_s"] for r in v)) for k, v in runs.items())
    result["best_wall_s"] = best
    result["ratio"] = round(best["two_regions"] / best["one_region"], 3)
    result["target"] = TARGET
    clean = all(r["rc"] == 0 and r["writes"] == 0 and not r["changed"] for v in runs.values() for r in v)
    result["all_runs_clean"] = clean
    result["met"] = result["ratio"] <= TARGET and clean
    result["targets"] = [{"target": "audit of %d domains in 2 regions, whole run <= %.1fx one region (best of %d)"
                                    % (opts.n, TARGET, opts.rounds),
                          "measured": "%.2fx (%.2f s / %.2f s)" % (result["ratio"], best["two_regions"],
                                                                   best["one_region"]),
                          "met": result["met"]}]
    log("audit of %d domains, whole run: two regions %.2f s, one region %.2f s = %.2fx (target <= %.1fx: %s); "
        "runs clean (rc 0, no write): %s" % (opts.n, best["two_regions"], best["one_region"], result["ratio"], TARGET,
                                              "met" if result["met"] else "MISSED", clean))
    Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
