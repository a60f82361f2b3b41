"""RFC 9989 records through the dmarc module's real main() (in-process) against BIND, read back with dig."""

from __future__ import annotations

import pytest

from tests.fixtures.dns_zones import publish

pytestmark = pytest.mark.bind


def _txt(bind, name):
    return [v.replace('" "', "").strip('"') for v in bind.query(name, "TXT")]


def test_legacy_record_kept_reported_and_migrated_only_when_asked(module_main, bind, zone, rfc2136):
    name = "_dmarc." + zone
    legacy = "v=DMARC1; p=quarantine; pct=25; rua=mailto:d@%s; ri=86400" % zone
    publish(bind, zone, [(name, "TXT", legacy)])
    args = dict(rfc2136, domain=zone, external_destinations="ignore")
    res = module_main("dmarc", args)
    assert res.rc == 0 and res.result["changed"] is False, res
    assert res.result["obsolete_tags"] == ["pct", "ri"] and res.result["migrations"] == []
    assert any("removed by RFC 9989" in w for w in res.result.get("warnings", [])), res.result["warnings"]
    # migration: check mode predicts it with a diff and writes nothing
    res = module_main("dmarc", dict(args, migrate_legacy=True), check=True, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert res.result["record"] == "v=DMARC1; p=quarantine; t=y; rua=mailto:d@%s" % zone
    assert res.result["migrations"] == ["pct=25 became t=y (test mode)", "ri=86400 dropped (RFC 9989 removed it)"]
    assert "pct=25" in str(res.result["diff"]) and "t=y" in str(res.result["diff"])
    assert _txt(bind, name) == [legacy]
    res = module_main("dmarc", dict(args, migrate_legacy=True))
    assert res.rc == 0 and res.result["changed"] is True and res.result["downgrades"] == [], res
    assert _txt(bind, name) == ["v=DMARC1; p=quarantine; t=y; rua=mailto:d@%s" % zone]
    assert module_main("dmarc", dict(args, migrate_legacy=True)).result["changed"] is False


def test_refused_request_writes_nothing_and_np_psd_t_round_trip(module_main, bind, zone, rfc2136):
    name = "_dmarc." + zone
    args = dict(rfc2136, domain=zone, external_destinations="ignore")
    res = module_main("dmarc", dict(args, policy="reject", nonexistent_policy="reject", psd="n"))
    assert res.rc == 0 and res.result["changed"] is True, res
    assert _txt(bind, name) == ["v=DMARC1; p=reject; np=reject; psd=n"]
    # t=y at the same p weakens it: refused as a whole, even the rua asked for with it
    res = module_main("dmarc", dict(args, test_mode=True, rua=["d@" + zone]))
    assert res.rc == 0 and res.result["changed"] is False and res.result["downgrade_refused"] is True, res
    assert _txt(bind, name) == ["v=DMARC1; p=reject; np=reject; psd=n"]
    res = module_main("dmarc", dict(args, nonexistent_policy="quarantine"))
    assert res.result["downgrades"] == [{"tag": "np", "current": "reject", "requested": "quarantine"}]
    assert _txt(bind, name) == ["v=DMARC1; p=reject; np=reject; psd=n"]
    res = module_main("dmarc", dict(args, test_mode=True, allow_downgrade=True))
    assert res.result["changed"] is True and _txt(bind, name) == ["v=DMARC1; p=reject; np=reject; psd=n; t=y"]
    res = module_main("dmarc", dict(args, test_mode=False))
    assert res.result["changed"] is True and _txt(bind, name) == ["v=DMARC1; p=reject; np=reject; psd=n"]
    assert module_main("dmarc", dict(args, test_mode=False)).result["changed"] is False


def test_advance_from_legacy_pct_drops_it_and_sp_np_follow(module_main, bind, zone, rfc2136):
    name = "_dmarc." + zone
    publish(bind, zone, [(name, "TXT", "v=DMARC1; p=quarantine; sp=none; pct=50")])
    res = module_main("dmarc", dict(rfc2136, domain=zone, advance=True, require_evidence=False,
                                    external_destinations="ignore"))
    assert res.rc == 0 and res.result["stage"] == {"policy": "quarantine", "test_mode": False}, res
    assert _txt(bind, name) == ["v=DMARC1; p=quarantine; sp=quarantine"]
