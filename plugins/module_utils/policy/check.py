# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only email authentication checks of one domain (SPF, DKIM, MAIL FROM, DMARC).

Each check is ``{check, name, status: pass|warn|fail|unknown, reason, value}``; the reason says what to do.
``unknown`` is "could not look": the read that decides the check failed (timeout, SERVFAIL, REFUSED); it is
never a pass or a failure, and its reason carries the error, not a fix. DNS is reached only through
``resolve(name, rtype)`` (a :class:`dns.resolve.Resolver`), so unit tests pass a dict.
"""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, ses as ses_rules, spf
from ansible_collections.deliverability.ses.plugins.module_utils.policy.domain import spf_problems

STATUSES = ("pass", "warn", "fail", "unknown")
SES_SPF_INCLUDE = spf.SES_INCLUDE_DOMAIN


def _entry(check, name, status, reason, value=None):
    return {"check": check, "name": name, "status": status, "reason": reason, "value": value}


def _lookup(resolve, name, rtype):
    """(values, error text): DNS failures become a reason instead of an exception."""
    try:
        return resolve(name, rtype), None
    except DeliverabilityError as exc:
        return None, exc.msg
    except Exception as exc:  # noqa: BLE001 - any resolver failure is reported on the check
        return None, "%s: %s" % (type(exc).__name__, exc)


def check_spf(resolve, domain, require_ses=True, check_prefix="spf"):
    out = []
    values, err = _lookup(resolve, domain, "TXT")
    if err:
        return [_entry(check_prefix + "_record", domain, "unknown", "could not read TXT of %s: %s" % (domain, err))]
    records = [v for v in values if spf.is_spf(v)]
    if not records:
        return [_entry(check_prefix + "_record", domain, "fail",
                       "no SPF record at %s: publish one (deliverability.ses.spf merges %s)" % (domain, spf.SES_INCLUDE))]
    if len(records) > 1:
        return [_entry(check_prefix + "_record", domain, "fail",
                       "%d SPF records at %s: receivers return permerror; merge them into one" % (len(records), domain),
                       records)]
    try:
        spf.parse(records[0])
    except spf.SpfError as exc:
        return [_entry(check_prefix + "_record", domain, "fail", "the SPF record does not parse: %s" % exc, records[0])]
    out.append(_entry(check_prefix + "_record", domain, "pass", "one SPF record", records[0]))
    counted = spf.count_lookups(domain, resolve, record=records[0])
    detail = counted.to_dict()
    if counted.count > spf.MAX_LOOKUPS:
        out.append(_entry(check_prefix + "_lookups", domain, "fail",
                          "%d DNS lookups (limit 10): receivers return permerror. Flatten or remove includes. "
                          "Lookups: %s" % (counted.count, counted.describe()), detail))
    elif counted.void > spf.MAX_VOID_LOOKUPS:
        out.append(_entry(check_prefix + "_lookups", domain, "fail",
                          "%d void lookups (limit 2): remove mechanisms whose names do not resolve" % counted.void,
                          detail))
    elif counted.permerrors:  # the planner's rule (policy.domain.spf_problems): what spf would refuse to publish
        out.append(_entry(check_prefix + "_lookups", domain, "fail", "receivers return permerror: %s"
                          % "; ".join(text for rule, text in spf_problems(counted) if rule == "spf_permerror"),
                          detail))
    elif counted.temperrors:  # a branch could not be followed: the count is a lower bound, not a pass
        out.append(_entry(check_prefix + "_lookups", domain, "unknown", "could not count every lookup: %s"
                          % "; ".join(counted.temperrors), detail))
    else:
        out.append(_entry(check_prefix + "_lookups", domain, "pass", "%d DNS lookups (limit 10)" % counted.count,
                          detail))
    if require_ses:
        chain = [lk["term"].lstrip("+").lower() for lk in counted.lookups]
        direct = [t.raw.lower() for t in spf.parse(records[0])]
        ses = "include:" + SES_SPF_INCLUDE
        authorised = ses in chain or any(t in (ses, "+" + ses) for t in direct)
        failing = any(t in ("-" + ses, "~" + ses, "?" + ses) for t in direct)
        if authorised and not failing:
            out.append(_entry(check_prefix + "_ses", domain, "pass", "SPF authorises SES (%s)" % spf.SES_INCLUDE))
        elif counted.temperrors and not failing:  # SES may sit behind the branch that could not be read
            out.append(_entry(check_prefix + "_ses", domain, "unknown", "could not tell whether SPF authorises SES: %s"
                              % "; ".join(counted.temperrors)))
        else:
            out.append(_entry(check_prefix + "_ses", domain, "fail",
                              "SPF of %s does not authorise SES: add %s (deliverability.ses.spf)"
                              % (domain, spf.SES_INCLUDE)))
    return out


def check_dkim_tokens(resolve, domain, tokens, dkim_domain=ses_rules.DKIM_CNAME_DOMAIN):
    out = []
    for token in tokens:
        name = "%s._domainkey.%s" % (token.lower(), domain)
        want = "%s.%s" % (token.lower(), dkim_domain)
        values, err = _lookup(resolve, name, "CNAME")
        if err:
            out.append(_entry("dkim", name, "unknown", "could not read CNAME: %s" % err))
        elif not values:
            out.append(_entry("dkim", name, "fail", "no CNAME: publish %s CNAME %s" % (name, want)))
        elif values != [want]:
            out.append(_entry("dkim", name, "fail", "CNAME points to %s, SES expects %s" % (", ".join(values), want),
                              values))
        else:
            out.append(_entry("dkim", name, "pass", "CNAME to %s" % want, values))
    return out


def _key_body(text):
    text = re.sub(r"-----[A-Z ]+-----", "", text or "")
    return re.sub(r"\s+", "", text)


def check_dkim_selector(resolve, domain, selector, public_key=None):
    name = "%s._domainkey.%s" % (selector.lower(), domain)
    values, err = _lookup(resolve, name, "TXT")
    if err:
        return [_entry("dkim", name, "unknown", "could not read TXT: %s" % err)]
    keys = [v for v in values if "p=" in v]
    if not keys:
        return [_entry("dkim", name, "fail", "no DKIM key TXT (v=DKIM1; k=rsa; p=...) at %s" % name)]
    if len(keys) > 1:
        return [_entry("dkim", name, "fail", "%d DKIM key records at %s; keep one" % (len(keys), name), keys)]
    tags = dict((k.strip().lower(), v.strip()) for k, dummy, v in (p.partition("=") for p in keys[0].split(";") if "=" in p))
    if not tags.get("p"):
        return [_entry("dkim", name, "fail", "the DKIM key is revoked (empty p=)", keys[0])]
    if public_key and _key_body(tags["p"]) != _key_body(public_key):
        return [_entry("dkim", name, "fail", "the published key differs from the identity's public key: republish",
                       keys[0])]
    return [_entry("dkim", name, "pass", "DKIM key published (%d characters)" % len(tags["p"]), keys[0])]


def check_mail_from(resolve, domain, mail_from, region=None):
    out = []
    if not (mail_from == domain or mail_from.endswith("." + domain)):
        out.append(_entry("mail_from", mail_from, "warn",
                          "the MAIL FROM domain is not a subdomain of %s: SPF will not align for DMARC" % domain))
    want = ses_rules.MAIL_FROM_MX_HOST % region if region else None
    values, err = _lookup(resolve, mail_from, "MX")
    hosts = [v.split()[-1] for v in values or []]
    matches = [h for h in hosts if (h == want if want else re.match(r"^feedback-smtp\.[a-z0-9-]+\.amazonses\.com$", h))]
    if err:
        out.append(_entry("mail_from_mx", mail_from, "unknown", "could not read MX: %s" % err))
    elif not hosts:
        out.append(_entry("mail_from_mx", mail_from, "fail", "no MX: publish %s MX 10 %s" % (
            mail_from, want or ses_rules.MAIL_FROM_MX_HOST % "<region>")))
    elif not matches:
        out.append(_entry("mail_from_mx", mail_from, "fail", "MX %s is not SES's feedback endpoint %s"
                          % (", ".join(hosts), want or ses_rules.MAIL_FROM_MX_HOST % "<region>"), values))
    else:
        out.append(_entry("mail_from_mx", mail_from, "pass", "MX to %s" % matches[0], values))
    out.extend(check_spf(resolve, mail_from, require_ses=True, check_prefix="mail_from_spf"))
    return out


def check_dmarc(resolve, domain, required_policy="none"):
    name = "_dmarc." + domain
    values, err = _lookup(resolve, name, "TXT")
    if err:
        return [_entry("dmarc_record", name, "unknown", "could not read TXT: %s" % err)]
    records = [v for v in values if dmarc.is_dmarc(v)]
    if not records:
        return [_entry("dmarc_record", name, "fail",
                       "no DMARC record: publish one (deliverability.ses.dmarc, start with policy none and rua)")]
    if len(records) > 1:
        return [_entry("dmarc_record", name, "fail", "%d DMARC records: receivers ignore all; keep one" % len(records),
                       records)]
    try:
        tags = dmarc.parse(records[0])
    except dmarc.DmarcError as exc:
        return [_entry("dmarc_record", name, "fail", "the DMARC record is invalid: %s" % exc, records[0])]
    out = [_entry("dmarc_record", name, "pass", "one valid DMARC record", records[0])]
    p, pct = tags["p"], tags.get("pct", 100)
    if dmarc.rank(p) < dmarc.rank(required_policy):
        out.append(_entry("dmarc_policy", name, "fail", "p=%s is weaker than the required %s" % (p, required_policy),
                          tags))
    elif p != "none" and pct < 100:
        out.append(_entry("dmarc_policy", name, "warn", "p=%s applies to %d%% of failing mail only (pct is obsolete "
                          "since RFC 9989: migrate it to t=y with migrate_legacy)" % (p, pct), tags))
    elif p != "none" and dmarc.testing(tags):
        out.append(_entry("dmarc_policy", name, "warn", "p=%s; t=y is test mode: RFC 9989 receivers apply %s"
                          % (p, "none" if p == "quarantine" else "quarantine"), tags))
    else:
        out.append(_entry("dmarc_policy", name, "pass", "p=%s" % p, tags))
    if dmarc.obsolete(tags):
        out.append(_entry("dmarc_legacy", name, "warn", "%s removed by RFC 9989 (migrate with migrate_legacy=true)"
                          % ", ".join(dmarc.obsolete(tags)), tags))
    if not tags.get("rua"):
        out.append(_entry("dmarc_reports", name, "warn", "no rua: you get no aggregate reports to act on"))
    for dest in dmarc.report_domains(tags, domain):
        auth = dmarc.authorization_name(domain, dest)
        found, err = _lookup(resolve, auth, "TXT")
        if err:
            out.append(_entry("dmarc_reports", auth, "unknown", "could not read the authorisation of %s: %s"
                              % (dest, err)))
        elif not any(dmarc.is_dmarc(v) for v in found):
            out.append(_entry("dmarc_reports", auth, "warn", "%s does not authorise reports for %s: publish TXT "
                              "\"v=DMARC1\" at %s, or its reports are dropped" % (dest, domain, auth)))
        else:
            out.append(_entry("dmarc_reports", auth, "pass", "%s authorises reports for %s" % (dest, domain)))
    return out


def summarize(checks):
    """(counts per status, overall): ``unknown`` when any check could not look - the outcome is then
    incomplete whatever else was found (the failures are still listed on their checks) - else the worst."""
    counts = dict((s, 0) for s in STATUSES)
    for c in checks:
        counts[c["status"]] += 1
    if counts["unknown"]:
        return counts, "unknown"
    worst = "fail" if counts["fail"] else ("warn" if counts["warn"] else "pass")
    return counts, worst


def unknown(checks):
    """The checks that could not look, as ``{check, name, error}``."""
    return [{"check": c["check"], "name": c["name"], "error": c["reason"]} for c in checks if c["status"] == "unknown"]
