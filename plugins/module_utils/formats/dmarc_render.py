# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DMARC rollout report: gate decisions -> HTML (inline SVG, no external assets), JSON and CSV. Pure."""

from __future__ import annotations

import csv
import html
import io
import json

from ansible_collections.deliverability.ses.plugins.module_utils.formats.cells import csv_cell

DOMAIN_COLUMNS = ("domain", "record", "stage", "next_stage", "gate", "pass_rate", "messages", "days", "reporters",
                  "dkim_aligned_rate", "spf_aligned_rate", "failing_sources", "reasons", "notes")
SOURCE_COLUMNS = ("domain", "source_ip", "source_host", "messages", "failed", "share", "dkim_domains", "spf_domains",
                  "reporters", "fix")


def domain_row(entry):
    d = entry["decision"]
    f = (d.get("window_evidence") or {}).get("figures") or d.get("figures") or {}
    return {"domain": entry["domain"], "record": entry.get("record") or "", "stage": entry.get("stage") or "",
            "next_stage": entry.get("next_stage") or "", "gate": "open" if d["open"] else "shut",
            "pass_rate": f.get("pass_rate", ""), "messages": f.get("messages", 0), "days": f.get("days", 0),
            "reporters": " ".join(f.get("reporters", [])), "dkim_aligned_rate": f.get("dkim_aligned_rate", ""),
            "spf_aligned_rate": f.get("spf_aligned_rate", ""), "failing_sources": len(d.get("failing_sources", [])),
            "reasons": " | ".join(d.get("reasons", [])), "notes": " | ".join(d.get("notes", []))}


def plural(n, word):
    """``1 day``, ``2 days``; a missing count reads ``0 days``."""
    n = n or 0
    return "%s %s" % (n, word if n == 1 else word + "s")


def percent(value):
    """A rate as ``99.5 %``; no figure reads ``no data`` (never ``None %`` or `` %``)."""
    return "no data" if value is None or value == "" else "%s %%" % value


def headline(entries):
    """"2 of 5 domains can move to their next stage; 3 wait for evidence" - what a person reads first."""
    n = sum(1 for e in entries if e["decision"]["open"] and e.get("next_stage"))
    at_end = sum(1 for e in entries if not e.get("next_stage"))
    text = "%d of %s can move to their next stage" % (n, plural(len(entries), "domain"))
    waiting = len(entries) - n - at_end
    if waiting:
        text += "; %d wait%s for evidence" % (waiting, "s" if waiting == 1 else "")
    if at_end:
        text += "; %d already at the last stage" % at_end
    return text


def to_json(entries, meta):
    return json.dumps({"meta": meta, "domains": entries}, indent=2, sort_keys=True) + "\n"


def to_csv(entries):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=DOMAIN_COLUMNS, lineterminator="\n")
    w.writeheader()
    for e in entries:
        # reporter names and hosts come from untrusted reports: formula-leading cells are neutralised (OWASP)
        w.writerow({k: csv_cell(v) for k, v in domain_row(e).items()})
    return buf.getvalue()


def sources_csv(entries):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SOURCE_COLUMNS, lineterminator="\n")
    w.writeheader()
    for e in entries:
        d = e["decision"]
        for s in (d.get("window_evidence") or d).get("failing_sources", []):
            row = {"domain": e["domain"], "source_ip": s["source_ip"], "source_host": s.get("source_host", ""),
                   "messages": s["messages"], "failed": s["failed"], "share": s["share"],
                   "dkim_domains": " ".join(s.get("dkim_domains", [])),
                   "spf_domains": " ".join(s.get("spf_domains", [])),
                   "reporters": " ".join(s.get("reporters", [])), "fix": s["fix"]}
            w.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


def trend_svg(trend, threshold, width=640, height=180):
    """Pass rate per day (line; the left axis starts at 90 %, lower only when the data does) over volume (bars),
    with the threshold as a dashed line."""
    pad_l, pad_r, pad_t, pad_b = 40, 10, 10, 30
    w = width - pad_l - pad_r
    h = height - pad_t - pad_b
    esc = html.escape
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
             'aria-label="DMARC pass rate per day">' % (width, height, width, height),
             '<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#ccc"/>' % (pad_l, pad_t, w, h)]
    lo = 90.0
    if trend:
        lo = min(lo, float(int(min(t["pass_rate"] for t in trend) // 10 * 10)))

    def ypos(rate):
        return pad_t + h - h * (max(rate, lo) - lo) / (100.0 - lo)

    for pct in sorted({lo, (lo + 100) / 2, 100.0}):
        parts.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end" fill="#555">%g%%</text>'
                     % (pad_l - 4, ypos(pct) + 3, pct))
    if not trend:
        parts.append('<text x="%d" y="%d" font-size="12" fill="#a00">no reports in the window</text>'
                     % (pad_l + 10, pad_t + h // 2))
        parts.append("</svg>")
        return "".join(parts)
    n = len(trend)
    step = w / float(max(n, 1))
    top = max(t["messages"] for t in trend) or 1
    for i, t in enumerate(trend):
        bh = h * 0.35 * t["messages"] / top
        parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#cfe0f5"><title>%s: %d messages'
                     '</title></rect>' % (pad_l + i * step + 1, pad_t + h - bh, max(step - 2, 1), bh, esc(t["day"]),
                                          t["messages"]))
    ty = ypos(threshold)
    parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c60" stroke-dasharray="4 3"/>'
                 % (pad_l, ty, pad_l + w, ty))
    points = " ".join("%.1f,%.1f" % (pad_l + (i + 0.5) * step, ypos(t["pass_rate"])) for i, t in enumerate(trend))
    parts.append('<polyline points="%s" fill="none" stroke="#1a7f37" stroke-width="2"/>' % points)
    for i, t in enumerate(trend):
        parts.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="#1a7f37"><title>%s: %.2f%% pass</title></circle>'
                     % (pad_l + (i + 0.5) * step, ypos(t["pass_rate"]), esc(t["day"]), t["pass_rate"]))
    parts.append('<text x="%d" y="%d" font-size="10" fill="#555">%s</text>' % (pad_l, height - 8, esc(trend[0]["day"])))
    parts.append('<text x="%d" y="%d" font-size="10" text-anchor="end" fill="#555">%s</text>'
                 % (pad_l + w, height - 8, esc(trend[-1]["day"])))
    parts.append("</svg>")
    return "".join(parts)


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}"
        ".open{color:#1a7f37;font-weight:bold}.shut{color:#b00;font-weight:bold}table{border-collapse:collapse;"
        "margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:90%}"
        ".note{background:#fff8e0;padding:.5em;border-left:3px solid #c90}code{background:#f3f3f3}")


def to_html(entries, meta):
    esc = html.escape
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>DMARC rollout</title>'
           '<style>%s</style></head><body>' % _CSS,
           '<h1>DMARC rollout</h1><p id="headline"><b>%s</b></p><p>Evidence window ending %s (%s); store %s. Only '
           "reports gathered under the policy published now count towards the next stage.</p>"
           % (esc(headline(entries)), esc(meta.get("last_day") or "no reports yet"),
              plural(meta.get("window_days", 0), "day"), esc(str(meta.get("store", ""))))]
    out.append("<table><tr><th>Domain</th><th>Published</th><th>Next stage</th><th>Gate</th><th>Pass rate</th>"
               "<th>Messages</th><th>Days</th><th>Reporters</th></tr>")
    for e in entries:
        r = domain_row(e)
        out.append('<tr><td><a href="#%s">%s</a></td><td><code>%s</code></td><td>%s</td><td class="%s">%s</td>'
                   "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                   % (esc(r["domain"]), esc(r["domain"]), esc(r["record"] or "none"),
                      esc(r["next_stage"] or "none (last stage)"), r["gate"], r["gate"], percent(r["pass_rate"]),
                      r["messages"], r["days"], esc(r["reporters"]) or "none"))
    out.append("</table>")
    for e in entries:
        d = e["decision"]
        f = d.get("figures") or {}
        th = d.get("thresholds") or {}
        out.append('<h2 id="%s">%s</h2>' % (esc(e["domain"]), esc(e["domain"])))
        out.append("<p>Published: <code>%s</code> (stage %s). Gate <span class=\"%s\">%s</span>%s.</p>"
                   % (esc(e.get("record") or "none"), esc(e.get("stage") or "none"), "open" if d["open"] else "shut",
                      "open" if d["open"] else "shut",
                      " for the next stage, %s" % esc(e["next_stage"]) if e.get("next_stage") else ""))
        if d.get("reasons"):
            out.append("<p>Why it is shut:</p><ul>%s</ul>" % "".join("<li>%s</li>" % esc(x) for x in d["reasons"]))
        else:
            out.append("<p>Why it is open: every threshold is met (pass rate %s &ge; %s, %s, %s, %s).</p>"
                       % (percent(f.get("pass_rate")), percent(th.get("min_pass_rate")),
                          plural(f.get("messages"), "message"), plural(f.get("days"), "day"),
                          plural(len(f.get("reporters", [])), "reporter")))
        for note in d.get("notes", []):
            out.append('<p class="note">%s</p>' % esc(note))
        w = d.get("window_evidence") or {"figures": f, "failing_sources": d.get("failing_sources", []),
                                         "trend": d.get("trend", [])}
        wf = w["figures"]
        out.append("<h3>All reports of the window</h3>")
        out.append(trend_svg(w.get("trend", []), th.get("min_pass_rate", 99.0)))
        under_now = ""
        if d.get("window_evidence") and f.get("messages") != wf.get("messages"):
            under_now = " (of these, %s reported under the policy published now)" % plural(f.get("messages"), "message")
        out.append("<p>Volume %s over %s; DMARC pass %s, DKIM aligned %s, SPF aligned %s%s.</p>"
                   % (plural(wf.get("messages"), "message"), plural(wf.get("days"), "day"),
                      percent(wf.get("pass_rate")), percent(wf.get("dkim_aligned_rate")),
                      percent(wf.get("spf_aligned_rate")), under_now))
        if wf.get("messages") and wf.get("spf_aligned") == 0 and not any("SPF never aligned" in n for n in d.get("notes", [])):
            out.append('<p class="note">SPF never aligned in these reports: with SES\'s default MAIL FROM '
                       '(amazonses.com) SPF passes for amazonses.com, not for %s, so DKIM carries DMARC alone. A custom '
                       'MAIL FROM makes SPF align too.</p>' % esc(e["domain"]))
        if w.get("failing_sources"):
            out.append("<table><tr><th>Source</th><th>Failed</th><th>Share of volume</th><th>What to fix</th></tr>")
            for s in w["failing_sources"]:
                out.append("<tr><td>%s%s</td><td>%d of %d</td><td>%.2f %%</td><td>%s</td></tr>"
                           % (esc(s["source_ip"]), " / " + esc(s["source_host"]) if s.get("source_host") else "",
                              s["failed"], s["messages"], s["share"], esc(s["fix"])))
            out.append("</table>")
    out.append("</body></html>\n")
    return "".join(out)
