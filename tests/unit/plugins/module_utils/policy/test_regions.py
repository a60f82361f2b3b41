"""policy/regions.py: region names and the plan of one suppression list across regions (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import regions

KNOWN = {"us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-7"}


def entry(email, reason, time):
    return {"email_address": email, "reason": reason, "last_update_time": time}


def test_check_regions_keeps_order():
    assert regions.check_regions(["eu-west-1", "us-east-1"], "regions", KNOWN) == ["eu-west-1", "us-east-1"]
    assert regions.check_regions(["us-gov-west-1"], "regions", KNOWN) == ["us-gov-west-1"]


@pytest.mark.parametrize("values, words", [
    (["us-east-1", "zz-north-1"], "unknown region"),
    (["us-east-1", "us-east-1"], "listed twice"),
    (["us-east-1", "US-EAST-1"], "not an AWS region name"),
    (["us-east-1", " eu-west-1"], "not an AWS region name"),
    (["us-east-1"], "at least 2"),
    (["us-east-1", "us east 1"], "not an AWS region name"),
    (["eu-west-1", "us-east-1\n"], "control or invisible characters"),
    (["us-east-1", 3], "not an AWS region name"),
    ("us-east-1", "must be a list"),
])
def test_check_regions_refuses_with_the_option_named(values, words):
    with pytest.raises(InputError) as err:
        regions.check_regions(values, "regions", KNOWN, minimum=2)
    assert err.value.option == "regions" and words in err.value.msg


def test_parse_time_orders_fractions_and_offsets_correctly():
    # as strings "10:00:00.500Z" < "10:00:00Z"; as times it is later
    assert regions.parse_time("2026-11-20T10:00:00.500Z") > regions.parse_time("2026-11-20T10:00:00Z")
    assert regions.parse_time("2026-11-20T11:00:00+01:00") == regions.parse_time("2026-11-20T10:00:00Z")
    assert regions.parse_time("garbage") == regions.EPOCH and regions.parse_time(None) == regions.EPOCH


def test_plan_latest_event_wins_and_missing_is_put():
    plan = regions.plan_sync({
        "us-east-1": [entry("a@x.test", "BOUNCE", "2026-11-01T00:00:00Z"),
                      entry("b@x.test", "COMPLAINT", "2026-11-01T00:00:00Z")],
        "eu-west-1": [entry("a@X.TEST", "COMPLAINT", "2026-11-02T00:00:00Z"),
                      entry("b@x.test", "COMPLAINT", "2026-10-01T00:00:00Z")],
    }, ["us-east-1", "eu-west-1"])
    assert plan["union"] == 2
    assert [(w["region"], w["email"], w["action"], w["reason"], w["previous_reason"], w["source_region"])
            for w in plan["writes"]] == [("us-east-1", "a@X.TEST", "update", "COMPLAINT", "BOUNCE", "eu-west-1")]
    assert plan["regions"]["eu-west-1"] == {"listed": 2, "put": 0, "update": 0, "in_sync": 2}
    assert plan["regions"]["us-east-1"] == {"listed": 2, "put": 0, "update": 1, "in_sync": 1}


def test_plan_tie_prefers_complaint_and_put_fills_every_missing_region():
    three = ["us-east-1", "eu-west-1", "ap-southeast-7"]
    plan = regions.plan_sync({
        "us-east-1": [entry("t@x.test", "BOUNCE", "2026-11-05T00:00:00Z")],
        "eu-west-1": [entry("t@x.test", "COMPLAINT", "2026-11-05T00:00:00Z")],
    }, three)
    assert [(w["region"], w["action"], w["reason"]) for w in plan["writes"]] == [
        ("us-east-1", "update", "COMPLAINT"), ("ap-southeast-7", "put", "COMPLAINT")]
    assert regions.diff_of(plan["writes"]) == {
        "before": {"us-east-1": {"t@x.test": "BOUNCE"}, "ap-southeast-7": {"t@x.test": None}},
        "after": {"us-east-1": {"t@x.test": "COMPLAINT"}, "ap-southeast-7": {"t@x.test": "COMPLAINT"}}}


def test_plan_of_lists_in_sync_is_empty():
    same = [entry("s%d@x.test" % i, "BOUNCE", "2026-11-01T00:00:00Z") for i in range(50)]
    plan = regions.plan_sync({"us-east-1": same, "eu-west-1": list(reversed(same))}, ["us-east-1", "eu-west-1"])
    assert plan["writes"] == [] and plan["union"] == 50


def test_other_regions_excludes_home_and_keeps_the_one_check():
    from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import other_regions
    assert other_regions(None, "us-east-1") == []
    assert other_regions([], "us-east-1") == []
    assert other_regions(["us-east-1", "eu-west-1", "ap-south-1"], "us-east-1") == ["eu-west-1", "ap-south-1"]
    with pytest.raises(InputError) as info:
        other_regions(["eu-west-1", "eu-west-1"], "us-east-1")
    assert info.value.option == "regions" and "twice" in info.value.msg
    with pytest.raises(InputError):
        other_regions(["zz-north-1"], "us-east-1", known={"us-east-1", "eu-west-1"})
