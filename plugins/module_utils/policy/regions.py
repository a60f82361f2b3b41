# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""More than one SES region: which region names a run may take, and one suppression list across regions.

Pure: the caller reads each region's account-level suppression list and passes it in; the plan says which
address to write in which region. The rule, as SES keeps one region's list: the latest event wins (a later
bounce or complaint replaces the reason of an earlier one). Across regions that means: for every address on
any region's list, the entry with the latest ``last_update_time`` is the truth, and every region that lacks
the address, or holds it with another reason, gets that reason. Two events at the same instant with different
reasons: COMPLAINT wins (the stronger signal; the one a recipient asked for). The sync only adds and updates,
never removes: a delist is a deliberate act done in every region (``suppressed_destination`` per region).
"""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils import validate

REASON_RANK = {"BOUNCE": 0, "COMPLAINT": 1}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def check_regions(values, option, known=None, minimum=1):
    """The region names of ``option``, in the order given.

    One InputError naming ``option`` for: not a list, fewer than ``minimum``, a value that is not a region name
    (``validate.aws_region``: as AWS writes them, lower case, nothing around), a name not in ``known`` (when given:
    the regions where SES v2 has an endpoint), a duplicate.
    """
    if not isinstance(values, (list, tuple)):
        raise InputError(option, "must be a list of region names, got %s" % type(values).__name__)
    out = []
    for value in values:
        if not isinstance(value, str):
            raise InputError(option, "%r is not an AWS region name" % (value,))
        validate.aws_region(value, option)
        if known is not None and value not in known:
            raise InputError(option, "unknown region %r: SES has no endpoint there; known regions: %s"
                             % (value, ", ".join(sorted(known))))
        if value in out:
            raise InputError(option, "region %s is listed twice; give each region once" % value)
        out.append(value)
    if len(out) < minimum:
        raise InputError(option, "needs at least %d region(s), got %d" % (minimum, len(out)))
    return out


def other_regions(values, home, option="regions", known=None):
    """The regions of ``option`` besides ``home`` (the module's own), in the order given, by :func:`check_regions`'s
    rule; none given: none. For the read-only paths that read the other regions side by side with their own."""
    if not values:
        return []
    return [r for r in check_regions(values, option, known=known) if r != home]


def address_key(email):
    """How SES compares addresses on the suppression list: the domain case-insensitively, the local part as given."""
    local, _at, domain = (email or "").strip().rpartition("@")
    return "%s@%s" % (local, domain.lower().rstrip("."))


def parse_time(value):
    """An ISO 8601 time (``Z`` or an offset; naive means UTC) as an aware datetime; unreadable or missing: the
    epoch, so an entry whose time cannot be read never wins over one whose time can."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not isinstance(value, str) or not value:
        return EPOCH
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def latest(candidates):
    """The winning (region, entry) of one address: latest time, then COMPLAINT over BOUNCE, then the region
    given first."""
    best = None
    best_key = None
    for index, (region, entry) in enumerate(candidates):
        key = (parse_time(entry.get("last_update_time")), REASON_RANK.get(entry.get("reason"), -1), -index)
        if best_key is None or key > best_key:
            best, best_key = (region, entry), key
    return best


def plan_sync(listings, regions):
    """The writes that make every region's list hold the union.

    ``listings``: {region: iterable of {email_address, reason, last_update_time}}; ``regions`` the order.
    Returns {"union": n, "writes": [...], "regions": {region: {listed, put, update, in_sync}}}; each write is
    {region, email, action (put|update), reason, previous_reason, previous_time, source_region, source_time},
    sorted by region (in ``regions`` order) then address, so a run and its check-mode preview list the same.
    """
    by_region = {}
    for region in regions:
        current = {}
        for entry in listings.get(region) or ():
            current[address_key(entry.get("email_address"))] = entry
        by_region[region] = current
    union = set()
    for current in by_region.values():
        union.update(current)
    stats = dict((r, {"listed": len(by_region[r]), "put": 0, "update": 0, "in_sync": 0}) for r in regions)
    writes = []
    for key in sorted(union):
        source_region, winner = latest([(r, by_region[r][key]) for r in regions if key in by_region[r]])
        for region in regions:
            have = by_region[region].get(key)
            if have is not None and have.get("reason") == winner.get("reason"):
                stats[region]["in_sync"] += 1
                continue
            action = "put" if have is None else "update"
            stats[region][action] += 1
            writes.append({
                "region": region, "email": winner.get("email_address"), "action": action,
                "reason": winner.get("reason"),
                "previous_reason": have.get("reason") if have else None,
                "previous_time": have.get("last_update_time") if have else None,
                "source_region": source_region, "source_time": winner.get("last_update_time"),
            })
    order = dict((r, i) for i, r in enumerate(regions))
    writes.sort(key=lambda w: (order[w["region"]], address_key(w["email"])))
    return {"union": len(union), "writes": writes, "regions": stats}


def diff_of(writes):
    """{before: {region: {email: reason or None}}, after: {region: {email: reason}}} of the planned writes."""
    before, after = {}, {}
    for w in writes:
        before.setdefault(w["region"], {})[w["email"]] = w["previous_reason"]
        after.setdefault(w["region"], {})[w["email"]] = w["reason"]
    return {"before": before, "after": after}
