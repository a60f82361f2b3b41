#!/usr/bin/env python3
"""domain_policy's audit with tenants against the same audit without them (issue 25: within 1.2x, at most one
tenant read per tenant, never per domain).

    .venv/bin/python benchmarks/fleet_tenants.py [--domains 1000] [--tenants 100] [--rounds 3]

Starts the SES sandbox, onboards N domains with provider none (SES only, the records are printed, not written) in
T tenants (not measured), then alternates the check-mode audit with and without ``tenant`` - the module's main()
in-process, the same identities - for --rounds rounds, best of each kept, the load printed before each run. Counts
the tenant reads of the audit from the sandbox's request log. Writes benchmarks/results/fleet_tenants.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.ansible_runner import collections_path  # noqa: E402
from tests.sandbox.control import Sandbox  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TARGET = 1.2


def log(msg):
    print("[bench fleet_tenants %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def args_for(zone, domains, tenants, policy=None):
    def tenant(i):
        return dict({"name": "client-%03d" % (i % tenants)}, **({"reputation_policy": policy} if policy else {}))
    entries = [{"name": d, "tenant": tenant(i)} if tenants else d for i, d in enumerate(domains)]
    return {"provider": "none", "zone": zone, "domains": entries, "workers": 8, "nameservers": ["127.0.0.1:9"],
            "spf": {"enabled": False}, "dmarc": {"enabled": False}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="default benchmarks/results/fleet_tenants[_policy].json")
    ap.add_argument("--policy", choices=["standard", "strict", "none"],
                    help="ask each tenant for this reputation policy (one more read per tenant: its entity)")
    a = ap.parse_args()
    sys.path.insert(0, str(collections_path()))
    from tests.fixtures.inprocess import run_main
    zone = "tenants.bench.test"
    domains = ["d%04d.%s" % (i, zone) for i in range(a.domains)]
    with Sandbox() as sb:
        os.environ.update(sb.env())
        log("onboarding %d domains in %d tenants (not measured)" % (a.domains, a.tenants))
        res = run_main("domain_policy", args_for(zone, domains, a.tenants, a.policy))
        assert res.rc == 0, res.result.get("msg")
        runs = {"with": [], "without": []}
        reads = None
        for rnd in range(a.rounds):
            for kind in ("without", "with"):
                log("round %d, audit %s tenants, load %.2f %.2f %.2f" % ((rnd + 1, kind) + os.getloadavg()))
                mark = sb.mark()
                t0 = time.perf_counter()
                res = run_main("domain_policy", args_for(zone, domains, a.tenants if kind == "with" else 0, a.policy),
                               check=True)
                wall = time.perf_counter() - t0
                assert res.rc == 0 and res.result["changed"] is False, res.result.get("msg")
                runs[kind].append(round(wall, 3))
                if kind == "with":
                    ops = [r["operation"] for r in sb.requests(since=mark)]
                    reads = {op: ops.count(op) for op in ("ListTenants", "ListTenantResources", "GetReputationEntity")}
        best = {k: min(v) for k, v in runs.items()}
        ratio = round(best["with"] / best["without"], 3)
        result = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "domains": a.domains, "tenants": a.tenants,
                  "policy": a.policy,
                  "rounds": a.rounds, "runs_s": runs, "best_s": best, "ratio": ratio, "target": TARGET,
                  "met": ratio <= TARGET, "tenant_reads": reads, "cpus": os.cpu_count(),
                  "load_avg_at_end": os.getloadavg()}
    out = Path(a.out) if a.out else RESULTS / ("fleet_tenants%s.json" % ("_policy" if a.policy else ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    log("audit of %d domains: %.2f s with %d tenants, %.2f s without: %.2fx (target <= %.1fx: %s); tenant reads %s"
        % (a.domains, best["with"], a.tenants, best["without"], ratio, TARGET, "met" if result["met"] else "MISSED",
           reads))


if __name__ == "__main__":
    main()
