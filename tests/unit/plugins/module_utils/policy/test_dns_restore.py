"""What onboarding found and how offboarding puts it back (pure: the reads are dns_records change lists)."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import dns_restore as dr

APEX = {"name": "example.com", "type": "TXT"}
MX = {"name": "mail.example.com", "type": "MX"}


def _read(*rrsets):
    """A check-mode removal's changes: each existing rrset as the ``before`` of a delete."""
    return [{"action": "delete", "name": n, "type": t, "before": {"name": n, "type": t, "ttl": ttl, "values": v},
             "after": None} for n, t, ttl, v in rrsets]


def test_before_keeps_the_first_finding_and_after_records_what_onboarding_left():
    found = dr.record_found({}, [APEX, MX], _read(("example.com", "TXT", 300, ["v=spf1 mx -all"])))
    assert found == {"example.com TXT": {"name": "example.com", "type": "TXT",
                                         "before": {"ttl": 300, "values": ["v=spf1 mx -all"]}},
                     "mail.example.com MX": {"name": "mail.example.com", "type": "MX", "before": None}}
    # a second onboarding run reads onboarding's own records: the first finding stays
    merged = "v=spf1 mx include:amazonses.com -all"
    again = dr.record_found(found, [APEX], _read(("example.com", "TXT", 1800, [merged])))
    assert again["example.com TXT"]["before"] == {"ttl": 300, "values": ["v=spf1 mx -all"]}
    left = dr.record_found(again, [APEX, MX], _read(("example.com", "TXT", 1800, [merged]),
                                                    ("mail.example.com", "MX", 1800, ["10 feedback.test"])), "after")
    assert left["example.com TXT"]["after"]["ttl"] == 1800 and left["mail.example.com MX"]["after"]["values"] == [
        "10 feedback.test"]
    assert "after" not in found["example.com TXT"]  # the input is not changed


def _journal(before, after, name="example.com", rtype="TXT", recorded=True):
    entry = {"name": name, "type": rtype, "before": before}
    if recorded:
        entry["after"] = after
    return {dr.key(name, rtype): entry}


def test_a_created_rrset_is_removed_whole_and_an_edited_one_gets_value_and_ttl_back():
    created = _journal(None, {"ttl": 1800, "values": ["v=spf1 include:amazonses.com ~all"]})
    now = _read(("example.com", "TXT", 1800, ["v=spf1 include:amazonses.com ~all"]))
    assert dr.restore_records(created, now) == [{"name": "example.com", "type": "TXT", "state": "absent",
                                                 "exclusive": True}]
    edited = _journal({"ttl": 300, "values": ["site=abc", "v=spf1 mx -all"]},
                      {"ttl": 1800, "values": ["site=abc", "v=spf1 mx include:amazonses.com -all"]})
    now = _read(("example.com", "TXT", 1800, ["site=abc", "v=spf1 mx include:amazonses.com -all"]))
    assert dr.restore_records(edited, now) == [{"name": "example.com", "type": "TXT", "ttl": 300, "exclusive": True,
                                                "values": ["site=abc", "v=spf1 mx -all"]}]
    # already put back (a resumed run): the same entry, which writes nothing; gone already: nothing to remove
    assert dr.restore_records(created, []) == []


def test_what_others_changed_since_onboarding_is_kept():
    edited = _journal({"ttl": 300, "values": ["v=spf1 mx -all"]},
                      {"ttl": 1800, "values": ["v=spf1 mx include:amazonses.com -all"]})
    # another TXT added since, TTL moved by hand: both kept, onboarding's edit undone
    now = _read(("example.com", "TXT", 600, ["new=1", "v=spf1 mx include:amazonses.com -all"]))
    assert dr.restore_records(edited, now) == [{"name": "example.com", "type": "TXT", "ttl": 600, "exclusive": True,
                                                "values": ["new=1", "v=spf1 mx -all"]}]
    # the SPF edited since: the old one is not put back beside it (two SPF records would be a permerror)
    now = _read(("example.com", "TXT", 1800, ["v=spf1 mx ip4:192.0.2.1 include:amazonses.com -all"]))
    assert dr.restore_records(edited, now)[0]["values"] == ["v=spf1 mx ip4:192.0.2.1 include:amazonses.com -all"]
    # created by onboarding, another value added since: only onboarding's value goes
    created = _journal(None, {"ttl": 1800, "values": ["v=spf1 include:amazonses.com ~all"]})
    now = _read(("example.com", "TXT", 1800, ["other=1", "v=spf1 include:amazonses.com ~all"]))
    assert dr.restore_records(created, now) == [{"name": "example.com", "type": "TXT", "ttl": 1800, "exclusive": True,
                                                 "values": ["other=1"]}]


def test_never_recorded_after_puts_back_exactly_what_was_found():
    journal = _journal({"ttl": 300, "values": ["v=spf1 mx -all"]}, None, recorded=False)
    now = _read(("example.com", "TXT", 1800, ["v=spf1 mx include:amazonses.com -all"]))
    assert dr.restore_records(journal, now) == [{"name": "example.com", "type": "TXT", "ttl": 300, "exclusive": True,
                                                 "values": ["v=spf1 mx -all"]}]


def test_summary_lists_each_rrset_once():
    changes = [{"name": "mail.example.com", "type": "MX", "before": {"ttl": 1800, "values": ["10 a"]}, "after": None},
               {"name": "mail.example.com", "type": "TXT", "before": {"ttl": 1800, "values": ["v=spf1"]},
                "after": None},
               {"name": "mail.example.com", "type": "MX", "before": None, "after": {"ttl": 300, "values": ["10 b"]}}]
    out = dr.summary(changes)
    assert [(c["name"], c["type"]) for c in out] == [("mail.example.com", "MX"), ("mail.example.com", "TXT")]
    assert out[0] == {"name": "mail.example.com", "type": "MX", "before": {"ttl": 1800, "values": ["10 a"]},
                      "after": {"ttl": 300, "values": ["10 b"]}}
