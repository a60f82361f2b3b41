"""domain_policy with tenants: one client, one tenant. A fleet of three domains for two clients: the tenants are
created with their policies, each identity and the configuration set join their client's tenant; a second run
changes nothing; check mode reports drift and writes nothing; the tenants are read once each, not per domain; the
same associations as the tenant modules give. Read back with boto3, not from module results."""

from __future__ import annotations

import pytest

from tests.fixtures.names import unique
from tests.fixtures.tenants import arn

pytestmark = pytest.mark.bind


def _zone(sandbox):
    zone = unique("tz")
    sandbox.boto3_client("route53").create_hosted_zone(Name=zone, CallerReference=zone)
    return zone


def _members(ses, tenant):
    return sorted(r["ResourceArn"] for r in ses.list_tenant_resources(TenantName=tenant)["TenantResources"])


def _policy(ses, tenant):
    t = ses.get_tenant(TenantName=tenant)["Tenant"]
    entity = ses.get_reputation_entity(ReputationEntityType="RESOURCE", ReputationEntityReference=t["TenantArn"])
    return entity["ReputationEntity"]["ReputationManagementPolicy"].rsplit("/", 1)[1]


def test_each_client_in_its_tenant_idempotent_and_audited(module_main, sandbox, bind):
    ses = sandbox.boto3_client("sesv2")
    zone = _zone(sandbox)
    cs = unique("cs", "")
    ses.create_configuration_set(ConfigurationSetName=cs)
    a, b, c = ("%s.%s" % (x, zone) for x in "abc")
    ta, tb = unique("client-a", ""), unique("client-b", "")
    args = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 4, "configuration_set": cs,
            "tenant": {"reputation_policy": "strict"},
            "domains": [{"name": a, "tenant": {"name": ta}}, {"name": b, "tenant": {"name": ta}},
                        {"name": c, "tenant": {"name": tb, "reputation_policy": "none"}}]}
    mark = sandbox.mark()
    audit = module_main("domain_policy", args, check=True, diff=True)
    assert audit.rc == 0 and audit.result["changed"] is True, audit.result
    assert sandbox.mutating_calls(since=mark) == []
    assert sorted(audit.result["tenants"]["created"]) == sorted([ta, tb])
    by = dict((d["domain"], d) for d in audit.result["domains"])
    assert by[a]["tenant"]["drift"] == ["the identity is in no tenant", "the configuration set is not in %s" % ta]

    mark = sandbox.mark()
    res = module_main("domain_policy", args)
    assert res.rc == 0, res.result
    ops = [r["operation"] for r in sandbox.requests(since=mark)]  # before the read-backs below are logged
    assert ops.count("ListTenantResources") == 0  # no tenant existed before: nothing to read per tenant
    assert ops.count("CreateTenant") == 2 and ops.count("CreateTenantResourceAssociation") == 5
    assert _members(ses, ta) == sorted([arn("identity", a), arn("identity", b), arn("configuration-set", cs)])
    assert _members(ses, tb) == sorted([arn("identity", c), arn("configuration-set", cs)])
    assert _policy(ses, ta) == "strict" and _policy(ses, tb) == "none"

    mark = sandbox.mark()
    again = module_main("domain_policy", args)
    assert again.rc == 0 and again.result["changed"] is False, [d.get("tenant") for d in again.result["domains"]]
    assert sandbox.mutating_calls(since=mark) == []
    ops = [r["operation"] for r in sandbox.requests(since=mark)]
    # one read per tenant, not per domain (3 domains, 2 tenants)
    assert ops.count("ListTenantResources") == 2 and ops.count("GetReputationEntity") == 2, ops

    # drift: b left its tenant, a is also in the other client's; the audit names both and writes nothing
    ses.delete_tenant_resource_association(TenantName=ta, ResourceArn=arn("identity", b))
    ses.create_tenant_resource_association(TenantName=tb, ResourceArn=arn("identity", a))
    mark = sandbox.mark()
    audit = module_main("domain_policy", args, check=True)
    by = dict((d["domain"], d) for d in audit.result["domains"])
    assert by[b]["tenant"]["drift"] == ["the identity is in no tenant"] and by[b]["changed"] is True
    assert by[a]["tenant"]["drift"] == ["the identity is also in %s" % tb] and by[a]["changed"] is False
    assert sandbox.mutating_calls(since=mark) == []
    exclusive = dict(args, tenant={"reputation_policy": "strict", "exclusive": True})
    assert module_main("domain_policy", exclusive).rc == 0
    assert arn("identity", a) not in _members(ses, tb) and arn("identity", b) in _members(ses, ta)


def test_same_associations_as_the_tenant_modules(module_main, sandbox, bind):
    """Parity: a domain put in its tenant by the fleet and another by tenant + tenant_resources end the same."""
    ses = sandbox.boto3_client("sesv2")
    zone = _zone(sandbox)
    cs = unique("cs", "")
    ses.create_configuration_set(ConfigurationSetName=cs)
    fleet_domain, single_domain = "f.%s" % zone, "s.%s" % zone
    tf, ts = unique("fleet", ""), unique("single", "")
    assert module_main("domain_policy", {"provider": "route53", "zone": zone, "nameservers": [bind.server],
                                         "configuration_set": cs, "domains": [fleet_domain],
                                         "tenant": {"name": tf, "reputation_policy": "strict"}}).rc == 0
    assert module_main("domain_policy", {"provider": "route53", "zone": zone, "nameservers": [bind.server],
                                         "configuration_set": cs, "domains": [single_domain]}).rc == 0
    assert module_main("tenant", {"name": ts, "reputation_policy": "strict"}).rc == 0
    assert module_main("tenant_resources", {"tenant": ts, "identities": [single_domain],
                                            "configuration_sets": [cs]}).rc == 0

    def shape(tenant, domain):
        return [a.replace(domain, "<domain>") for a in _members(ses, tenant)], _policy(ses, tenant)
    assert shape(tf, fleet_domain) == shape(ts, single_domain)


@pytest.mark.parametrize("tenant, option", [({"name": "bad name"}, "domains[0].tenant.name"),
                                            ({"name": "x" * 65}, "domains[0].tenant.name"),
                                            ({"name": "ok", "reputation_policy": "lenient"}, "reputation_policy")])
def test_bad_tenant_names_the_field_and_writes_nothing(module_main, sandbox, bind, tenant, option):
    zone = _zone(sandbox)
    mark = sandbox.mark()
    res = module_main("domain_policy", {"provider": "route53", "zone": zone, "nameservers": [bind.server],
                                        "domains": [{"name": "d.%s" % zone, "tenant": tenant}]})
    assert res.rc != 0 and option in res.result.get("msg", "") + str(res.result.get("domains")), res.result
    assert sandbox.mutating_calls(since=mark) == []


def test_the_module_process_reads_the_tenants_in_a_reader_process_with_the_same_answer(
        module_main, ansible_playbook, sandbox, bind, tmp_path):
    """Through ansible-playbook the module's process has no other thread, so check mode reads the tenants in a
    forked reader process: the drift, the summary and the api_calls are those of the in-process run (which reads
    them itself), and nothing is written."""
    import json
    ses = sandbox.boto3_client("sesv2")
    zone = _zone(sandbox)
    a, b, c = ("%s.%s" % (x, zone) for x in "abc")
    ta, tb = unique("client-a", ""), unique("client-b", "")
    args = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 4,
            "domains": [{"name": a, "tenant": {"name": ta}}, {"name": b, "tenant": {"name": tb}}, c]}
    assert module_main("domain_policy", args).rc == 0
    ses.create_tenant(TenantName=unique("client-x", ""))
    ses.create_tenant_resource_association(TenantName=tb, ResourceArn=arn("identity", c))  # drift: c is not b's
    args["domains"][2] = {"name": c, "tenant": {"name": ta, "reputation_policy": "strict"}}
    inproc = module_main("domain_policy", args, check=True)
    assert inproc.rc == 0, inproc.result
    play = tmp_path / "audit.yml"
    play.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
                    "    - name: Audit\n      deliverability.ses.domain_policy: %s\n" % json.dumps(args))
    mark = sandbox.mark()
    res = ansible_playbook(str(play), check=True)
    out = res.task("Audit")
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    assert out["tenants"].pop("read_by") == "process"  # forked: the module's process had no other thread
    inproc.result["tenants"].pop("read_by")  # threads under xdist (its workers run threads), else process
    assert out["tenants"] == inproc.result["tenants"] and out["tenants"]["policy_set"] == [
        {"tenant": ta, "before": "standard", "after": "strict"}]
    assert [d["tenant"] for d in out["domains"]] == [d["tenant"] for d in inproc.result["domains"]]
    by = dict((d["domain"], d["tenant"]) for d in out["domains"])
    assert by[c]["before"] == [tb] and by[c]["after"] == sorted([tb, ta]) and by[c]["drift"]
    assert out["api_calls"] == inproc.result["api_calls"] and out["api_calls"]["ListTenantResources"] >= 3
