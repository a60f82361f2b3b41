# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hard bounce or complaint suppressed in every configured region, not only where the mail was sent.

SES keeps one account-level suppression list per region: an address that hard-bounced in one region is still
mailed from another. The bounce processor suppresses in its own region as before (``runners/bounces.py``) and
calls :func:`suppress_in_other_regions` for the others, with the same rule (``policy/bounces.py``
``suppression_action``: read the region's entry; write only when the address is missing there or listed with
another reason). It runs before the store marks the address suppressed, so an error in one region keeps the
message for redelivery and the next copy tries every region again; a region that refuses the address for good
(bad request) refuses it as a whole, naming the region.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.aws import get_or_none
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import (
    PERMANENT_CODES, suppression_action)
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import other_regions


def suppress_in_other_regions(processor, email, reason, tenant=None):
    """Make every region of ``processor.other_regions`` ({region: sesv2 client}) list ``email`` with ``reason``
    (in check mode: count what would be written). Records ``{region: "account" | "api"}`` per address in
    ``processor.region_outcomes``. With ``tenant``: tenants are regional, so the tenant of that name *in each
    region* decides - its own list there when its scope there is TENANT (recorded in ``processor.region_lists``),
    the region's account list otherwise (no such tenant there, or scope ACCOUNT)."""
    for region, client in sorted((processor.other_regions or {}).items()):
        try:
            listed_in = None
            if tenant and processor.tenants is not None and processor.tenants.scope(tenant, region) == "TENANT":
                listed_in = tenant
            extra = {"TenantName": listed_in} if listed_in else {}
            got = get_or_none(client, "GetSuppressedDestination", caller=processor._call, EmailAddress=email,
                              **extra)
            listed = None if got is None else (got.get("SuppressedDestination") or {}).get("Reason")
            via = suppression_action(reason, listed)
            if via == "api" and not processor.check_mode:
                processor._call(client, "PutSuppressedDestination", EmailAddress=email, Reason=reason, **extra)
        except AwsError as exc:
            raise AwsError(exc.operation, exc.code, "in %s: %s" % (region, exc.message),
                           exc.details.get("http_status"))
        if via == "api":
            processor.suppression_writes += 1
        processor.region_outcomes.setdefault(email, {})[region] = via
        if listed_in:
            processor.region_lists.setdefault(email, {})[region] = "tenant:%s" % listed_in


def suppressed_elsewhere(processor, email, cls, occurred, tenant=None):
    """An address SES itself did not send to (on this region's list) is suppressed in the other regions too,
    with the reason this region lists it for now (the notification does not say which: a BOUNCE written over
    another region's COMPLAINT would weaken it); delisted here since, it is left alone. With ``tenant`` whose scope
    is TENANT, the tenant's list here is read and each region's tenant of that name decides there. False when a
    region refused the address for good (reported in ``refused``, as for a hard bounce)."""
    state = processor.store.get_address(email)
    if state and state.get("suppressed_reason"):
        return True  # an earlier run or the other channel's copy did it, every region included
    try:
        listed_in = tenant if tenant and processor.tenants.scope(tenant) == "TENANT" else None
        listed = processor.listed_reason(email, tenant=listed_in)
        if listed is not None:
            suppress_in_other_regions(processor, email, listed, tenant)
    except AwsError as exc:
        if exc.code not in PERMANENT_CODES:
            raise  # retryable: the message is kept and tried again on redelivery
        processor.refused[email] = {"email": email, "reason": None, "class": cls, "error": exc.msg,
                                    "error_code": exc.code}
        if not processor.check_mode:
            processor.store.mark_refused(email, exc.msg, occurred)
            processor.writes += 1
        return False
    return True


def result(processor, primary):
    """The regions part of the bounce processor's result."""
    out = {"primary": primary, "others": sorted(processor.other_regions or {}),
           "suppressed": dict(sorted(processor.region_outcomes.items()))}
    if processor.region_lists:
        out["tenant_lists"] = dict(sorted(processor.region_lists.items()))
    return {"regions": out}


def region_clients(module, regions):
    """(primary region, {other region: client}) for the ``regions`` option; the module's own region is the
    primary and is always suppressed in (as before)."""
    if not regions:
        return module.params.get("region"), {}
    primary = module.client("sesv2").meta.region_name
    others = other_regions(regions, primary, known=module.known_regions("sesv2"))
    return primary, dict((r, module.client("sesv2", region=r)) for r in others)
