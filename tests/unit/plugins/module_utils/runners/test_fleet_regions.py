"""domain_policy's regions before any request: the one check of a ``regions`` list, and when the primary can be the
parent of a DEED replica."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_output import needs_attention
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_regions import (
    check_fleet_regions)

KNOWN = {"us-east-1", "eu-west-1", "ap-south-1"}


def test_the_primary_first_then_the_replicas():
    assert check_fleet_regions(["us-east-1", "eu-west-1"], "regions", "us-east-1", KNOWN) == ["us-east-1", "eu-west-1"]
    assert check_fleet_regions(["us-east-1"], "regions", "us-east-1", KNOWN) == ["us-east-1"]


@pytest.mark.parametrize("values, words", [
    (["us-east-1", "us-east-1"], "replica us-east-1 is the primary"),
    (["us-east-1", "eu-west-1", "eu-west-1"], "listed twice"),
    (["us-east-1", "zz-north-1"], "unknown region 'zz-north-1'"),
    (["eu-west-1", "us-east-1"], "must be the module's region us-east-1, got eu-west-1"),
    ([], "at least 1"),
    ("us-east-1", "must be a list"),
    (["US-EAST-1"], "US-EAST-1"),
])
def test_a_bad_list_is_one_error_naming_the_option(values, words):
    with pytest.raises(InputError) as err:
        check_fleet_regions(values, "domains[2].regions", "us-east-1", KNOWN)
    assert err.value.option == "domains[2].regions" and words in err.value.msg


def test_a_replica_finding_needs_attention_in_the_compact_result():
    healthy = {"exists": True, "verified_for_sending": True, "dkim_status": "SUCCESS", "mail_from_status": None}
    ok = {"domain": "a.test", "changed": False, "identity": healthy}
    assert not needs_attention(dict(ok, regions={"eu-west-1": {"findings": []}}))
    assert needs_attention(dict(ok, regions={"eu-west-1": {"findings": [{"id": "region_identity_pending"}]}}))
