# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The posture pass as JSON, CSV and one self-contained HTML page (inline CSS, JS and SVG; no external asset).

Pure: takes the pass's result and returns text. Every value from DNS or SES is escaped (HTML) or neutralised
(CSV cells starting with = + - @ or a control character get a leading apostrophe, so a spreadsheet shows a DNS
value instead of running it as a formula).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

from ansible_collections.deliverability.ses.plugins.module_utils.formats.cells import csv_cell

SEVERITIES = ("critical", "high", "medium", "low", "info")
COLOURS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e0a800", "low": "#2b6cb0", "info": "#6c757d"}
CSV_FIELDS = ("domain", "kind", "severity", "id", "area", "title", "detail", "fix")


def trend_row(out, results):
    """One line of the trend store: when, how many domains, findings per severity and per problem."""
    s = out["summary"]
    return {"generated": out["generated"], "domains": s["domains"], "findings": s["findings"],
            "per_severity": dict(s["per_severity"]),
            "per_problem": {k: v["domains"] for k, v in s["per_problem"].items()},
            "could_not_look": s["could_not_look"], "status": out["status"]}


def to_json(out, results):
    doc = dict(out)
    doc["domains"] = results
    return json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n"


def csv_rows(results, account_findings=()):
    for f in account_findings:
        yield dict(f, domain="(account)", kind="account")
    for r in results:
        if r.get("failed"):
            yield {"domain": r["domain"], "kind": r.get("kind"), "severity": "could_not_look", "id": "could_not_look",
                   "area": "", "title": "could not look", "detail": r.get("msg"), "fix": ""}
        else:
            for u in r.get("unknown") or []:
                yield {"domain": r["domain"], "kind": r.get("kind"), "severity": "could_not_look",
                       "id": "could_not_look", "area": u["check"], "title": "could not look at %s" % u["name"],
                       "detail": u["error"], "fix": ""}
        for f in r.get("findings") or []:
            yield dict(f, domain=r["domain"], kind=r.get("kind"))


def to_csv(results, account_findings=()):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(results, account_findings):
        writer.writerow({k: csv_cell(row.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ HTML
def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


def trend_svg(history, width=720, height=220):
    """Findings per severity across runs, as an inline SVG line chart (one polyline per severity)."""
    pad_l, pad_r, pad_t, pad_b = 48, 110, 16, 36
    rows = history[-60:]
    n = len(rows)
    peak = max([0] + [(r.get("per_severity") or {}).get(s, 0) for r in rows for s in SEVERITIES])
    top = max(4, -(-peak // 4) * 4)  # whole-number gridlines
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i):
        return pad_l + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return pad_t + plot_h - plot_h * v / top

    parts = ['<svg id="trend-chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'role="img" aria-label="findings per severity across runs">' % (width, height, width, height),
             '<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>' % (width, height)]
    for k in range(5):
        v = top * k / 4.0
        parts.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (pad_l, pad_l + plot_w, y(v), y(v)))
        parts.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%d</text>'
                     % (pad_l - 6, y(v) + 4, round(v)))
    for i, r in enumerate(rows):
        if n <= 8 or i in (0, n - 1) or i % max(1, n // 6) == 0:
            parts.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle" fill="#555">%s</text>'
                         % (x(i), height - pad_b + 16, _e(str(r.get("generated", ""))[5:16].replace("T", " "))))
    for j, sev in enumerate(SEVERITIES):
        points = " ".join("%.1f,%.1f" % (x(i), y((r.get("per_severity") or {}).get(sev, 0))) for i, r in enumerate(rows))
        parts.append('<polyline class="series" data-severity="%s" fill="none" stroke="%s" stroke-width="2" '
                     'points="%s"/>' % (sev, COLOURS[sev], points))
        for i, r in enumerate(rows):
            parts.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %d</title></circle>'
                         % (x(i), y((r.get("per_severity") or {}).get(sev, 0)), COLOURS[sev],
                            _e(r.get("generated")), sev, (r.get("per_severity") or {}).get(sev, 0)))
        parts.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>'
                     % (width - pad_r + 14, pad_t + 18 * j, COLOURS[sev], width - pad_r + 30, pad_t + 9 + 18 * j, sev))
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:90px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:5px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f6f6;user-select:none}th:after{content:" \\2195";color:#aaa}
.sev{display:inline-block;border-radius:3px;padding:1px 6px;color:#fff;font-size:12px}
details{border:1px solid #eee;border-radius:4px;margin:4px 0;padding:4px 8px}summary{cursor:pointer}
.status-clean{color:#2f855a}.status-findings{color:#d9480f}.status-could_not_look{color:#8b0000}
"""

_JS = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, col){
    th.addEventListener('click', function(){
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('data-dir') !== 'asc';
      rows.sort(function(a, b){
        var x = a.cells[col].getAttribute('data-key') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-key') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function(r){ body.appendChild(r); });
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    });
  });
});
"""


def _sev(sev):
    return '<span class="sev" style="background:%s">%s</span>' % (COLOURS.get(sev, "#444"), _e(sev))


def _sev_key(sev):
    return SEVERITIES.index(sev) if sev in SEVERITIES else len(SEVERITIES)


def plural(n, word, words=None):
    """``1 finding``, ``2 findings`` (``words`` for an irregular plural)."""
    return "%d %s" % (n, word if n == 1 else (words or word + "s"))


def yes_no(value, unknown="not reported"):
    """A flag as a person reads it: yes / no, never Python's True / False / None."""
    return unknown if value is None else ("yes" if value else "no")


def when(generated):
    """``2026-12-01T10:00:00Z`` -> ``2026-12-01 10:00:00 UTC``."""
    text = str(generated or "")
    return text.replace("T", " ").replace("Z", " UTC") if text.endswith("Z") else text


def short_error(text):
    """``could not read TXT: lookup x TXT failed: LifetimeTimeout: ... (server 192.0.2.53:53)`` -> ``LifetimeTimeout
    (server 192.0.2.53:53)``: the error class and the server, which is what differs (the full text is in the JSON)."""
    text = str(text or "")
    code = re.search(r"failed: ([A-Za-z]+):", text)
    server = re.search(r"\(server ([^)]+)\)\s*$", text)
    if not code:
        return text if len(text) <= 160 else text[:157] + "..."
    return code.group(1) + (" (server %s)" % server.group(1) if server else "")


def _link(domain):
    return '<a href="#d-%s">%s</a>' % (_e(domain), _e(domain))


def _links(domains, limit=50):
    shown = ", ".join(_link(d) for d in domains[:limit])
    return shown + (" and %d more" % (len(domains) - limit) if len(domains) > limit else "")


STATUS_WORDS = {"clean": "clean", "findings": "needs action", "could_not_look": "could not look at everything"}


def headline(summary):
    """"3 of 24 domains need action; 2 could not be looked at" - what a person reads first."""
    n, m, k = summary.get("need_action", 0), summary["domains"], summary["could_not_look"]
    text = "%d of %s need action" % (n, plural(m, "domain"))
    return text + ("; %d could not be looked at (their verdicts are unknown, not failures)" % k if k
                   else "; every domain was looked at")


def _domain_html(r):
    n = len(r.get("findings") or [])
    label = plural(n, "finding") + ("; could not look at everything" if r.get("could_not_look") else "")
    h = ['<details id="d-%s"><summary>%s <b>%s</b> (%s, %s)</summary>'
         % (_e(r["domain"]), _sev(r.get("worst")) if r.get("worst") in SEVERITIES else "", _e(r["domain"]),
            _e(r.get("kind")), _e(label))]
    if r.get("failed"):
        h.append("<p>%s</p>" % _e(r.get("msg")))
    if r.get("unknown"):
        h.append("<p>Could not look (not findings):</p><ul>%s</ul>" % "".join(
            "<li>%s %s: %s</li>" % (_e(u["check"]), _e(u["name"]), _e(u["error"])) for u in r["unknown"]))
    for name, v in sorted((r.get("verdicts") or {}).items()):
        h.append("<p>%s: <b>%s</b>%s</p>" % (_e(name), _e(v["verdict"]),
                                             (" - " + _e("; ".join(v["reasons"]))) if v.get("reasons") else ""))
        if v.get("rules"):
            h.append('<ul class="rules">%s</ul>' % "".join(
                "<li>%s: <b>%s</b> - %s <small>(%s)</small></li>" % (
                    _e(x["requirement"]), _e(x["status"]), _e(x["why"]), _e(x["source"])) for x in v["rules"]))
    if r.get("findings"):
        h.append("<ul>")
        for f in r["findings"]:
            h.append("<li>%s <b>%s</b>: %s<br>%s<br><i>fix:</i> %s</li>"
                     % (_sev(f["severity"]), _e(f["id"]), _e(f["title"]), _e(f["detail"]), _e(f["fix"])))
        h.append("</ul>")
    h.append("</details>")
    return "".join(h)


def _regions_html(view):
    """The regions compared (only when there are replicas): what each region's suppression list misses."""
    if not view.get("replicas"):
        return ""
    h = ["<h2>Regions</h2><p>Primary %s; replicas checked: %s.</p>" % (_e(view["primary"]),
                                                                       _e(", ".join(view["replicas"])))]
    sup = view.get("suppression") or {}
    if sup.get("compared"):
        h.append('<table id="regions"><thead><tr><th>region</th><th>suppressed addresses</th><th>suppressed elsewhere '
                 'but not here</th></tr></thead><tbody>')
        for region, n in sorted(sup["missing"].items()):
            h.append("<tr><td>%s</td><td>%d</td><td>%d</td></tr>" % (_e(region), sup["sizes"][region], n))
        h.append("</tbody></table>")
    elif sup.get("errors"):
        h.append("<p>Could not compare the suppression lists: %s</p>" % _e("; ".join(
            "%s: %s" % kv for kv in sorted(sup["errors"].items()))))
    return "".join(h)


def _tenants_html(view):
    """The tenant table (only when the account uses tenants; a failed read says so)."""
    if view.get("error"):
        return "<h2>Tenants</h2><p>Could not read the tenants: %s</p>" % _e(view["error"])
    if not view.get("used"):
        return ""
    h = ['<h2>Tenants</h2><p>Fleet reputation policy: %s.</p><table id="tenants"><thead><tr><th>tenant</th>'
         '<th>verdict</th><th>sending</th><th>reputation policy</th><th>domains</th></tr></thead><tbody>'
         % _e(view.get("fleet_policy"))]
    for t in view.get("tenants") or []:
        sending = t["sending"].lower()
        if t.get("paused_by"):
            sending = "paused by %s: %s" % (t["paused_by"], t.get("cause"))
        h.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                 % (_e(t["name"]), _e(t["verdict"]), _e(sending), _e(t.get("reputation_policy") or "not reported"),
                    _links(t["domains"]) or "none"))
    h.append("</tbody></table>")
    return "".join(h)


def to_html(out, results, history):
    s = out["summary"]
    status = out["status"]
    h = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SES fleet posture</title>',
         '<style>%s</style></head><body>' % _CSS,
         '<h1>SES fleet posture <small class="status-%s">%s</small></h1>'
         % (_e(status), _e(STATUS_WORDS.get(status, status))),
         '<p id="headline"><b>%s</b></p>' % _e(headline(s)),
         '<p>Generated %s, region %s. Read-only: nothing was changed.</p>'
         % (_e(when(out["generated"])), _e(out["region"]))]
    h.append('<div class="cards" id="summary">')
    h.append('<div class="card">domains<b>%d</b></div>' % s["domains"])
    h.append('<div class="card">need action<b>%d</b></div>' % s.get("need_action", 0))
    for sev in SEVERITIES:
        h.append('<div class="card" data-severity="%s">%s<b>%d</b></div>' % (sev, _sev(sev), s["per_severity"][sev]))
    h.append('<div class="card">could not look<b>%d</b></div></div>' % s["could_not_look"])
    acct = out["account"]
    h.append("<h2>Account</h2><p>production access: %s, sending enabled: %s, enforcement status: %s</p>"
             % (_e(yes_no(acct.get("production_access"))), _e(yes_no(acct.get("sending_enabled"))),
                _e(acct.get("enforcement_status") or "not reported")))
    if acct.get("findings"):
        h.append("<ul>%s</ul>" % "".join("<li>%s %s - fix: %s</li>" % (_sev(f["severity"]), _e(f["title"]), _e(f["fix"]))
                                         for f in acct["findings"]))
    h.append(_tenants_html(out.get("tenants") or {}))
    h.append(_regions_html(out.get("regions") or {}))
    not_looked = [r for r in results if r.get("failed") or r.get("could_not_look")]
    if not_looked:
        h.append('<h2>Could not look</h2><p>What could not be read is not a finding: fix access to SES or DNS and run '
                 'again.</p><table id="could-not-look"><thead><tr><th>domain</th><th>what could not be read</th><th>why</th></tr>'
                 '</thead><tbody>')
        for r in sorted(not_looked, key=lambda r: r["domain"]):
            unknown = r.get("unknown") or []
            names = sorted(set(u["name"] for u in unknown)) if not r.get("failed") else ["SES"]
            why = sorted(set(short_error(u["error"]) for u in unknown)) if not r.get("failed") else [r.get("msg")]
            h.append("<tr><td>%s</td><td>%s</td><td>%s</td></tr>"
                     % (_link(r["domain"]), _e(", ".join(names)), _e("; ".join(why))))
        h.append("</tbody></table>")
    h.append('<h2>Mailbox providers</h2><table id="providers"><thead><tr><th>provider</th><th>pass</th><th>fail</th>'
             '<th>unknown</th><th>failing domains</th><th>not known (could not look)</th></tr></thead><tbody>')
    for name, counts in sorted(s["providers"].items()):
        h.append("<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td></tr>"
                 % (_e(name), counts["pass"], counts["fail"], counts.get("unknown", 0),
                    _links(counts.get("failing") or []) or "none", _links(counts.get("not_known") or []) or "none"))
    h.append("</tbody></table><p>Each domain's verdict below lists the rules checked and the provider's page. Not "
             "checkable from DNS or SES (check them in your sending code and the providers' tools): one-click "
             "unsubscribe (RFC 8058), spam rate below 0.3 %.</p>")
    h.append('<h2>Trend across runs</h2>')
    h.append(trend_svg(history))
    h.append('<h2>Problems</h2><table class="sortable" id="problems"><thead><tr><th>severity</th><th>problem</th>'
             '<th>title</th><th>domains</th><th>which</th></tr></thead><tbody>')
    for fid, p in s["per_problem"].items():
        names = [n for n in p.get("names") or [] if n != "(account)"]
        which = _links(names) if names else "the account"
        h.append('<tr><td data-key="%d">%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>'
                 % (_sev_key(p["severity"]), _sev(p["severity"]), _e(fid), _e(p["title"]), p["domains"], which))
    h.append('</tbody></table><h2>Findings</h2><table class="sortable" id="findings"><thead><tr><th>severity</th>'
             '<th>domain</th><th>finding</th><th>fix</th></tr></thead><tbody>')
    rows = sorted(((f, r["domain"]) for r in results for f in r.get("findings") or []),
                  key=lambda x: (_sev_key(x[0]["severity"]), x[1], x[0]["id"]))
    for f, domain in rows:
        h.append('<tr><td data-key="%d">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                 % (_sev_key(f["severity"]), _sev(f["severity"]), _link(domain), _e(f["id"]), _e(f["fix"])))
    h.append('</tbody></table><h2>Domains</h2><div id="domains">')
    for r in sorted(results, key=lambda r: (_sev_key(r.get("worst")), r["domain"])):
        h.append(_domain_html(r))
    h.append("</div><script>%s</script></body></html>\n" % _JS)
    return "".join(h)
