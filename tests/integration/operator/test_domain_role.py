"""The domain role as an operator runs it (playbooks/onboard_domain.yml), state read back with the AWS CLI / dig.

- offboarding deletes in a safe order (identity first, then its records) and a run that stops half-way is
  finished by the same command;
- a typo'd domain fails in the pre-flight, naming the role variable, before anything is created;
- a subdomain is onboarded into its parent's zone;
- with domain_wait=false the summary reports the identity as SES sees it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.operator.helpers import aws, create_zone, identity_exists, rrsets
from tests.fixtures.dns_proxy import BrokenZoneResolver
from tests.fixtures.names import unique

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "onboard_domain.yml")


@pytest.fixture
def domain(sandbox):
    name = unique("off")
    return name, create_zone(sandbox, name)


RESOLVERS = {}


@pytest.fixture(autouse=True)
def _resolvers(bind):
    # SPF lookup counting must resolve include:amazonses.com: the test BIND serves SES's SPF as the internet does
    RESOLVERS["domain_resolvers"] = [bind.server]


def _onboard(ansible_playbook, domain, **extra):
    return ansible_playbook(PLAYBOOK, extra_vars=dict({"domain": domain, "domain_auth_check": False,
                                                       "domain_wait_timeout": 60}, **RESOLVERS, **extra))


def _outcome(res):
    found = [r for r in res.results if r["task"].endswith("Record the outcome")]
    return found[-1]["result"]["ansible_facts"]["domain_onboarding"]


def _ses_names(rr, domain):
    return sorted(k for k in rr if k[0].endswith("._domainkey." + domain) or k[0] == "mail." + domain)


def test_offboarding_order_and_resume_after_a_failure(ansible_playbook, sandbox, domain, tmp_path):
    name, zone_id = domain
    journal_dir = tmp_path / "journal"
    res = _onboard(ansible_playbook, name, domain_offboard_journal_dir=str(journal_dir))
    assert res.rc == 0, res
    before = rrsets(sandbox, zone_id)
    assert len([k for k in before if k[1] == "CNAME"]) == 3 and ("mail." + name, "MX") in before
    # the journal of what onboarding found, per account and region
    journal_path = journal_dir / "123456789012" / "us-east-1" / (name + ".json")
    found = journal_path.read_text()
    off = {"state": "absent", "domain_offboard_confirm": True, "domain_offboard_journal_dir": str(journal_dir),
           **RESOLVERS}

    # check mode first: nothing deleted, the journal not written
    res = ansible_playbook(PLAYBOOK, check=True, extra_vars=dict(off, domain=name))
    assert res.rc == 0, res
    assert identity_exists(sandbox, name) and rrsets(sandbox, zone_id) == before
    assert journal_path.read_text() == found

    # Route 53 fails after the identity is deleted: sending has stopped, the records are still to remove
    sandbox.post("faults", {"rules": [{"service": "route53", "operation": "ChangeResourceRecordSets",
                                       "kind": "not_found", "rate": 1.0}]})
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(off, domain=name))
    sandbox.delete("faults")
    assert res.rc != 0, res
    calls = [r["operation"] for r in sandbox.mutating_calls(since=mark)]
    assert calls.index("DeleteEmailIdentity") < calls.index("ChangeResourceRecordSets"), calls
    assert not identity_exists(sandbox, name)  # stop sending came first
    assert _ses_names(rrsets(sandbox, zone_id), name) == _ses_names(before, name)  # nothing of DNS removed yet
    journal = json.loads(journal_path.read_text())
    assert len([r for r in journal["offboarding"]["records"] if r["type"] == "CNAME"]) == 3
    assert oct(journal_path.stat().st_mode & 0o777) == "0o600"

    # the same command again finishes the job from the journal, then forgets it
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(off, domain=name))
    assert res.rc == 0, res
    out = _outcome(res)
    assert out["resumed_from_journal"] is True and out["identity_deleted"] is False
    after = rrsets(sandbox, zone_id)
    assert _ses_names(after, name) == [], after
    assert "include:amazonses.com" not in json.dumps(after.get((name, "TXT"), []))
    assert after[("_dmarc." + name, "TXT")]  # DMARC stays unless domain_offboard_dmarc
    assert not journal_path.exists()

    # and once more: nothing left to do
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(off, domain=name))
    assert res.rc == 0, res
    assert "changed=0" in res.stdout, res.stdout[-800:]


def test_typo_fails_before_anything_is_created_and_cleanup_works(ansible_playbook, sandbox, domain):
    name, zone_id = domain
    typo = "exmaple-" + name  # no hosted zone holds it
    mark = sandbox.mark()
    res = _onboard(ansible_playbook, typo)
    assert res.rc != 0, res
    assert "domain_name=%s" % typo in res.stdout and "Nothing was created" in res.stdout, res.stdout[-2000:]
    assert sandbox.mutating_calls(since=mark) == []
    assert not identity_exists(sandbox, typo)
    # an identity left half-made by an older version: offboarding through the playbook cleans it up
    aws(sandbox, "sesv2", "create-email-identity", "--email-identity", typo)
    res = ansible_playbook(PLAYBOOK, extra_vars={"domain": typo, "state": "absent",
                                                 "domain_offboard_confirm": True, **RESOLVERS})
    assert res.rc == 0, res
    assert not identity_exists(sandbox, typo)
    assert "No DNS zone holds %s" % typo in res.stdout


def test_subdomain_goes_into_the_parent_zone_and_summary_is_truthful_without_wait(ansible_playbook, sandbox,
                                                                                 domain):
    name, zone_id = domain
    sub = "news." + name
    res = _onboard(ansible_playbook, sub)
    assert res.rc == 0, res
    assert _outcome(res)["zone"] == name
    rr = rrsets(sandbox, zone_id)
    assert ("mail." + sub, "MX") in rr and ("_dmarc." + sub, "TXT") in rr
    assert len([k for k in rr if k[0].endswith("._domainkey." + sub) and k[1] == "CNAME"]) == 3
    cli = aws(sandbox, "sesv2", "get-email-identity", "--email-identity", sub)
    assert cli["DkimAttributes"]["Status"] == "SUCCESS" and cli["VerifiedForSendingStatus"] is True
    # again without waiting: the summary says what SES says, not what a skipped task left behind
    res = _onboard(ansible_playbook, sub, domain_wait=False)
    assert res.rc == 0, res
    out = _outcome(res)
    assert out["dkim_status"] == "SUCCESS" and out["verified_for_sending"] is True, out
    assert out["mail_from_status"] == cli["MailFromAttributes"]["MailFromDomainStatus"] == "SUCCESS", out


def test_byodkim_from_a_key_file(ansible_playbook, sandbox, tmp_path):
    from tests.integration.identity.helpers import rsa_key
    key = tmp_path / "key.pem"
    key.write_text(rsa_key(2048)[0])
    name = unique("byo")
    res = ansible_playbook(PLAYBOOK, extra_vars={
        "domain": name, "provider": "none", "domain_dkim_mode": "byodkim", "domain_dkim_selector": "s2026",
        "domain_dkim_private_key_file": str(key), **RESOLVERS})
    assert res.rc == 0, res
    cli = aws(sandbox, "sesv2", "get-email-identity", "--email-identity", name)
    assert cli["DkimAttributes"]["SigningAttributesOrigin"] == "EXTERNAL", cli["DkimAttributes"]
    assert "s2026._domainkey.%s. 1800 IN TXT" % name in res.stdout  # the selector record to publish by hand
    assert "PRIVATE KEY" not in res.stdout


def test_the_final_check_could_not_look_exits_4_and_names_no_missing_record(ansible_playbook, sandbox, bind,
                                                                            domain):
    """The records are published right, but the resolver the role asks answers SERVFAIL for the domain's zone
    (amazonses.com still resolves, so SPF can be merged): "could not look" (exit 4), not "records missing"
    (exit 2), and the outcome is still recorded."""
    name, zone_id = domain
    resolver = BrokenZoneResolver(bind.port, [name])
    try:
        res = ansible_playbook(PLAYBOOK, extra_vars={"domain": name, "domain_wait": False, "domain_auth_check": True,
                                                     "domain_resolvers": [resolver.server], "domain_spf_apex": False,
                                                     "domain_dmarc": False})
    finally:
        resolver.close()
    assert res.rc == 4, res.output
    assert "could not look" in res.output and "not a finding" in res.output
    assert _outcome(res)["auth_status"] == "unknown"
    assert {rcode for qname, _, rcode in resolver.asked if qname.rstrip(".").endswith(name)} == {"SERVFAIL"}
    published = rrsets(sandbox, zone_id)  # the records are there: nothing was missing
    assert len([k for k in published if k[1] == "CNAME"]) == 3 and ("mail." + name, "MX") in published


def test_onboarding_puts_the_domain_in_its_clients_tenant_and_offboarding_takes_it_out(ansible_playbook, sandbox,
                                                                                        domain, tmp_path):
    """domain_tenant: onboarding creates the tenant with its policy and associates the identity; check mode of
    offboarding changes nothing; offboarding detaches the identity before deleting it, and deletes the tenant
    when asked and empty. Read back with boto3."""
    from tests.fixtures.tenants import arn
    name, zone_id = domain
    tenant = unique("client", "")
    ses = sandbox.boto3_client("sesv2")
    res = _onboard(ansible_playbook, name, domain_tenant=tenant, domain_tenant_reputation_policy="strict")
    assert res.rc == 0, res
    members = [r["ResourceArn"] for r in ses.list_tenant_resources(TenantName=tenant)["TenantResources"]]
    assert members == [arn("identity", name)]
    t = ses.get_tenant(TenantName=tenant)["Tenant"]
    entity = ses.get_reputation_entity(ReputationEntityType="RESOURCE", ReputationEntityReference=t["TenantArn"])
    assert entity["ReputationEntity"]["ReputationManagementPolicy"].endswith("/strict")
    again = _onboard(ansible_playbook, name, domain_tenant=tenant, domain_tenant_reputation_policy="strict")
    assert again.rc == 0 and not [r for r in again.results if r["task"].startswith(("Create the client", "Associate"))
                                  and r["result"].get("changed")], again.stdout[-1500:]
    off = {"state": "absent", "domain_offboard_confirm": True, "domain_offboard_journal_dir": str(tmp_path / "j"),
           "domain_tenant": tenant, "domain_tenant_delete_when_empty": True, **RESOLVERS}
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, check=True, extra_vars=dict(off, domain=name))
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, extra_vars=dict(off, domain=name))
    assert res.rc == 0, res
    calls = [r["operation"] for r in sandbox.mutating_calls(since=mark)]
    assert calls.index("DeleteTenantResourceAssociation") < calls.index("DeleteEmailIdentity"), calls
    assert "DeleteTenant" in calls
    assert tenant not in [x["TenantName"] for x in ses.list_tenants()["Tenants"]]
    assert not identity_exists(sandbox, name)
