"""tenant, tenant_resources and tenant_info against the sandbox, in-process (module_main): create, update,
pause/resume with the audit log, delete guard, exact resource sets, check mode from the request log, second
run unchanged, bad input refused before any request. State is read back with boto3 and the AWS CLI."""

from __future__ import annotations

from .conftest import ACCOUNT, arn, audit_lines


def test_tenant_lifecycle_policy_suppression_and_pause(sandbox, module_main, aws_cli, tmp_path):
    ses = sandbox.boto3_client("sesv2")
    log = tmp_path / "audit.jsonl"
    args = {"name": "client-acme", "reputation_policy": "strict", "suppression_scope": "TENANT",
            "suppressed_reasons": ["BOUNCE"], "tags": {"client": "acme"}, "audit_log": str(log)}

    mark = sandbox.mark()
    check = module_main("tenant", args, check=True, diff=True)
    assert check.rc == 0, check.output
    assert check.result["changed"] is True and check.result["changes"] == ["created"]
    assert check.result["diff"]["after"]["reputation_policy"] == "strict"
    assert sandbox.mutating_calls(since=mark) == []

    run = module_main("tenant", args)
    assert run.rc == 0, run.output
    got = aws_cli("get-tenant", "--tenant-name", "client-acme")["Tenant"]
    assert got["SuppressionAttributes"] == {"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "TENANT"}
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"client": "acme"}
    assert got["TenantArn"].startswith("arn:aws:ses:us-east-1:%s:tenant/client-acme/" % ACCOUNT)
    entity = aws_cli("get-reputation-entity", "--reputation-entity-type", "RESOURCE",
                     "--reputation-entity-reference", got["TenantArn"])["ReputationEntity"]
    assert entity["ReputationManagementPolicy"] == "arn:aws:ses:us-east-1:aws:reputation-policy/strict"

    mark = sandbox.mark()
    again = module_main("tenant", args)
    assert again.result["changed"] is False and again.result["changes"] == []
    assert sandbox.mutating_calls(since=mark) == []

    # tags and policy change; the suppression left unset stays
    res = module_main("tenant", {"name": "client-acme", "reputation_policy": "none", "tags": {"client": "acme-2"}},
                      diff=True)
    assert res.rc == 0, res.output
    assert sorted(res.result["changes"]) == ["reputation_policy", "tags"]
    got = ses.get_tenant(TenantName="client-acme")["Tenant"]
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"client": "acme-2"}
    assert got["SuppressionAttributes"]["SuppressionScope"] == "TENANT"
    assert ses.get_reputation_entity(ReputationEntityType="RESOURCE", ReputationEntityReference=got["TenantArn"])[
        "ReputationEntity"]["ReputationManagementPolicy"].endswith("/none")

    # suppression back to the account's list, both reasons (PutTenantSuppressionAttributes)
    res = module_main("tenant", {"name": "client-acme", "suppression_scope": "ACCOUNT",
                                 "suppressed_reasons": ["COMPLAINT", "BOUNCE"]})
    assert res.result["changes"] == ["suppression"]
    assert aws_cli("get-tenant", "--tenant-name", "client-acme")["Tenant"]["SuppressionAttributes"] == {
        "SuppressedReasons": ["BOUNCE", "COMPLAINT"], "SuppressionScope": "ACCOUNT"}

    # pause: needs a reason, audited; check mode writes nothing, not even the audit line
    refused = module_main("tenant", {"name": "client-acme", "sending_status": "disabled", "audit_log": str(log)})
    assert refused.rc != 0 and "reason" in refused.result["msg"]
    pause = {"name": "client-acme", "sending_status": "disabled", "reason": "TICKET-1: list under review",
             "audit_log": str(log)}
    mark = sandbox.mark()
    check = module_main("tenant", pause, check=True)
    assert check.result["changed"] is True and check.result["changes"] == ["sending_status"]
    assert sandbox.mutating_calls(since=mark) == [] and audit_lines(log) == []
    res = module_main("tenant", pause)
    assert res.rc == 0, res.output
    assert [c["operation"] for c in sandbox.mutating_calls(since=mark)] == [
        "UpdateReputationEntityCustomerManagedStatus"]
    entity = aws_cli("get-reputation-entity", "--reputation-entity-type", "RESOURCE",
                     "--reputation-entity-reference", got["TenantArn"])["ReputationEntity"]
    assert entity["CustomerManagedStatus"]["Status"] == "DISABLED"
    assert entity["SendingStatusAggregate"] == "DISABLED"
    lines = audit_lines(log)
    assert len(lines) == 1 and lines[0]["action"] == "tenant_pause"
    assert lines[0]["reason"] == "TICKET-1: list under review" and lines[0]["tenant"] == "client-acme"
    assert lines[0]["previous_status"] == "ENABLED" and lines[0]["status"] == "DISABLED"
    assert module_main("tenant", pause).result["changed"] is False and len(audit_lines(log)) == 1

    resume = dict(pause, sending_status="enabled", reason="TICKET-1: list cleaned")
    assert module_main("tenant", resume).result["changed"] is True
    assert ses.get_tenant(TenantName="client-acme")["Tenant"]["SendingStatus"] == "ENABLED"
    assert [x["action"] for x in audit_lines(log)] == ["tenant_pause", "tenant_resume"]


def test_delete_refused_while_resources_remain(sandbox, module_main, sender):
    ses = sandbox.boto3_client("sesv2")
    ses.create_tenant(TenantName="client-b")
    sender("news@b.test")
    ses.create_tenant_resource_association(TenantName="client-b", ResourceArn=arn("identity", "news@b.test"))

    mark = sandbox.mark()
    refused = module_main("tenant", {"name": "client-b", "state": "absent"})
    assert refused.rc != 0 and "detach_resources" in refused.result["msg"]
    assert sandbox.mutating_calls(since=mark) == []
    assert ses.get_tenant(TenantName="client-b")["Tenant"]["TenantName"] == "client-b"

    check = module_main("tenant", {"name": "client-b", "state": "absent", "detach_resources": True}, check=True)
    assert check.result["changed"] is True and check.result["detached"] == [arn("identity", "news@b.test")]
    assert sandbox.mutating_calls(since=mark) == []
    gone = module_main("tenant", {"name": "client-b", "state": "absent", "detach_resources": True})
    assert gone.rc == 0 and gone.result["changed"] is True
    assert ses.list_tenants()["Tenants"] == []
    # the identity stays
    assert ses.get_email_identity(EmailIdentity="news@b.test")["IdentityType"] == "EMAIL_ADDRESS"
    assert module_main("tenant", {"name": "client-b", "state": "absent"}).result["changed"] is False


def test_tenant_resources_exact_set(sandbox, module_main, sender, aws_cli):
    ses = sandbox.boto3_client("sesv2")
    ses.create_tenant(TenantName="client-c")
    sender("news@c.test")
    sender("billing@c.test")
    ses.create_configuration_set(ConfigurationSetName="c-transactional")
    ses.create_email_template(TemplateName="c-welcome", TemplateContent={"Subject": "hi", "Text": "hi"})
    args = {"tenant": "client-c", "identities": ["news@C.test"], "configuration_sets": ["c-transactional"],
            "templates": ["c-welcome"]}

    mark = sandbox.mark()
    check = module_main("tenant_resources", args, check=True, diff=True)
    assert check.rc == 0, check.output
    assert check.result["attached"] == sorted([arn("identity", "news@c.test"),
                                               arn("configuration-set", "c-transactional"),
                                               arn("template", "c-welcome")])
    assert sandbox.mutating_calls(since=mark) == []

    assert module_main("tenant_resources", args).result["changed"] is True
    listed = aws_cli("list-tenant-resources", "--tenant-name", "client-c")["TenantResources"]
    assert sorted((r["ResourceType"], r["ResourceArn"]) for r in listed) == sorted([
        ("EMAIL_IDENTITY", arn("identity", "news@c.test")),
        ("CONFIGURATION_SET", arn("configuration-set", "c-transactional")),
        ("EMAIL_TEMPLATE", arn("template", "c-welcome"))])
    mark = sandbox.mark()
    assert module_main("tenant_resources", args).result["changed"] is False
    assert sandbox.mutating_calls(since=mark) == []

    # exclusive: the listed set and nothing else
    ses.create_tenant_resource_association(TenantName="client-c", ResourceArn=arn("identity", "billing@c.test"))
    exact = dict(args, exclusive=True, templates=[])
    res = module_main("tenant_resources", exact)
    assert res.rc == 0, res.output
    assert res.result["detached"] == sorted([arn("identity", "billing@c.test"), arn("template", "c-welcome")])
    assert res.result["attached"] == []
    rows = ses.list_resource_tenants(ResourceArn=arn("identity", "billing@c.test"))["ResourceTenants"]
    assert rows == []
    assert sorted(r["ResourceArn"] for r in ses.list_tenant_resources(TenantName="client-c")["TenantResources"]) == \
        sorted([arn("identity", "news@c.test"), arn("configuration-set", "c-transactional")])

    # state=absent detaches what is listed
    res = module_main("tenant_resources", {"tenant": "client-c", "configuration_sets": ["c-transactional"],
                                           "state": "absent"})
    assert res.result["detached"] == [arn("configuration-set", "c-transactional")]
    assert [r["ResourceArn"] for r in ses.list_tenant_resources(TenantName="client-c")["TenantResources"]] == [
        arn("identity", "news@c.test")]

    info = module_main("tenant_info", {"name": "client-c"})
    assert info.rc == 0 and info.result["count"] == 1
    assert info.result["tenants"][0]["resources"] == {"identities": ["news@c.test"], "configuration_sets": [],
                                                      "templates": []}


def test_bad_input_refused_naming_the_option(sandbox, module_main, sender):
    ses = sandbox.boto3_client("sesv2")
    ses.create_tenant(TenantName="client-d")
    sender("news@d.test")
    cases = [
        ("tenant", {"name": "client-d", "reputation_policy": "lenient"}, "reputation_policy"),
        ("tenant", {"name": "client d!"}, "name"),
        ("tenant", {"name": "x" * 65}, "name"),
        ("tenant_info", {"name": "bad/name"}, "name"),
        ("tenant_resources", {"tenant": "client-d", "resource_arns": [arn("identity", "news@d.test", "eu-west-1")]},
         "resource_arns"),
        ("tenant_resources", {"tenant": "client-d", "resource_arns": [
            "arn:aws:ses:us-east-1:210987654321:identity/news@d.test"]}, "resource_arns"),
        ("tenant_resources", {"tenant": "client-d", "identities": ["missing@d.test"]}, "identities"),
        ("tenant_resources", {"tenant": "client-d", "configuration_sets": ["no-such-set"]}, "configuration_sets"),
        ("tenant_resources", {"tenant": "client-d", "templates": ["no-such-template"]}, "templates"),
        ("tenant_resources", {"tenant": "no-such-tenant", "identities": ["news@d.test"]}, "tenant"),
    ]
    for module, args, option in cases:
        mark = sandbox.mark()
        res = module_main(module, args)
        assert res.rc != 0, (module, args)
        assert option in res.result["msg"], (module, args, res.result["msg"])
        assert "Traceback" not in res.output
        assert sandbox.mutating_calls(since=mark) == [], (module, args)
    # nothing was associated
    assert ses.list_tenant_resources(TenantName="client-d")["TenantResources"] == []
    # in check mode a tenant that an earlier task would create is planned as empty, with a warning
    mark = sandbox.mark()
    planned = module_main("tenant_resources", {"tenant": "client-new", "identities": ["news@d.test"]}, check=True)
    assert planned.rc == 0, planned.output
    assert planned.result["attached"] == ["arn:aws:ses:us-east-1:123456789012:identity/news@d.test"]
    assert any("client-new" in w for w in planned.result.get("warnings", []))
    assert sandbox.mutating_calls(since=mark) == []
