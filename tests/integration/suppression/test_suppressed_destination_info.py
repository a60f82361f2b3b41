"""Listing the suppression list: 2,500 entries, filters, limit, summary, export (the module's logic, in-process)."""

from __future__ import annotations

import csv
import datetime as dt
import json

from .conftest import play, task

N = 2500


def _seed(sandbox):
    """N entries a minute apart, half a minute off the minute (so "-1d" at run time has no entry on its edge); every fifth a COMPLAINT; four domains."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    entries = []
    for i in range(N):
        entries.append({"email": "user%04d+x@d%d.example.test" % (i, i % 4),
                        "reason": "COMPLAINT" if i % 5 == 0 else "BOUNCE",
                        "last_update_time": (now - dt.timedelta(minutes=i, seconds=30)).isoformat()})
    assert sandbox.post("suppressions", {"entries": entries})["count"] == N
    return now, entries


def test_list_2500_with_filters_limit_summary_and_export(sandbox, module_play, tmp_path):
    now, entries = _seed(sandbox)
    day_ago = now - dt.timedelta(days=1)
    recent_bounces = [e for e in entries if e["reason"] == "BOUNCE"
                      and dt.datetime.fromisoformat(e["last_update_time"]) >= day_ago]
    start, end = (now - dt.timedelta(hours=30)).isoformat(), (now - dt.timedelta(hours=10)).isoformat()
    window = [e for e in entries if start <= e["last_update_time"] <= end]
    csv_path, jsonl_path = tmp_path / "all.csv", tmp_path / "out" / "complaints.jsonl"
    mark = sandbox.mark()
    res = module_play(play(
        task("everything", "suppressed_destination_info", {"export": str(csv_path)}),
        task("bounces last day", "suppressed_destination_info",
             {"reasons": ["BOUNCE"], "start_date": "-1d", "entries": False}),
        task("window", "suppressed_destination_info", {"start_date": start, "end_date": end, "top_domains": 2}),
        task("complaints", "suppressed_destination_info",
             {"reasons": ["COMPLAINT"], "export": str(jsonl_path), "entries": False}),
        task("limited", "suppressed_destination_info", {"limit": 1200}),
        task("limit past the end", "suppressed_destination_info", {"reasons": ["COMPLAINT"], "limit": N // 5}),
    ))  # not check mode: check mode writes no export (test_check_mode_export_writes_no_file_nor_directory)
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []

    every = res.task("everything")
    got = [e["email_address"] for e in every["suppressed_destinations"]]
    assert len(got) == N and set(got) == {e["email"] for e in entries}
    assert every["summary"]["total"] == N and every["pages"] == 3 and every["truncated"] is False
    assert every["summary"]["by_reason"] == {"BOUNCE": N - N // 5, "COMPLAINT": N // 5}
    assert every["summary"]["by_domain"] == {"d%d.example.test" % i: N // 4 for i in range(4)}
    assert every["changed"] is False

    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == N and {r["email_address"] for r in rows} == set(got)
    assert every["export"] == {"path": str(csv_path), "format": "csv", "count": N, "written": True}

    last_day = res.task("bounces last day")
    assert last_day["summary"]["total"] == len(recent_bounces) and "suppressed_destinations" not in last_day
    assert last_day["summary"]["by_reason"] == {"BOUNCE": len(recent_bounces), "COMPLAINT": 0}

    win = res.task("window")
    assert {e["email_address"] for e in win["suppressed_destinations"]} == {e["email"] for e in window}
    assert len(win["summary"]["by_domain"]) == 2

    lines = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == N // 5 and {line["reason"] for line in lines} == {"COMPLAINT"}

    limited = res.task("limited")
    assert len(limited["suppressed_destinations"]) == 1200 and limited["truncated"] is True
    exact = res.task("limit past the end")
    assert len(exact["suppressed_destinations"]) == N // 5 and exact["truncated"] is False

    # every page asked for the API maximum; none of the listings stopped at 1,000
    pages = [r for r in sandbox.requests(since=mark) if r["operation"] == "ListSuppressedDestinations"]
    assert all(int(r["params"]["PageSize"]) <= 1000 for r in pages)


def test_one_address_with_message_and_feedback_ids(sandbox, module_main):
    sandbox.post("suppressions", {"entries": [{"email": "Bounced@Example.test", "reason": "BOUNCE",
                                               "message_id": "m-1", "feedback_id": "f-1",
                                               "last_update_time": "2026-01-02T03:04:05Z"}]})
    res = module_main("suppressed_destination_info", {"email": "Bounced@example.TEST"})
    assert res.rc == 0, res
    assert res.result["found"] is True
    assert res.result["suppressed_destination"] == {
        "email_address": "Bounced@example.test", "reason": "BOUNCE", "last_update_time": "2026-01-02T03:04:05Z",
        "message_id": "m-1", "feedback_id": "f-1"}
    other = module_main("suppressed_destination_info", {"email": "bounced@example.test"})
    assert other.result["found"] is False  # the local part is compared as given


def test_check_mode_export_writes_no_file_nor_directory(sandbox, module_main, tmp_path):
    sandbox.boto3_client("sesv2").put_suppressed_destination(EmailAddress="gone@customer.test", Reason="BOUNCE")
    target = tmp_path / "new-dir" / "list.csv"
    res = module_main("suppressed_destination_info", {"export": str(target)}, check=True)
    assert res.rc == 0, res
    assert res.result["export"] == {"path": str(target), "format": "csv", "count": 1, "written": False}
    assert not target.parent.exists()
    res = module_main("suppressed_destination_info", {"export": str(target)})
    assert res.rc == 0 and res.result["export"]["written"] is True, res
    assert "gone@customer.test" in target.read_text()
