# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Region drift in the fleet posture: a sending domain's replicas in the other regions it sends from, and the
account's suppression lists of those regions. Pure: the runner reads (one GetEmailIdentity per domain and
region, the suppression lists page by page) and hands the answers in.

Why: SES is regional. A replica that is missing or not verified refuses the mail sent through its region (or
through the global endpoint when it fails over); a replica that signs with its own Easy DKIM keys needs its own
CNAMEs, where deterministic Easy DKIM (DEED, ``SigningAttributesOrigin`` ``AWS_SES_<PRIMARY_REGION>``) signs with
the primary's; an address suppressed in one region only is mailed again from the other.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy.posture_dns import finding


def deed_origin(region):
    """The DKIM signing origin of a replica made with deterministic Easy DKIM from ``region``."""
    return "AWS_SES_" + region.upper().replace("-", "_")


def deed_parent_region(origin):
    """``AWS_SES_US_EAST_1`` -> ``us-east-1``: the parent region of a DEED replica's signing origin; None for
    ``AWS_SES`` (its own Easy DKIM keys), ``EXTERNAL`` (BYODKIM) or nothing."""
    if not isinstance(origin, str) or not origin.startswith("AWS_SES_") or len(origin) <= len("AWS_SES_"):
        return None
    return origin[len("AWS_SES_"):].lower().replace("_", "-")


def parent_problem(domain, parent_region, parent):
    """Why the identity ``parent`` (GetEmailIdentity of ``domain`` in ``parent_region`` as the collection reads it,
    None when there is none) cannot be the parent of a DEED replica, or None when it can. What SES documents:
    the parent is a verified identity that signs with Easy DKIM (not BYODKIM) and is not itself a replica;
    otherwise the replica never verifies (``REPLICATION_PRIMARY_NOT_FOUND``,
    ``REPLICATION_PRIMARY_BYO_DKIM_NOT_SUPPORTED``, ``REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED``)."""
    if parent is None:
        return ("%s is not an SES identity in %s: create and verify it there first (the replica signs with its "
                "keys)" % (domain, parent_region))
    origin = (parent.get("dkim") or {}).get("origin")
    if origin == "EXTERNAL":
        return ("%s signs with its own key (BYODKIM) in %s; SES replicates only Easy DKIM identities"
                % (domain, parent_region))
    if deed_parent_region(origin):
        return ("%s in %s is itself a replica of %s; SES replicates only from a parent, so name %s"
                % (domain, parent_region, deed_parent_region(origin), deed_parent_region(origin)))
    status = (parent.get("dkim") or {}).get("status")
    if status != "SUCCESS":
        return ("%s is not verified in %s (DKIM status %s): a replica is verified when its parent is, so "
                "verify it there first" % (domain, parent_region, status or "not started"))
    return None


def replica_findings(domain, primary, region, replica, config_set_exists, mail_from=None):
    """The findings of ``domain``'s identity in ``region`` (``replica``: GetEmailIdentity as the collection reads
    it, None when there is none; ``config_set_exists``: None when the primary names no default set; ``mail_from``:
    the MAIL FROM domain the replica should have (policy/identity.replica_mail_from_domain), None when the fleet
    sets none)."""
    if replica is None:
        return [finding("region_identity_missing", "high", "ses", "%s has no identity in %s" % (domain, region),
                        "the fleet sends from %s too, and SES refuses mail from a domain it does not know there "
                        "(also what the global endpoint sends when it fails over)" % region,
                        "create the replica with deterministic Easy DKIM from %s: "
                        "DkimSigningAttributes.DomainSigningAttributesOrigin %s (no new DNS record)"
                        % (primary, deed_origin(primary)))]
    out = []
    if not replica.get("verified_for_sending"):
        out.append(finding("region_identity_pending", "high", "ses",
                           "%s is not verified in %s" % (domain, region),
                           "VerificationStatus %s in %s: SES refuses mail sent from there"
                           % (replica.get("verification_status") or "not started", region),
                           "a DEED replica verifies when its primary does; otherwise publish its own DKIM CNAMEs"))
    origin = (replica.get("dkim") or {}).get("origin")
    if origin == "AWS_SES":
        out.append(finding("region_dkim_own_keys", "low", "ses",
                           "%s signs with its own DKIM keys in %s" % (domain, region),
                           "SigningAttributesOrigin AWS_SES: the replica needs three CNAMEs of its own, and its keys "
                           "rotate apart from the primary's",
                           "replace it with a DEED replica of %s (origin %s)" % (primary, deed_origin(primary))))
    elif origin and origin.startswith("AWS_SES_") and origin != deed_origin(primary):
        out.append(finding("region_dkim_wrong_parent", "medium", "ses",
                           "%s in %s signs with the keys of another region" % (domain, region),
                           "SigningAttributesOrigin %s, the fleet's primary is %s (%s)"
                           % (origin, primary, deed_origin(primary)),
                           "recreate the replica with DomainSigningAttributesOrigin %s" % deed_origin(primary)))
    if config_set_exists is False:
        out.append(finding("region_configuration_set_missing", "medium", "ses",
                           "%s's configuration set is missing in %s" % (domain, region),
                           "the identity's default configuration set does not exist in %s: mail sent there gets no "
                           "event publishing and no suppression override" % region,
                           "create the configuration set in %s (configure_account.yml with region=%s)"
                           % (region, region)))
    have = ((replica.get("mail_from") or {}).get("domain") or "").lower() or None
    if mail_from and have is None:
        out.append(finding("region_mail_from_missing", "medium", "ses",
                           "%s has no custom MAIL FROM domain in %s" % (domain, region),
                           "mail sent from %s uses SES's default MAIL FROM (amazonses.com): SPF does not align "
                           "with %s for DMARC there" % (region, domain),
                           "set MAIL FROM %s in %s (its MX feedback-smtp.%s.amazonses.com, the only MX of the name)"
                           % (mail_from, region, region)))
    elif mail_from and have != mail_from:
        out.append(finding("region_mail_from_different", "medium", "ses",
                           "%s's MAIL FROM domain in %s is %s, not %s" % (domain, region, have, mail_from),
                           "each region needs its own MAIL FROM name (its MX is that region's feedback endpoint); "
                           "%s is not the name the fleet publishes for %s" % (have, region),
                           "set MAIL FROM %s in %s" % (mail_from, region)))
    return out


def suppression_drift(lists):
    """``lists``: region -> {address: reason}. Per region, how many addresses another region suppresses that this
    one does not (the counts a sync would write), and the account findings."""
    everyone = set()
    for entries in lists.values():
        everyone.update(entries)
    missing = dict((region, len(everyone - set(entries))) for region, entries in sorted(lists.items()))
    findings = []
    if any(missing.values()):
        findings.append(finding("suppression_lists_differ", "medium", "account",
                                "the suppression lists of %s differ" % ", ".join(sorted(lists)),
                                "addresses suppressed in another region but not in: %s - mail to them still goes "
                                "out from there" % ", ".join("%s %d" % kv for kv in missing.items() if kv[1]),
                                "make them one list: playbooks/suppression_sync.yml (suppression_sync)"))
    return missing, findings
