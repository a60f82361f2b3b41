# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy of one sending domain, decided in one place.

From the desired spec, the SES identity as read, the zone as read (``{(name, type): values}``) and a
``resolve(name, rtype)`` callable, the planners here return the plan as data: SES actions, the records
the domain needs, refusals and warnings. Every safety rule lives here or in the pure modules this calls
(``spf``, ``dmarc``, ``ses``):

- SPF: one record per name; the 10-lookup and 2-void-lookup limits; anything RFC 7208 makes a permerror
  (an include of a name without SPF or with two, a loop, an unparsable included record); lookups that
  could not be made (REFUSED, SERVFAIL, timeout) are not taken as a success. Refused unless ``force``.
- DMARC: the ratchet (a refused downgrade keeps the published record exactly, so it writes nothing), the
  optional evidence ``gate`` of a staged rollout, outside report destinations checked for their
  ``_report._dmarc`` authorisation.
- MAIL FROM: the MX is SES's feedback host only (exclusive), and the name's SPF authorises SES.

The single modules (``spf``, ``dmarc``, ``mail_from``, ``email_identity``), ``domain_policy`` and the
``domain`` role (through those modules) all call these; the I/O wrappers only read and apply.
A refusal is a dict ``{rule, name, msg, option, details}``; ``option`` is set when the input itself is
wrong (the wrapper reports it as that option's error).
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, ses, spf


def refusal(rule, name, msg, option=None, **details):
    return {"rule": rule, "name": name, "msg": msg, "option": option, "details": details}


def desired(name, rtype, values, exclusive=True, zone=None):
    """One rrset as the change core takes it (``dns.base.Desired`` is built from this by the wrapper)."""
    out = {"name": name, "type": rtype, "values": list(values), "exclusive": exclusive}
    if zone:
        out["zone"] = zone
    return out


def _values(zone, name, rtype):
    found = (zone or {}).get((name, rtype))
    if found is None:
        return []
    return list(getattr(found, "values", found))


# ---------------------------------------------------------------------------------------------- SPF
def spf_problems(counted):
    """What makes a counted SPF record unsafe to publish, as (rule, text) pairs (empty when safe)."""
    out = []
    if counted.count > spf.MAX_LOOKUPS:
        out.append(("spf_lookup_limit", "%d DNS lookups (limit %d)" % (counted.count, spf.MAX_LOOKUPS)))
    if counted.void > spf.MAX_VOID_LOOKUPS:
        out.append(("spf_void_limit", "%d void lookups (limit %d)" % (counted.void, spf.MAX_VOID_LOOKUPS)))
    for err in counted.permerrors:
        out.append(("spf_permerror", err))
    for err in counted.temperrors:
        out.append(("spf_unverified", err))
    return out


def spf_plan(domain, values, mechanisms=spf.DEFAULT_MECHANISMS, remove=(), all_qualifier=None, force=False,
             resolve=None):
    """The one SPF record of ``domain`` given its TXT ``values``.

    Returns ``{name, record, previous, lookups, records, refusal, warnings}``; ``records`` is empty when
    refused. An unchanged set of terms keeps the published text exactly. Without ``resolve`` nothing is
    counted (only for callers that render records for someone else to check).
    """
    out = {"name": domain, "record": None, "previous": None, "lookups": None, "records": [], "refusal": None,
           "warnings": []}
    existing = [v for v in values if spf.is_spf(v)]
    others = [v for v in values if not spf.is_spf(v)]
    if len(existing) > 1:
        out["refusal"] = refusal(
            "spf_single_record", domain,
            "%s has %d SPF records, which makes SPF fail (permerror) for every message: %s. Merge them into one "
            "by hand (dns_records with state=absent for the extra one); this module never adds another."
            % (domain, len(existing), " | ".join(existing)), records=existing)
        return out
    before = existing[0] if existing else None
    out["previous"] = before
    try:
        after = spf.merge(before, add=mechanisms, remove=remove, all_qualifier=all_qualifier)
    except spf.SpfError as exc:
        if all_qualifier is not None and "all" in str(exc):
            out["refusal"] = refusal("spf_merge", domain, str(exc), option="all_qualifier")
        elif before is None:
            out["refusal"] = refusal("spf_merge", domain, str(exc), option="mechanisms")
        else:
            out["refusal"] = refusal("spf_merge", domain, "cannot merge into the SPF record of %s (%r): %s"
                                     % (domain, before, exc), record=before)
        return out
    if before is not None and spf.normalize(before) == after:
        after = before  # same terms: keep the text exactly as published
    out["record"] = after
    if resolve is not None:
        counted = spf.count_lookups(domain, resolve, record=after)
        out["lookups"] = counted.to_dict()
        problems = spf_problems(counted)
        if problems and after != before and not force:
            old = spf.count_lookups(domain, resolve, record=before).count if before else 0
            rules = sorted({rule for rule, dummy in problems})
            if rules == ["spf_lookup_limit"] or rules == ["spf_lookup_limit", "spf_void_limit"] or \
                    rules == ["spf_void_limit"]:
                void = counted.void > spf.MAX_VOID_LOOKUPS
                msg = ("refusing to publish the SPF record of %s: it would need %d DNS lookups (limit %d; now %d)%s, "
                       "and receivers then fail SPF (permerror) for all mail. Lookups: %s. Remove or flatten an "
                       "include, or set force=true."
                       % (domain, counted.count, spf.MAX_LOOKUPS, old,
                          " and %d void lookups (limit %d)" % (counted.void, spf.MAX_VOID_LOOKUPS) if void else "",
                          counted.describe()))
            elif "spf_permerror" in rules or "spf_lookup_limit" in rules or "spf_void_limit" in rules:
                msg = ("refusing to publish the SPF record of %s (%r): receivers would fail SPF (permerror) for all "
                       "mail: %s. Fix the record or the include, or set force=true."
                       % (domain, after, "; ".join(text for dummy, text in problems)))
            else:
                msg = ("refusing to publish the SPF record of %s (%r): its DNS lookups could not all be made, so "
                       "the lookup limit cannot be checked (%s). Make the names resolvable from the nameservers "
                       "used, or set force=true." % (domain, after, "; ".join(text for dummy, text in problems)))
            out["refusal"] = refusal(rules[0] if len(rules) == 1 else "spf_permerror", domain, msg,
                                     lookups=out["lookups"], record=after, previous=before)
            return out
        if problems and after != before:
            out["warnings"].append("force=true: publishing the SPF record of %s despite: %s"
                                   % (domain, "; ".join(text for dummy, text in problems)))
        elif problems:
            out["warnings"].append("the SPF record of %s, left as it is, has problems: %s"
                                   % (domain, "; ".join(text for dummy, text in problems)))
    out["records"] = [desired(domain, "TXT", sorted(set(others) | {after}))]
    return out


# ---------------------------------------------------------------------------------------------- DMARC
DMARC_OPTIONS = (("policy", "p"), ("subdomain_policy", "sp"), ("nonexistent_policy", "np"), ("psd", "psd"),
                 ("test_mode", "t"), ("pct", "pct"), ("rua", "rua"), ("ruf", "ruf"), ("adkim", "adkim"),
                 ("aspf", "aspf"), ("fo", "fo"))


def _published_dmarc(domain, existing, allow, out):
    """The strongest of the published DMARC records (parsed), or None; an unparsable one is a refusal in ``out``
    unless ``allow`` (the ratchet cannot compare against what it cannot read)."""
    parsed = []
    for text in existing:
        try:
            parsed.append(dmarc.parse(text))
        except dmarc.DmarcError as exc:
            if not allow:
                out["refusal"] = refusal(
                    "dmarc_invalid_current", domain,
                    "the DMARC record of %s is invalid (%s): %r. The ratchet cannot tell whether a change weakens "
                    "it; fix it, or set allow_downgrade=true to replace it." % (domain, exc, text), record=text)
                return None
    if len(existing) > 1:
        out["warnings"].append("_dmarc.%s has %d DMARC records (receivers ignore all of them); they are replaced "
                               "by one" % (domain, len(existing)))
    return max(parsed, key=dmarc.strength) if parsed else None


def _with_options(want, opts):
    """``want`` with the tags the options set (an option not given keeps the tag as it is)."""
    for option, tag in DMARC_OPTIONS:
        value = opts.get(option)
        if value is None:
            continue
        if tag == "t" and value is False:
            want.pop("t", None)  # t=n is the default: leave the tag out
        elif isinstance(value, list) and not value:
            want.pop(tag, None)
        else:
            want[tag] = value
    return want


def _weaker(policy):
    """What a receiver applies for ``p`` under t=y (RFC 9989 section 5.3)."""
    return {"reject": "p=quarantine", "quarantine": "p=none"}.get(policy, "p=none")


def _next_stage(baseline, opts, gate, out):
    """With ``advance``: the next rollout stage, unless the evidence gate (its decision in ``out``) keeps it shut."""
    if not opts.get("advance"):
        return None
    stage = dmarc.next_stage(baseline, opts.get("stages") or dmarc.DEFAULT_STAGES)
    if gate is not None and baseline is not None and \
            dmarc.strength(dmarc.stage_tags(stage)) > dmarc.strength(baseline):
        out["gate"] = gate(baseline, stage)
        if not out["gate"].get("open"):
            return None  # the evidence does not allow the next stage: stay where we are
    return stage


def dmarc_plan(domain, values, opts, resolve=None, report_zones=(), gate=None, start_policy=None):
    """The DMARC record of ``domain`` given the TXT ``values`` of ``_dmarc.<domain>`` and the options.

    ``opts``: the dmarc module's options (policy, subdomain_policy, nonexistent_policy, psd, test_mode, pct,
    rua, ruf, adkim, aspf, fo, allow_downgrade, advance, stages, legacy_tags, migrate_legacy,
    external_destinations). ``start_policy``: the policy of a domain without a record when none is asked for
    (the fleet starts at ``none``). ``report_zones``: zones where the caller can publish the authorisation of
    an outside destination (with ``external_destinations=publish``). ``gate(current_tags, next_stage)``: the
    optional evidence gate, called when ``advance`` would move the stage; it returns a decision dict whose
    ``open`` says whether the stage may move (a shut gate keeps the current stage).

    The ratchet: a refused downgrade keeps the published record exactly (a refused request writes nothing).

    Returns ``{name, record, tags, downgrades, downgrade_refused, previous, stage, obsolete, migrations, gate,
    report_authorizations, records, refusal, warnings}``.
    """
    name = "_dmarc." + domain
    out = {"name": name, "record": None, "tags": None, "downgrades": [], "downgrade_refused": False,
           "previous": None, "stage": None, "obsolete": [], "migrations": [], "gate": None,
           "report_authorizations": [], "records": [], "refusal": None, "warnings": []}
    allow = bool(opts.get("allow_downgrade"))
    if opts.get("pct") is not None and not opts.get("legacy_tags"):
        out["refusal"] = refusal("dmarc_obsolete_tag", domain, "is obsolete: RFC 9989 removed pct (receivers honoured "
                                 "only 0 and 100); use test_mode=true for a trial stage, or set legacy_tags=true to "
                                 "write pct anyway", option="pct")
        return out
    if any(st.get("pct") is not None for st in opts.get("stages") or []) and not opts.get("legacy_tags"):
        out["refusal"] = refusal("dmarc_obsolete_tag", domain, "pct in a stage is obsolete (RFC 9989); use "
                                 "test_mode, or set legacy_tags=true", option="stages")
        return out
    existing = [v for v in values if dmarc.is_dmarc(v)]
    others = [v for v in values if not dmarc.is_dmarc(v)]
    out["previous"] = existing[0] if len(existing) == 1 else (existing or None)
    current = _published_dmarc(domain, existing, allow, out)
    if out["refusal"]:
        return out
    obsolete = dmarc.obsolete(current) if current else []
    migrations = []
    baseline = current  # what the ratchet compares against
    want = dict(current) if current else {"v": "DMARC1"}
    if obsolete and opts.get("migrate_legacy"):
        want, migrations = dmarc.migrate(want)
        baseline = want  # the documented equivalence is not a downgrade
    elif obsolete:
        out["warnings"].append("_dmarc.%s uses %s, removed by RFC 9989 (kept as published; set migrate_legacy=true "
                               "to migrate)" % (domain, ", ".join("%s=%s" % (t, current[t]) for t in obsolete)))
    want = _with_options(want, opts)
    if opts.get("policy") and opts.get("test_mode") is None and want.get("t") == "y" and want.get("p") != "none" \
            and not opts.get("advance"):
        # t=y is the one tag that decides whether receivers enforce p (RFC 9989 5.3: t=y means apply the next
        # weaker policy); asking for a policy again must not look like leaving test mode when it does not
        out["warnings"].append("_dmarc.%s keeps t=y (test mode): receivers apply %s, not p=%s; set test_mode=false "
                               "to enforce p=%s (test_mode=true to keep the trial and silence this warning)"
                               % (domain, _weaker(want.get("p")), want.get("p"), want.get("p")))
    stage = _next_stage(baseline, opts, gate, out)
    if stage is not None:
        want = dmarc.apply_stage(want, stage)
    if want.get("p") is None and current is None and start_policy:
        want["p"] = start_policy  # a domain without DMARC starts at the first stage
    if want.get("p") is None:
        out["refusal"] = refusal("dmarc_policy_required", domain, "is required when %s has no DMARC record (one of "
                                 "none, quarantine, reject)" % domain, option="policy")
        return out
    if want.get("pct") == 100 and (not current or "pct" not in current) and opts.get("pct") is None:
        want.pop("pct")  # 100 is the default; written only when asked for
    try:
        checked = dmarc.parse(dmarc.build(want))
    except dmarc.DmarcError as exc:
        tag = str(exc).split(":", maxsplit=1)[0]
        option = dict((t, o) for o, t in DMARC_OPTIONS).get(tag, "policy")
        out["refusal"] = refusal("dmarc_invalid_option", domain, str(exc), option=option)
        return out
    tags, downgrades = dmarc.ratchet(baseline, checked, allow_downgrade=allow)
    for d in downgrades:
        if allow:
            out["warnings"].append("allow_downgrade=true: DMARC %s of %s weakened from %s to %s"
                                   % (d["tag"], domain, d["current"], d["requested"]))
        else:
            out["warnings"].append("refused to weaken DMARC %s of %s from %s to %s (set allow_downgrade=true to "
                                   "allow)" % (d["tag"], domain, d["current"], d["requested"]))
    if downgrades and not allow:
        # a refused request writes nothing: the published record stays exactly as it is
        tags = dict(current)
        migrations = []
    if len(existing) == 1 and current == tags:
        text = existing[0]  # the same tags: keep the published text as it is
    else:
        text = dmarc.build(tags)
    out.update(record=text, tags=tags, downgrades=downgrades, downgrade_refused=bool(downgrades) and not allow,
               stage=stage, obsolete=obsolete, migrations=migrations)
    out["records"] = [desired(name, "TXT", sorted(set(others) | {text}))]
    mode = opts.get("external_destinations") or "check"
    if mode != "ignore":
        auths, warnings, records = report_authorizations(domain, tags, resolve, mode, report_zones)
        out["report_authorizations"] = auths
        out["warnings"].extend(warnings)
        out["records"].extend(records)
    return out


def report_authorizations(domain, tags, resolve, mode="check", report_zones=()):
    """Outside report destinations of ``tags``: (entries, warnings, records to publish).

    A destination inside one of ``report_zones`` with ``mode=publish`` gets its ``v=DMARC1`` authorisation
    record planned; any other is looked up with ``resolve``; a lookup that fails counts as not authorised
    and says why.
    """
    entries, warnings, records = [], [], []
    zones = [z.lower().rstrip(".") for z in report_zones or []]
    for dest in dmarc.report_domains(tags, domain):
        auth_name = dmarc.authorization_name(domain, dest)
        zone = next((z for z in zones if dest == z or dest.endswith("." + z)), None)
        entry = {"destination": dest, "name": auth_name, "managed": bool(zone), "published": False}
        if zone and mode == "publish":
            records.append(desired(auth_name, "TXT", ["v=DMARC1"], exclusive=False, zone=zone))
            entry["authorized"] = True
        else:
            entry["authorized"] = False
            if resolve is None:
                entry["error"] = "not checked (no resolver)"
            else:
                try:
                    entry["authorized"] = any(dmarc.is_dmarc(v) for v in resolve(auth_name, "TXT"))
                except Exception as exc:  # noqa: BLE001 - any resolver failure is this entry's error
                    entry["error"] = getattr(exc, "msg", None) or "%s: %s" % (type(exc).__name__, exc)
            if not entry["authorized"]:
                warnings.append("%s does not authorise DMARC reports for %s: publish TXT \"v=DMARC1\" at %s, or "
                                "reports to it are dropped%s" % (dest, domain, auth_name,
                                                                 " (lookup failed: %s)" % entry["error"]
                                                                 if entry.get("error") else ""))
        entries.append(entry)
    return entries, warnings, records


# ---------------------------------------------------------------------------------------------- MAIL FROM, DKIM
def mail_from_plan(mail_from_domain, region, zone=None, resolve=None):
    """The MX and SPF of a custom MAIL FROM domain: ``{mx, spf, records, refusal, warnings}``.

    The MX is exclusive: SES needs its feedback host to be the only MX of that name (mail to another
    host there would take SES's bounces); other hosts found are replaced and named in a warning.
    """
    mx = ses.mail_from_mx(region)
    out = {"name": mail_from_domain, "mx": mx, "records": [desired(mail_from_domain, "MX", [mx])], "refusal": None,
           "warnings": []}
    others = [v for v in _values(zone, mail_from_domain, "MX") if v.split()[-1].rstrip(".").lower()
              != (ses.MAIL_FROM_MX_HOST % region).lower()]
    if others:
        out["warnings"].append("the MAIL FROM domain %s has other MX records (%s); they are replaced by SES's %s, "
                               "the only MX that name may have" % (mail_from_domain, ", ".join(sorted(others)), mx))
    planned = spf_plan(mail_from_domain, _values(zone, mail_from_domain, "TXT"), resolve=resolve)
    out["spf"] = planned
    out["warnings"].extend(planned["warnings"])
    if planned["refusal"]:
        out["refusal"] = planned["refusal"]
        out["records"] = []
    else:
        out["records"].extend(planned["records"])
    return out


def dkim_records(tokens, domain):
    """The Easy DKIM CNAMEs ``<token>._domainkey.<domain>`` -> ``<token>.dkim.amazonses.com``."""
    return [desired("%s._domainkey.%s" % (t, domain), "CNAME", [ses.dkim_target(t)]) for t in tokens or []]


# ---------------------------------------------------------------------------------------------- the domain
def replica_mail_from(spec):
    """``[(region, MAIL FROM domain)]`` of the replica regions (``spec["regions"][1:]``, the primary first) when the
    domain has a MAIL FROM domain: each region its own name (policy/identity.replica_mail_from_domain, the rule the
    ``domain`` role uses), since the MX of a MAIL FROM name is the feedback endpoint of one region only."""
    from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import replica_mail_from_domain
    if not spec.get("mail_from_domain"):
        return []
    return [(region, replica_mail_from_domain(spec["mail_from_domain"], region, "mail_from_subdomain"))
            for region in (spec.get("regions") or [])[1:]]


def policy_keys(spec):
    """The (name, type) of every rrset :func:`plan_records` reads (DKIM CNAMEs aside)."""
    keys = []
    if spec.get("mail_from_domain"):
        keys += [(spec["mail_from_domain"], "MX"), (spec["mail_from_domain"], "TXT")]
    for dummy, name in replica_mail_from(spec):
        keys += [(name, "MX"), (name, "TXT")]
    if (spec.get("spf") or {}).get("enabled", True):
        keys.append((spec["name"], "TXT"))
    if (spec.get("dmarc") or {}).get("enabled", True):
        keys.append(("_dmarc." + spec["name"], "TXT"))
    return keys


def plan_records(spec, zone, resolve, region, gate=None, start_policy="none"):
    """Every record of one domain except the DKIM CNAMEs (which need the tokens SES gives).

    ``spec``: ``{name, mail_from_domain, spf: {enabled, mechanisms, all_qualifier, force}, dmarc: {enabled,
    ...the dmarc module's options}, regions (optional, the primary first)}``; with ``regions`` and a MAIL FROM domain
    each replica region's MAIL FROM name gets the same MX and SPF plan (``mail_from.replicas``). ``zone``:
    ``{(name, type): values or rrset}``. Returns ``{records, refusals, warnings, spf, dmarc, mail_from}``; with any
    refusal, ``records`` is empty: a refused domain writes nothing.
    """
    plan = {"records": [], "refusals": [], "warnings": [], "spf": None, "dmarc": None, "mail_from": None}
    name = spec["name"]
    if spec.get("mail_from_domain"):
        mf = mail_from_plan(spec["mail_from_domain"], region, zone, resolve)
        plan["mail_from"] = {"domain": mf["name"], "mx": mf["mx"], "spf": mf["spf"]["record"]}
        _collect(plan, mf)
        # each replica region's own MAIL FROM name, planned exactly as the primary's (its region's MX, exclusive)
        for replica_region, replica_name in replica_mail_from(spec):
            mf = mail_from_plan(replica_name, replica_region, zone, resolve)
            plan["mail_from"].setdefault("replicas", {})[replica_region] = {
                "domain": mf["name"], "mx": mf["mx"], "spf": mf["spf"]["record"]}
            _collect(plan, mf)
    spf_opts = spec.get("spf") or {}
    if spf_opts.get("enabled", True):
        planned = spf_plan(name, _values(zone, name, "TXT"),
                           spf_opts.get("mechanisms") if spf_opts.get("mechanisms") is not None
                           else spf.DEFAULT_MECHANISMS,
                           all_qualifier=spf_opts.get("all_qualifier"), force=spf_opts.get("force"), resolve=resolve)
        plan["spf"] = {"record": planned["record"], "previous": planned["previous"], "lookups": planned["lookups"]}
        _collect(plan, planned)
    dmarc_opts = spec.get("dmarc") or {}
    if dmarc_opts.get("enabled", True):
        planned = dmarc_plan(name, _values(zone, "_dmarc." + name, "TXT"), dmarc_opts, resolve=resolve, gate=gate,
                             start_policy=start_policy)
        plan["dmarc"] = {k: planned[k] for k in ("record", "previous", "downgrades", "downgrade_refused", "stage",
                                                 "report_authorizations", "migrations", "gate")}
        plan["dmarc"]["obsolete_tags"] = planned["obsolete"]
        _collect(plan, planned)
    if plan["refusals"]:
        plan["records"] = []
    return plan


def _collect(plan, part):
    plan["warnings"].extend(part["warnings"])
    if part.get("refusal"):
        plan["refusals"].append(part["refusal"])
    plan["records"].extend(part["records"])


def plan_domain(spec, identity, zone, resolve, region, gate=None):
    """The whole plan of one domain: ``plan_records`` plus the SES actions (``ses_plan``) and the DKIM
    CNAMEs of the identity's current tokens. With a refusal, no SES action and no record is planned."""
    plan = plan_records(spec, zone, resolve, region, gate=gate)
    actions, before, after = ses_plan(spec, identity)
    plan.update(ses_actions=actions, ses_before=before, ses_after=after)
    dkim = (identity or {}).get("dkim") or {}
    if dkim.get("origin") != "EXTERNAL":
        plan["records"] = dkim_records(dkim.get("tokens"), spec["name"]) + plan["records"]
    if plan["refusals"]:
        plan.update(ses_actions=[], records=[])
    return plan


def ses_plan(spec, ident):
    """Desired vs current identity (as sesv2.identity_from_api returns it, or None) -> (actions, before, after).

    ``before`` / ``after`` are the identity settings and the MAIL FROM as the single-resource modules show them.
    """
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
    current = logic.settings_from_identity(ident)
    dkim = {k: v for k, v in (spec.get("dkim") or {}).items() if v is not None}
    wanted = {"state": "present", "dkim": dkim, "configuration_set": spec.get("configuration_set")}
    actions, after = logic.plan(spec["name"], wanted, current)
    mf = (ident or {}).get("mail_from") or {}
    mf_before = {"mail_from_domain": mf.get("domain"),
                 "behavior_on_mx_failure": mf.get("behavior_on_mx_failure") or "USE_DEFAULT_VALUE"}
    mf_after = dict(mf_before)
    if spec.get("mail_from_domain"):
        mf_actions, mf_after = logic.mail_from_plan(
            spec["name"], {"state": "present", "mail_from_domain": spec["mail_from_domain"],
                           "behavior_on_mx_failure": spec.get("behavior_on_mx_failure")}, mf_before)
        actions = actions + mf_actions
    before = dict(current, mail_from=mf_before) if ident else current
    after = dict(after, mail_from=mf_after)
    return actions, before, after
