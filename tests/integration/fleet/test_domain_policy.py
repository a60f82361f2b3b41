"""domain_policy through ansible-playbook against the SES sandbox, BIND (rfc2136) and the sandbox's Route 53."""

from __future__ import annotations


import pytest

from tests.fixtures.dns_zones import publish
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind

READS = ("Get", "List", "Describe", "Test")


@pytest.fixture
def fleet_zone(bind):
    name = unique("fl")
    bind.add_zone(name)
    return name


def _args(bind, zone, domains, **extra):
    args = {"domains": domains, "zone": zone, "provider": "rfc2136", "server": bind.server,
            "key_name": bind.key_name, "key_secret": bind.key_secret, "mail_from_subdomain": "bounce",
            "workers": 4}
    args.update(extra)
    return args


def _play(args, name="Policy"):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": name, "deliverability.ses.domain_policy": args, "register": "out", "ignore_errors": True}]}]


def _txt(bind, name):
    return [v.replace('" "', "").strip('"') for v in bind.query(name, "TXT")]


def _by_domain(result):
    return {d["domain"]: d for d in result["domains"]}


def test_enforce_then_idempotent_then_audit_drift(ansible_playbook, sandbox, bind, fleet_zone):
    sandbox.boto3_client("sesv2").create_configuration_set(ConfigurationSetName="fleet")
    domains = ["d%d.%s" % (i, fleet_zone) for i in range(5)]
    args = _args(bind, fleet_zone, domains, configuration_set="fleet", dmarc={"policy": "quarantine"})
    mark = sandbox.mark()
    res = ansible_playbook(_play(args))
    out = res.task("Policy")
    assert res.rc == 0 and not out.get("failed"), out
    assert out["changed"] is True and out["summary"] == {"total": 5, "changed": 5, "failed": 0, "ok": 5}
    for d in domains:
        r = _by_domain(out)[d]
        assert r["actions"][0] == "CreateEmailIdentity" and "PutEmailIdentityMailFromAttributes" in r["actions"]
        assert len(bind.query("_dmarc." + d, "TXT")) == 1
        assert _txt(bind, "_dmarc." + d) == ["v=DMARC1; p=quarantine"]
        assert _txt(bind, d) == ["v=spf1 include:amazonses.com ~all"]
        assert bind.query("bounce." + d, "MX") == ["10 feedback-smtp.us-east-1.amazonses.com."]
        assert len([t for t in r["dns_changes"] if t["type"] == "CNAME"]) == 3
    ops = [r["operation"] for r in sandbox.requests(mark)]
    assert ops.count("ListEmailIdentities") == 1 and "GetEmailIdentity" not in ops  # nothing to read for new ones
    ident = sandbox.boto3_client("sesv2").get_email_identity(EmailIdentity=domains[0])
    assert ident["ConfigurationSetName"] == "fleet" and ident["DkimAttributes"]["Status"] == "SUCCESS"

    # second run: nothing to do, reads only, at most 3 per domain
    mark = sandbox.mark()
    res = ansible_playbook(_play(args))
    out = res.task("Policy")
    assert res.rc == 0 and out["changed"] is False, out
    assert sandbox.mutating_calls(since=mark) == []
    reads = [r for r in sandbox.requests(mark) if r["operation"].startswith(READS)]
    assert len(reads) <= 3 * len(domains) and len(reads) >= len(domains)

    # drift: DMARC removed from one domain, signing disabled on another; the audit sees both, writes nothing
    ses = sandbox.boto3_client("sesv2")
    ses.put_email_identity_dkim_attributes(EmailIdentity=domains[1], SigningEnabled=False)
    import dns.query
    import dns.tsigkeyring
    import dns.update
    upd = dns.update.UpdateMessage(fleet_zone, keyring=dns.tsigkeyring.from_text({bind.key_name: bind.key_secret}),
                                   keyalgorithm="hmac-sha256")
    upd.delete("_dmarc.%s." % domains[2], "TXT")
    assert dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5).rcode() == 0
    mark = sandbox.mark()
    res = ansible_playbook(_play(args), check=True, diff=True)
    out = res.task("Policy")
    assert res.rc == 0 and out["changed"] is True, out
    assert sandbox.mutating_calls(since=mark) == []
    by = _by_domain(out)
    assert by[domains[1]]["actions"] == ["PutEmailIdentityDkimAttributes"]
    assert by[domains[1]]["diff"]["before"]["ses"]["dkim"]["signing_enabled"] is False
    assert by[domains[2]]["dns_changes"][0]["action"] == "create"
    assert "_dmarc.%s TXT" % domains[2] in by[domains[2]]["diff"]["after"]["dns"]
    assert [by[d]["changed"] for d in domains] == [False, True, True, False, False]
    assert len(out["diff"]) == 2
    assert bind.query("_dmarc." + domains[2], "TXT") == []  # check mode wrote nothing
    # enforcing repairs both
    res = ansible_playbook(_play(args))
    assert res.task("Policy")["summary"]["changed"] == 2
    assert _txt(bind, "_dmarc." + domains[2]) == ["v=DMARC1; p=quarantine"]


def test_one_broken_domain_fails_alone(ansible_playbook, sandbox, bind, fleet_zone):
    good = ["ok%d.%s" % (i, fleet_zone) for i in range(3)]
    nozone = unique("nozone-")
    outside = "elsewhere." + nozone  # its zone is not served by the BIND
    domains = good[:1] + ["not a domain!", {"name": outside, "zone": nozone}] + good[1:]
    res = ansible_playbook(_play(_args(bind, fleet_zone, domains)))
    out = res.task("Policy")
    assert "2 of 5 domains failed" in out["msg"] and out["summary"]["failed"] == 2, out
    by = _by_domain(out)
    assert sorted(out["failed_domains"]) == sorted(["not a domain!", outside])
    assert "domains[1].name" in by["not a domain!"]["msg"]
    assert by[outside]["failed"] is True and "REFUSED" in by[outside]["msg"], by[outside]
    for d in good:
        assert by[d]["failed"] is False and by[d]["changed"] is True
        assert _txt(bind, d) == ["v=spf1 include:amazonses.com ~all"]


def test_dmarc_ratchet_and_spf_merge(ansible_playbook, sandbox, bind, fleet_zone):
    strict, fresh = "strict.%s" % fleet_zone, "fresh.%s" % fleet_zone
    publish(bind, fleet_zone, [("_dmarc." + strict, "TXT", "v=DMARC1; p=reject; rua=mailto:d@%s" % fleet_zone),
                               (strict, "TXT", "v=spf1 ip4:192.0.2.0/24 -all"), (strict, "TXT", "verify=1")])
    args = _args(bind, fleet_zone, [strict, fresh], dmarc={"policy": "quarantine"}, mail_from_subdomain=None)
    res = ansible_playbook(_play(args))
    out = res.task("Policy")
    assert not out.get("failed"), out
    by = _by_domain(out)
    assert by[strict]["dmarc"]["downgrade_refused"] is True
    assert _txt(bind, "_dmarc." + strict) == ["v=DMARC1; p=reject; rua=mailto:d@%s" % fleet_zone]
    assert sorted(_txt(bind, strict)) == ["v=spf1 ip4:192.0.2.0/24 include:amazonses.com -all", "verify=1"]
    assert _txt(bind, "_dmarc." + fresh) == ["v=DMARC1; p=quarantine"]
    assert any("refused to weaken" in w for w in by[strict]["warnings"])
    # allowing the downgrade for that one domain only
    args["domains"] = [{"name": strict, "dmarc": {"allow_downgrade": True}}, fresh]
    out = ansible_playbook(_play(args)).task("Policy")
    assert _txt(bind, "_dmarc." + strict) == ["v=DMARC1; p=quarantine; rua=mailto:d@%s" % fleet_zone], out


def test_route53_provider(ansible_playbook, sandbox, bind):
    r53 = sandbox.boto3_client("route53")
    zone = "r53fleet.test"
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"].split("/")[-1]
    domains = ["a.%s" % zone, "b.%s" % zone]
    # SPF includes are counted through nameservers (the BIND serves amazonses.com as the Internet does)
    args = {"domains": domains, "zone": zone, "provider": "route53", "mail_from_subdomain": "mail",
            "nameservers": [bind.server]}
    out = ansible_playbook(_play(args)).task("Policy")
    assert not out.get("failed") and out["summary"]["changed"] == 2, out
    names = {(rr["Name"], rr["Type"]) for rr in
             r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert ("_dmarc.a.%s." % zone, "TXT") in names and ("mail.b.%s." % zone, "MX") in names
    mark = sandbox.mark()
    out = ansible_playbook(_play(args)).task("Policy")
    assert out["changed"] is False, out
    assert sandbox.mutating_calls(since=mark) == []
    ops = [r["operation"] for r in sandbox.requests(mark)]
    assert ops.count("ListResourceRecordSets") == 1 and ops.count("ListHostedZones") == 1, ops


def test_enforce_policy_playbook_audit_then_enforce_under_throttling(ansible_playbook, sandbox, bind, fleet_zone):
    """playbooks/enforce_policy.yml: --check --diff audits (no writes), then enforces; SES throttles a third
    of the reads and the adaptive retries absorb it."""
    from tests.fixtures.ansible_runner import ROOT
    domains = ["p%d.%s" % (i, fleet_zone) for i in range(3)]
    extra = {"enforce_policy_domains": domains, "enforce_policy_provider": "rfc2136", "enforce_policy_zone": fleet_zone,
             "enforce_policy_server": bind.server, "enforce_policy_key_name": bind.key_name,
             "enforce_policy_key_secret": bind.key_secret, "enforce_policy_dmarc": {"policy": "reject"}}
    path = str(ROOT / "playbooks" / "enforce_policy.yml")
    task = "Audit or enforce every domain (check mode makes no write call)"
    mark = sandbox.mark()
    res = ansible_playbook(path, check=True, diff=True, extra_vars=extra)
    assert res.rc == 0, res
    assert res.task(task)["summary"]["changed"] == 3 and sandbox.mutating_calls(since=mark) == []
    assert bind.query("_dmarc." + domains[0], "TXT") == []
    res = ansible_playbook(path, extra_vars=extra)
    assert res.rc == 0 and res.task(task)["summary"] == {"total": 3, "changed": 3, "failed": 0, "ok": 3}, res
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "throttle", "rate": 0.3}], "seed": 1})
    mark = sandbox.mark()
    res = ansible_playbook(path, extra_vars=extra)
    out = res.task(task)
    assert res.rc == 0 and out["changed"] is False and out["summary"]["failed"] == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    throttled = [r for r in sandbox.requests(mark) if r["fault"] == "throttle"]
    assert throttled and out["api_calls"]["GetEmailIdentity"] == 3  # retries are not extra calls of the module


def _writes_by_operation(writes):
    out = {}
    for w in writes:
        out[w["operation"]] = out.get(w["operation"], 0) + 1
    return out


@pytest.mark.parametrize("fail_on_error", [False, True])
def test_missing_zone_fails_alone_and_every_write_is_listed(module_main, sandbox, bind, fail_on_error):
    """One domain whose zone has no Route 53 hosted zone, among several: the others are done, it fails alone with
    its reason, and the result lists every write that happened - compared with the sandbox's request log."""
    r53 = sandbox.boto3_client("route53")
    zone = unique("mz")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"].split("/")[-1]
    good = ["g%d.%s" % (i, zone) for i in range(4)]
    nozone = unique("nozone-")
    missing = "x." + nozone
    domains = good[:2] + [{"name": missing, "zone": nozone}] + good[2:]
    args = {"provider": "route53", "zone": zone, "domains": domains, "mail_from_subdomain": "bounce",
            "nameservers": [bind.server], "workers": 4, "fail_on_error": fail_on_error}
    mark = sandbox.mark()
    res = module_main("domain_policy", args)
    out = res.result
    assert "traceback_escaped" not in out, out
    if fail_on_error:
        assert res.rc == 1 and out["msg"].startswith("1 of 5 domains failed: %s: " % missing), out
    else:
        assert res.rc == 0 and out["changed"] is True, out
    by = _by_domain(out)
    assert by[missing]["failed"] is True and "no single Route 53 hosted zone named %s" % nozone in by[missing]["msg"]
    assert "actions" not in by[missing]
    assert out["summary"] == {"total": 5, "changed": 4, "failed": 1, "ok": 4} and out["failed_domains"] == [missing]
    for d in good:
        assert by[d]["failed"] is False and by[d]["changed"] is True, by[d]
    names = {(rr["Name"].rstrip("."), rr["Type"]) for rr in
             r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert all(("_dmarc." + d, "TXT") in names and ("bounce." + d, "MX") in names for d in good), names
    # every write that happened is in the result: the request log and the result agree call for call
    logged = sandbox.mutating_calls(since=mark)
    assert _writes_by_operation(out["writes"]) == _writes_by_operation(logged), (out["writes"], logged)
    ses_logged = sorted((r["operation"], d) for r in logged for d in good + [missing] if d in str(r["params"])
                        and r["service"] == "sesv2")
    assert sorted((w["operation"], w["domain"]) for w in out["writes"] if "domain" in w) == ses_logged
    assert not [r for r in logged if missing in str(r["params"])]
    dns_listed = sorted(d for w in out["writes"] if "zone" in w for d in w["domains"])
    assert dns_listed == sorted(good)
