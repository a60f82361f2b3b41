"""docs/benchmarks.md from benchmarks/results/*.json: the only writer of that page (benchmarks/run.py calls it).

Pure: reads JSON, returns text. tests/unit/benchmarks/test_report.py renders the recorded results and fails when
docs/benchmarks.md says anything else, so the page and the figures cannot drift apart. Every section says when it
was measured, on which commit, on how many cores and at which load; a section without a result file says "not
measured"; every target is shown beside what was measured, met or MISSED.
"""

from __future__ import annotations

import json
from pathlib import Path

VERDICT = {True: "met", False: "MISSED", None: "not measured"}


def _f(v, fmt="%.1f"):
    return fmt % v if isinstance(v, (int, float)) else "-"


def _load(v):
    return ", ".join("%.1f" % x for x in v) if v else "unknown"


def _short(sha):
    if not sha:
        return "unknown"
    return sha[:12] + ("+dirty" if sha.endswith("+dirty") else "")


# ------------------------------------------------------------------------------------------- targets
def targets(name, data):
    """Every target of a section beside what was measured: [{"target", "measured", "met": True/False/None}]."""
    fn = TARGETS.get(name)
    if fn:
        return fn(data)
    found = data.get("targets")
    return [t for t in found if isinstance(t, dict) and "target" in t] if isinstance(found, list) else []


def _targets_fleet(d):
    return list(d.get("targets") or [])


def _targets_overhead(d):
    out = []
    target = (d.get("target") or {}).get("whole_run_vs_bare")
    for name, ratio in (d.get("ratios") or {}).items():
        out.append({"target": "whole audit run (%s) <= %sx the bare script at N = %s, best of %s" % (
            name, target, d.get("n"), d.get("rounds")), "measured": "%.2fx" % ratio,
            "met": (d.get("met") or {}).get(name)})
    for name, p in sorted((d.get("module_pass") or {}).items()):
        if p.get("ratio") is not None:
            out.append({"target": "the module's own pass (%s) <= %sx the bare reads at N = %s" % (
                name, p.get("target"), d.get("n")), "measured": "%.2fx (%.2f s / %.2f s)" % (
                p["ratio"], p.get("module_elapsed_s") or 0, p.get("bare_reads_s") or 0),
                "met": p["ratio"] <= (p.get("target") or 0)})
    return out


def _targets_posture(d):
    out = []
    w = d.get("whole_run") or {}
    if w.get("ratio_whole_run") is not None:
        out.append({"target": "posture_report.yml whole run <= 1.5x bare boto3 + dnspython (N = %s)" % d.get("n"),
                    "measured": "%.2fx" % w["ratio_whole_run"], "met": w.get("met")})
    for e in (d.get("throttled") or []) + (d.get("throttled_small") or []):
        for key, label in (("posture", "posture_report.yml"), ("domain_policy", "domain_policy audit")):
            r = e.get(key)
            if r:
                out.append({"target": "%s under throttling N=%s R=%s: wall <= 1.15x reads / R, 0 failed" % (
                    label, e["n"], e["rate"]), "measured": "%.3fx, %s failed" % (r["ratio"], r.get("failed_domains")),
                    "met": r.get("met")})
    return out


def _targets_tenants(d):
    return [{"target": "audit with %s tenants%s <= %sx the audit without (N = %s)" % (
        d.get("tenants"), " (policy %s)" % d["policy"] if d.get("policy") else "", d.get("target"), d.get("domains")),
        "measured": "%.3fx" % d["ratio"], "met": d.get("met")}] if d.get("ratio") is not None else []


def _targets_classify(d):
    t = d.get("targets") or {}
    c = d.get("classify_per_second") or {}
    out = []
    if c.get("mix_wrapped_text") is not None:
        out.append({"target": "classification of the realistic mix >= %s/s" % t.get("classify_per_second"),
                    "measured": "%s/s (bare JSON walk: %s/s)" % (c["mix_wrapped_text"],
                                                                 c.get("json_only_mix_wrapped_text")),
                    "met": c["mix_wrapped_text"] >= t.get("classify_per_second", 0)})
    for key in ("drain_inprocess", "drain_inprocess_both_channels", "drain_sandbox"):
        r = d.get(key)
        if not r:
            continue
        queue, queue_limit = r.get("queue_calls_per_notification"), t.get("queue_calls_per_notification")
        out.append({"target": "%s: queue (SQS) calls per notification <= %s" % (key, queue_limit),
                    "measured": "%s (AWS calls in all, suppression writes included: %s)" % (
                        "not measured" if queue is None else queue, r["calls_per_notification"]),
                    "met": queue <= queue_limit if queue is not None and queue_limit is not None else None})
        per_event = (r.get("suppression_calls") or {}).get("per_suppressible_event",
                                                           r.get("suppression_calls_per_suppressible_event"))
        limit = t.get("suppression_calls_per_suppressible_event")
        out.append({"target": "%s: suppression calls per hard bounce / complaint event <= %s" % (key, limit),
                    "measured": "%s" % per_event,
                    "met": per_event <= limit if per_event is not None and limit is not None else None})
    return out


def _targets_dmarc(d):
    t, met = d.get("targets") or {}, d.get("met") or {}
    out = [{"target": "records per second, one core >= %s" % t.get("records_per_s"),
            "measured": "%s" % d.get("records_per_s"), "met": met.get("records_per_s")},
           {"target": "peak memory, %s reports <= %s MB" % (d.get("reports"), t.get("peak_mb")),
            "measured": "%s MB" % (d.get("first_run") or {}).get("peak_mb"), "met": met.get("peak_mb")}]
    out.append({"target": "whole run >= %sx parsedmarc, side by side" % t.get("vs_parsedmarc"),
                "measured": "%.2fx" % d["vs_parsedmarc"] if "vs_parsedmarc" in d else "not measured",
                "met": met.get("vs_parsedmarc")})
    big = d.get("big_report")
    out.append({"target": "peak memory, one report of %s records <= %s MB" % (
        big.get("records") if big else "300,000", t.get("big_peak_mb")),
        "measured": "%s MB" % big["peak_mb"] if big else "not measured", "met": met.get("big_peak_mb")})
    return out


def _targets_suppression(d):
    sync = d.get("sync") or {}
    return [{"target": "suppression_sync: at most %s writes (the differing entries) plus the list pages, nothing else"
             % d.get("differing"), "measured": "%s writes, %s list pages, other calls %s" % (
                 sync.get("writes"), sync.get("list_pages"), sync.get("other_calls") or "none"),
             "met": d.get("bound_met")}]


TARGETS = {"fleet": _targets_fleet, "fleet_overhead": _targets_overhead, "fleet_overhead_10000": _targets_overhead,
           "posture": _targets_posture,
           "fleet_tenants": _targets_tenants, "fleet_tenants_policy": _targets_tenants,
           "classify": _targets_classify, "dmarc_ingest": _targets_dmarc, "suppression_sync": _targets_suppression}


# ------------------------------------------------------------------------------------------- sections
def _ops(api):
    return ", ".join("%s %s" % (k, ("%g" % v)) for k, v in api["per_domain_by_operation"].items()) or "-"


def _md_fleet(d):
    lines = ["Workers: %s. Sandbox `dns_recheck_seconds`: %s. Records via RFC 2136 to the same BIND 9; one sandbox "
             "(moto + the project's SES v2) for every row." % (
                 d.get("workers"), ", ".join("N=%s: %s" % kv for kv in (d.get("recheck") or {}).items())), "",
             "| N | approach | run | wall s | CPU s | peak RSS MB (tree) | module peak MB | module s | "
             "reads/domain | writes/domain | calls per domain by operation |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    labels = {"naive": "loop of this collection's modules", "community_aws": "loop of community.aws modules (anchor)",
              "fleet": "domain_policy"}
    not_measured = []
    for n, entry in sorted((d.get("sizes") or {}).items(), key=lambda kv: int(kv[0])):
        for approach in ("naive", "community_aws", "fleet"):
            runs = entry.get(approach) or {}
            for run in ("first", "no_change", "audit"):
                r = runs.get(run)
                if not r:
                    continue
                lines.append("| %s | %s | %s | %.1f | %.1f | %s | %s | %s | %g | %g | %s |" % (
                    n, labels[approach] + (" (EXTRAPOLATED, not measured)" if r.get("extrapolated") else "")
                    + ("" if r.get("rc", 0) == 0 else " (rc %s)" % r["rc"]),
                    run.replace("_", "-"), r["wall_s"], r["cpu_s"], _f(r.get("peak_rss_mb"), "%.0f"),
                    _f(r.get("module_peak_rss_mb"), "%.0f"), _f(r.get("module_elapsed_s")),
                    r["api"]["reads_per_domain"], r["api"]["writes_per_domain"], _ops(r["api"])))
        bare = (entry.get("fleet") or {}).get("bare_reads")
        if bare:
            lines.append("| %s | bare boto3 + dnspython reads | floor | %.1f | %.1f | %s | - | %s | %g | %g | %s |" % (
                n, bare["wall_s"], bare["cpu_s"], _f(bare.get("peak_rss_mb"), "%.0f"),
                _f(bare.get("elapsed_s"), "%.2f"),
                bare["api"]["reads_per_domain"], bare["api"]["writes_per_domain"], _ops(bare["api"])))
        if entry.get("community_aws_not_measured"):
            not_measured.append("community.aws loop at N=%s not measured: %s" % (
                n, entry["community_aws_not_measured"]))
    anchor = next((e["community_aws"]["anchor"] for e in (d.get("sizes") or {}).values() if e.get("community_aws")),
                  None)
    lines += [""] + ["- %s" % x for x in not_measured] + ([""] if not_measured else [])
    lines += ["Columns: *wall* and *CPU* (user + system, all descendants) of the whole `ansible-playbook` run; *peak "
              "RSS (tree)* is the largest single process of that tree; *module peak* and *module s* are the "
              "domain_policy process's own. API calls come from the sandbox's request log (SES and Route 53; DNS goes "
              "to BIND and is not in it). The *floor* row is benchmarks/bare_reads.py: the same minimal reads "
              "(ListEmailIdentities, GetEmailIdentity per domain, one AXFR) in plain boto3 at the same concurrency."]
    if anchor:
        lines += ["", "The community.aws anchor: `%s` from PyPI (these machines reach no Galaxy server), its "
                  "collections %s unpacked into a private collections path (benchmarks/anchors.py), under ansible-core "
                  "%s; per domain %s. It does less than domain_policy (community.aws has no module for Easy DKIM, "
                  "MAIL FROM or a configuration set), so the ratio against it is a lower bound. Its first run includes "
                  "ses_identity's own 10 s sleep for each identity that does not exist yet (measured against the "
                  "sandbox: `get_verification_attributes` sleeps after its only lookup before VerifyDomainIdentity); "
                  "the no-change run has none." % (
                      anchor.get("package"), ", ".join("%s %s" % kv for kv in (anchor.get("versions") or {}).items()),
                      anchor.get("ansible_core"),
                      ", ".join(next(e["community_aws"]["tasks_per_domain"] for e in d["sizes"].values()
                                     if e.get("community_aws"))))]
    return lines


def _md_overhead(o):
    lines = ["N = %s healthy domains, %s workers, %s rounds alternating, best of each; "
             "`ansible-playbook playbooks/enforce_policy.yml --check` with the default callback, as a user runs it." % (
                 o.get("n"), o.get("workers"), o.get("rounds")), "",
             "| run | best wall s | ratio to bare | all runs s | target |", "|---|---|---|---|---|"]
    for name, wall in (o.get("best_wall_s") or {}).items():
        ratio = (o.get("ratios") or {}).get(name)
        runs = ", ".join("%.2f" % r["wall_s"] for r in (o.get("runs") or {}).get(name, []))
        lines.append("| %s | %.2f | %s | %s | %s |" % (
            name, wall, "%.2fx" % ratio if ratio is not None else ("1x" if name == "bare" else "-"), runs,
            VERDICT[o["met"][name]] if name in (o.get("met") or {}) else "-"))
    diag = o.get("diagnostics") or {}
    if diag:
        lines += ["", "| run | module's own pass s | task result bytes |", "|---|---|---|"]
        for name, v in diag.items():
            lines.append("| %s | %s | %s |" % (name, _f(v.get("module_elapsed_s"), "%.2f"), v.get("result_bytes")))
    lines += ["", "*before*: the domains as an extra-var and every domain's full result (as before issue 24); "
              "*extra_vars*: the compact result; *domains_file*: the domains from a file; *bare*: "
              "benchmarks/bare_reads.py; *trivial*: a one-task playbook, the floor of any ansible-playbook run."]
    return lines


def _md_posture(p):
    lines = ["Workers: %s. Fleet: %s healthy domains (Easy DKIM, MAIL FROM, SPF, DMARC) in BIND + the sandbox." % (
        p.get("workers"), p.get("n")), ""]
    w = p.get("whole_run") or {}
    if w.get("playbook"):
        b = w["breakdown_s"]
        lines += ["Whole run against whole run (no throttling), both twice, alternating, best of 2:", "",
                  "| run | wall s | CPU s | notes |", "|---|---|---|---|",
                  "| bare boto3 + dnspython (benchmarks/bare_posture.py) | %.1f | %.1f | %s DNS queries, in-script "
                  "%.1f s |" % (min(w["bare"]["wall_s"], w["bare_2"]["wall_s"]), w["bare"]["cpu_s"],
                                 w["bare"].get("dns_queries"), b["bare_in_script"]),
                  "| `ansible-playbook playbooks/posture_report.yml` | %.1f | %.1f | module pass %.1f s, %s DNS "
                  "queries, task result %d bytes |" % (
                      min(w["playbook"]["wall_s"], w["playbook_2"]["wall_s"]), w["playbook"]["cpu_s"],
                      b["module_pass"], w["playbook"].get("dns_queries"), w["playbook"]["result_bytes"]),
                  "| empty playbook (Ansible start-up alone) | %.1f | %.1f | |" % (
                      w["startup"]["wall_s"], w["startup"]["cpu_s"]), ""]
    rows = (p.get("throttled") or []) + (p.get("throttled_small") or [])
    if rows:
        lines += ["Under SES throttling (the sandbox's token bucket of R requests/s per operation). Bound = SES reads "
                  "of the pass / R (reads counted from an unthrottled run).", "",
                  "| N | R | pass | SES reads | bound s | wall s | module s | ratio | throttled answers | "
                  "failed domains |", "|---|---|---|---|---|---|---|---|---|---|"]
        for e in rows:
            for name, key in (("posture_report.yml", "posture"), ("domain_policy audit", "domain_policy")):
                r = e.get(key)
                if r:
                    lines.append("| %d | %g | %s | %d | %.1f | %.1f | %s | %.3f | %d | %s |" % (
                        e["n"], e["rate"], name, round(r["bound_s"] * e["rate"]), r["bound_s"], r["wall_s"],
                        _f(r.get("module_elapsed_s")), r["ratio"], r["api"]["throttled"], r.get("failed_domains")))
        lines.append("")
    loop = p.get("loop_of_modules") or {}
    for n in sorted(loop, key=int):
        v = loop[n]
        lines.append("- Loop of modules (email_identity_info + email_auth_check per domain), N=%s: %s." % (
            n, "%.1f s against posture_report.yml %.1f s" % (v["loop_wall_s"], v["posture_wall_s"])
            if isinstance(v, dict) else v))
    return lines


def _md_tenants(d):
    return ["%s domains in %s tenants%s, the module's main() in-process, %s rounds alternating: best %.2f s with "
            "tenants, %.2f s without (%.3fx); tenant reads of one audit: %s." % (
                d.get("domains"), d.get("tenants"), ", reputation policy %s" % d["policy"] if d.get("policy") else "",
                d.get("rounds"), d["best_s"]["with"], d["best_s"]["without"], d["ratio"],
                ", ".join("%s %s" % kv for kv in (d.get("tenant_reads") or {}).items()))]


def _md_classify(c):
    cps = c.get("classify_per_second") or {}
    lines = ["| figure | measured |", "|---|---|",
             "| classified per CPU second, realistic mix (SNS-wrapped JSON text) | %s |" % cps.get("mix_wrapped_text"),
             "| the anchor: a bare JSON walk of the same mix (`json.loads` twice) | %s |" % cps.get(
                 "json_only_mix_wrapped_text"),
             "| classified per CPU second, already-parsed dicts | %s |" % cps.get("mix_dict")]
    for key in ("drain_inprocess", "drain_inprocess_both_channels", "drain_sandbox"):
        r = c.get(key)
        if not r:
            continue
        calls = r.get("calls") or r.get("calls_in_sandbox_log") or {}
        lines.append("| %s: %s notifications, calls %s | %s per notification |" % (
            key, r["notifications"], ", ".join("%s %s" % kv for kv in calls.items()), r["calls_per_notification"]))
    return lines


def _md_dmarc(d):
    first, second = d.get("first_run") or {}, d.get("second_run") or {}
    lines = ["%s reports (%s records, %s MB of gzip, zip and XML from four reporters), the real dmarc_reports module "
             "in a child%s, into a fresh SQLite store; %s rounds, best kept." % (
                 d.get("reports"), d.get("records"), d.get("input_mb"),
                 " pinned to core %s" % d["pinned_core"] if d.get("pinned_core") is not None else "", d.get("rounds")),
             "", "| run | wall s | CPU s | peak MB | records/s |", "|---|---|---|---|---|",
             "| dmarc_reports, first run | %s | %s | %s | %s |" % (
                 first.get("wall_s"), first.get("cpu_s"), first.get("peak_mb"), d.get("records_per_s")),
             "| dmarc_reports, again over the same files | %s | %s | %s | |" % (
                 second.get("wall_s"), second.get("cpu_s"), second.get("peak_mb"))]
    pm = d.get("parsedmarc")
    if pm:
        lines.append("| parsedmarc %s on the same folder, same core (the anchor) | %s | %s | %s | %s |" % (
            pm.get("version"), pm.get("wall_s"), pm.get("cpu_s"), pm.get("peak_mb"), pm.get("records_per_s")))
    big = d.get("big_report")
    if big:
        lines.append("| one report of %s records | %s | %s | %s | |" % (
            big.get("records"), big.get("wall_s"), big.get("cpu_s"), big.get("peak_mb")))
    anchor = d.get("parsedmarc_anchor") or {}
    if anchor.get("error"):
        lines += ["", "parsedmarc not measured: %s" % anchor["error"]]
    return lines


def _md_suppression(d):
    return ["Two regions' lists of %s addresses each, %s differing, concurrency %s; the real module's main() "
            "in-process against the sandbox: check mode %s s (%s writes), the sync %s s (%s list pages, %s writes), "
            "a second sync %s s (changed: %s)." % (
                d.get("size_per_region"), d.get("differing"), d.get("concurrency"), d["check_mode"]["seconds"],
                d["check_mode"]["writes"], d["sync"]["seconds"], d["sync"]["list_pages"], d["sync"]["writes"],
                d["second_run"]["seconds"], d["second_run"]["changed"])]


def _md_generic(d):
    shown = dict((k, v) for k, v in d.items() if k != "bench")
    return ["```json", json.dumps(shown, indent=2, sort_keys=True), "```"]


RENDER = {"fleet": _md_fleet, "fleet_overhead": _md_overhead, "fleet_overhead_10000": _md_overhead, "posture": _md_posture,
          "fleet_tenants": _md_tenants,
          "fleet_tenants_policy": _md_tenants, "classify": _md_classify, "dmarc_ingest": _md_dmarc,
          "suppression_sync": _md_suppression}


def stamp(data):
    """When, on which commit, how many cores, what load: from run.py's stamp, or what an older file recorded."""
    b = data.get("bench")
    if b:
        return "Measured %s on commit `%s`, %s CPUs, load average %s at the start and %s at the end; the section " \
               "took %.0f s%s. `%s`" % (b["started"], _short(b.get("commit")), b.get("cpus"),
                                   _load(b.get("load_average_at_start")), _load(b.get("load_average_at_end")),
                                   b.get("seconds") or 0, " (**--quick**: small sizes, not the figures)"
                                   if b.get("quick") else "", b.get("command"))
    when = data.get("date") or data.get("when") or "unknown"
    load = data.get("load_average_at_start") or (data.get("machine") or {}).get("load_avg_at_end") \
        or data.get("load_avg_at_end")
    return "Recorded %s before `make bench` stamped its results: commit `%s`, %s CPUs, load average %s." % (
        when, _short(data.get("commit")), data.get("cpus") or (data.get("machine") or {}).get("cpus") or "unknown",
        _load(load))


def load_results(results):
    out = {}
    for path in sorted(Path(results).glob("*.json")):
        try:
            out[path.stem] = json.loads(path.read_text())
        except ValueError:
            continue
    return out


def render(results, sections):
    """The whole of docs/benchmarks.md from the result files of ``sections`` (run.SECTIONS) in ``results``."""
    data = load_results(results)
    lines = ["# Benchmarks", "",
             "Generated by `make bench` (benchmarks/run.py, benchmarks/report.py) from benchmarks/results/*.json; do "
             "not edit by hand (tests/unit/benchmarks/test_report.py fails when this page and the results disagree). "
             "`make bench BENCH=<section>` reruns one section. Each section below says when it was measured, on which "
             "commit, on how many cores and at which load: the machine may be shared, so wall times move with the "
             "load and API call counts do not. Each figure stands beside its anchor measured in the same run. A "
             "target missed says MISSED; a figure not measured is not written.", "",
             "| section | what | measured | commit | load at start | s | targets |", "|---|---|---|---|---|---|---|"]
    total = 0.0
    for s in sections:
        d = data.get(s.name)
        if d is None:
            lines.append("| %s | %s | not measured | | | | |" % (s.name, s.title))
            continue
        b = d.get("bench") or {}
        ts = targets(s.name, d)
        missed = sum(1 for t in ts if t["met"] is False)
        total += b.get("seconds") or 0
        lines.append("| [%s](#%s) | %s | %s | `%s` | %s | %s | %d met, %d MISSED, %d not measured |" % (
            s.name, s.name.replace("_", "-"), s.title, b.get("started") or d.get("date") or d.get("when") or "?",
            _short(b.get("commit") or d.get("commit")),
            _load(b.get("load_average_at_start") or d.get("load_average_at_start")),
            _f(b.get("seconds"), "%.0f"), sum(1 for t in ts if t["met"]), missed,
            sum(1 for t in ts if t["met"] is None)))
    lines += ["", "Sum of the sections' times as recorded: %.0f s." % total, ""]
    for s in sections:
        d = data.get(s.name)
        lines += ["## %s" % s.name, "", "%s (benchmarks/%s)." % (s.title, s.script), ""]
        if d is None:
            lines += ["Not measured: no benchmarks/results/%s.json." % s.name, ""]
            continue
        lines += [stamp(d), ""]
        ts = targets(s.name, d)
        if ts:
            lines += ["| target | measured | |", "|---|---|---|"]
            lines += ["| %s | %s | %s |" % (t["target"], t["measured"], "**MISSED**" if t["met"] is False
                                             else VERDICT[t["met"]]) for t in ts]
            lines.append("")
        lines += RENDER.get(s.name, _md_generic)(d) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
