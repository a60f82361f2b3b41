# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""domain_policy's options and what they mean per domain, before any read: the argument spec (shared with the
per-domain overrides of ``domains``), the DomainSpec of each domain, and the pure plans the pass applies
(``ses_plan``, ``desired_records``, the DNS batches). runners/fleet.py reads, plans with these, and applies."""

from __future__ import annotations

import copy
import functools
import json
import re


from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils.policy import domain as planner
from ansible_collections.deliverability.ses.plugins.module_utils.policy import ses as ses_rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy import spf
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as tenant_rules
from ansible_collections.deliverability.ses.plugins.module_utils.runners.spf_dmarc import DMARC_RECORD_SPEC, to_desired

# per-domain keys a ``domains`` entry may override; everything else comes from the module's options
OVERRIDABLE = ("zone", "configuration_set", "mail_from_subdomain", "behavior_on_mx_failure", "dkim", "spf", "dmarc",
               "tenant", "regions")
# the module's own options that a ``domains`` entry may override; per-domain values are validated and typed
# with this same spec (defaults stripped), so "false" / "no" / "0" mean False there exactly as here
ARGUMENT_SPEC = dict(
    domains=dict(type="list", elements="raw", required=True),
    dkim=dict(type="dict", default={}, options=dict(
        key_length=dict(type="str", choices=["RSA_1024_BIT", "RSA_2048_BIT"]),
        signing_enabled=dict(type="bool", default=True),
    )),
    configuration_set=dict(type="str"),
    mail_from_subdomain=dict(type="str"),
    behavior_on_mx_failure=dict(type="str", choices=["USE_DEFAULT_VALUE", "REJECT_MESSAGE"],
                                default="USE_DEFAULT_VALUE"),
    spf=dict(type="dict", default={}, options=dict(
        enabled=dict(type="bool", default=True),
        mechanisms=dict(type="list", elements="str", default=list(spf.DEFAULT_MECHANISMS)),
        all_qualifier=dict(type="str", choices=["-", "~", "?", "+"]),
        force=dict(type="bool", default=False),
    )),
    dmarc=dict(type="dict", default={}, options=dict(
        enabled=dict(type="bool", default=True),
        **DMARC_RECORD_SPEC,
        require_evidence=dict(type="bool", default=True),
        external_destinations=dict(type="str", choices=["check", "ignore"], default="check"),
    )),
    tenant=dict(type="dict", options=dict(
        name=dict(type="str"),
        reputation_policy=dict(type="str", choices=["standard", "strict", "none"]),
        exclusive=dict(type="bool", default=False),
    )),
    regions=dict(type="list", elements="str"),  # checked by runners/fleet_regions.py before any request
    resolvers=resolvers_spec(env=True),
    dns_ttl=dict(type="int", default=1800),
    workers=dict(type="int", default=8),
    fail_on_error=dict(type="bool", default=True),
    retry_mode=dict(type="str", choices=["standard", "adaptive"], default="adaptive"),
    audit_log=dict(type="path", default="~/.ansible/deliverability-ses-audit.jsonl"),
)
DMARC_KEYS = tuple(ARGUMENT_SPEC["dmarc"]["options"])
SPF_KEYS = tuple(ARGUMENT_SPEC["spf"]["options"])
DKIM_KEYS = tuple(ARGUMENT_SPEC["dkim"]["options"])
BATCH_CHANGES = 100  # rrset changes per DNS write (Route 53's batch of this collection; one UPDATE message)
MAX_WARNINGS = 20


def _without_defaults(spec):
    out = {}
    for key, opts in spec.items():
        opts = dict(opts)
        opts.pop("default", None)
        if "options" in opts:
            opts["options"] = _without_defaults(opts["options"])
        out[key] = opts
    return out


# a per-domain entry: ``name`` and the overridable options, typed like the module's (no defaults: what an
# entry does not say comes from the module's options, merged key by key)
ENTRY_SPEC = dict(_without_defaults({k: ARGUMENT_SPEC[k] for k in OVERRIDABLE if k in ARGUMENT_SPEC}),
                  zone=dict(type="str"), name=dict(type="raw"))


class DomainSpec:
    """What one domain should look like, options merged and validated."""

    __slots__ = ("index", "name", "zone", "configuration_set", "mail_from_domain", "behavior_on_mx_failure",
                 "dkim", "spf", "dmarc", "tenant", "regions")

    def __init__(self, index, name, zone, configuration_set, mail_from_domain, behavior, dkim, spf_opts, dmarc,
                 tenant=None, regions=None):
        self.index = index
        self.name = name
        self.zone = zone
        self.configuration_set = configuration_set
        self.mail_from_domain = mail_from_domain
        self.behavior_on_mx_failure = behavior
        self.dkim = dkim
        self.spf = spf_opts
        self.dmarc = dmarc
        self.tenant = tenant
        self.regions = regions  # primary first; set by runners/fleet_regions.py once checked

    def as_dict(self):
        """The spec as the planner (``policy.domain``) takes it."""
        return {k: getattr(self, k) for k in self.__slots__}


# ---------------------------------------------------------------------------------------------- specs (pure)
def _copied(value):
    """A deep copy of option data (dicts, lists, scalars), without ``copy.deepcopy``'s memo: five times faster, and
    the fleet copies four option dicts per domain."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, (str, int, float, bool, type(None), tuple)):
        return value
    return copy.deepcopy(value)


def _merged(defaults, override, given):
    """The module's option dict with the keys an entry gave (``given``: the entry's raw sub-dict) on top."""
    out = _copied(dict(defaults or {}))
    if override is None:
        return out
    out.update({k: v for k, v in override.items() if k in (given or {})})
    return out


_ARG_ERRORS = (
    (re.compile(r"^argument '([^']+)' is of type .* found in '([^']+)'"), lambda m: m.group(2) + "." + m.group(1)),
    (re.compile(r"^argument '([^']+)' is of type"), lambda m: m.group(1)),
    (re.compile(r"^value of ([^ ]+) must be one of.* found in (.+)$"), lambda m: m.group(2) + "." + m.group(1)),
    (re.compile(r"^value of ([^ ]+) must be one of"), lambda m: m.group(1)),
    (re.compile(r"^missing required arguments: ([^ ]+) found in (.+)$"), lambda m: m.group(2) + "." + m.group(1)),
    (re.compile(r"^([\w.]+)\. Supported parameters include"), lambda m: m.group(1)),
    (re.compile(r"^elements of ([^ ]+) .* found in (.+)$"), lambda m: m.group(2) + "." + m.group(1)),
)


def _field(message):
    """The dotted option path an ansible-core validation message is about (None when it does not say)."""
    for pattern, path in _ARG_ERRORS:
        m = pattern.match(message)
        if m:
            return path(m).replace(" -> ", ".")
    return None


def validate_entry(entry, where):
    """Type and check one ``domains`` entry with the module's own argument spec (ansible-core's validator, so
    strings become booleans / numbers exactly as for the module's options). Raises InputError naming the
    field (``domains[3].dmarc.allow_downgrade``)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    unknown = sorted(set(entry) - set(OVERRIDABLE) - {"name"})
    if unknown:
        raise InputError(where, "unknown key(s) %s (allowed: name, %s)" % (", ".join(unknown), ", ".join(OVERRIDABLE)))
    for key in ("dkim", "spf", "dmarc"):
        if key in entry and entry[key] is not None and not isinstance(entry[key], dict):
            raise InputError("%s.%s" % (where, key), "must be a dictionary, got %r" % (entry[key],))
    result = ArgumentSpecValidator(ENTRY_SPEC).validate(dict(entry))
    if result.errors.errors:
        err = result.errors.errors[0]
        field = _field(err.error_message)
        raise InputError("%s.%s" % (where, field) if field else where, err.error_message)
    return result.validated_parameters


def _validated(entry, where, cache):
    """validate_entry, once per distinct set of overrides (``cache``: one run's): a fleet gives a thousand entries
    the same few overrides (a tenant each, 100 tenants), and ansible-core's validator costs 80 us an entry. The
    result depends on the overrides alone: only the name differs, and it is typed as given (a str)."""
    if not isinstance(entry.get("name"), str):
        return validate_entry(entry, where)
    try:
        key = json.dumps(dict((k, v) for k, v in entry.items() if k != "name"), sort_keys=True)
    except (TypeError, ValueError):
        return validate_entry(entry, where)
    if key not in cache:
        cache[key] = validate_entry(entry, where)  # an error is raised, never kept: the next entry says its own
    out = copy.deepcopy(cache[key])
    out["name"] = entry["name"]
    return out


@functools.lru_cache(maxsize=256)
def _normalized_zone(text):
    return normalize_domain(text, "zone")


def _zone_name(value, option):
    """``normalize_domain`` of a zone: a fleet names one zone for thousands of domains; an error names ``option``."""
    try:
        return _normalized_zone(value)
    except (InputError, TypeError):  # TypeError: not hashable; either way the uncached call says what is wrong
        return normalize_domain(value, option)


def domain_spec(index, entry, params, cache=None):
    """One ``domains`` entry (a name, or a dict with ``name`` and overrides) -> DomainSpec; raises InputError.
    ``cache``: the validated overrides of the entries before it (domain_specs)."""
    where = "domains[%d]" % index
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, dict):
        raise InputError(where, "each entry is a domain name or a dictionary with name and overrides")
    raw = entry
    if len(entry) != 1 or "name" not in entry:  # a bare name overrides nothing: nothing to type or check
        entry = validate_entry(entry, where) if cache is None else _validated(entry, where, cache)
    name = normalize_domain(entry.get("name"), where + ".name")

    def pick(key):
        return entry[key] if key in raw else params.get(key)

    zone = _zone_name(pick("zone"), where + ".zone") if pick("zone") else name
    if name != zone and not name.endswith("." + zone):
        raise InputError(where + ".zone", "%s is not inside zone %s" % (name, zone))
    dkim = _merged(params.get("dkim"), entry.get("dkim"), raw.get("dkim"))
    if dkim.get("key_length") is not None and dkim["key_length"] not in logic.KEY_LENGTHS:
        raise InputError(where + ".dkim.key_length",
                         "%r is not one of %s" % (dkim["key_length"], ", ".join(logic.KEY_LENGTHS)))
    spf_opts = _merged(params.get("spf"), entry.get("spf"), raw.get("spf"))
    try:
        spf_opts["mechanisms"] = [spf.parse_term(m.strip()).raw for m in spf_opts.get("mechanisms") or []]
    except spf.SpfError as exc:
        raise InputError(where + ".spf.mechanisms" if "mechanisms" in (raw.get("spf") or {}) else "spf.mechanisms",
                         str(exc))
    dmarc = _merged(params.get("dmarc"), entry.get("dmarc"), raw.get("dmarc"))
    cs = pick("configuration_set")
    if cs and not ses_rules.CONFIG_SET_NAME.fullmatch(cs):
        raise InputError(where + ".configuration_set", "%r is not a configuration set name" % cs)
    sub = pick("mail_from_subdomain")
    mail_from = None
    if sub:
        mail_from = logic.check_mail_from_domain("%s.%s" % (str(sub).strip().strip("."), name), name,
                                                 where + ".mail_from_subdomain")
    behavior = pick("behavior_on_mx_failure") or "USE_DEFAULT_VALUE"
    if behavior not in ("USE_DEFAULT_VALUE", "REJECT_MESSAGE"):
        raise InputError(where + ".behavior_on_mx_failure", "%r is not USE_DEFAULT_VALUE or REJECT_MESSAGE" % behavior)
    tenant = _merged(params.get("tenant"), entry.get("tenant"), raw.get("tenant"))
    if tenant.get("name"):
        where_t = where + ".tenant.name" if "name" in (raw.get("tenant") or {}) else "tenant.name"
        tenant["name"] = tenant_rules.tenant_name(tenant["name"], where_t)
    return DomainSpec(index, name, zone, cs, mail_from, behavior, dkim, spf_opts, dmarc,
                      tenant if tenant.get("name") else None, pick("regions"))


def domain_specs(params):
    """All entries -> (specs, failures): a bad entry becomes a failure of its own and does not stop the rest."""
    specs, failures, seen, cache = [], [], {}, {}
    for index, entry in enumerate(params.get("domains") or []):
        label = entry.get("name") if isinstance(entry, dict) else entry
        try:
            spec = domain_spec(index, entry, params, cache)
            if spec.name in seen:
                raise InputError("domains[%d]" % index, "%s is already listed as domains[%d]"
                                 % (spec.name, seen[spec.name]))
            seen[spec.name] = index
            specs.append(spec)
        except DeliverabilityError as exc:
            failures.append(failed_result(str(label), exc))
    return specs, failures


def unexpected(exc):
    """Any other exception of one domain's work, as an error of that domain (never a traceback)."""
    if isinstance(exc, DeliverabilityError):
        return exc
    return DeliverabilityError("%s: %s" % (type(exc).__name__, exc))


def failed_result(domain, exc, result=None):
    exc = unexpected(exc)
    out = dict(result or {"domain": domain, "changed": False})
    out.update(failed=True, msg=getattr(exc, "msg", None) or str(exc))
    for key in ("operation", "error_code", "rcode", "option", "rule"):
        value = getattr(exc, "details", {}).get(key)
        if value is not None:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------- plans (pure)
def ses_plan(spec, ident):
    """Desired vs current identity -> (actions, before, after): ``policy.domain.ses_plan`` for a DomainSpec."""
    return planner.ses_plan(spec.as_dict(), ident)


def desired_records(spec, tokens, byodkim, current, region, warn, resolve=None, gate=None):
    """The rrsets this domain needs, given the DKIM tokens (None when not known yet) and the zone snapshot.

    Every rule is the planner's (``policy.domain.plan_records``); this only turns its records into
    ``dns.base.Desired`` and its warnings into calls of ``warn``. Returns (list of Desired, info) where info
    holds the SPF / DMARC records and any downgrade; raises DeliverabilityError with the planner's refusal.
    TTLs are left to the change core (an existing rrset keeps its TTL, a new one gets the default).
    """
    planned = planner.plan_records(spec.as_dict(), current, resolve, region, gate=gate)
    return desired_from_plan(spec, planned, tokens, byodkim, warn)


def desired_from_plan(spec, planned, tokens, byodkim, warn):
    for msg in planned["warnings"]:
        warn(msg)
    if planned["refusals"]:
        first = planned["refusals"][0]
        raise DeliverabilityError("; ".join(r["msg"] for r in planned["refusals"]), rule=first["rule"],
                                  option=first.get("option"))
    info = {"dkim_records_pending": tokens is None}
    if planned["spf"] is not None:
        info["spf"] = planned["spf"]
    if planned["dmarc"] is not None:
        info["dmarc"] = planned["dmarc"]
    if planned["mail_from"] is not None:
        info["mail_from"] = planned["mail_from"]
    dkim = planner.dkim_records(tokens, spec.name) if tokens and not byodkim else []
    return to_desired(dkim + planned["records"]), info


def needed_keys(spec, tokens, byodkim):
    """The (name, type) of every rrset ``desired_records`` looks at, for backends that cannot list a zone."""
    keys = [(r["name"], r["type"]) for r in planner.dkim_records(tokens if not byodkim else None, spec.name)]
    return keys + planner.policy_keys(spec.as_dict())


def batches(items, size=BATCH_CHANGES):
    """Group (domain, changes) so each group has at most ``size`` changes (a domain is never split)."""
    group, count = [], 0
    for name, changes in items:
        if group and count + len(changes) > size:
            yield group
            group, count = [], 0
        group.append((name, changes))
        count += len(changes)
    if group:
        yield group
