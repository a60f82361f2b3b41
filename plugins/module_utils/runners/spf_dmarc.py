# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SPF and DMARC modules' I/O: read the TXT rrset, ask the pure planner (``policy.domain``) for the one
record, publish it through the shared change core, leaving every other TXT value of the name alone.

No rule lives here: refusals, warnings and records all come from ``policy.domain``."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Desired, normalize_value, run_changes
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider, lookup_resolver
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc as dmarc_rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy import domain as planner
from ansible_collections.deliverability.ses.plugins.module_utils.policy import spf
from ansible_collections.deliverability.ses.plugins.module_utils import validate


POLICIES = list(dmarc_rules.POLICIES)
# The DMARC record options, one spec for the dmarc module and domain_policy's per-domain dmarc entries, so
# both type and validate them alike (a string "false" is False in either).
DMARC_RECORD_SPEC = dict(
    policy=dict(type="str", choices=POLICIES),
    subdomain_policy=dict(type="str", choices=POLICIES),
    nonexistent_policy=dict(type="str", choices=POLICIES),
    psd=dict(type="str", choices=["y", "n", "u"]),
    test_mode=dict(type="bool"),
    pct=dict(type="int"),
    legacy_tags=dict(type="bool", default=False),
    migrate_legacy=dict(type="bool", default=False),
    rua=dict(type="list", elements="str"),
    ruf=dict(type="list", elements="str"),
    adkim=dict(type="str", choices=["r", "s"]),
    aspf=dict(type="str", choices=["r", "s"]),
    fo=dict(type="str"),
    allow_downgrade=dict(type="bool", default=False),
    advance=dict(type="bool", default=False),
    stages=dict(type="list", elements="dict", options=dict(
        policy=dict(type="str", required=True, choices=POLICIES),
        test_mode=dict(type="bool", default=False),
        pct=dict(type="int"),
    )),
)


def merge_results(results):
    """Combine several run_changes results into one (changed, changes, records, zone_lines, diff)."""
    out = {"changed": False, "changes": [], "records": [], "zone_lines": [], "diff": {"before": {}, "after": {}}}
    for r in results:
        out["changed"] = out["changed"] or r["changed"]
        for key in ("changes", "records", "zone_lines"):
            out[key].extend(r[key])
        out["diff"]["before"].update(r["diff"]["before"])
        out["diff"]["after"].update(r["diff"]["after"])
    return out


def to_desired(records, ttl=None):
    """The planner's records (dicts) -> dns.base.Desired for the change core."""
    return [Desired(r["name"], r["type"], [v if r["type"] == "TXT" else normalize_value(r["type"], v) for v in r["values"]],
                    ttl=ttl, state="present", exclusive=r.get("exclusive", False))
            for r in records]


def lazy_lookup(params):
    """A resolve(name, rtype) that builds the lookup resolver on first use (none is needed without outside
    destinations); a resolver that cannot be built fails that lookup, which the planner reports."""
    holder = []

    def resolve(name, rtype):
        if not holder:
            holder.append(lookup_resolver(params))
        return holder[0].lookup(name, rtype)
    return resolve


def raise_refusal(refused):
    """A planner refusal as the module's one error: the option's error when the input is wrong."""
    if refused.get("option"):
        raise InputError(refused["option"], refused["msg"])
    raise DeliverabilityError(refused["msg"], **refused.get("details", {}))


# ----------------------------------------------------------------------------------------- options
def check_common_options(params):
    """Options checked before any DNS query: the TTL, and free text with control or invisible characters."""
    if params.get("ttl") is not None:
        validate.ttl(params["ttl"], "ttl")
    for option in ("mechanisms", "remove", "rua", "ruf", "report_zones"):
        for value in params.get(option) or []:
            validate.text(value, option, max_len=2048)
    if params.get("fo") is not None:
        validate.text(params["fo"], "fo", max_len=64)


def check_dmarc_options(domain, params):
    """The DMARC options alone, before the current record is read: the planner (the one owner of the tag
    rules) plans them against no record; a refusal that names an option is the user's input at fault."""
    check_common_options(params)

    def no_lookup(name, rtype):
        raise DeliverabilityError("no lookup while checking options")

    opts = dict(params, policy=params.get("policy") or "none", advance=False, external_destinations="ignore")
    planned = planner.dmarc_plan(domain, [], opts, resolve=no_lookup, report_zones=())
    if planned["refusal"] and planned["refusal"].get("option"):
        raise_refusal(planned["refusal"])


# ----------------------------------------------------------------------------------------- SPF
def ensure_spf(params, module, check_mode, partial, warn):
    domain = normalize_domain(params["domain"], "domain")
    check_common_options(params)
    provider = get_provider(params, module, zone=params.get("zone") or domain)
    try:
        adds = [spf.parse_term(m.strip()).raw for m in params["mechanisms"] or []]
    except spf.SpfError as exc:
        raise InputError("mechanisms", str(exc))
    try:
        [spf.parse_term(m.strip()) for m in params["remove"] or []]
    except spf.SpfError as exc:
        raise InputError("remove", str(exc))
    resolver = lookup_resolver(params)  # built before any read or write: a bad nameserver fails first
    read = {(domain, "TXT"): provider.read([(domain, "TXT")]).get((domain, "TXT"))}
    current = read[(domain, "TXT")]
    planned = planner.spf_plan(domain, list(current.values) if current else [], adds, params["remove"] or [],
                               params["all_qualifier"], force=params["force"], resolve=resolver.lookup)
    for msg in planned["warnings"]:
        warn(msg)
    if planned["refusal"]:
        raise_refusal(planned["refusal"])
    # applied against the read it was planned from (not a second read: a value added meanwhile would be dropped)
    result = run_changes(provider, to_desired(planned["records"], params.get("ttl")), check_mode=check_mode,
                         partial=partial, current=read)
    result.update(record=planned["record"], previous=planned["previous"], lookups=planned["lookups"])
    return result


# ----------------------------------------------------------------------------------------- DMARC
def ensure_dmarc(params, module, check_mode, partial, warn, gate=None):
    domain = normalize_domain(params["domain"], "domain")
    name = "_dmarc." + domain
    zones = [normalize_domain(z, "report_zones") for z in params.get("report_zones") or []]
    check_dmarc_options(domain, params)
    provider = get_provider(params, module, zone=params.get("zone") or domain)
    read = {(name, "TXT"): provider.read([(name, "TXT")]).get((name, "TXT"))}
    current_rrset = read[(name, "TXT")]
    # every lookup is made while planning, before the first write: a failing one cannot hide a write
    planned = planner.dmarc_plan(domain, list(current_rrset.values) if current_rrset else [], params,
                                 resolve=lazy_lookup(params), report_zones=zones, gate=gate)
    for msg in planned["warnings"]:
        warn(msg)
    if planned["refusal"]:
        raise_refusal(planned["refusal"])
    own = [r for r in planned["records"] if not r.get("zone")]
    results = [run_changes(provider, to_desired(own, params.get("ttl")), check_mode=check_mode, partial=partial,
                           current=read)]
    published = {}
    for rec in planned["records"]:
        if rec.get("zone"):
            r = run_changes(get_provider(params, module, zone=rec["zone"]), to_desired([rec], params.get("ttl")),
                            check_mode=check_mode, partial=partial)
            results.append(r)
            published[rec["name"]] = r["changed"]
    for entry in planned["report_authorizations"]:
        entry["published"] = published.get(entry["name"], False)
    result = merge_results(results)
    result.update(record=planned["record"], previous=planned["previous"], tags=planned["tags"],
                  downgrades=planned["downgrades"], downgrade_refused=planned["downgrade_refused"],
                  report_authorizations=planned["report_authorizations"], stage=planned["stage"],
                  obsolete_tags=planned["obsolete"], migrations=planned["migrations"], gate=planned["gate"])
    return result
