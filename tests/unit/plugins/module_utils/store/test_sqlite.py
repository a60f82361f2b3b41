"""The SQLite bounce history store on its own (tmp_path files): the idempotency contract every processor relies on,
round trips through the file, check mode that creates and changes nothing, and stores written by older versions."""

from __future__ import annotations

import os
import sqlite3

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.store import sqlite as store_sqlite
from ansible_collections.deliverability.ses.plugins.module_utils.store.base import StoreError
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore


def event(key="bounce:m1:a@x.test", email="a@x.test", cls="hard", **extra):
    out = {"key": key, "email": email, "class": cls, "sub_type": "General", "occurred": 1700000000,
           "message_id": "m1", "feedback_id": "f1", "detail": {"reason": "550 5.1.1 user unknown", "channel": "sqs"}}
    out.update(extra)
    return out


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "state" / "history.sqlite")  # a parent that does not exist yet


@pytest.fixture
def store(path):
    s = SqliteStore(path)
    yield s
    s.close()


def test_an_event_is_recorded_once_whatever_the_retries(store, path):
    assert store.add_event(event()) is True
    assert store.add_event(event()) is False
    assert store.add_event(event(detail={"reason": "another copy"})) is False  # the first copy's detail stays
    racer = SqliteStore(path)  # a second processor on the same file
    try:
        assert racer.add_event(event()) is False
        assert racer.add_event(event(key="bounce:m2:a@x.test")) is True
    finally:
        racer.close()
    assert store.has_event("bounce:m2:a@x.test") and not store.has_event("bounce:m3:a@x.test")
    assert store.count_events() == {"hard": 2}


def test_events_round_trip_through_the_file_with_their_copies(store, path, monkeypatch):
    clock = iter([1000.0, 2000.0, 3000.0])
    monkeypatch.setattr(store_sqlite.time, "time", lambda: next(clock))
    store.add_event(event())
    store.add_event(event(key="complaint:m2:b@x.test", email="b@x.test", cls="complaint", detail=None))
    assert store.add_copy("bounce:m1:a@x.test", "notification") == 1
    assert store.add_copy("bounce:m1:a@x.test", "notification") == 2  # a redelivery of the same copy
    assert store.add_copy("bounce:m1:a@x.test", "event:cs1") == 1  # the other channel's copy
    assert store.copy_count("bounce:m1:a@x.test", "event:cs2") == 0
    store.close()
    again = SqliteStore(path)
    try:
        got = again.events_since(0)
        assert [e["key"] for e in got] == ["bounce:m1:a@x.test", "complaint:m2:b@x.test"]  # oldest first
        first = got[0]
        assert first["detail"] == {"channel": "sqs", "reason": "550 5.1.1 user unknown"}
        assert first["copies"] == {"notification": 2, "event:cs1": 1}
        assert (first["email"], first["class"], first["sub_type"], first["occurred"], first["message_id"],
                first["recorded"]) == ("a@x.test", "hard", "General", 1700000000.0, "m1", 1000.0)
        assert got[1]["detail"] == {} and got[1]["copies"] == {}
        assert [e["key"] for e in again.events_since(2000.0)] == ["complaint:m2:b@x.test"]  # the window's edge
        assert again.events_since(2000.5) == []
    finally:
        again.close()


def test_soft_bounces_are_added_once_each_and_come_back_in_time_order(store):
    assert store.add_soft("a@x.test", "bounce:m2:a@x.test", 200) == [200.0]
    assert store.add_soft("a@x.test", "bounce:m1:a@x.test", 100) == [100.0, 200.0]
    assert store.add_soft("a@x.test", "bounce:m1:a@x.test", 100) == [100.0, 200.0]  # the same bounce again
    assert store.soft_times("b@x.test") == []


def test_the_latest_delivery_wins_whatever_the_order(store):
    assert store.get_address("a@x.test") is None
    store.add_delivery("a@x.test", 500)
    store.add_delivery("a@x.test", 300)  # an older delivery read late
    assert store.get_address("a@x.test")["last_delivery"] == 500.0
    store.add_delivery("a@x.test", 900)
    assert store.get_address("a@x.test")["last_delivery"] == 900.0


def test_suppression_is_marked_once_and_clears_a_refusal(store):
    store.mark_refused("a@x.test", "BadRequestException: Invalid email address", 10)
    assert store.get_address("a@x.test")["refused"] == "BadRequestException: Invalid email address"
    assert store.mark_suppressed("a@x.test", "BOUNCE", 20) is True
    assert store.mark_suppressed("a@x.test", "COMPLAINT", 30, via="account") is False  # already marked
    got = store.get_address("a@x.test")
    assert (got["suppressed_reason"], got["suppressed_at"], got["suppressed_via"], got["refused"]) == \
        ("BOUNCE", 20.0, "api", None)


def test_an_older_view_never_overwrites_a_newer_retry_schedule(store):
    store.set_retry("a@x.test", 1000, 2)
    store.set_retry("a@x.test", 500, 1)  # a processor that saw one soft bounce fewer
    assert (store.get_address("a@x.test")["next_retry"], store.get_address("a@x.test")["soft_count"]) == (1000, 2)
    store.set_retry("a@x.test", 3000, 3)
    assert store.get_address("a@x.test")["soft_count"] == 3
    store.reset_soft("a@x.test")
    assert (store.get_address("a@x.test")["next_retry"], store.get_address("a@x.test")["soft_count"]) == (None, 0)


def test_the_file_is_in_wal_mode(store, path):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert os.path.exists(path)


# ------------------------------------------------------------------------------------------------- check mode
WRITES = [("add_event", (event(),)), ("add_copy", ("k", "notification")), ("add_soft", ("a@x.test", "k", 1)),
          ("add_delivery", ("a@x.test", 1)), ("mark_suppressed", ("a@x.test", "BOUNCE", 1)),
          ("mark_refused", ("a@x.test", "e", 1)), ("set_retry", ("a@x.test", 1, 1)), ("reset_soft", ("a@x.test",))]


@pytest.mark.parametrize("method, args", WRITES, ids=[w[0] for w in WRITES])
def test_check_mode_refuses_every_write_and_creates_no_file(path, method, args):
    ro = SqliteStore(path, read_only=True)
    assert ro.events_since(0) == [] and ro.get_address("a@x.test") is None and ro.count_events() == {}
    with pytest.raises(StoreError):
        getattr(ro, method)(*args)
    ro.close()
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def test_check_mode_reads_an_existing_store_and_leaves_the_file_as_it_was(store, path):
    store.add_event(event())
    store.mark_suppressed("a@x.test", "BOUNCE", 5)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = open(path, "rb").read()
    ro = SqliteStore(path, read_only=True)
    try:
        assert ro.has_event("bounce:m1:a@x.test") and ro.get_address("a@x.test")["suppressed_reason"] == "BOUNCE"
        with pytest.raises(StoreError):
            ro.add_event(event(key="other"))
    finally:
        ro.close()
    assert open(path, "rb").read() == before


@pytest.mark.parametrize("name", ["h?mode=rwc.sqlite", "h#1.sqlite", "h%3F.sqlite"])
def test_check_mode_opens_the_named_file_even_with_uri_characters(tmp_path, name):
    path = str(tmp_path / name)
    writer = SqliteStore(path)
    writer.add_event(event())
    writer.close()
    listing = sorted(os.listdir(tmp_path))
    ro = SqliteStore(path, read_only=True)
    try:
        assert ro.has_event("bounce:m1:a@x.test")  # the right file, not an empty one of another name
    finally:
        ro.close()
    # no file of another name created by a misread URI (SQLite may recreate the store's own WAL sidecars)
    assert set(os.listdir(tmp_path)) - set(listing) <= {name + "-wal", name + "-shm"}
    assert all(n.startswith(name) for n in os.listdir(tmp_path))


def test_empty_is_a_read_only_store_with_nothing_in_it():
    empty = SqliteStore.empty()
    assert empty.read_only and empty.events_since(0) == [] and empty.soft_times("a@x.test") == []
    with pytest.raises(StoreError):
        empty.add_soft("a@x.test", "k", 1)


# ------------------------------------------------------------------------------------------------- older stores
OLD_SCHEMA = """
CREATE TABLE events (key TEXT PRIMARY KEY, email TEXT NOT NULL, class TEXT NOT NULL, sub_type TEXT,
    occurred REAL NOT NULL, message_id TEXT, feedback_id TEXT, recorded REAL NOT NULL);
CREATE TABLE copies (key TEXT NOT NULL, channel TEXT NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (key, channel));
CREATE TABLE soft (email TEXT NOT NULL, key TEXT NOT NULL, occurred REAL NOT NULL, PRIMARY KEY (email, key));
CREATE TABLE addresses (email TEXT PRIMARY KEY, soft_count INTEGER NOT NULL DEFAULT 0, next_retry REAL,
    suppressed_reason TEXT, suppressed_at REAL, updated REAL NOT NULL);
INSERT INTO events VALUES ('bounce:old:a@x.test', 'a@x.test', 'hard', 'General', 1, 'old', NULL, 5);
INSERT INTO addresses (email, soft_count, suppressed_reason, suppressed_at, updated)
    VALUES ('a@x.test', 0, 'BOUNCE', 6, 6);
"""


def old_store(path):
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.commit()
    db.close()


def columns(path, table):
    db = sqlite3.connect(path)
    try:
        return {row[1] for row in db.execute("PRAGMA table_info(%s)" % table)}
    finally:
        db.close()


def test_an_older_store_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "old.sqlite")
    old_store(path)
    s = SqliteStore(path)
    try:
        assert s.get_address("a@x.test")["suppressed_reason"] == "BOUNCE"
        assert s.get_address("a@x.test")["refused"] is None
        assert s.events_since(0)[0]["detail"] == {}
        s.mark_refused("b@x.test", "e", 1)  # a new column written
    finally:
        s.close()
    assert {"last_delivery", "suppressed_via", "refused", "refused_at"} <= columns(path, "addresses")
    assert "detail" in columns(path, "events")


def test_check_mode_reads_an_older_store_without_migrating_the_file(tmp_path):
    path = str(tmp_path / "old.sqlite")
    old_store(path)
    ro = SqliteStore(path, read_only=True)
    try:
        assert ro.get_address("a@x.test")["suppressed_reason"] == "BOUNCE"
        assert ro.events_since(0)[0]["key"] == "bounce:old:a@x.test"
    finally:
        ro.close()
    assert "refused" not in columns(path, "addresses") and "detail" not in columns(path, "events")
