# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet posture, pure: what SES and receivers will do with one domain's mail, as findings with a fix.

The DNS rules are the shared ones (``policy.check``: SPF, DKIM, MAIL FROM, DMARC with RFC 9989 and report
authorisation), named as findings in ``policy.posture_dns`` (with the parked-domain posture); this module adds
the SES-side rules (verification, keys, MAIL FROM fallback, suppression override, account health) and the
verdict per mailbox provider from one table of rules (:data:`PROVIDER_RULES`). DNS is reached only through
``resolve(name, rtype)``; nothing here does I/O.

A finding: ``{id, severity, area, title, detail, fix}``; severities from ``critical`` to ``info``. What could
not be looked at is never a finding: it is listed in the domain's ``unknown`` and makes it ``could_not_look``.
"""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, posture_dns
from ansible_collections.deliverability.ses.plugins.module_utils.policy.posture_dns import finding
from ansible_collections.deliverability.ses.plugins.module_utils.policy.ses import DKIM_CNAME_DOMAIN, MAIL_FROM_MX_HOST

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
    "HOST_NOT_FOUND": "the DKIM names SES looks up do not exist: publish the CNAMEs {cnames} "
                      "(deliverability.ses.domain_policy or dns_records)",
    "TYPE_NOT_FOUND": "the DKIM names exist but hold no CNAME (another record type is there): replace it with the "
                      "CNAMEs {cnames}",
    "INVALID_VALUE": "a DKIM record points somewhere else: make the CNAMEs {cnames} (BYODKIM: publish the "
                     "identity's own public key)",
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


# A problem shared by several domains is named by what it is, never by the first domain that has it: the titles
# of findings name their domain / record / count; these name the problem.
PROBLEM_TITLES = {
    "identity_missing": "SES does not know the domain", "dkim_signing_disabled": "DKIM signing is turned off",
    "dkim_key_1024": "DKIM signs with a 1024-bit key", "dkim_key_old": "the DKIM key is old",
    "dkim_record_missing": "DKIM records missing", "dkim_record_wrong": "DKIM records pointing elsewhere",
    "mail_from_missing": "no custom MAIL FROM domain", "mail_from_not_verified": "the MAIL FROM is not verified",
    "mail_from_fallback": "MAIL FROM falls back to amazonses.com when its MX fails",
    "mail_from_mx_missing": "the MAIL FROM has no SES MX", "mail_from_mx_wrong": "the MAIL FROM MX points elsewhere",
    "configuration_set_missing": "no default configuration set",
    "configuration_set_gone": "the default configuration set does not exist",
    "suppression_override": "the configuration set does not suppress bounces or complaints",
    "spf_missing": "no SPF record", "spf_multiple": "several SPF records (permerror)",
    "spf_invalid": "the SPF record does not parse", "spf_too_many_lookups": "SPF needs more than 10 lookups (permerror)",
    "spf_void_lookups": "SPF has more than 2 void lookups (permerror)", "spf_no_ses": "SPF does not authorise SES",
    "spf_all_permissive": "SPF ends in +all or ?all", "dmarc_missing": "no DMARC record",
    "dmarc_multiple": "several DMARC records", "dmarc_invalid": "the DMARC record is invalid",
    "dmarc_subdomain_weaker": "DMARC sp or np weaker than p",
    "tenant_missing": "the domain is in no tenant", "tenant_paused": "its tenant is paused by SES",
    "tenant_paused_by_you": "its tenant is paused by its operator",
    "tenant_policy_weaker": "its tenant's reputation policy is weaker than the fleet's",
    "region_identity_missing": "no identity in another region the fleet sends from",
    "region_identity_pending": "not verified in another region", "region_dkim_own_keys": "a replica signs with its own keys",
    "region_dkim_wrong_parent": "a replica signs with another region's keys",
    "region_configuration_set_missing": "the configuration set is missing in another region",
    "suppression_lists_differ": "the regions' suppression lists differ",
}


def problem_title(fid, title):
    """The name of a problem across domains (``title``: one finding's own title, used when it names no domain)."""
    if fid in PROBLEM_TITLES:
        return PROBLEM_TITLES[fid]
    if fid.startswith("mail_from_spf_") and fid[len("mail_from_"):] in PROBLEM_TITLES:
        return "MAIL FROM: " + PROBLEM_TITLES[fid[len("mail_from_"):]]
    if fid.startswith("verification_"):
        return "SES verification stuck: %s" % fid[len("verification_"):].upper()
    return title


def utc_text(value):
    """A timestamp as ``2026-12-01 10:00:00 UTC`` (to the second), whatever ISO form SES gave; None stays None."""
    if not value:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


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


def assess_ses(domain, ident, config_set=None, now=None, max_key_age_days=DEFAULT_MAX_KEY_AGE_DAYS, region=None):
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
            dkim = ident.get("dkim") or {}
            tokens = dkim.get("tokens") if dkim.get("origin") != "EXTERNAL" else None
            cnames = ", ".join("%s._domainkey.%s -> %s.%s" % (t, domain, t, DKIM_CNAME_DOMAIN) for t in tokens) \
                if tokens else "<token>._domainkey.%s -> <token>.%s for each token SES gives" % (domain, DKIM_CNAME_DOMAIN)
            fix = VERIFICATION_FIXES.get(error, "see VerificationInfo in the SES console").format(
                domain=domain, soa=soa, cnames=cnames)
            out.append(finding("verification_" + error.lower(), "critical", "ses",
                               "verification %s: %s" % (status or "not started", error),
                               "VerificationStatus %s, ErrorType %s, last checked %s, SOA primary %s"
                               % (status, error, utc_text(info.get("last_checked")) or "never", soa), fix))
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
                           % (utc_text(dkim.get("last_key_generation")), max_key_age_days),
                           "rotate it: change the key length (SES generates a new key) or put new BYODKIM keys"))
    mail_from = ident.get("mail_from") or {}
    if not mail_from.get("domain"):
        out.append(finding("mail_from_missing", "medium", "ses", "no custom MAIL FROM domain",
                           "mail leaves with MAIL FROM amazonses.com: SPF passes for SES but never aligns with the "
                           "From domain, so DMARC rests on DKIM alone",
                           "set a MAIL FROM subdomain (domain_policy mail_from_subdomain: mail) with its MX and SPF"))
    else:
        if mail_from.get("status") != "SUCCESS":
            mx = MAIL_FROM_MX_HOST % (region or "<region>")
            refuses = mail_from.get("behavior_on_mx_failure") == "REJECT_MESSAGE"
            out.append(finding("mail_from_not_verified", "critical" if refuses else "high", "ses",
                               "MAIL FROM %s is %s%s" % (mail_from["domain"], mail_from.get("status"),
                                                         ": SES refuses to send" if refuses else ""),
                               "SES did not find the MX %s at %s; %s" % (
                                   mx, mail_from["domain"],
                                   "BehaviorOnMxFailure REJECT_MESSAGE: every send fails with "
                                   "MailFromDomainNotVerified" if refuses else
                                   "mail leaves with MAIL FROM amazonses.com (SPF does not align)"),
                               "publish %s MX 10 %s" % (mail_from["domain"], mx)))
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


# ------------------------------------------------------------------------------------------------ verdicts
# What each mailbox provider requires of a bulk sender, as far as DNS and SES can show it: one row per rule and
# provider, with the provider's page and date beside it. A verdict is the rules of its provider: fail when one
# fails, unknown when none fails but one could not be looked at, pass only when every rule passed.
GMAIL = "Google, Email sender guidelines, support.google.com/a/answer/81126 (senders of 5,000+ messages a day; " \
        "in force since 2024-02-01)"
YAHOO = "Yahoo, Sender Requirements & Recommendations, senders.yahooinc.com/best-practices (bulk senders; " \
        "in force since 2024-02-01)"
MICROSOFT = "Microsoft, Outlook's New Requirements for High-Volume Senders, techcommunity.microsoft.com " \
            "(Defender for Office 365 blog, 2025-04-02; in force since 2025-05-05)"
SES_MAIL_FROM = "Amazon SES Developer Guide, Using a custom MAIL FROM domain, " \
                "docs.aws.amazon.com/ses/latest/dg/mail-from.html (read 2026-12)"
RULE_TEXT = {
    "ses_sends": "SES sends the mail at all (identity verified, account sending, and no unverified MAIL FROM "
                 "with BehaviorOnMxFailure REJECT_MESSAGE)",
    "spf_pass": "SPF passes for the MAIL FROM actually used",
    "dkim_pass": "DKIM passes with a signature of the From domain (aligned)",
    "dmarc_published": "a valid DMARC record is published (p=none at least)",
    "dmarc_aligned": "the From domain aligns with SPF or DKIM, so DMARC can pass",
}
PROVIDER_RULES = (
    # (provider, rule, source)
    ("gmail", "ses_sends", SES_MAIL_FROM), ("gmail", "spf_pass", GMAIL), ("gmail", "dkim_pass", GMAIL),
    ("gmail", "dmarc_published", GMAIL), ("gmail", "dmarc_aligned", GMAIL),
    ("yahoo", "ses_sends", SES_MAIL_FROM), ("yahoo", "spf_pass", YAHOO), ("yahoo", "dkim_pass", YAHOO),
    ("yahoo", "dmarc_published", YAHOO), ("yahoo", "dmarc_aligned", YAHOO),
    ("microsoft", "ses_sends", SES_MAIL_FROM), ("microsoft", "spf_pass", MICROSOFT),
    ("microsoft", "dkim_pass", MICROSOFT), ("microsoft", "dmarc_published", MICROSOFT),
    ("microsoft", "dmarc_aligned", MICROSOFT),
)
PROVIDERS = ("gmail", "yahoo", "microsoft")


def _unknown_of(unknown, *prefixes):
    return [u for u in unknown if u["check"].startswith(prefixes)]


def _ses_sends(ident, account_findings):
    if ident is None:
        return "fail", "SES does not know the domain"
    if ident.get("verification_status") != "SUCCESS":
        return "fail", "the identity is not verified (%s): SES refuses to send from it" % ident.get(
            "verification_status")
    paused = [f for f in account_findings if f["id"] == "account_sending_paused"]
    if paused:
        return "fail", "the account cannot send (%s)" % paused[0]["title"]
    mf = ident.get("mail_from") or {}
    if mf.get("domain") and mf.get("status") != "SUCCESS" and mf.get("behavior_on_mx_failure") == "REJECT_MESSAGE":
        return "fail", ("MAIL FROM %s is %s and BehaviorOnMxFailure is REJECT_MESSAGE: SES refuses to send "
                        "(MailFromDomainNotVerified)" % (mf["domain"], mf.get("status")))
    return "pass", "SES sends it"


def _spf_pass(ident, ids, unknown):
    """(status, why, aligned): SPF on the MAIL FROM SES actually uses."""
    mf = (ident or {}).get("mail_from") or {}
    if mf.get("domain") and mf.get("status") == "SUCCESS":
        broken = sorted(ids & set(posture_dns.MAIL_FROM_SPF_BROKEN))
        if broken:
            return "fail", "SPF of the MAIL FROM %s fails for SES (%s)" % (mf["domain"], ", ".join(broken)), False
        if _unknown_of(unknown, "mail_from_spf"):
            return "unknown", "could not read the SPF of the MAIL FROM %s" % mf["domain"], None
        return "pass", "SPF of the MAIL FROM %s authorises SES and aligns with the From domain" % mf["domain"], True
    if mf.get("domain") and mf.get("behavior_on_mx_failure") == "REJECT_MESSAGE":
        return "fail", "no mail leaves: MAIL FROM %s is not verified and SES refuses to send" % mf["domain"], False
    why = ("MAIL FROM %s is not verified, so SES falls back to its default MAIL FROM (amazonses.com)" % mf["domain"]
           if mf.get("domain") else "no custom MAIL FROM: SES uses its default MAIL FROM (amazonses.com)")
    return "pass", why + ": SPF passes there but does not align, so DMARC rests on DKIM alone", False


def _dkim_pass(ident, ids, unknown):
    dkim = (ident or {}).get("dkim") or {}
    if ident is None:
        return "fail", "no identity, no signature"
    if dkim.get("signing_enabled") is False:
        return "fail", "DKIM signing is turned off: mail leaves unsigned by the domain"
    if dkim.get("status") != "SUCCESS":
        return "fail", "SES's DKIM status is %s: it does not sign with the domain's key" % dkim.get("status")
    broken = sorted(ids & set(posture_dns.DKIM_BROKEN))
    if broken:
        return "fail", "receivers cannot find the key (%s)" % ", ".join(broken)
    if _unknown_of(unknown, "dkim"):
        return "unknown", "could not read the DKIM records"
    return "pass", "SES signs with the domain's key, published as SES expects"


def _dmarc_published(ids, unknown):
    broken = sorted(ids & set(posture_dns.DMARC_BROKEN))
    if broken:
        return "fail", "no valid DMARC record (%s)" % ", ".join(broken)
    if _unknown_of(unknown, "dmarc_record"):
        return "unknown", "could not read the DMARC record"
    return "pass", "one valid DMARC record"


def rule_outcomes(ident, findings, account_findings, unknown=()):
    """Each rule of :data:`RULE_TEXT` judged for one domain: ``{rule: (status, why)}`` and the SPF alignment."""
    ids = {f["id"] for f in findings}
    spf_status, spf_why, spf_aligned = _spf_pass(ident, ids, unknown)
    dkim_status, dkim_why = _dkim_pass(ident, ids, unknown)
    out = {"ses_sends": _ses_sends(ident, account_findings), "spf_pass": (spf_status, spf_why),
           "dkim_pass": (dkim_status, dkim_why), "dmarc_published": _dmarc_published(ids, unknown)}
    if dkim_status == "pass" or (spf_status == "pass" and spf_aligned):
        out["dmarc_aligned"] = ("pass", "aligned by %s" % ("DKIM" if dkim_status == "pass" else "SPF"))
    elif dkim_status == "fail" and spf_aligned is False:
        out["dmarc_aligned"] = ("fail", "neither DKIM nor SPF aligns with the From domain")
    else:
        out["dmarc_aligned"] = ("unknown", "could not tell whether DKIM or SPF aligns")
    return out, spf_aligned


def verdicts(ident, findings, account_findings, unknown=()):
    """Per mailbox provider: ``pass`` / ``fail`` / ``unknown`` from the rules of :data:`PROVIDER_RULES`, each
    rule listed with its outcome and source; what no DNS or SES read can show is named in ``not_checked``."""
    outcomes, spf_aligned = rule_outcomes(ident, findings, account_findings, unknown)
    out = {}
    for provider in PROVIDERS:
        rules = [{"rule": rule, "requirement": RULE_TEXT[rule], "status": outcomes[rule][0], "why": outcomes[rule][1],
                  "source": source} for name, rule, source in PROVIDER_RULES if name == provider]
        statuses = {r["status"] for r in rules}
        verdict = "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
        out[provider] = {"verdict": verdict, "rules": rules,
                         "reasons": [r["why"] for r in rules if r["status"] == "fail"],
                         "unknown": [r["why"] for r in rules if r["status"] == "unknown"],
                         "spf_aligned": spf_aligned, "dkim_aligned": outcomes["dkim_pass"][0] == "pass",
                         "not_checked": list(NOT_CHECKABLE[provider])}
    return out


def dmarc_tags(resolve, domain):
    """The parsed DMARC record of ``domain``, or None (missing, several, invalid or unreadable)."""
    return posture_dns.published_dmarc(resolve, domain)[0]


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
    """One domain's posture: ``{domain, kind, findings, unknown, could_not_look, verdicts, worst}`` (findings most
    severe first; ``unknown`` the checks that could not look, each with its error).

    ``evidence``: None (no evidence store), or ``decide(tags) -> gate decision`` for the published record."""
    unknown = []
    result = {"domain": domain, "kind": "parked" if parked else "sending", "verdicts": {}}
    if parked:
        findings = posture_dns.assess_parked(domain, resolve, unknown)
    else:
        decision = None
        tags, err = posture_dns.published_dmarc(resolve, domain)
        if evidence is not None and not err:
            decision = evidence(tags)
            stage, more = evidence_stage(tags, decision)
            result["evidence"] = stage
        elif evidence is not None:
            result["evidence"] = {"published": None, "next": None, "gate_open": None, "summary": None,
                                  "reasons": [], "unknown": err}
        findings = assess_ses(domain, ident, config_set, now, max_key_age_days, region)
        findings += posture_dns.assess_dns(domain, ident, resolve, region, unknown, decision)
        result["verdicts"] = verdicts(ident, findings, account_findings, unknown)
        if decision is not None:
            findings.extend(more)
    findings.sort(key=lambda f: (rank(f["severity"]), f["id"]))
    result.update(findings=findings, unknown=unknown, could_not_look=bool(unknown), worst=worst(findings))
    return result


def summarize(results, account_findings):
    """Fleet counts: domains needing action and not looked at, findings per severity, per finding id (with the
    domains), and verdict counts per provider (with the domains that fail and those not known)."""
    per_severity = dict((s, 0) for s in SEVERITIES)
    per_problem = {}
    for f in account_findings:
        per_severity[f["severity"]] += 1
        entry = per_problem.setdefault(f["id"], {"severity": f["severity"], "title": problem_title(f["id"], f["title"]),
                                                 "domains": 0, "names": []})
        entry["domains"] += 1
        entry["names"].append("(account)")
    for r in results:
        for f in r.get("findings") or []:
            per_severity[f["severity"]] += 1
            entry = per_problem.setdefault(f["id"], {"severity": f["severity"],
                                                     "title": problem_title(f["id"], f["title"]), "domains": 0,
                                                     "names": []})
            entry["domains"] += 1
            entry["names"].append(r["domain"])
    providers = {}
    for r in results:
        for name, v in (r.get("verdicts") or {}).items():
            counts = providers.setdefault(name, {"pass": 0, "fail": 0, "unknown": 0, "failing": [], "not_known": []})
            counts[v["verdict"]] += 1
            if v["verdict"] != "pass":
                counts["failing" if v["verdict"] == "fail" else "not_known"].append(r["domain"])
    domains_by_worst = dict((s, 0) for s in SEVERITIES + ("none",))
    for r in results:
        domains_by_worst[r.get("worst", "none") if not r.get("failed") else "none"] += 1
    not_looked = [r["domain"] for r in results if r.get("failed") or r.get("could_not_look")]
    action = [r["domain"] for r in results if r.get("findings")]
    return {"domains": len(results), "findings": sum(per_severity.values()), "per_severity": per_severity,
            "per_problem": dict(sorted(per_problem.items(), key=lambda kv: (rank(kv[1]["severity"]), kv[0]))),
            "providers": providers, "domains_by_worst": domains_by_worst,
            "need_action": len(action), "could_not_look": len(not_looked), "could_not_look_domains": not_looked}
