"""Configuration sets: unset vs empty suppression, per-attribute changes, tags, event destinations."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.ses import configuration_sets as cs
from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError

API = {"ConfigurationSetName": "tx", "DeliveryOptions": {"TlsPolicy": "REQUIRE", "SendingPoolName": "pool"},
       "ReputationOptions": {"ReputationMetricsEnabled": True}, "SendingOptions": {"SendingEnabled": True},
       "Tags": [{"Key": "team", "Value": "mail"}]}


def test_from_api_unset_suppression_is_none_and_empty_is_empty():
    assert cs.config_set_from_api(API)["suppressed_reasons"] is None
    assert cs.config_set_from_api(dict(API, SuppressionOptions={"SuppressedReasons": []}))["suppressed_reasons"] == []
    got = cs.config_set_from_api(dict(API, SuppressionOptions={"SuppressedReasons": ["COMPLAINT", "BOUNCE"]}))
    assert got["suppressed_reasons"] == ["BOUNCE", "COMPLAINT"]


def test_desired_only_what_is_set():
    assert cs.desired_config_set({"suppressed_reasons": None, "tls_policy": None, "tags": None}) == {}
    assert cs.desired_config_set({"suppressed_reasons": []}) == {"suppressed_reasons": []}


def test_changes():
    current = cs.config_set_from_api(API)
    assert cs.config_set_changes(current, {"suppressed_reasons": []}) == {"suppressed_reasons": []}
    assert cs.config_set_changes(current, {"tls_policy": "REQUIRE", "reputation_metrics_enabled": True}) == {}
    assert cs.config_set_changes(current, {"tags": {"team": "mail"}}) == {}
    assert cs.config_set_changes(current, {"tags": {"env": "prod"}}) == {"tags": ({"env": "prod"}, ["team"])}
    assert cs.config_set_changes(current, {"tags": {"env": "prod"}}, purge_tags=False) == {"tags": ({"env": "prod"}, [])}


def test_after_state_tags():
    current = cs.config_set_from_api(API)
    assert cs.after_state(current, {"tags": {"env": "x"}})["tags"] == {"env": "x"}
    assert cs.after_state(current, {"tags": {"env": "x"}}, purge_tags=False)["tags"] == {"team": "mail", "env": "x"}


def test_create_request():
    req = cs.create_request("tx", {"suppressed_reasons": [], "tls_policy": "REQUIRE", "tags": {"b": "2", "a": "1"}})
    assert req == {"ConfigurationSetName": "tx", "SuppressionOptions": {"SuppressedReasons": []},
                   "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                   "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
    assert cs.create_request("tx", {}) == {"ConfigurationSetName": "tx"}


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda **kw: self.calls.append((name, kw)) or {}


def test_tls_change_keeps_pool():
    client, done = Recorder(), []
    cs.apply_changes(client, "tx", cs.config_set_from_api(API), {"tls_policy": "OPTIONAL"}, lambda: "arn", done)
    assert client.calls == [("put_configuration_set_delivery_options",
                             {"ConfigurationSetName": "tx", "TlsPolicy": "OPTIONAL", "SendingPoolName": "pool"})]
    assert done == ["tls_policy"]


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "dots.no", None])
def test_names(name):
    with pytest.raises(InputError):
        cs.check_name(name, "name")


def test_destination_round_trip_and_difference():
    params = {"name": "d", "enabled": True, "matching_event_types": ["COMPLAINT", "BOUNCE", "BOUNCE"],
              "sns_topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "cloudwatch_dimensions": None}
    want = cs.desired_destination(params)
    assert want["matching_event_types"] == ["BOUNCE", "COMPLAINT"]
    api = dict(cs.destination_request(want), Name="d")
    assert not cs.destination_differs(cs.destination_from_api(api), want)
    assert cs.destination_differs(cs.destination_from_api(dict(api, Enabled=False)), want)
    kinesis = {"Name": "d", "Enabled": True, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
               "KinesisFirehoseDestination": {"DeliveryStreamArn": "x", "IamRoleArn": "y"}}
    assert cs.destination_differs(cs.destination_from_api(kinesis), want)


def test_destination_input_errors():
    base = {"name": "d", "enabled": True, "sns_topic_arn": None, "cloudwatch_dimensions": None}
    with pytest.raises(InputError) as err:
        cs.desired_destination(dict(base, matching_event_types=[]))
    assert err.value.option == "matching_event_types"
    with pytest.raises(InputError) as err:
        cs.desired_destination(dict(base, matching_event_types=["BOUNCE"], sns_topic_arn="topic"))
    assert err.value.option == "sns_topic_arn"
    cw = cs.desired_destination(dict(base, matching_event_types=["SEND"], cloudwatch_dimensions=[
        {"name": "z", "source": "MESSAGE_TAG", "default_value": "n"},
        {"name": "a", "source": "EMAIL_HEADER", "default_value": "n"}]))
    assert [d["name"] for d in cw["cloudwatch_dimensions"]] == ["a", "z"]
