"""posture_info against a sandbox fleet seeded with every finding: each domain gets exactly its findings.

In-process (module_main): the module's logic is the point here. The playbook and the browser rendering are in
test_posture_report.py.
"""

from __future__ import annotations

import csv
import json


from tests.integration.posture.seed import EXPECTED, PARKED_EXPECTED


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
    # the verdicts follow DKIM / DMARC: the healthy domain passes, a stuck one and the one without DMARC fail
    verdict = {r["domain"]: r["verdicts"].get("gmail", {}).get("verdict") for r in out["domains"]}
    assert verdict[names["good"]] == "pass" and verdict[names["fallback"]] == "pass"
    assert verdict[names["nohost"]] == "fail" and verdict[names["nodmarc"]] == "fail"
    assert verdict[names["nosign"]] == "fail"
    good = next(r for r in out["domains"] if r["domain"] == names["good"])
    assert good["verdicts"]["microsoft"]["spf_aligned"] is True
    assert any("unsubscribe" in x for x in good["verdicts"]["yahoo"]["not_checked"])

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
