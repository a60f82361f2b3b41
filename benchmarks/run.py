#!/usr/bin/env python3
"""`make bench`: every figure of docs/benchmarks.md and benchmarks/results/, each beside its anchor, in one run.

    make bench                          # every section, then docs/benchmarks.md from benchmarks/results/*.json
    make bench BENCH=fleet,posture      # only these sections (the others' results and text stay as recorded)
    make bench QUICK=1                  # every section at a small size: proves the plumbing in minutes; writes to
                                        # benchmarks/results/tmp/ (git-ignored), never over the recorded figures
    .venv/bin/python benchmarks/run.py [--quick] [--list] [--doc-only] [SECTION ...]

Each section is a script of benchmarks/ run in a child process with ``--out FILE``; it starts its own BIND 9 and
sandbox where it needs them and measures the collection side by side with its anchor in the same run (bare boto3 +
dnspython for the fleet and posture audits, the community.aws loop at N = 100 for domain_policy, parsedmarc for
DMARC ingestion, a bare JSON walk for notification classification). run.py stamps each result with the commit
measured (``+dirty`` when the measured code, MEASURED_CODE, differs from it; not for the results and the page a run
writes), the cores, the load average at the start and end of the section and how long it took, prints every target
beside what was measured (MISSED when missed), and writes the result only when the section finished: a figure not
measured is not written (the previous result, with its own date and commit, stays). Then docs/benchmarks.md is
generated from benchmarks/results/*.json by benchmarks/report.py (tests/unit/benchmarks/test_report.py fails when
the two disagree). The anchors (community.aws, parsedmarc) are installed privately under .build/anchors/ by
benchmarks/anchors.py on first use.

To add a section: write benchmarks/<name>.py taking ``--out FILE`` (JSON; a ``targets`` list of
{"target", "measured", "met"} is printed and rendered), append one ``Section(...)`` line to SECTIONS, and
optionally a renderer to benchmarks/report.py (without one the JSON is shown as it is).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.ansible_runner import BIN, base_env  # noqa: E402

PY = sys.executable
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
READ_PREFIXES = ("Get", "List", "Describe", "Test")
VERDICT = {True: "met", False: "MISSED", None: "not measured"}
AMAZONSES_SPF = "v=spf1 ip4:199.255.192.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20 -all"
# what the sections measure: a result is stale when measured before the last commit touching these (stale()), and
# its commit is stamped +dirty when these differ from it (commit()); the results and the page a run writes are not.
# The sandbox is in: the figures are measured against it (its HTTP keep-alive moved them)
MEASURED_CODE = ("plugins/", "playbooks/", "roles/", "meta/", "tests/sandbox/")


def commit(root=ROOT):
    """The commit measured (``+dirty`` when a tracked file under MEASURED_CODE differs from it), or None outside a
    git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=str(root), capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--"] + list(MEASURED_CODE),
                               cwd=str(root), capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+dirty" if dirty else "")) or None


def machine():
    """Cores and load at this moment: every section records its own."""
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def publish(bind, zone, records, chunk=400):
    """Seed records into a BIND zone by TSIG-signed UPDATEs: records = [(name, type, text)]."""
    import dns.query
    import dns.tsigkeyring
    import dns.update
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    for i in range(0, len(records), chunk):
        upd = dns.update.UpdateMessage(zone + ".", keyring=keyring, keyalgorithm="hmac-sha256")
        for name, rtype, text in records[i:i + chunk]:
            upd.add(name + ".", 300, rtype, text)
        resp = dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=30)
        assert resp.rcode() == 0, resp


# ------------------------------------------------------------------------------------------- running
def measure(cmd, env=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m.json"
        subprocess.run([PY, str(ROOT / "benchmarks" / "measure.py"), str(out), "--"] + cmd, env=env, check=True,
                       cwd=str(ROOT))
        return json.loads(out.read_text())


def run_playbook(sandbox, path, extra_vars, check=False, collections=None):
    """ansible-playbook under the test callback; ``collections``: a private collections path put first (the
    community.aws anchor's)."""
    with tempfile.TemporaryDirectory() as tmp:
        vars_file = Path(tmp) / "vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        results_file = Path(tmp) / "results.jsonl"
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), "-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        env = base_env(dict(sandbox.env(), RESULTS_FILE=str(results_file)))
        if collections:
            env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([collections, env["ANSIBLE_COLLECTIONS_PATH"]])
        m = measure(cmd, env)
        results = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()] \
            if results_file.exists() else []
    if m["rc"] != 0:
        log("ansible-playbook rc=%s: %s" % (m["rc"], m["output_tail"][-1500:]))
    m["tasks"] = results
    return m


def dns_vars(bind, zone):
    return {"zone": zone, "server": bind.server, "key_name": bind.key_name, "key_secret": bind.key_secret}


def fleet_vars(bind, zone, domains):
    return {"enforce_policy_domains": domains, "enforce_policy_provider": "rfc2136",
            "enforce_policy_zone": zone, "enforce_policy_server": bind.server,
            "enforce_policy_key_name": bind.key_name, "enforce_policy_key_secret": bind.key_secret,
            "enforce_policy_configuration_set": "bench", "enforce_policy_mail_from_subdomain": "bounce",
            "enforce_policy_dmarc": {"policy": "quarantine"}, "enforce_policy_workers": WORKERS}


# ------------------------------------------------------------------------------------------- sections
class Section:
    """One section of `make bench`: ``script`` (+ ``args``) is run with ``--out FILE``; ``quick`` arguments are added
    by --quick (small sizes: the plumbing, not the figures)."""

    def __init__(self, name, script, args=(), quick=(), title=""):
        self.name, self.script, self.args, self.quick, self.title = name, script, list(args), list(quick), title

    def command(self, out, quick=False):
        return [PY, str(ROOT / "benchmarks" / self.script)] + self.args + (self.quick if quick else []) + [
            "--out", str(out)]


# One line per section, in the order they run and appear in docs/benchmarks.md. Append yours.
SECTIONS = [
    Section("fleet", "fleet.py", [], ["--sizes", "5,20", "--naive-sizes", "5", "--community-sizes", "5"],
            "domain_policy against the loops of modules and bare boto3"),
    Section("fleet_overhead", "fleet_overhead.py", [], ["--n", "100", "--rounds", "1"],
            "the whole audit run against the bare script"),
    Section("posture", "posture.py", [], ["--quick"], "fleet posture against bare boto3 + dnspython"),
    Section("fleet_tenants", "fleet_tenants.py", [], ["--domains", "100", "--tenants", "10", "--rounds", "1"],
            "the audit with tenants against without"),
    Section("fleet_tenants_policy", "fleet_tenants.py", ["--policy", "strict"],
            ["--domains", "100", "--tenants", "10", "--rounds", "1"], "the same, each tenant's reputation policy too"),
    Section("classify", "classify.py", [], ["--seconds", "0.2", "--drain", "200", "--sandbox", "50"],
            "bounce processing against a bare JSON walk"),
    Section("dmarc_ingest", "dmarc_ingest.py",
            ["--reports", "2000", "--core", "1", "--rounds", "3", "--parsedmarc", "auto", "--big", "300000"],
            ["--reports", "100", "--rounds", "1", "--big", "2000"], "DMARC report ingestion against parsedmarc"),
    Section("suppression_sync", "suppression_sync.py", [], ["--size", "2000", "--differ", "100"],
            "suppression_sync of two regions' lists"),
    Section("fleet_overhead_10000", "fleet_overhead.py", ["--n", "10000", "--rounds", "2", "--variants", "domains_file"],
            ["--n", "200", "--rounds", "1", "--variants", "domains_file"], "the whole audit run at N = 10,000"),
    Section("fleet_regions", "fleet_regions.py", [], ["--n", "20", "--rounds", "1"],
            "the audit of a fleet in two regions against one"),
]


def select(names):
    wanted = [n for arg in names for n in arg.replace(",", " ").split() if n]
    known = dict((s.name, s) for s in SECTIONS)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit("unknown section(s) %s; known: %s" % (", ".join(unknown), ", ".join(known)))
    return [s for s in SECTIONS if not wanted or s.name in wanted]


def run_section(section, results, quick):
    """Run one section; returns (status, seconds). Writes results/<name>.json only when it finished."""
    staged = Path(tempfile.mkdtemp(prefix="bench-%s-" % section.name)) / ("%s.json" % section.name)
    cmd = section.command(staged, quick)
    at_start, sha = machine(), commit()
    log("=== section %s: %s (load %s on %d CPUs)" % (section.name, " ".join(cmd[1:]),
                                                     ", ".join("%.2f" % x for x in at_start["load_average"]),
                                                     at_start["cpus"]))
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=str(ROOT), check=False, env=dict(os.environ, BENCH_SECTION=section.name))
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0 or not staged.exists():
        log("=== section %s FAILED (rc %s, %.0f s): nothing written; %s" % (
            section.name, proc.returncode, seconds,
            "the recorded %s.json stays as it was" % section.name if (results / ("%s.json" % section.name)).exists()
            else "it stays not measured"))
        return "FAILED", seconds
    data = json.loads(staged.read_text())
    data["bench"] = {"section": section.name, "command": " ".join(["benchmarks/" + section.script] + cmd[2:-2]),
                     "quick": quick, "commit": sha, "started": at_start["at"], "cpus": at_start["cpus"],
                     "load_average_at_start": at_start["load_average"],
                     "load_average_at_end": machine()["load_average"], "seconds": seconds}
    (results / ("%s.json" % section.name)).write_text(json.dumps(data, indent=2) + "\n")
    staged.unlink()
    staged.parent.rmdir()
    import report
    missed = 0
    for t in report.targets(section.name, data):
        verdict = report.VERDICT[t["met"]]
        missed += t["met"] is False
        log("    %s: %s (%s)" % (t["target"], t["measured"], verdict))
    log("=== section %s done in %.0f s%s" % (section.name, seconds, ", %d target(s) MISSED" % missed if missed else ""))
    return "ok" + (" (%d MISSED)" % missed if missed else ""), seconds


def stale(results, sections):
    """[(section, recorded commit, last change)] for each result measured before the last change to the code."""
    out = []
    try:
        last = subprocess.run(["git", "log", "-1", "--format=%H", "--"] + list(MEASURED_CODE), cwd=str(ROOT),
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return out
    for s in sections:
        path = results / ("%s.json" % s.name)
        if not last or not path.exists():
            continue
        data = json.loads(path.read_text())
        sha = ((data.get("bench") or {}).get("commit") or data.get("commit") or "").replace("+dirty", "")
        known = sha and subprocess.run(["git", "merge-base", "--is-ancestor", last, sha], cwd=str(ROOT),
                                       capture_output=True, timeout=30).returncode == 0
        if not known:
            out.append((s.name, sha or "unknown", last))
    return out


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="make bench: every section, then docs/benchmarks.md")
    ap.add_argument("sections", nargs="*", help="section names (default: all); also BENCH=a,b")
    ap.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")),
                    help="small sizes, into benchmarks/results/tmp/ (the plumbing, not the figures)")
    ap.add_argument("--list", action="store_true", help="list the sections and exit")
    ap.add_argument("--doc-only", action="store_true", help="regenerate the doc from the results, run nothing")
    ap.add_argument("--results-dir", help="where results go (default benchmarks/results, --quick: .../tmp)")
    opts = ap.parse_args(argv)
    if opts.list:
        for s in SECTIONS:
            print("%-22s benchmarks/%s %s  (%s)" % (s.name, s.script, " ".join(s.args), s.title))
        return 0
    chosen = select(opts.sections or [os.environ.get("BENCH", "")])
    results = Path(opts.results_dir) if opts.results_dir else (RESULTS / "tmp" if opts.quick else RESULTS)
    doc = DOC if results == RESULTS else results / "benchmarks.md"
    results.mkdir(parents=True, exist_ok=True)
    timings = []
    started = time.monotonic()
    if not opts.doc_only:
        log("sections: %s%s; results to %s" % (", ".join(s.name for s in chosen), " (quick)" if opts.quick else "",
                                               results))
        for section in chosen:
            timings.append((section.name,) + run_section(section, results, opts.quick))
    import report
    doc.write_text(report.render(results, SECTIONS))
    log("wrote %s from %s/*.json" % (doc, results))
    for name, sha, last in stale(results, SECTIONS):
        log("STALE: %s was measured on %s, before the last change to %s (%s): `make bench BENCH=%s`" % (
            name, sha[:12], ", ".join(MEASURED_CODE), last[:12], name))
    if timings:
        log("time per section:")
        for name, status, seconds in timings:
            log("  %-22s %7.0f s  %s" % (name, seconds, status))
        log("  %-22s %7.0f s  (make bench, these sections)" % ("total", time.monotonic() - started))
    return 1 if any(status == "FAILED" for _, status, _ in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
