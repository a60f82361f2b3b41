# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SPF and DMARC modules' logic: read the TXT rrset, compute the one record, publish it through the
shared change core, leaving every other TXT value of the name alone."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Desired, run_changes
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider, lookup_resolver
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, spf


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


def _publish(provider, name, others, value, ttl, check_mode, partial):
    desired = Desired(name, "TXT", sorted(set(others) | {value}), ttl=ttl, state="present", exclusive=True)
    return run_changes(provider, [desired], check_mode=check_mode, partial=partial)


# ----------------------------------------------------------------------------------------- SPF
def spf_values(domain, values, adds, remove=(), all_qualifier=None):
    """Pure: the TXT values of ``domain`` -> (SPF before or None, SPF after, the other TXT values).

    Raises DeliverabilityError when the name already has several SPF records, SpfError when the merge
    cannot be done. An unchanged set of terms keeps the published text exactly.
    """
    existing = [v for v in values if spf.is_spf(v)]
    others = [v for v in values if not spf.is_spf(v)]
    if len(existing) > 1:
        raise DeliverabilityError(
            "%s has %d SPF records, which makes SPF fail (permerror) for every message: %s. Merge them into one "
            "by hand (dns_records with state=absent for the extra one); this module never adds another."
            % (domain, len(existing), " | ".join(existing)), domain=domain)
    before = existing[0] if existing else None
    after = spf.merge(before, add=adds, remove=remove, all_qualifier=all_qualifier)
    if before is not None and spf.normalize(before) == after:
        after = before  # same terms: keep the text exactly as published
    return before, after, others


def ensure_spf(params, module, check_mode, partial, warn):
    domain = normalize_domain(params["domain"], "domain")
    provider = get_provider(params, module, zone=params.get("zone") or domain)
    try:
        adds = [spf.parse_term(m.strip()).raw for m in params["mechanisms"] or []]
    except spf.SpfError as exc:
        raise InputError("mechanisms", str(exc))
    try:
        [spf.parse_term(m.strip()) for m in params["remove"] or []]
    except spf.SpfError as exc:
        raise InputError("remove", str(exc))
    current = provider.read([(domain, "TXT")]).get((domain, "TXT"))
    values = list(current.values) if current else []
    try:
        before, after, others = spf_values(domain, values, adds, params["remove"] or [], params["all_qualifier"])
    except spf.SpfError as exc:
        before = ([v for v in values if spf.is_spf(v)] or [None])[0]
        if params["all_qualifier"] is not None and "all" in str(exc):
            raise InputError("all_qualifier", str(exc))
        if before is None:
            raise InputError("mechanisms", str(exc))
        raise DeliverabilityError("cannot merge into the SPF record of %s (%r): %s" % (domain, before, exc),
                                  record=before)
    resolver = lookup_resolver(params)
    counted = spf.count_lookups(domain, resolver.lookup, record=after)
    lookups = counted.to_dict()
    if counted.errors:
        for err in counted.errors:
            warn("SPF lookup counting for %s: %s" % (domain, err))
    if after != before:
        over = counted.count > spf.MAX_LOOKUPS
        void_over = counted.void > spf.MAX_VOID_LOOKUPS
        if (over or void_over) and not params["force"]:
            old = spf.count_lookups(domain, resolver.lookup, record=before).count if before else 0
            raise DeliverabilityError(
                "refusing to publish the SPF record of %s: it would need %d DNS lookups (limit %d; now %d)%s, "
                "and receivers then fail SPF (permerror) for all mail. Lookups: %s. Remove or flatten an include, "
                "or set force=true." % (domain, counted.count, spf.MAX_LOOKUPS, old,
                                        " and %d void lookups (limit 2)" % counted.void if void_over else "",
                                        counted.describe()),
                lookups=lookups, record=after, previous=before)
        if over or void_over:
            warn("force=true: publishing an SPF record of %s with %d lookups (%d void)"
                 % (domain, counted.count, counted.void))
    elif counted.count > spf.MAX_LOOKUPS:
        warn("the SPF record of %s already needs %d DNS lookups (limit 10): %s"
             % (domain, counted.count, counted.describe()))
    result = _publish(provider, domain, others, after, params.get("ttl"), check_mode, partial)
    result.update(record=after, previous=before, lookups=lookups)
    return result


# ----------------------------------------------------------------------------------------- DMARC
DMARC_OPTIONS = (("policy", "p"), ("subdomain_policy", "sp"), ("nonexistent_policy", "np"), ("psd", "psd"),
                 ("test_mode", "t"), ("pct", "pct"), ("rua", "rua"), ("ruf", "ruf"), ("adkim", "adkim"),
                 ("aspf", "aspf"), ("fo", "fo"))


def dmarc_values(domain, values, params, warn, gate=None):
    """Pure: the TXT values of ``_dmarc.<domain>`` and the module's options -> the record to publish.

    Returns ``{record, tags, downgrades, existing, others, stage, current, obsolete, migrations, gate}``; the
    ratchet keeps the current policy unless ``allow_downgrade``. ``gate`` (optional) is called as
    ``gate(current_tags, next_stage)`` when ``advance`` is set and returns a decision dict whose ``open`` says
    whether the stage may move; a shut gate keeps the current stage. Raises InputError naming the option,
    DeliverabilityError for an invalid current record the ratchet cannot judge.
    """
    if params.get("pct") is not None and not params.get("legacy_tags"):
        raise InputError("pct", "is obsolete: RFC 9989 removed pct (receivers honoured only 0 and 100); use "
                                "test_mode=true for a trial stage, or set legacy_tags=true to write pct anyway")
    if any(st.get("pct") is not None for st in params.get("stages") or []) and not params.get("legacy_tags"):
        raise InputError("stages", "pct in a stage is obsolete (RFC 9989); use test_mode, or set legacy_tags=true")
    existing = [v for v in values if dmarc.is_dmarc(v)]
    others = [v for v in values if not dmarc.is_dmarc(v)]
    parsed = []
    for text in existing:
        try:
            parsed.append(dmarc.parse(text))
        except dmarc.DmarcError as exc:
            if not params.get("allow_downgrade"):
                raise DeliverabilityError(
                    "the DMARC record of %s is invalid (%s): %r. The ratchet cannot tell whether a change weakens it; "
                    "fix it, or set allow_downgrade=true to replace it." % (domain, exc, text), record=text)
    current = max(parsed, key=dmarc.strength) if parsed else None
    if len(existing) > 1:
        warn("_dmarc.%s has %d DMARC records (receivers ignore all of them); they are replaced by one"
             % (domain, len(existing)))
    obsolete = dmarc.obsolete(current) if current else []
    migrations = []
    baseline = current  # what the ratchet compares against
    desired = dict(current) if current else {"v": "DMARC1"}
    if obsolete and params.get("migrate_legacy"):
        desired, migrations = dmarc.migrate(desired)
        baseline = desired  # the documented equivalence is not a downgrade
    elif obsolete:
        warn("_dmarc.%s uses %s, removed by RFC 9989 (kept as published; set migrate_legacy=true to migrate)"
             % (domain, ", ".join("%s=%s" % (t, current[t]) for t in obsolete)))
    for option, tag in DMARC_OPTIONS:
        value = params.get(option)
        if value is None:
            continue
        if tag == "t" and value is False:
            desired.pop("t", None)  # t=n is the default: leave the tag out
        elif isinstance(value, list) and not value:
            desired.pop(tag, None)
        else:
            desired[tag] = value
    stage = None
    decision = None
    if params.get("advance"):
        stages = params.get("stages") or dmarc.DEFAULT_STAGES
        stage = dmarc.next_stage(baseline, stages)
        if gate is not None and baseline is not None and dmarc.strength(dmarc.stage_tags(stage)) > dmarc.strength(baseline):
            decision = gate(baseline, stage)
            if not decision.get("open"):
                stage = None  # the evidence does not allow the next stage: stay where we are
        if stage is not None:
            desired = dmarc.apply_stage(desired, stage)
    if desired.get("p") is None:
        raise InputError("policy", "is required when %s has no DMARC record (one of none, quarantine, reject)" % domain)
    if desired.get("pct") == 100 and (not current or "pct" not in current) and params.get("pct") is None:
        desired.pop("pct")  # 100 is the default; written only when asked for
    try:
        checked = dmarc.parse(dmarc.build(desired))
    except dmarc.DmarcError as exc:
        tag = str(exc).split(":", maxsplit=1)[0]
        option = dict((t, o) for o, t in DMARC_OPTIONS).get(tag, "policy")
        raise InputError(option, str(exc))
    result_tags, downgrades = dmarc.ratchet(baseline, checked, allow_downgrade=params.get("allow_downgrade"))
    for d in downgrades:
        if params.get("allow_downgrade"):
            warn("allow_downgrade=true: DMARC %s of %s weakened from %s to %s"
                 % (d["tag"], domain, d["current"], d["requested"]))
        else:
            warn("refused to weaken DMARC %s of %s from %s to %s (set allow_downgrade=true to allow)"
                 % (d["tag"], domain, d["current"], d["requested"]))
    if downgrades and not params.get("allow_downgrade"):
        # a refused request writes nothing: the published record stays exactly as it is
        result_tags = dict(current)
        migrations = []
    text = dmarc.build(result_tags)
    if len(existing) == 1 and current == result_tags:
        text = existing[0]  # the same tags: keep the published text as it is
    return {"record": text, "tags": result_tags, "downgrades": downgrades, "existing": existing, "others": others,
            "stage": stage, "current": current, "obsolete": obsolete, "migrations": migrations, "gate": decision}


def ensure_dmarc(params, module, check_mode, partial, warn, gate=None):
    domain = normalize_domain(params["domain"], "domain")
    name = "_dmarc." + domain
    provider = get_provider(params, module, zone=params.get("zone") or domain)
    current_rrset = provider.read([(name, "TXT")]).get((name, "TXT"))
    values = list(current_rrset.values) if current_rrset else []
    planned = dmarc_values(domain, values, params, warn, gate=gate)
    text, result_tags, downgrades = planned["record"], planned["tags"], planned["downgrades"]
    existing, others, stage = planned["existing"], planned["others"], planned["stage"]
    results = [_publish(provider, name, others, text, params.get("ttl"), check_mode, partial)]
    authorizations = []
    if params["external_destinations"] != "ignore":
        resolver = None
        zones = [normalize_domain(z, "report_zones") for z in params.get("report_zones") or []]
        for dest in dmarc.report_domains(result_tags, domain):
            auth_name = dmarc.authorization_name(domain, dest)
            zone = next((z for z in zones if dest == z or dest.endswith("." + z)), None)
            entry = {"destination": dest, "name": auth_name, "managed": bool(zone)}
            if zone and params["external_destinations"] == "publish":
                r = run_changes(get_provider(params, module, zone=zone),
                                [Desired(auth_name, "TXT", ["v=DMARC1"], ttl=params.get("ttl"))],
                                check_mode=check_mode, partial=partial)
                results.append(r)
                entry.update(authorized=True, published=r["changed"])
            else:
                resolver = resolver or lookup_resolver(params)
                try:
                    found = resolver.lookup(auth_name, "TXT")
                    entry["authorized"] = any(dmarc.is_dmarc(v) for v in found)
                except DeliverabilityError as exc:
                    entry.update(authorized=False, error=exc.msg)
                entry["published"] = False
                if not entry["authorized"]:
                    warn("%s does not authorise DMARC reports for %s: publish TXT \"v=DMARC1\" at %s, or reports "
                         "to it are dropped" % (dest, domain, auth_name))
            authorizations.append(entry)
    result = merge_results(results)
    result.update(record=text, previous=existing[0] if len(existing) == 1 else (existing or None),
                  tags=result_tags, downgrades=downgrades,
                  downgrade_refused=bool(downgrades) and not params["allow_downgrade"],
                  report_authorizations=authorizations, stage=stage, obsolete_tags=planned["obsolete"],
                  migrations=planned["migrations"], gate=planned["gate"])
    return result
