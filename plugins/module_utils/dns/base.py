# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider interface and the shared change core (the record model itself is in :mod:`rdata`).

Data flows one way: desired records -> current rrsets (provider.read) -> changes (pure) -> provider.apply
unless in check mode -> result with diff. Providers only read rrsets and apply a list of changes.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import (  # noqa: F401 pylint: disable=unused-import
    DeliverabilityError, DnsError, InputError)
# the record model and the TXT encoder live in rdata.py (pure); these names are used here and re-exported
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import (
    RECORD_TYPES, Record, fqdn, normalize_value)
from ansible_collections.deliverability.ses.plugins.module_utils import validate

DNS_PIP_HINT = "pip install dnspython (see requirements.txt) on the host that runs the module"


# ----------------------------------------------------------------------------------------- names
def absolute_name(name, zone, option="name"):
    """A record name given as FQDN, FQDN with a dot, relative to the zone, or ``@`` -> FQDN in ``zone``."""
    zone = fqdn(zone)
    if name is None:
        raise InputError(option, "a record name is required")
    raw = str(name)
    if raw in ("", "@"):
        return zone
    # CR/LF, spaces or hidden characters in a name would inject lines into a zone file (provider none)
    raw = validate.dns_name(raw, option)
    absolute = raw.endswith(".")
    name = fqdn(raw)
    if name == zone or name.endswith("." + zone):
        return _checked_name(name, raw, option)
    if absolute or _looks_fully_qualified(name):
        raise InputError(option, "%r is not inside zone %s: give a name in the zone (www.%s), a name relative to "
                                 "it (www, s1._domainkey) or @ for the apex" % (raw, zone, zone))
    return _checked_name("%s.%s" % (name, zone), raw, option)


def _looks_fully_qualified(name):
    """A multi-label name whose last label is a host-name label (``www.example.org``) was meant as a full name:
    appending the zone (``www.example.org.example.com``) would publish junk. Relative names with several labels
    end in an underscore label (``s1._domainkey``, ``_mta-sts``) or are given in full."""
    labels = name.split(".")
    return len(labels) > 1 and not labels[-1].startswith("_")


def _checked_name(name, raw, option):
    """DNS length rules (labels 1-63 octets, name at most 253), checked here rather than by dnspython deep
    inside a provider, where they surfaced as an unhandled exception."""
    labels = name.split(".")
    if any(not label for label in labels):
        raise InputError(option, "%r has an empty label" % raw)
    if any(len(label.encode("utf-8")) > 63 for label in labels) or len(name) > 253:
        raise InputError(option, "%r is too long (labels at most 63 octets, names at most 253)" % raw)
    return name


def checked_value(rtype, value, option):
    """A value the user gives, before it is normalised: only spaces separate the fields of non-TXT values, so a
    CR/LF (a new zone-file line), a NUL or a hidden character is refused, and host names are checked as names.
    (TXT strings may hold anything: they are quoted and escaped in the zone file.)"""
    if rtype == "TXT" or value is None:
        return value
    text = validate.text(str(value), option, max_len=4096)
    fields = text.split()
    hosts = {"CNAME": fields[-1:], "NS": fields[-1:], "PTR": fields[-1:], "MX": fields[1:2], "SRV": fields[3:4]}
    for host in hosts.get(rtype, []):
        if host != ".":
            validate.dns_name(host, option, relative=False)
    return text


# ----------------------------------------------------------------------------------------- changes
class Change:
    """What one rrset becomes: ``before`` (None = absent) -> ``after`` (None = deleted)."""

    __slots__ = ("before", "after")

    def __init__(self, before, after):
        self.before = before
        self.after = after

    @property
    def action(self):
        if self.before is None:
            return "create"
        if self.after is None:
            return "delete"
        return "update"

    @property
    def key(self):
        return (self.before or self.after).key

    def to_dict(self):
        return {"action": self.action, "name": self.key[0], "type": self.key[1],
                "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None}


class Provider:
    """A DNS backend. Subclasses set ``name`` and implement ``read`` and ``apply``; nothing else.

    Built from the DNS options (``params``) and a client factory (``clients``), never from the module.

    ``read(keys)`` returns ``{(name, type): Record}`` for the rrsets that exist (canonical values);
    ``apply(changes)`` writes a list of :class:`Change` so that a concurrent change is not clobbered
    (the ``before`` of each change is a precondition) or raises :class:`DnsError`.
    """

    name = None
    writes = True
    write_operation = "write"  # what a write is called in results and errors (Route 53: ChangeResourceRecordSets)

    @classmethod
    def directory(cls, params, zones, clients):
        """What this provider can learn once for many zones (Route 53: every hosted zone id in one listing instead
        of one lookup per zone), handed to each provider built with ``get_provider(..., directory=...)``; None when
        there is nothing to learn."""
        return None

    def __init__(self, zone, params, clients=None):
        """``clients(service)`` returns a boto3 client for an AWS service (only providers that call AWS use
        it); providers never see the module, so the fleet and plain scripts build them the same way."""
        self.zone = fqdn(zone)
        self.params = params
        self.clients = clients

    def read(self, keys):
        raise NotImplementedError

    def apply(self, changes):
        raise NotImplementedError

    def read_zone(self):
        """Every rrset of the zone in as few requests as the backend allows (``{key: Record}``), or None
        when the backend cannot list a zone; callers then read the keys they need with ``read``."""
        return None


# ----------------------------------------------------------------------------------------- desired state
class Desired:
    """One desired rrset change as the user asked for it."""

    __slots__ = ("name", "type", "values", "ttl", "state", "exclusive")

    def __init__(self, name, rtype, values, ttl=None, state="present", exclusive=False):
        self.name = name
        self.type = rtype
        self.values = values
        self.ttl = ttl
        self.state = state
        self.exclusive = exclusive


def desired_from_params(records, zone, option="records"):
    """Validate and normalise the ``records`` option into :class:`Desired` items."""
    out = []
    seen = {}
    for idx, rec in enumerate(records or []):
        where = "%s[%d]" % (option, idx)
        if not isinstance(rec, dict):
            raise InputError(where, "each record is a dictionary with name, type and values")
        rtype = str(rec.get("type") or "").upper()
        if rtype not in RECORD_TYPES:
            raise InputError(where + ".type", "%r is not one of %s" % (rec.get("type"), ", ".join(RECORD_TYPES)))
        name = absolute_name(rec.get("name"), zone, where + ".name")
        raw = rec.get("values")
        if raw is None and rec.get("value") is not None:
            raw = [rec.get("value")]
        if isinstance(raw, str):
            raw = [raw]
        state = rec.get("state") or "present"
        if state not in ("present", "absent"):
            raise InputError(where + ".state", "%r is not one of present, absent" % state)
        values = [normalize_value(rtype, checked_value(rtype, v, where + ".values"), where + ".values")
                  for v in (raw or [])]
        if state == "present" and not values:
            raise InputError(where + ".values", "at least one value is required with state=present")
        if rtype == "CNAME" and len(set(values)) > 1:
            raise InputError(where + ".values", "a CNAME has exactly one value, got %d" % len(set(values)))
        ttl = rec.get("ttl")
        if ttl is not None:
            ttl = validate.ttl(ttl, where + ".ttl")
        if (name, rtype) in seen:
            raise InputError(where, "%s %s is already given as %s; give each name and type once"
                             % (name, rtype, seen[(name, rtype)]))
        seen[(name, rtype)] = where
        out.append(Desired(name, rtype, values, ttl, state, bool(rec.get("exclusive", False))))
    return out


def plan(desired, current, default_ttl=300):
    """Pure: the changes that bring ``current`` ({key: Record}) to ``desired`` (list of Desired).

    ``present`` adds the given values and keeps other values of the same name and type unless
    ``exclusive``; ``absent`` removes the given values (all of them when none are given, or with
    ``exclusive``). A CNAME is single-valued, so ``present`` replaces it.
    """
    changes = []
    for d in desired:
        before = current.get((d.name, d.type))
        have = set(before.values) if before else set()
        want = set(d.values)
        if d.state == "present":
            after_values = want if (d.exclusive or d.type == "CNAME") else have | want
        elif d.exclusive or not want:
            after_values = set()
        else:
            after_values = have - want
        ttl = d.ttl if d.ttl is not None else (before.ttl if before and before.ttl is not None else default_ttl)
        after = Record(d.name, d.type, after_values, ttl) if after_values else None
        if before is None and after is None:
            continue
        if before is not None and after is not None and before == after:
            continue
        changes.append(Change(before, after))
    return changes


def run_changes(provider, desired, check_mode=False, default_ttl=300, partial=None, current=None):
    """Read, plan and (unless check mode) apply; returns the result fields every DNS module shares.

    ``current`` ({key: Record or None}) is what the caller already read and planned from: those rrsets are not
    read again, so the change is applied against the read it was planned from, and the providers' preconditions
    (Route 53's exact DELETE, RFC 2136 prerequisites) refuse it when the rrset changed in between, instead of a
    second read silently dropping the value that appeared."""
    keys = [(d.name, d.type) for d in desired]
    known = dict(current or {})
    missing = [k for k in keys if k not in known]
    current = {k: v for k, v in known.items() if v is not None}
    if missing:
        current.update(provider.read(missing))
    changes = plan(desired, current, default_ttl)
    if changes and not check_mode and provider.writes:
        try:
            provider.apply(changes)
        except DeliverabilityError:
            # a provider that got some changes accepted before failing (Route 53: a batch submitted, then
            # GetChange failed) says how many; the failure reports them instead of hiding them
            submitted = getattr(provider, "submitted", 0)
            if partial is not None and submitted:
                partial.update(changed=True, changes=[c.to_dict() for c in changes[:submitted]])
            raise
        if partial is not None:
            # a later failure (another rrset, a lookup) still reports this write, and says changed
            partial["changed"] = True
            partial.setdefault("changes", []).extend(c.to_dict() for c in changes)
    final = dict(current)
    for c in changes:
        if c.after is None:
            final.pop(c.key, None)
        else:
            final[c.key] = c.after
    records = [final[k] for k in keys if k in final]
    result = {
        "changed": bool(changes) and provider.writes,
        "changes": [c.to_dict() for c in changes],
        "records": [r.to_dict() for r in records],
        "zone_lines": [line for r in records for line in r.zone_lines()],
        "diff": diff_of(changes),
    }
    return result


def diff_of(changes):
    """``{before, after}`` as YAML-friendly text keyed by ``name TYPE``, only for the changed rrsets."""
    before, after = {}, {}
    for c in changes:
        label = "%s %s" % c.key
        if c.before is not None:
            before[label] = {"ttl": c.before.ttl, "values": list(c.before.values)}
        if c.after is not None:
            after[label] = {"ttl": c.after.ttl, "values": list(c.after.values)}
    return {"before": before, "after": after}
