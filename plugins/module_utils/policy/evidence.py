# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DMARC evidence gate: may a domain's policy move one stage stricter? (pure; no I/O)

The one owner of the rule. Every path that advances a DMARC policy (the ``dmarc`` module's ``advance``, the fleet
planner, the rollout playbook) asks :func:`evaluate` with the evidence rows of the window and gets a decision that
says why, with figures.

The gate opens only when, over the window, all of these hold:

* at least ``min_days`` distinct days carry reports (the window is ``window_days`` long, ending yesterday);
* at least ``min_messages`` messages were reported;
* at least ``min_reporters`` reporting organisations sent reports;
* at least ``min_pass_rate`` % of the volume passed DMARC;
* no single failing source (IP) accounts for more than ``max_source_fail_share`` % of the volume: one
  unaligned legitimate sender (a CRM, a second ESP) is exactly what a stricter policy would break;
* and the last two hold for **each reporter on its own** (a reporter is the domain its report mail proved, else
  its ``<email>`` domain): volume added by one reporter never dilutes the failures another one saw.

Only evidence that says where it came from counts (:func:`provenance`, the threat model in
docs/runbooks/dmarc-rollout.md): reports whose mail SES receiving saw pass DMARC for the reporter's own domain
(``authenticated``) and files the operator supplied (``operator``). Reports whose mail proved nothing
(``unauthenticated``) and rows recorded before provenance was kept (``unknown``) are shown, never counted,
unless ``count_unauthenticated`` says so or their reporter domain is in ``trusted_reporters``.

Only evidence gathered under the policy published now counts (each report says which policy the receiver
saw): what receivers did under ``p=none`` justifies the first test-mode step, not the next one as well. So the
run right after a stage moved finds no evidence for the new stage and changes nothing.

No data, too little data, or a store that could not be read shut the gate: "could not look" never reads as
"safe". A decision is ``{open, reasons, figures, failing_sources, trend, notes, thresholds}``; ``reasons`` lists
every unmet threshold (empty when open), ``failing_sources`` says what to fix per source.
"""

from __future__ import annotations

import datetime as dt

DEFAULTS = {
    "window_days": 30,
    "min_days": 14,
    "min_messages": 1000,
    "min_reporters": 2,
    "min_pass_rate": 99.0,
    "max_source_fail_share": 0.5,
    "count_unauthenticated": False,
    "trusted_reporters": [],
}
THRESHOLD_KEYS = tuple(DEFAULTS)
COUNTED_TRUST = ("authenticated", "operator")
TRUST_LEVELS = ("authenticated", "operator", "unauthenticated", "unknown")
MAX_SOURCES_LISTED = 20
MAX_WINDOW_DAYS = 3660


class ThresholdError(ValueError):
    """A threshold is out of range; the message starts with its name."""


def thresholds(given=None):
    """Defaults merged with ``given`` (None values ignored), validated."""
    out = dict(DEFAULTS)
    for key, value in (given or {}).items():
        if value is None:
            continue
        if key not in DEFAULTS:
            raise ThresholdError("%s: not a gate threshold (one of %s)" % (key, ", ".join(THRESHOLD_KEYS)))
        out[key] = value
    for key in ("window_days", "min_days"):
        if int(out[key]) < 1:
            raise ThresholdError("%s: must be at least 1, got %s" % (key, out[key]))
        if int(out[key]) > MAX_WINDOW_DAYS:
            raise ThresholdError("%s: %s is more than %d days (ten years of reports)"
                                 % (key, out[key], MAX_WINDOW_DAYS))
        out[key] = int(out[key])
    if out["min_days"] > out["window_days"]:
        raise ThresholdError("min_days: %d is more than window_days %d" % (out["min_days"], out["window_days"]))
    for key in ("min_messages", "min_reporters"):
        if int(out[key]) < 1:
            raise ThresholdError("%s: must be at least 1, got %s" % (key, out[key]))
        if int(out[key]) > 2 ** 53:
            raise ThresholdError("%s: %s is out of range (at most 2^53)" % (key, out[key]))
        out[key] = int(out[key])
    for key in ("min_pass_rate", "max_source_fail_share"):
        value = float(out[key])
        if not 0 <= value <= 100:  # nan fails this too
            raise ThresholdError("%s: %s is not a percentage within 0..100" % (key, out[key]))
        out[key] = value
    if not isinstance(out["count_unauthenticated"], bool):
        raise ThresholdError("count_unauthenticated: must be true or false, got %r" % (out["count_unauthenticated"],))
    reporters = out["trusted_reporters"]
    if isinstance(reporters, str) or not isinstance(reporters, (list, tuple)):
        raise ThresholdError("trusted_reporters: must be a list of reporter domains, got %r" % (reporters,))
    from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    try:
        out["trusted_reporters"] = sorted(set(normalize_domain(str(d), "trusted_reporters") for d in reporters))
    except InputError as exc:
        msg = exc.msg if exc.msg.startswith("trusted_reporters") else "trusted_reporters: " + exc.msg
        raise ThresholdError(msg)
    return out


def _relaxed(a, b):
    """Same domain, or one a subdomain of the other (relaxed alignment without a public suffix list)."""
    return bool(a) and bool(b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def provenance(reporter_domain, org, mail, operator=False):
    """(reporter, trust, note) of one report: who it says it is from, and what its mail proved.

    ``reporter_domain``: the domain of the report's ``<email>``; ``mail``: formats.dmarc_report.mail_auth of
    the message that carried it (None when the source was not a mail); ``operator``: a local file.
    """
    reporter = (reporter_domain or "").lower().rstrip(".")
    if not reporter and "." in (org or "") and " " not in org.strip():
        reporter = org.strip().lower().rstrip(".")
    if operator:
        return reporter, "operator", "a local file: operator-supplied"
    if mail is None:
        return reporter, "unauthenticated", "not a mail: nothing says who sent it"
    if not mail.get("authserv"):
        return reporter, "unauthenticated", "no Authentication-Results from SES receiving on the mail"
    for verdict in ("spam", "virus"):
        if (mail.get(verdict) or "").upper() == "FAIL":
            return reporter, "unauthenticated", "SES's %s verdict on the mail is FAIL" % verdict
    if mail.get("dmarc") == "pass" and _relaxed(mail.get("dmarc_from"), reporter) and \
            _relaxed(mail.get("from_domain"), reporter):
        return reporter, "authenticated", "the mail passed DMARC for %s" % mail["dmarc_from"]
    signed = ", ".join("%s=%s" % (d.get("domain") or "?", d.get("result")) for d in mail.get("dkim") or []) or "none"
    reason = ("the mail did not pass DMARC for the reporter's domain %s (dmarc=%s header.from=%s, dkim %s)"
              % (reporter or "(none)", mail.get("dmarc"), mail.get("dmarc_from"), signed))
    return reporter, "unauthenticated", reason


def counted(row, th):
    """Whether the gate counts this row, by its provenance."""
    trust = row.get("trust") or "unknown"
    if trust in COUNTED_TRUST:
        return True
    if th.get("count_unauthenticated"):
        return True
    return bool(row.get("reporter")) and any(_relaxed(row["reporter"], d) for d in th.get("trusted_reporters", []))


def reporter_of(row):
    return row.get("reporter") or row["org"]


def window(today, window_days):
    """(first day, last day) as YYYY-MM-DD: the ``window_days`` days before ``today`` (a date)."""
    last = today - dt.timedelta(days=1)
    first = today - dt.timedelta(days=window_days)
    return first.isoformat(), last.isoformat()


def _pct(part, whole):
    return round(100.0 * part / whole, 3) if whole else 0.0


def _aligned(domain, org_domain):
    return bool(domain) and (domain == org_domain or domain.endswith("." + org_domain)
                             or org_domain.endswith("." + domain))


def fix_for(source, domain):
    """What to do about one failing source, in words a person acts on."""
    ip, host = source["source_ip"], source.get("source_host") or ""
    who = "%s / %s" % (ip, host) if host else ip
    dkim_domains = [d for d in source.get("dkim_domains", []) if d]
    spf_domains = [d for d in source.get("spf_domains", []) if d]
    foreign_dkim = [d for d in dkim_domains if not _aligned(d, domain)]
    if foreign_dkim:
        return ("DKIM not aligned for %s / %s: it signs with d=%s; have it sign with %s (or a subdomain) or send "
                "through SES" % (ip, foreign_dkim[0], foreign_dkim[0], domain))
    if dkim_domains:
        return ("DKIM fails for %s (d=%s): the signature does not verify - a forwarder or list rewriting the "
                "message, or a broken key" % (who, dkim_domains[0]))
    if spf_domains and not any(_aligned(d, domain) for d in spf_domains):
        return ("no DKIM signature from %s and SPF checked %s, not aligned with %s: sign its mail with DKIM for %s, "
                "or it is not yours (spoofing)" % (who, spf_domains[0], domain, domain))
    return "no aligned DKIM or SPF from %s: sign its mail with DKIM for %s, or it is not yours (spoofing)" % (who, domain)


def summarize(rows, domain):
    """Figures, sources and the daily trend of the rows (no judgement)."""
    total = sum(r["messages"] for r in rows)
    passed = sum(r["dmarc_pass"] for r in rows)
    dkim = sum(r["dkim_aligned"] for r in rows)
    spf = sum(r["spf_aligned"] for r in rows)
    days = {}
    orgs = {}
    sources = {}
    for r in rows:
        d = days.setdefault(r["day"], {"day": r["day"], "messages": 0, "dmarc_pass": 0})
        d["messages"] += r["messages"]
        d["dmarc_pass"] += r["dmarc_pass"]
        orgs[reporter_of(r)] = orgs.get(reporter_of(r), 0) + r["messages"]
        s = sources.setdefault(r["source_ip"], {"source_ip": r["source_ip"], "source_host": "", "messages": 0,
                                                "failed": 0, "dkim_aligned": 0, "spf_aligned": 0,
                                                "dkim_domains": [], "spf_domains": [], "reporters": []})
        s["messages"] += r["messages"]
        s["failed"] += r["messages"] - r["dmarc_pass"]
        s["dkim_aligned"] += r["dkim_aligned"]
        s["spf_aligned"] += r["spf_aligned"]
        if r.get("source_host") and not s["source_host"]:
            s["source_host"] = r["source_host"]
        if r["messages"] - r["dmarc_pass"] > 0:
            for key, field in (("dkim_domains", "dkim_domain"), ("spf_domains", "spf_domain")):
                if r.get(field) and r[field] not in s[key]:
                    s[key].append(r[field])
        if reporter_of(r) not in s["reporters"]:
            s["reporters"].append(reporter_of(r))
    trend = []
    for day in sorted(days):
        d = days[day]
        trend.append({"day": day, "messages": d["messages"], "pass_rate": _pct(d["dmarc_pass"], d["messages"])})
    failing = []
    for s in sorted(sources.values(), key=lambda s: (-s["failed"], s["source_ip"])):
        if not s["failed"]:
            continue
        entry = {"source_ip": s["source_ip"], "source_host": s["source_host"], "messages": s["messages"],
                 "failed": s["failed"], "share": _pct(s["failed"], total), "dkim_domains": s["dkim_domains"][:5],
                 "spf_domains": s["spf_domains"][:5], "reporters": sorted(s["reporters"])}
        entry["fix"] = fix_for(entry, domain)
        failing.append(entry)
    figures = {"messages": total, "dmarc_pass": passed, "pass_rate": _pct(passed, total),
               "dkim_aligned": dkim, "dkim_aligned_rate": _pct(dkim, total), "spf_aligned": spf,
               "spf_aligned_rate": _pct(spf, total), "days": len(days), "reporters": sorted(orgs),
               "sources": len(sources), "failing_sources": len(failing)}
    return figures, failing, trend


def under(rows, p, t):
    """The rows gathered while ``p`` (and test mode ``t``, y/n) was published. A report that does not say
    whether test mode was on (RFC 7489) counts for either."""
    t = t or "n"
    out = []
    for r in rows:
        rp, dummy, rt = (r.get("policy") or "none|").partition("|")
        if rp == p and (not rt or rt == t or p == "none"):
            out.append(r)
    return out


def evaluate(rows, domain, today, given_thresholds=None, store_error=None, current=None, target=None,
             published=None):
    """The decision for moving ``domain`` from ``current`` to ``target`` (stage descriptions, for the text).

    ``rows``: the evidence rows of the window (see store.evidence); ``today``: a date; ``store_error``: the
    message when the store could not be read (the gate is then shut whatever ``rows`` holds); ``published``:
    ``(p, t)`` of the record published now - only rows gathered under it count (None: all rows).
    """
    th = thresholds(given_thresholds)
    first, last = window(today, th["window_days"])
    decision = {"domain": domain, "open": False, "from": current, "to": target, "thresholds": th,
                "window": {"first_day": first, "last_day": last, "days": th["window_days"]}, "reasons": [],
                "notes": [], "figures": {}, "failing_sources": [], "trend": []}
    if store_error:
        decision["reasons"].append("could not read the evidence store (%s): the gate stays shut" % store_error)
        decision["summary"] = _summary(decision)
        return decision
    rows = [r for r in rows if first <= r["day"] <= last]
    uncounted = {}
    for r in rows:
        if not counted(r, th):
            entry = uncounted.setdefault((reporter_of(r), r.get("trust") or "unknown"),
                                         {"reporter": reporter_of(r), "org": r["org"], "trust": r.get("trust") or "unknown",
                                          "messages": 0})
            entry["messages"] += r["messages"]
    decision["uncounted_reporters"] = sorted(uncounted.values(), key=lambda e: (-e["messages"], e["reporter"]))
    other_policy = 0
    # what the window shows whatever was published (for people: the trend and what to fix); the gate itself
    # only counts what was gathered under the published policy
    all_figures, all_failing, all_trend = summarize(rows, domain)
    decision["window_evidence"] = {"figures": all_figures, "failing_sources": all_failing[:MAX_SOURCES_LISTED],
                                   "trend": all_trend}
    rows = [r for r in rows if counted(r, th)]
    if uncounted:
        decision["notes"].append(
            "not counted (the report mail proved nothing about its sender; gate.count_unauthenticated or "
            "gate.trusted_reporters admit them): %s" % "; ".join(
                "%s (%s, %d messages)" % (e["reporter"], e["trust"], e["messages"])
                for e in decision["uncounted_reporters"][:10]))
    if published is not None:
        kept = under(rows, published[0], published[1])
        other_policy = sum(r["messages"] for r in rows) - sum(r["messages"] for r in kept)
        rows = kept
    figures, failing, trend = summarize(rows, domain)
    figures["messages_other_policy"] = other_policy
    decision.update(figures=figures, failing_sources=failing[:MAX_SOURCES_LISTED], trend=trend)
    reasons = decision["reasons"]
    if not rows:
        reasons.append("no DMARC aggregate reports for %s between %s and %s%s: nothing says enforcing is safe"
                       % (domain, first, last, " under the published policy %s (%d messages were reported under "
                          "another one)" % (current, other_policy) if other_policy else ""))
    else:
        if figures["days"] < th["min_days"]:
            reasons.append("reports on %d day(s) of the last %d, fewer than min_days %d"
                           % (figures["days"], th["window_days"], th["min_days"]))
        if figures["messages"] < th["min_messages"]:
            reasons.append("%d messages reported, fewer than min_messages %d" % (figures["messages"], th["min_messages"]))
        if len(figures["reporters"]) < th["min_reporters"]:
            reasons.append("%d reporting organisation(s) (%s), fewer than min_reporters %d"
                           % (len(figures["reporters"]), ", ".join(figures["reporters"]), th["min_reporters"]))
        if figures["pass_rate"] < th["min_pass_rate"]:
            reasons.append("%.2f %% of the volume passed DMARC, below min_pass_rate %.2f %%"
                           % (figures["pass_rate"], th["min_pass_rate"]))
        for s in failing:
            if s["share"] > th["max_source_fail_share"]:
                reasons.append("%s%s fails DMARC for %.2f %% of the volume (%d messages), above "
                               "max_source_fail_share %.2f %%: %s"
                               % (s["source_ip"], " / " + s["source_host"] if s["source_host"] else "", s["share"],
                                  s["failed"], th["max_source_fail_share"], s["fix"]))
        decision["per_reporter"] = _per_reporter(rows, domain, th, reasons)
    if rows and figures["spf_aligned"] == 0 and figures["dmarc_pass"] > 0:
        decision["notes"].append("SPF never aligned for %s: with SES's default MAIL FROM (amazonses.com) SPF passes "
                                 "for amazonses.com, not for %s, so DKIM carries DMARC alone. A custom MAIL FROM "
                                 "(deliverability.ses.mail_from) makes SPF align too." % (domain, domain))
    decision["open"] = not reasons
    decision["summary"] = _summary(decision)
    return decision


def _per_reporter(rows, domain, th, reasons):
    """Each reporter's own figures; a reporter below min_pass_rate, or seeing one failing source above
    max_source_fail_share of its own volume, shuts the gate whatever the others report."""
    by = {}
    for r in rows:
        by.setdefault(reporter_of(r), []).append(r)
    out = []
    for reporter in sorted(by):
        figures, failing, _trend = summarize(by[reporter], domain)
        if not figures["messages"]:
            continue
        entry = {"reporter": reporter, "messages": figures["messages"], "pass_rate": figures["pass_rate"],
                 "trust": sorted(set(r.get("trust") or "unknown" for r in by[reporter]))}
        if figures["pass_rate"] < th["min_pass_rate"]:
            reasons.append("reporter %s: %.2f %% of its %d messages passed DMARC, below min_pass_rate %.2f %% "
                           "(judged on its own: other reporters' volume does not dilute it)"
                           % (reporter, figures["pass_rate"], figures["messages"], th["min_pass_rate"]))
        for s in failing:
            if s["share"] > th["max_source_fail_share"]:
                reasons.append("reporter %s: %s fails DMARC for %.2f %% of its volume, above max_source_fail_share "
                               "%.2f %%: %s" % (reporter, s["source_ip"], s["share"], th["max_source_fail_share"],
                                                s["fix"]))
                break
        out.append(entry)
    return out


def _summary(decision):
    f = decision.get("figures") or {}
    head = "gate %s for %s" % ("open" if decision["open"] else "shut", decision["domain"])
    if decision.get("to"):
        head += " (%s -> %s)" % (decision.get("from") or "no record", decision["to"])
    if f:
        head += ": %.2f %% of %d messages passed DMARC over %d day(s), %d reporter(s)" % (
            f["pass_rate"], f["messages"], f["days"], len(f["reporters"]))
    if decision["reasons"]:
        head += ". Shut because: " + "; ".join(decision["reasons"])
    return head
