# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What onboarding found in DNS, and how offboarding puts it back (pure).

Onboarding keeps, for every rrset it is about to write, what it was before (``None`` = absent, else its TTL
and values) and, once it is done, what it left (``after``). The journal is a dict keyed ``"name TYPE"``::

    {"mail.example.com TXT": {"name": ..., "type": "TXT", "before": None | {"ttl": 300, "values": [...]},
                              "after": None | {...}}}      # "after" missing: onboarding never finished

Offboarding undoes exactly what onboarding did and keeps what others did since, from three readings of each
rrset - before onboarding, after onboarding, now:

- the values onboarding added (after - before) are removed, and the values it replaced (before - after) come
  back - unless one of the values it added has been edited away since (someone changed the SPF record
  after onboarding: putting the old one back would make two SPF records), then the rrset is left as it is now;
- the TTL goes back to the one found, unless someone changed it since onboarding;
- an rrset that was absent and holds nothing else now is removed whole;
- when onboarding never recorded what it left, the rrset is put back exactly as it was found.
"""

from __future__ import annotations


def key(name, rtype):
    return "%s %s" % (str(name).rstrip(".").lower(), str(rtype).upper())


def _state(rec):
    """{"ttl", "values"} of an rrset as dns_records returns it, or None."""
    if not rec:
        return None
    return {"ttl": rec.get("ttl"), "values": sorted(rec.get("values") or [])}


def current_from_read(read_changes):
    """The rrsets as they are now, from a check-mode dns_records read (``state: absent`` for each key: the
    ``before`` of each change is the rrset as read; an rrset without a change does not exist)."""
    out = {}
    for change in read_changes or []:
        before = change.get("before")
        if before:
            out[key(before["name"], before["type"])] = _state(before)
    return out


def record_found(found, asked, read_changes, field="before"):
    """The journal with what a read saw: ``field="before"`` adds the rrsets not yet in the journal (an rrset
    already there keeps the state it had before the first onboarding run); ``field="after"`` sets what
    onboarding left on the rrsets the journal holds. ``asked`` is the list of ``{name, type}`` read."""
    out = {k: dict(v) for k, v in (found or {}).items()}
    now = current_from_read(read_changes)
    for rec in asked or []:
        k = key(rec["name"], rec["type"])
        if field == "before":
            if k not in out:
                out[k] = {"name": str(rec["name"]).rstrip(".").lower(), "type": str(rec["type"]).upper(),
                          "before": now.get(k)}
        elif k in out:
            out[k]["after"] = now.get(k)
    return out


def restore_records(found, read_changes):
    """The dns_records entries that put every rrset of the journal back as onboarding found it (see above).
    ``read_changes``: a check-mode dns_records read of the same keys (``current_from_read``)."""
    now = current_from_read(read_changes)
    out = []
    for k in sorted(found or {}):
        entry = found[k]
        before = entry.get("before")
        cur = now.get(k)
        after = entry["after"] if "after" in entry else cur  # never recorded: what is there is onboarding's
        had = set(before["values"]) if before else set()
        left = set(after["values"]) if after else set()
        has = set(cur["values"]) if cur else set()
        added, replaced = left - had, had - left
        values = has - added
        if added <= has:
            values |= replaced
        if before and (cur is None or after is None or cur["ttl"] == after["ttl"]):
            ttl = before["ttl"]
        else:
            ttl = cur["ttl"] if cur else None
        if values:
            rec = {"name": entry["name"], "type": entry["type"], "values": sorted(values), "exclusive": True}
            if ttl is not None:
                rec["ttl"] = ttl
            out.append(rec)
        elif cur is not None:
            out.append({"name": entry["name"], "type": entry["type"], "state": "absent", "exclusive": True})
    return out


def summary(changes):
    """Each change of a dns_records result once: ``{name, type, before, after}`` (``None`` = absent), in the
    order applied, a later change of the same rrset replacing an earlier one's ``after``."""
    out, index = [], {}
    for change in changes or []:
        k = key(change["name"], change["type"])
        item = {"name": change["name"], "type": change["type"], "before": _state(change.get("before")),
                "after": _state(change.get("after"))}
        if k in index:
            out[index[k]]["after"] = item["after"]
        else:
            index[k] = len(out)
            out.append(item)
    return out
