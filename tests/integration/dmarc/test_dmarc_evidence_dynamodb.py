"""The shared evidence store (DynamoDB, sandbox): same contract as SQLite - one item per report, re-ingest adds
nothing, check mode writes nothing, the gate reads the window back. In-process (module_main)."""

from __future__ import annotations

import datetime as dt

from tests.fixtures import dmarc_reports as gen


def _files(folder, domain, days):
    folder.mkdir(parents=True, exist_ok=True)
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = int((today - dt.timedelta(days=days)).timestamp())
    mix = (("54.240.8.10", "", "ses", 0.995), ("192.0.2.66", "", "spoofer", 0.005))
    for name, data, _rep, _xml in gen.daily_reports(domain, days, 4000, start, mix=mix):
        (folder / name).write_bytes(data)
    return days * len(gen.REPORTERS)


def test_dynamodb_store_is_idempotent_and_feeds_the_gate(sandbox, module_main, tmp_path):
    domain = "shared.example.test"
    n = _files(tmp_path / "in", domain, days=15)
    args = {"paths": [str(tmp_path / "in")], "evidence_store": "dynamodb", "evidence_table": "dmarc-evidence",
            "evidence_create_table": True, "quarantine_dir": str(tmp_path / "q")}
    mark = sandbox.mark()
    res = module_main("dmarc_reports", args, check=True)
    assert res.rc == 0 and res.result["totals"]["reports_new"] == n, res.result
    assert sandbox.mutating_calls(since=mark) == []  # check mode: no table, no item
    res = module_main("dmarc_reports", args)
    assert res.rc == 0 and res.result["changed"] is True and res.result["totals"]["reports_new"] == n, res.result
    assert not any("home directory" in w for w in res.result.get("warnings", []))
    ddb = sandbox.boto3_client("dynamodb")
    items = ddb.scan(TableName="dmarc-evidence")["Items"]
    assert sum(1 for i in items if i["pk"]["S"].startswith("D#" + domain)) == n
    assert sum(1 for i in items if i["pk"]["S"].startswith("R#")) == n
    mark = sandbox.mark()
    res = module_main("dmarc_reports", args)
    assert res.result["changed"] is False and res.result["totals"]["seen"] == n, res.result["totals"]
    assert [c for c in sandbox.mutating_calls(since=mark, service="dynamodb")] == []
    res = module_main("dmarc_evidence", {"domains": [domain], "records": {domain: "v=DMARC1; p=none"},
                                         "evidence_store": "dynamodb", "evidence_table": "dmarc-evidence"})
    entry = res.result["domains"][0]
    assert entry["decision"]["open"] is True, entry["decision"]["reasons"]
    assert entry["decision"]["figures"]["days"] == 15 and entry["next_stage"] == "quarantine; t=y"
    # a missing table is "could not look": the gate stays shut, the task does not fail
    res = module_main("dmarc_evidence", {"domains": [domain], "records": {domain: "v=DMARC1; p=none"},
                                         "evidence_store": "dynamodb", "evidence_table": "nope"})
    assert res.rc == 0 and res.result["domains"][0]["decision"]["open"] is False
    assert "does not exist" in res.result["domains"][0]["decision"]["reasons"][0]
