"""One client, one tenant, end to end in the sandbox: three client domains in three tenants with the strict
reputation policy, set up by the modules; one client's list hard-bounces past the threshold; SES pauses that
tenant alone and the other two keep sending. Read back with the AWS CLI, not from module results."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import send, verify_domain

CLIENTS = ("acme", "globex", "initech")


def test_three_clients_one_bounces_only_its_tenant_is_paused(sandbox, module_main, aws_cli):
    ses = sandbox.boto3_client("sesv2")
    for client in CLIENTS:
        domain = verify_domain(sandbox, "%s.example" % client)
        ses.create_configuration_set(ConfigurationSetName="%s-mail" % client)
        made = module_main("tenant", {"name": "client-" + client, "reputation_policy": "strict",
                                      "tags": {"client": client}})
        assert made.rc == 0, made.output
        bound = module_main("tenant_resources", {"tenant": "client-" + client, "identities": [domain],
                                                 "configuration_sets": ["%s-mail" % client], "exclusive": True})
        assert bound.rc == 0, bound.output

    # globex imported a stale list: every address hard-bounces
    sandbox.post("recipients", {"rules": [{"match": "*@stale-list.test", "behaviour": "hard_bounce"}]})
    for i in range(25):
        try:
            send(ses, "news@globex.example", "user%d@stale-list.test" % i, tenant="client-globex")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "SendingPausedException"
            break
    else:
        pytest.fail("SES never paused the bouncing tenant")
    paused_after = i
    for client in ("acme", "initech"):
        for n in range(3):
            assert send(ses, "news@%s.example" % client, "reader%d@%s-readers.test" % (n, client),
                        tenant="client-" + client)["MessageId"]
    with pytest.raises(ClientError) as exc:
        send(ses, "news@globex.example", "fine@globex-readers.test", tenant="client-globex")
    assert exc.value.response["Error"]["Code"] == "SendingPausedException"

    statuses = {}
    for client in CLIENTS:
        tenant = aws_cli("get-tenant", "--tenant-name", "client-" + client)["Tenant"]
        entity = aws_cli("get-reputation-entity", "--reputation-entity-type", "RESOURCE",
                         "--reputation-entity-reference", tenant["TenantArn"])["ReputationEntity"]
        assert entity["ReputationManagementPolicy"].endswith("reputation-policy/strict")
        statuses[client] = (tenant["SendingStatus"], entity["AwsSesManagedStatus"]["Status"])
        if client == "globex":
            assert "bounce rate 100.0%" in entity["AwsSesManagedStatus"]["Cause"]
            assert entity["ReputationImpact"] == "HIGH"
    assert statuses == {"acme": ("ENABLED", "ENABLED"), "globex": ("DISABLED", "DISABLED"),
                        "initech": ("ENABLED", "ENABLED")}
    # the account itself was never paused
    assert aws_cli("get-account")["SendingEnabled"] is True

    info = module_main("tenant_info", {})
    assert info.rc == 0 and info.result["paused"] == ["client-globex"]
    globex = [t for t in info.result["tenants"] if t["name"] == "client-globex"][0]
    assert globex["aws_managed_status"]["cause"].startswith("Sending paused by the strict reputation policy")
    assert globex["resources"] == {"identities": ["globex.example"], "configuration_sets": ["globex-mail"],
                                   "templates": []}
    print("tenant paused after %d messages" % paused_after)
