"""The SQLite DMARC evidence store on its own (tmp_path files): the idempotency contract (a report is recorded once,
whole, by its reporter and report id), rows summed and read back by day window, sources remembered once, check
mode that creates and changes nothing."""

from __future__ import annotations

import os

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import (
    ROW_FIELDS, EvidenceStoreError, SqliteEvidenceStore, aggregate, published_policy)


def meta(report_id="r1", org="google.com", domain="example.test", day="2026-01-10", **extra):
    out = {"org": org, "report_id": report_id, "domain": domain, "day": day, "date_begin": 1768003200,
           "date_end": 1768089599, "schema": "rfc7489", "source": "s3://bucket/r1.xml.gz", "messages": 0, "records": 0}
    out.update(extra)
    return out


def record(ip="192.0.2.1", count=10, dkim="pass", spf="pass", disposition="none", **extra):
    out = {"source_ip": ip, "count": count, "dkim": dkim, "spf": spf, "disposition": disposition,
           "dkim_domain": "example.test", "spf_domain": "amazonses.com"}
    out.update(extra)
    return out


def report(store, records, **kw):
    m = meta(**kw)
    rows = aggregate(records, m["day"], m["org"], published_policy({"p": "quarantine", "testing": "y"}))
    m["messages"], m["records"] = sum(r["count"] for r in records), len(records)
    return store.add_report(m, rows)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "state" / "evidence.sqlite")  # a parent that does not exist yet


@pytest.fixture
def store(path):
    s = SqliteEvidenceStore(path)
    yield s
    s.close()


def test_a_report_is_recorded_once_by_reporter_and_id(store, path):
    recs = [record(count=10), record(ip="198.51.100.7", count=3, dkim="fail", spf="fail", disposition="quarantine")]
    assert report(store, recs) is True
    assert report(store, recs) is False  # re-ingested
    assert report(store, recs, source="imap://other-copy") is False  # the same report from another source
    other = SqliteEvidenceStore(path)  # a second ingester on the same file
    try:
        assert report(other, recs) is False
        assert report(other, recs, org="yahoo.com") is True  # the same id from another reporter: another report
    finally:
        other.close()
    assert store.has_report("google.com", "r1") and not store.has_report("google.com", "r2")
    assert store.counts() == {"reports": 2, "rows": 4, "sources": 0, "conflicts": 0}
    assert sum(r["messages"] for r in store.rows("example.test", "2026-01-10", "2026-01-10")) == 26


def test_rows_round_trip_through_the_file_and_sum_per_source(store, path):
    report(store, [record(count=10), record(count=5, spf="fail")], report_id="a")
    report(store, [record(count=7, dkim="fail", spf="fail", disposition="reject")], report_id="b")
    store.close()
    again = SqliteEvidenceStore(path)
    try:
        rows = again.rows("example.test", "2026-01-10", "2026-01-10")
    finally:
        again.close()
    assert len(rows) == 1  # one row per day / reporter / policy / source / domains: the reports summed into it
    row = rows[0]
    assert set(row) == set(ROW_FIELDS)
    assert (row["day"], row["org"], row["policy"], row["source_ip"], row["source_host"], row["dkim_domain"],
            row["spf_domain"]) == ("2026-01-10", "google.com", "quarantine|y", "192.0.2.1", "", "example.test",
                                   "amazonses.com")
    assert (row["messages"], row["dmarc_pass"], row["dkim_aligned"], row["spf_aligned"], row["quarantined"],
            row["rejected"]) == (22, 15, 15, 10, 0, 7)


def test_rows_are_read_by_domain_and_an_inclusive_day_window(store):
    for n, day in enumerate(["2026-01-09", "2026-01-10", "2026-01-11", "2026-01-12"]):
        report(store, [record(count=n + 1)], report_id="d%d" % n, day=day)
    report(store, [record(count=100)], report_id="other", domain="other.test", day="2026-01-10")
    got = store.rows("example.test", "2026-01-10", "2026-01-11")
    assert sorted((r["day"], r["messages"]) for r in got) == [("2026-01-10", 2), ("2026-01-11", 3)]
    assert store.rows("example.test", "2026-02-01", "2026-02-28") == []
    assert store.domains() == ["example.test", "other.test"]


def test_a_report_that_fails_midway_leaves_nothing_and_can_be_ingested_again(store):
    good = aggregate([record()], "2026-01-10", "google.com")
    broken = dict(good[0], source_ip=None)  # NOT NULL: the second row's insert fails inside the transaction
    with pytest.raises(EvidenceStoreError) as err:
        store.add_report(meta(messages=20, records=2), [dict(good[0], source_ip="203.0.113.9"), broken])
    assert "cannot write to the evidence store" in str(err.value)
    assert not store.has_report("google.com", "r1")
    assert store.counts() == {"reports": 0, "rows": 0, "sources": 0, "conflicts": 0}  # not the first row either
    assert store.add_report(meta(messages=10, records=1), good) is True
    assert store.counts()["rows"] == 1


def test_a_source_is_remembered_with_its_latest_outcome_and_parser(store):
    # the latest outcome replaces the earlier one: a quarantined source read again by a newer parser is ingested
    assert store.source_seen("sha256:aa") is None
    store.mark_source("sha256:aa", "s3://bucket/a.xml.gz", "quarantined", reason="empty org_name", parser="2")
    store.mark_source("sha256:aa", "s3://bucket/a.xml.gz", "ingested", reports=2, parser="3")
    store.mark_source("sha256:bb", "evil.xml", "quarantined", reason="forbidden: DOCTYPE", parser="3")
    assert store.source_seen("sha256:aa") == {"status": "ingested", "reason": None, "reports": 2, "parser": "3"}
    assert store.source_seen("sha256:bb") == {"status": "quarantined", "reason": "forbidden: DOCTYPE", "reports": 0,
                                              "parser": "3"}
    assert store.counts()["sources"] == 2


def test_aggregate_and_published_policy():
    rows = aggregate([record(count=4, source_host="mail.example.test"), record(count=6, dkim="fail"),
                      record(count=1, dkim_domain=None)], "2026-01-10", "google.com")
    by_host = {(r["source_host"], r["dkim_domain"]): r for r in rows}
    assert by_host[("mail.example.test", "example.test")]["messages"] == 4
    assert by_host[("", "example.test")]["dkim_aligned"] == 0 and by_host[("", "example.test")]["dmarc_pass"] == 6
    assert by_host[("", "")]["messages"] == 1
    assert published_policy({"p": " Reject ", "testing": "Yes"}) == "reject|y"
    assert published_policy({"p": None, "t": "n"}) == "none|n"
    assert published_policy({"p": "quarantine", "testing": "maybe"}) == "quarantine|"


# ------------------------------------------------------------------------------------------------- check mode
def test_check_mode_on_a_missing_store_creates_nothing_and_refuses_writes(path):
    ro = SqliteEvidenceStore(path, read_only=True)
    assert ro.missing and ro.rows("example.test", "2026-01-01", "2026-12-31") == [] and ro.domains() == []
    with pytest.raises(EvidenceStoreError):
        report(ro, [record()])
    with pytest.raises(EvidenceStoreError):
        ro.mark_source("sha256:aa", "a.xml", "ingested")
    ro.close()
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def test_check_mode_reads_an_existing_store_and_writes_nothing(store, path):
    report(store, [record()])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = open(path, "rb").read()
    ro = SqliteEvidenceStore(path, read_only=True)
    try:
        assert not ro.missing and ro.has_report("google.com", "r1")
        assert ro.rows("example.test", "2026-01-10", "2026-01-10")[0]["messages"] == 10
        with pytest.raises(EvidenceStoreError):
            report(ro, [record()], report_id="r2")
    finally:
        ro.close()
    assert open(path, "rb").read() == before


@pytest.mark.parametrize("name", ["e#1.sqlite", "e?mode=rwc.sqlite"])
def test_check_mode_opens_the_named_file_even_with_uri_characters(tmp_path, name):
    path = str(tmp_path / name)
    writer = SqliteEvidenceStore(path)
    report(writer, [record()])
    writer.close()
    listing = set(os.listdir(tmp_path))
    ro = SqliteEvidenceStore(path, read_only=True)
    try:
        assert ro.has_report("google.com", "r1")
    finally:
        ro.close()
    assert all(n.startswith(name) for n in set(os.listdir(tmp_path)) - listing)


def test_a_path_that_cannot_be_a_database_is_a_clear_error(tmp_path):
    not_a_db = tmp_path / "evidence.sqlite"
    not_a_db.write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(EvidenceStoreError) as err:
        SqliteEvidenceStore(str(not_a_db))
    assert str(not_a_db) in str(err.value) and "cannot open the evidence store" in str(err.value)
    with pytest.raises(DeliverabilityError) as err:
        SqliteEvidenceStore(str(tmp_path))  # a directory
    assert "evidence_path" in str(err.value)


def test_the_store_file_is_private_and_never_written_through_a_symlink(tmp_path):
    path = tmp_path / "evidence.sqlite"
    SqliteEvidenceStore(str(path)).close()
    assert os.stat(path).st_mode & 0o777 == 0o600
    other = tmp_path / "other.sqlite"
    other.write_text("someone else's file")
    link = tmp_path / "link.sqlite"
    link.symlink_to(other)
    with pytest.raises(Exception) as refused:
        SqliteEvidenceStore(str(link))
    assert "symlink" in str(refused.value) or "link" in str(refused.value)
    assert other.read_text() == "someone else's file"
