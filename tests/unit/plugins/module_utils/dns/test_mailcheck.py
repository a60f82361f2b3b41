"""Address syntax, resolver parsing and the MX / A / AAAA decision, without network."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.dns import mailcheck
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError, InputError


@pytest.mark.parametrize("given, expected", [
    ("Jane.Doe@Example.COM", "Jane.Doe@example.com"),
    ("a+tag@example.com", "a+tag@example.com"),
    ("a/b@example.com", "a/b@example.com"),
    ("per%cent@example.com", "per%cent@example.com"),
    ('"john doe"@example.com', '"john doe"@example.com'),
    ('"a\\"b"@example.com', '"a\\"b"@example.com'),
    ("o'neil@example.com", "o'neil@example.com"),
    ("user@bücher.example", "user@xn--bcher-kva.example"),
    ("user@例子.example", "user@xn--fsqu00a.example"),
    ("user@straße.de", "user@xn--strae-oqa.de"),  # IDNA2008: not strasse.de
    ("x@example.com.", "x@example.com"),
])
def test_valid(given, expected):
    assert mailcheck.validate_email(given) == expected


@pytest.mark.parametrize("bad", ["plain", "@example.com", "a@", "a@b", "a..b@example.com", ".a@example.com",
                                 "a.@example.com", "a b@example.com", 'a"b@example.com', "a@exa mple.com",
                                 "a@-bad-.com", "x" * 65 + "@example.com", "a@@example.com", None, 5,
                                 # SES: 7-bit ASCII local parts only (no SMTPUTF8); no hidden characters
                                 "用户@例子.example", "jörg@example.com", "a@example.com\n", "a\u202e@example.com",
                                 '"a\nb"@example.com', "a@exa\u200bmple.com"])
def test_invalid_names_option(bad):
    with pytest.raises(InputError) as err:
        mailcheck.validate_email(bad, "email")
    assert err.value.option == "email"
    assert err.value.msg.startswith("email: ")


def test_parse_resolvers():
    assert mailcheck.parse_resolvers(["127.0.0.1", "127.0.0.1:5353", "[::1]:54", "::1"]) == [
        ("127.0.0.1", 53), ("127.0.0.1", 5353), ("::1", 54), ("::1", 53)]
    assert mailcheck.parse_resolvers(None) == []
    for bad in ["127.0.0.1:x", "127.0.0.1:70000", "no-such-host.invalid"]:
        with pytest.raises(InputError) as err:
            mailcheck.parse_resolvers([bad])
        assert err.value.option == "resolvers"


class FakeResolver:
    """The dns.resolve.Resolver interface; answers: {(name, rtype): [canonical values] | "NXDOMAIN" | "TIMEOUT"};
    missing means no data (NOERROR, empty)."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def query(self, name, rtype):
        self.asked.append((name, rtype))
        got = self.answers.get((name, rtype))
        if got == "NXDOMAIN":
            return "NXDOMAIN", []
        if got == "TIMEOUT":
            raise DnsError("lookup %s %s" % (name, rtype), "LifetimeTimeout", "timed out", "192.0.2.53:53")
        return "NOERROR", list(got or [])


def test_mx_accepts():
    r = FakeResolver({("x.test", "MX"): ["10 mx.x.test"]})
    out = mailcheck.domain_accepts_mail("x.test", r)
    assert out["accepts_mail"] is True and out["mx"] == ["10 mx.x.test"]
    assert r.asked == [("x.test", "MX")]


def test_fallback_to_a_or_aaaa():
    out = mailcheck.domain_accepts_mail("x.test", FakeResolver({("x.test", "AAAA"): ["2001:db8::1"]}))
    assert out["accepts_mail"] is True and out["addresses"] == ["2001:db8::1"]


def test_no_mx_no_address_refused():
    out = mailcheck.domain_accepts_mail("x.test", FakeResolver({}))
    assert out["accepts_mail"] is False and "neither MX nor A/AAAA" in out["detail"]


def test_null_mx_refused():
    out = mailcheck.domain_accepts_mail("x.test", FakeResolver({("x.test", "MX"): ["0 ."],
                                                                ("x.test", "A"): ["192.0.2.1"]}))
    assert out["accepts_mail"] is False and "null MX" in out["detail"]


def test_nxdomain_refused():
    out = mailcheck.domain_accepts_mail("x.test", FakeResolver({("x.test", "MX"): "NXDOMAIN"}))
    assert out["accepts_mail"] is False and "NXDOMAIN" in out["detail"]


def test_timeout_is_neither_yes_nor_no():
    with pytest.raises(mailcheck.DnsCheckError):
        mailcheck.domain_accepts_mail("x.test", FakeResolver({("x.test", "MX"): "TIMEOUT"}))


def test_guard_messages_and_cache():
    from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup
    from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError
    r = FakeResolver({("ok.test", "MX"): ["10 mx.ok.test"], ("slow.test", "MX"): "TIMEOUT"})
    cache = {}
    assert sup.delisting_guard("a@ok.test", True, r, cache)["accepts_mail"] is True
    assert sup.delisting_guard("b@ok.test", True, r, cache)["accepts_mail"] is True
    assert r.asked.count(("ok.test", "MX")) == 1
    with pytest.raises(DeliverabilityError, match="force=true"):
        sup.delisting_guard("a@none.test", True, r, cache)
    with pytest.raises(DeliverabilityError, match="could not verify"):
        sup.delisting_guard("a@slow.test", True, r, cache)
    assert sup.delisting_guard("a@none.test", False, r, cache) is None
