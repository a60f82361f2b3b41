# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES v2 tenants and their reputation entities as plain data: reads (every page, no cap) and writes.

A tenant's reputation entity is the entity of type RESOURCE whose reference is the tenant's ARN.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none, paginate
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as rules

PAGE_SIZE = 100


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _status(record):
    record = record or {}
    return {"status": record.get("Status") or "ENABLED", "cause": record.get("Cause"),
            "last_updated": _iso(record.get("LastUpdatedTimestamp"))}


def tenant_from_api(resp):
    sup = resp.get("SuppressionAttributes") or {}
    return {
        "name": resp.get("TenantName"),
        "id": resp.get("TenantId"),
        "arn": resp.get("TenantArn"),
        "created": _iso(resp.get("CreatedTimestamp")),
        "tags": dict((t["Key"], t["Value"]) for t in resp.get("Tags") or []),
        "sending_status": resp.get("SendingStatus"),
        "suppression": {"reasons": sorted(sup.get("SuppressedReasons") or []),
                        "scope": sup.get("SuppressionScope") or "ACCOUNT"},
    }


def entity_from_api(resp):
    policy = resp.get("ReputationManagementPolicy")
    return {
        "reputation_policy": rules.policy_name(policy),
        "reputation_policy_arn": policy,
        "reputation_impact": resp.get("ReputationImpact"),
        "sending_status_aggregate": resp.get("SendingStatusAggregate"),
        "aws_managed_status": _status(resp.get("AwsSesManagedStatus")),
        "customer_managed_status": _status(resp.get("CustomerManagedStatus")),
    }


def get_tenant(client, name):
    """The tenant as data, or None when SES has no tenant of that name."""
    resp = get_or_none(client, "GetTenant", TenantName=name)
    return None if resp is None else tenant_from_api(resp["Tenant"])


def list_tenants(client):
    """Every tenant (TenantInfo: name, id, arn, created, sending status), all pages."""
    return [tenant_from_api(t) for t in paginate(client, "ListTenants", "Tenants", PageSize=PAGE_SIZE)]


def list_tenant_resources(client, name):
    """[{kind, arn, name}] of every resource associated with the tenant, all pages."""
    out = []
    for row in paginate(client, "ListTenantResources", "TenantResources", TenantName=name, PageSize=PAGE_SIZE):
        arn = row.get("ResourceArn") or ""
        out.append({"kind": rules.kind_of_type(row.get("ResourceType")), "arn": arn,
                    "name": arn.split(":", 5)[-1].split("/", 1)[-1]})
    return out


def get_entity(client, arn):
    resp = get_or_none(client, "GetReputationEntity", ReputationEntityType="RESOURCE", ReputationEntityReference=arn)
    if resp is None:
        return None
    return entity_from_api(resp.get("ReputationEntity") or {})


# VDM metrics read per tenant: sends, hard bounces and complaints (SES's review rates are over these)
TENANT_METRICS = ("SEND", "PERMANENT_BOUNCE", "COMPLAINT")


def tenant_metrics(client, names, start, end):
    """{tenant: {SEND, PERMANENT_BOUNCE, COMPLAINT: sums over [start, end], "errors": [...]}} from VDM's
    BatchGetMetricData (10 queries a call). A query SES answers with an error leaves that sum None, with the error."""
    queries = []
    for i, name in enumerate(names):
        for j, metric in enumerate(TENANT_METRICS):
            queries.append({"Id": "q%d_%d" % (i, j), "Namespace": "VDM", "Metric": metric,
                            "Dimensions": {"TENANT_NAME": name}, "StartDate": start, "EndDate": end})
    out = dict((n, {"errors": []}) for n in names)
    for k in range(0, len(queries), 10):
        batch = queries[k:k + 10]
        resp = call(client, "BatchGetMetricData", Queries=batch)
        by_id = dict((q["Id"], q) for q in batch)
        for res in resp.get("Results") or []:
            q = by_id.get(res.get("Id"))
            if q is not None:
                out[q["Dimensions"]["TENANT_NAME"]][q["Metric"]] = sum(res.get("Values") or [])
        for err in resp.get("Errors") or []:
            q = by_id.get(err.get("Id"))
            if q is not None:
                slot = out[q["Dimensions"]["TENANT_NAME"]]
                slot[q["Metric"]] = None
                slot["errors"].append("%s %s: %s" % (q["Metric"], err.get("Code"), err.get("Message")))
    return out


def resource_exists(client, kind, name):
    """True when SES has the identity / configuration set / template; a read of its own kind."""
    operation, key = {"identities": ("GetEmailIdentity", "EmailIdentity"),
                      "configuration_sets": ("GetConfigurationSet", "ConfigurationSetName"),
                      "templates": ("GetEmailTemplate", "TemplateName")}[kind]
    return get_or_none(client, operation, **{key: name}) is not None


# ------------------------------------------------------------------------------------------------ writes
def create_tenant(client, name, tags=None, suppression=None, policy_arn=None, wrote=None):
    """CreateTenant, then its reputation policy when one is asked (CreateTenant takes none, so a new tenant's policy
    is always this second call): the one place that makes a tenant, for the ``tenant`` module and ``domain_policy``.
    ``wrote(operation)`` is told of each write as it succeeds, so a failure between the two still reports the first.
    """
    params = {"TenantName": name}
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    if suppression:
        params["SuppressionAttributes"] = suppression
    made = tenant_from_api(call(client, "CreateTenant", **params))
    if wrote:
        wrote("CreateTenant")
    if policy_arn:
        set_policy(client, made["arn"], policy_arn)
        if wrote:
            wrote("UpdateReputationEntityPolicy")
    return made


def delete_tenant(client, name):
    call(client, "DeleteTenant", TenantName=name)


def put_suppression(client, name, suppression):
    call(client, "PutTenantSuppressionAttributes", TenantName=name, **suppression)


def set_policy(client, arn, policy_arn):
    call(client, "UpdateReputationEntityPolicy", ReputationEntityType="RESOURCE", ReputationEntityReference=arn,
         ReputationEntityPolicy=policy_arn)


def set_customer_status(client, arn, status):
    call(client, "UpdateReputationEntityCustomerManagedStatus", ReputationEntityType="RESOURCE",
         ReputationEntityReference=arn, SendingStatus=status.upper())


def tag(client, arn, tags):
    call(client, "TagResource", ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


def untag(client, arn, keys):
    call(client, "UntagResource", ResourceArn=arn, TagKeys=list(keys))


def associate(client, name, arn):
    call(client, "CreateTenantResourceAssociation", TenantName=name, ResourceArn=arn)


def disassociate(client, name, arn):
    call(client, "DeleteTenantResourceAssociation", TenantName=name, ResourceArn=arn)
