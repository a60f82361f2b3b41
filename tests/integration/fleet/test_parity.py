"""One table of guard-rail and record cases, run through the single modules (spf, dmarc) AND domain_policy.

Every case runs twice against the same BIND, once per path, on its own domain (``s-<case>`` for the single
module, ``f-<case>`` for domain_policy, all fleet cases in ONE domain_policy call): both paths must refuse the
same requests with the same reason, give the same warnings and leave the same records, read back from BIND.
In-process (module_main): the modules' logic is the point here, not the controller.
"""

from __future__ import annotations

import pytest

from tests.fixtures.dns_zones import publish
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind

REPORTS = "reports.test"  # a zone of the session's BIND, outside every case's domain
UNRESOLVABLE = unique("spf.elsewhere-")  # served by no server here: its lookup cannot be made


def spf_case(cid, mechanisms, refused=None, warned=None, record=None, force=False, setup=()):
    return {"id": cid, "kind": "spf", "mechanisms": mechanisms, "force": force, "setup": setup, "refused": refused,
            "warned": warned, "record": record}


def dmarc_case(cid, options, published=None, refused=None, warned=None, record=None, setup=()):
    return {"id": cid, "kind": "dmarc", "options": options, "published": published, "setup": setup,
            "refused": refused, "warned": warned, "record": record}


def _includes(n):
    return ["include:i%d.{z}" % i for i in range(1, n + 1)]


# the shared zone data (every name under {z}): include targets, loops, a name with two SPF records
ZONE_DATA = ([("i%d.{z}" % i, "TXT", "v=spf1 ip4:192.0.2.%d -all" % i) for i in range(1, 12)] +
             [("two.{z}", "TXT", "v=spf1 ip4:192.0.2.1 -all"), ("two.{z}", "TXT", "v=spf1 ip4:192.0.2.2 -all"),
              ("loopa.{z}", "TXT", "v=spf1 include:loopb.{z} -all"), ("loopb.{z}", "TXT", "v=spf1 include:loopa.{z} -all"),
              ("nospf.{z}", "TXT", "just a verification token")])
# more than 255 bytes with non-ASCII addresses where the string boundary falls: split on UTF-8 boundaries
LONG_RUA = ["mailto:r%02d-é@{d}" % i for i in range(14)]
LONG_RECORD = "v=DMARC1; p=quarantine; rua=" + ",".join(LONG_RUA)
CASES = [
    spf_case("spf-new", ["include:amazonses.com"], record="v=spf1 include:amazonses.com ~all"),
    spf_case("spf-eleven", _includes(11), refused="it would need 11 DNS lookups (limit 10; now 0)"),
    spf_case("spf-forced", _includes(11), force=True, warned="force=true: publishing the SPF record",
             record="v=spf1 " + " ".join(_includes(11)) + " ~all"),
    spf_case("spf-nospf", ["include:nospf.{z}"], refused="nospf.{z} has no SPF record (permerror)"),
    spf_case("spf-self", ["include:{d}"], refused="include loop at {d}"),
    spf_case("spf-loop", ["include:loopa.{z}"], refused="include loop at loopa.{z}"),
    spf_case("spf-two", ["include:two.{z}"], refused="two.{z} has 2 SPF records"),
    spf_case("spf-refused", ["include:" + UNRESOLVABLE],
             refused=UNRESOLVABLE + " TXT: the lookup could not be made"),
    spf_case("spf-void", ["a:v1.{z}", "a:v2.{z}", "a:v3.{z}"], refused="3 void lookups (limit 2)"),
    spf_case("spf-merge", ["include:amazonses.com"], setup=[("{d}", "TXT", "v=spf1 ip4:198.51.100.0/24 -all"),
                                                            ("{d}", "TXT", "site-verification=1")],
             record="v=spf1 ip4:198.51.100.0/24 include:amazonses.com -all"),
    dmarc_case("dm-down", {"policy": "none"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC p of {d} from reject to none", record="v=DMARC1; p=reject"),
    dmarc_case("dm-down-false", {"policy": "none", "allow_downgrade": False}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC p", record="v=DMARC1; p=reject"),
    dmarc_case("dm-down-str-false", {"policy": "none", "allow_downgrade": "false"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC p", record="v=DMARC1; p=reject"),
    dmarc_case("dm-down-str-no", {"policy": "none", "allow_downgrade": "no"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC p", record="v=DMARC1; p=reject"),
    dmarc_case("dm-down-str-0", {"policy": "none", "allow_downgrade": "0"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC p", record="v=DMARC1; p=reject"),
    dmarc_case("dm-down-allowed", {"policy": "none", "allow_downgrade": True}, published="v=DMARC1; p=reject",
               warned="allow_downgrade=true: DMARC p of {d} weakened", record="v=DMARC1; p=none"),
    dmarc_case("dm-down-str-yes", {"policy": "none", "allow_downgrade": "yes"}, published="v=DMARC1; p=reject",
               warned="allow_downgrade=true", record="v=DMARC1; p=none"),
    dmarc_case("dm-sp", {"subdomain_policy": "none"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC sp of {d} from reject to none", record="v=DMARC1; p=reject"),
    dmarc_case("dm-np", {"nonexistent_policy": "none"}, published="v=DMARC1; p=reject",
               warned="refused to weaken DMARC np of {d} from reject to none", record="v=DMARC1; p=reject"),
    dmarc_case("dm-rua-outside", {"policy": "none", "rua": ["d@" + REPORTS]},
               warned="reports.test does not authorise DMARC reports for {d}",
               record="v=DMARC1; p=none; rua=mailto:d@" + REPORTS),
    dmarc_case("dm-rua-authorised", {"policy": "none", "rua": ["d@" + REPORTS]},
               setup=[("{d}._report._dmarc." + REPORTS, "TXT", "v=DMARC1")],
               record="v=DMARC1; p=none; rua=mailto:d@" + REPORTS),
    dmarc_case("dm-long-utf8", {"policy": "quarantine", "rua": LONG_RUA}, record=LONG_RECORD),
    # issue 23: asking for the policy again keeps t=y, and both paths say so, naming test_mode
    dmarc_case("dm-test-mode-kept", {"policy": "quarantine"}, published="v=DMARC1; p=quarantine; t=y",
               warned="_dmarc.{d} keeps t=y (test mode): receivers apply p=none, not p=quarantine; set test_mode=false",
               record="v=DMARC1; p=quarantine; t=y"),
    dmarc_case("dm-test-mode-left", {"policy": "quarantine", "test_mode": False}, published="v=DMARC1; p=quarantine; t=y",
               record="v=DMARC1; p=quarantine"),
]


def _fill(text, d, z):
    return text.replace("{d}", d).replace("{z}", z)


def _txt(bind, name):
    """The logical TXT values at name as BIND serves them (strings of one record joined, UTF-8 decoded)."""
    import dns.message
    import dns.query
    import dns.rdatatype
    resp = dns.query.tcp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=bind.port, timeout=3)
    return sorted(b"".join(rd.strings).decode("utf-8") for rr in resp.answer if rr.rdtype == dns.rdatatype.TXT
                  for rd in rr)


def _spf_of(bind, name):
    return [v for v in _txt(bind, name) if v.startswith("v=spf1")]


@pytest.fixture
def parity_zone(bind):
    zone = unique("par")
    bind.add_zone(zone)
    publish(bind, zone, [(_fill(n, "", zone), t, _fill(v, "", zone)) for n, t, v in ZONE_DATA])
    return zone


def _setup(bind, zone, case, d):
    records = [(_fill(n, d, zone), t, _fill(v, d, zone)) for n, t, v in case["setup"]]
    if case.get("published"):
        records.append(("_dmarc." + d, "TXT", case["published"]))
    own = [r for r in records if not r[0].endswith("." + REPORTS)]
    if own:
        publish(bind, zone, own)
    if len(own) < len(records):
        publish(bind, REPORTS, [r for r in records if r[0].endswith("." + REPORTS)])


def _outcome(bind, case, d, z, refused_msg, warnings):
    """What a path did with a case: the refusal (None or its message), the matching warnings, the record."""
    name = d if case["kind"] == "spf" else "_dmarc." + d
    values = _spf_of(bind, name) if case["kind"] == "spf" else _txt(bind, name)
    norm = lambda s: s.replace(d, "{d}").replace(z, "{z}")  # noqa: E731 - both paths in one vocabulary
    return {"refused": norm(refused_msg) if refused_msg else None,
            "warnings": sorted(norm(w) for w in warnings if ("SPF" in w) == (case["kind"] == "spf")),
            "records": [norm(v) for v in values]}


def test_single_modules_and_domain_policy_agree(module_main, sandbox, bind, parity_zone):
    zone = parity_zone
    rfc = {"provider": "rfc2136", "zone": zone, "server": bind.server, "key_name": bind.key_name,
           "key_secret": bind.key_secret, "nameservers": [bind.server]}
    single, fleet_entries = {}, []
    for case in CASES:
        d_single, d_fleet = "s-%s.%s" % (case["id"], zone), "f-%s.%s" % (case["id"], zone)
        _setup(bind, zone, case, d_single)
        _setup(bind, zone, case, d_fleet)
        if case["kind"] == "spf":
            args = dict(rfc, domain=d_single, mechanisms=[_fill(m, d_single, zone) for m in case["mechanisms"]],
                        force=case["force"])
            res = module_main("spf", args)
            entry = {"name": d_fleet, "dmarc": {"enabled": False},
                     "spf": {"mechanisms": [_fill(m, d_fleet, zone) for m in case["mechanisms"]],
                             "force": case["force"]}}
        else:
            opts = {k: ([_fill(u, d_single, zone) for u in v] if k == "rua" else v) for k, v in case["options"].items()}
            res = module_main("dmarc", dict(rfc, domain=d_single, **opts))
            fleet_opts = {k: ([_fill(u, d_fleet, zone) for u in v] if k == "rua" else v)
                          for k, v in case["options"].items()}
            entry = {"name": d_fleet, "spf": {"enabled": False}, "dmarc": fleet_opts}
        assert "traceback_escaped" not in res.result, res.result
        single[case["id"]] = _outcome(bind, case, d_single, zone, res.result["msg"] if res.rc else None,
                                      res.result.get("warnings", []))
        fleet_entries.append(entry)

    res = module_main("domain_policy", dict(rfc, domains=fleet_entries, fail_on_error=False, workers=4))
    assert res.rc == 0 and "traceback_escaped" not in res.result, res.result
    by = {r["domain"]: r for r in res.result["domains"]}
    assert len(by) == len(CASES)
    for case in CASES:
        d = "f-%s.%s" % (case["id"], zone)
        r = by[d]
        fleet = _outcome(bind, case, d, zone, r["msg"] if r.get("failed") else None, r.get("warnings", []))
        want_single = single[case["id"]]
        # the same refusal, warnings and records from both paths ...
        assert fleet == want_single, (case["id"], fleet, want_single)
        # ... and the ones the case expects
        if case["refused"]:
            assert case["refused"] in (fleet["refused"] or ""), (case["id"], fleet)
            assert r.get("rule", "").startswith("spf_"), r
        else:
            assert fleet["refused"] is None, (case["id"], fleet)
        if case["warned"]:
            assert any(case["warned"] in w for w in fleet["warnings"]), (case["id"], fleet)
        else:
            assert fleet["warnings"] == [], (case["id"], fleet)
        if case["record"]:
            assert case["record"] in fleet["records"], (case["id"], fleet)


def test_mail_from_mx_is_exclusive_in_both_paths(module_main, sandbox, bind, parity_zone):
    """A conflicting MX at the MAIL FROM name: domain_policy replaces it with SES's feedback MX (warning,
    naming the host it replaced) - the MX the mail_from module returns for the same name."""
    zone = parity_zone
    d = "mx.%s" % zone
    publish(bind, zone, [("bounce." + d, "MX", "10 mx.other.test.")])
    rfc = {"provider": "rfc2136", "zone": zone, "server": bind.server, "key_name": bind.key_name,
           "key_secret": bind.key_secret, "nameservers": [bind.server]}
    res = module_main("domain_policy", dict(rfc, domains=[d], mail_from_subdomain="bounce", dmarc={"enabled": False},
                                            spf={"enabled": False}))
    assert res.rc == 0, res.result
    warnings = res.result["domains"][0]["warnings"]
    assert any("mx.other.test" in w and "only MX" in w for w in warnings), warnings
    assert bind.query("bounce." + d, "MX") == ["10 feedback-smtp.us-east-1.amazonses.com."]
    assert _spf_of(bind, "bounce." + d) == ["v=spf1 include:amazonses.com ~all"]
    single = module_main("mail_from", {"identity": d, "mail_from_domain": "bounce." + d})
    assert single.rc == 0, single.result
    records = {r["type"]: r for r in single.result["dns_records"]}
    assert [v.rstrip(".") for v in records["MX"].get("values", records["MX"].get("value"))] == \
        ["10 feedback-smtp.us-east-1.amazonses.com"]


def test_a_refused_request_writes_nothing(module_main, sandbox, bind, parity_zone):
    """Refused by the SPF rules: no SES call that writes and no DNS change, for the refused domain - while the
    good domain of the same run is done."""
    zone = parity_zone
    bad, good = "bad.%s" % zone, "good.%s" % zone
    rfc = {"provider": "rfc2136", "zone": zone, "server": bind.server, "key_name": bind.key_name,
           "key_secret": bind.key_secret, "nameservers": [bind.server]}
    publish(bind, zone, [(bad, "TXT", "v=spf1 mx -all"), ("_dmarc." + bad, "TXT", "v=DMARC1; p=none")])
    before = {n: _txt(bind, n) for n in (bad, "_dmarc." + bad, "bounce." + bad)}
    mark = sandbox.mark()
    res = module_main("domain_policy", dict(rfc, domains=[
        {"name": bad, "spf": {"mechanisms": ["include:nospf.%s" % zone]}}, good],
        mail_from_subdomain="bounce", dmarc={"policy": "quarantine"}, fail_on_error=False))
    assert res.rc == 0, res.result
    by = {r["domain"]: r for r in res.result["domains"]}
    assert by[bad]["failed"] is True and by[bad]["rule"] == "spf_permerror", by[bad]
    assert "actions" not in by[bad] and by[good]["failed"] is False
    writes = sandbox.mutating_calls(since=mark)
    assert writes and not [w for w in writes if bad in str(w["params"])], writes
    assert {n: _txt(bind, n) for n in before} == before
    assert bind.query("bounce." + bad, "MX") == []
    # the single module: refused, nothing written
    res = module_main("spf", dict(rfc, domain=bad, mechanisms=["include:nospf.%s" % zone]))
    assert res.rc == 1 and "has no SPF record" in res.result["msg"]
    assert res.result.get("changed") is not True and _txt(bind, bad) == before[bad]
