"""onboard_domain.yml (the domain role) with domain_regions: the primary as today, a DEED replica in the second region
(no new DKIM record), its own MAIL FROM subdomain with its region's feedback MX, the same configuration set; check
mode writes nothing in any region, a second run changes nothing; offboarding deletes the replica before the primary
(the request log's region field) and finishes a half-done run. Read back with the AWS CLI --region and dig."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.aws_cli import sesv2 as cli
from tests.fixtures.names import unique
from tests.fixtures.tenants import arn
from tests.integration.operator.helpers import axfr, rfc2136_vars

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "onboard_domain.yml")
US, EU = "us-east-1", "eu-west-1"
ROLE = "deliverability.ses.domain : "


def writes(sandbox, since):
    return [(r["operation"], r["region"]) for r in sandbox.mutating_calls(since=since, service="sesv2")]


def test_two_regions_onboard_check_idempotent_and_offboard_replica_first(ansible_playbook, sandbox, bind, zone,
                                                                         amazonses, tmp_path):
    for region in (US, EU):  # the configuration set exists in both regions (configure_account.yml's job)
        sandbox.boto3_client("sesv2", region).create_configuration_set(ConfigurationSetName="transactional")
    args = rfc2136_vars(bind, zone, tmp_path / "journal", regions=[US, EU], domain_wait=True,
                        domain_wait_timeout=60, domain_configuration_set="transactional",
                        domain_tenant=unique("client", ""))
    tenant = args["domain_tenant"]
    replica_mf = "mail-%s.%s" % (EU, zone)

    # a domain onboarded in one region, as today
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(args, regions=[US]))
    assert res.rc == 0, res
    zone_before = axfr(bind, zone)
    assert cli(sandbox, EU, "get-email-identity", "--email-identity", zone)[0] != 0

    # gains a second region: check mode shows the replica and writes nothing in any region (nor in DNS)
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, check=True, diff=True, extra_vars=args)
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    assert axfr(bind, zone) == zone_before
    planned = res.task(ROLE + "Create the replica with DEED from the primary (no new DKIM record)")
    assert planned["changed"] is True and planned["actions"] == ["CreateEmailIdentity"]
    assert planned["diff"]["after"]["dkim"] == {"signing_enabled": True, "mode": "replica", "origin_region": US}
    assert res.task(ROLE + "Publish the replica's MAIL FROM MX (its region's feedback endpoint)")["changed"] is True
    assert "feedback-smtp.%s.amazonses.com" % EU in res.stdout

    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=args)
    assert res.rc == 0, res
    made = writes(sandbox, mark)
    assert [w for w in made if w[0] == "CreateEmailIdentity"] == [("CreateEmailIdentity", EU)], made
    assert not [w for w in made if w[1] == US], made  # nothing changed for the primary
    # the replica was created with DEED from the primary
    create_eu = [r for r in sandbox.mutating_calls(since=mark) if r["operation"] == "CreateEmailIdentity"][0]
    assert create_eu["params"]["DkimSigningAttributes"] == {"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"}
    outcome = res.task(ROLE + "Record the outcome")["ansible_facts"]["domain_onboarding"]
    assert outcome["regions"] == [US, EU]
    assert [(r["region"], r["verified_for_sending"], r["mail_from_status"]) for r in outcome["replicas"]] == [
        (EU, True, "SUCCESS")]

    # read back per region with the AWS CLI
    rc, us, err = cli(sandbox, US, "get-email-identity", "--email-identity", zone)
    assert rc == 0, err
    rc, eu, err = cli(sandbox, EU, "get-email-identity", "--email-identity", zone)
    assert rc == 0, err
    assert eu["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1"
    assert eu["DkimAttributes"]["Tokens"] == us["DkimAttributes"]["Tokens"]
    assert eu["VerifiedForSendingStatus"] is True and eu["DkimAttributes"]["Status"] == "SUCCESS"
    assert eu["ConfigurationSetName"] == "transactional"
    assert eu["MailFromAttributes"]["MailFromDomain"] == replica_mf
    assert eu["MailFromAttributes"]["MailFromDomainStatus"] == "SUCCESS"
    assert us["MailFromAttributes"]["MailFromDomain"] == "mail." + zone
    # the tenant follows the replica: one tenant of that name per region, each holding its region's identity and set
    for region in (US, EU):
        members = sandbox.boto3_client("sesv2", region).list_tenant_resources(TenantName=tenant)["TenantResources"]
        assert sorted(r["ResourceArn"] for r in members) == sorted(
            [arn("identity", zone, region), arn("configuration-set", "transactional", region)]), (region, members)
    # DNS with dig: three DKIM CNAMEs (the primary's; none for the replica), each MAIL FROM name's only MX its region's
    records = axfr(bind, zone)
    assert len([r for r in records if r[2] == "CNAME" and "._domainkey." in r[0]]) == 3
    assert [r[3] for r in records if r[2] == "MX" and r[0] == replica_mf + "."] == [
        "10 feedback-smtp.%s.amazonses.com." % EU]
    assert [r[3] for r in records if r[2] == "MX" and r[0] == "mail.%s." % zone] == [
        "10 feedback-smtp.%s.amazonses.com." % US]
    assert [r for r in records if r[2] == "TXT" and r[0] == replica_mf + "."]  # its SPF

    # a second run changes nothing
    mark = sandbox.mark()
    again = ansible_playbook(PLAYBOOK, extra_vars=args)
    assert again.rc == 0, again
    changed = [r["task"] for r in again.results if r["result"].get("changed")]
    assert changed == [], changed
    assert sandbox.mutating_calls(since=mark) == []

    # offboarding, check mode: nothing written in any region
    off = dict(args, state="absent", domain_offboard_confirm=True)
    mark = sandbox.mark()
    check = ansible_playbook(PLAYBOOK, check=True, extra_vars=off)
    assert check.rc == 0, check
    assert sandbox.mutating_calls(since=mark) == []

    # offboarding that stops half-way (the primary's delete fails), then the same command again finishes it
    sandbox.post("faults", {"rules": [{"operation": "DeleteEmailIdentity", "region": US, "kind": "error"}]})
    mark = sandbox.mark()
    first = ansible_playbook(PLAYBOOK, extra_vars=off)
    assert first.rc != 0, first
    made = writes(sandbox, mark)
    # the replica leaves its region's tenant before it is deleted, and goes before the primary
    assert made.index(("DeleteTenantResourceAssociation", EU)) < made.index(("DeleteEmailIdentity", EU)), made
    deletes = [w for w in made if w[0] == "DeleteEmailIdentity"]
    assert deletes[0] == ("DeleteEmailIdentity", EU) and set(deletes[1:]) == {("DeleteEmailIdentity", US)}, deletes
    rc, _out, err = cli(sandbox, EU, "get-email-identity", "--email-identity", zone)
    assert rc != 0 and "NotFoundException" in err  # the replica went first
    assert cli(sandbox, US, "get-email-identity", "--email-identity", zone)[0] == 0
    sandbox.post("faults", {"rules": []})
    mark = sandbox.mark()
    second = ansible_playbook(PLAYBOOK, extra_vars=off)
    assert second.rc == 0, second
    assert [w for w in writes(sandbox, mark) if w[0] == "DeleteEmailIdentity"] == [("DeleteEmailIdentity", US)]
    outcome = second.task(ROLE + "Record the outcome")["ansible_facts"]["domain_onboarding"]
    assert outcome["resumed_from_journal"] is True
    for region in (US, EU):
        rc, _out, err = cli(sandbox, region, "get-email-identity", "--email-identity", zone)
        assert rc != 0 and "NotFoundException" in err, region
    # DNS put back as onboarding found it: the replica's MAIL FROM MX and SPF are gone with the primary's records
    left = axfr(bind, zone)
    assert not [r for r in left if r[0].startswith("mail-")], sorted(left)
    assert not [r for r in left if r[2] == "CNAME"], sorted(left)


def test_bad_regions_fail_before_any_request(ansible_playbook, sandbox, bind, zone, tmp_path):
    """A region given twice, a name that is not a region, a primary other than domain_aws_region: one clear
    failure naming domain_regions, and not one request (read or write) in any region."""
    for regions, extra in (([US, US], {}), ([US, "Mars-1"], {}), ([EU, US], {"domain_aws_region": US})):
        mark = sandbox.mark()
        res = ansible_playbook(PLAYBOOK, extra_vars=rfc2136_vars(bind, zone, tmp_path / "journal", regions=regions,
                                                                 **extra))
        assert res.rc != 0, (regions, res)
        assert "domain_regions=" in res.output and "give each region once" in res.output, res.output[-2000:]
        assert sandbox.requests(since=mark) == [], regions
