"""One contract, two backends: SQLite (file) and DynamoDB (the sandbox's), plus concurrency on DynamoDB."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.store.base import StoreError
from ansible_collections.deliverability.ses.plugins.module_utils.store.dynamodb import DynamoDbStore
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore


def dynamo(sandbox, table="bounces", read_only=False):
    return DynamoDbStore(sandbox.boto3_client("dynamodb"), table, read_only=read_only)


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request, tmp_path, sandbox):
    if request.param == "sqlite":
        path = str(tmp_path / "h.sqlite")
        return lambda read_only=False: SqliteStore(path, read_only=read_only)
    assert dynamo(sandbox).ensure_table(create=True)
    return lambda read_only=False: dynamo(sandbox, read_only=read_only)


def event(key, email="a@x.test", cls="hard", occurred=1000.0):
    return {"key": key, "email": email, "class": cls, "sub_type": "General", "occurred": occurred,
            "message_id": "m", "feedback_id": "f"}


def test_events_are_inserted_once(backend):
    store = backend()
    assert store.has_event("k1") is False
    assert store.add_event(event("k1")) is True
    assert store.add_event(event("k1")) is False
    assert store.has_event("k1") is True
    assert store.add_event(event("k2", cls="soft")) is True
    assert store.count_events() == {"hard": 1, "soft": 1}


def test_soft_bounces_are_idempotent_per_event(backend):
    store = backend()
    assert store.add_soft("a@x.test", "s1", 100.0) == [100.0]
    assert store.add_soft("a@x.test", "s1", 100.0) == [100.0]
    assert store.add_soft("a@x.test", "s2", 50.0) == [50.0, 100.0]
    assert store.soft_times("a@x.test") == [50.0, 100.0]
    assert store.soft_times("b@x.test") == []


def test_address_state(backend):
    store = backend()
    assert store.get_address("a@x.test") is None
    store.set_retry("a@x.test", 5000.0, 2)
    store.set_retry("a@x.test", 4000.0, 1)  # an older view never wins
    got = store.get_address("a@x.test")
    assert got["next_retry"] == 5000.0 and got["soft_count"] == 2 and got["suppressed_reason"] is None
    assert store.mark_suppressed("a@x.test", "BOUNCE", 6000.0) is True
    assert store.mark_suppressed("a@x.test", "COMPLAINT", 7000.0) is False
    got = store.get_address("a@x.test")
    assert got["suppressed_reason"] == "BOUNCE" and got["suppressed_at"] == 6000.0


def test_copies_deliveries_refusals_and_the_report_window(backend):
    store = backend()
    assert store.copy_count("k1", "notification") == 0
    assert store.add_copy("k1", "notification") == 1
    assert store.add_copy("k1", "event:set") == 1
    assert store.add_copy("k1", "notification") == 2  # a redelivery of that copy
    assert store.copy_count("k1", "notification") == 2
    store.add_event(dict(event("k1"), detail={"reason": "general", "simulator": False}))
    got = store.events_since(0)
    assert [(e["key"], e["copies"], e["detail"]["reason"]) for e in got] == [
        ("k1", {"notification": 2, "event:set": 1}, "general")]
    assert store.events_since(got[0]["recorded"] + 1) == []
    store.add_delivery("a@x.test", 500.0)
    store.add_delivery("a@x.test", 400.0)  # an older delivery handled later never moves it back
    assert store.get_address("a@x.test")["last_delivery"] == 500.0
    store.set_retry("a@x.test", 5000.0, 2)
    store.reset_soft("a@x.test")
    got = store.get_address("a@x.test")
    assert got["soft_count"] == 0 and got["next_retry"] is None
    store.set_retry("a@x.test", 6000.0, 1)  # counting starts again after a delivery
    assert store.get_address("a@x.test")["next_retry"] == 6000.0
    store.mark_refused("b@x.test", "BadRequestException: no", 10.0)
    assert store.get_address("b@x.test")["refused"] == "BadRequestException: no"
    assert store.mark_suppressed("b@x.test", "BOUNCE", 11.0, via="account") is True
    got = store.get_address("b@x.test")
    assert got["refused"] is None and got["suppressed_via"] == "account"


def test_sqlite_path_with_a_question_mark_in_check_mode(tmp_path):
    """The read-only URI is escaped: '?' is part of the name, and check mode creates no other file."""
    path = tmp_path / "odd?mode=rwc&x.sqlite"
    SqliteStore(str(path)).add_event(event("k1"))
    before = sorted(p.name for p in tmp_path.iterdir())
    ro = SqliteStore(str(path), read_only=True)
    assert ro.has_event("k1") is True
    ro.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    absent = tmp_path / "none?x.sqlite"
    SqliteStore(str(absent), read_only=True).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_read_only_store_reads_and_refuses_writes(backend):
    backend().add_event(event("k1"))
    ro = backend(read_only=True)
    assert ro.has_event("k1") is True
    with pytest.raises(StoreError):
        ro.add_event(event("k2"))
    with pytest.raises(StoreError):
        ro.mark_suppressed("a@x.test", "BOUNCE", 1.0)


def test_read_only_sqlite_does_not_create_the_file(tmp_path):
    store = SqliteStore(str(tmp_path / "none.sqlite"), read_only=True)
    assert store.has_event("x") is False and store.soft_times("a@x.test") == []
    assert not (tmp_path / "none.sqlite").exists()


def test_dynamodb_missing_table(sandbox):
    assert dynamo(sandbox, "absent").ensure_table(create=False) is False


def test_dynamodb_concurrent_processors_record_each_event_once(sandbox):
    assert dynamo(sandbox).ensure_table(create=True)
    keys = ["bounce:f%02d:a@x.test" % i for i in range(12)]
    wins = []
    lock = threading.Lock()

    def worker():
        store = dynamo(sandbox)
        mine = [k for k in keys if store.add_event(event(k))]
        for i, k in enumerate(keys):
            store.add_soft("s@x.test", k, float(i))
        with lock:
            wins.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == sorted(keys)  # each event won by exactly one processor
    assert dynamo(sandbox).soft_times("s@x.test") == [float(i) for i in range(12)]
