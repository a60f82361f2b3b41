"""The tenant view of the posture, against the sandbox's tenant API: a domain whose tenant SES paused (its list
bounced), one in a tenant whose reputation policy is none, one in a tenant its operator paused, one in no tenant.
Each gets exactly its finding; the tenants are read once each, not once per domain; read-only."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.names import unique
from tests.fixtures.tenants import arn, send
from tests.integration.posture.seed import EXPECTED, seed

LABELS = ["good", "pnone", "nodmarc", "nosign"]


@pytest.fixture
def tenant_fleet(sandbox, bind, amazonses):  # noqa: F811 - the imported fixture
    zone = unique("ptz")
    bind.add_zone(zone)
    names, dummy = seed(sandbox, bind, zone, labels=LABELS, parked_labels=[])
    ses = sandbox.boto3_client("sesv2")
    tenants = {"good": unique("t-paused", ""), "pnone": unique("t-lax", ""), "nosign": unique("t-held", "")}
    for label, tenant in tenants.items():
        made = ses.create_tenant(TenantName=tenant)
        ses.create_tenant_resource_association(TenantName=tenant, ResourceArn=arn("identity", names[label]))
        policy = {"good": "strict", "pnone": "none", "nosign": "standard"}[label]
        ses.update_reputation_entity_policy(
            ReputationEntityType="RESOURCE", ReputationEntityReference=made["TenantArn"],
            ReputationEntityPolicy="arn:aws:ses:us-east-1:aws:reputation-policy/%s" % policy)
    held = ses.get_tenant(TenantName=tenants["nosign"])["Tenant"]["TenantArn"]
    ses.update_reputation_entity_customer_managed_status(ReputationEntityType="RESOURCE",
                                                         ReputationEntityReference=held, SendingStatus="DISABLED")
    # the paused client's list hard-bounces until SES pauses its tenant (and only it)
    sender = "news@%s" % unique("sender")
    ses.create_email_identity(EmailIdentity=sender)
    sandbox.post("verify-email", {"identity": sender})
    ses.create_tenant_resource_association(TenantName=tenants["good"], ResourceArn=arn("identity", sender))
    sandbox.post("recipients", {"rules": [{"match": "*@stale-list.test", "behaviour": "hard_bounce"}]})
    for i in range(40):
        try:
            send(ses, sender, "user%d@stale-list.test" % i, tenant=tenants["good"])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "SendingPausedException"
            break
    else:
        pytest.fail("SES never paused the bouncing tenant")
    return names, tenants


def test_each_tenant_state_is_its_finding_and_tenants_are_read_once(module_main, sandbox, bind, tenant_fleet, tmp_path):
    names, tenants = tenant_fleet
    mark = sandbox.mark()
    res = module_main("posture_info", {"domains": list(names.values()), "nameservers": [bind.server],
                                       "workers": 4, "html_path": str(tmp_path / "p.html")})
    assert res.rc == 0, res.result
    out = res.result
    got = {r["domain"]: sorted(f["id"] for f in r["findings"]) for r in out["domains"]}
    extra = {"good": ["tenant_paused"], "pnone": ["tenant_policy_weaker"], "nodmarc": ["tenant_missing"],
             "nosign": ["tenant_paused_by_you"]}
    assert got == {names[label]: sorted(EXPECTED[label] + extra[label]) for label in LABELS}
    requests = sandbox.requests(since=mark)
    assert [r for r in requests if r["mutating"]] == []
    ops = [r.get("operation") for r in requests]
    n = len(tenants)
    assert ops.count("ListTenantResources") == n and ops.count("GetReputationEntity") == n, ops
    view = out["tenants"]
    assert view["used"] is True and view["fleet_policy"] == "standard"
    rows = dict((t["name"], t) for t in view["tenants"])
    paused = rows[tenants["good"]]
    assert paused["paused_by"] == "SES" and "bounce rate" in paused["cause"] and paused["verdict"] == "needs action"
    assert paused["domains"] == [names["good"]]
    assert rows[tenants["nosign"]]["paused_by"] == "you" and rows[tenants["pnone"]]["reputation_policy"] == "none"
    # read back independently: SES says the same of the paused tenant
    ses = sandbox.boto3_client("sesv2")
    entity = ses.get_reputation_entity(ReputationEntityType="RESOURCE", ReputationEntityReference=ses.get_tenant(
        TenantName=tenants["good"])["Tenant"]["TenantArn"])["ReputationEntity"]
    assert entity["AwsSesManagedStatus"]["Status"] == "DISABLED"
    page = (tmp_path / "p.html").read_text()
    table = page[page.index('id="tenants"'):page.index("</table>", page.index('id="tenants"'))]
    assert "paused by SES: " in table and '<a href="#d-%s">' % names["good"] in table
    assert "tenant_missing" in page


def test_an_account_without_tenants_gets_no_tenant_finding(module_main, sandbox, bind, fleet):
    zone, names, parked = fleet
    out = module_main("posture_info", {"domains": [names["good"]], "nameservers": [bind.server]}).result
    assert out["tenants"] == {"checked": True, "used": False, "tenants": []}
    assert out["domains"][0]["findings"] == []
    off = module_main("posture_info", {"domains": [names["good"]], "nameservers": [bind.server],
                                       "check_tenants": False}).result
    assert off["tenants"]["checked"] is False


def test_tenants_that_cannot_be_read_are_unknown_not_findings(module_main, sandbox, bind, fleet):
    zone, names, parked = fleet
    sandbox.post("faults", {"rules": [{"operation": "ListTenants", "kind": "error", "count": 100}]})
    out = module_main("posture_info", {"domains": [names["good"], names["nodmarc"]],
                                       "nameservers": [bind.server]}).result
    assert out["status"] == "could_not_look" and "ListTenants" in out["tenants"]["error"], out["tenants"]
    for r in out["domains"]:
        assert not [f for f in r["findings"] if f["id"].startswith("tenant_")]
        assert [u["check"] for u in r["unknown"]] == ["tenant"]
