# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant view of the fleet posture: which tenant each domain sends in, what SES says of that tenant, and the
findings that follow. Pure: the runner reads the tenants (one read per tenant, never per domain) and hands them in.

Why these findings: with tenants, SES tracks each client's reputation and pauses a tenant, not the account
(docs/runbooks/tenants.md). A domain in no tenant counts against the whole account again; a tenant SES has paused
sends nothing; a tenant whose reputation policy is weaker than the fleet's is not paused when its rates say so,
and the account takes the hit instead.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy.posture_dns import finding

# weakest first: a tenant's policy below the fleet's is a finding
POLICY_STRENGTH = ("none", "standard", "strict")


def _strength(policy):
    return POLICY_STRENGTH.index(policy) if policy in POLICY_STRENGTH else -1


def memberships(tenants):
    """domain identity -> sorted tenant names it is associated with (``tenants``: the read view, each with
    ``resources.identities``)."""
    out = {}
    for t in tenants:
        for name in (t.get("resources") or {}).get("identities") or []:
            out.setdefault(name.lower(), []).append(t["name"])
    return dict((k, sorted(v)) for k, v in out.items())


def paused_by(tenant):
    """``("SES", cause)``, ``("you", cause)`` or None: who paused the tenant's sending, if anyone."""
    aws = tenant.get("aws_managed_status") or {}
    mine = tenant.get("customer_managed_status") or {}
    if aws.get("status") == "DISABLED":
        return "SES", aws.get("cause") or "no cause given"
    if mine.get("status") == "DISABLED":
        return "you", mine.get("cause") or "paused with the tenant module"
    return None


def domain_findings(domain, names, by_name, fleet_policy):
    """A sending domain's tenant findings (``names``: the tenants it is in; ``by_name``: tenant name -> view)."""
    if not names:
        return [finding("tenant_missing", "medium", "ses",
                        "%s is in no tenant" % domain,
                        "the account uses tenants, but this domain identity is associated with none: its bounces "
                        "and complaints count against the whole account, and SES can only pause the account",
                        "associate it with its client's tenant: deliverability.ses.tenant_resources "
                        "tenant=<client> identities=[%s] (or domain_policy with tenant)" % domain)]
    out = []
    for name in names:
        tenant = by_name[name]
        who = paused_by(tenant)
        if who and who[0] == "SES":
            out.append(finding("tenant_paused", "critical", "ses",
                               "tenant %s of %s is paused by SES" % (name, domain),
                               "AwsSesManagedStatus DISABLED: %s (reputation impact %s)"
                               % (who[1], tenant.get("reputation_impact") or "not reported"),
                               "fix the client's list (bounces, complaints: the suppression-list runbook), then ask "
                               "AWS to reinstate the tenant; the other tenants keep sending"))
        elif who:
            out.append(finding("tenant_paused_by_you", "high", "ses",
                               "tenant %s of %s is paused by its operator" % (name, domain),
                               "CustomerManagedStatus DISABLED: %s" % who[1],
                               "resume it when the client may send again: deliverability.ses.tenant name=%s "
                               "sending=enabled reason=<why>" % name))
        policy = tenant.get("reputation_policy")
        if _strength(policy) < _strength(fleet_policy):
            out.append(finding("tenant_policy_weaker", "medium", "ses",
                               "tenant %s of %s has reputation policy %s" % (name, domain, policy or "unknown"),
                               "the fleet's policy is %s: with %s SES does not pause this tenant when its rates "
                               "cross the thresholds, so the account takes the hit"
                               % (fleet_policy, policy or "an unknown policy"),
                               "deliverability.ses.tenant name=%s reputation_policy=%s" % (name, fleet_policy)))
    return out


def tenant_rows(tenants, results):
    """Per tenant: its domains (those looked at), what SES says, and a verdict - ``needs action`` when SES or the
    operator paused it or a domain of it has findings, ``could not look`` when a domain of it could not be looked
    at, else ``clean``."""
    by_domain = dict((r["domain"], r) for r in results)
    rows = []
    for t in sorted(tenants, key=lambda t: t["name"]):
        domains = sorted(d for d in (n.lower() for n in (t.get("resources") or {}).get("identities") or [])
                         if d in by_domain)
        who = paused_by(t)
        if who or any(by_domain[d].get("findings") for d in domains):
            verdict = "needs action"
        elif any(by_domain[d].get("could_not_look") or by_domain[d].get("failed") for d in domains):
            verdict = "could not look"
        else:
            verdict = "clean"
        rows.append({"name": t["name"], "domains": domains, "verdict": verdict,
                     "sending": t.get("sending_status_aggregate") or t.get("sending_status") or "ENABLED",
                     "paused_by": who[0] if who else None, "cause": who[1] if who else None,
                     "reputation_policy": t.get("reputation_policy"),
                     "reputation_impact": t.get("reputation_impact")})
    return rows
