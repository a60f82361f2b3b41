"""The pure posture rules with a dict for DNS: parked domains, permissive SPF, verdicts, severities."""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture, posture_dns

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def resolver(records, down=()):
    """A dict as DNS; names under a zone in ``down`` time out (the zone's servers are unreachable)."""
    def resolve(name, rtype):
        if any(name == z or name.endswith("." + z) for z in down):
            raise DnsError("lookup %s %s" % (name, rtype), "Timeout", "The DNS operation timed out")
        return list(records.get((name, rtype), []))
    return resolve


def ids(findings):
    return sorted(f["id"] for f in findings)


def test_parked_domain_posture():
    good = resolver({("p.test", "MX"): ["0 ."], ("p.test", "TXT"): ["v=spf1 -all"],
                     ("_dmarc.p.test", "TXT"): ["v=DMARC1; p=reject"]})
    assert posture_dns.assess_parked("p.test", good, []) == []  # np follows sp, sp follows p
    weak_np = resolver({("p.test", "MX"): ["0 ."], ("p.test", "TXT"): ["v=spf1 -all"],
                        ("_dmarc.p.test", "TXT"): ["v=DMARC1; p=reject; np=none"]})
    assert ids(posture_dns.assess_parked("p.test", weak_np, [])) == ["parked_dmarc_not_reject"]
    open_ = resolver({("p.test", "TXT"): ["v=spf1 ~all"]})
    assert ids(posture_dns.assess_parked("p.test", open_, [])) == [
        "parked_dmarc_not_reject", "parked_no_null_mx", "parked_spf_not_fail"]


def identity(**over):
    ident = {"verification_status": "SUCCESS", "configuration_set": "cs",
             "dkim": {"signing_enabled": True, "status": "SUCCESS", "origin": "AWS_SES", "tokens": [],
                      "current_key_length": "RSA_2048_BIT", "next_key_length": "RSA_2048_BIT",
                      "last_key_generation": "2026-11-01T00:00:00+00:00"},
             "mail_from": {"domain": "mail.a.test", "status": "SUCCESS", "behavior_on_mx_failure": "REJECT_MESSAGE"}}
    ident.update(over)
    return ident


def test_ses_rules_and_key_age():
    assert posture.assess_ses("a.test", identity(), {"exists": True, "suppressed_reasons": None}, NOW) == []
    old = identity(dkim=dict(identity()["dkim"], last_key_generation="2024-01-01T00:00:00+00:00"))
    assert ids(posture.assess_ses("a.test", old, None, NOW)) == ["dkim_key_old"]
    assert posture.assess_ses("a.test", old, None, NOW, max_key_age_days=0) == []
    stuck = identity(verification_status="FAILED", verification_info={"error_type": "INVALID_VALUE"})
    found = posture.assess_ses("a.test", stuck, None, NOW)
    assert ids(found) == ["verification_invalid_value"] and found[0]["severity"] == "critical"
    partial = posture.assess_ses("a.test", identity(), {"exists": True, "suppressed_reasons": ["BOUNCE"]}, NOW)
    assert ids(partial) == ["suppression_override"] and "COMPLAINT" in partial[0]["title"]


def test_account_findings():
    acct = {"production_access": False, "sending_enabled": False, "enforcement_status": "PROBATION"}
    found = {f["id"]: f["severity"] for f in posture.assess_account(acct)}
    assert found == {"account_sandboxed": "high", "account_sending_paused": "critical", "account_enforcement": "high"}
    assert posture.assess_account({"production_access": True, "sending_enabled": True,
                                   "enforcement_status": "HEALTHY"}) == []


def test_verdicts_need_dkim_and_dmarc_and_name_what_cannot_be_checked():
    ok = posture.verdicts(identity(), [], [])
    assert ok["gmail"]["verdict"] == "pass" and ok["microsoft"]["spf_aligned"] is True
    assert all(v["not_checked"] for v in ok.values())
    no_dmarc = posture.verdicts(identity(), [{"id": "dmarc_missing"}], [])
    assert no_dmarc["yahoo"]["verdict"] == "fail" and "no valid DMARC record (dmarc_missing)" in no_dmarc["yahoo"]["reasons"]
    paused = posture.verdicts(identity(), [], [{"id": "account_sending_paused", "title": "paused"}])
    assert paused["microsoft"]["verdict"] == "fail"


def test_spf_all_qualifier():
    assert posture_dns.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 +all"]}), "a.test") == "+"
    assert posture_dns.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 all"]}), "a.test") == "+"
    assert posture_dns.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 mx"]}), "a.test") == ""
    assert posture_dns.spf_all_qualifier(resolver({}), "a.test") is None


def healthy_dns(domain="a.test", dmarc="v=DMARC1; p=reject; rua=mailto:d@a.test"):
    return {(domain, "TXT"): ["v=spf1 include:amazonses.com ~all"],
            ("amazonses.com", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"],
            ("tok._domainkey." + domain, "CNAME"): ["tok.dkim.amazonses.com"],
            ("mail." + domain, "MX"): ["10 feedback-smtp.us-east-1.amazonses.com"],
            ("mail." + domain, "TXT"): ["v=spf1 include:amazonses.com ~all"],
            ("_dmarc." + domain, "TXT"): [dmarc]}


def sending(**over):
    over.setdefault("dkim", dict(identity()["dkim"], tokens=["tok"]))
    return identity(**over)


def test_a_healthy_domain_has_no_finding_and_passes_every_rule_with_its_source():
    r = posture.assess("a.test", sending(), resolver(healthy_dns()), "us-east-1", now=NOW)
    assert r["findings"] == [] and r["unknown"] == [] and r["could_not_look"] is False
    for provider in ("gmail", "yahoo", "microsoft"):
        v = r["verdicts"][provider]
        assert v["verdict"] == "pass", v
        assert [x["rule"] for x in v["rules"]] == ["ses_sends", "spf_pass", "dkim_pass", "dmarc_published",
                                                   "dmarc_aligned"]
        assert all(x["status"] == "pass" and x["source"] and x["requirement"] for x in v["rules"])
    assert "2025-05-05" in r["verdicts"]["microsoft"]["rules"][1]["source"]
    assert "81126" in r["verdicts"]["gmail"]["rules"][1]["source"]


def test_the_resolver_unreachable_is_unknown_never_a_finding():
    r = posture.assess("a.test", sending(), resolver({}, down=("a.test", "amazonses.com")), "us-east-1", now=NOW)
    assert r["findings"] == [] and r["could_not_look"] is True
    assert {u["check"] for u in r["unknown"]} == {"spf_record", "dkim", "mail_from_mx", "mail_from_spf_record",
                                                  "dmarc_record"}
    assert all("timed out" in u["error"] for u in r["unknown"])
    assert {v["verdict"] for v in r["verdicts"].values()} == {"unknown"}
    assert all(v["reasons"] == [] and v["unknown"] for v in r["verdicts"].values())
    parked = posture.assess("p.test", None, resolver({}, down=("p.test",)), "us-east-1", parked=True)
    assert parked["findings"] == [] and parked["could_not_look"] is True
    assert {u["check"] for u in parked["unknown"]} == {"parked_mx", "parked_spf", "parked_dmarc"}


def test_one_zone_down_leaves_the_others_judged():
    dns = healthy_dns("a.test")
    dns.update(healthy_dns("b.other"))
    resolve = resolver(dns, down=("other",))
    a = posture.assess("a.test", sending(), resolve, "us-east-1", now=NOW)
    b = posture.assess("b.other", sending(mail_from={"domain": "mail.b.other", "status": "SUCCESS",
                                                     "behavior_on_mx_failure": "REJECT_MESSAGE"}),
                       resolve, "us-east-1", now=NOW)
    assert a["could_not_look"] is False and a["verdicts"]["gmail"]["verdict"] == "pass"
    assert b["could_not_look"] is True and b["findings"] == [] and b["verdicts"]["gmail"]["verdict"] == "unknown"
    summary = posture.summarize([a, b], [])
    assert summary["could_not_look"] == 1 and summary["could_not_look_domains"] == ["b.other"]
    assert summary["providers"]["gmail"] == {"pass": 1, "fail": 0, "unknown": 1, "failing": [],
                                             "not_known": ["b.other"]}


def test_a_definite_failure_stays_a_failure_beside_an_unknown():
    # SES says DKIM signing is off: the DKIM rule fails whatever DNS says, so the verdict is fail, not unknown
    nosign = sending(dkim=dict(sending()["dkim"], signing_enabled=False))
    r = posture.assess("a.test", nosign, resolver({}, down=("a.test", "amazonses.com")), "us-east-1", now=NOW)
    assert [f["id"] for f in r["findings"]] == ["dkim_signing_disabled"] and r["could_not_look"] is True
    assert r["verdicts"]["yahoo"]["verdict"] == "fail"
    assert r["verdicts"]["yahoo"]["reasons"] == ["DKIM signing is turned off: mail leaves unsigned by the domain"]


def test_mail_from_cases_fail_or_pass_the_providers_as_receivers_evaluate_them():
    dns = healthy_dns()
    # a verified custom MAIL FROM whose SPF does not authorise SES: SPF fails at every provider
    dns[("mail.a.test", "TXT")] = ["v=spf1 -all"]
    r = posture.assess("a.test", sending(), resolver(dns), "us-east-1", now=NOW)
    assert [f["id"] for f in r["findings"]] == ["mail_from_spf_no_ses"]
    for v in r["verdicts"].values():
        rules = {x["rule"]: x["status"] for x in v["rules"]}
        assert v["verdict"] == "fail" and rules["spf_pass"] == "fail" and rules["dmarc_aligned"] == "pass"
    # MAIL FROM not verified with REJECT_MESSAGE: SES refuses to send
    refused = sending(mail_from={"domain": "mail.a.test", "status": "FAILED",
                                 "behavior_on_mx_failure": "REJECT_MESSAGE"})
    r = posture.assess("a.test", refused, resolver(healthy_dns()), "us-east-1", now=NOW)
    f = r["findings"][0]
    assert f["id"] == "mail_from_not_verified" and f["severity"] == "critical" and "refuses" in f["title"]
    assert "feedback-smtp.us-east-1.amazonses.com" in f["fix"] and "<region>" not in f["fix"] + f["detail"]
    assert {v["verdict"] for v in r["verdicts"].values()} == {"fail"}
    assert any("REJECT_MESSAGE" in x for x in r["verdicts"]["gmail"]["reasons"])
    # no custom MAIL FROM: SPF passes on amazonses.com but does not align - DMARC rests on DKIM, and says so
    nomf = sending(mail_from={})
    r = posture.assess("a.test", nomf, resolver(healthy_dns()), "us-east-1", now=NOW)
    v = r["verdicts"]["microsoft"]
    spf_rule = next(x for x in v["rules"] if x["rule"] == "spf_pass")
    assert v["verdict"] == "pass" and v["spf_aligned"] is False and "DMARC rests on DKIM alone" in spf_rule["why"]
    # ... and then a DKIM failure leaves nothing aligned
    r = posture.assess("a.test", sending(mail_from={}, dkim=dict(sending()["dkim"], status="FAILED")),
                       resolver(healthy_dns()), "us-east-1", now=NOW)
    rules = {x["rule"]: x["status"] for x in r["verdicts"]["gmail"]["rules"]}
    assert rules["dkim_pass"] == "fail" and rules["dmarc_aligned"] == "fail" and rules["spf_pass"] == "pass"


def test_dmarc_strength_is_a_finding_with_the_next_stage_and_the_gate():
    def found(record, evidence=None):
        r = posture.assess("a.test", sending(), resolver(healthy_dns(dmarc=record)), "us-east-1", now=NOW,
                           evidence=evidence)
        return {f["id"]: f for f in r["findings"]}
    none = found("v=DMARC1; p=none; rua=mailto:d@a.test")
    assert list(none) == ["dmarc_policy_none"]
    assert "quarantine; t=y" in none["dmarc_policy_none"]["fix"] and "no evidence store" in none["dmarc_policy_none"]["fix"]
    shut = {"to": "quarantine; t=y", "open": False, "summary": "12 reports, 3 failing sources"}
    gated = found("v=DMARC1; p=none; rua=mailto:d@a.test", evidence=lambda tags: shut)
    assert "evidence gate for quarantine; t=y is shut: 12 reports" in gated["dmarc_policy_none"]["fix"]
    testing = found("v=DMARC1; p=reject; t=y; rua=mailto:d@a.test")
    assert list(testing) == ["dmarc_test_mode"] and "apply quarantine" in testing["dmarc_test_mode"]["detail"]
    assert "test_mode: false" in testing["dmarc_test_mode"]["fix"] and "next stage: reject" in testing["dmarc_test_mode"]["fix"]
    assert "dmarc_test_mode" in found("v=DMARC1; p=none; t=y; rua=mailto:d@a.test")  # at any stage
    weak = found("v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:d@a.test")
    assert list(weak) == ["dmarc_subdomain_weaker"] and "sp=none and np=quarantine" in weak["dmarc_subdomain_weaker"]["title"]
    assert found("v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:d@a.test") == {}
    norua = found("v=DMARC1; p=reject")
    assert list(norua) == ["dmarc_no_rua"] and "gate" in norua["dmarc_no_rua"]["detail"]
