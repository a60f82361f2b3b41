"""Route 53's change-batch rules, which moto checks loosely: a batch is validated as a whole against the zone as it
is, and applied only if every change holds (atomic), as the Route 53 API reference documents for
ChangeResourceRecordSets:

- CREATE fails when a record set of the same name AND type (and set identifier) exists - moto listed record sets
  *from* the name, so a later-sorting record counted as a match (onboard -> offboard -> onboard failed on an MX);
- DELETE must name the record set exactly as it is (TTL and every value), else "the values provided do not match
  the current values" - moto deleted whatever had the name, so a change planned from an old read silently dropped
  a value added since (the lost-update the collection's plan-from-one-read rule relies on Route 53 to refuse);
- changes apply in order, so DELETE then CREATE of one name in one batch is the way to replace it.

And a new hosted zone's SOA record holds the SOA's text, as Route 53 lists it (moto stored a stringified dict,
which no DNS answer could carry). Zone and record names are stored in lower case, as Route 53 stores them "regardless
of how you specify them" (moto refused `MAIL.example.com` in the zone `example.com` as a name outside the zone).
"""

from __future__ import annotations

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend

_INSTALLED = []


class _BatchRefused(Route53ClientError):
    def __init__(self, message):
        super().__init__("InvalidChangeBatch", "[%s]" % message)


def _key(rrset):
    name = rrset["Name"].lower()
    return (name if name.endswith(".") else name + "."), rrset["Type"], rrset.get("SetIdentifier")


def _content(rrset):
    values = rrset.get("ResourceRecords") or []
    values = sorted(v["Value"] if isinstance(v, dict) else v for v in values)
    alias = rrset.get("AliasTarget")
    ttl = rrset.get("TTL")
    return (None if ttl is None else int(ttl)), tuple(values), repr(alias) if alias else None


def _current(zone):
    out = {}
    for rs in zone.rrsets:
        rrset = {"Name": rs.name, "Type": rs.type, "SetIdentifier": rs.set_identifier, "TTL": rs.ttl,
                 "ResourceRecords": rs.records, "AliasTarget": getattr(rs, "alias_target", None)}
        out[_key(rrset)] = _content(rrset)
    return out


def _lower(change):
    rrset = change.get("ResourceRecordSet")
    if not rrset or not isinstance(rrset.get("Name"), str):
        return change
    return dict(change, ResourceRecordSet=dict(rrset, Name=rrset["Name"].lower()))


def validate_batch(zone, change_list):
    """Raise InvalidChangeBatch (every problem in the batch, as Route 53 lists them) unless every change holds."""
    state = _current(zone)
    problems = []
    for change in change_list:
        rrset = change.get("ResourceRecordSet") or {}
        if "Name" not in rrset or "Type" not in rrset:
            continue  # moto's own validation answers these
        key = _key(rrset)
        label = "[name='%s', type='%s'%s]" % (key[0], key[1], ", set-identifier='%s'" % key[2] if key[2] else "")
        action = change.get("Action")
        if action == "CREATE":
            if key in state:
                problems.append("Tried to create resource record set %s but it already exists" % label)
            state[key] = _content(rrset)
        elif action == "DELETE":
            if key not in state:
                problems.append("Tried to delete resource record set %s but it was not found" % label)
            elif state[key] != _content(rrset):
                problems.append("Tried to delete resource record set %s but the values provided do not match the "
                                "current values" % label)
            state.pop(key, None)
        elif action == "UPSERT":
            state[key] = _content(rrset)
    if problems:
        raise _BatchRefused(", ".join(problems))


def install():
    """Wrap moto's ChangeResourceRecordSets with the rules above (once per process)."""
    if _INSTALLED:
        return
    original = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):
        validate_batch(self.get_hosted_zone(zoneid), change_list)
        # validated here against the zone as it is: moto's looser CREATE check (by name range) must not refuse
        # a CREATE that holds, and the create itself is the same as an UPSERT of a record set that does not exist
        relaxed = [dict(_lower(c), Action="UPSERT") if c.get("Action") == "CREATE" else _lower(c) for c in change_list]
        return original(self, zoneid, relaxed)

    Route53Backend.change_resource_record_sets = change_resource_record_sets
    _INSTALLED.append(original)

    original_create = Route53Backend.create_hosted_zone

    def create_hosted_zone(self, name, *args, **kwargs):
        zone = original_create(self, name.lower(), *args, **kwargs)
        for rs in zone.rrsets:
            if rs.type == "SOA":
                rs.records = [r["Value"] if isinstance(r, dict) else r for r in rs.records]
        return zone

    Route53Backend.create_hosted_zone = create_hosted_zone
