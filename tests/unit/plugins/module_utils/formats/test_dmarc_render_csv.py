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
