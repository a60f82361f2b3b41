"""ses/tenants.py: every page read (no cap), missing means None, other errors pass through, data shapes."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.ses import tenants as api

WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


class FakeTenants:
    def __init__(self, count, missing=(), error=None):
        self.names = ["t-%04d" % i for i in range(count)]
        self.missing = set(missing)
        self.error = error
        self.calls = []

    def _page(self, rows, kw):
        size = kw.get("PageSize", 100)
        start = int(kw.get("NextToken") or 0)
        out = rows[start:start + size]
        return out, (str(start + size) if start + size < len(rows) else None)

    def list_tenants(self, **kw):
        self.calls.append(("ListTenants", kw))
        rows, token = self._page([{"TenantName": n, "TenantArn": "arn:%s" % n, "SendingStatus": "ENABLED",
                                   "CreatedTimestamp": WHEN} for n in self.names], kw)
        return dict({"Tenants": rows}, **({"NextToken": token} if token else {}))

    def list_tenant_resources(self, **kw):
        self.calls.append(("ListTenantResources", kw))
        rows = [{"ResourceType": "EMAIL_IDENTITY", "ResourceArn": "arn:aws:ses:us-east-1:1:identity/d%d.test" % i}
                for i in range(230)]
        rows, token = self._page(rows, kw)
        return dict({"TenantResources": rows}, **({"NextToken": token} if token else {}))

    def get_tenant(self, TenantName):
        self.calls.append(("GetTenant", TenantName))
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "GetTenant")
        if TenantName in self.missing:
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no such tenant"}}, "GetTenant")
        return {"Tenant": {"TenantName": TenantName, "TenantArn": "arn:x", "CreatedTimestamp": WHEN,
                           "Tags": [{"Key": "client", "Value": "acme"}],
                           "SuppressionAttributes": {"SuppressedReasons": ["COMPLAINT", "BOUNCE"],
                                                     "SuppressionScope": "TENANT"}}}

    def get_reputation_entity(self, **kw):
        self.calls.append(("GetReputationEntity", kw))
        return {"ReputationEntity": {
            "ReputationManagementPolicy": "arn:aws:ses:us-east-1:aws:reputation-policy/strict",
            "AwsSesManagedStatus": {"Status": "DISABLED", "Cause": "bounces", "LastUpdatedTimestamp": WHEN},
            "SendingStatusAggregate": "DISABLED", "ReputationImpact": "HIGH"}}


def test_every_page_is_read():
    fake = FakeTenants(250)
    got = api.list_tenants(fake)
    assert [t["name"] for t in got] == fake.names
    assert len([c for c in fake.calls if c[0] == "ListTenants"]) == 3
    resources = api.list_tenant_resources(fake, "t-0001")
    assert len(resources) == 230 and resources[0] == {"kind": "identities", "name": "d0.test",
                                                      "arn": "arn:aws:ses:us-east-1:1:identity/d0.test"}


def test_missing_tenant_is_none_and_other_errors_pass_through():
    assert api.get_tenant(FakeTenants(0, missing={"gone"}), "gone") is None
    with pytest.raises(AwsError) as exc:
        api.get_tenant(FakeTenants(0, error="TooManyRequestsException"), "any")
    assert exc.value.code == "TooManyRequestsException" and exc.value.operation == "GetTenant"


def test_shapes():
    fake = FakeTenants(1)
    tenant = api.get_tenant(fake, "t-0000")
    assert tenant["tags"] == {"client": "acme"}
    assert tenant["suppression"] == {"reasons": ["BOUNCE", "COMPLAINT"], "scope": "TENANT"}
    assert tenant["created"] == WHEN.isoformat()
    entity = api.get_entity(fake, "arn:x")
    assert entity["reputation_policy"] == "strict" and entity["reputation_impact"] == "HIGH"
    assert entity["aws_managed_status"] == {"status": "DISABLED", "cause": "bounces", "last_updated": WHEN.isoformat()}
    # a side SES did not return reads as ENABLED, without a cause
    assert entity["customer_managed_status"] == {"status": "ENABLED", "cause": None, "last_updated": None}
