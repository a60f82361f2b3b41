"""The evidence gate end to end in-process: reports on disk -> dmarc_reports -> store -> dmarc advance -> BIND.

The published record is read back with a DNS query to BIND (not from the module's return), the audit log from
its file, the store from SQLite directly.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from tests.fixtures import dmarc_reports as gen

pytestmark = pytest.mark.bind


def _txt(bind, name):
    return [v.replace('" "', "").strip('"') for v in bind.query(name, "TXT")]


def _write(folder, zone, days, per_day, policy="none", testing=None, prefix="r", first_day_ago=None):
    folder.mkdir(parents=True, exist_ok=True)
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = int((today - dt.timedelta(days=first_day_ago or days)).timestamp())
    mix = (("54.240.8.10", "a8-10.smtp-out.amazonses.com", "ses", 0.999), ("192.0.2.66", "", "spoofer", 0.001))
    n = 0
    for name, data, _rep, _xml in gen.daily_reports(zone, days, per_day, start, mix=mix, policy=policy,
                                                    testing=testing, id_prefix=prefix):
        (folder / name).write_bytes(data)
        n += 1
    return n


def test_gate_refuses_then_opens_then_holds(module_main, bind, zone, rfc2136, tmp_path):
    store = str(tmp_path / "evidence.sqlite")
    audit = tmp_path / "audit.jsonl"
    ev = {"evidence_path": store, "quarantine_dir": str(tmp_path / "quarantine")}
    name = "_dmarc." + zone
    dmarc = dict(rfc2136, domain=zone, external_destinations="ignore", evidence_path=store, audit_log=str(audit))
    assert module_main("dmarc", dict(dmarc, policy="none", rua=["dmarc@" + zone])).result["changed"] is True

    # three days of reports: too little
    files = _write(tmp_path / "in", zone, days=3, per_day=2000)
    res = module_main("dmarc_reports", dict(ev, paths=[str(tmp_path / "in")]), check=True)
    assert res.rc == 0 and res.result["totals"]["reports_new"] == files and res.result["changed"] is True, res
    assert not (tmp_path / "evidence.sqlite").exists()  # check mode: no store
    res = module_main("dmarc_reports", dict(ev, paths=[str(tmp_path / "in")]))
    assert res.rc == 0 and res.result["totals"]["reports_new"] == files, res
    assert any("under the home directory" in w for w in module_main(
        "dmarc_reports", {"paths": [str(tmp_path / "in")]}, check=True).result.get("warnings", []))
    res = module_main("dmarc", dict(dmarc, advance=True), diff=True)
    assert res.rc == 0 and res.result["changed"] is False and res.result["gate"]["open"] is False, res
    assert any("fewer than min_days 14" in r for r in res.result["gate"]["reasons"])
    assert "gate shut" in res.result["diff"]["prepared"]
    assert any("gate shut" in w for w in res.result["warnings"])
    assert _txt(bind, name) == ["v=DMARC1; p=none; rua=mailto:dmarc@%s" % zone]

    # enough days, volume, reporters: one stage, and only one
    _write(tmp_path / "in", zone, days=17, per_day=2000, prefix="more", first_day_ago=20)
    res = module_main("dmarc_reports", dict(ev, paths=[str(tmp_path / "in")]))
    assert res.result["totals"]["seen"] == files and res.result["totals"]["reports_new"] > 0, res.result["totals"]
    res = module_main("dmarc", dict(dmarc, advance=True), check=True, diff=True)
    assert res.result["changed"] is True and res.result["gate"]["open"] is True, res.result["gate"]
    assert _txt(bind, name) == ["v=DMARC1; p=none; rua=mailto:dmarc@%s" % zone]  # check mode wrote nothing
    res = module_main("dmarc", dict(dmarc, advance=True), diff=True)
    assert res.result["changed"] is True and res.result["stage"] == {"policy": "quarantine", "test_mode": True}
    assert "gate open" in res.result["diff"]["prepared"]
    assert any("SPF never aligned" in n for n in res.result["gate"]["notes"])
    assert _txt(bind, name) == ["v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s" % zone]
    # the same evidence does not justify the next stage: it was gathered under p=none
    res = module_main("dmarc", dict(dmarc, advance=True))
    assert res.result["changed"] is False and res.result["gate"]["open"] is False, res.result["gate"]
    assert _txt(bind, name) == ["v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s" % zone]

    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    gates = [x for x in lines if x["action"] == "dmarc_gate"]
    assert [g["open"] for g in gates] == [False, True, False]  # check mode wrote no line
    assert gates[1]["stage_from"] == "none" and gates[1]["stage_to"] == "quarantine; t=y"
    assert gates[0]["figures"]["days"] == 3 and gates[0]["reasons"]
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(DISTINCT day) FROM evidence").fetchone()[0] == 20
    # ingesting everything again changes nothing
    before = db.execute("SELECT SUM(messages) FROM evidence").fetchone()[0]
    res = module_main("dmarc_reports", dict(ev, paths=[str(tmp_path / "in")]))
    assert res.result["changed"] is False and res.result["totals"]["reports_new"] == 0, res.result["totals"]
    assert db.execute("SELECT SUM(messages) FROM evidence").fetchone()[0] == before


def test_unreadable_store_shuts_the_gate_and_bad_input_names_the_option(module_main, bind, zone, rfc2136, tmp_path):
    bad = tmp_path / "evidence.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    dmarc = dict(rfc2136, domain=zone, external_destinations="ignore", evidence_path=str(bad),
                 audit_log=str(tmp_path / "a.jsonl"))
    module_main("dmarc", dict(dmarc, policy="none"))
    res = module_main("dmarc", dict(dmarc, advance=True))
    assert res.rc == 0 and res.result["changed"] is False, res
    assert "could not read the evidence store" in res.result["gate"]["reasons"][0]
    assert _txt(bind, "_dmarc." + zone) == ["v=DMARC1; p=none"]
    res = module_main("dmarc", dict(dmarc, advance=True, gate={"min_pass_rate": 101}))
    assert res.rc == 1 and res.result["msg"].startswith("gate: min_pass_rate"), res.result
    res = module_main("dmarc", dict(dmarc, advance=True, evidence_store="dynamodb"))
    assert res.rc == 1 and res.result["msg"].startswith("evidence_table:"), res.result
    res = module_main("dmarc_reports", {"paths": [str(tmp_path / "nope")], "evidence_path": str(tmp_path / "e.db")})
    assert res.rc == 1 and res.result["msg"].startswith("paths:"), res.result
    res = module_main("dmarc_reports", {"paths": [str(tmp_path)], "max_ratio": 0})
    assert res.rc == 1 and res.result["msg"].startswith("max_ratio:"), res.result
    res = module_main("dmarc_reports", {"evidence_path": str(tmp_path / "e.db")})
    assert res.rc == 1 and "paths" in res.result["msg"] and not res.result.get("traceback_escaped"), res.result
