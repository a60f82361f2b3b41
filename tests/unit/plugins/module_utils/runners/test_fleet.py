"""Pure planning of domain_policy: specs from options, SES plans, desired DNS records, batching."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import fleet_specs
from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Record, plan

DEFAULTS = {"dkim": {"signing_enabled": True}, "spf": {"enabled": True, "mechanisms": ["include:amazonses.com"]},
            "dmarc": {"enabled": True, "policy": "quarantine", "allow_downgrade": False},
            "behavior_on_mx_failure": "USE_DEFAULT_VALUE", "mail_from_subdomain": "bounce", "zone": "example.com"}


def params(domains, **extra):
    return dict(DEFAULTS, domains=domains, **extra)


def ident(name, tokens=("t1", "t2", "t3"), signing=True, mail_from=None, cs=None, key="RSA_2048_BIT"):
    return {"identity": name, "identity_type": "DOMAIN", "configuration_set": cs, "feedback_forwarding": True,
            "tags": {}, "dkim": {"signing_enabled": signing, "status": "SUCCESS", "tokens": list(tokens),
                                 "origin": "AWS_SES", "next_key_length": key, "current_key_length": key},
            "mail_from": {"domain": mail_from, "status": "SUCCESS" if mail_from else None,
                          "behavior_on_mx_failure": "USE_DEFAULT_VALUE"}}


def test_specs_merge_overrides_and_isolate_bad_entries():
    specs, failures = fleet_specs.domain_specs(params([
        "A.Example.com.", {"name": "b.example.com", "dmarc": {"policy": "reject"}, "mail_from_subdomain": "mail"},
        "not a domain", {"name": "c.other.org"}, "a.example.com", {"name": "d.example.com", "bogus": 1}]))
    assert [s.name for s in specs] == ["a.example.com", "b.example.com"]
    assert specs[0].mail_from_domain == "bounce.a.example.com" and specs[0].dmarc["policy"] == "quarantine"
    assert specs[1].mail_from_domain == "mail.b.example.com" and specs[1].dmarc["policy"] == "reject"
    assert specs[1].dmarc["allow_downgrade"] is False  # merged key by key
    msgs = {f["domain"]: f["msg"] for f in failures}
    assert "domains[2].name" in msgs["not a domain"]
    assert "not inside zone example.com" in msgs["c.other.org"]
    assert "already listed as domains[0]" in msgs["a.example.com"]
    assert "unknown key(s) bogus" in msgs["d.example.com"]
    assert all(f["failed"] for f in failures)


def test_default_zone_is_the_domain():
    specs, dummy = fleet_specs.domain_specs(params(["x.test"], zone=None))
    assert specs[0].zone == "x.test"


def test_ses_plan_new_existing_and_drift():
    spec = fleet_specs.domain_specs(params(["a.example.com"], configuration_set="cs"))[0][0]
    actions, before, after = fleet_specs.ses_plan(spec, None)
    assert [a[0] for a in actions] == ["CreateEmailIdentity", "PutEmailIdentityMailFromAttributes"]
    assert actions[0][1]["ConfigurationSetName"] == "cs" and before == {"state": "absent"}
    current = ident("a.example.com", mail_from="bounce.a.example.com", cs="cs")
    assert fleet_specs.ses_plan(spec, current)[0] == []
    drift = ident("a.example.com", signing=False, mail_from="old.a.example.com", cs="cs")
    actions, before, after = fleet_specs.ses_plan(spec, drift)
    assert [a[0] for a in actions] == ["PutEmailIdentityDkimAttributes", "PutEmailIdentityMailFromAttributes"]
    assert before["dkim"]["signing_enabled"] is False and after["dkim"]["signing_enabled"] is True
    assert after["mail_from"]["mail_from_domain"] == "bounce.a.example.com"


def _current(*records):
    return {r.key: r for r in records}


def test_desired_records_full_set_then_nothing_to_do():
    spec = fleet_specs.domain_specs(params(["a.example.com"]))[0][0]
    desired, info = fleet_specs.desired_records(spec, ["t1", "t2", "t3"], False, {}, "us-east-1", print)
    changes = plan(desired, {}, 1800)
    keys = sorted(c.key for c in changes)
    assert keys == sorted([("t%d._domainkey.a.example.com" % i, "CNAME") for i in (1, 2, 3)] + [
        ("bounce.a.example.com", "MX"), ("bounce.a.example.com", "TXT"), ("a.example.com", "TXT"),
        ("_dmarc.a.example.com", "TXT")])
    assert info["dmarc"]["record"] == "v=DMARC1; p=quarantine" and info["dkim_records_pending"] is False
    after = _current(*[c.after for c in changes])
    desired, dummy = fleet_specs.desired_records(spec, ["t1", "t2", "t3"], False, after, "us-east-1", print)
    assert plan(desired, after, 1800) == []
    assert sorted(fleet_specs.needed_keys(spec, ["t1", "t2", "t3"], False)) == keys


def test_desired_records_merge_spf_keep_other_txt_and_ratchet_dmarc():
    spec = fleet_specs.domain_specs(params(["a.example.com"], mail_from_subdomain=None))[0][0]
    current = _current(Record("a.example.com", "TXT", ["v=spf1 mx -all", "google-site-verification=1"], 300),
                       Record("_dmarc.a.example.com", "TXT", ["v=DMARC1; p=reject"], 300))
    warnings = []
    desired, info = fleet_specs.desired_records(spec, None, False, current, "us-east-1", warnings.append)
    assert info["dkim_records_pending"] is True
    changes = {c.key: c for c in plan(desired, current, 1800)}
    assert list(changes) == [("a.example.com", "TXT")]
    want = ("google-site-verification=1", "v=spf1 mx include:amazonses.com -all")
    assert changes[("a.example.com", "TXT")].after.values == want
    assert changes[("a.example.com", "TXT")].after.ttl == 300  # an existing rrset keeps its TTL
    assert info["dmarc"]["downgrade_refused"] is True and "refused to weaken" in warnings[0]


def test_domain_without_dmarc_and_no_policy_starts_at_none():
    spec = fleet_specs.domain_specs(params(["a.example.com"], dmarc={"enabled": True}))[0][0]
    dummy, info = fleet_specs.desired_records(spec, None, False, {}, "us-east-1", print)
    assert info["dmarc"]["record"] == "v=DMARC1; p=none"


def test_two_spf_records_fail_the_domain():
    spec = fleet_specs.domain_specs(params(["a.example.com"]))[0][0]
    current = _current(Record("a.example.com", "TXT", ["v=spf1 mx -all", "v=spf1 a -all"], 300))
    with pytest.raises(DeliverabilityError, match="2 SPF records"):
        fleet_specs.desired_records(spec, None, False, current, "us-east-1", print)


def test_batches_never_split_a_domain():
    items = [("d%d" % i, [object()] * 7) for i in range(30)]
    groups = list(fleet_specs.batches(items, size=100))
    assert [len(g) for g in groups] == [14, 14, 2]
    assert all(sum(len(c) for dummy, c in g) <= 100 for g in groups)


@pytest.mark.parametrize("value, expected", [("false", False), ("no", False), ("0", False), (False, False),
                                             ("true", True), ("yes", True), ("1", True), (True, True)])
def test_overrides_are_typed_like_the_modules_options(value, expected):
    """A string must not turn a guard off: "false" is False, exactly as for the module's own option."""
    domain = {"name": "a.example.com", "dmarc": {"policy": "none", "allow_downgrade": value}}
    specs, failures = fleet_specs.domain_specs(params([domain]))
    assert failures == [] and specs[0].dmarc["allow_downgrade"] is expected
    assert specs[0].dmarc["policy"] == "none" and specs[0].dmarc["enabled"] is True  # merged key by key


def test_entries_with_the_same_overrides_are_validated_once_and_come_out_as_each_alone():
    """domain_specs validates each distinct set of overrides once: every spec equals the spec of its entry alone,
    owns its dicts, and a bad entry behind good ones with the same overrides still fails with its own index."""
    entries = [{"name": "d%d.example.com" % i, "tenant": {"name": "client-%d" % (i % 2)},
                "dmarc": {"policy": "reject", "allow_downgrade": "no"}} for i in range(4)]
    entries.append({"name": "d9.example.com", "tenant": {"name": "client-1"}, "dmarc": {"allow_downgrade": "maybe"}})
    entries.append({"name": "d8.example.com", "tenant": {"name": "client-1"}, "dmarc": {"allow_downgrade": "maybe"}})
    with mock.patch.object(fleet_specs, "validate_entry", wraps=fleet_specs.validate_entry) as validated:
        specs, failures = fleet_specs.domain_specs(params(entries))
    assert validated.call_count == 2 + 2  # client-0's and client-1's overrides once; an error is never kept
    alone = [fleet_specs.domain_spec(i, e, params(entries)) for i, e in enumerate(entries[:4])]
    assert [s.as_dict() for s in specs] == [s.as_dict() for s in alone]
    assert [s.tenant["name"] for s in specs] == ["client-0", "client-1", "client-0", "client-1"]
    assert specs[0].dmarc["allow_downgrade"] is False and specs[0].dmarc["policy"] == "reject"
    specs[0].dmarc["policy"] = "none"
    specs[0].tenant["name"] = "changed"
    assert specs[2].dmarc["policy"] == "reject" and specs[2].tenant["name"] == "client-0"
    msgs = [f["msg"] for f in failures]
    assert [m.split(":")[0] for m in msgs] == ["domains[4].dmarc.allow_downgrade", "domains[5].dmarc.allow_downgrade"]


def test_a_bad_override_names_its_field():
    specs, failures = fleet_specs.domain_specs(params(["a.example.com", "b.example.com", "c.example.com",
                                                       {"name": "d.example.com", "dmarc": {"allow_downgrade": "maybe"}},
                                                       {"name": "e.example.com", "spf": {"force": "sure"}},
                                                       {"name": "f.example.com", "dmarc": {"stages": [{"pct": "x"}]}}]))
    msgs = {f["domain"]: f["msg"] for f in failures}
    assert [s.name for s in specs] == ["a.example.com", "b.example.com", "c.example.com"]
    assert msgs["d.example.com"].startswith("domains[3].dmarc.allow_downgrade:"), msgs
    assert msgs["e.example.com"].startswith("domains[4].spf.force:"), msgs
    assert msgs["f.example.com"].startswith("domains[5].dmarc.stages."), msgs
