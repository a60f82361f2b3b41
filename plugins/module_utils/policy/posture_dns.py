# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet posture, DNS side, pure: the shared checks (``policy.check``) named as findings with a fix.

"Could not look" is never a finding: a check whose read failed (timeout, SERVFAIL, REFUSED) has the status
``unknown``; it is collected into the caller's ``unknown`` list (``{check, name, error}``) and gives no finding
and no fix. DNS is reached only through ``resolve(name, rtype)``; nothing here does I/O.

A finding: ``{id, severity, area, title, detail, fix}``.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import check, dmarc, spf
from ansible_collections.deliverability.ses.plugins.module_utils.policy.ses import MAIL_FROM_MX_HOST

# the DMARC records a receiver cannot use at all
DMARC_BROKEN = ("dmarc_missing", "dmarc_multiple", "dmarc_invalid")
DKIM_BROKEN = ("dkim_record_missing", "dkim_record_wrong")
MAIL_FROM_SPF_BROKEN = ("mail_from_spf_missing", "mail_from_spf_multiple", "mail_from_spf_invalid",
                        "mail_from_spf_too_many_lookups", "mail_from_spf_void_lookups", "mail_from_spf_no_ses")


def finding(fid, severity, area, title, detail, fix):
    return {"id": fid, "severity": severity, "area": area, "title": title, "detail": detail, "fix": fix}


def _keep_unknown(checks, unknown):
    unknown.extend(check.unknown(checks))
    return checks


def _checks_by(checks, name):
    return [c for c in checks if c["check"] == name]


def _spf_findings(checks, prefix, role):
    """SPF outcomes of ``check.check_spf`` as findings; ``prefix`` is spf or mail_from_spf."""
    out = []
    for c in _checks_by(checks, prefix + "_record"):
        if c["status"] != "fail":
            continue
        reason = c["reason"]
        if reason.startswith("no SPF"):
            fid = prefix + "_missing"
        elif "SPF records" in reason:
            fid = prefix + "_multiple"
        else:
            fid = prefix + "_invalid"
        out.append(finding(fid, "high", "dns", "SPF of %s: %s" % (role, reason.split(":")[0]), reason,
                           "publish exactly one valid SPF record at %s" % c["name"]))
    for c in _checks_by(checks, prefix + "_lookups"):
        if c["status"] == "fail":
            fid = prefix + ("_void_lookups" if "void lookups" in c["reason"] else "_too_many_lookups")
            out.append(finding(fid, "high", "dns", "SPF of %s: permerror at receivers" % role, c["reason"],
                               "flatten or drop includes until at most 10 lookups and 2 void lookups remain"))
    for c in _checks_by(checks, prefix + "_ses"):
        if c["status"] == "fail":
            out.append(finding(prefix + "_no_ses", "high", "dns", "SPF of %s does not authorise SES" % role,
                               c["reason"], "add include:amazonses.com (deliverability.ses.spf)"))
    return out


def _spf_record(resolve, domain):
    """(parsed terms of the one SPF record or None, could-not-look error or None)."""
    try:
        values = resolve(domain, "TXT")
    except Exception as exc:  # noqa: BLE001 - a failed read is "could not look", reported by the caller
        return None, getattr(exc, "msg", None) or "%s: %s" % (type(exc).__name__, exc)
    records = [v for v in values if spf.is_spf(v)]
    if len(records) != 1:
        return None, None
    try:
        return spf.parse(records[0]), None
    except spf.SpfError:
        return None, None


def spf_all_qualifier(resolve, domain):
    """The qualifier of the ``all`` term of the domain's one SPF record ('+', '-', '~', '?'), '' without an
    ``all`` term, or None when there is not exactly one parseable record (or it could not be read)."""
    terms = _spf_record(resolve, domain)[0]
    if terms is None:
        return None
    for term in terms:
        if getattr(term, "name", None) == "all":
            return term.qualifier or "+"
    return ""


def published_dmarc(resolve, domain):
    """(parsed DMARC record or None when missing / several / invalid, could-not-look error or None)."""
    try:
        records = [v for v in resolve("_dmarc." + domain, "TXT") if dmarc.is_dmarc(v)]
    except Exception as exc:  # noqa: BLE001 - a failed read is "could not look"
        return None, getattr(exc, "msg", None) or "%s: %s" % (type(exc).__name__, exc)
    try:
        return (dmarc.parse(records[0]) if len(records) == 1 else None), None
    except dmarc.DmarcError:
        return None, None


def _gate_text(decision):
    if decision is None:
        return "the evidence gate cannot answer: no evidence store (ingest aggregate reports with dmarc_reports)"
    state = "open" if decision.get("open") else "shut"
    return "the evidence gate for %s is %s: %s" % (decision.get("to"), state, decision.get("summary") or "no summary")


def dmarc_strength(tags, domain, decision=None):
    """How strong a valid DMARC record is, as findings: p=none, t=y at any stage, sp / np weaker than p, no
    rua (no evidence can ever open the rollout gate). ``decision``: the evidence gate's answer for the next
    stage (``policy.evidence.evaluate``), or None without an evidence store."""
    out = []
    p = tags.get("p", "none")
    nxt = dmarc.policy_text(dmarc.stage_tags(dmarc.next_stage(tags)))
    step = "next stage: %s (playbooks/dmarc_rollout.yml); %s" % (nxt, _gate_text(decision))
    if p == "none":
        out.append(finding("dmarc_policy_none", "medium", "dns", "DMARC p=none: receivers act on no failing mail",
                           "_dmarc.%s says p=none: mail that fails DMARC is delivered as if it passed, so anyone can "
                           "send as %s" % (domain, domain), step))
    if dmarc.testing(tags):
        applied = {"none": "none", "quarantine": "none", "reject": "quarantine"}[p]
        out.append(finding("dmarc_test_mode", "medium", "dns", "DMARC is in test mode (t=y)",
                           "p=%s; t=y: RFC 9989 receivers apply %s" % (p, applied),
                           "leave test mode with deliverability.ses.dmarc test_mode: false; " + step))
    sp = tags.get("sp", p)
    np_ = tags.get("np", sp)
    weaker = ["%s=%s" % (tag, value) for tag, value in (("sp", sp), ("np", np_))
              if tag in tags and dmarc.rank(value) < dmarc.rank(p)]
    if weaker:
        out.append(finding("dmarc_subdomain_weaker", "medium", "dns", "DMARC %s is weaker than p=%s"
                           % (" and ".join(weaker), p),
                           "%s: mail from subdomains%s of %s gets the weaker policy, so they can be spoofed"
                           % ("; ".join(weaker), " (and names that do not exist, np)" if "np=" in " ".join(weaker)
                              else "", domain),
                           "raise %s to %s or remove it (deliverability.ses.dmarc subdomain_policy / "
                           "nonexistent_policy)" % (" and ".join(w.split("=")[0] for w in weaker), p)))
    return out


def _dmarc_findings(checks, domain, decision):
    out = []
    for c in checks:
        name, status, reason = c["check"], c["status"], c["reason"]
        if status in ("pass", "unknown"):
            if name == "dmarc_policy" and status == "pass":
                out.extend(dmarc_strength(c["value"], domain, decision))
            continue
        if name == "dmarc_record":
            if reason.startswith("no DMARC"):
                fid = "dmarc_missing"
            elif "DMARC records" in reason:
                fid = "dmarc_multiple"
            else:
                fid = "dmarc_invalid"
            out.append(finding(fid, "high", "dns", "DMARC of %s: %s" % (domain, reason.split(":")[0]), reason,
                               "publish one valid record at _dmarc.%s (deliverability.ses.dmarc)" % domain))
        elif name == "dmarc_policy":
            if "pct" in reason:
                out.append(finding("dmarc_pct", "medium", "dns", "DMARC applies to part of the failing mail (pct)",
                                   reason, "RFC 9989 removed pct: use t=y while testing, then t=n "
                                           "(deliverability.ses.dmarc migrate_legacy)"))
            out.extend(dmarc_strength(c["value"], domain, decision))
        elif name == "dmarc_legacy":
            out.append(finding("dmarc_obsolete_tags", "low", "dns", "DMARC uses tags RFC 9989 removed", reason,
                               "migrate the record (deliverability.ses.dmarc migrate_legacy: true)"))
        elif name == "dmarc_reports":
            if reason.startswith("no rua"):
                out.append(finding("dmarc_no_rua", "medium", "dns", "DMARC asks for no aggregate reports",
                                   "no rua at _dmarc.%s: no aggregate report ever arrives, so no evidence can open the "
                                   "rollout gate and nobody sees who sends as %s" % (domain, domain),
                                   "add rua=mailto:dmarc@%s (or a reporting service that authorises you)" % domain))
            else:
                out.append(finding("dmarc_report_unauthorised", "medium", "dns",
                                   "a report destination has not authorised its reports", reason,
                                   "publish TXT \"v=DMARC1\" at %s (or ask the destination to)" % c["name"]))
    return out


def _dkim_findings(checks):
    grouped = {}
    for c in checks:
        if c["status"] == "fail":
            fid = "dkim_record_missing" if c["reason"].startswith("no ") else "dkim_record_wrong"
            grouped.setdefault(fid, []).append(c)
    out = []
    for fid, failed in sorted(grouped.items()):  # one finding per kind, naming every record
        n = len(failed)
        out.append(finding(fid, "high", "dns", "%d DKIM record%s %s" % (
            n, "" if n == 1 else "s", "missing" if fid.endswith("missing") else "pointing elsewhere"),
            "; ".join("%s: %s" % (c["name"], c["reason"]) for c in failed),
            "; ".join(c["reason"] for c in failed)))
    return out


def assess_dns(domain, ident, resolve, region, unknown, decision=None):
    """Findings from DNS as receivers see it, for a domain that sends through SES; the checks that could not
    look are appended to ``unknown``. ``decision``: the evidence gate's answer (see :func:`dmarc_strength`)."""
    out = _spf_findings(_keep_unknown(check.check_spf(resolve, domain, require_ses=False), unknown), "spf", domain)
    qualifier = spf_all_qualifier(resolve, domain)
    if qualifier in ("+", "?"):
        out.append(finding("spf_all_permissive", "high" if qualifier == "+" else "medium", "dns",
                           "SPF of %s ends in %sall" % (domain, qualifier),
                           "%sall lets any server pass (or stay neutral) for %s" % (qualifier, domain),
                           "end the record with ~all or -all"))
    dkim = (ident or {}).get("dkim") or {}
    if ident is not None:
        tokens = dkim.get("tokens") or []
        if dkim.get("origin") == "EXTERNAL":
            dkim_checks = [c for t in tokens for c in check.check_dkim_selector(resolve, domain, t)]
        else:
            dkim_checks = check.check_dkim_tokens(resolve, domain, tokens)
        out.extend(_dkim_findings(_keep_unknown(dkim_checks, unknown)))
    mail_from = ((ident or {}).get("mail_from") or {}).get("domain")
    if mail_from:
        mf = _keep_unknown(check.check_mail_from(resolve, domain, mail_from, region), unknown)
        for c in _checks_by(mf, "mail_from_mx"):
            if c["status"] == "fail":
                fid = "mail_from_mx_missing" if c["reason"].startswith("no MX") else "mail_from_mx_wrong"
                out.append(finding(fid, "high", "dns", "MAIL FROM %s has no SES MX" % mail_from, c["reason"],
                                   "publish %s MX 10 %s" % (mail_from, MAIL_FROM_MX_HOST % region)))
        out.extend(_spf_findings(mf, "mail_from_spf", mail_from))
    out.extend(_dmarc_findings(_keep_unknown(check.check_dmarc(resolve, domain), unknown), domain, decision))
    return out


def assess_parked(domain, resolve, unknown):
    """A domain that sends nothing: null MX (RFC 7505), SPF ``-all`` alone, DMARC p=reject (np=reject).
    A record that could not be read is appended to ``unknown``, never judged."""
    out = []
    try:
        mx = resolve(domain, "MX")
    except Exception as exc:  # noqa: BLE001 - could not look: unknown, not a finding
        unknown.append({"check": "parked_mx", "name": domain,
                        "error": "could not read MX: %s" % (getattr(exc, "msg", None) or exc)})
        mx = None
    if mx is not None and mx != ["0 ."] and mx != ["0 "] and [m.split()[-1] for m in mx] != ["."]:
        out.append(finding("parked_no_null_mx", "high", "dns", "parked domain without a null MX",
                           "MX %s: senders try to deliver to it and spammers can claim it receives mail"
                           % (", ".join(mx) or "none"),
                           "publish %s MX 0 . (RFC 7505) and nothing else" % domain))
    terms, err = _spf_record(resolve, domain)
    if err:
        unknown.append({"check": "parked_spf", "name": domain, "error": "could not read TXT: %s" % err})
    elif terms is None or [t.raw.lower() for t in terms] != ["-all"]:
        out.append(finding("parked_spf_not_fail", "high", "dns", "parked domain without SPF -all",
                           "a domain that sends nothing should publish exactly v=spf1 -all",
                           "publish %s TXT \"v=spf1 -all\"" % domain))
    tags, err = published_dmarc(resolve, domain)
    if err:
        unknown.append({"check": "parked_dmarc", "name": "_dmarc." + domain, "error": "could not read TXT: %s" % err})
        return out
    np_ = (tags or {}).get("np") or (tags or {}).get("sp") or (tags or {}).get("p")
    if not tags or tags.get("p") != "reject" or np_ != "reject" or dmarc.testing(tags):
        out.append(finding("parked_dmarc_not_reject", "high", "dns", "parked domain without DMARC p=reject",
                           "DMARC %s" % (dmarc.build(tags) if tags else "missing"),
                           "publish _dmarc.%s TXT \"v=DMARC1; p=reject; np=reject\"" % domain))
    return out
