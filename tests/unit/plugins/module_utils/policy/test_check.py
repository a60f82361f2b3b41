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
    assert check.summarize(checks) == ({"pass": len(checks), "warn": 0, "fail": 0, "unknown": 0}, "pass"), checks


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
    assert got[0]["status"] == "unknown" and "SERVFAIL" in got[0]["reason"]


def test_could_not_look_is_unknown_never_a_failure():
    """Every read that failed makes its check unknown with the error; the overall outcome is unknown, and the
    checks that did get an answer keep theirs."""
    boom = DeliverabilityError("lookup failed: Timeout: The DNS operation timed out")
    r = resolver({("x.test", "TXT"): ["v=spf1 include:amazonses.com include:other.test -all"],
                  SES: ["v=spf1 ip4:192.0.2.0/24 -all"], ("other.test", "TXT"): boom,
                  ("tok._domainkey.x.test", "CNAME"): boom, ("m.x.test", "MX"): boom, ("m.x.test", "TXT"): boom,
                  ("_dmarc.x.test", "TXT"): boom, ("s._domainkey.x.test", "TXT"): boom})
    checks = (check.check_spf(r, "x.test") + check.check_dkim_tokens(r, "x.test", ["TOK"])
              + check.check_dkim_selector(r, "x.test", "s")
              + check.check_mail_from(r, "x.test", "m.x.test", "eu-west-1") + check.check_dmarc(r, "x.test"))
    by = {(c["check"], c["name"]): c for c in checks}
    assert by[("spf_record", "x.test")]["status"] == "pass"
    lookups = by[("spf_lookups", "x.test")]
    assert lookups["status"] == "unknown" and "other.test TXT" in lookups["reason"]  # a lower bound is no pass
    assert by[("spf_ses", "x.test")]["status"] == "pass"  # SES is authorised directly, whatever other.test says
    for key in (("dkim", "tok._domainkey.x.test"), ("dkim", "s._domainkey.x.test"), ("mail_from_mx", "m.x.test"),
                ("mail_from_spf_record", "m.x.test"), ("dmarc_record", "_dmarc.x.test")):
        assert by[key]["status"] == "unknown" and "timed out" in by[key]["reason"], key
    assert not [c for c in checks if c["status"] == "fail"]
    counts, overall = check.summarize(checks)
    assert overall == "unknown" and counts["unknown"] == 6 and counts["fail"] == 0
    assert {u["check"] for u in check.unknown(checks)} == {"spf_lookups", "dkim", "mail_from_mx",
                                                           "mail_from_spf_record", "dmarc_record"}
    # SES hidden behind the include that could not be read: not "does not authorise SES", but unknown
    r = resolver({("y.test", "TXT"): ["v=spf1 include:other.test -all"], ("other.test", "TXT"): boom})
    assert {c["check"]: c["status"] for c in check.check_spf(r, "y.test")}["spf_ses"] == "unknown"
    # a report destination that could not be read: unknown, not "does not authorise"
    r = resolver({("_dmarc.z.test", "TXT"): ["v=DMARC1; p=reject; rua=mailto:d@rep.test"],
                  ("z.test._report._dmarc.rep.test", "TXT"): boom})
    auth = [c for c in check.check_dmarc(r, "z.test") if c["check"] == "dmarc_reports"]
    assert [c["status"] for c in auth] == ["unknown"]


def test_byodkim_key_match():
    key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
    r = resolver({("s._domainkey.x.test", "TXT"): ["v=DKIM1; k=rsa; p=" + key]})
    pem = "-----BEGIN PUBLIC KEY-----\n%s\n%s\n-----END PUBLIC KEY-----" % (key[:20], key[20:])
    assert check.check_dkim_selector(r, "x.test", "s", pem)[0]["status"] == "pass"
    assert check.check_dkim_selector(r, "x.test", "s", "AAAA")[0]["status"] == "fail"
