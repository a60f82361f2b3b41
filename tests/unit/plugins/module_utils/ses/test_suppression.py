"""Pure logic of the suppression list: dates, reasons, summary, export, file input, plan, pagination."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup
from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError, InputError

NOW = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.timezone.utc)
UNUSUAL = ['a+tag@example.com', 'a/b@example.com', 'per%cent@example.com', '"quoted, local"@example.com',
           'o\'neil@example.com', 'u@xn--bcher-kva.example', '=cmd@example.com', 'x"y@example.com']


@pytest.mark.parametrize("text, expected", [
    ("-7d", NOW - dt.timedelta(days=7)),
    ("7d", NOW - dt.timedelta(days=7)),
    ("-12h", NOW - dt.timedelta(hours=12)),
    ("-30m", NOW - dt.timedelta(minutes=30)),
    ("-2w", NOW - dt.timedelta(weeks=2)),
    ("-90s", NOW - dt.timedelta(seconds=90)),
    ("+1h", NOW + dt.timedelta(hours=1)),
    ("now", NOW),
    ("2026-11-01", dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)),
    ("2026-11-01T08:00:00Z", dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)),
    ("2026-11-01 08:00:00", dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)),
    ("2026-11-01T10:00:00+02:00", dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)),
    ("2026-11-01T08:00:00.250Z", dt.datetime(2026, 11, 1, 8, 0, 0, 250000, tzinfo=dt.timezone.utc)),
])
def test_parse_date(text, expected):
    assert sup.parse_date(text, "start_date", NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "-7x", "2026-13-01", "7 days ago", "--7d"])
def test_parse_date_rejects_with_option_name(text):
    with pytest.raises(InputError) as err:
        sup.parse_date(text, "end_date", NOW)
    assert err.value.option == "end_date"
    assert "end_date" in err.value.msg


def test_empty_dates_are_none():
    assert sup.date_range(None, "", NOW) == (None, None)


def test_dates_in_wrong_order_name_start_date():
    with pytest.raises(InputError) as err:
        sup.date_range("-1d", "-7d", NOW)
    assert err.value.option == "start_date"
    assert "wrong order" in err.value.msg


def test_start_before_the_list_existed_is_refused():
    with pytest.raises(InputError) as err:
        sup.date_range("2019-01-01", None, NOW)
    assert "2019-11-25" in err.value.msg
    assert sup.date_range("2019-11-25", None, NOW)[0] == sup.EARLIEST


def test_start_in_the_future_is_refused():
    with pytest.raises(InputError, match="future"):
        sup.date_range("+1d", None, NOW)


def test_equal_dates_are_fine():
    assert sup.date_range("2026-11-01", "2026-11-01", NOW)[0] == sup.date_range(None, "2026-11-01", NOW)[1]


def test_reasons():
    assert sup.check_reasons(["bounce", "COMPLAINT", "BOUNCE"], "reasons") == ["BOUNCE", "COMPLAINT"]
    with pytest.raises(InputError) as err:
        sup.check_reasons(["SPAM"], "reasons")
    assert err.value.option == "reasons" and "BOUNCE, COMPLAINT" in err.value.msg


def test_iso():
    assert sup.iso(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)) == "2026-01-02T03:04:05Z"
    assert sup.iso(dt.datetime(2026, 1, 2, 3, 4, 5, 678000)) == "2026-01-02T03:04:05.678Z"
    assert sup.iso(None) is None


def _entries():
    return [
        {"email_address": "a@example.com", "reason": "BOUNCE", "last_update_time": "2026-11-01T00:00:00Z"},
        {"email_address": "b@Example.com", "reason": "COMPLAINT", "last_update_time": "2026-11-03T00:00:00Z"},
        {"email_address": "c@other.org", "reason": "BOUNCE", "last_update_time": "2026-10-01T00:00:00Z"},
    ]


def test_summary():
    s = sup.summarize(_entries())
    assert s == {"total": 3, "by_reason": {"BOUNCE": 2, "COMPLAINT": 1},
                 "by_domain": {"example.com": 2, "other.org": 1}, "domains": 2,
                 "oldest": "2026-10-01T00:00:00Z", "newest": "2026-11-03T00:00:00Z"}
    assert sup.summarize(_entries(), top_domains=1)["by_domain"] == {"example.com": 2}
    assert sup.summarize([])["by_reason"] == {"BOUNCE": 0, "COMPLAINT": 0}


def test_csv_export_round_trips_unusual_addresses():
    entries = [{"email_address": a, "reason": "BOUNCE", "last_update_time": "2026-11-01T00:00:00Z"} for a in UNUSUAL]
    text = sup.render_export(entries, "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    # a spreadsheet shows =cmd@... as text, not a formula (OWASP CSV injection): the cell carries a leading '
    assert [r["email_address"] for r in rows] == ["'" + a if a[0] in "=+-@" else a for a in UNUSUAL]
    assert "'=cmd@example.com" in text
    assert text.splitlines()[0] == "email_address,reason,last_update_time"
    # and the module's own file reader reads it back
    assert [pair[0] for pair in sup.parse_addresses(text)] == UNUSUAL
    assert {pair[1] for pair in sup.parse_addresses(text)} == {"BOUNCE"}


def test_jsonl_export_round_trips():
    entries = [{"email_address": a, "reason": "COMPLAINT", "last_update_time": None} for a in UNUSUAL]
    text = sup.render_export(entries, "jsonl")
    assert [json.loads(line)["email_address"] for line in text.splitlines()] == UNUSUAL
    assert [pair[0] for pair in sup.parse_addresses(text)] == UNUSUAL


def test_export_format_from_name():
    assert sup.export_format("/x/list.jsonl", None) == "jsonl"
    assert sup.export_format("/x/list.CSV", None) == "csv"
    assert sup.export_format("/x/list.txt", "jsonl") == "jsonl"


def test_write_export_is_atomic_and_complete(tmp_path):
    path = tmp_path / "sub" / "out.csv"
    sup.write_export(str(path), "email_address\r\n")
    assert path.read_bytes() == b"email_address\r\n"
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]


def test_parse_addresses_formats():
    assert sup.parse_addresses("a@x.com\n# comment\n\nb@y.com\n") == [("a@x.com", None), ("b@y.com", None)]
    assert sup.parse_addresses("a@x.com,BOUNCE\nb@y.com, complaint\n") == [("a@x.com", "BOUNCE"),
                                                                           ("b@y.com", "complaint")]
    assert sup.parse_addresses('{"emailAddress": "a@x.com", "reason": "BOUNCE"}\n') == [("a@x.com", "BOUNCE")]
    assert sup.parse_addresses("email,note\na@x.com,hi\n") == [("a@x.com", None)]
    with pytest.raises(InputError):
        sup.parse_addresses('{"nope": 1}\n')


def test_plan():
    entry = {"email_address": "a@x.com", "reason": "BOUNCE"}
    assert sup.plan(None, "present", "BOUNCE") == "put"
    assert sup.plan(entry, "present", "BOUNCE") == "none"
    assert sup.plan(entry, "present", "COMPLAINT") == "update"
    assert sup.plan(entry, "absent", None) == "delete"
    assert sup.plan(None, "absent", None) == "none"


class FakeClient:
    """ListSuppressedDestinations over n entries, pages as SES pages them."""

    def __init__(self, n):
        self.items = [{"EmailAddress": "u%05d@example.com" % i, "Reason": "BOUNCE",
                       "LastUpdateTime": NOW - dt.timedelta(seconds=i)} for i in range(n)]
        self.calls = []

    def list_suppressed_destinations(self, **params):
        self.calls.append(dict(params))
        start = int(params.get("NextToken") or 0)
        size = params["PageSize"]
        out = {"SuppressedDestinationSummaries": self.items[start:start + size]}
        if start + size < len(self.items):
            out["NextToken"] = str(start + size)
        return out


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 1001, 2500])
def test_pagination_reads_everything(n):
    client = FakeClient(n)
    stats = {}
    got = list(sup.iter_suppressed(client, stats=stats))
    assert len(got) == n and len({g["email_address"] for g in got}) == n
    assert stats == {"pages": max(1, -(-n // 1000)), "truncated": False}
    assert all(c["PageSize"] == 1000 for c in client.calls)


@pytest.mark.parametrize("n, limit, truncated", [(2500, 1500, True), (1500, 1500, False), (10, 3, True),
                                                 (3, 3, False), (2, 3, False)])
def test_limit(n, limit, truncated):
    stats = {}
    got = list(sup.iter_suppressed(FakeClient(n), limit=limit, stats=stats))
    assert len(got) == min(n, limit)
    assert stats["truncated"] is truncated


def test_filters_are_sent():
    client = FakeClient(1)
    list(sup.iter_suppressed(client, ["COMPLAINT"], NOW - dt.timedelta(days=1), NOW))
    assert client.calls[0]["Reasons"] == ["COMPLAINT"]
    assert client.calls[0]["StartDate"] == NOW - dt.timedelta(days=1)


class MissingClient:
    def get_suppressed_destination(self, **params):
        from botocore.exceptions import ClientError
        raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no"}}, "GetSuppressedDestination")

    def delete_suppressed_destination(self, **params):
        self.get_suppressed_destination()


def test_missing_is_none_not_error():
    assert sup.get_suppressed(MissingClient(), "a@x.com") is None
    assert sup.delete_suppressed(MissingClient(), "a@x.com") is False


def test_entry_from_api():
    e = sup.entry_from_api({"EmailAddress": "a@x.com", "Reason": "BOUNCE", "LastUpdateTime": NOW,
                            "Attributes": {"MessageId": "m1", "FeedbackId": ""}})
    assert e == {"email_address": "a@x.com", "reason": "BOUNCE", "last_update_time": "2026-11-28T12:00:00Z",
                 "message_id": "m1", "feedback_id": None}


def test_guard_requires_reason():
    guard = sup.DelistGuard({"force": True, "reason_for_removal": "  "})
    with pytest.raises(InputError) as err:
        guard.require_reason()
    assert err.value.option == "reason_for_removal"
    assert guard.check("a@x.com") is None  # force: no DNS


def test_aws_error_is_not_swallowed():
    class Broken:
        def get_suppressed_destination(self, **params):
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                              "GetSuppressedDestination")
    with pytest.raises(AwsError) as err:
        sup.get_suppressed(Broken(), "a@x.com")
    assert err.value.code == "AccessDeniedException"
