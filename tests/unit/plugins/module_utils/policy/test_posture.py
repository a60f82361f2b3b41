"""The pure posture rules with a dict for DNS: parked domains, permissive SPF, verdicts, severities."""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def resolver(records):
    def resolve(name, rtype):
        return list(records.get((name, rtype), []))
    return resolve


def ids(findings):
    return sorted(f["id"] for f in findings)


def test_parked_domain_posture():
    good = resolver({("p.test", "MX"): ["0 ."], ("p.test", "TXT"): ["v=spf1 -all"],
                     ("_dmarc.p.test", "TXT"): ["v=DMARC1; p=reject"]})
    assert posture.assess_parked("p.test", good) == []  # np follows sp, sp follows p
    weak_np = resolver({("p.test", "MX"): ["0 ."], ("p.test", "TXT"): ["v=spf1 -all"],
                        ("_dmarc.p.test", "TXT"): ["v=DMARC1; p=reject; np=none"]})
    assert ids(posture.assess_parked("p.test", weak_np)) == ["parked_dmarc_not_reject"]
    open_ = resolver({("p.test", "TXT"): ["v=spf1 ~all"]})
    assert ids(posture.assess_parked("p.test", open_)) == ["parked_dmarc_not_reject", "parked_no_null_mx",
                                                           "parked_spf_not_fail"]


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
    assert no_dmarc["yahoo"]["verdict"] == "fail" and "no valid DMARC record" in no_dmarc["yahoo"]["reasons"]
    paused = posture.verdicts(identity(), [], [{"id": "account_sending_paused", "title": "paused"}])
    assert paused["microsoft"]["verdict"] == "fail"


def test_spf_all_qualifier():
    assert posture.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 +all"]}), "a.test") == "+"
    assert posture.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 all"]}), "a.test") == "+"
    assert posture.spf_all_qualifier(resolver({("a.test", "TXT"): ["v=spf1 mx"]}), "a.test") == ""
    assert posture.spf_all_qualifier(resolver({}), "a.test") is None
