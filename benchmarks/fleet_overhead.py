#!/usr/bin/env python3
"""The fleet audit's whole run against a bare script, side by side (issue 24 item 1; a section of `make bench`).

    .venv/bin/python benchmarks/fleet_overhead.py [--n 1000] [--rounds 3] [--out benchmarks/results/fleet_overhead.json]

One BIND 9 and one sandbox, a healthy seeded fleet of N domains (benchmarks/posture.py's seed). In each round, in
turn: the no-change audit as a user runs it (`ansible-playbook playbooks/enforce_policy.yml --check`, the default
callback, no test callback), with the domains passed as an extra-var list (`-e @vars.json`, enforce_policy_domains)
and as a file (enforce_policy_domains_file); benchmarks/bare_reads.py (the same minimal reads in plain boto3 +
dnspython, same concurrency); and a trivial playbook (one debug task: the floor of any ansible-playbook run). Best
of the rounds for each; the load average printed before and after. Targets: whole audit run <= 1.5x the bare
script at N = 1,000 (<= 1.25x at N >= 10,000); the module's own pass <= 1.2x the bare script's reads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import PY, fleet_vars, log, measure, run_playbook  # noqa: E402
from measure import header, servers  # noqa: E402
from posture import seed  # noqa: E402

from tests.fixtures.ansible_runner import BIN, collections_path  # noqa: E402

TARGET = 1.5
PASS_TARGET = 1.2  # the module's own pass against the bare reads
TARGET_10000 = 1.25  # whole run at N >= 10,000
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))


def user_env(sandbox):
    """What a user's shell has: the collection on the path, the AWS settings; the default callback."""
    env = dict(os.environ)
    env.update(sandbox.env())
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections_path()), "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "false",
                "PATH": "%s:%s" % (BIN, env.get("PATH", ""))})
    return env


def playbook(sandbox, path, vars_file=None, check=False):
    cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
    if vars_file:
        cmd += ["-e", "@%s" % vars_file]
    if check:
        cmd.append("--check")
    m = measure(cmd, user_env(sandbox))
    if m["rc"] != 0:
        log("rc=%s: %s" % (m["rc"], m["output_tail"][-1500:]))
    return m


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_OVERHEAD_N", "1000")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="before,extra_vars,domains_file")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "fleet_overhead.json"))
    opts = parser.parse_args()
    variants = [v for v in opts.variants.split(",") if v]
    result = header(n=opts.n, workers=WORKERS, rounds=opts.rounds, runs={})
    with servers() as (bind, sandbox), tempfile.TemporaryDirectory() as tmp:
        zone = "fleet%d.bench" % opts.n
        log("%d cores, load average %s; seeding %d healthy domains" % (
            os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg()), opts.n))
        domains = seed(sandbox, bind, zone, opts.n)
        # the seed's MAIL FROM says REJECT_MESSAGE; the playbook's policy keeps SES's default: make it a no-change
        ses = sandbox.boto3_client("sesv2")
        for d in domains:
            ses.put_email_identity_mail_from_attributes(EmailIdentity=d, MailFromDomain="bounce." + d,
                                                        BehaviorOnMxFailure="USE_DEFAULT_VALUE")
        extra = fleet_vars(bind, zone, domains)
        extra["enforce_policy_mail_from_subdomain"] = "bounce"
        extra["enforce_policy_workers"] = WORKERS
        vars_list = Path(tmp) / "vars.json"
        vars_list.write_text(json.dumps(extra))
        # "before": what a run cost before issue 24 - the list as an extra-var and every domain's full result
        vars_before = Path(tmp) / "vars_before.json"
        vars_before.write_text(json.dumps(dict(extra, enforce_policy_return_domains="all")))
        domains_file = Path(tmp) / "domains.txt"
        domains_file.write_text("\n".join(domains) + "\n")
        vars_file = Path(tmp) / "vars_file.json"
        vars_file.write_text(json.dumps(dict(((k, v) for k, v in extra.items() if k != "enforce_policy_domains"),
                                             enforce_policy_domains_file=str(domains_file))))
        bare_args = Path(tmp) / "bare_args.json"
        bare_args.write_text(json.dumps({"endpoint": sandbox.endpoint, "server": bind.server, "zone": zone,
                                         "key_name": bind.key_name, "key_secret": bind.key_secret,
                                         "domains": domains, "workers": WORKERS}))
        trivial = Path(tmp) / "trivial.yml"
        trivial.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                           "    - ansible.builtin.debug:\n        msg: nothing\n")
        policy = ROOT / "playbooks" / "enforce_policy.yml"
        runs = dict((k, []) for k in variants + ["bare", "trivial"])
        for rnd in range(opts.rounds):
            for name in variants + ["bare", "trivial"]:
                mark = sandbox.mark()
                if name == "bare":
                    m = measure([PY, str(ROOT / "benchmarks" / "bare_reads.py"), str(bare_args),
                                 str(Path(tmp) / "bare_out.json")], env=dict(os.environ, PYTHONPATH=str(ROOT)))
                elif name == "trivial":
                    m = playbook(sandbox, trivial)
                else:
                    m = playbook(sandbox, policy, {"before": vars_before, "extra_vars": vars_list}.get(name, vars_file),
                                 check=True)
                writes = [r for r in sandbox.requests(mark) if r["mutating"]]
                runs[name].append({"rc": m["rc"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "writes": len(writes),
                                   "load": round(os.getloadavg()[0], 2), "output_bytes": len(m["output_tail"])})
                if name == "bare":  # the reads alone, without the interpreter's start and imports
                    runs[name][-1]["reads_s"] = json.loads((Path(tmp) / "bare_out.json").read_text())["elapsed_s"]
                log("round %d %-12s wall %.2f s cpu %.2f s rc %s load %.2f" % (
                    rnd + 1, name, m["wall_s"], m["cpu_s"], m["rc"], os.getloadavg()[0]))
        # where the time goes: one more audit with the test callback, for the module's own figures
        diag = {}
        for name in variants:
            chosen = {"before": vars_before, "extra_vars": vars_list}.get(name, vars_file)
            m = run_playbook(sandbox, policy, json.loads(chosen.read_text()), check=True)
            found = [t["result"] for t in m["tasks"] if t["task"].startswith("Audit or enforce")]
            res = found[-1] if found else {}
            diag[name] = {"module_elapsed_s": (res.get("stats") or {}).get("elapsed_seconds"),
                          "result_bytes": len(json.dumps(res)), "summary": res.get("summary"),
                          "api_calls": res.get("api_calls"), "return_domains": res.get("return_domains")}
            log("%s: module %s s, result %d bytes, %s" % (
                name, diag[name]["module_elapsed_s"], diag[name]["result_bytes"], diag[name]["summary"]))
        result["diagnostics"] = diag
        # the module's own pass (Fleet.run, stats.elapsed_seconds) against the bare script's reads (its elapsed_s,
        # also without start-up): best bare reads of the rounds, one diagnostic run per variant
        bare_reads = min(r["reads_s"] for r in runs["bare"])
        result["module_pass"] = dict((v, {"module_elapsed_s": diag[v]["module_elapsed_s"], "bare_reads_s": bare_reads,
                                          "ratio": round(diag[v]["module_elapsed_s"] / bare_reads, 2)
                                          if diag[v]["module_elapsed_s"] else None, "target": PASS_TARGET})
                                     for v in variants)
        for v in variants:
            log("N=%d %s: module pass %s s against the bare reads %.2f s = %sx (target <= %.1fx)" % (
                opts.n, v, diag[v]["module_elapsed_s"], bare_reads, result["module_pass"][v]["ratio"], PASS_TARGET))
    result["load_average_at_end"] = list(os.getloadavg())
    best = dict((k, min(r["wall_s"] for r in v)) for k, v in runs.items())
    result["runs"] = runs
    result["best_wall_s"] = best
    result["ratios"] = dict((v, round(best[v] / best["bare"], 2)) for v in variants)
    target = TARGET_10000 if opts.n >= 10000 else TARGET
    result["target"] = {"whole_run_vs_bare": target, "module_pass_vs_bare_reads": PASS_TARGET}
    result["met"] = dict((v, result["ratios"][v] <= target and all(r["rc"] == 0 and r["writes"] == 0
                                                                   for r in runs[v])) for v in variants)
    for v in variants:
        log("N=%d %s: best %.2f s against bare %.2f s = %.2fx (target <= %.2fx: %s); trivial playbook %.2f s" % (
            opts.n, v, best[v], best["bare"], result["ratios"][v], target,
            "met" if result["met"][v] else "MISSED", best["trivial"]))
    Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
