"""The posture report renderers: CSV that spreadsheets cannot execute, HTML that DNS text cannot break."""

from __future__ import annotations

import csv
import io

from ansible_collections.deliverability.ses.plugins.module_utils.formats import posture_report as pr

HOSTILE = '=HYPERLINK("http://evil.example","x")'


def result(findings):
    out = {"status": "findings", "generated": "2026-12-01T10:00:00Z", "region": "us-east-1",
           "account": {"production_access": False, "sending_enabled": True, "enforcement_status": "HEALTHY",
                       "findings": []},
           "summary": {"domains": 1, "findings": len(findings),
                       "per_severity": dict((s, sum(1 for f in findings if f["severity"] == s)) for s in pr.SEVERITIES),
                       "per_problem": {f["id"]: {"severity": f["severity"], "title": f["title"], "domains": 1}
                                       for f in findings},
                       "providers": {}, "domains_by_worst": {}, "could_not_look": 0}}
    results = [{"domain": "a.test", "kind": "sending", "worst": "high", "findings": findings, "verdicts": {}}]
    return out, results


def finding(detail, sev="high"):
    return {"id": "spf_invalid", "severity": sev, "area": "dns", "title": "<b>t</b>", "detail": detail, "fix": "-fix"}


def test_csv_neutralises_formulas_and_keeps_the_text():
    out, results = result([finding(HOSTILE), finding("+1+1"), finding("@SUM(A1)"), finding("plain")])
    rows = list(csv.DictReader(io.StringIO(pr.to_csv(results))))
    assert [r["detail"] for r in rows] == ["'" + HOSTILE, "'+1+1", "'@SUM(A1)", "plain"]
    assert all(r["fix"] == "'-fix" for r in rows)
    assert all(not r[k].startswith(("=", "+", "-", "@")) for r in rows for k in r)


def test_html_escapes_everything_from_dns_and_has_the_chart():
    out, results = result([finding('<script>alert(1)</script>" onmouseover="x')])
    history = [pr.trend_row(out, results), dict(pr.trend_row(out, results), generated="2026-12-02T10:00:00Z")]
    page = pr.to_html(out, results, history)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>t</b>" not in page
    assert page.count('<svg id="trend-chart"') == 1 and page.count('class="series"') == 5
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'class="sortable" id="findings"' in page and '<details id="d-a.test">' in page


def test_trend_chart_scales_to_the_largest_count():
    rows = [{"generated": "2026-12-0%dT00:00:00Z" % i, "per_severity": {"high": i * 3}} for i in range(1, 6)]
    svg = pr.trend_svg(rows)
    assert svg.count("<circle") == 25  # 5 runs x 5 severities
    assert ">16<" in svg  # gridline labels reach the peak (15) rounded up to whole quarters


def test_html_a_person_reads():
    """Headline in domains, a problem shared by two domains lists both (titled by the problem, not a domain),
    providers link the failing domains, no Python values, UTC to the second, plural forms right."""
    f = {"id": "dmarc_missing", "severity": "high", "area": "dns", "title": "DMARC of a.test: no DMARC record",
         "detail": "d", "fix": "x"}
    results = [{"domain": "a.test", "kind": "sending", "worst": "high", "findings": [f], "unknown": [],
                "could_not_look": False,
                "verdicts": {"gmail": {"verdict": "fail", "reasons": ["no valid DMARC record"], "rules": []}}},
               {"domain": "b.test", "kind": "sending", "worst": "high", "could_not_look": False, "unknown": [],
                "findings": [dict(f, title="DMARC of b.test: no DMARC record")],
                "verdicts": {"gmail": {"verdict": "fail", "reasons": [], "rules": []}}},
               {"domain": "c.test", "kind": "sending", "worst": "none", "findings": [], "could_not_look": True,
                "unknown": [{"check": "dmarc_record", "name": "_dmarc.c.test", "error": "could not read TXT: SERVFAIL"}],
                "verdicts": {"gmail": {"verdict": "unknown", "reasons": [], "rules": []}}},
               {"domain": "d.test", "kind": "sending", "worst": "none", "findings": [], "could_not_look": False,
                "unknown": [], "verdicts": {"gmail": {"verdict": "pass", "reasons": [], "rules": []}}}]
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture
    summary = posture.summarize(results, [])
    out = {"status": "could_not_look", "generated": "2026-12-01T10:00:00Z", "region": "eu-west-1", "summary": summary,
           "account": {"production_access": False, "sending_enabled": True, "enforcement_status": None, "findings": []}}
    page = pr.to_html(out, results, [pr.trend_row(out, results)])
    assert "2 of 4 domains need action; 1 could not be looked at" in page
    assert "True" not in page and "False" not in page and "None" not in page
    assert "production access: no, sending enabled: yes, enforcement status: not reported" in page
    assert "2026-12-01 10:00:00 UTC" in page and "T10:00:00Z" not in page.split("<svg", maxsplit=1)[0]
    row = page[page.index('id="problems"'):]
    row = row[:row.index("</tr>", row.index("dmarc_missing"))]
    assert "no DMARC record" in row and "a.test" in row and "b.test" in row and "DMARC of a.test" not in row
    assert '<a href="#d-a.test">a.test</a>, <a href="#d-b.test">b.test</a>' in row
    providers = page[page.index('id="providers"'):page.index("</table>", page.index('id="providers"'))]
    assert '<a href="#d-a.test">a.test</a>' in providers and '<a href="#d-c.test">c.test</a>' in providers
    assert "(sending, 1 finding)" in page and "(sending, 0 findings; could not look at everything)" in page
    assert "1 findings" not in page
    assert 'id="could-not-look"' in page and "SERVFAIL" in page
    rows = list(csv.DictReader(io.StringIO(pr.to_csv(results))))
    assert [(r["domain"], r["id"]) for r in rows if r["severity"] == "could_not_look"] == [("c.test", "could_not_look")]
