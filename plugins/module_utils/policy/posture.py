# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet posture, pure: what SES and receivers will do with one domain's mail, as findings with a fix.

The DNS rules are the shared ones (``policy.check``: SPF, DKIM, MAIL FROM, DMARC with RFC 9989 and report
authorisation); this module only names their outcomes as findings, adds the SES-side rules (verification,
keys, MAIL FROM fallback, suppression override, account health), the parked-domain posture, and the verdict
per mailbox provider. DNS is reached only through ``resolve(name, rtype)``; nothing here does I/O.

A finding: ``{id, severity, area, title, detail, fix}``; severities from ``critical`` to ``info``.
"""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.policy import check, dmarc, spf

SEVERITIES = ("critical", "high", "medium", "low", "info")
AREAS = ("account", "ses", "dns", "evidence")
DEFAULT_MAX_KEY_AGE_DAYS = 365

# What no DNS or SES read can show; every provider verdict names these instead of guessing.
NOT_CHECKABLE = {
    "gmail": ["one-click unsubscribe (RFC 8058 List-Unsubscribe and List-Unsubscribe-Post headers) in each "
              "marketing message", "user-reported spam rate below 0.3 % (Gmail Postmaster Tools)",
              "valid forward and reverse DNS of the sending IPs (SES's own, not the domain's)"],
    "yahoo": ["one-click unsubscribe (RFC 8058) in each marketing message, honoured within 2 days",
              "spam rate below 0.3 % (Yahoo Complaint Feedback Loop)"],
    "microsoft": ["a working unsubscribe link in each bulk message", "valid From / Reply-To addresses",
                  "list hygiene (bounce handling) - see the bounce-processing runbook"],
}

VERIFICATION_FIXES = {
    "HOST_NOT_FOUND": "the DKIM names SES looks up do not exist: publish the three CNAMEs "
                      "<token>._domainkey.{domain} -> <token>.dkim.amazonses.com (deliverability.ses.domain_policy "
                      "or dns_records)",
    "TYPE_NOT_FOUND": "the DKIM names exist but hold no CNAME (another record type is there): replace it with the "
                      "CNAME to <token>.dkim.amazonses.com",
    "INVALID_VALUE": "a DKIM record points somewhere else: make each CNAME <token>._domainkey.{domain} point to "
                     "<token>.dkim.amazonses.com (BYODKIM: publish the identity's own public key)",
    "DNS_SERVER_ERROR": "the domain's DNS servers did not answer SES (SOA primary {soa}): fix the delegation or the "
                        "servers, then SES checks again by itself",
    "SERVICE_ERROR": "SES itself failed to check: nothing to fix in DNS; SES retries for 72 hours - if it stays, "
                     "open an AWS support case",
    "REPLICATION_ACCESS_DENIED": "the primary region's identity cannot be replicated: check the replication "
                                 "permissions",
    "REPLICATION_PRIMARY_NOT_FOUND": "the primary identity of this replica does not exist: create it first",
    "REPLICATION_PRIMARY_BYO_DKIM_NOT_SUPPORTED": "a BYODKIM primary cannot be replicated: use Easy DKIM or "
                                                  "configure this region on its own",
    "REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED": "a replica cannot be a primary: point at the original identity",
    "REPLICATION_PRIMARY_INVALID_REGION": "the primary region is not valid for replication: choose another",
}


def finding(fid, severity, area, title, detail, fix):
    return {"id": fid, "severity": severity, "area": area, "title": title, "detail": detail, "fix": fix}


def rank(severity):
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def worst(findings):
    """The most severe severity among ``findings`` (``none`` without any)."""
    return min((f["severity"] for f in findings), key=rank, default="none")


def at_least(findings, severity):
    return [f for f in findings if rank(f["severity"]) <= rank(severity)]


# ------------------------------------------------------------------------------------------------ account
def assess_account(account):
    """Findings about the account itself (GetAccount as ``reputation.account_status`` returns it)."""
    out = []
    if account.get("production_access") is False:
        out.append(finding("account_sandboxed", "high", "account", "the account is in the SES sandbox",
                           "ProductionAccessEnabled is false: SES only sends to verified addresses, at most %s a day"
                           % account.get("max_24_hour_send"),
                           "request production access (SES console: Account dashboard -> Request production access)"))
    if account.get("sending_enabled") is False:
        out.append(finding("account_sending_paused", "critical", "account", "sending is paused for the account",
                           "SendingEnabled is false: SES refuses every message",
                           "find why it was paused (reputation), then PutAccountSendingAttributes SendingEnabled=true"))
    status = account.get("enforcement_status")
    if status and status != "HEALTHY":
        out.append(finding("account_enforcement", "critical" if status == "SHUTDOWN" else "high", "account",
                           "the account is under review (%s)" % status,
                           "EnforcementStatus is %s: bounce or complaint rates crossed AWS's limits" % status,
                           "lower the bounce and complaint rates (reputation_report.yml, process_bounces.yml) and "
                           "answer AWS's review"))
    return out


# ------------------------------------------------------------------------------------------------ SES side
def _age_days(value, now):
    if not value:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return (now - value).total_seconds() / 86400.0


def assess_ses(domain, ident, config_set=None, now=None, max_key_age_days=DEFAULT_MAX_KEY_AGE_DAYS):
    """Findings from the identity as SES holds it (``sesv2.identity_from_api``) and its configuration set
    (``{"name", "exists", "suppressed_reasons"}`` or None)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if ident is None:
        return [finding("identity_missing", "critical", "ses", "SES does not know this domain",
                        "no email identity %s in this account and region" % domain,
                        "create it with deliverability.ses.domain_policy (or email_identity)")]
    out = []
    status = ident.get("verification_status")
    info = ident.get("verification_info") or {}
    if status != "SUCCESS":
        error = info.get("error_type")
        soa = (info.get("soa") or {}).get("primary_name_server") or "unknown"
        if error:
            fix = VERIFICATION_FIXES.get(error, "see VerificationInfo in the SES console").format(domain=domain, soa=soa)
            out.append(finding("verification_" + error.lower(), "critical", "ses",
                               "verification %s: %s" % (status or "not started", error),
                               "VerificationStatus %s, ErrorType %s, last checked %s, SOA primary %s"
                               % (status, error, info.get("last_checked") or "never", soa), fix))
        else:
            out.append(finding("verification_" + (status or "missing").lower(), "critical", "ses",
                               "verification %s" % (status or "not started"),
                               "VerificationStatus %s (SES gave no error type yet)" % status,
                               "publish the DKIM records and wait for SES's next check"))
    dkim = ident.get("dkim") or {}
    if dkim.get("signing_enabled") is False:
        out.append(finding("dkim_signing_disabled", "high", "ses", "DKIM signing is turned off",
                           "SigningEnabled is false: mail leaves without the domain's DKIM signature and cannot pass "
                           "DMARC by DKIM", "PutEmailIdentityDkimAttributes SigningEnabled=true "
                           "(domain_policy dkim.signing_enabled)"))
    if dkim.get("current_key_length") == "RSA_1024_BIT":
        pending = dkim.get("next_key_length") == "RSA_2048_BIT"
        out.append(finding("dkim_key_1024", "medium", "ses", "DKIM signs with a 1024-bit key",
                           "CurrentSigningKeyLength RSA_1024_BIT" + (
                               ", NextSigningKeyLength RSA_2048_BIT (SES rotates at its next key change)"
                               if pending else ""),
                           "set the next key length to RSA_2048_BIT (domain_policy dkim.key_length)"
                           + (" - already requested; SES rotates within days" if pending else "")))
    age = _age_days(dkim.get("last_key_generation"), now)
    if age is not None and max_key_age_days and age > max_key_age_days:
        out.append(finding("dkim_key_old", "low", "ses", "the DKIM key is %d days old" % age,
                           "LastKeyGenerationTimestamp %s (more than %d days)"
                           % (dkim.get("last_key_generation"), max_key_age_days),
                           "rotate it: change the key length (SES generates a new key) or put new BYODKIM keys"))
    mail_from = ident.get("mail_from") or {}
    if not mail_from.get("domain"):
        out.append(finding("mail_from_missing", "medium", "ses", "no custom MAIL FROM domain",
                           "mail leaves with MAIL FROM amazonses.com: SPF passes for SES but never aligns with the "
                           "From domain, so DMARC rests on DKIM alone",
                           "set a MAIL FROM subdomain (domain_policy mail_from_subdomain: mail) with its MX and SPF"))
    else:
        if mail_from.get("status") != "SUCCESS":
            out.append(finding("mail_from_not_verified", "high", "ses",
                               "MAIL FROM %s is %s" % (mail_from["domain"], mail_from.get("status")),
                               "SES did not find the MX feedback-smtp.<region>.amazonses.com at %s" % mail_from["domain"],
                               "publish %s MX 10 feedback-smtp.<region>.amazonses.com" % mail_from["domain"]))
        if mail_from.get("behavior_on_mx_failure") == "USE_DEFAULT_VALUE":
            out.append(finding("mail_from_fallback", "medium", "ses",
                               "MAIL FROM falls back to amazonses.com when its MX fails",
                               "BehaviorOnMxFailure USE_DEFAULT_VALUE: if the MX of %s disappears, SES silently sends "
                               "with MAIL FROM amazonses.com and SPF alignment is lost" % mail_from["domain"],
                               "set behavior_on_mx_failure: REJECT_MESSAGE (domain_policy) so a broken MX is noticed"))
    cs_name = ident.get("configuration_set")
    if not cs_name:
        out.append(finding("configuration_set_missing", "low", "ses", "no default configuration set",
                           "mail sent without naming a configuration set publishes no events and has no "
                           "per-set suppression or reputation options",
                           "attach one (domain_policy configuration_set)"))
    elif config_set is not None:
        if not config_set.get("exists", True):
            out.append(finding("configuration_set_gone", "high", "ses",
                               "the default configuration set %s does not exist" % cs_name,
                               "the identity names a configuration set SES no longer has", "create it or attach another"))
        reasons = config_set.get("suppressed_reasons")
        if reasons is not None and set(reasons) != {"BOUNCE", "COMPLAINT"}:
            missing = sorted({"BOUNCE", "COMPLAINT"} - set(reasons))
            out.append(finding("suppression_override", "medium", "ses",
                               "configuration set %s does not suppress %s" % (cs_name, " or ".join(missing)),
                               "its SuppressionOptions override the account list with %s: SES keeps sending to "
                               "addresses that %s" % (reasons or "nothing",
                                                      " / ".join({"BOUNCE": "hard-bounced",
                                                                  "COMPLAINT": "complained"}[m] for m in missing)),
                               "PutConfigurationSetSuppressionOptions SuppressedReasons=BOUNCE,COMPLAINT "
                               "(configuration_set suppressed_reasons)"))
    return out


# ------------------------------------------------------------------------------------------------ DNS side
def _checks_by(checks, name):
    return [c for c in checks if c["check"] == name]


def _spf_findings(checks, domain, prefix, role):
    """SPF outcomes of ``check.check_spf`` as findings; ``prefix`` is spf or mail_from_spf."""
    out = []
    sev = "high"
    for c in _checks_by(checks, prefix + "_record"):
        if c["status"] != "fail":
            continue
        reason = c["reason"]
        if reason.startswith("no SPF"):
            fid = prefix + "_missing"
        elif "SPF records" in reason:
            fid = prefix + "_multiple"
        elif reason.startswith("could not read"):
            fid = prefix + "_unreadable"
        else:
            fid = prefix + "_invalid"
        out.append(finding(fid, sev, "dns", "SPF of %s: %s" % (role, reason.split(":")[0]), reason,
                           "publish exactly one valid SPF record at %s" % c["name"]))
    for c in _checks_by(checks, prefix + "_lookups"):
        if c["status"] == "fail":
            fid = prefix + ("_void_lookups" if "void lookups" in c["reason"] else "_too_many_lookups")
            out.append(finding(fid, "high", "dns", "SPF of %s: permerror at receivers" % role, c["reason"],
                               "flatten or drop includes until at most 10 lookups and 2 void lookups remain"))
        elif c["status"] == "warn":
            out.append(finding(prefix + "_lookup_errors", "medium", "dns", "SPF of %s: lookups fail" % role,
                               c["reason"], "fix or remove the mechanisms whose names do not resolve"))
    for c in _checks_by(checks, prefix + "_ses"):
        if c["status"] == "fail":
            out.append(finding(prefix + "_no_ses", "high", "dns", "SPF of %s does not authorise SES" % role,
                               c["reason"], "add include:amazonses.com (deliverability.ses.spf)"))
    return out


def spf_all_qualifier(resolve, domain):
    """The qualifier of the ``all`` term of the domain's one SPF record ('+', '-', '~', '?'), '' without an
    ``all`` term, or None when there is not exactly one parseable record."""
    try:
        values = resolve(domain, "TXT")
    except Exception:  # noqa: BLE001 - unreadable SPF is reported by check_spf
        return None
    records = [v for v in values if spf.is_spf(v)]
    if len(records) != 1:
        return None
    try:
        terms = spf.parse(records[0])
    except spf.SpfError:
        return None
    for term in terms:
        if getattr(term, "name", None) == "all":
            return term.qualifier or "+"
    return ""


def _dmarc_findings(checks, domain):
    out = []
    for c in checks:
        name, status, reason = c["check"], c["status"], c["reason"]
        if status == "pass":
            continue
        if name == "dmarc_record":
            if reason.startswith("no DMARC"):
                fid = "dmarc_missing"
            elif "DMARC records" in reason:
                fid = "dmarc_multiple"
            elif reason.startswith("could not read"):
                fid = "dmarc_unreadable"
            else:
                fid = "dmarc_invalid"
            out.append(finding(fid, "high", "dns", "DMARC of %s: %s" % (domain, reason.split(":")[0]), reason,
                               "publish one valid record at _dmarc.%s (deliverability.ses.dmarc)" % domain))
        elif name == "dmarc_policy":
            if "pct" in reason:
                out.append(finding("dmarc_pct", "medium", "dns", "DMARC applies to part of the failing mail (pct)",
                                   reason, "RFC 9989 removed pct: use t=y while testing, then t=n "
                                           "(deliverability.ses.dmarc migrate_legacy)"))
            elif "t=y" in reason:
                out.append(finding("dmarc_test_mode", "low", "dns", "DMARC is in test mode (t=y)", reason,
                                   "set t=n once the reports show only legitimate mail passing"))
            else:
                out.append(finding("dmarc_weak", "medium", "dns", "DMARC policy is weaker than required", reason,
                                   "advance the policy (dmarc-rollout runbook)"))
        elif name == "dmarc_legacy":
            out.append(finding("dmarc_obsolete_tags", "low", "dns", "DMARC uses tags RFC 9989 removed", reason,
                               "migrate the record (deliverability.ses.dmarc migrate_legacy: true)"))
        elif name == "dmarc_reports":
            if reason.startswith("no rua"):
                out.append(finding("dmarc_no_rua", "low", "dns", "DMARC asks for no aggregate reports", reason,
                                   "add rua=mailto:dmarc@%s (or a reporting service that authorises you)" % domain))
            elif reason.startswith("could not read"):
                out.append(finding("dmarc_report_auth_unreadable", "low", "dns",
                                   "could not read a report authorisation", reason, "check %s" % c["name"]))
            else:
                out.append(finding("dmarc_report_unauthorised", "medium", "dns",
                                   "a report destination has not authorised %s" % domain, reason,
                                   "publish TXT \"v=DMARC1\" at %s (or ask the destination to)" % c["name"]))
    return out


def dmarc_tags(resolve, domain):
    """The parsed DMARC record of ``domain``, or None (missing, several, invalid or unreadable)."""
    try:
        records = [v for v in resolve("_dmarc." + domain, "TXT") if dmarc.is_dmarc(v)]
        return dmarc.parse(records[0]) if len(records) == 1 else None
    except Exception:  # noqa: BLE001 - reported by check_dmarc
        return None


def assess_dns(domain, ident, resolve, region):
    """Findings from DNS as receivers see it, for a domain that sends through SES."""
    out = []
    root = check.check_spf(resolve, domain, require_ses=False)
    out.extend(_spf_findings(root, domain, "spf", domain))
    qualifier = spf_all_qualifier(resolve, domain)
    if qualifier in ("+", "?"):
        out.append(finding("spf_all_permissive", "high" if qualifier == "+" else "medium", "dns",
                           "SPF of %s ends in %sall" % (domain, qualifier),
                           "%sall lets any server pass (or stay neutral) for %s" % (qualifier, domain),
                           "end the record with ~all or -all"))
    dkim = (ident or {}).get("dkim") or {}
    if ident is not None:
        if dkim.get("origin") == "EXTERNAL":
            tokens = dkim.get("tokens") or []
            dkim_checks = [c for t in tokens for c in check.check_dkim_selector(resolve, domain, t)]
        else:
            dkim_checks = check.check_dkim_tokens(resolve, domain, dkim.get("tokens") or [])
        grouped = {}
        for c in dkim_checks:
            if c["status"] == "fail":
                fid = "dkim_record_missing" if (c["reason"].startswith("no ") or "could not" in c["reason"]) \
                    else "dkim_record_wrong"
                grouped.setdefault(fid, []).append(c)
        for fid, failed in sorted(grouped.items()):  # one finding per kind, naming every record
            out.append(finding(fid, "high", "dns", "%d DKIM record(s) %s" % (
                len(failed), "missing" if fid.endswith("missing") else "pointing elsewhere"),
                "; ".join("%s: %s" % (c["name"], c["reason"]) for c in failed),
                "; ".join(c["reason"] for c in failed)))
    mail_from = ((ident or {}).get("mail_from") or {}).get("domain")
    if mail_from:
        mf = check.check_mail_from(resolve, domain, mail_from, region)
        for c in _checks_by(mf, "mail_from_mx"):
            if c["status"] == "fail":
                fid = "mail_from_mx_missing" if (c["reason"].startswith("no MX") or "could not" in c["reason"]) \
                    else "mail_from_mx_wrong"
                out.append(finding(fid, "high", "dns", "MAIL FROM %s has no SES MX" % mail_from, c["reason"],
                                   "publish %s MX 10 feedback-smtp.%s.amazonses.com" % (mail_from, region)))
        out.extend(_spf_findings(mf, mail_from, "mail_from_spf", mail_from))
    out.extend(_dmarc_findings(check.check_dmarc(resolve, domain), domain))
    return out


def assess_parked(domain, resolve):
    """A domain that sends nothing: null MX (RFC 7505), SPF ``-all`` alone, DMARC p=reject (np=reject)."""
    out = []
    err = None
    try:
        mx = resolve(domain, "MX")
    except Exception as exc:  # noqa: BLE001 - one unreadable record is a finding, not an abort
        mx, err = None, str(exc)
    if mx is None:
        out.append(finding("parked_mx_unreadable", "low", "dns", "could not read the MX of %s" % domain, err,
                           "check the domain's DNS servers"))
    elif mx != ["0 ."] and mx != ["0 "] and [m.split()[-1] for m in mx] != ["."]:
        out.append(finding("parked_no_null_mx", "high", "dns", "parked domain without a null MX",
                           "MX %s: senders try to deliver to it and spammers can claim it receives mail"
                           % (", ".join(mx) or "none"),
                           "publish %s MX 0 . (RFC 7505) and nothing else" % domain))
    if spf_all_qualifier(resolve, domain) != "-" or _spf_terms(resolve, domain) != ["-all"]:
        out.append(finding("parked_spf_not_fail", "high", "dns", "parked domain without SPF -all",
                           "a domain that sends nothing should publish exactly v=spf1 -all",
                           "publish %s TXT \"v=spf1 -all\"" % domain))
    tags = dmarc_tags(resolve, domain)
    np_ = (tags or {}).get("np") or (tags or {}).get("sp") or (tags or {}).get("p")
    if not tags or tags.get("p") != "reject" or np_ != "reject" or dmarc.testing(tags):
        out.append(finding("parked_dmarc_not_reject", "high", "dns", "parked domain without DMARC p=reject",
                           "DMARC %s" % (dmarc.build(tags) if tags else "missing"),
                           "publish _dmarc.%s TXT \"v=DMARC1; p=reject; np=reject\"" % domain))
    return out


def _spf_terms(resolve, domain):
    try:
        records = [v for v in resolve(domain, "TXT") if spf.is_spf(v)]
        return [t.raw.lower() for t in spf.parse(records[0])] if len(records) == 1 else None
    except Exception:  # noqa: BLE001
        return None


# ------------------------------------------------------------------------------------------------ verdicts
def verdicts(ident, findings, account_findings):
    """Per mailbox provider: ``pass`` / ``fail`` with the reasons, from what DNS and SES can show, and what
    cannot be checked from them named as such.

    Gmail and Yahoo (bulk senders, 2024): SPF and DKIM pass, DMARC published (p=none at least), From aligned
    with SPF or DKIM. Microsoft (high-volume senders to Outlook.com, May 2025): the same three, DMARC at least
    p=none aligned with SPF or DKIM. Through SES, SPF passes for the MAIL FROM in use (amazonses.com by
    default); it aligns only with a verified custom MAIL FROM. DKIM aligns when SES signs with the domain's
    verified key.
    """
    ids = {f["id"] for f in findings}
    reasons = []
    dkim = (ident or {}).get("dkim") or {}
    dkim_ok = (ident is not None and ident.get("verification_status") == "SUCCESS"
               and dkim.get("status") == "SUCCESS" and dkim.get("signing_enabled") is not False
               and not ids & {"dkim_record_missing", "dkim_record_wrong"})
    if not dkim_ok:
        reasons.append("DKIM does not pass with the domain's key (SES verification / DKIM records)")
    mail_from = (ident or {}).get("mail_from") or {}
    spf_aligned = bool(mail_from.get("domain")) and mail_from.get("status") == "SUCCESS" and not any(
        i.startswith("mail_from_mx") or i.startswith("mail_from_spf") for i in ids)
    dmarc_ok = not ids & {"dmarc_missing", "dmarc_multiple", "dmarc_invalid", "dmarc_unreadable"}
    if not dmarc_ok:
        reasons.append("no valid DMARC record")
    if not (dkim_ok or spf_aligned):
        reasons.append("neither DKIM nor SPF aligns with the From domain")
    account_block = [f for f in account_findings if f["id"] in ("account_sending_paused",)]
    if account_block:
        reasons.append("the account cannot send (%s)" % account_block[0]["title"])
    verdict = "fail" if reasons else "pass"
    out = {}
    for provider in ("gmail", "yahoo", "microsoft"):
        out[provider] = {"verdict": verdict, "reasons": list(reasons), "spf_aligned": spf_aligned,
                         "dkim_aligned": dkim_ok, "not_checked": list(NOT_CHECKABLE[provider])}
    return out


def evidence_stage(tags, decision):
    """The DMARC evidence stage of a domain from the evidence gate's decision (``policy.evidence.evaluate``):
    ``(stage, findings)``. The gate owns the rule; this only names its outcome."""
    stage = {"published": dmarc.policy_text(tags) if tags else None, "next": decision.get("to"),
             "gate_open": bool(decision.get("open")), "summary": decision.get("summary"),
             "reasons": list(decision.get("reasons") or [])[:5]}
    findings = []
    at_last = tags is not None and dmarc.policy_text(tags) == decision.get("to")
    if decision.get("open") and not at_last:
        findings.append(finding("dmarc_ready_to_advance", "info", "evidence",
                                "the DMARC evidence allows the next stage (%s)" % decision.get("to"),
                                decision.get("summary") or "", "advance the policy (playbooks/dmarc_rollout.yml)"))
    return stage, findings


def next_stage_text(tags):
    """The policy text of the stage after ``tags`` in the default rollout (what the gate is asked about)."""
    return dmarc.policy_text(dmarc.stage_tags(dmarc.next_stage(tags)))


def assess(domain, ident, resolve, region, account_findings=(), config_set=None, parked=False, now=None,
           max_key_age_days=DEFAULT_MAX_KEY_AGE_DAYS, evidence=None):
    """One domain's posture: ``{domain, kind, findings, verdicts, worst}`` (findings most severe first).

    ``evidence``: None (no evidence store), or ``decide(tags) -> gate decision`` for the published record."""
    if parked:
        findings = assess_parked(domain, resolve)
        result = {"domain": domain, "kind": "parked", "verdicts": {}}
    else:
        findings = assess_ses(domain, ident, config_set, now, max_key_age_days)
        findings += assess_dns(domain, ident, resolve, region)
        result = {"domain": domain, "kind": "sending"}
        result["verdicts"] = verdicts(ident, findings, account_findings)
    if evidence is not None and not parked:
        tags = dmarc_tags(resolve, domain)
        stage, more = evidence_stage(tags, evidence(tags))
        result["evidence"] = stage
        findings.extend(more)
    findings.sort(key=lambda f: (rank(f["severity"]), f["id"]))
    result["findings"] = findings
    result["worst"] = worst(findings)
    return result


def summarize(results, account_findings):
    """Fleet counts: per severity, per finding id (domains affected), and verdict counts per provider."""
    per_severity = dict((s, 0) for s in SEVERITIES)
    per_problem = {}
    for f in account_findings:
        per_severity[f["severity"]] += 1
        per_problem.setdefault(f["id"], {"severity": f["severity"], "title": f["title"], "domains": 0})
        per_problem[f["id"]]["domains"] += 1
    for r in results:
        for f in r.get("findings") or []:
            per_severity[f["severity"]] += 1
            entry = per_problem.setdefault(f["id"], {"severity": f["severity"], "title": f["title"], "domains": 0})
            entry["domains"] += 1
    providers = {}
    for r in results:
        for name, v in (r.get("verdicts") or {}).items():
            counts = providers.setdefault(name, {"pass": 0, "fail": 0})
            counts[v["verdict"]] += 1
    domains_by_worst = dict((s, 0) for s in SEVERITIES + ("none",))
    for r in results:
        domains_by_worst[r.get("worst", "none") if not r.get("failed") else "none"] += 1
    return {"domains": len(results), "findings": sum(per_severity.values()), "per_severity": per_severity,
            "per_problem": dict(sorted(per_problem.items(), key=lambda kv: (rank(kv[1]["severity"]), kv[0]))),
            "providers": providers, "domains_by_worst": domains_by_worst,
            "could_not_look": sum(1 for r in results if r.get("failed"))}
