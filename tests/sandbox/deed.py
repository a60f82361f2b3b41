"""Deterministic Easy DKIM (DEED) in the sandbox, as SES documents it.

An identity created (or changed) with ``DomainSigningAttributesOrigin`` / ``SigningAttributesOrigin`` =
``AWS_SES_<PARENT_REGION>`` (``AWS_SES_US_EAST_1``) is a replica: it signs with the parent identity's keys, so it
has the parent's tokens (no new DNS record) and its DKIM status follows the parent's. What SES reports when the
parent cannot be used is a verification error of the replica, not a refused request:
``REPLICATION_PRIMARY_NOT_FOUND`` (no identity of that name in the parent region),
``REPLICATION_PRIMARY_BYO_DKIM_NOT_SUPPORTED`` (the parent signs with its own key: BYODKIM),
``REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED`` (the parent is itself a replica),
``REPLICATION_PRIMARY_INVALID_REGION`` (the parent region is the replica's own).
"""

from __future__ import annotations

import re

_ORIGIN = re.compile(r"AWS_SES_([A-Z]{2}(?:_GOV)?_[A-Z]+_[0-9]{1,2})")


def parent_region(origin: str | None) -> str | None:
    """``AWS_SES_US_EAST_1`` -> ``us-east-1``; None for ``AWS_SES``, ``EXTERNAL`` or nothing."""
    found = _ORIGIN.fullmatch(origin or "")
    return found.group(1).lower().replace("_", "-") if found else None


def origin_of(region: str) -> str:
    return "AWS_SES_" + region.upper().replace("-", "_")


def make_replica(ident, origin: str, now):
    """Turn ``ident`` into a replica of the identity of the same name in ``origin``'s region (state follows at the
    next refresh)."""
    ident.dkim_origin = origin
    ident.dkim_parent_region = parent_region(origin)
    ident.dkim_tokens = []
    ident.dkim_selector = None
    ident.dkim_public_key = None
    ident.dkim_status = "PENDING"
    ident.dkim_pending_since = now()
    ident.dkim_checked = 0.0


def follow_parent(region, ident, clock):
    """Refresh a replica from its parent: tokens, key lengths, DKIM status and the verification error."""
    parent_region_name = ident.dkim_parent_region
    error = None
    parent = None
    if parent_region_name == region.region:
        error = "REPLICATION_PRIMARY_INVALID_REGION"
    else:
        home = region.sandbox.region(region.account_id, parent_region_name)
        parent = home.identities.get(ident.name)
        if parent is None:
            error = "REPLICATION_PRIMARY_NOT_FOUND"
        elif parent.dkim_origin == "EXTERNAL":
            error = "REPLICATION_PRIMARY_BYO_DKIM_NOT_SUPPORTED"
        elif getattr(parent, "dkim_parent_region", None):
            error = "REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED"
        else:
            home.refresh(parent)
    ident.last_checked = clock
    if error is not None or parent is None:
        ident.dkim_tokens = []
        ident.verification_error = error
        ident.dkim_status = "FAILED"
        return
    ident.dkim_tokens = list(parent.dkim_tokens)
    ident.current_key_length = parent.current_key_length
    ident.next_key_length = parent.next_key_length
    ident.last_key_generation = parent.last_key_generation
    ident.soa = parent.soa
    ident.verification_error = parent.verification_error
    ident.dkim_status = parent.dkim_status
    if parent.dkim_status == "SUCCESS":
        ident.last_success = parent.last_success or clock
