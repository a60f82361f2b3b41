#!/usr/bin/env python3
"""Fleet posture benchmarks (a section of `make bench`; results in benchmarks/results/posture.json).

    .venv/bin/python benchmarks/posture.py
    POSTURE_N=1000 POSTURE_RATES=20,5 POSTURE_SMALL_RATES=1 POSTURE_SMALL_N=100 POSTURE_LOOP_N=10 ...

In one run, against one BIND 9 and one sandbox, on a healthy seeded fleet of N domains:

1. whole run against whole run, no throttling: `ansible-playbook playbooks/posture_report.yml` against
   benchmarks/bare_posture.py (the same minimal SES and DNS reads in plain boto3 + dnspython, same threads);
   where the playbook's extra time goes (interpreter + Ansible start-up, the module's own time, result size);
2. under the sandbox's token buckets (R requests/s per SES operation) at N: the posture pass and domain_policy's
   audit (enforce_policy.yml --check) against the bound reads / R (reads = the SES calls the run needs, from a
   run without throttling): target <= 1.15 x, with zero failed domains;
3. the same at a smaller N for low rates (R=1 at N=1000 alone is ~17 minutes per pass);
4. the loop of modules (email_identity_info + email_auth_check per domain) at POSTURE_LOOP_N, or "not measured".

Nothing is extrapolated: a size or rate that was not run is reported as not measured.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import PY, fleet_vars, log, measure, publish, run_playbook  # noqa: E402
from measure import header, servers  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "posture.json"
PLAYBOOK = ROOT / "playbooks" / "posture_report.yml"
WORKERS = int(os.environ.get("BENCH_WORKERS", "16"))
TASK = "Look at every domain (read-only; the files are not written in check mode)"
SES_READS = ("GetAccount", "ListEmailIdentities", "GetEmailIdentity", "GetConfigurationSet")


def ints(name, default):
    raw = os.environ.get(name)
    return [int(x) for x in raw.split(",") if x.strip()] if raw is not None else list(default)


def seed(sandbox, bind, zone, n):
    """N healthy domains: Easy DKIM CNAMEs, MAIL FROM bounce.<d> with MX + SPF, SPF, DMARC p=quarantine."""
    sandbox.reset()
    sandbox.post("config", {"dns_servers": [bind.server], "dns_recheck_seconds": 3600.0})
    sandbox.post("account", {"production_access": True})
    ses = sandbox.boto3_client("sesv2")
    ses.create_configuration_set(ConfigurationSetName="bench")
    bind.add_zone(zone)
    domains = ["d%04d.%s" % (i, zone) for i in range(n)]
    records = []
    for d in domains:
        tokens = ses.create_email_identity(EmailIdentity=d, ConfigurationSetName="bench")["DkimAttributes"]["Tokens"]
        records += [("%s._domainkey.%s" % (t, d), "CNAME", "%s.dkim.amazonses.com." % t) for t in tokens]
        records += [("bounce." + d, "MX", "10 feedback-smtp.us-east-1.amazonses.com."),
                    ("bounce." + d, "TXT", '"v=spf1 include:amazonses.com ~all"'),
                    (d, "TXT", '"v=spf1 include:amazonses.com ~all"'),
                    ("_dmarc." + d, "TXT", '"v=DMARC1; p=quarantine; rua=mailto:dmarc@%s"' % d)]
    publish(bind, zone, records)
    for d in domains:
        ses.put_email_identity_mail_from_attributes(EmailIdentity=d, MailFromDomain="bounce." + d,
                                                    BehaviorOnMxFailure="REJECT_MESSAGE")
    # let the sandbox verify everything once (not measured), so runs measure the steady state
    sandbox.post("config", {"dns_recheck_seconds": 0.0})
    for d in domains:
        ses.get_email_identity(EmailIdentity=d)
    sandbox.post("config", {"dns_recheck_seconds": 3600.0})
    return domains


def posture_vars(bind, tmp, domains=None):
    extra = {"report_dir": str(Path(tmp) / "reports"), "nameservers": [bind.server], "workers": WORKERS,
             "fail_on": "never"}
    if domains is not None:
        extra["domains"] = domains
    return extra


def module_result(m, task):
    found = [t["result"] for t in m.get("tasks") or [] if t["task"] == task]
    return found[-1] if found else {}


def ses_reads(api):
    return sum(v for k, v in api["by_operation"].items() if k in SES_READS)


def calls(sandbox, mark):
    by_op, throttled = {}, 0
    for r in sandbox.requests(mark):
        if r["fault"] == "rate_limit":
            throttled += 1
            continue
        by_op[r["operation"]] = by_op.get(r["operation"], 0) + 1
    return {"by_operation": dict(sorted(by_op.items())), "throttled": throttled}


def posture_run(sandbox, bind, tmp, n, label):
    mark = sandbox.mark()
    m = run_playbook(sandbox, PLAYBOOK, posture_vars(bind, tmp))
    res = module_result(m, TASK)
    api = calls(sandbox, mark)
    out = {"rc": m["rc"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "peak_rss_mb": m["peak_rss_mb"],
           "module_elapsed_s": (res.get("stats") or {}).get("elapsed_seconds"),
           "dns_queries": (res.get("stats") or {}).get("dns_queries"),
           "domains": (res.get("summary") or {}).get("domains"),
           "failed_domains": (res.get("summary") or {}).get("could_not_look"),
           "result_bytes": len(json.dumps(res)), "api": api,
           "throttling": (res.get("stats") or {}).get("throttling")}
    log("%s: wall %.1f s (module %s s), rc %s, %s domains, %s failed, SES calls %s, throttled %d" % (
        label, m["wall_s"], out["module_elapsed_s"], m["rc"], out["domains"], out["failed_domains"],
        api["by_operation"], api["throttled"]))
    return out


def policy_run(sandbox, bind, zone, domains, label):
    extra = fleet_vars(bind, zone, domains)
    extra["enforce_policy_workers"] = WORKERS
    extra["enforce_policy_mail_from_subdomain"] = "bounce"
    mark = sandbox.mark()
    m = run_playbook(sandbox, ROOT / "playbooks" / "enforce_policy.yml", extra, check=True)
    res = module_result(m, "Audit or enforce every domain (check mode makes no write call)")
    api = calls(sandbox, mark)
    summary = res.get("summary") or {}
    out = {"rc": m["rc"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"],
           "module_elapsed_s": (res.get("stats") or {}).get("elapsed_seconds"),
           "domains": summary.get("total"), "failed_domains": summary.get("failed"), "api": api,
           "throttling": (res.get("stats") or {}).get("throttling")}
    log("%s: wall %.1f s (module %s s), rc %s, %s domains, %s failed, SES calls %s, throttled %d" % (
        label, m["wall_s"], out["module_elapsed_s"], m["rc"], out["domains"], out["failed_domains"],
        api["by_operation"], api["throttled"]))
    return out


def bare_run(sandbox, bind, tmp, label):
    args = {"endpoint": sandbox.endpoint, "server": bind.server, "workers": WORKERS}
    args_file = Path(tmp) / "bare_args.json"
    args_file.write_text(json.dumps(args))
    out_file = Path(tmp) / "bare_out.json"
    mark = sandbox.mark()
    m = measure([PY, str(ROOT / "benchmarks" / "bare_posture.py"), str(args_file), str(out_file)],
                env=dict(os.environ, PYTHONPATH=str(ROOT)))
    out = {"rc": m["rc"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "peak_rss_mb": m["peak_rss_mb"],
           "api": calls(sandbox, mark)}
    out.update(json.loads(out_file.read_text()) if out_file.exists() else {})
    log("%s: wall %.1f s (in-script %s s), %s DNS queries" % (label, m["wall_s"], out.get("elapsed_s"),
                                                               out.get("dns_queries")))
    return out


def startup_run(sandbox, tmp):
    """An empty play: what ansible-playbook costs before any module runs."""
    play = Path(tmp) / "empty.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    "    - ansible.builtin.debug:\n        msg: nothing\n")
    m = run_playbook(sandbox, play, {})
    return {"wall_s": m["wall_s"], "cpu_s": m["cpu_s"]}


def throttled(sandbox, bind, zone, tmp, domains, rate, reads_posture, reads_policy, result_key, result):
    sandbox.post("rate-limits", {"rules": [{"operation": "*", "rate": rate}]})
    try:
        entry = {"rate": rate, "n": len(domains)}
        p = posture_run(sandbox, bind, tmp, len(domains), "posture N=%d R=%g" % (len(domains), rate))
        p["bound_s"] = round(reads_posture / rate, 1)
        p["ratio"] = round(p["wall_s"] / p["bound_s"], 3)
        p["met"] = p["ratio"] <= 1.15 and p["failed_domains"] == 0 and p["rc"] == 0
        entry["posture"] = p
        sandbox.post("rate-limits", {"rules": [{"operation": "*", "rate": rate}]})  # fresh buckets
        d = policy_run(sandbox, bind, zone, domains, "domain_policy audit N=%d R=%g" % (len(domains), rate))
        d["bound_s"] = round(reads_policy / rate, 1)
        d["ratio"] = round(d["wall_s"] / d["bound_s"], 3)
        d["met"] = d["ratio"] <= 1.15 and d["failed_domains"] == 0 and d["rc"] == 0
        entry["domain_policy"] = d
    finally:
        sandbox.delete("rate-limits")
    result[result_key].append(entry)
    (RESULTS).write_text(json.dumps(result, indent=2) + "\n")  # keep what was measured if a later step dies


def loop_playbook(tmp, bind):
    play = {"name": "Loop of modules", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Identity", "deliverability.ses.email_identity_info": {"identity": "{{ item }}"},
         "loop": "{{ domains }}"},
        {"name": "Receiver checks", "deliverability.ses.email_auth_check": {
            "domain": "{{ item }}", "mail_from_domain": "bounce.{{ item }}", "nameservers": [bind.server]},
         "loop": "{{ domains }}"}]}
    import yaml
    path = Path(tmp) / "loop.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def main():
    global RESULTS
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--quick", action="store_true", help="N = 100, R = 20 only: the plumbing, not the figures")
    opts = ap.parse_args()
    RESULTS = Path(opts.out)
    n = int(os.environ.get("POSTURE_N", "100" if opts.quick else "1000"))
    rates = ints("POSTURE_RATES", (20,) if opts.quick else (20, 5))
    small_n = int(os.environ.get("POSTURE_SMALL_N", "100"))
    small_rates = ints("POSTURE_SMALL_RATES", () if opts.quick else (1,))
    loop_n = ints("POSTURE_LOOP_N", ())
    result = header(workers=WORKERS, n=n, whole_run={}, throttled=[], throttled_small=[], loop_of_modules={})
    whole_only = bool(os.environ.get("POSTURE_WHOLE_RUN_ONLY"))
    if whole_only and RESULTS.exists():
        # re-measure the side-by-side whole run only; the throttled figures of the earlier run stay, dated
        kept = json.loads(RESULTS.read_text())
        result.update({k: v for k, v in kept.items() if k not in ("whole_run", "date", "load_average_at_start")})
        result["throttled_date"] = kept.get("throttled_date") or kept["date"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with servers() as (bind, sandbox), tempfile.TemporaryDirectory() as tmp:
        zone = "posture%d.bench" % n
        log("seeding %d healthy domains" % n)
        domains = seed(sandbox, bind, zone, n)
        w = result["whole_run"]
        w["startup"] = startup_run(sandbox, tmp)
        w["bare"] = bare_run(sandbox, bind, tmp, "bare boto3 + dnspython N=%d" % n)
        w["playbook"] = posture_run(sandbox, bind, tmp, n, "posture_report.yml N=%d" % n)
        w["bare_2"] = bare_run(sandbox, bind, tmp, "bare again N=%d" % n)
        w["playbook_2"] = posture_run(sandbox, bind, tmp, n, "posture_report.yml again N=%d" % n)
        bare_best = min(w["bare"]["wall_s"], w["bare_2"]["wall_s"])
        play_best = min(w["playbook"]["wall_s"], w["playbook_2"]["wall_s"])
        w["ratio_whole_run"] = round(play_best / bare_best, 3)
        w["met"] = w["ratio_whole_run"] <= 1.5
        mod = min(x for x in (w["playbook"]["module_elapsed_s"], w["playbook_2"]["module_elapsed_s"]) if x)
        w["breakdown_s"] = {"ansible_start_and_callbacks": round(play_best - mod, 2), "module_pass": mod,
                            "bare_in_script": min(w["bare"]["elapsed_s"], w["bare_2"]["elapsed_s"]),
                            "bare_interpreter_and_imports": round(bare_best - min(w["bare"]["elapsed_s"],
                                                                                  w["bare_2"]["elapsed_s"]), 2),
                            "empty_playbook": w["startup"]["wall_s"]}
        log("whole run: playbook %.1f s / bare %.1f s = %.2fx" % (play_best, bare_best, w["ratio_whole_run"]))
        w["date"] = result["date"]
        if whole_only:
            RESULTS.write_text(json.dumps(result, indent=2) + "\n")
            log("wrote %s (whole run only)" % RESULTS)
            return 0
        reads_posture = ses_reads(w["playbook"]["api"])
        log("reads of a posture pass: %d SES calls %s" % (reads_posture, w["playbook"]["api"]["by_operation"]))
        mark = sandbox.mark()
        base_policy = policy_run(sandbox, bind, zone, domains, "domain_policy audit N=%d, no limit" % n)
        reads_policy = sum(v for k, v in base_policy["api"]["by_operation"].items()
                           if k in SES_READS)
        result["domain_policy_unthrottled"] = base_policy
        del mark
        result["reads"] = {"posture": reads_posture, "domain_policy": reads_policy}
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        for rate in rates:
            throttled(sandbox, bind, zone, tmp, domains, rate, reads_posture, reads_policy, "throttled", result)
        if small_rates:
            small = domains[:small_n]
            # a fleet of small_n: the other identities deleted, so the listing is what the pass would see
            ses = sandbox.boto3_client("sesv2")
            for d in domains[small_n:]:
                ses.delete_email_identity(EmailIdentity=d)
            p = posture_run(sandbox, bind, tmp, small_n, "posture N=%d, no limit" % small_n)
            sp_reads = ses_reads(p["api"])
            d = policy_run(sandbox, bind, zone, small, "domain_policy N=%d, no limit" % small_n)
            sd_reads = sum(v for k, v in d["api"]["by_operation"].items() if k in SES_READS)
            for rate in small_rates:
                throttled(sandbox, bind, zone, tmp, small, rate, sp_reads, sd_reads, "throttled_small", result)
        for ln in loop_n:
            ses = sandbox.boto3_client("sesv2")
            path = loop_playbook(tmp, bind)
            m = run_playbook(sandbox, path, {"domains": domains[:ln]})
            p = posture_run_for(sandbox, bind, tmp, domains[:ln])
            result["loop_of_modules"][str(ln)] = {"loop_wall_s": m["wall_s"], "loop_cpu_s": m["cpu_s"],
                                                   "posture_wall_s": p["wall_s"], "rc": m["rc"]}
            log("loop of modules N=%d: %.1f s vs posture %.1f s" % (ln, m["wall_s"], p["wall_s"]))
    for ln in (10, 100):
        result["loop_of_modules"].setdefault(str(ln), "not measured")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    log("wrote %s" % RESULTS)
    return 0


def posture_run_for(sandbox, bind, tmp, domains):
    m = run_playbook(sandbox, PLAYBOOK, posture_vars(bind, tmp, domains))
    return {"wall_s": m["wall_s"], "rc": m["rc"]}


if __name__ == "__main__":
    sys.exit(main())
