"""SPF parse, merge and recursive lookup counting (pure; DNS is a dict)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.deliverability.ses.plugins.module_utils.policy import spf


def test_parse_and_render():
    terms = spf.parse("V=spf1  ip4:192.0.2.0/24 include:_spf.Google.com  ~all redirect=x.test")
    assert [t.name for t in terms] == ["ip4", "include", "all", "redirect"]
    assert spf.normalize("v=spf1   mx   -all") == "v=spf1 mx -all"
    for bad in ("v=spf2 -all", "v=spf1 include", "v=spf1 foo:bar", "v=spf1 all:x", "v=spf1 redirect=a redirect=b"):
        with pytest.raises(spf.SpfError):
            spf.parse(bad)


def test_merge_into_nothing_and_existing():
    assert spf.merge(None) == "v=spf1 include:amazonses.com ~all"
    assert spf.merge("v=spf1 include:_spf.google.com -all") == "v=spf1 include:_spf.google.com include:amazonses.com -all"
    # already there (any case / qualifier): unchanged
    text = "v=spf1 +include:AmazonSES.com ?all"
    assert spf.merge(text) == text
    # no all: goes before the modifiers, no all is added to an existing record
    assert spf.merge("v=spf1 mx redirect=_spf.example.test") == "v=spf1 mx include:amazonses.com redirect=_spf.example.test"
    assert spf.merge("v=spf1 mx -all", all_qualifier="~") == "v=spf1 mx include:amazonses.com ~all"
    assert spf.merge("v=spf1 mx", all_qualifier="-") == "v=spf1 mx include:amazonses.com -all"
    assert spf.merge("v=spf1 mx include:old.test -all", remove=["include:old.test"]) == \
        "v=spf1 mx include:amazonses.com -all"
    with pytest.raises(spf.SpfError):
        spf.merge("v=spf1 redirect=x.test", all_qualifier="-")
    with pytest.raises(spf.SpfError):
        spf.merge("v=spf1 -all", add=["redirect=x.test"])


mechanism = st.one_of(
    st.builds(lambda q, d: "%sinclude:%s.test" % (q, d), st.sampled_from(["", "+", "-", "~", "?"]),
              st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
    st.builds(lambda n: "ip4:192.0.2.%d" % n, st.integers(0, 255)),
    st.builds(lambda d: "a:%s.test" % d, st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
    st.sampled_from(["mx", "a", "ptr", "exists:%{i}.x.test", "ip6:2001:db8::/32"]),
)
record = st.builds(lambda ms, tail: " ".join(["v=spf1"] + ms + tail), st.lists(mechanism, max_size=8),
                   st.sampled_from([[], ["-all"], ["~all"], ["?all"], ["redirect=r.test"], ["-all", "exp=e.test"]]))


@settings(max_examples=300, deadline=None)
@given(record, st.lists(mechanism, max_size=4))
def test_merge_never_drops_a_mechanism(existing, add):
    merged = spf.merge(existing, add=add)
    keys = spf.mechanism_keys(merged)
    assert spf.mechanism_keys(existing) <= keys
    assert {spf.parse_term(a).key for a in add} <= keys
    assert spf.merge(merged, add=add) == merged  # idempotent
    before_all = [t for t in spf.parse(existing) if t.name == "all"]
    after_all = [t for t in spf.parse(merged) if t.name == "all"]
    assert [t.raw for t in before_all] == [t.raw for t in after_all]  # the all qualifier is kept


def _resolver(zone):
    def resolve(name, rtype):
        value = zone.get((name, rtype))
        if isinstance(value, Exception):
            raise value
        return list(value or [])
    return resolve


def test_lookup_count_recursive_and_void():
    dns = {
        ("example.test", "TXT"): ["v=spf1 include:a.test mx a:missing.example.test -all", "other"],
        ("a.test", "TXT"): ["v=spf1 include:b.test exists:%{i}.x.test ip4:192.0.2.1 ~all"],
        ("b.test", "TXT"): ["v=spf1 a ptr -all"],
        ("b.test", "A"): ["192.0.2.2"],
        ("example.test", "MX"): ["10 mx.example.test"],
    }
    res = spf.count_lookups("example.test", _resolver(dns))
    assert [lk["term"] for lk in res.lookups] == ["include:a.test", "include:b.test", "a", "ptr",
                                                  "exists:%{i}.x.test", "mx", "a:missing.example.test"]
    assert res.count == 7
    assert res.void == 1  # a:missing.example.test
    assert res.lookups[1]["via"] == ["example.test", "a.test"]
    assert "include:b.test (in example.test > a.test)" in res.describe()


def test_lookup_count_redirect_errors_and_loops():
    dns = {("x.test", "TXT"): ["v=spf1 redirect=y.test"], ("y.test", "TXT"): ["v=spf1 include:x.test -all"],
           ("z.test", "TXT"): RuntimeError("SERVFAIL")}
    res = spf.count_lookups("x.test", _resolver(dns))
    assert res.count == 2 and any("loop" in e for e in res.errors)
    res = spf.count_lookups("q.test", _resolver(dns), record="v=spf1 include:z.test include:none.test -all")
    assert res.count == 2 and res.void == 1
    assert any("SERVFAIL" in e or "RuntimeError" in e for e in res.errors)
    assert any("no SPF record" in e for e in res.errors)
    # redirect is ignored when the record has all
    assert spf.count_lookups("q.test", _resolver(dns), record="v=spf1 -all redirect=y.test").count == 0
