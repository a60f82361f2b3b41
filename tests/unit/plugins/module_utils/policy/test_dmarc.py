"""DMARC parse / build / ratchet (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc


def test_parse_build_canonical():
    text = "v=DMARC1;p=Reject; rua=mailto:a@X.test, mailto:b@y.test!10m ;pct=50;adkim=s; fo=1:D"
    tags = dmarc.parse(text)
    assert tags == {"v": "DMARC1", "p": "reject", "rua": ["mailto:a@x.test", "mailto:b@y.test!10m"], "pct": 50,
                    "adkim": "s", "fo": "1:d"}
    assert dmarc.build(tags) == "v=DMARC1; p=reject; pct=50; rua=mailto:a@x.test,mailto:b@y.test!10m; adkim=s; fo=1:d"
    assert dmarc.build({"p": "none", "rua": ["dmarc@example.test"]}) == "v=DMARC1; p=none; rua=mailto:dmarc@example.test"


@pytest.mark.parametrize("bad", ["v=DMARC2; p=none", "p=none", "v=DMARC1; p=maybe", "v=DMARC1; pct=5",
                                 "v=DMARC1; p=none; pct=101", "v=DMARC1; p=none; adkim=x", "v=DMARC1; p=none; p=none",
                                 "v=DMARC1; p=none; rua=nope", "v=DMARC1; p=none; fo=2"])
def test_parse_rejects(bad):
    with pytest.raises(dmarc.DmarcError):
        dmarc.parse(bad)


local = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}", fullmatch=True)
host = st.from_regex(r"[a-z0-9]{1,10}\.(test|example|org)", fullmatch=True)
uri = st.builds(lambda l, h: "mailto:%s@%s" % (l, h), local, host)
tags_strategy = st.fixed_dictionaries(
    {"v": st.just("DMARC1"), "p": st.sampled_from(dmarc.POLICIES)},
    optional={"sp": st.sampled_from(dmarc.POLICIES), "np": st.sampled_from(dmarc.POLICIES),
              "t": st.sampled_from(("y", "n")), "psd": st.sampled_from(dmarc.PSD_VALUES),
              "pct": st.integers(0, 100), "rua": st.lists(uri, min_size=1, max_size=4),
              "ruf": st.lists(uri, min_size=1, max_size=3), "adkim": st.sampled_from(dmarc.ALIGNMENT),
              "aspf": st.sampled_from(dmarc.ALIGNMENT),
              "fo": st.lists(st.sampled_from(dmarc.FO_VALUES), min_size=1, max_size=4).map(":".join),
              "rf": st.just("afrf"), "ri": st.integers(0, 86400 * 7)})


@settings(max_examples=300, deadline=None)
@given(tags_strategy)
def test_build_parse_identity(tags):
    text = dmarc.build(tags)
    assert dmarc.parse(text) == tags
    assert dmarc.build(dmarc.parse(text)) == text
    assert "," not in text.replace(",mailto:", "")  # commas only between report URIs


def test_ratchet_refuses_downgrades():
    cur = {"v": "DMARC1", "p": "reject", "pct": 50, "adkim": "s"}
    got, down = dmarc.ratchet(cur, {"v": "DMARC1", "p": "quarantine", "pct": 100})
    assert got["p"] == "reject" and got["pct"] == 50 and got["adkim"] == "s"
    assert {d["tag"] for d in down} == {"p", "adkim"}
    got, down = dmarc.ratchet(cur, {"v": "DMARC1", "p": "none"}, allow_downgrade=True)
    assert got == {"v": "DMARC1", "p": "none"} and down
    got, down = dmarc.ratchet({"p": "quarantine"}, {"p": "quarantine", "pct": 20})
    assert got.get("pct") is None and down[0]["tag"] == "p"
    got, down = dmarc.ratchet({"p": "reject"}, {"p": "reject", "sp": "none"})
    # the refused sp stays inherited as published: no explicit sp=reject, so nothing to write
    assert "sp" not in got and down == [{"tag": "sp", "current": "reject", "requested": "none"}]
    assert dmarc.build(got) == "v=DMARC1; p=reject"
    got, down = dmarc.ratchet({"p": "reject"}, {"p": "reject", "np": "none"})
    assert "np" not in got and down == [{"tag": "np", "current": "reject", "requested": "none"}]
    # a stronger p with a refused sp keeps the sp in force before (quarantine), not the new inherited one
    got, down = dmarc.ratchet({"p": "quarantine"}, {"p": "reject", "sp": "none"})
    assert got["sp"] == "quarantine" and got["p"] == "reject"
    got, down = dmarc.ratchet({"p": "reject", "sp": "quarantine"}, {"p": "reject", "sp": "none"})
    assert got["sp"] == "quarantine"
    # strengthening is never a downgrade; p=reject pct=10 is stronger than quarantine pct=100
    assert dmarc.ratchet({"p": "quarantine"}, {"p": "reject", "pct": 10})[1] == []
    assert dmarc.ratchet(None, {"p": "none"}) == ({"p": "none"}, [])


@settings(max_examples=200, deadline=None)
@given(tags_strategy, tags_strategy)
def test_ratchet_never_weakens(current, desired):
    got, down = dmarc.ratchet(current, desired)
    assert dmarc.strength(got) >= dmarc.strength(current)
    if not down:
        assert got == desired
    dmarc.build(got)  # still a valid record


def test_rfc9989_tags():
    tags = dmarc.parse("v=DMARC1; p=Reject; t=Y; np=quarantine; psd=N; sp=none")
    assert tags == {"v": "DMARC1", "p": "reject", "t": "y", "np": "quarantine", "psd": "n", "sp": "none"}
    assert dmarc.build(tags) == "v=DMARC1; p=reject; sp=none; np=quarantine; psd=n; t=y"
    assert dmarc.build({"p": "quarantine", "t": True}) == "v=DMARC1; p=quarantine; t=y"
    for bad, tag in (("t=maybe", "t:"), ("psd=x", "psd:"), ("np=drop", "np:")):
        with pytest.raises(dmarc.DmarcError, match="^" + tag):
            dmarc.parse("v=DMARC1; p=none; " + bad)
    assert dmarc.obsolete(dmarc.parse("v=DMARC1; p=none; ri=3600; pct=10; rf=afrf")) == ["pct", "rf", "ri"]
    assert dmarc.obsolete(tags) == []


def test_test_mode_is_weaker_at_the_same_policy():
    ladder = [{"p": "none"}, {"p": "quarantine", "t": "y"}, {"p": "quarantine"}, {"p": "quarantine", "t": "n"},
              {"p": "reject", "t": "y"}, {"p": "reject"}]
    strengths = [dmarc.strength(t) for t in ladder]
    assert strengths == sorted(strengths) and strengths[2] == strengths[3]
    assert dmarc.strength({"p": "none", "t": "y"}) == dmarc.strength({"p": "none"})
    got, down = dmarc.ratchet({"p": "reject"}, {"p": "reject", "t": "y"})
    assert got == {"p": "reject"} and down == [{"tag": "p", "current": "reject", "requested": "reject; t=y"}]
    got, down = dmarc.ratchet({"p": "quarantine", "t": "y"}, {"p": "quarantine"})
    assert down == [] and got == {"p": "quarantine"}
    got, down = dmarc.ratchet({"p": "reject", "np": "reject"}, {"p": "reject", "np": "none"})
    assert got["np"] == "reject" and down[0]["tag"] == "np"
    # np defaults to sp, sp to p: an explicit np=none under sp=reject is a downgrade
    assert dmarc.ratchet({"p": "none", "sp": "reject"}, {"p": "none", "sp": "reject", "np": "none"})[1][0]["tag"] == "np"


def test_stages_and_report_domains():
    assert dmarc.next_stage(None) == {"policy": "none", "test_mode": False}
    assert dmarc.next_stage({"p": "none"}) == {"policy": "quarantine", "test_mode": True}
    assert dmarc.next_stage({"p": "quarantine", "t": "y"}) == {"policy": "quarantine", "test_mode": False}
    assert dmarc.next_stage({"p": "quarantine"}) == {"policy": "reject", "test_mode": True}
    assert dmarc.next_stage({"p": "reject", "t": "y"}) == {"policy": "reject", "test_mode": False}
    assert dmarc.next_stage({"p": "reject"}) == {"policy": "reject", "test_mode": False}
    # a legacy pct record sits between the stages: quarantine pct=25 is past quarantine t=y
    assert dmarc.next_stage({"p": "quarantine", "pct": 25}) == {"policy": "quarantine", "test_mode": False}
    assert dmarc.stage_index({"p": "quarantine", "pct": 25}) == 1 and dmarc.stage_index(None) == -1
    # sp / np follow p up, never down; legacy pct is dropped by a stage
    moved = dmarc.apply_stage({"p": "quarantine", "sp": "none", "np": "reject", "pct": 50, "rua": ["mailto:a@x.test"]},
                              {"policy": "reject", "test_mode": True})
    assert moved == {"p": "reject", "t": "y", "sp": "reject", "np": "reject", "rua": ["mailto:a@x.test"]}
    assert dmarc.apply_stage({"p": "none"}, {"policy": "quarantine", "test_mode": False}) == {"p": "quarantine"}
    tags = dmarc.parse("v=DMARC1; p=none; rua=mailto:a@example.test,mailto:b@Reports.test; ruf=mailto:c@sub.example.test")
    assert dmarc.report_domains(tags, "example.test") == ["reports.test"]
    assert dmarc.authorization_name("example.test", "reports.test") == "example.test._report._dmarc.reports.test"


def test_migrate_legacy_tags():
    got, notes = dmarc.migrate(dmarc.parse("v=DMARC1; p=quarantine; pct=25; rf=afrf; ri=86400; rua=mailto:a@x.test"))
    assert dmarc.build(got) == "v=DMARC1; p=quarantine; t=y; rua=mailto:a@x.test"
    assert notes == ["pct=25 became t=y (test mode)", "rf=afrf dropped (RFC 9989 removed it)",
                     "ri=86400 dropped (RFC 9989 removed it)"]
    assert dmarc.build(dmarc.migrate(dmarc.parse("v=DMARC1; p=reject; pct=100"))[0]) == "v=DMARC1; p=reject"
    assert dmarc.build(dmarc.migrate(dmarc.parse("v=DMARC1; p=reject; pct=0"))[0]) == "v=DMARC1; p=reject; t=y"
    assert dmarc.migrate({"p": "none"}) == ({"p": "none"}, [])
