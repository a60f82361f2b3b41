"""The one planner of a domain (policy.domain): SPF refusals, the DMARC ratchet, report authorisation, MAIL FROM."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import domain, ses, spf

SES_SPF = "v=spf1 ip4:199.255.192.0/22 -all"


class Failed(Exception):
    def __init__(self, rcode):
        super().__init__(rcode)
        self.msg = "lookup failed: %s" % rcode


def resolver(records):
    """records: {(name, type): [values] or an rcode string to fail with}."""
    asked = []

    def resolve(name, rtype):
        asked.append((name, rtype))
        found = records.get((name, rtype), [])
        if isinstance(found, str):
            raise Failed(found)
        return list(found)
    resolve.asked = asked
    return resolve


BASE = {("amazonses.com", "TXT"): [SES_SPF]}


def _spf(values, adds=spf.DEFAULT_MECHANISMS, force=False, extra=None):
    return domain.spf_plan("a.test", values, list(adds), force=force, resolve=resolver({**BASE, **(extra or {})}))


def test_spf_new_record_counts_and_plans_one_txt():
    got = _spf(["verify=1"])
    assert got["refusal"] is None and got["record"] == "v=spf1 include:amazonses.com ~all"
    assert got["lookups"]["count"] == 1 and got["lookups"]["complete"] is True
    assert got["records"] == [{"name": "a.test", "type": "TXT", "exclusive": True,
                               "values": sorted(["verify=1", "v=spf1 include:amazonses.com ~all"])}]


@pytest.mark.parametrize("extra, include, rule, words", [
    ({}, "include:nospf.test", "spf_permerror", "nospf.test has no SPF record"),
    ({("two.test", "TXT"): ["v=spf1 -all", "v=spf1 ~all"]}, "include:two.test", "spf_permerror", "2 SPF records"),
    ({}, "include:a.test", "spf_permerror", "include loop"),
    ({("loop1.test", "TXT"): ["v=spf1 include:loop2.test -all"], ("loop2.test", "TXT"): ["v=spf1 include:loop1.test"]},
     "include:loop1.test", "spf_permerror", "include loop"),
    ({("refused.test", "TXT"): "REFUSED"}, "include:refused.test", "spf_unverified", "REFUSED"),
    ({("servfail.test", "TXT"): "SERVFAIL"}, "include:servfail.test", "spf_unverified", "SERVFAIL"),
])
def test_spf_permerror_shapes_are_refused_unless_forced(extra, include, rule, words):
    got = _spf(["v=spf1 mx -all"], adds=[include], extra=extra)
    assert got["refusal"]["rule"] == rule and words in got["refusal"]["msg"], got
    assert "force=true" in got["refusal"]["msg"] and got["records"] == []  # refused: nothing to write
    forced = _spf(["v=spf1 mx -all"], adds=[include], force=True, extra=extra)
    assert forced["refusal"] is None and forced["records"] and words in forced["warnings"][0]


def test_a_failed_include_is_not_a_successful_lookup():
    got = _spf([], adds=["include:servfail.test"], extra={("servfail.test", "TXT"): "SERVFAIL"})
    entry = [lk for lk in got["lookups"]["lookups"] if lk["term"] == "include:servfail.test"][0]
    assert entry.get("error") is True and got["lookups"]["complete"] is False
    assert got["lookups"]["temperrors"] and not got["lookups"]["permerrors"]


def test_spf_lookup_and_void_limits():
    includes = ["include:i%d.test" % i for i in range(11)]
    extra = {("i%d.test" % i, "TXT"): ["v=spf1 ip4:192.0.2.%d -all" % i] for i in range(11)}
    got = _spf([], adds=includes, extra=extra)
    assert got["refusal"]["rule"] == "spf_lookup_limit" and "11 DNS lookups (limit 10; now 0)" in got["refusal"]["msg"]
    voids = ["a:v%d.test" % i for i in range(3)]
    got = _spf([], adds=voids)
    assert got["refusal"]["rule"] == "spf_void_limit" and "3 void lookups (limit 2)" in got["refusal"]["msg"]


def test_spf_unchanged_record_is_kept_with_a_warning_not_refused():
    got = _spf(["v=spf1 include:nospf.test include:amazonses.com -all"])
    assert got["refusal"] is None and got["record"] == "v=spf1 include:nospf.test include:amazonses.com -all"
    assert "left as it is" in got["warnings"][0]


def test_spf_two_records_and_bad_merge():
    got = _spf(["v=spf1 mx -all", "v=spf1 a -all"])
    assert got["refusal"]["rule"] == "spf_single_record" and "2 SPF records" in got["refusal"]["msg"]
    got = domain.spf_plan("a.test", [], ["include:x.test"], all_qualifier="x")
    assert got["refusal"]["option"] == "all_qualifier"


def test_dmarc_refused_sp_and_np_downgrades_write_nothing():
    for opt in ({"subdomain_policy": "none"},):
        got = domain.dmarc_plan("a.test", ["v=DMARC1; p=reject"], dict(opt))
        assert got["record"] == "v=DMARC1; p=reject" and got["downgrade_refused"] is True
        assert got["records"][0]["values"] == ["v=DMARC1; p=reject"]
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=reject"], {"policy": "none"})
    assert got["record"] == "v=DMARC1; p=reject" and "refused to weaken" in got["warnings"][0]
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=reject"], {"policy": "none", "allow_downgrade": True})
    assert got["record"] == "v=DMARC1; p=none" and "allow_downgrade=true" in got["warnings"][0]


def test_dmarc_outside_rua_checked_with_the_resolver():
    opts = {"policy": "none", "rua": ["d@reports.test"]}
    auth = ("a.test._report._dmarc.reports.test", "TXT")
    got = domain.dmarc_plan("a.test", [], opts, resolve=resolver({}))
    assert got["report_authorizations"][0]["authorized"] is False and "does not authorise" in got["warnings"][0]
    got = domain.dmarc_plan("a.test", [], opts, resolve=resolver({auth: ["v=DMARC1"]}))
    assert got["report_authorizations"][0]["authorized"] is True and got["warnings"] == []
    got = domain.dmarc_plan("a.test", [], opts, resolve=resolver({auth: "SERVFAIL"}))
    assert "SERVFAIL" in got["report_authorizations"][0]["error"] and "lookup failed" in got["warnings"][0]
    got = domain.dmarc_plan("a.test", [], dict(opts, external_destinations="publish"), report_zones=["reports.test"])
    assert got["records"][1] == {"name": auth[0], "type": "TXT", "values": ["v=DMARC1"], "exclusive": False,
                                 "zone": "reports.test"}


def test_dmarc_gate_holds_a_stage():
    seen = []

    def gate(current, stage):
        seen.append((current["p"], stage["policy"]))
        return {"open": False, "reason": "no evidence yet"}
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=none"], {"advance": True}, gate=gate)
    assert got["record"] == "v=DMARC1; p=none" and got["gate"]["open"] is False and seen == [("none", "quarantine")]
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=none"], {"advance": True}, gate=lambda c, s: {"open": True})
    assert got["record"] == "v=DMARC1; p=quarantine; t=y"


def test_mail_from_mx_is_exclusive_and_names_replaced_hosts():
    zone = {("bounce.a.test", "MX"): ["10 mx.other.test"]}
    got = domain.mail_from_plan("bounce.a.test", "eu-west-1", zone, resolver(BASE))
    assert got["records"][0] == {"name": "bounce.a.test", "type": "MX", "exclusive": True,
                                 "values": [ses.mail_from_mx("eu-west-1")]}
    assert "mx.other.test" in got["warnings"][0]
    assert got["records"][1]["values"] == ["v=spf1 include:amazonses.com ~all"]


def test_replica_regions_get_their_own_mail_from_name_planned_as_the_primarys():
    spec = {"name": "a.test", "mail_from_domain": "bounce.a.test", "spf": {"enabled": False},
            "dmarc": {"enabled": False}, "regions": ["us-east-1", "eu-west-1", "ap-south-1"]}
    zone = {("bounce-eu-west-1.a.test", "MX"): ["10 mx.other.test"]}
    got = domain.plan_records(spec, zone, resolver(BASE), "us-east-1")
    mx = {r["name"]: r for r in got["records"] if r["type"] == "MX"}
    assert sorted(mx) == ["bounce-ap-south-1.a.test", "bounce-eu-west-1.a.test", "bounce.a.test"]
    for name, region in (("bounce.a.test", "us-east-1"), ("bounce-eu-west-1.a.test", "eu-west-1"),
                         ("bounce-ap-south-1.a.test", "ap-south-1")):
        assert mx[name]["values"] == [ses.mail_from_mx(region)] and mx[name]["exclusive"] is True  # the only MX
        assert {"name": name, "type": "TXT", "values": ["v=spf1 include:amazonses.com ~all"], "exclusive": True} \
            in [{k: r[k] for k in ("name", "type", "values", "exclusive")} for r in got["records"]]
    assert any("mx.other.test" in w for w in got["warnings"])  # another MX there is replaced and named
    assert got["mail_from"]["replicas"]["eu-west-1"]["domain"] == "bounce-eu-west-1.a.test"
    assert ("bounce-ap-south-1.a.test", "MX") in domain.policy_keys(spec)
    # one region, or no MAIL FROM: nothing more
    assert len(domain.plan_records(dict(spec, regions=["us-east-1"]), {}, resolver(BASE), "us-east-1")["records"]) == 2
    assert domain.plan_records(dict(spec, mail_from_domain=None), {}, resolver(BASE), "us-east-1")["records"] == []
    long_label = dict(spec, mail_from_domain="b" * 55 + ".a.test")  # fits alone, not with -ap-south-1
    with pytest.raises(InputError, match="63 characters") as err:
        domain.plan_records(long_label, {}, resolver(BASE), "us-east-1")
    assert err.value.option == "mail_from_subdomain"


def test_plan_records_refusal_plans_no_record_at_all():
    spec = {"name": "a.test", "mail_from_domain": "bounce.a.test", "spf": {"mechanisms": ["include:nospf.test"]},
            "dmarc": {"policy": "reject"}}
    got = domain.plan_records(spec, {}, resolver(BASE), "us-east-1")
    assert [r["rule"] for r in got["refusals"]] == ["spf_permerror"] and got["records"] == []
    ok = domain.plan_records(dict(spec, spf={}), {}, resolver(BASE), "us-east-1")
    assert ok["refusals"] == [] and len(ok["records"]) == 4


def test_asking_for_a_policy_again_never_keeps_test_mode_silently():
    # issue 23: re-running policy=quarantine on a t=y record keeps t=y (options not given keep their tag), but says
    # so, naming test_mode and what receivers actually apply
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=quarantine; t=y"], {"policy": "quarantine"})
    assert got["refusal"] is None and got["tags"]["t"] == "y"
    assert any("keeps t=y" in w and "test_mode=false" in w and "receivers apply p=none" in w
               for w in got["warnings"]), got["warnings"]
    # leaving test mode is explicit, and not a downgrade
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=quarantine; t=y"], {"policy": "quarantine", "test_mode": False})
    assert "t" not in got["tags"] and not got["downgrade_refused"] and got["record"] == "v=DMARC1; p=quarantine"
    assert not any("keeps t=y" in w for w in got["warnings"])
    # keeping the trial on purpose is silent
    got = domain.dmarc_plan("a.test", ["v=DMARC1; p=reject; t=y"], {"policy": "reject", "test_mode": True})
    assert got["tags"]["t"] == "y" and not any("keeps t=y" in w for w in got["warnings"])
