"""DMARC rollout CSVs carry names from untrusted reports: cells that would run as spreadsheet formulas are
neutralised (OWASP CSV injection), and a comma inside a value stays in its column."""

from __future__ import annotations

import csv
import io

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_render


def _entry():
    source = {"source_ip": "192.0.2.1", "source_host": "@evil.example", "messages": 3, "failed": 3, "share": 0.3,
              "dkim_domains": ["+x.example"], "spf_domains": [], "reporters": ["-cmd", "b,c"], "fix": "=1+2"}
    decision = {"open": False, "figures": {"pass_rate": 0.9, "messages": 10, "days": 3,
                                           "reporters": ['=HYPERLINK("http://x")']},
                "failing_sources": [source], "reasons": [], "notes": []}
    return {"domain": "a.test", "record": "v=DMARC1; p=none", "stage": "none", "next_stage": "quarantine",
            "decision": decision}


def test_domain_and_source_csv_neutralise_formulas():
    rows = list(csv.DictReader(io.StringIO(dmarc_render.to_csv([_entry()]))))
    assert rows[0]["reporters"] == "'=HYPERLINK(\"http://x\")" and rows[0]["domain"] == "a.test"
    rows = list(csv.DictReader(io.StringIO(dmarc_render.sources_csv([_entry()]))))
    assert rows[0]["source_host"] == "'@evil.example" and rows[0]["dkim_domains"] == "'+x.example"
    assert rows[0]["reporters"] == "'-cmd b,c" and rows[0]["fix"] == "'=1+2" and rows[0]["messages"] == "3"


def test_html_a_person_reads():
    """Headline in domains, plural forms right, no ``None %`` / `` %`` where a figure is missing, no ``-`` stage."""
    import re
    empty = {"domain": "b.test", "record": None, "stage": None, "next_stage": "none",
             "decision": {"open": False, "figures": {}, "failing_sources": [], "reasons": ["no reports"], "notes": []}}
    one = _entry()
    one["decision"]["figures"].update(days=1, messages=1)
    page = dmarc_render.to_html([one, empty], {"last_day": "2026-12-01", "window_days": 1, "store": "s"})
    visible = re.sub(r"<[^>]+>", " ", page)
    assert "0 of 2 domains can move to their next stage; 2 wait for evidence" in visible
    assert "(1 day)" in visible and "1 days" not in visible and "day(s)" not in visible
    assert not re.search(r"\b(None|True|False)\b", visible), visible
    assert "None %" not in visible and "<td> %</td>" not in page and "no data" in visible
    assert "stage -" not in visible and "stage none" in visible
