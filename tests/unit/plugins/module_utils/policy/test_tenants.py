"""policy/tenants.py: tenant names, reputation policy names and ARNs, resource ARNs of this account and region,
the plan of a tenant's resource set, suppression attributes and the aggregate sending status."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as rules

ACCOUNT = "123456789012"


@pytest.mark.parametrize("name", ["a", "client-acme", "client_acme_2", "A" * 64])
def test_tenant_names_ses_accepts(name):
    assert rules.tenant_name(name) == name


@pytest.mark.parametrize("name", ["", "a" * 65, "client acme", "client.acme", "client/acme", "ünïcode", "a\n",
                                  "a\u200b"])
def test_tenant_names_outside_the_pattern_are_refused_naming_the_option(name):
    with pytest.raises(InputError) as exc:
        rules.tenant_name(name, "tenant")
    assert exc.value.option == "tenant"


def test_policy_names_and_arns_round_trip_per_region_and_partition():
    for name in rules.POLICIES:
        arn = rules.policy_arn(name, "eu-west-1")
        assert arn == "arn:aws:ses:eu-west-1:aws:reputation-policy/%s" % name
        assert rules.policy_name(arn) == name
    assert rules.policy_arn("strict", "cn-north-1").startswith("arn:aws-cn:ses:cn-north-1:aws:")
    assert rules.policy_name("arn:aws:ses:eu-west-1:aws:reputation-policy/lenient") is None
    assert rules.policy_name(None) is None
    with pytest.raises(InputError) as exc:
        rules.policy_arn("lenient", "eu-west-1")
    assert exc.value.option == "reputation_policy" and "standard, strict, none" in exc.value.msg


def test_resource_arns_of_this_account_and_region_only():
    arn = rules.resource_arn("identities", "news@a.test", "us-east-1", ACCOUNT)
    assert arn == "arn:aws:ses:us-east-1:123456789012:identity/news@a.test"
    assert rules.split_resource_arn(arn, "resource_arns", "us-east-1", ACCOUNT) == ("identities", "news@a.test")
    cs = rules.resource_arn("configuration_sets", "cs", "us-east-1", ACCOUNT)
    assert rules.split_resource_arn(cs, "resource_arns", "us-east-1", None) == ("configuration_sets", "cs")
    refused = [
        ("arn:aws:ses:eu-west-1:123456789012:identity/a.test", "region eu-west-1"),
        ("arn:aws:ses:us-east-1:210987654321:identity/a.test", "account 210987654321"),
        ("arn:aws:sns:us-east-1:123456789012:topic", "not the ARN"),
        ("arn:aws:ses:us-east-1:123456789012:tenant/t/tn-1", "not the ARN"),
        ("identity/a.test", "not the ARN"),
    ]
    for value, words in refused:
        with pytest.raises(InputError) as exc:
            rules.split_resource_arn(value, "resource_arns", "us-east-1", ACCOUNT)
        assert exc.value.option == "resource_arns" and words in exc.value.msg, value


def test_resources_plan_exact_set_and_absent():
    current, wanted = ["a", "b", "c"], ["b", "c", "d"]
    assert rules.resources_plan(current, wanted, exclusive=False) == (["d"], [])
    assert rules.resources_plan(current, wanted, exclusive=True) == (["d"], ["a"])
    assert rules.resources_plan(current, wanted, exclusive=True, state="absent") == ([], ["b", "c"])
    assert rules.resources_plan(current, current, exclusive=True) == ([], [])


def test_suppression_only_what_is_given_counts():
    have = {"SuppressedReasons": ["COMPLAINT", "BOUNCE"], "SuppressionScope": "ACCOUNT"}
    assert rules.suppression_want(have, None, None) is None
    assert rules.suppression_want(have, ["BOUNCE", "COMPLAINT"], "ACCOUNT") is None
    want = rules.suppression_want(have, None, "TENANT")
    assert want == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"], "SuppressionScope": "TENANT"}
    assert rules.suppression_want(have, [], None) == {"SuppressedReasons": [], "SuppressionScope": "ACCOUNT"}


def test_aggregate_status_as_ses_documents_it():
    assert rules.aggregate_status("ENABLED", "ENABLED") == "ENABLED"
    assert rules.aggregate_status("DISABLED", "REINSTATED") == "DISABLED"  # SES's pause wins
    assert rules.aggregate_status("ENABLED", "DISABLED") == "DISABLED"
    assert rules.aggregate_status(None, "REINSTATED") == "REINSTATED"


def test_kind_of_type():
    assert rules.kind_of_type("EMAIL_IDENTITY") == "identities"
    assert rules.kind_of_type("EMAIL_TEMPLATE") == "templates"
    assert rules.kind_of_type("SOMETHING_NEW") is None
