"""The tenant view of the posture as rules: a domain in no tenant, a tenant paused by SES or by its operator, a
reputation policy weaker than the fleet's; and the per-tenant verdict."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_tenants as pt


def _tenant(name, domains, policy="standard", aws="ENABLED", mine="ENABLED", cause=None):
    return {"name": name, "resources": {"identities": domains}, "reputation_policy": policy,
            "reputation_impact": "HIGH" if aws == "DISABLED" else "NONE",
            "aws_managed_status": {"status": aws, "cause": cause if aws == "DISABLED" else None},
            "customer_managed_status": {"status": mine, "cause": cause if mine == "DISABLED" else None},
            "sending_status_aggregate": "DISABLED" if "DISABLED" in (aws, mine) else "ENABLED"}


TENANTS = [_tenant("paused", ["a.test"], "strict", aws="DISABLED", cause="bounce rate 12.0%"),
           _tenant("lax", ["B.test"], "none"), _tenant("held", ["c.test"], mine="DISABLED", cause="client unpaid"),
           _tenant("ok", ["d.test"], "strict")]


def _ids(domain, fleet="standard"):
    member = pt.memberships(TENANTS)
    by_name = dict((t["name"], t) for t in TENANTS)
    return sorted(f["id"] for f in pt.domain_findings(domain, member.get(domain, []), by_name, fleet))


def test_each_tenant_state_is_its_finding():
    assert pt.memberships(TENANTS)["b.test"] == ["lax"]  # identities compared in lower case
    assert _ids("a.test") == ["tenant_paused"]
    assert _ids("b.test") == ["tenant_policy_weaker"]
    assert _ids("c.test") == ["tenant_paused_by_you"]
    assert _ids("d.test") == [] and _ids("d.test", fleet="strict") == []
    assert _ids("a.test", fleet="strict") == ["tenant_paused"]  # strict meets strict
    assert _ids("e.test") == ["tenant_missing"]
    paused = pt.domain_findings("a.test", ["paused"], {"paused": TENANTS[0]}, "standard")[0]
    assert "bounce rate 12.0%" in paused["detail"] and paused["severity"] == "critical"
    assert "tenant_resources" in pt.domain_findings("e.test", [], {}, "standard")[0]["fix"]


def test_tenant_rows_name_domains_status_and_verdict():
    results = [{"domain": "a.test", "findings": [{"id": "tenant_paused"}]}, {"domain": "b.test", "findings": []},
               {"domain": "d.test", "findings": [], "could_not_look": True}]
    rows = dict((r["name"], r) for r in pt.tenant_rows(TENANTS, results))
    assert rows["paused"]["verdict"] == "needs action" and rows["paused"]["paused_by"] == "SES"
    assert rows["paused"]["cause"] == "bounce rate 12.0%" and rows["paused"]["sending"] == "DISABLED"
    assert rows["lax"]["domains"] == ["b.test"] and rows["lax"]["verdict"] == "clean"  # B.test is b.test
    assert rows["held"]["verdict"] == "needs action" and rows["held"]["paused_by"] == "you"
    assert rows["ok"]["verdict"] == "could not look"
