"""spf and dmarc through ansible-playbook against BIND (rfc2136) and the sandbox's Route 53."""

from __future__ import annotations

import pytest

from tests.fixtures.dns_zones import publish, r53_rrsets
from tests.fixtures.names import unique

pytestmark = pytest.mark.bind


def _txt(bind, name):
    return [v.replace('" "', "").strip('"') for v in bind.query(name, "TXT")]


def test_spf_merges_into_existing_and_is_idempotent(ansible_module, bind, zone, rfc2136, amazonses):
    publish(bind, zone, [(zone, "TXT", "v=spf1 ip4:192.0.2.0/24 -all"), (zone, "TXT", "site-verification=xyz")])
    args = dict(rfc2136, domain=zone)
    res = ansible_module("spf", args, check=True, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert res.result["record"] == "v=spf1 ip4:192.0.2.0/24 include:amazonses.com -all"
    assert sorted(_txt(bind, zone)) == ["site-verification=xyz", "v=spf1 ip4:192.0.2.0/24 -all"]  # nothing written
    res = ansible_module("spf", args, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert res.result["lookups"]["count"] == 1
    assert res.result["diff"]["before"] and res.result["diff"]["after"]
    assert sorted(_txt(bind, zone)) == ["site-verification=xyz", "v=spf1 ip4:192.0.2.0/24 include:amazonses.com -all"]
    res = ansible_module("spf", args)
    assert res.rc == 0 and res.result["changed"] is False, res
    # asking for another qualifier is explicit
    res = ansible_module("spf", dict(args, all_qualifier="~"))
    assert res.result["record"] == "v=spf1 ip4:192.0.2.0/24 include:amazonses.com ~all"


def test_spf_new_record_and_two_records_refused(ansible_module, bind, zone, rfc2136, amazonses):
    res = ansible_module("spf", dict(rfc2136, domain="mail." + zone))
    assert res.rc == 0 and res.result["record"] == "v=spf1 include:amazonses.com ~all", res
    assert _txt(bind, "mail." + zone) == ["v=spf1 include:amazonses.com ~all"]
    publish(bind, zone, [(zone, "TXT", "v=spf1 mx -all"), (zone, "TXT", "v=spf1 a -all")])
    res = ansible_module("spf", dict(rfc2136, domain=zone))
    assert res.rc != 0 and "2 SPF records" in res.result["msg"], res.result
    assert sorted(_txt(bind, zone)) == ["v=spf1 a -all", "v=spf1 mx -all"]


def test_spf_refuses_an_include_that_exceeds_ten_lookups(ansible_module, bind, zone, rfc2136):
    # 9 lookups published as real records, and a 2-lookup include (include:two -> include:leaf)
    records = [("i%d.%s" % (i, zone), "TXT", "v=spf1 ip4:192.0.2.%d -all" % i) for i in range(1, 10)]
    records += [("two." + zone, "TXT", "v=spf1 include:leaf.%s -all" % zone),
                ("leaf." + zone, "TXT", "v=spf1 ip4:198.51.100.0/24 -all"),
                (zone, "TXT", "v=spf1 " + " ".join("include:i%d.%s" % (i, zone) for i in range(1, 10)) + " -all")]
    publish(bind, zone, records)
    before = _txt(bind, zone)
    args = dict(rfc2136, domain=zone, mechanisms=["include:two." + zone])
    res = ansible_module("spf", args)
    assert res.rc != 0
    msg = res.result["msg"]
    assert "11 DNS lookups" in msg and "now 9" in msg, msg
    assert "include:leaf.%s (in %s > two.%s)" % (zone, zone, zone) in msg
    assert "force=true" in msg and "Traceback" not in res.output
    assert res.result["lookups"]["count"] == 11
    assert _txt(bind, zone) == before
    res = ansible_module("spf", args, check=True)
    assert res.rc != 0  # check mode predicts the refusal too
    res = ansible_module("spf", dict(args, force=True))
    assert res.rc == 0 and res.result["changed"] is True, res
    assert "include:two.%s -all" % zone in _txt(bind, zone)[0]


def test_spf_bad_mechanism_names_the_option(ansible_module, rfc2136):
    res = ansible_module("spf", dict(rfc2136, domain=rfc2136["zone"], mechanisms=["include"]))
    assert res.rc != 0 and res.result["msg"].startswith("mechanisms:"), res.result


def test_spf_route53_check_mode_makes_no_write(ansible_module, sandbox, r53_zone, bind, amazonses):
    name, zone_id = r53_zone
    args = {"provider": "route53", "zone": name, "domain": name, "nameservers": [bind.server]}
    mark = sandbox.mark()
    res = ansible_module("spf", args, check=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert sandbox.mutating_calls(since=mark) == []
    assert ansible_module("spf", args).result["changed"] is True
    assert r53_rrsets(sandbox, zone_id)[(name, "TXT")] == ['"v=spf1 include:amazonses.com ~all"']
    mark = sandbox.mark()
    assert ansible_module("spf", args).result["changed"] is False
    assert sandbox.mutating_calls(since=mark) == []


def test_dmarc_publish_ratchet_and_rua_commas(ansible_module, bind, zone, rfc2136):
    name = "_dmarc." + zone
    rua = ["dmarc@%s" % zone, "mailto:agg@reports.test"]
    args = dict(rfc2136, domain=zone, policy="quarantine", test_mode=True, rua=rua, ruf=["f@%s" % zone], fo="1")
    res = ansible_module("dmarc", args, check=True, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert _txt(bind, name) == []
    res = ansible_module("dmarc", args, diff=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    expected = ("v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s,mailto:agg@reports.test; ruf=mailto:f@%s; fo=1"
                % (zone, zone))
    assert bind.query(name, "TXT") == ['"%s"' % expected]  # one string: never split at the commas
    auth = res.result["report_authorizations"]
    assert auth == [{"destination": "reports.test", "name": "%s._report._dmarc.reports.test" % zone,
                     "managed": False, "authorized": False, "published": False}]
    assert any("does not authorise" in w for w in res.result.get("warnings", []))
    assert ansible_module("dmarc", args).result["changed"] is False
    # the ratchet: p=none is refused and reported, nothing is written
    res = ansible_module("dmarc", dict(args, policy="none", test_mode=None))
    assert res.rc == 0 and res.result["changed"] is False, res
    assert res.result["downgrade_refused"] is True
    assert res.result["downgrades"][0]["tag"] == "p"
    assert any("refused to weaken" in w for w in res.result["warnings"])
    assert _txt(bind, name) == [expected]
    # strengthening is fine; allow_downgrade lets it go back
    res = ansible_module("dmarc", dict(args, policy="reject", test_mode=False))
    assert res.result["changed"] is True and res.result["record"].startswith("v=DMARC1; p=reject; rua=")
    res = ansible_module("dmarc", dict(args, policy="none", allow_downgrade=True))
    assert res.result["changed"] is True and "p=none" in res.result["record"]


def test_dmarc_publishes_authorization_in_managed_zone(ansible_module, bind, zone, rfc2136):
    args = dict(rfc2136, domain=zone, policy="none", rua=["agg@reports.test"],
                external_destinations="publish", report_zones=["reports.test"])
    res = ansible_module("dmarc", args, check=True)
    assert res.result["changed"] is True
    assert _txt(bind, "%s._report._dmarc.reports.test" % zone) == []
    res = ansible_module("dmarc", args)
    assert res.rc == 0 and res.result["report_authorizations"][0]["published"] is True, res
    assert _txt(bind, "%s._report._dmarc.reports.test" % zone) == ["v=DMARC1"]
    res = ansible_module("dmarc", args)
    assert res.result["changed"] is False
    assert res.result["report_authorizations"][0]["authorized"] is True


def test_dmarc_staged_rollout(module_main, bind, zone, rfc2136):
    args = dict(rfc2136, domain=zone, advance=True, require_evidence=False)  # the blind ladder, on request
    seen = []
    for _ in range(6):
        res = module_main("dmarc", args)
        assert res.rc == 0, res
        seen.append((res.result["changed"], res.result["record"]))
    assert [r for _, r in seen] == ["v=DMARC1; p=none", "v=DMARC1; p=quarantine; t=y",
                                    "v=DMARC1; p=quarantine", "v=DMARC1; p=reject; t=y",
                                    "v=DMARC1; p=reject", "v=DMARC1; p=reject"]
    assert [_txt(bind, "_dmarc." + zone)] == [["v=DMARC1; p=reject"]]
    assert [c for c, _ in seen] == [True, True, True, True, True, False]


def test_dmarc_bad_input_names_option(module_main, rfc2136):
    res = module_main("dmarc", dict(rfc2136, domain=rfc2136["zone"], policy="none", pct=140, legacy_tags=True))
    assert res.rc != 0 and res.result["msg"].startswith("pct:"), res.result
    res = module_main("dmarc", dict(rfc2136, domain=rfc2136["zone"], policy="quarantine", pct=25))
    assert res.rc != 0 and res.result["msg"].startswith("pct:") and "RFC 9989" in res.result["msg"], res.result
    # no record yet and no policy: policy is required (a valid rua, so that only policy is at fault; an invalid
    # one is refused first, before the record is read)
    res = module_main("dmarc", dict(rfc2136, domain=rfc2136["zone"], rua=["mailto:d@" + rfc2136["zone"]]))
    assert res.rc != 0 and res.result["msg"].startswith("policy:"), res.result
    res = module_main("dmarc", dict(rfc2136, domain=rfc2136["zone"], rua=["x"]))
    assert res.rc != 0 and res.result["msg"].startswith("rua:"), res.result
    res = module_main("dmarc", dict(rfc2136, domain=rfc2136["zone"], policy="none", rua=["not-an-address"]))
    assert res.rc != 0 and res.result["msg"].startswith("rua:"), res.result


def test_dmarc_says_changed_when_a_later_step_fails(module_main, bind, zone, rfc2136):
    """The record is written, then publishing an outside destination's authorisation fails (its zone is not
    served here): the failure still says changed and lists the write."""
    outside = unique("elsewhere-")
    args = dict(rfc2136, domain=zone, policy="none", rua=["d@" + outside], external_destinations="publish",
                report_zones=[outside])
    res = module_main("dmarc", args)
    assert res.rc == 1 and "traceback_escaped" not in res.result, res.result
    assert res.result["changed"] is True and res.result["changes"][0]["name"] == "_dmarc." + zone, res.result
    assert _txt(bind, "_dmarc." + zone) == ["v=DMARC1; p=none; rua=mailto:d@" + outside]

