"""No report can stop the run (issue 22, item 1): a folder of good and poisoned reports - counts past the schema's
unsignedInt, counts summing past the report bound, a count that is not a number, a <begin> of 2^63, a duplicate
(reporter, report id) with other content, and a store write failure injected on one good report. Every good
report is recorded, each poisoned one is quarantined with its reason (or kept as a conflict), the failed write
is that report's outcome and is retried by the next run, a rerun records nothing new, and check mode writes
nothing. Read back with sqlite3 and the quarantine folder, not from the module's word."""

from __future__ import annotations

import json
import sqlite3

from ansible_collections.deliverability.ses.plugins.module_utils.store import evidence as store_mod
from tests.fixtures import dmarc_reports as gen

DAY = 1767225600  # 2026-01-01
DOMAIN = "example.test"


def _report(rid, recs=None, org="google.com", begin=DAY, count_text=None):
    recs = recs if recs is not None else gen.source_records(DOMAIN, 1000)
    xml = gen.report_xml(org, "noreply@" + org, rid, DOMAIN, begin, begin + 86399, recs)
    if count_text is not None:
        xml = xml.replace(b"<count>%d</count>" % recs[0]["count"], b"<count>%s</count>" % count_text, 1)
    return xml


def _folder(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "good1.xml").write_bytes(_report("good-1"))
    (folder / "good2.xml.gz").write_bytes(gen.gz(_report("good-2", org="Yahoo")))
    (folder / "good3.xml").write_bytes(_report("good-3"))
    (folder / "p1-huge-count.xml").write_bytes(_report("huge", count_text=b"99999999999999999999"))
    (folder / "p2-unsignedint.xml").write_bytes(_report("uint", count_text=b"4294967296"))
    many = [gen.record("192.0.2.%d" % (i % 250), 4294967295, DOMAIN, DOMAIN, "pass", DOMAIN, "pass")
            for i in range(300)]  # each count within unsignedInt, their sum past 2^40
    (folder / "p3-sum.xml").write_bytes(_report("sum", recs=many))
    (folder / "p4-type.xml").write_bytes(_report("type", count_text=b"many"))
    (folder / "p5-begin.xml").write_bytes(_report("begin").replace(b"<begin>%d</begin>" % DAY,
                                                                     b"<begin>9223372036854775808</begin>"))
    # the same (reporter, report id) as good1 with other counts: a conflict, kept apart, counted nowhere
    (folder / "z-conflict.xml").write_bytes(_report("good-1", recs=gen.source_records(DOMAIN, 5000)))
    return folder


def test_poisoned_folder_records_every_good_report(module_main, tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    store = tmp_path / "ev" / "evidence.sqlite"
    quarantine = tmp_path / "q"
    args = {"paths": [str(folder)], "evidence_path": str(store), "quarantine_dir": str(quarantine)}

    # check mode first: reads everything, writes nothing anywhere
    res = module_main("dmarc_reports", args, check=True)
    assert res.rc == 0, res.result
    assert not store.exists() and not store.parent.exists() and not quarantine.exists()
    assert res.result["totals"]["reports_new"] == 3 and res.result["totals"]["quarantined"] == 5, res.result["totals"]

    real_add = store_mod.SqliteEvidenceStore.add_report

    def failing_add(self, meta, rows):
        if meta["report_id"] == "good-3":
            raise store_mod.EvidenceStoreError("disk I/O error (injected)")
        return real_add(self, meta, rows)

    monkeypatch.setattr(store_mod.SqliteEvidenceStore, "add_report", failing_add)
    res = module_main("dmarc_reports", args)
    totals = res.result["totals"]
    # the failed write is reported as the run's failure - after every other source was handled
    assert res.rc != 0 and "evidence_path" in res.result["msg"] and "good3.xml" in res.result["msg"], res.result
    assert (totals["reports_new"], totals["quarantined"], totals["reports_conflict"], totals["store_failed"]) == \
        (2, 5, 1, 1), totals
    by_source = {o["source"].rsplit("/", 1)[-1]: o for o in res.result["sources"]}
    reasons = {name: by_source[name]["reason"] for name in by_source if by_source[name]["status"] == "quarantined"}
    assert "out of bounds" in reasons["p1-huge-count.xml"] and "out of bounds" in reasons["p2-unsignedint.xml"]
    assert "sum bound" in reasons["p3-sum.xml"] and "not a whole number" in reasons["p4-type.xml"]
    assert "date_range/begin" in reasons["p5-begin.xml"], reasons
    assert by_source["z-conflict.xml"]["status"] == "ingested" and by_source["z-conflict.xml"]["conflicts"] == 1

    db = sqlite3.connect(str(store))
    assert sorted(r[0] for r in db.execute("SELECT report_id FROM reports")) == ["good-1", "good-2"]
    assert db.execute("SELECT org, report_id FROM conflicts").fetchall() == [("google.com", "good-1")]
    assert db.execute("SELECT COUNT(*) FROM sources WHERE name LIKE '%good3.xml'").fetchone()[0] == 0  # retried
    assert db.execute("SELECT MAX(messages) FROM evidence").fetchone()[0] < 2 ** 40
    kept = sorted(p.name for p in quarantine.iterdir())
    assert len([k for k in kept if k.endswith(".reason.json")]) == 5 and not any(k.endswith(".tmp") for k in kept)
    reason = json.loads(next(quarantine.glob("*p1-huge-count.xml.reason.json")).read_text())
    assert "99999999999999999999" in reason["reason"]
    db.close()

    # the store works again: the next run records the report whose write failed, and nothing else
    monkeypatch.setattr(store_mod.SqliteEvidenceStore, "add_report", real_add)
    res = module_main("dmarc_reports", args)
    assert res.rc == 0, res.result
    assert res.result["totals"]["reports_new"] == 1 and res.result["changed"] is True, res.result["totals"]
    # a rerun records nothing new and changes nothing
    res = module_main("dmarc_reports", args)
    assert res.rc == 0 and res.result["changed"] is False, res.result
    assert res.result["totals"]["reports_new"] == 0 and res.result["totals"]["seen"] == 9, res.result["totals"]
    db = sqlite3.connect(str(store))
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 3
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_store_transaction_is_closed_on_every_path(tmp_path):
    s = store_mod.SqliteEvidenceStore(str(tmp_path / "e.sqlite"))
    meta = {"org": "o", "report_id": "r", "domain": DOMAIN, "day": "2026-01-01", "messages": 1, "records": 1}
    row = dict(zip(store_mod.ROW_FIELDS, ["2026-01-01", "o", "none|", "192.0.2.1", "", "", "", 2 ** 64, 0, 0, 0,
                                          0, 0, "", "operator"]))
    try:
        s.add_report(meta, [row])
        raise AssertionError("an integer past 2^63-1 was accepted")
    except store_mod.EvidenceStoreError as exc:
        assert "OverflowError" in str(exc)
    assert not s.db.in_transaction  # no BEGIN IMMEDIATE left open
    assert s.has_report("o", "r") is False  # nothing of the report kept
    row["messages"] = 2 ** 63 - 1
    assert s.add_report(meta, [row]) is True
    meta2 = dict(meta, report_id="r2")
    try:
        s.add_report(meta2, [row])  # the daily sum would pass 2^63-1 (SQLite would turn it into a REAL)
        raise AssertionError("a sum past 2^63-1 was accepted")
    except store_mod.EvidenceStoreError as exc:
        assert "2^63-1" in str(exc)
    assert not s.db.in_transaction and not s.has_report("o", "r2")
    assert s.db.execute("SELECT typeof(messages) FROM evidence").fetchall() == [("integer",)]


def test_full_evidence_store_is_one_clear_error(module_main, tmp_path, monkeypatch):
    """A store that takes no more writes (SQLite: "database or disk is full") fails the task once, naming
    evidence_path, with every source's outcome in the result; nothing is remembered, so the next run retries."""
    import sqlite3 as sq

    folder = tmp_path / "r"
    folder.mkdir()
    for n in range(3):
        (folder / ("r%d.xml" % n)).write_bytes(_report("full-%d" % n))
    store = tmp_path / "evidence.sqlite"

    def full(self, work, what):
        raise store_mod.EvidenceStoreError("cannot write to the evidence store %s (%s): %s"
                                           % (self.path, what, sq.OperationalError("database or disk is full")))

    monkeypatch.setattr(store_mod.SqliteEvidenceStore, "_transaction", full)
    res = module_main("dmarc_reports", {"paths": [str(folder)], "evidence_path": str(store),
                                        "quarantine_dir": str(tmp_path / "q")})
    assert res.rc != 0 and res.result["msg"].startswith("evidence_path: 3 source(s)"), res.result
    assert "database or disk is full" in res.result["msg"] and "Traceback" not in str(res.result)
    assert res.result["totals"]["store_failed"] == 3 and res.result["totals"]["reports_new"] == 0
    monkeypatch.undo()
    db = sq.connect(str(store))
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 0
