"""email_auth_check's checks over a dict resolver."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import check


def resolver(data):
    def resolve(name, rtype):
        value = data.get((name, rtype), [])
        if isinstance(value, Exception):
            raise value
        return list(value)
    return resolve


SES = ("amazonses.com", "TXT")


def test_all_pass():
    data = {("x.test", "TXT"): ["v=spf1 include:amazonses.com -all"], SES: ["v=spf1 ip4:192.0.2.0/24 -all"],
            ("tok._domainkey.x.test", "CNAME"): ["tok.dkim.amazonses.com"],
            ("m.x.test", "MX"): ["10 feedback-smtp.eu-west-1.amazonses.com"],
            ("m.x.test", "TXT"): ["v=spf1 include:amazonses.com -all"],
            ("_dmarc.x.test", "TXT"): ["v=DMARC1; p=reject; rua=mailto:d@x.test"]}
    r = resolver(data)
    checks = (check.check_spf(r, "x.test") + check.check_dkim_tokens(r, "x.test", ["TOK"])
              + check.check_mail_from(r, "x.test", "m.x.test", "eu-west-1") + check.check_dmarc(r, "x.test", "reject"))
    assert check.summarize(checks) == ({"pass": len(checks), "warn": 0, "fail": 0}, "pass"), checks


def test_failures_say_what_to_do():
    data = {("x.test", "TXT"): ["v=spf1 mx -all"], ("x.test", "MX"): ["10 mx.x.test"],
            ("m.x.test", "MX"): ["10 mx.elsewhere.test"],
            ("_dmarc.x.test", "TXT"): ["v=DMARC1; p=quarantine; pct=20"],
            ("sel._domainkey.x.test", "TXT"): ["v=DKIM1; k=rsa; p="]}
    r = resolver(data)
    by = {c["check"]: c for c in check.check_spf(r, "x.test")}
    assert by["spf_ses"]["status"] == "fail" and "include:amazonses.com" in by["spf_ses"]["reason"]
    mf = {c["check"]: c for c in check.check_mail_from(r, "x.test", "m.x.test", "eu-west-1")}
    assert mf["mail_from_mx"]["status"] == "fail" and "feedback-smtp.eu-west-1.amazonses.com" in mf["mail_from_mx"]["reason"]
    assert mf["mail_from_spf_record"]["status"] == "fail"
    dm = {c["check"]: c for c in check.check_dmarc(r, "x.test", "quarantine")}
    assert dm["dmarc_policy"]["status"] == "warn" and "20%" in dm["dmarc_policy"]["reason"]
    assert dm["dmarc_reports"]["status"] == "warn"
    assert check.check_dkim_selector(r, "x.test", "sel")[0]["reason"].startswith("the DKIM key is revoked")
    assert "no DMARC record" in check.check_dmarc(r, "y.test")[0]["reason"]


def test_dns_errors_become_reasons():
    r = resolver({("x.test", "TXT"): DeliverabilityError("lookup x.test TXT failed: SERVFAIL: boom")})
    got = check.check_spf(r, "x.test")
    assert got[0]["status"] == "fail" and "SERVFAIL" in got[0]["reason"]


def test_byodkim_key_match():
    key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
    r = resolver({("s._domainkey.x.test", "TXT"): ["v=DKIM1; k=rsa; p=" + key]})
    pem = "-----BEGIN PUBLIC KEY-----\n%s\n%s\n-----END PUBLIC KEY-----" % (key[:20], key[20:])
    assert check.check_dkim_selector(r, "x.test", "s", pem)[0]["status"] == "pass"
    assert check.check_dkim_selector(r, "x.test", "s", "AAAA")[0]["status"] == "fail"
