"""One client, one tenant, end to end in the sandbox: three client domains in three tenants with the strict
reputation policy, set up by the modules; one client's list hard-bounces past the threshold; SES pauses that
tenant alone and the other two keep sending. Read back with the AWS CLI, not from module results."""

from __future__ import annotations

from pathlib import Path

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


PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"


def _send_as(ses, client, to):
    return ses.send_email(FromEmailAddress="news@%s.example" % client, Destination={"ToAddresses": [to]},
                          Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}}},
                          ConfigurationSetName="%s-mail" % client, TenantName="client-" + client)


def test_one_clients_bounces_pause_its_tenant_and_are_suppressed_in_its_scope(
        sandbox, module_main, ansible_playbook, aws_cli, bind, tmp_path):
    """The issue's "Must show": three clients in three strict tenants (globex and acme keep their own suppression
    list, initech uses the account's); globex's stale list hard-bounces until SES pauses globex alone; acme and
    initech still send; process_bounces.yml puts globex's bounces on globex's list (not the account's) and
    initech's on the account's; the reputation report and the posture name the paused tenant and why."""
    ses = sandbox.boto3_client("sesv2")
    sns, sqs = sandbox.boto3_client("sns"), sandbox.boto3_client("sqs")
    topic = sns.create_topic(Name="ses-feedback")["TopicArn"]
    queue = sqs.create_queue(QueueName="ses-feedback")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    # SES records nothing itself (no reasons anywhere): what is on a list afterwards, the playbook put there
    ses.put_account_suppression_attributes(SuppressedReasons=[])
    scopes = {"acme": "TENANT", "globex": "TENANT", "initech": "ACCOUNT"}
    for client in CLIENTS:
        domain = verify_domain(sandbox, "%s.example" % client)
        ses.create_configuration_set(ConfigurationSetName="%s-mail" % client)
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="%s-mail" % client, EventDestinationName="feedback",
            EventDestination={"Enabled": True, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
                              "SnsDestination": {"TopicArn": topic}})
        made = module_main("tenant", {"name": "client-" + client, "reputation_policy": "strict",
                                      "suppression_scope": scopes[client], "suppressed_reasons": []})
        assert made.rc == 0, made.output
        bound = module_main("tenant_resources", {"tenant": "client-" + client, "identities": [domain],
                                                 "configuration_sets": ["%s-mail" % client], "exclusive": True})
        assert bound.rc == 0, bound.output

    sandbox.post("recipients", {"rules": [{"match": "*@stale-list.test", "behaviour": "hard_bounce"},
                                          {"match": "gone@initech-readers.test", "behaviour": "hard_bounce"}]})
    bounced = []
    for i in range(30):
        try:
            _send_as(ses, "globex", "user%d@stale-list.test" % i)
            bounced.append("user%d@stale-list.test" % i)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "SendingPausedException"
            break
    else:
        pytest.fail("SES never paused the bouncing tenant")
    # the other two still send (one of initech's readers is gone: one bounce, far below any threshold)
    for client in ("acme", "initech"):
        for n in range(3):
            assert _send_as(ses, client, "reader%d@%s-readers.test" % (n, client))["MessageId"]
    assert _send_as(ses, "initech", "gone@initech-readers.test")["MessageId"]

    run = ansible_playbook(str(PLAYBOOKS / "process_bounces.yml"), extra_vars={
        "queue_url": queue, "store_path": str(tmp_path / "bounces.sqlite"), "report_dir": str(tmp_path / "reports"),
        "wait_time_seconds": 0})
    assert run.rc == 0, run.output
    # read back with the AWS CLI (one listing per list, one address on its own): globex's bounces are on globex's
    # own list, and on neither the account's nor another tenant's; initech's (scope ACCOUNT) on the account's

    def on_list(*tenant):
        args = ("--tenant-name", tenant[0]) if tenant else ()
        rows = aws_cli("list-suppressed-destinations", *args)["SuppressedDestinationSummaries"]
        return dict((x["EmailAddress"], x["Reason"]) for x in rows)
    assert on_list("client-globex") == dict((email, "BOUNCE") for email in bounced)
    assert on_list() == {"gone@initech-readers.test": "BOUNCE"}
    assert on_list("client-acme") == {} and on_list("client-initech") == {}
    got = aws_cli("get-suppressed-destination", "--email-address", bounced[0], "--tenant-name", "client-globex")
    assert got["SuppressedDestination"]["Reason"] == "BOUNCE"
    aws_cli("get-suppressed-destination", "--email-address", bounced[0], error="NotFoundException")
    md = (tmp_path / "reports" / "list-hygiene.md").read_text()
    assert "| client-globex | %d | %d | 0 | 0 |" % (len(bounced), len(bounced)) in md
    assert "| client-initech | 1 | 1 | 0 | 0 |" in md

    # SES's side, read with the AWS CLI: globex paused by SES (strict) and why, the others still enabled
    entities = aws_cli("list-reputation-entities")["ReputationEntities"]
    statuses = dict((e["ReputationEntityReference"].split("/")[1], e["SendingStatusAggregate"]) for e in entities)
    assert statuses == {"client-acme": "ENABLED", "client-globex": "DISABLED", "client-initech": "ENABLED"}
    globex = aws_cli("get-tenant", "--tenant-name", "client-globex")["Tenant"]
    assert globex["SuppressionAttributes"]["SuppressionScope"] == "TENANT"
    entity = aws_cli("get-reputation-entity", "--reputation-entity-type", "RESOURCE",
                     "--reputation-entity-reference", globex["TenantArn"])["ReputationEntity"]
    assert entity["AwsSesManagedStatus"]["Status"] == "DISABLED"
    cause = entity["AwsSesManagedStatus"]["Cause"]
    assert "bounce rate 100.0%" in cause

    # the reputation report names the paused tenant and why (the account's own rate is critical too: rc 2)
    page = tmp_path / "reputation.html"
    rep = ansible_playbook(str(PLAYBOOKS / "reputation_report.yml"),
                           extra_vars={"report_path": str(page), "tenants": True})
    assert rep.rc == 2, rep.output
    html = page.read_text()
    table = html[html.index('id="tenants"'):html.index("</table>", html.index('id="tenants"'))]
    row = [r for r in table.split("<tr>") if "<td>client-globex</td>" in r]
    assert row and "paused by SES: Sending paused by the strict reputation policy: bounce rate 100.0%" in row[0]
    for client in ("acme", "initech"):
        other = [r for r in table.split("<tr>") if "<td>client-%s</td>" % client in r]
        assert other and "paused by" not in other[0]

    # the posture's tenant view: globex paused by SES with SES's cause; the others not paused
    posture = module_main("posture_info", {"domains": ["%s.example" % c for c in CLIENTS],
                                           "nameservers": [bind.server], "dns_timeout": 2})
    assert posture.rc == 0, posture.result
    rows = dict((t["name"], t) for t in posture.result["tenants"]["tenants"])
    assert rows["client-globex"]["paused_by"] == "SES" and rows["client-globex"]["cause"] == cause
    assert rows["client-globex"]["domains"] == ["globex.example"]
    assert rows["client-acme"]["paused_by"] is None and rows["client-initech"]["paused_by"] is None
    findings = dict((d["domain"], [f["id"] for f in d["findings"]]) for d in posture.result["domains"])
    assert "tenant_paused" in findings["globex.example"]
    assert "tenant_paused" not in findings["acme.example"] and "tenant_paused" not in findings["initech.example"]
