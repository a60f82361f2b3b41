"""posture_info against a sandbox fleet seeded with every finding: each domain gets exactly its findings.

In-process (module_main): the module's logic is the point here. The playbook and the browser rendering are in
test_posture_report.py.
"""

from __future__ import annotations

import csv
import json


import pytest

from tests.fixtures.names import unique
from tests.fixtures.dns_proxy import BrokenZoneResolver, closed_port
from tests.integration.posture.seed import EXPECTED, PARKED_EXPECTED, PROVIDERS_FAIL, PROVIDERS_PASS, SES_SIDE, seed


def _ids(result):
    return {r["domain"]: sorted(f["id"] for f in r["findings"]) for r in result["domains"]}


def test_each_seeded_domain_gets_exactly_its_findings(module_main, sandbox, bind, fleet, tmp_path):
    zone, names, parked = fleet
    mark = sandbox.mark()
    args = {"nameservers": [bind.server], "parked_domains": list(parked.values()), "workers": 4,
            "json_path": str(tmp_path / "p.json"), "csv_path": str(tmp_path / "p.csv"),
            "history_path": str(tmp_path / "h.jsonl")}
    res = module_main("posture_info", args)
    assert res.rc == 0, res.result
    out = res.result
    assert out["changed"] is False
    got = _ids(out)
    want = {names[label]: ids for label, ids in EXPECTED.items()}
    want.update({parked[label]: ids for label, ids in PARKED_EXPECTED.items()})
    assert got == want
    # the account of a new AWS account is sandboxed
    assert [f["id"] for f in out["account"]["findings"]] == ["account_sandboxed"]
    assert out["status"] == "findings"  # high and critical findings exist
    # read-only: no write call at all
    assert sandbox.mutating_calls(since=mark) == []
    # every finding has a severity and a fix
    for r in out["domains"]:
        for f in r["findings"]:
            assert f["severity"] in ("critical", "high", "medium", "low", "info") and f["fix"]
    # the verdicts follow the rules the providers publish: SPF on the MAIL FROM used, DKIM, DMARC, and whether SES
    # sends at all - the MAIL FROM whose SPF refuses SES and the unverified one with REJECT_MESSAGE fail everywhere
    by_domain = {r["domain"]: r for r in out["domains"]}
    for provider in ("gmail", "yahoo", "microsoft"):
        verdict = {label: by_domain[names[label]]["verdicts"][provider]["verdict"] for label in EXPECTED}
        assert {label for label, v in verdict.items() if v == "fail"} == set(PROVIDERS_FAIL), (provider, verdict)
        assert {label for label, v in verdict.items() if v == "pass"} == set(PROVIDERS_PASS), (provider, verdict)
        assert "unknown" not in verdict.values() and not [r for r in out["domains"] if r["could_not_look"]]
    rules = {x["rule"]: x for x in by_domain[names["mfspf"]]["verdicts"]["microsoft"]["rules"]}
    assert rules["spf_pass"]["status"] == "fail" and "2025-05-05" in rules["spf_pass"]["source"]
    assert any("REJECT_MESSAGE" in x for x in by_domain[names["mfreject"]]["verdicts"]["gmail"]["reasons"])
    good = by_domain[names["good"]]
    assert good["verdicts"]["microsoft"]["spf_aligned"] is True
    nomf = {x["rule"]: x for x in by_domain[names["nomf"]]["verdicts"]["yahoo"]["rules"]}
    assert nomf["spf_pass"]["status"] == "pass" and "DMARC rests on DKIM alone" in nomf["spf_pass"]["why"]
    assert by_domain[names["nomf"]]["verdicts"]["yahoo"]["spf_aligned"] is False
    assert any("unsubscribe" in x for x in good["verdicts"]["yahoo"]["not_checked"])
    assert out["summary"]["need_action"] == len([v for v in want.values() if v])
    assert out["summary"]["could_not_look"] == 0
    assert out["summary"]["per_problem"]["dmarc_policy_none"]["names"] == [names["pnone"]]

    # the files say the same: CSV one row per finding, JSON the whole result, one trend row
    rows = list(csv.DictReader(open(tmp_path / "p.csv", encoding="utf-8")))
    by_domain = {}
    for row in rows:
        by_domain.setdefault(row["domain"], []).append(row["id"])
    assert {d: sorted(v) for d, v in by_domain.items() if d != "(account)"} == {d: v for d, v in want.items() if v}
    assert json.load(open(tmp_path / "p.json"))["summary"] == out["summary"]
    assert len(open(tmp_path / "h.jsonl").read().splitlines()) == 1


def test_findings_match_what_ses_and_dns_say(sandbox, bind, fleet, module_main):
    """Read the seeded state back independently (boto3, BIND) for the findings that name a fact."""
    zone, names, parked = fleet
    ses = sandbox.boto3_client("sesv2")
    info = {label: ses.get_email_identity(EmailIdentity=names[label]) for label in EXPECTED}
    for label, code in (("nohost", "HOST_NOT_FOUND"), ("notype", "TYPE_NOT_FOUND"), ("wrong", "INVALID_VALUE"),
                        ("svc", "SERVICE_ERROR")):
        assert info[label]["VerificationInfo"]["ErrorType"] == code
    assert info["good"]["VerificationStatus"] == "SUCCESS" and "ErrorType" not in info["good"]["VerificationInfo"]
    assert info["key1024"]["DkimAttributes"]["CurrentSigningKeyLength"] == "RSA_1024_BIT"
    assert info["fallback"]["MailFromAttributes"]["BehaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
    assert info["nosign"]["DkimAttributes"]["SigningEnabled"] is False
    assert ses.get_configuration_set(ConfigurationSetName="posture-nosupp")["SuppressionOptions"][
        "SuppressedReasons"] == []
    assert bind.query(parked["parked"], "MX") == ["10 mx.example.net."]
    assert bind.query(parked["parkedok"], "MX") == ["0 ."]
    spf11 = bind.query(names["spf11"], "TXT")[0].replace('" "', "")  # the record's strings joined
    assert spf11.count("include:") == 11
    assert bind.query("_dmarc." + names["pct"], "TXT")[0].find("pct=50") > 0


def test_production_access_and_a_given_list(module_main, sandbox, bind, fleet, tmp_path):
    zone, names, parked = fleet
    sandbox.post("account", {"production_access": True})
    res = module_main("posture_info", {"domains": [names["good"], names["fallback"]], "nameservers": [bind.server],
                                       "fail_on": "medium"})
    assert res.rc == 0, res.result
    assert res.result["account"]["findings"] == []
    assert _ids(res.result) == {names["good"]: [], names["fallback"]: ["mail_from_fallback"]}
    assert res.result["status"] == "findings"  # mail_from_fallback is medium
    res = module_main("posture_info", {"domains": [names["good"]], "nameservers": [bind.server]})
    assert res.result["status"] == "clean"
    # an identity SES does not know, asked for by name
    res = module_main("posture_info", {"domains": ["absent." + zone], "nameservers": [bind.server]})
    absent = res.result["domains"][0]
    assert absent["findings"][0]["id"] == "identity_missing" and absent["worst"] == "critical"


def test_check_mode_writes_nothing(module_main, sandbox, bind, fleet, tmp_path):
    zone, names, parked = fleet
    args = {"domains": [names["good"]], "nameservers": [bind.server], "html_path": str(tmp_path / "r.html"),
            "history_path": str(tmp_path / "h.jsonl"), "csv_path": str(tmp_path / "r.csv")}
    res = module_main("posture_info", args, check=True)
    assert res.rc == 0 and res.result["files"] == {}
    assert list(tmp_path.iterdir()) == []


def test_bad_input_names_the_option(module_main, sandbox):
    for args, option in (({"workers": 0}, "workers"), ({"dns_timeout": 0}, "dns_timeout"),
                         ({"domains": ["not a domain!"]}, "domains[0]"),
                         ({"domains": ["a.test"], "parked_domains": ["a.test"]}, "parked_domains[0]"),
                         ({"fail_on": "sometimes"}, "fail_on")):
        res = module_main("posture_info", args)
        assert res.rc != 0 and option in res.result["msg"], (args, res.result)
        assert "Traceback" not in json.dumps(res.result)


def test_could_not_look_when_ses_fails(module_main, sandbox, bind):
    sandbox.post("faults", {"rules": [{"operation": "GetAccount", "kind": "error"}]})
    res = module_main("posture_info", {"nameservers": [bind.server], "max_attempts": 2})
    assert res.rc != 0
    assert res.result["operation"] == "GetAccount" and res.result["error_code"] == "InternalFailure"
    assert "could not read the account" in res.result["msg"]


def test_dmarc_evidence_stage_when_the_store_exists(module_main, sandbox, bind, fleet, tmp_path):
    from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import SqliteEvidenceStore
    zone, names, parked = fleet
    store = tmp_path / "evidence.sqlite"
    args = {"domains": [names["good"], names["pct"]], "nameservers": [bind.server], "evidence_path": str(store)}
    res = module_main("posture_info", args)
    assert res.rc == 0 and res.result["evidence"]["available"] is False
    assert "evidence" not in res.result["domains"][0]
    assert not store.exists()  # read-only: a missing store is not created
    SqliteEvidenceStore(str(store)).close()  # an empty store: the stage is reported, the gate is shut
    res = module_main("posture_info", args)
    assert res.rc == 0 and res.result["evidence"]["available"] is True, res.result
    stages = {r["domain"]: r["evidence"] for r in res.result["domains"]}
    assert stages[names["good"]]["published"] == "reject"
    assert stages[names["pct"]]["published"] == "quarantine; pct=50"
    assert stages[names["pct"]]["gate_open"] is False
    assert any("no DMARC aggregate reports" in r for r in stages[names["pct"]]["reasons"]), stages
    # a shut gate is not a finding; the domains keep exactly their findings
    assert "dmarc_ready_to_advance" not in {f["id"] for r in res.result["domains"] for f in r["findings"]}


def _outage_ids(labels):
    """What each domain may still get when DNS cannot be read: SES's own answers, nothing from DNS."""
    return {label: sorted(i for i in ids if i in SES_SIDE) for label, ids in labels.items()}


def test_resolver_unreachable_every_domain_could_not_look_and_no_dns_finding(module_main, sandbox, bind, fleet):
    zone, names, parked = fleet
    args = {"nameservers": ["127.0.0.1:%d" % closed_port()], "dns_timeout": 1,
            "parked_domains": list(parked.values()), "workers": 4}
    mark = sandbox.mark()
    res = module_main("posture_info", args)
    out = res.result
    assert res.rc == 0 and out["status"] == "could_not_look", out
    assert sandbox.mutating_calls(since=mark) == []
    everyone = set(names.values()) | set(parked.values())
    assert out["summary"]["could_not_look"] == len(everyone) == 24
    assert set(out["summary"]["could_not_look_domains"]) == everyone
    assert out["stats"]["dns_queries"] <= 8 + 4  # the breaker: a dead resolver costs 8 timeouts (+ those in flight)
    by_domain = {r["domain"]: r for r in out["domains"]}
    assert all(r["could_not_look"] and r["unknown"] for r in out["domains"])
    # no finding from DNS and no fix telling anyone to publish what may exist: only SES's own answers remain
    want = {names[label]: ids for label, ids in _outage_ids(EXPECTED).items()}
    want.update({parked[label]: [] for label in PARKED_EXPECTED})
    assert _ids(out) == want
    assert [f for r in out["domains"] for f in r["findings"] if f["area"] == "dns"] == []
    assert by_domain[names["good"]]["findings"] == []
    # no pass anywhere; a fail only where SES itself decided it (not verified, not signing, refusing to send)
    ses_decided = {names[label] for label in ("nohost", "notype", "wrong", "svc", "nosign", "mfreject")}
    for r in out["domains"]:
        assert all("could not" in u["error"] for u in r["unknown"]), r["unknown"]
        for provider, v in r["verdicts"].items():
            assert v["verdict"] == ("fail" if r["domain"] in ses_decided else "unknown"), (r["domain"], provider, v)
            assert not [x for x in v["rules"] if x["status"] == "fail" and x["rule"] == "dmarc_published"], v
    good_verdicts = by_domain[names["good"]]["verdicts"]
    assert {v["verdict"] for v in good_verdicts.values()} == {"unknown"}
    assert all(v["reasons"] == [] for v in good_verdicts.values())


@pytest.fixture
def broken_zone_fleet(sandbox, bind, amazonses, fleet):
    """The seeded fleet, plus a second zone whose servers a resolver cannot reach (it answers SERVFAIL)."""
    zone, names, parked = fleet
    other = unique("pzdown")
    bind.add_zone(other)
    names2, parked2 = seed(sandbox, bind, other, labels=["good", "pnone", "nodmarc"], parked_labels=["parkedok"])
    proxy = BrokenZoneResolver(bind.port, [other])
    yield zone, names, parked, other, names2, parked2, proxy
    proxy.close()


def test_one_zone_unreachable_only_its_domains_are_unknown(module_main, sandbox, broken_zone_fleet):
    zone, names, parked, other, names2, parked2, proxy = broken_zone_fleet
    args = {"nameservers": [proxy.server], "dns_timeout": 2, "workers": 4,
            "parked_domains": list(parked.values()) + list(parked2.values())}
    out = module_main("posture_info", args).result
    assert out["status"] == "could_not_look", out
    assert any(rcode == "SERVFAIL" for name, rtype, rcode in proxy.asked)  # the proxy did fail that zone
    down = set(names2.values()) | set(parked2.values())
    assert set(out["summary"]["could_not_look_domains"]) == down
    want = {names[label]: ids for label, ids in EXPECTED.items()}
    want.update({parked[label]: ids for label, ids in PARKED_EXPECTED.items()})
    want.update({names2[label]: ids for label, ids in _outage_ids({k: EXPECTED[k] for k in names2}).items()})
    want.update({parked2["parkedok"]: []})
    assert _ids(out) == want  # the reachable zone is judged exactly as with all DNS up
    by_domain = {r["domain"]: r for r in out["domains"]}
    for d in down:
        assert by_domain[d]["could_not_look"] and all("SERVFAIL" in u["error"] for u in by_domain[d]["unknown"])
        assert {v["verdict"] for v in by_domain[d]["verdicts"].values()} <= {"unknown"}
    assert by_domain[names["good"]]["verdicts"]["gmail"]["verdict"] == "pass"
