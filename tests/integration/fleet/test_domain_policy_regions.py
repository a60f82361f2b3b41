"""domain_policy with regions (issue 26): a fleet in us-east-1 gains eu-west-1. Each replica is a DEED replica of
its primary (same tokens, no DNS record written), with the primary's configuration set where it exists and its
tenant in that region; check mode writes nothing in any region; a second run changes nothing; drift is reported by
the posture's rule (missing, wrong parent, own keys, pending, configuration set missing); a bad ``regions`` fails
before any request. In-process (module_main); every region read back with boto3, not from the module's result."""

from __future__ import annotations

import pytest

from tests.fixtures.names import unique
from tests.fixtures.tenants import arn

pytestmark = pytest.mark.bind

US, EU = "us-east-1", "eu-west-1"


def _zone(sandbox):
    zone = unique("rz")
    zone_id = sandbox.boto3_client("route53").create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    return zone, zone_id


def _args(zone, domains, bind, **extra):
    out = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 4, "domains": domains,
           "spf": {"enabled": False}, "dmarc": {"enabled": False}}
    out.update(extra)
    return out


def _ops(requests, region=None):
    return [r["operation"] for r in requests if region is None or r.get("region") == region]


def test_a_fleet_gains_a_region_check_idempotent_and_read_back(module_main, sandbox, bind):
    zone, zone_id = _zone(sandbox)
    cs = unique("cs", "")
    for region in (US, EU):
        sandbox.boto3_client("sesv2", region).create_configuration_set(ConfigurationSetName=cs)
    domains = ["d%d.%s" % (i, zone) for i in range(3)]
    tenant = unique("client", "")
    entries = domains[:2] + [{"name": domains[2], "tenant": {"name": tenant}}]
    assert module_main("domain_policy", _args(zone, entries, bind, configuration_set=cs)).rc == 0  # us-east-1 only
    r53 = sandbox.boto3_client("route53")
    records = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    args = _args(zone, entries, bind, configuration_set=cs, regions=[US, EU])

    mark = sandbox.mark()
    audit = module_main("domain_policy", args, check=True, diff=True)
    assert audit.rc == 0 and audit.result["changed"] is True, audit.result
    assert sandbox.mutating_calls(since=mark) == []  # no write in any region
    for d in audit.result["domains"]:
        eu = d["regions"][EU]
        assert [f["id"] for f in eu["findings"]] == ["region_identity_missing"], d
        assert eu["actions"][0] == "CreateEmailIdentity" and d["changed"] is True
        assert d["diff"]["before"]["ses"]["regions"] == {EU: None}
        wanted = {"dkim_origin": "AWS_SES_US_EAST_1", "configuration_set": cs}
        assert d["diff"]["after"]["ses"]["regions"] == {EU: wanted}
    assert audit.result["regions"]["regions"][EU]["missing"] == 3
    assert audit.result["regions"]["regions"][EU]["tenants"]["created"] == [tenant]

    mark = sandbox.mark()
    run = module_main("domain_policy", args)
    assert run.rc == 0 and run.result["changed"] is True, run.result
    writes = sandbox.mutating_calls(since=mark)
    assert sorted((w["operation"], w["region"]) for w in writes) == sorted(
        [("CreateEmailIdentity", EU)] * 3 + [("CreateTenant", EU), ("CreateTenantResourceAssociation", EU),
                                             ("CreateTenantResourceAssociation", EU)]), writes
    assert r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"] == records  # no new record
    assert {"domain": domains[0], "region": EU, "operation": "CreateEmailIdentity"} in run.result["writes"]
    first = [d for d in run.result["domains"] if d["domain"] == domains[0]][0]
    assert "CreateEmailIdentity in %s" % EU in first["actions"]
    us_ses, eu_ses = sandbox.boto3_client("sesv2", US), sandbox.boto3_client("sesv2", EU)
    for d in domains:
        primary, replica = us_ses.get_email_identity(EmailIdentity=d), eu_ses.get_email_identity(EmailIdentity=d)
        assert replica["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_US_EAST_1"
        assert replica["DkimAttributes"]["Tokens"] == primary["DkimAttributes"]["Tokens"]
        assert replica["DkimAttributes"]["Status"] == "SUCCESS" and replica["VerifiedForSendingStatus"] is True
        assert replica["ConfigurationSetName"] == cs
    members = sorted(r["ResourceArn"] for r in eu_ses.list_tenant_resources(TenantName=tenant)["TenantResources"])
    assert members == sorted([arn("identity", domains[2], EU), arn("configuration-set", cs, EU)])

    mark = sandbox.mark()
    again = module_main("domain_policy", args)
    assert again.rc == 0 and again.result["changed"] is False, [d.get("regions") for d in again.result["domains"]]
    requests = sandbox.requests(since=mark)
    assert [r for r in requests if r["mutating"]] == []
    # bounded reads: one listing per region, GetEmailIdentity in eu-west-1 once per domain (listed there)
    assert _ops(requests, EU).count("ListEmailIdentities") == 1 and _ops(requests, US).count("ListEmailIdentities") == 1
    assert _ops(requests, EU).count("GetEmailIdentity") == 3
    assert _ops(requests, EU).count("GetConfigurationSet") == 1  # once per region and set, not per domain
    assert all(d["regions"][EU]["findings"] == [] for d in again.result["domains"])


def test_drift_is_reported_by_the_posture_rule_and_existing_replicas_are_left(module_main, sandbox, bind):
    zone, dummy = _zone(sandbox)
    cs = unique("cs", "")
    sandbox.boto3_client("sesv2", US).create_configuration_set(ConfigurationSetName=cs)  # not in eu-west-1
    own, wrong, fresh = ("%s.%s" % (x, zone) for x in ("own", "wrong", "fresh"))
    assert module_main("domain_policy", _args(zone, [own, wrong, fresh], bind, configuration_set=cs)).rc == 0
    eu_ses = sandbox.boto3_client("sesv2", EU)
    eu_ses.create_email_identity(EmailIdentity=own)  # its own Easy DKIM keys
    eu_ses.create_email_identity(EmailIdentity=wrong,
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_AP_SOUTH_1"})
    unverified = "new.%s" % zone  # its primary is created by this run: not verified yet
    args = _args(zone, [own, wrong, fresh, unverified], bind, configuration_set=cs, regions=[US, EU])
    mark = sandbox.mark()
    run = module_main("domain_policy", args)
    assert run.rc == 0, run.result
    by = dict((d["domain"], d["regions"][EU]) for d in run.result["domains"])
    ids = dict((name, sorted(f["id"] for f in r["findings"])) for name, r in by.items())
    assert ids[own] == ["region_configuration_set_missing", "region_dkim_own_keys", "region_identity_pending"]
    assert ids[wrong] == ["region_configuration_set_missing", "region_dkim_wrong_parent", "region_identity_pending"]
    assert ids[fresh] == ["region_configuration_set_missing"]  # created now, verified with its primary
    assert ids[unverified] == ["region_identity_missing"] and "is not verified in us-east-1" in by[unverified]["waiting"]
    eu_writes = [(w["operation"], w["params"].get("EmailIdentity")) for w in sandbox.mutating_calls(since=mark)
                 if w["region"] == EU]
    assert eu_writes == [("CreateEmailIdentity", fresh)]  # existing replicas untouched, no set that is missing
    assert "ConfigurationSetName" not in eu_ses.get_email_identity(EmailIdentity=fresh)
    assert eu_ses.get_email_identity(EmailIdentity=own)["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES"
    summary = run.result["regions"]["regions"][EU]
    assert (summary["own_keys"], summary["wrong_parent"], summary["waiting_for_primary"], summary["created"]) == \
        (1, 1, 1, 1)
    # the next run, the primary verified: the replica is created
    later = module_main("domain_policy", args)
    assert later.rc == 0 and [a for d in later.result["domains"] for a in d.get("actions") or []] == [
        "CreateEmailIdentity in %s" % EU]
    assert eu_ses.get_email_identity(EmailIdentity=unverified)["DkimAttributes"]["SigningAttributesOrigin"] == \
        "AWS_SES_US_EAST_1"


@pytest.mark.parametrize("where, regions, option, words", [
    ("module", ["zz-north-1"], "regions", "unknown region"),
    ("module", [US, US], "regions", "is the primary"),
    ("module", [US, EU, EU], "regions", "listed twice"),
    ("module", [EU, US], "regions", "must be the module's region us-east-1"),
    ("module", ["Europe"], "regions", "region"),
    ("entry", [US, "eu-west-9"], "domains[1].regions", "unknown region"),
    ("entry", [US, US], "domains[1].regions", "is the primary"),
])
def test_bad_regions_fail_naming_the_option_before_any_request(module_main, sandbox, where, regions, option, words):
    domains = ["a.bad-regions.test", "b.bad-regions.test"]
    args = {"provider": "none", "domains": domains, "spf": {"enabled": False}, "dmarc": {"enabled": False}}
    if where == "module":
        args["regions"] = regions
    else:
        args["domains"] = [domains[0], {"name": domains[1], "regions": regions}]
    mark = sandbox.mark()
    res = module_main("domain_policy", args)
    assert res.rc != 0 and res.result["msg"].startswith(option + ":") and words in res.result["msg"], res.result
    assert "Traceback" not in res.output
    assert sandbox.requests(since=mark) == []


def test_a_replica_region_that_cannot_be_read_fails_its_domains_never_a_finding(module_main, sandbox, bind):
    zone, dummy = _zone(sandbox)
    domains = ["%s.%s" % (x, zone) for x in ("a", "b")]
    assert module_main("domain_policy", _args(zone, domains, bind)).rc == 0
    sandbox.post("faults", {"rules": [{"operation": "ListEmailIdentities", "region": EU, "kind": "error"}]})
    try:
        mark = sandbox.mark()
        res = module_main("domain_policy", _args(zone, domains, bind, regions=[US, EU], max_attempts=1,
                                                 fail_on_error=False))
    finally:
        sandbox.post("faults", {"rules": []})
    assert res.rc == 0 and res.result["failed_domains"] == domains, res.result
    for d in res.result["domains"]:
        assert "eu-west-1" in d["msg"] and "ListEmailIdentities" in d["msg"] and "regions" not in d, d
    assert sandbox.mutating_calls(since=mark) == []  # nothing created anywhere on a guess


def test_the_module_process_reads_a_replica_region_in_a_reader_process_with_the_same_answer(
        module_main, ansible_playbook, sandbox, bind, tmp_path):
    """Through ansible-playbook the module runs in its own process with no other thread, so check mode reads
    eu-west-1 in a forked reader process; its findings, counts and api_calls are those of the in-process run (which
    reads the region with its threads), and it writes nothing in any region."""
    zone, dummy = _zone(sandbox)
    domains = ["p%d.%s" % (i, zone) for i in range(4)]
    assert module_main("domain_policy", _args(zone, domains, bind)).rc == 0
    eu_ses = sandbox.boto3_client("sesv2", EU)
    eu_ses.create_email_identity(EmailIdentity=domains[0],
                                 DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    eu_ses.create_email_identity(EmailIdentity=domains[1])  # its own keys
    args = _args(zone, domains, bind, regions=[US, EU])
    inproc = module_main("domain_policy", args, check=True)
    assert inproc.rc == 0, inproc.result
    play = tmp_path / "audit.yml"
    play.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - name: Audit\n      deliverability.ses.domain_policy: %s\n" % __import__("json").dumps(args))
    mark = sandbox.mark()
    res = ansible_playbook(str(play), check=True)
    out = res.task("Audit")
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    by = dict((d["domain"], sorted(f["id"] for f in d["regions"][EU]["findings"])) for d in out["domains"])
    assert by == dict((d["domain"], sorted(f["id"] for f in d["regions"][EU]["findings"]))
                      for d in inproc.result["domains"])
    assert by[domains[1]] == ["region_dkim_own_keys", "region_identity_pending"] and by[domains[2]] == ["region_identity_missing"]
    assert out["regions"]["regions"][EU].pop("read_by") == "process"  # forked: the module's process had no thread
    inproc.result["regions"]["regions"][EU].pop("read_by")  # threads under xdist (it has threads), else process
    assert out["regions"]["regions"][EU] == inproc.result["regions"]["regions"][EU]
    eu_reads = _ops(sandbox.requests(since=mark), EU)
    assert eu_reads.count("ListEmailIdentities") == 1 and eu_reads.count("GetEmailIdentity") == 2
    assert out["api_calls"]["GetEmailIdentity"] == 4 + 2 and out["api_calls"] == inproc.result["api_calls"]


def test_a_reader_process_that_dies_without_an_answer_leaves_the_region_to_the_threads(module_main, sandbox, bind):
    """The reader is an optimisation: one that exits without answering (killed, crashed) costs its region nothing
    but time - the module reads the region itself and the audit is the same, never a failure or a finding."""
    import os
    from unittest import mock
    from ansible_collections.deliverability.ses.plugins.module_utils.concurrency import ForkedCall
    from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet import Fleet
    zone, dummy = _zone(sandbox)
    domains = ["k%d.%s" % (i, zone) for i in range(3)]
    assert module_main("domain_policy", _args(zone, domains, bind)).rc == 0
    sandbox.boto3_client("sesv2", EU).create_email_identity(
        EmailIdentity=domains[0], DkimSigningAttributes={"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"})
    args = _args(zone, domains, bind, regions=[US, EU])
    healthy = module_main("domain_policy", args, check=True)

    def dies(*a, **k):
        os._exit(3)  # the forked child's first step: it ends here, before writing any answer
    mark = sandbox.mark()
    with mock.patch.object(Fleet, "_in_reader", dies), \
            mock.patch.object(ForkedCall, "possible", staticmethod(lambda: True)):
        res = module_main("domain_policy", args, check=True)
    assert res.rc == 0, res.result
    summary = res.result["regions"]["regions"][EU]
    assert summary.pop("read_by").startswith("threads (the reader process gave no answer)")
    healthy.result["regions"]["regions"][EU].pop("read_by")
    assert summary == healthy.result["regions"]["regions"][EU]
    assert [sorted(f["id"] for f in d["regions"][EU]["findings"]) for d in res.result["domains"]] == \
        [sorted(f["id"] for f in d["regions"][EU]["findings"]) for d in healthy.result["domains"]]
    eu_reads = _ops(sandbox.requests(since=mark), EU)
    assert eu_reads.count("ListEmailIdentities") == 1 and eu_reads.count("GetEmailIdentity") == 1
    assert sandbox.mutating_calls(since=mark) == []
