"""The sandbox's SES tenants (tests/sandbox/tenants.py) through boto3 and the AWS CLI: the botocore model's
operations and errors, ARNs, pages, per-region state, and SendEmail with TenantName under each reputation
policy (thresholds in docs/sandbox.md)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.tenants import ACCOUNT, arn, send

STRICT = "arn:aws:ses:us-east-1:aws:reputation-policy/strict"


def _code(fn, **kw):
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    return exc.value.response["Error"]["Code"]


def _entity(ses, tenant_arn):
    return ses.get_reputation_entity(ReputationEntityType="RESOURCE",
                                     ReputationEntityReference=tenant_arn)["ReputationEntity"]


def test_tenant_api_errors_arns_pages_and_regions(sandbox):
    ses = sandbox.boto3_client("sesv2")
    made = ses.create_tenant(TenantName="t-0", Tags=[{"Key": "client", "Value": "zero"}])
    assert made["TenantArn"] == "arn:aws:ses:us-east-1:%s:tenant/t-0/%s" % (ACCOUNT, made["TenantId"])
    assert made["SendingStatus"] == "ENABLED"
    assert made["SuppressionAttributes"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"], "SuppressionScope": "ACCOUNT"}
    assert _code(ses.create_tenant, TenantName="t-0") == "AlreadyExistsException"
    assert _code(ses.create_tenant, TenantName="bad name") == "BadRequestException"
    assert _code(ses.get_tenant, TenantName="missing") == "NotFoundException"
    assert _code(ses.delete_tenant, TenantName="missing") == "NotFoundException"
    assert _code(ses.create_tenant_resource_association, TenantName="t-0",
                 ResourceArn=arn("identity", "nobody@x.test")) == "NotFoundException"
    assert _code(ses.update_reputation_entity_policy, ReputationEntityType="RESOURCE",
                 ReputationEntityReference=made["TenantArn"],
                 ReputationEntityPolicy="arn:aws:ses:us-east-1:aws:reputation-policy/lenient") == "BadRequestException"
    for i in range(1, 7):
        ses.create_tenant(TenantName="t-%d" % i)
    names, token = [], None
    while True:
        page = ses.list_tenants(PageSize=3, **({"NextToken": token} if token else {}))
        names += [t["TenantName"] for t in page["Tenants"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == ["t-%d" % i for i in range(7)]
    # per region: eu-west-1 has none of them, and its ARNs say eu-west-1
    eu = sandbox.boto3_client("sesv2", region="eu-west-1")
    assert eu.list_tenants()["Tenants"] == []
    assert eu.create_tenant(TenantName="t-0")["TenantArn"].startswith("arn:aws:ses:eu-west-1:")
    # tags through TagResource on the tenant ARN; DeleteTenant keeps the resources
    ses.tag_resource(ResourceArn=made["TenantArn"], Tags=[{"Key": "tier", "Value": "gold"}])
    assert {t["Key"] for t in ses.get_tenant(TenantName="t-0")["Tenant"]["Tags"]} == {"client", "tier"}
    ses.create_configuration_set(ConfigurationSetName="cs-0")
    ses.create_tenant_resource_association(TenantName="t-0", ResourceArn=arn("configuration-set", "cs-0"))
    assert _code(ses.create_tenant_resource_association, TenantName="t-0",
                 ResourceArn=arn("configuration-set", "cs-0")) == "AlreadyExistsException"
    assert ses.list_resource_tenants(ResourceArn=arn("configuration-set", "cs-0"))["ResourceTenants"][0][
        "TenantName"] == "t-0"
    ses.delete_tenant(TenantName="t-0")
    assert ses.get_configuration_set(ConfigurationSetName="cs-0")["ConfigurationSetName"] == "cs-0"
    assert ses.list_resource_tenants(ResourceArn=arn("configuration-set", "cs-0"))["ResourceTenants"] == []


@pytest.mark.parametrize("policy, paused", [("strict", True), ("standard", True), ("none", False)])
def test_reputation_policy_pauses_one_tenant(sandbox, policy, paused):
    ses = sandbox.boto3_client("sesv2")
    sandbox.post("recipients", {"rules": [{"match": "*@gone.test", "behaviour": "hard_bounce"}]})
    tenants = {}
    for name, source in (("bad", "news@bad-client.test"), ("good", "news@good-client.test")):
        ses.create_email_identity(EmailIdentity=source)
        sandbox.post("verify-email", {"identity": source})
        tenants[name] = ses.create_tenant(TenantName=name)["TenantArn"]
        ses.create_tenant_resource_association(TenantName=name, ResourceArn=arn("identity", source))
        ses.update_reputation_entity_policy(ReputationEntityType="RESOURCE", ReputationEntityReference=tenants[name],
                                            ReputationEntityPolicy="arn:aws:ses:us-east-1:aws:reputation-policy/"
                                            + policy)
    # 20 messages, all hard bounces: 100 % > 10 % (HIGH impact), which standard and strict both act on
    for i in range(20):
        send(ses, "news@bad-client.test", "u%d@gone.test" % i, tenant="bad")
    bad = _entity(ses, tenants["bad"])
    assert bad["ReputationImpact"] == "HIGH"
    assert (bad["AwsSesManagedStatus"]["Status"] == "DISABLED") is paused
    assert (bad["SendingStatusAggregate"] == "DISABLED") is paused
    if paused:
        assert "bounce rate 100.0%" in bad["AwsSesManagedStatus"]["Cause"]
        assert _code(send, ses=ses, source="news@bad-client.test", to="ok@fine.test",
                     tenant="bad") == "SendingPausedException"
        # the customer-managed REINSTATED does not override SES's pause
        ses.update_reputation_entity_customer_managed_status(ReputationEntityType="RESOURCE",
                                                             ReputationEntityReference=tenants["bad"],
                                                             SendingStatus="REINSTATED")
        assert _entity(ses, tenants["bad"])["SendingStatusAggregate"] == "DISABLED"
    else:
        assert send(ses, "news@bad-client.test", "ok@fine.test", tenant="bad")["MessageId"]
    # the other tenant keeps sending
    assert send(ses, "news@good-client.test", "ok@fine.test", tenant="good")["MessageId"]
    assert _entity(ses, tenants["good"])["SendingStatusAggregate"] == "ENABLED"
    # the listings filter on the status
    disabled = ses.list_reputation_entities(Filter={"SENDING_STATUS": "DISABLED"})["ReputationEntities"]
    assert [e["ReputationEntityReference"] for e in disabled] == ([tenants["bad"]] if paused else [])
    listed = ses.list_tenants(Filter={"SENDING_STATUS": "DISABLED"})["Tenants"]
    assert [t["TenantName"] for t in listed] == (["bad"] if paused else [])
    assert len(ses.list_reputation_entities()["ReputationEntities"]) == 2


def test_strict_acts_on_low_impact_standard_does_not(sandbox):
    """5 bounces in 100 (5 %): at the 5 % review threshold, under the 10 % one - a LOW-impact finding."""
    ses = sandbox.boto3_client("sesv2")
    sandbox.post("recipients", {"rules": [{"match": "*@gone.test", "behaviour": "hard_bounce"}]})
    arns = {}
    for policy in ("strict", "standard"):
        source = "news@%s.test" % policy
        ses.create_email_identity(EmailIdentity=source)
        sandbox.post("verify-email", {"identity": source})
        arns[policy] = ses.create_tenant(TenantName=policy)["TenantArn"]
        ses.create_tenant_resource_association(TenantName=policy, ResourceArn=arn("identity", source))
        ses.update_reputation_entity_policy(ReputationEntityType="RESOURCE", ReputationEntityReference=arns[policy],
                                            ReputationEntityPolicy="arn:aws:ses:us-east-1:aws:reputation-policy/"
                                            + policy)
        for i in range(95):
            send(ses, source, "ok%d@fine.test" % i, tenant=policy)
        for i in range(5):
            send(ses, source, "u%d@gone.test" % i, tenant=policy)
    strict, standard = _entity(ses, arns["strict"]), _entity(ses, arns["standard"])
    assert strict["ReputationImpact"] == standard["ReputationImpact"] == "LOW"
    assert strict["AwsSesManagedStatus"]["Status"] == "DISABLED"
    assert standard["AwsSesManagedStatus"]["Status"] == "ENABLED"


def test_send_for_a_tenant_needs_its_identity_and_an_enabled_status(sandbox):
    ses = sandbox.boto3_client("sesv2")
    ses.create_email_identity(EmailIdentity="news@x.test")
    sandbox.post("verify-email", {"identity": "news@x.test"})
    tenant_arn = ses.create_tenant(TenantName="x")["TenantArn"]
    assert _code(send, ses=ses, source="news@x.test", to="a@fine.test", tenant="x") == "BadRequestException"
    assert _code(send, ses=ses, source="news@x.test", to="a@fine.test", tenant="nobody") == "NotFoundException"
    ses.create_tenant_resource_association(TenantName="x", ResourceArn=arn("identity", "news@x.test"))
    assert send(ses, "news@x.test", "a@fine.test", tenant="x")["MessageId"]
    ses.update_reputation_entity_customer_managed_status(ReputationEntityType="RESOURCE",
                                                         ReputationEntityReference=tenant_arn, SendingStatus="DISABLED")
    assert ses.get_tenant(TenantName="x")["Tenant"]["SendingStatus"] == "DISABLED"
    assert _code(send, ses=ses, source="news@x.test", to="a@fine.test", tenant="x") == "SendingPausedException"
    # without TenantName the account still sends from the identity
    assert send(ses, "news@x.test", "a@fine.test")["MessageId"]


def test_tenant_scope_suppression_list(sandbox):
    """Scope TENANT: the tenant's hard bounces go to its own list (read with TenantName), not the account's; a
    tenant with scope ACCOUNT keeps using the account's list."""
    ses = sandbox.boto3_client("sesv2")
    sandbox.post("recipients", {"rules": [{"match": "*@gone.test", "behaviour": "hard_bounce"}]})
    for name, scope in (("own", "TENANT"), ("shared", "ACCOUNT")):
        source = "news@%s.test" % name
        ses.create_email_identity(EmailIdentity=source)
        sandbox.post("verify-email", {"identity": source})
        ses.create_tenant(TenantName=name, SuppressionAttributes={"SuppressedReasons": ["BOUNCE", "COMPLAINT"],
                                                                  "SuppressionScope": scope})
        ses.create_tenant_resource_association(TenantName=name, ResourceArn=arn("identity", source))
        send(ses, source, "%s-reader@gone.test" % name, tenant=name)
    account = [d["EmailAddress"] for d in ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]]
    own = [d["EmailAddress"] for d in ses.list_suppressed_destinations(TenantName="own")[
        "SuppressedDestinationSummaries"]]
    assert account == ["shared-reader@gone.test"] and own == ["own-reader@gone.test"]
    assert ses.get_suppressed_destination(EmailAddress="own-reader@gone.test", TenantName="own")[
        "SuppressedDestination"]["Reason"] == "BOUNCE"
    assert _code(ses.get_suppressed_destination, EmailAddress="own-reader@gone.test") == "NotFoundException"
    ses.delete_suppressed_destination(EmailAddress="own-reader@gone.test", TenantName="own")
    assert ses.list_suppressed_destinations(TenantName="own")["SuppressedDestinationSummaries"] == []
    # the same address mailed outside the tenant bounces into the account's list
    send(ses, "news@own.test", "own-reader@gone.test")
    account = [d["EmailAddress"] for d in ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]]
    assert sorted(account) == ["own-reader@gone.test", "shared-reader@gone.test"]
