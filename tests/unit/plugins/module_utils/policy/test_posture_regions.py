"""Region drift rules: each replica state is its finding; the suppression lists' differences are counted."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_regions as pr


def _ids(replica, cs=None):
    return sorted(f["id"] for f in pr.replica_findings("a.test", "us-east-1", "eu-west-1", replica, cs))


def _rep(verified=True, origin="AWS_SES_US_EAST_1"):
    return {"verified_for_sending": verified, "verification_status": "SUCCESS" if verified else "PENDING",
            "dkim": {"origin": origin}}


def test_replica_states():
    assert pr.deed_origin("us-east-1") == "AWS_SES_US_EAST_1"
    assert _ids(None) == ["region_identity_missing"]
    assert _ids(_rep()) == [] and _ids(_rep(), cs=True) == []
    assert _ids(_rep(verified=False)) == ["region_identity_pending"]
    assert _ids(_rep(origin="AWS_SES")) == ["region_dkim_own_keys"]
    assert _ids(_rep(origin="AWS_SES_US_WEST_2")) == ["region_dkim_wrong_parent"]
    assert _ids(_rep(origin="EXTERNAL")) == []  # BYODKIM: the operator's own key, published as such
    assert _ids(_rep(), cs=False) == ["region_configuration_set_missing"]


def test_suppression_drift_counts_what_each_region_misses():
    missing, findings = pr.suppression_drift({"us-east-1": {"a": "BOUNCE", "b": "BOUNCE"},
                                              "eu-west-1": {"a": "BOUNCE", "c": "COMPLAINT"}})
    assert missing == {"eu-west-1": 1, "us-east-1": 1} and findings[0]["id"] == "suppression_lists_differ"
    assert pr.suppression_drift({"us-east-1": {"a": "BOUNCE"}, "eu-west-1": {"a": "COMPLAINT"}}) == (
        {"eu-west-1": 0, "us-east-1": 0}, [])
