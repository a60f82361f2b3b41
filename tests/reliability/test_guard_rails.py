"""Guard rails: each destructive or weakening change refuses without its explicit switch, and goes through
with it. One playbook holds all four (refusal, proof that nothing changed, then the switch); the sandbox
request log proves no refused change reached SES."""

from __future__ import annotations

import shutil

import pytest

from .conftest import FAST, TRACEBACK, play, record, task, tolerant, update


def dig(bind, name, rtype="TXT"):
    return {"name": "dig %s %s" % (name, rtype),
            "ansible.builtin.command": {"argv": [shutil.which("dig") or "dig", "+short", "-p", str(bind.port),
                                                 "@127.0.0.1", name, rtype]},
            "changed_when": False}


@pytest.mark.bind
def test_guard_rails_refuse_without_their_switch(sandbox, bind, zone, rfc2136, mail_zones, ansible_playbook,
                                                 tmp_path, figures):
    audit = str(tmp_path / "audit.jsonl")
    nomail = "x@" + mail_zones["nomail"]
    ok_mail = "y@" + mail_zones["mx"]
    sandbox.post("suppressions", {"entries": [{"email": nomail, "reason": "BOUNCE"},
                                              {"email": ok_mail, "reason": "COMPLAINT"}]})
    includes = ["include:i%d.%s" % (i, zone) for i in range(1, 12)]
    update(bind, zone, [("i%d.%s" % (i, zone), "TXT", '"v=spf1 ip4:192.0.2.%d -all"' % i) for i in range(1, 12)])
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="offboard." + zone)
    delist = {"state": "absent", "resolvers": [bind.server], "audit_log": audit, "dns_timeout": 2}
    dmarc = dict(rfc2136, domain=zone, external_destinations="ignore")
    fleet = dict(rfc2136, nameservers=[bind.server], spf={"enabled": False}, fail_on_error=False)
    res = ansible_playbook(play(
        # delisting
        tolerant("delist without reason", "suppressed_destination", dict(delist, email=ok_mail)),
        tolerant("delist no-mail domain", "suppressed_destination",
                 dict(delist, email=nomail, reason_for_removal="TICKET-9")),
        task("still suppressed", "suppressed_destination_info", {"email": nomail}),
        task("delist no-mail domain, forced", "suppressed_destination",
             dict(delist, email=nomail, reason_for_removal="TICKET-9", force=True)),
        task("delist with reason", "suppressed_destination", dict(delist, email=ok_mail, reason_for_removal="T-10")),
        # DMARC ratchet
        task("dmarc reject", "dmarc", dict(dmarc, policy="reject", nonexistent_policy="reject")),
        tolerant("dmarc downgrade to none", "dmarc", dict(dmarc, policy="none")),
        tolerant("dmarc downgrade t", "dmarc", dict(dmarc, policy="reject", test_mode=True)),
        tolerant("dmarc downgrade np", "dmarc", dict(dmarc, nonexistent_policy="none", rua=["d@" + zone])),
        tolerant("dmarc legacy pct", "dmarc", dict(dmarc, policy="reject", pct=20)),
        dig(bind, "_dmarc." + zone),
        task("dmarc downgrade allowed", "dmarc", dict(dmarc, policy="none", allow_downgrade=True)),
        # SPF lookup limit
        tolerant("spf over ten lookups", "spf", dict(rfc2136, domain=zone, mechanisms=includes)),
        dig(bind, zone),
        task("spf forced", "spf", dict(rfc2136, domain=zone, mechanisms=includes, force=True)),
        # the same rails through domain_policy: a string override cannot turn the ratchet off, SPF past 10
        # lookups fails that domain alone with nothing of it written (SES included)
        task("fleet reject", "domain_policy", dict(fleet, domains=[{"name": "dp." + zone, "dmarc": {"policy": "reject"}}])),
        tolerant("fleet downgrade, override 'false'", "domain_policy", dict(fleet, domains=[
            {"name": "dp." + zone, "dmarc": {"policy": "none", "allow_downgrade": "false"}}])),
        dig(bind, "_dmarc.dp." + zone),
        tolerant("fleet spf over ten lookups", "domain_policy", dict(fleet, domains=[
            {"name": "dpspf." + zone, "spf": {"enabled": True, "mechanisms": includes}}, "dpok." + zone])),
        dig(bind, "dpspf." + zone),
        # offboarding
        tolerant("offboard without confirmation", "email_identity", {"identity": "offboard." + zone, "state": "absent"}),
        task("identity still there", "email_identity_info", {"identity": "offboard." + zone}),
        task("offboard confirmed", "email_identity", {"identity": "offboard." + zone, "state": "absent",
                                                      "confirm_delete": True}),
    ), env=FAST)
    assert res.rc == 0, res
    status = {r["task"]: r["status"] for r in res.results}
    refusals = {}

    def refused(name, option_or_words):
        result = res.task(name)
        refusals[name] = result.get("msg") or "; ".join(result.get("warnings", []))
        assert option_or_words in refusals[name], (name, result)
        assert TRACEBACK not in str(result), name

    # delisting: no reason -> names the option; no MX -> refuses, says how to force; the forced one is audited
    assert status["delist without reason"] == "failed"
    refused("delist without reason", "reason_for_removal")
    assert status["delist no-mail domain"] == "failed"
    refused("delist no-mail domain", "force=true")
    assert res.task("still suppressed")["suppressed_destination"]["reason"] == "BOUNCE"
    assert res.task("delist no-mail domain, forced")["changed"] is True
    assert res.task("delist with reason")["changed"] is True
    deletes = [r["params"] for r in sandbox.requests() if r["operation"] == "DeleteSuppressedDestination"]
    assert [d.get("EmailAddress") for d in deletes] == [nomail, ok_mail]

    # DMARC: a weaker p, test mode at the same p, a weaker np are refused as a whole (nothing written, not even
    # the rua asked for alongside); legacy pct needs its switch; allow_downgrade lets a weakening through
    for name in ("dmarc downgrade to none", "dmarc downgrade t", "dmarc downgrade np"):
        result = res.task(name)
        assert status[name] == "ok" and result["changed"] is False and result["downgrade_refused"] is True, result
        refused(name, "refused to weaken")
    assert res.task("dmarc downgrade t")["downgrades"][0]["requested"] == "reject; t=y"
    assert res.task("dmarc downgrade np")["downgrades"][0] == {"tag": "np", "current": "reject", "requested": "none"}
    assert status["dmarc legacy pct"] == "failed"
    refused("dmarc legacy pct", "legacy_tags")
    assert res.task("dig _dmarc.%s TXT" % zone)["stdout"] == '"v=DMARC1; p=reject; np=reject"'
    assert res.task("dmarc downgrade allowed")["changed"] is True
    assert bind.query("_dmarc." + zone, "TXT")[0].startswith('"v=DMARC1; p=none')

    # SPF: 11 lookups refused (record untouched), force publishes
    assert status["spf over ten lookups"] == "failed"
    refused("spf over ten lookups", "force=true")
    assert "11 DNS lookups" in res.task("spf over ten lookups")["msg"]
    assert res.task("dig %s TXT" % zone)["stdout"] == ""
    assert res.task("spf forced")["changed"] is True

    # domain_policy: the same refusals
    out = res.task("fleet downgrade, override 'false'")
    assert status["fleet downgrade, override 'false'"] == "ok" and out["changed"] is False, out
    assert out["domains"][0]["dmarc"]["downgrade_refused"] is True
    assert any("refused to weaken" in w for w in out["domains"][0]["warnings"])
    assert res.task("dig _dmarc.dp.%s TXT" % zone)["stdout"] == '"v=DMARC1; p=reject"'
    out = res.task("fleet spf over ten lookups")
    by = {d["domain"]: d for d in out["domains"]}
    assert by["dpspf." + zone]["failed"] is True and by["dpspf." + zone]["rule"] == "spf_lookup_limit", out
    assert "11 DNS lookups" in by["dpspf." + zone]["msg"] and by["dpok." + zone]["failed"] is False
    assert res.task("dig dpspf.%s TXT" % zone)["stdout"] == ""
    assert not [r for r in sandbox.requests() if r["mutating"] and "dpspf." + zone in str(r["params"])]
    refusals["fleet spf over ten lookups"] = by["dpspf." + zone]["msg"]

    # offboarding: refused without confirm_delete, identity intact; confirmed deletes it
    assert status["offboard without confirmation"] == "failed"
    refused("offboard without confirmation", "confirm_delete")
    assert res.task("identity still there")["identities"][0]["exists"] is not False
    assert res.task("offboard confirmed")["actions"] == ["DeleteEmailIdentity"]
    assert [r["operation"] for r in sandbox.requests() if r["operation"] == "DeleteEmailIdentity"] == \
        ["DeleteEmailIdentity"]
    record(figures, "guard_rails", "refusals", {name: msg[:160] for name, msg in refusals.items()})
