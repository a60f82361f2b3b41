"""formats/bounce_report.py: the per-tenant table next to the account's, only when events had tenants; a tenant
name cannot break the Markdown table."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.formats.bounce_report import render_markdown


def report(tenants):
    return {"since": "2026-12-04T00:00:00Z", "events": 7, "cross_channel": 0, "redelivered": 0,
            "counts": {"hard": 4, "complaint": 1, "soft": 2}, "simulator": [], "suppressed": [], "refused": [],
            "sns_control_messages": [], "remove_from_lists": [], "retry_schedule": [], "review": [],
            "tenants": tenants}


def test_per_tenant_rows_and_the_account_row():
    md = render_markdown(report({"client-a": {"events": 4, "hard": 3, "complaint": 1, "soft": 0},
                                 "client|b": {"events": 1, "hard": 1, "complaint": 0, "soft": 0}}))
    assert "## Per tenant (2)" in md
    assert "| client-a | 4 | 3 | 1 | 0 |" in md
    assert "| client\\|b | 1 | 1 | 0 | 0 |" in md  # a pipe in a name stays inside its cell
    assert "| **account (all events)** | 7 | 4 | 1 | 2 |" in md
    assert md.index("## Per tenant") < md.index("## Remove from your lists")


def test_no_tenant_no_table():
    assert "Per tenant" not in render_markdown(report({}))
    old = report({})
    del old["tenants"]  # a report built before tenants
    assert "Per tenant" not in render_markdown(old)
