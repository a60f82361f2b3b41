"""domain_policy's dmarc.advance asks the same evidence gate as the dmarc module (in-process, BIND, sandbox)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.fixtures import dmarc_reports as gen
from tests.fixtures.dns_zones import publish
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind


def _txt(bind, name):
    return [v.replace('" "', "").strip('"') for v in bind.query(name, "TXT")]


def test_fleet_advances_only_the_domain_with_evidence(module_main, sandbox, bind, tmp_path):
    zone = unique("gate-")
    bind.add_zone(zone)
    ready, blind = "ready." + zone, "blind." + zone
    publish(bind, zone, [("_dmarc." + ready, "TXT", "v=DMARC1; p=none"), ("_dmarc." + blind, "TXT", "v=DMARC1; p=none")])
    folder = tmp_path / "reports"
    folder.mkdir()
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    mix = (("54.240.8.10", "", "ses", 0.998), ("192.0.2.66", "", "spoofer", 0.002))
    for name, data, _rep, _xml in gen.daily_reports(ready, 16, 4000, int((today - dt.timedelta(days=16)).timestamp()),
                                                    mix=mix):
        (folder / name).write_bytes(data)
    store = str(tmp_path / "evidence.sqlite")
    assert module_main("dmarc_reports", {"paths": [str(folder)], "evidence_path": store}).result["changed"] is True
    audit = tmp_path / "audit.jsonl"
    args = {"domains": [ready, blind], "zone": zone, "provider": "rfc2136", "server": bind.server,
            "key_name": bind.key_name, "key_secret": bind.key_secret, "spf": {"enabled": False}, "workers": 2,
            "dmarc": {"advance": True}, "evidence_path": store, "audit_log": str(audit)}
    res = module_main("domain_policy", args, check=True, diff=True)
    assert res.rc == 0, res.result
    prepared = [d["prepared"] for d in res.result["diff"] if "prepared" in d]
    assert any(p.startswith(ready + ": gate open") for p in prepared), prepared
    assert any(p.startswith(blind + ": gate shut") for p in prepared), prepared
    by = {d["domain"]: d for d in res.result["domains"]}
    assert by[ready]["dmarc"]["gate"]["open"] is True and by[blind]["dmarc"]["gate"]["open"] is False
    assert _txt(bind, "_dmarc." + ready) == ["v=DMARC1; p=none"] and not audit.exists()  # check mode
    res = module_main("domain_policy", args)
    assert res.rc == 0, res.result
    assert _txt(bind, "_dmarc." + ready) == ["v=DMARC1; p=quarantine; t=y"]
    assert _txt(bind, "_dmarc." + blind) == ["v=DMARC1; p=none"]
    by = {d["domain"]: d for d in res.result["domains"]}
    assert "no DMARC aggregate reports" in by[blind]["dmarc"]["gate"]["reasons"][0]
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert sorted((x["domain"], x["open"]) for x in lines) == [(blind, False), (ready, True)]
    # second run: the evidence was gathered under p=none; nothing moves
    res = module_main("domain_policy", args)
    assert _txt(bind, "_dmarc." + ready) == ["v=DMARC1; p=quarantine; t=y"]
    assert not any(d.get("dns_changes") for d in res.result["domains"]), res.result["domains"]
