# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read -> plan -> apply for the tenant modules (tenant, tenant_resources, tenant_info).

Every option is checked before the first request; the tenant is read once, the plan is made from that read,
then applied unless in check mode. A change of the customer-managed sending status (pause / resume) is recorded
in the audit log, proven writable before the first request.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
from ansible_collections.deliverability.ses.plugins.module_utils.audit import open_audit_log
from ansible_collections.deliverability.ses.plugins.module_utils import names, validate
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as rules
from ansible_collections.deliverability.ses.plugins.module_utils.ses import tenants as api


def _tag_changes(current, wanted, purge):
    if wanted is None:
        return {}, []
    to_set = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    to_remove = sorted(k for k in current if k not in wanted) if purge else []
    return to_set, to_remove


def view(tenant, entity, resources=None):
    """One tenant as the modules return it."""
    out = dict(tenant)
    out.update(entity or {})
    if resources is not None:
        out["resources"] = group(resources)
        out["resource_arns"] = sorted(r["arn"] for r in resources)
    return out


def group(resources):
    out = dict((kind, []) for kind in rules.KINDS)
    for res in resources:
        if res["kind"] in out:
            out[res["kind"]].append(res["name"])
    return dict((k, sorted(v)) for k, v in out.items())


# ------------------------------------------------------------------------------------------------ tenant
def run_tenant(module, partial):
    p = module.params
    name = rules.tenant_name(p["name"], "name")
    tags = validate.tags(p["tags"], "tags")
    region = module.params.get("region")
    status = p["sending_status"]
    reason = validate.reason(p["reason"], "reason") if status is not None else None
    client = module.client("sesv2")
    region = client.meta.region_name or region
    want_policy = rules.policy_arn(p["reputation_policy"], region) if p["reputation_policy"] else None
    # audited or not done: the log is proven writable before the first request that could pause or resume
    audit = open_audit_log(module, "tenant", client) if status is not None else None
    current = api.get_tenant(client, name)
    if p["state"] == "absent":
        return _absent(module, client, name, current, partial)
    entity = api.get_entity(client, current["arn"]) if current else None
    before = view(current, entity) if current else {}
    have_sup = {"SuppressedReasons": (current or {}).get("suppression", {}).get("reasons", ["BOUNCE", "COMPLAINT"]),
                "SuppressionScope": (current or {}).get("suppression", {}).get("scope", "ACCOUNT")}
    sup = rules.suppression_want(have_sup, p["suppressed_reasons"], p["suppression_scope"])
    to_set, to_remove = _tag_changes((current or {}).get("tags", {}), tags, p["purge_tags"])
    have_policy = (entity or {}).get("reputation_policy_arn") or rules.policy_arn(rules.DEFAULT_POLICY, region)
    have_status = ((entity or {}).get("customer_managed_status") or {}).get("status") or "ENABLED"
    need_policy = bool(want_policy) and want_policy != have_policy
    need_status = status is not None and status.upper() != have_status
    # a new tenant is one change, "created", whatever it is created with
    changes = ["created"] if current is None else [name for name, needed in (
        ("tags", bool(to_set or to_remove)), ("suppression", bool(sup)), ("reputation_policy", need_policy),
        ("sending_status", need_status)) if needed]
    after = _predict(before, name, tags if current is None else None, to_set, to_remove, sup, want_policy, status)
    result = dict(changed=bool(changes), changes=changes, tenant=after if changes else before,
                  diff=dict(before=before, after=after))
    if not changes or module.check_mode:
        return result
    done = []
    partial.update(changed=False, changes=done)
    if current is None:
        def wrote(operation):  # from the first write on, a failure still reports what was applied
            done.append({"CreateTenant": "created", "UpdateReputationEntityPolicy": "reputation_policy"}[operation])
            partial["changed"] = True
        current = api.create_tenant(client, name, tags, sup, want_policy, wrote=wrote)
    arn = current["arn"]
    if "tags" in changes:
        if to_set:
            api.tag(client, arn, to_set)
        if to_remove:
            api.untag(client, arn, to_remove)
        done.append("tags")
    if "suppression" in changes:
        api.put_suppression(client, name, sup)
        done.append("suppression")
    partial["changed"] = bool(done)
    if need_policy and "created" not in changes:
        api.set_policy(client, arn, want_policy)
        done.append("reputation_policy")
        partial["changed"] = True
    if need_status:
        api.set_customer_status(client, arn, status)
        done.append("sending_status")
        partial["changed"] = True
        record = audit.record("tenant_" + {"disabled": "pause", "enabled": "resume",
                                           "reinstated": "reinstate"}[status], None, reason,
                              tenant=name, tenant_arn=arn, previous_status=have_status, status=status.upper())
        result["audit"] = record
        partial["audit"] = record
    partial["changed"] = True
    tenant = api.get_tenant(client, name)
    return dict(result, tenant=view(tenant, api.get_entity(client, arn)))


def _predict(before, name, tags, to_set, to_remove, sup, want_policy, status):
    after = dict(before) if before else {
        "name": name, "id": None, "arn": None, "created": None, "tags": dict(tags or {}),
        "sending_status": "ENABLED", "suppression": {"reasons": ["BOUNCE", "COMPLAINT"], "scope": "ACCOUNT"},
        "reputation_policy": rules.DEFAULT_POLICY, "reputation_policy_arn": None, "reputation_impact": "LOW",
        "sending_status_aggregate": "ENABLED",
        "aws_managed_status": {"status": "ENABLED", "cause": None, "last_updated": None},
        "customer_managed_status": {"status": "ENABLED", "cause": None, "last_updated": None}}
    tags_after = dict(after["tags"])
    tags_after.update(to_set)
    for key in to_remove:
        tags_after.pop(key, None)
    after["tags"] = tags_after
    if sup:
        after["suppression"] = {"reasons": list(sup["SuppressedReasons"]), "scope": sup["SuppressionScope"]}
    if want_policy:
        after["reputation_policy"] = rules.policy_name(want_policy)
        after["reputation_policy_arn"] = want_policy
    if status is not None:
        customer = dict(after["customer_managed_status"], status=status.upper())
        after["customer_managed_status"] = customer
        aggregate = rules.aggregate_status(after["aws_managed_status"]["status"], customer["status"])
        after["sending_status_aggregate"] = after["sending_status"] = aggregate
    return after


def _absent(module, client, name, current, partial):
    if current is None:
        return dict(changed=False, changes=[], tenant=None, detached=[], diff=dict(before={}, after={}))
    resources = api.list_tenant_resources(client, name)
    if resources and not module.params["detach_resources"]:
        raise InputError("detach_resources", "tenant %s still has %d resource(s) (%s); set detach_resources=true "
                         "to detach them and delete the tenant (the resources themselves stay)"
                         % (name, len(resources), ", ".join(sorted(r["arn"] for r in resources)[:5])))
    result = dict(changed=True, changes=["deleted"], tenant=None, detached=sorted(r["arn"] for r in resources),
                  diff=dict(before=view(current, None, resources), after={}))
    if module.check_mode:
        return result
    # DeleteTenant removes the tenant's associations with it (SES documents it); the resources stay
    api.delete_tenant(client, name)
    partial.update(changed=True, changes=["deleted"])
    return result


# ------------------------------------------------------------------------------------------------ resources
def wanted_resources(p, region):
    """{arn-less (kind, name)} from the options, every name checked; ARNs given are checked for this region."""
    out = []
    for value in p.get("identities") or []:
        out.append(("identities", names.normalize_identity(value, "identities"), "identities"))
    for value in p.get("configuration_sets") or []:
        out.append(("configuration_sets", validate.aws_name(value, "configuration_sets", "configuration_set"),
                    "configuration_sets"))
    for value in p.get("templates") or []:
        out.append(("templates", rules.template_name(value, "templates"), "templates"))
    for value in p.get("resource_arns") or []:
        kind, name = rules.split_resource_arn(value, "resource_arns", region, None)
        out.append((kind, name, "resource_arns"))
    return out


def run_tenant_resources(module, partial):
    p = module.params
    name = rules.tenant_name(p["tenant"], "tenant")
    client = module.client("sesv2")
    region = client.meta.region_name
    wanted = wanted_resources(p, region)  # every name checked before the first request
    account = call(module.client("sts"), "GetCallerIdentity")["Account"]
    for value in p.get("resource_arns") or []:
        rules.split_resource_arn(value, "resource_arns", region, account)
    by_arn = dict((rules.resource_arn(kind, rname, region, account), (kind, rname, option))
                  for kind, rname, option in wanted)
    if api.get_tenant(client, name) is not None:
        current = api.list_tenant_resources(client, name)
    elif module.check_mode:
        # an earlier task of the same check run would have created it: plan against an empty tenant
        module.module.warn("SES has no tenant %r in %s yet; planned as if it were created empty" % (name, region))
        current = []
    else:
        raise InputError("tenant", "SES has no tenant %r in %s; create it first (deliverability.ses.tenant)"
                         % (name, region))
    attach, detach = rules.resources_plan([r["arn"] for r in current], by_arn, p["exclusive"], p["state"])
    for arn in attach:
        kind, rname, option = by_arn[arn]
        if not api.resource_exists(client, kind, rname):
            raise InputError(option, "%s %r does not exist in SES (%s); nothing was associated"
                             % (kind[:-1].replace("_", " ").replace("identitie", "identity"), rname, region))
    before = group(current)
    after_rows = [r for r in current if r["arn"] not in detach] + [
        {"kind": by_arn[a][0], "name": by_arn[a][1], "arn": a} for a in attach]
    after = group(after_rows)
    result = dict(changed=bool(attach or detach), tenant=name, attached=attach, detached=detach, resources=after,
                  resource_arns=sorted(r["arn"] for r in after_rows), diff=dict(before=before, after=after))
    if module.check_mode or not (attach or detach):
        return result
    done = dict(attached=[], detached=[])
    partial.update(changed=False, tenant=name, **done)
    for arn in detach:
        api.disassociate(client, name, arn)
        done["detached"].append(arn)
        partial.update(changed=True, **done)
    for arn in attach:
        api.associate(client, name, arn)
        done["attached"].append(arn)
        partial.update(changed=True, **done)
    got = api.list_tenant_resources(client, name)
    return dict(result, resources=group(got), resource_arns=sorted(r["arn"] for r in got))


# ------------------------------------------------------------------------------------------------ info
def run_tenant_info(module, partial):
    p = module.params
    name = rules.tenant_name(p["name"], "name") if p["name"] is not None else None
    client = module.client("sesv2")
    if name is not None:
        found = api.get_tenant(client, name)
        listed = [found] if found else []
    else:
        listed = api.list_tenants(client)
    out = []
    for row in listed:
        # ListTenants gives no tags or suppression: one GetTenant each (a tenant deleted meanwhile is skipped)
        tenant = row if name is not None else api.get_tenant(client, row["name"])
        if tenant is None:
            continue
        resources = api.list_tenant_resources(client, tenant["name"]) if p["include_resources"] else None
        out.append(view(tenant, api.get_entity(client, tenant["arn"]), resources))
    paused = [t["name"] for t in out if (t.get("sending_status_aggregate") or t.get("sending_status")) == "DISABLED"]
    return dict(changed=False, tenants=out, count=len(out), paused=paused)
