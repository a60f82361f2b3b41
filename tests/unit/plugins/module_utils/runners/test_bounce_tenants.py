"""runners/bounce_tenants.py: reads once per resource / tenant per run, failures remembered and raised (could not
look), untrusted tags not believed, a tenant SES does not have means the account's list."""

from __future__ import annotations

import json

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import classify
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import Policy
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bounce_tenants import TenantResolver
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bounces import Processor
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore

from ..fakes import FakeSes as FakeSuppressionLists

IDENTITY = "arn:aws:ses:us-east-1:123456789012:identity/shop.example"
SET = "arn:aws:ses:us-east-1:123456789012:configuration-set/shop-mail"


class FakeSes:
    def __init__(self, resources=None, tenants=None, fail=()):
        self.resources = resources or {}
        self.tenants = tenants or {}
        self.fail = set(fail)
        self.calls = []


def caller(ses):
    def run(client, operation, **params):
        ses.calls.append((operation, params.get("ResourceArn") or params.get("TenantName")))
        if operation in ses.fail:
            raise AwsError(operation, "ThrottlingException", "slow down")
        if operation == "ListTenants":
            return {"Tenants": [{"TenantName": n} for n in ses.tenants][:params["PageSize"]]}
        if operation == "ListResourceTenants":
            return {"ResourceTenants": [{"TenantName": n} for n in ses.resources.get(params["ResourceArn"], [])]}
        if operation == "GetTenant":
            if params["TenantName"] not in ses.tenants:
                raise AwsError(operation, "NotFoundException", "no such tenant")
            return {"Tenant": {"TenantName": params["TenantName"],
                               "SuppressionAttributes": {"SuppressionScope": ses.tenants[params["TenantName"]]}}}
        raise AssertionError(operation)
    return run


def note(**extra):
    out = {"source_arn": IDENTITY, "configuration_set": "shop-mail"}
    out.update(extra)
    return out


def test_associations_read_once_per_resource_and_scope_once_per_tenant():
    ses = FakeSes(resources={IDENTITY: ["t1"], SET: ["t1"]}, tenants={"t1": "TENANT"})
    r = TenantResolver(None, caller=caller(ses))
    for dummy in range(50):
        assert r.resolve(note()) == ("t1", "both")
        assert r.scope("t1") == "TENANT"
    assert sorted(op for op, dummy in ses.calls) == ["GetTenant", "ListResourceTenants", "ListResourceTenants",
                                                     "ListTenants"]
    assert r.result()["sources"]["both"] == 50


def test_the_tag_needs_no_read_and_an_untrusted_tag_is_not_believed():
    ses = FakeSes(resources={IDENTITY: ["t1"]}, tenants={"t1": "ACCOUNT"})
    r = TenantResolver(None, caller=caller(ses))
    assert r.resolve(note(tenant="t9")) == ("t9", "event") and ses.calls == []
    assert r.resolve(note(tenant="bad name;drop")) == ("t1", "identity")
    assert r.resolve(note(tenant="t" * 65)) == ("t1", "identity")  # longer than SES allows: not cut to fit
    assert r.result()["untrusted_tags"] == 2


def test_event_mode_reads_no_association_and_an_account_without_tenants_reads_one_page():
    ses = FakeSes(resources={IDENTITY: ["t1"]})
    assert TenantResolver(None, mode="event", caller=caller(ses)).resolve(note()) == (None, "none")
    assert ses.calls == []
    r = TenantResolver(None, caller=caller(ses))
    for dummy in range(5):
        assert r.resolve(note()) == (None, "none")
    assert ses.calls == [("ListTenants", None)]


def test_a_failed_read_is_raised_every_time_but_asked_once():
    ses = FakeSes(resources={IDENTITY: ["t1"]}, tenants={"t1": "TENANT"}, fail=("ListResourceTenants",))
    r = TenantResolver(None, caller=caller(ses))
    for dummy in range(3):
        with pytest.raises(AwsError):
            r.resolve(note())
    assert [op for op, dummy in ses.calls].count("ListResourceTenants") == 1
    assert r.result()["could_not_look"][0]["error_code"] == "ThrottlingException"
    ses.fail = {"GetTenant"}
    with pytest.raises(AwsError):
        r.scope("t1")
    with pytest.raises(AwsError):
        r.scope("t1")
    assert [op for op, dummy in ses.calls].count("GetTenant") == 1


def test_a_tenant_ses_does_not_have_is_the_accounts_list():
    r = TenantResolver(None, caller=caller(FakeSes()))
    assert r.scope("gone") == "ACCOUNT" and r.result()["missing"] == ["gone"]


def test_other_regions_have_their_own_tenant_of_that_name():
    primary, other = FakeSes(tenants={"t1": "TENANT"}), FakeSes(tenants={})

    def route(client, operation, **params):
        return caller(other if client == "eu" else primary)(client, operation, **params)
    r = TenantResolver("us", caller=route, other_regions={"eu-west-1": "eu"})
    assert r.scope("t1") == "TENANT" and r.scope("t1", "eu-west-1") == "ACCOUNT"
    assert r.result()["scopes"] == {"t1": "TENANT", "t1@eu-west-1": "ACCOUNT"}


class StubTenants:
    """A resolver that says every event is client-a's, whose scope is TENANT."""

    def __init__(self):
        self.scopes = []

    def resolve(self, note):
        return "client-a", "event"

    def scope(self, tenant, region=None):
        self.scopes.append((tenant, region))
        return "TENANT"

    def result(self):
        return {"mode": "auto"}


def _soft(fid, ts):
    return json.dumps({"eventType": "Bounce", "mail": {"messageId": "m-" + fid},
                       "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull", "feedbackId": fid,
                                  "timestamp": ts, "bouncedRecipients": [{"emailAddress": "full@x.test",
                                                                          "status": "4.2.2"}]}})


@pytest.mark.parametrize("check_mode", [False, True])
def test_escalated_soft_bounces_go_to_the_tenants_list(tmp_path, check_mode):
    now = 1_800_000_000.0
    store = SqliteStore(str(tmp_path / "h.sqlite"))
    ses = FakeSuppressionLists()
    proc = Processor(store, Policy(soft_threshold=3), sesv2=ses, check_mode=check_mode, now=lambda: now,
                     tenants=StubTenants())
    if check_mode:  # the store already holds two soft bounces (check mode adds none of its own)
        for n in (1, 2):
            store.add_soft("full@x.test", "k%d" % n, now - 7200 * n)
    for n, ts in enumerate(("2027-01-15T05:00:00Z", "2027-01-15T06:00:00Z", "2027-01-15T07:00:00Z")):
        if check_mode and n < 2:
            continue
        proc.handle(classify(_soft("s%d" % n, ts)))
    out = proc.summary()
    assert out["escalated"] == ["full@x.test"]
    assert out["suppressed"] == [{"email": "full@x.test", "reason": "BOUNCE", "class": "soft", "via": "api",
                                  "escalated": True, "tenant": "client-a", "list": "tenant"}]
    assert out["tenants"]["by_tenant"]["client-a"]["suppressed_in_tenant_list"] == 1
    puts = [kw for op, kw in ses.calls if op == "PutSuppressedDestination"]
    lists = [kw for op, kw in ses.calls if op == "ListSuppressedDestinations"]
    assert lists and all(kw["TenantName"] == "client-a" for kw in lists)
    if check_mode:
        assert puts == [] and (store.get_address("full@x.test") or {}).get("suppressed_reason") is None
    else:
        assert puts == [{"EmailAddress": "full@x.test", "Reason": "BOUNCE", "TenantName": "client-a"}]
        assert store.get_address("full@x.test")["suppressed_via"] == "tenant:client-a"
    store.close()
