"""The evidence gate (pure): shut without enough evidence, open with it, and always says why."""

from __future__ import annotations

import datetime as dt

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.policy import evidence
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import aggregate
from tests.fixtures import dmarc_reports as gen

TODAY = dt.date(2026, 3, 1)
DOMAIN = "example.test"
GOOD_MIX = (("54.240.8.10", "a.smtp-out.amazonses.com", "ses", 0.7), ("54.240.8.11", "", "ses", 0.2995),
            ("192.0.2.66", "", "spoofer", 0.0005))


def rows(days=20, per_day=400, orgs=("google.com", "Yahoo"), mix=GOOD_MIX, spf_aligned=False, trust="operator"):
    out = []
    for d in range(1, days + 1):
        day = (TODAY - dt.timedelta(days=d)).isoformat()
        for org in orgs:
            recs = [{"source_ip": r["ip"], "source_host": r["host"], "count": r["count"], "dkim": r["dkim"],
                     "spf": r["spf"], "disposition": r["disposition"], "dkim_domain": r["dkim_domain"],
                     "spf_domain": r["spf_domain"]}
                    for r in gen.source_records(DOMAIN, per_day, mix=mix, spf_aligned=spf_aligned)]
            out.extend(aggregate(recs, day, org, trust=trust))
    return out


def test_opens_with_enough_good_evidence_and_says_so():
    d = evidence.evaluate(rows(), DOMAIN, TODAY, current="none", target="quarantine; t=y")
    assert d["open"] is True and d["reasons"] == [], d["reasons"]
    assert d["figures"]["days"] == 20 and d["figures"]["messages"] >= 1000 and d["figures"]["pass_rate"] >= 99
    assert d["summary"].startswith("gate open for example.test (none -> quarantine; t=y)")
    # SES default MAIL FROM: SPF never aligns, DKIM carries DMARC alone - said as a note
    assert any("SPF never aligned" in n and "MAIL FROM" in n for n in d["notes"])
    assert not evidence.evaluate(rows(spf_aligned=True), DOMAIN, TODAY)["notes"]


@pytest.mark.parametrize("case,data,words", [
    ("no data", [], "no DMARC aggregate reports"),
    ("too few days", rows(days=5), "fewer than min_days 14"),
    ("too few messages", rows(per_day=10), "fewer than min_messages 1000"),
    ("one reporter", rows(orgs=("google.com",)), "fewer than min_reporters 2"),
])
def test_shut_for_too_little(case, data, words):
    d = evidence.evaluate(data, DOMAIN, TODAY)
    assert d["open"] is False and any(words in r for r in d["reasons"]), (case, d["reasons"])
    assert "Shut because" in d["summary"]


def test_store_error_never_reads_as_safe():
    d = evidence.evaluate(rows(), DOMAIN, TODAY, store_error="database disk image is malformed")
    assert d["open"] is False and "could not read the evidence store" in d["reasons"][0]


def test_a_failing_legitimate_source_shuts_it_with_the_fix():
    d = evidence.evaluate(rows(mix=gen.SOURCES), DOMAIN, TODAY)
    assert d["open"] is False
    crm = next(s for s in d["failing_sources"] if s["source_ip"] == "203.0.113.7")
    assert crm["fix"].startswith("DKIM not aligned for 203.0.113.7 / crm.example")
    assert any("203.0.113.7" in r and "max_source_fail_share" in r for r in d["reasons"])
    assert any("below min_pass_rate" in r for r in d["reasons"])
    fwd = next(s for s in d["failing_sources"] if s["source_ip"] == "198.51.100.20")
    assert "forwarder" in fwd["fix"]
    # a higher share allowed and a lower pass rate: the same data opens it
    loose = evidence.evaluate(rows(mix=gen.SOURCES), DOMAIN, TODAY, {"max_source_fail_share": 5, "min_pass_rate": 95})
    assert loose["open"] is True, loose["reasons"]


def test_rows_outside_the_window_do_not_count():
    old = [dict(r, day="2025-01-01") for r in rows()]
    assert evidence.evaluate(old, DOMAIN, TODAY)["reasons"][0].startswith("no DMARC aggregate reports")


def test_thresholds_validated_naming_the_key():
    for bad, key in (({"min_pass_rate": 120}, "min_pass_rate"), ({"window_days": 0}, "window_days"),
                     ({"min_days": 40}, "min_days"), ({"nope": 1}, "nope")):
        with pytest.raises(evidence.ThresholdError, match="^" + key):
            evidence.thresholds(bad)


def test_only_evidence_under_the_published_policy_counts():
    data = rows()  # gathered under p=none
    d = evidence.evaluate(data, DOMAIN, TODAY, current="quarantine; t=y", published=("quarantine", "y"))
    assert d["open"] is False and "under the published policy quarantine; t=y" in d["reasons"][0], d["reasons"]
    assert d["figures"]["messages_other_policy"] == sum(r["messages"] for r in data)
    assert evidence.evaluate(data, DOMAIN, TODAY, published=("none", "n"))["open"] is True
    # an RFC 7489 report (no testing element) counts for the same p with or without test mode
    q = [dict(r, policy="quarantine|") for r in data]
    assert evidence.evaluate(q, DOMAIN, TODAY, published=("quarantine", "y"))["open"] is True
    assert evidence.evaluate([dict(r, policy="quarantine|n") for r in data], DOMAIN, TODAY,
                             published=("quarantine", "y"))["open"] is False


FAILING_MIX = (("54.240.8.10", "a.smtp-out.amazonses.com", "ses", 0.6), ("203.0.113.7", "mta.crm.example", "crm", 0.4))


def test_unauthenticated_reports_are_shown_not_counted_unless_admitted():
    forged = rows(orgs=("Made Up One", "Made Up Two"), per_day=5000000, trust="unauthenticated")
    d = evidence.evaluate(forged, DOMAIN, TODAY)
    assert d["open"] is False and d["figures"]["messages"] == 0
    assert any("not counted" in n and "unauthenticated" in n for n in d["notes"]), d["notes"]
    assert {e["trust"] for e in d["uncounted_reporters"]} == {"unauthenticated"}
    assert evidence.evaluate(forged, DOMAIN, TODAY, {"count_unauthenticated": True})["open"] is True
    legacy = rows(trust="unknown")
    assert evidence.evaluate(legacy, DOMAIN, TODAY)["open"] is False
    with_domains = [dict(r, reporter={"Yahoo": "yahoo.com"}.get(r["org"], r["org"])) for r in rows(trust="unauthenticated")]
    admitted = evidence.evaluate(with_domains, DOMAIN, TODAY, {"trusted_reporters": ["google.com", "Yahoo.com."]})
    assert admitted["open"] is True, admitted["reasons"]
    half = evidence.evaluate(with_domains, DOMAIN, TODAY, {"trusted_reporters": ["google.com"]})
    assert half["open"] is False and any("fewer than min_reporters" in r for r in half["reasons"])


def test_a_reporters_failures_are_never_outvoted_by_another_reporters_volume():
    real = rows(orgs=("google.com",), per_day=1000, mix=FAILING_MIX, trust="authenticated")
    huge = rows(orgs=("big.example", "other.example"), per_day=5000000, trust="authenticated")
    d = evidence.evaluate(real + huge, DOMAIN, TODAY)
    assert d["figures"]["pass_rate"] > 99.0  # diluted overall ...
    assert d["open"] is False  # ... but google.com is judged on its own
    assert any(r.startswith("reporter google.com: 60.00 %") for r in d["reasons"]), d["reasons"]
    assert any(r.startswith("reporter google.com: 203.0.113.7 fails") for r in d["reasons"]), d["reasons"]
    assert [e["reporter"] for e in d["per_reporter"]] == ["big.example", "google.com", "other.example"]


def test_provenance_from_the_mail_ses_received():
    ok = {"authserv": "amazonses.com", "dmarc": "pass", "dmarc_from": "google.com", "from_domain": "google.com",
          "dkim": [{"result": "pass", "domain": "google.com"}], "spam": "PASS", "virus": "PASS"}
    assert evidence.provenance("google.com", "google.com", ok)[:2] == ("google.com", "authenticated")
    assert evidence.provenance("google.com", "x", None, operator=True)[1] == "operator"
    assert evidence.provenance("google.com", "x", None)[1] == "unauthenticated"
    assert evidence.provenance("google.com", "x", dict(ok, authserv=None))[1] == "unauthenticated"
    assert evidence.provenance("google.com", "x", dict(ok, spam="FAIL"))[2].startswith("SES's spam verdict")
    forged = dict(ok, dmarc="fail", dmarc_from="evil.example", from_domain="evil.example", dkim=[])
    reporter, trust, note = evidence.provenance("google.com", "google.com", forged)
    assert trust == "unauthenticated" and "dmarc=fail header.from=evil.example" in note
    # a mail that passed DMARC for its own domain proves nothing about another reporter's name
    own = dict(ok, dmarc_from="evil.example", from_domain="evil.example")
    assert evidence.provenance("google.com", "google.com", own)[1] == "unauthenticated"
    mail = dict(ok, dmarc_from="mail.example", from_domain="mail.example")
    assert evidence.provenance("", "mail.example", mail)[:2] == ("mail.example", "authenticated")


@pytest.mark.parametrize("given,name", [({"window_days": 10 ** 6}, "window_days"), ({"window_days": 10 ** 12}, "window_days"),
                                        ({"min_messages": 10 ** 30}, "min_messages"),
                                        ({"min_pass_rate": float("nan")}, "min_pass_rate"),
                                        ({"trusted_reporters": "google.com"}, "trusted_reporters"),
                                        ({"trusted_reporters": ["bad domain"]}, "trusted_reporters"),
                                        ({"count_unauthenticated": "yes"}, "count_unauthenticated")])
def test_thresholds_out_of_range_name_the_option(given, name):
    with pytest.raises(evidence.ThresholdError) as err:
        evidence.thresholds(given)
    assert str(err.value).startswith(name + ":")
