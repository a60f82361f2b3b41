"""Region drift in the posture, against the sandbox's per-region SES state: each sending domain's replica in the
other region (missing, not verified, signing with its own keys, its configuration set missing there) and the two
regions' suppression lists compared. Read-only in every region; a region that cannot be read is unknown."""

from __future__ import annotations

import pytest

from tests.fixtures.names import unique
from tests.integration.posture.seed import CS_OK, EXPECTED, seed

PRIMARY, REPLICA = "us-east-1", "eu-west-1"
LABELS = ["good", "nocs", "supp"]


@pytest.fixture
def two_regions(sandbox, bind, amazonses):  # noqa: F811 - the imported fixture
    zone = unique("prz")
    bind.add_zone(zone)
    names, dummy = seed(sandbox, bind, zone, labels=LABELS, parked_labels=[])
    eu = sandbox.boto3_client("sesv2", REPLICA)
    # good: a replica with its own Easy DKIM keys, not verified, and no CS_OK in eu-west-1
    eu.create_email_identity(EmailIdentity=names["good"])
    # nocs: a replica too (no configuration set to miss); supp: no replica at all
    eu.create_email_identity(EmailIdentity=names["nocs"])
    # suppression lists: one address in both, two in us-east-1 only, one in eu-west-1 only
    both_and_us = ("both@x.test", "us1@x.test", "us2@x.test")
    sandbox.post("suppressions", {"region": PRIMARY, "entries": [{"email": e} for e in both_and_us]})
    sandbox.post("suppressions", {"region": REPLICA, "entries": [{"email": e} for e in ("both@x.test", "eu1@x.test")]})
    return names


def test_each_replica_state_is_its_finding_and_the_lists_are_compared(module_main, sandbox, bind, two_regions, tmp_path):
    names = two_regions
    mark = sandbox.mark()
    res = module_main("posture_info", {"domains": list(names.values()), "nameservers": [bind.server], "workers": 4,
                                       "regions": [PRIMARY, REPLICA], "check_tenants": False,
                                       "html_path": str(tmp_path / "p.html")})
    assert res.rc == 0, res.result
    out = res.result
    got = {r["domain"]: sorted(f["id"] for f in r["findings"]) for r in out["domains"]}
    extra = {"good": ["region_configuration_set_missing", "region_dkim_own_keys", "region_identity_pending"],
             "nocs": ["region_dkim_own_keys", "region_identity_pending"], "supp": ["region_identity_missing"]}
    assert got == {names[label]: sorted(EXPECTED[label] + extra[label]) for label in LABELS}
    requests = sandbox.requests(since=mark)
    assert [r for r in requests if r["mutating"]] == []  # read-only in every region
    assert {r["region"] for r in requests if r["operation"] == "GetEmailIdentity"} == {PRIMARY, REPLICA}
    view = out["regions"]
    assert view["primary"] == PRIMARY and view["replicas"] == [REPLICA]
    assert view["suppression"]["missing"] == {PRIMARY: 1, REPLICA: 2} and view["suppression"]["compared"]
    drift = [f for f in out["account"]["findings"] if f["id"] == "suppression_lists_differ"]
    assert drift and "eu-west-1 2" in drift[0]["detail"] and "us-east-1 1" in drift[0]["detail"]
    assert "suppression_sync" in drift[0]["fix"]
    # read back independently: the replica is what the finding says
    eu = sandbox.boto3_client("sesv2", REPLICA).get_email_identity(EmailIdentity=names["good"])
    assert eu["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES" and not eu["VerifiedForSendingStatus"]
    missing = [f for r in out["domains"] for f in r["findings"] if f["id"] == "region_identity_missing"][0]
    assert "AWS_SES_US_EAST_1" in missing["fix"]
    page = (tmp_path / "p.html").read_text()
    assert "<tr><td>eu-west-1</td><td>2</td><td>2</td></tr>" in page and "<tr><td>us-east-1</td><td>3</td><td>1</td></tr>" in page


def test_a_region_that_cannot_be_read_is_unknown(module_main, sandbox, bind, two_regions):
    names = two_regions
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "region": REPLICA, "kind": "error"},
                                      {"operation": "ListSuppressedDestinations", "region": REPLICA,
                                       "kind": "error"}]})
    out = module_main("posture_info", {"domains": list(names.values()), "nameservers": [bind.server],
                                       "regions": [PRIMARY, REPLICA], "check_tenants": False}).result
    assert out["status"] == "could_not_look", out["status"]
    assert not [f for r in out["domains"] for f in r["findings"] if f["id"].startswith("region_")]
    assert all(any(u["check"] == "region" for u in r["unknown"]) for r in out["domains"])
    assert REPLICA in out["regions"]["suppression"]["errors"]
    assert not [f for f in out["account"]["findings"] if f["id"] == "suppression_lists_differ"]


@pytest.mark.parametrize("regions", [["eu-west-1", "eu-west-1"], ["europe"]])
def test_bad_regions_name_the_option(module_main, sandbox, regions):
    res = module_main("posture_info", {"domains": ["a.test"], "regions": regions})
    assert res.rc != 0 and "regions" in res.result["msg"]
