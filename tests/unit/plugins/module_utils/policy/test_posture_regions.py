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


def test_replica_mail_from_missing_or_different_is_a_finding_only_when_the_fleet_sets_one():
    def ids(mail_from_domain, want):
        replica = dict(_rep(), mail_from={"domain": mail_from_domain})
        return sorted(f["id"] for f in pr.replica_findings("a.test", "us-east-1", "eu-west-1", replica, None,
                                                           mail_from=want))
    want = "mail-eu-west-1.a.test"
    assert ids(None, want) == ["region_mail_from_missing"]
    assert ids("mail.a.test", want) == ["region_mail_from_different"]  # the primary's name: another region's MX
    assert ids("MAIL-eu-west-1.a.test", want) == []  # SES may answer in another case
    assert ids(None, None) == [] and ids("other.a.test", None) == []  # no MAIL FROM wanted: nothing to say
    missing = pr.replica_findings("a.test", "us-east-1", "eu-west-1", None, None, mail_from=want)
    assert [f["id"] for f in missing] == ["region_identity_missing"]  # one finding for a missing replica
    different = pr.replica_findings("a.test", "us-east-1", "eu-west-1", dict(_rep(), mail_from={"domain": "x.a.test"}),
                                    None, mail_from=want)[0]
    assert want in different["fix"] and "x.a.test" in different["title"]


def test_suppression_drift_counts_what_each_region_misses():
    missing, findings = pr.suppression_drift({"us-east-1": {"a": "BOUNCE", "b": "BOUNCE"},
                                              "eu-west-1": {"a": "BOUNCE", "c": "COMPLAINT"}})
    assert missing == {"eu-west-1": 1, "us-east-1": 1} and findings[0]["id"] == "suppression_lists_differ"
    assert pr.suppression_drift({"us-east-1": {"a": "BOUNCE"}, "eu-west-1": {"a": "COMPLAINT"}}) == (
        {"eu-west-1": 0, "us-east-1": 0}, [])


def test_deed_parent_region_is_the_inverse_of_deed_origin():
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"):
        assert pr.deed_parent_region(pr.deed_origin(region)) == region
    for origin in ("AWS_SES", "EXTERNAL", None, "", "AWS_SES_", 7):
        assert pr.deed_parent_region(origin) is None


def _parent(status="SUCCESS", origin="AWS_SES"):
    return {"dkim": {"status": status, "origin": origin}}


def test_parent_problem_what_ses_replicates_from():
    assert pr.parent_problem("a.test", "us-east-1", _parent()) is None
    assert "not an SES identity in us-east-1" in pr.parent_problem("a.test", "us-east-1", None)
    pending = pr.parent_problem("a.test", "us-east-1", _parent("PENDING"))
    assert "not verified in us-east-1 (DKIM status PENDING)" in pending
    assert "DKIM status not started" in pr.parent_problem("a.test", "us-east-1", {"dkim": {"origin": "AWS_SES"}})
    assert "BYODKIM" in pr.parent_problem("a.test", "us-east-1", _parent(origin="EXTERNAL"))
    # a replica (even a verified one) is no parent: its own parent is named
    assert "replica of eu-west-1" in pr.parent_problem("a.test", "us-east-1", _parent(origin="AWS_SES_EU_WEST_1"))
