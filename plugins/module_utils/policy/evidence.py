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
  unaligned legitimate sender (a CRM, a second ESP) is exactly what a stricter policy would break.

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
}
THRESHOLD_KEYS = tuple(DEFAULTS)
MAX_SOURCES_LISTED = 20


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
        out[key] = int(out[key])
    if out["min_days"] > out["window_days"]:
        raise ThresholdError("min_days: %d is more than window_days %d" % (out["min_days"], out["window_days"]))
    for key in ("min_messages", "min_reporters"):
        if int(out[key]) < 1:
            raise ThresholdError("%s: must be at least 1, got %s" % (key, out[key]))
        out[key] = int(out[key])
    for key in ("min_pass_rate", "max_source_fail_share"):
        value = float(out[key])
        if not 0 <= value <= 100:
            raise ThresholdError("%s: %s is not a percentage within 0..100" % (key, out[key]))
        out[key] = value
    return out


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
        orgs[r["org"]] = orgs.get(r["org"], 0) + r["messages"]
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
        if r["org"] not in s["reporters"]:
            s["reporters"].append(r["org"])
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
    other_policy = 0
    # what the window shows whatever was published (for people: the trend and what to fix); the gate itself
    # only counts what was gathered under the published policy
    all_figures, all_failing, all_trend = summarize(rows, domain)
    decision["window_evidence"] = {"figures": all_figures, "failing_sources": all_failing[:MAX_SOURCES_LISTED],
                                   "trend": all_trend}
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
    if rows and figures["spf_aligned"] == 0 and figures["dmarc_pass"] > 0:
        decision["notes"].append("SPF never aligned for %s: with SES's default MAIL FROM (amazonses.com) SPF passes "
                                 "for amazonses.com, not for %s, so DKIM carries DMARC alone. A custom MAIL FROM "
                                 "(deliverability.ses.mail_from) makes SPF align too." % (domain, domain))
    decision["open"] = not reasons
    decision["summary"] = _summary(decision)
    return decision


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
