# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list-hygiene report as Markdown, CSV and JSON, from the report built out of the bounce history store. Pure."""

from __future__ import annotations

import json

from ansible_collections.deliverability.ses.plugins.module_utils.formats import cells
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import CLASS_LABELS


def _cell(value):
    """A Markdown table cell: text only (no None, no dict), pipes escaped, one line."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(value):
    return "`%s`" % _cell(value).replace("`", "'") if value else ""


def render_markdown(report):
    lines = ["# List hygiene report", "",
             "Everything the bounce history store recorded since %s (UTC), whichever run handled it: what an "
             "interrupted run did is listed here too." % report["since"], "",
             "| | |", "|---|---|",
             "| events (one per SES message, recipient and kind) | %d |" % report["events"],
             "| received as identity notification and configuration-set event (counted once) | %d |"
             % report["cross_channel"],
             "| redelivered copies (counted once) | %d |" % report["redelivered"]]
    for cls, label in CLASS_LABELS:
        lines.append("| %s | %d |" % (label, report["counts"].get(cls, 0)))
    lines += ["| mailbox simulator (never suppressed) | %d |" % len(report["simulator"]),
              "| addresses suppressed | %d |" % len(report["suppressed"]),
              "| addresses SES refused to suppress | %d |" % len(report["refused"]),
              "| SNS control messages | %d |" % len(report["sns_control_messages"]), ""]

    def section(title, rows, header, render, empty="Nothing here."):
        lines.extend(["## %s (%d)" % (title, len(rows)), ""])
        if not rows:
            lines.extend([empty, ""])
            return
        lines.append("| %s |" % " | ".join(header))
        lines.append("|%s" % ("---|" * len(header)))
        for row in rows:
            lines.append("| %s |" % " | ".join(_cell(v) for v in render(row)))
        lines.append("")

    tenants = report.get("tenants") or {}
    if tenants:
        # per tenant (the event's ses:tenant-name tag, else its identity's and configuration set's tenant) beside
        # the account's figures: the account row counts every event, with or without a tenant
        lines.extend(["## Per tenant (%d)" % len(tenants), "",
                      "| tenant | events | hard bounces | complaints | soft bounces |", "|---|---|---|---|---|"])
        for name, row in sorted(tenants.items()):
            lines.append("| %s | %d | %d | %d | %d |"
                         % (_cell(name), row["events"], row["hard"], row["complaint"], row["soft"]))
        lines.extend(["| **account (all events)** | %d | %d | %d | %d |"
                      % (report["events"], report["counts"].get("hard", 0),
                         report["counts"].get("complaint", 0), report["counts"].get("soft", 0)), ""])
    lines.extend(["## Remove from your lists (%d)" % len(report["remove_from_lists"]), ""])
    lines.extend(["- %s" % _cell(e) for e in report["remove_from_lists"]] or ["Nothing to remove."])
    lines.append("")
    section("Suppressed", report["suppressed"], ("address", "reason", "class", "via", "since"),
            lambda r: (r["email"], r["reason"], r["class"], r["via"], r["since"]))
    section("Refused by SES: not suppressed, act on these", report["refused"], ("address", "class", "error"),
            lambda r: (r["email"], r["class"], r["error"]))
    section("Mailbox simulator: not suppressed (SES never lists these)", report["simulator"],
            ("address", "class", "sub-type"), lambda r: (r["email"], r["class"], r["sub_type"]))
    section("Soft bounces: retry later", report["retry_schedule"],
            ("address", "soft bounces", "last bounce (UTC)", "next retry (UTC)"),
            lambda r: (r["email"], r["soft_bounces"], r["last_bounce"], r["next_retry"]))
    section("To review", report["review"], ("address", "class", "sub-type", "reason", "status"),
            lambda r: (r["email"], r["class"], r["sub_type"], r["reason"], r["status"]), "Nothing to review.")
    section("SNS control messages: confirm or ignore", report["sns_control_messages"],
            ("type", "topic", "received (UTC)", "SubscribeURL"),
            lambda r: (r["type"], r["topic_arn"], r["received"], r["subscribe_url"]))
    return "\n".join(lines).rstrip("\n") + "\n"


CSV_FIELDS = ("email", "action", "class", "reason", "via", "soft_bounces", "next_retry", "detail")


def report_rows(report):
    rows = []
    for r in report["suppressed"]:
        rows.append({"email": r["email"], "action": "remove", "class": r["class"], "reason": r["reason"],
                     "via": r["via"], "detail": "suppressed since %s" % r["since"] if r["since"] else ""})
    for r in report["refused"]:
        rows.append({"email": r["email"], "action": "remove", "class": r["class"], "via": "refused",
                     "detail": "SES refused to suppress: %s" % r["error"]})
    for r in report["retry_schedule"]:
        rows.append({"email": r["email"], "action": "retry_later", "class": "soft",
                     "soft_bounces": r["soft_bounces"], "next_retry": r["next_retry"]})
    for r in report["review"]:
        rows.append({"email": r["email"], "action": "review", "class": r["class"], "reason": r["reason"],
                     "detail": r["status"]})
    for r in report["simulator"]:
        rows.append({"email": r["email"], "action": "none", "class": r["class"], "detail": "mailbox simulator"})
    return rows


def render_report(report, fmt):
    if fmt == "csv":
        # no literal None; a cell a spreadsheet would run as a formula gets a leading quote
        return cells.render_csv(CSV_FIELDS, report_rows(report), lineterminator="\n")
    if fmt == "md":
        return render_markdown(report)
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def format_of(path, fmt=None):
    if fmt:
        return fmt
    lower = path.lower()
    return "csv" if lower.endswith(".csv") else "md" if lower.endswith(".md") else "json"
