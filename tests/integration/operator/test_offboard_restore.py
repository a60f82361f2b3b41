"""Offboarding puts back what onboarding found (issue 27, item 3), read back from a real BIND with dig.

- a domain without SPF: onboarding creates the apex SPF, offboarding removes it whole (no ``v=spf1 ~all`` left);
- a domain with its own SPF at TTL 300 (and another TXT beside it): onboarding merges include:amazonses.com and
  raises the TTL to 1800, offboarding gives back the old value and TTL and keeps the other TXT;
- both also when offboarding stops half-way (killed during the identity's deletion; DNS refusing updates) and the
  same command finishes it; the summary lists each change once, name, type, before and after, in both runs;
- the journal is per account and region; onboarding again afterwards succeeds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.fixtures.ansible_runner import BIN, base_env
from tests.fixtures.dns_zones import publish
from tests.integration.operator.helpers import axfr, identity_exists, rfc2136_vars

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "onboard_domain.yml")


def _offboard(bind, zone, journal):
    return rfc2136_vars(bind, zone, journal, state="absent", domain_offboard_confirm=True, domain_offboard_dmarc=True)


def _outcome(res):
    found = [r for r in res.results if r["task"].endswith("Record the outcome")]
    return found[-1]["result"]["ansible_facts"]["domain_onboarding"]


def _journal(journal, zone):
    """The one journal file of the domain, under <account>/<region>/."""
    files = list(Path(journal).glob("*/*/%s.json" % zone))
    assert len(files) <= 1, files
    return files[0] if files else None


def _rndc(bind, *args):
    proc = subprocess.run(["rndc", "-c", str(bind.dir / "rndc.conf"), *args], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)


def _descendants(pid):
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def test_no_spf_before_none_after_also_when_killed_and_resumed(ansible_playbook, sandbox, bind, zone, amazonses,
                                                               tmp_path):
    journal = tmp_path / "journal"
    before = axfr(bind, zone)
    assert not [r for r in before if r[2] == "TXT"]
    res = ansible_playbook(PLAYBOOK, extra_vars=rfc2136_vars(bind, zone, journal))
    assert res.rc == 0, res
    onboarded = axfr(bind, zone)
    apex = [r for r in onboarded if r[0] == zone + "." and r[2] == "TXT"]
    assert len(apex) == 1 and "include:amazonses.com" in apex[0][3] and apex[0][1] == 1800, apex
    assert len([r for r in onboarded if r[2] == "CNAME"]) == 3
    path = _journal(journal, zone)
    assert path.parent.name == "us-east-1" and path.parent.parent.name == "123456789012", path
    found = json.loads(path.read_text())["found"]
    assert found["%s TXT" % zone]["before"] is None and found["%s TXT" % zone]["after"]["ttl"] == 1800
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    # offboarding killed (playbook, worker, module) while SES deletes the identity: the plan is in the journal
    sandbox.post("faults", {"rules": [{"service": "sesv2", "operation": "DeleteEmailIdentity", "kind": "latency",
                                       "latency_ms": 4000}]})
    env = base_env(dict(sandbox.env()))
    proc = subprocess.Popen([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", PLAYBOOK,
                             "-e", json.dumps(_offboard(bind, zone, journal))],
                            cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        mark = sandbox.mark()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(r["operation"] == "DeleteEmailIdentity" for r in sandbox.requests(mark)):
                break
            assert proc.poll() is None, "the playbook ended before the kill"
            time.sleep(0.05)
        else:
            raise AssertionError("no DeleteEmailIdentity within 120 s")
        for pid in [proc.pid] + _descendants(proc.pid):  # by id, each one
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    sandbox.delete("faults")
    assert axfr(bind, zone) == onboarded  # killed before any DNS change
    kept = json.loads(_journal(journal, zone).read_text())["offboarding"]
    assert {(c["name"], c["type"]) for c in kept["changes"]} >= {(zone, "TXT"), ("_dmarc." + zone, "TXT")}

    res = ansible_playbook(PLAYBOOK, extra_vars=_offboard(bind, zone, journal))
    assert res.rc == 0, res
    out = _outcome(res)
    assert out["resumed_from_journal"] is True
    assert axfr(bind, zone) == before  # exactly as before onboarding: values and TTLs
    assert not identity_exists(sandbox, zone) and _journal(journal, zone) is None
    changes = {(c["name"], c["type"]): c for c in out["dns_changes"]}
    assert len(changes) == len(out["dns_changes"]) == 7, out["dns_changes"]  # 3 DKIM, MX, 2 SPF, DMARC: once each
    assert changes[(zone, "TXT")]["before"]["ttl"] == 1800 and changes[(zone, "TXT")]["after"] is None
    assert all(c["after"] is None for c in changes.values())
    assert sorted(out["records_removed"]) == sorted({n for n, _ in changes})  # each name once (deprecated)

    # onboarding again succeeds, on the zone as it was
    res = ansible_playbook(PLAYBOOK, extra_vars=rfc2136_vars(bind, zone, journal))
    assert res.rc == 0, res
    assert len([r for r in axfr(bind, zone) if r[2] == "CNAME"]) == 3


def test_own_spf_at_ttl_300_comes_back_also_when_dns_stops_half_way(ansible_playbook, sandbox, bind, zone,
                                                                    amazonses, tmp_path):
    journal = tmp_path / "journal"
    publish(bind, zone, [(zone, "TXT", "v=spf1 mx -all"), (zone, "TXT", "site-verification=abc123"),
                         ("mail." + zone, "A", "192.0.2.25")])
    before = axfr(bind, zone)
    assert {(r[1], r[3]) for r in before if r[0] == zone + "." and r[2] == "TXT"} == {
        (300, '"v=spf1 mx -all"'), (300, '"site-verification=abc123"')}
    res = ansible_playbook(PLAYBOOK, extra_vars=rfc2136_vars(bind, zone, journal))
    assert res.rc == 0, res
    onboarded = axfr(bind, zone)
    apex = {(r[1], r[3]) for r in onboarded if r[0] == zone + "." and r[2] == "TXT"}
    assert apex == {(1800, '"v=spf1 mx include:amazonses.com -all"'), (1800, '"site-verification=abc123"')}, apex

    # DNS refuses updates (zone frozen) after the identity is deleted: the run fails, nothing of DNS changed
    _rndc(bind, "freeze", zone)
    try:
        res = ansible_playbook(PLAYBOOK, extra_vars=_offboard(bind, zone, journal))
    finally:
        _rndc(bind, "thaw", zone)
    assert res.rc != 0, res
    assert not identity_exists(sandbox, zone)
    assert axfr(bind, zone) == onboarded
    first = json.loads(_journal(journal, zone).read_text())["offboarding"]["changes"]

    res = ansible_playbook(PLAYBOOK, extra_vars=_offboard(bind, zone, journal))
    assert res.rc == 0, res
    assert axfr(bind, zone) == before  # the old SPF, the other TXT, TTL 300, the A record beside the MX
    out = _outcome(res)
    assert out["resumed_from_journal"] is True and out["dns_changes"] == first
    apex_change = [c for c in out["dns_changes"] if (c["name"], c["type"]) == (zone, "TXT")]
    assert apex_change == [{"name": zone, "type": "TXT",
                            "before": {"ttl": 1800, "values": ["site-verification=abc123",
                                                               "v=spf1 mx include:amazonses.com -all"]},
                            "after": {"ttl": 300, "values": ["site-verification=abc123", "v=spf1 mx -all"]}}]
    assert zone not in out["records_removed"]  # edited back, not removed

    res = ansible_playbook(PLAYBOOK, extra_vars=rfc2136_vars(bind, zone, journal))
    assert res.rc == 0, res
    assert identity_exists(sandbox, zone)


def test_email_identity_info_names_the_account_and_region_the_journal_is_kept_under(module_main, sandbox):
    res = module_main("email_identity_info", {"identity": "nothing-here.test", "account": True})
    assert res.rc == 0, res.result
    who = sandbox.boto3_client("sts").get_caller_identity()
    assert res.result["account"] == {"id": who["Account"], "region": sandbox.env()["AWS_REGION"]}
    plain = module_main("email_identity_info", {"identity": "nothing-here.test"})
    assert "account" not in plain.result  # no STS call unless asked
