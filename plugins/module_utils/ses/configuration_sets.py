# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES v2 configuration sets and their event destinations: current state, desired state, the calls between.

Options a user leaves unset are not managed. ``suppressed_reasons`` is the one where "unset" and "empty"
differ: unset leaves the set as it is (a new set then follows the account's suppression list); an empty list
overrides the account and suppresses nothing for mail sent through this set.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none
from ansible_collections.deliverability.ses.plugins.module_utils import validate

EVENT_TYPES = ("SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE",
               "DELIVERY_DELAY", "SUBSCRIPTION")
DIMENSION_SOURCES = ("MESSAGE_TAG", "EMAIL_HEADER", "LINK_TAG")


def check_name(value, option, kind="configuration_set"):
    """A configuration set or event destination name (SES v2: 1-64 ASCII letters, digits, '_', '-')."""
    return validate.aws_name(value, option, kind)


# --------------------------------------------------------------------------------------- configuration set
def config_set_from_api(resp):
    delivery = resp.get("DeliveryOptions") or {}
    suppression = resp.get("SuppressionOptions")
    return {
        "name": resp.get("ConfigurationSetName"),
        "tls_policy": delivery.get("TlsPolicy") or "OPTIONAL",
        "sending_pool_name": delivery.get("SendingPoolName"),
        "max_delivery_seconds": delivery.get("MaxDeliverySeconds"),
        "reputation_metrics_enabled": bool((resp.get("ReputationOptions") or {}).get("ReputationMetricsEnabled")),
        "sending_enabled": bool((resp.get("SendingOptions") or {}).get("SendingEnabled", True)),
        # None: the account-level suppression list applies
        "suppressed_reasons": (sorted(suppression.get("SuppressedReasons") or [])
                               if suppression is not None else None),
        "tags": dict((t["Key"], t["Value"]) for t in resp.get("Tags") or []),
    }


def get_config_set(client, name):
    resp = get_or_none(client, "GetConfigurationSet", ConfigurationSetName=name)
    return None if resp is None else config_set_from_api(resp)


def desired_config_set(params):
    """Only the attributes the user set."""
    want = {}
    for key in ("tls_policy", "reputation_metrics_enabled", "sending_enabled"):
        if params.get(key) is not None:
            want[key] = params[key]
    if params.get("suppressed_reasons") is not None:
        want["suppressed_reasons"] = sorted(set(params["suppressed_reasons"]))
    if params.get("tags") is not None:
        want["tags"] = validate.tags(params["tags"], "tags")
    return want


def tag_changes(current, wanted, purge):
    """(tags to set, keys to remove)."""
    to_set = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    to_remove = sorted(k for k in current if k not in wanted) if purge else []
    return to_set, to_remove


def config_set_changes(current, want, purge_tags=True):
    """The attributes whose value differs: {attribute: wanted value}, tags as (to_set, to_remove)."""
    changes = {}
    for key, value in want.items():
        if key == "tags":
            to_set, to_remove = tag_changes(current.get("tags") or {}, value, purge_tags)
            if to_set or to_remove:
                changes["tags"] = (to_set, to_remove)
        elif current.get(key) != value:
            changes[key] = value
    return changes


def after_state(current, want, purge_tags=True):
    after = dict(current)
    for key, value in want.items():
        if key == "tags":
            tags = dict(current.get("tags") or {}) if not purge_tags else {}
            tags.update(value)
            after["tags"] = tags
        else:
            after[key] = value
    return after


def create_request(name, want):
    req = {"ConfigurationSetName": name}
    if "tls_policy" in want:
        req["DeliveryOptions"] = {"TlsPolicy": want["tls_policy"]}
    if "reputation_metrics_enabled" in want:
        req["ReputationOptions"] = {"ReputationMetricsEnabled": want["reputation_metrics_enabled"]}
    if "sending_enabled" in want:
        req["SendingOptions"] = {"SendingEnabled": want["sending_enabled"]}
    if "suppressed_reasons" in want:
        req["SuppressionOptions"] = {"SuppressedReasons": list(want["suppressed_reasons"])}
    if want.get("tags"):
        req["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(want["tags"].items())]
    return req


def apply_changes(client, name, current, changes, arn_fn, done):
    """One Put* call per changed attribute; ``done`` collects what was applied (for partial results)."""
    if "suppressed_reasons" in changes:
        call(client, "PutConfigurationSetSuppressionOptions", ConfigurationSetName=name,
             SuppressedReasons=list(changes["suppressed_reasons"]))
        done.append("suppressed_reasons")
    if "reputation_metrics_enabled" in changes:
        call(client, "PutConfigurationSetReputationOptions", ConfigurationSetName=name,
             ReputationMetricsEnabled=changes["reputation_metrics_enabled"])
        done.append("reputation_metrics_enabled")
    if "sending_enabled" in changes:
        call(client, "PutConfigurationSetSendingOptions", ConfigurationSetName=name,
             SendingEnabled=changes["sending_enabled"])
        done.append("sending_enabled")
    if "tls_policy" in changes:
        # the call replaces all delivery options: keep the sending pool and maximum delivery time
        req = {"ConfigurationSetName": name, "TlsPolicy": changes["tls_policy"]}
        if current.get("sending_pool_name"):
            req["SendingPoolName"] = current["sending_pool_name"]
        if current.get("max_delivery_seconds"):
            req["MaxDeliverySeconds"] = current["max_delivery_seconds"]
        call(client, "PutConfigurationSetDeliveryOptions", **req)
        done.append("tls_policy")
    if "tags" in changes:
        to_set, to_remove = changes["tags"]
        arn = arn_fn()
        if to_set:
            call(client, "TagResource", ResourceArn=arn,
                 Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
        if to_remove:
            call(client, "UntagResource", ResourceArn=arn, TagKeys=list(to_remove))
        done.append("tags")


# --------------------------------------------------------------------------------------- event destinations
def destination_from_api(item):
    out = {
        "name": item.get("Name"),
        "enabled": bool(item.get("Enabled")),
        "matching_event_types": sorted(item.get("MatchingEventTypes") or []),
        "sns_topic_arn": (item.get("SnsDestination") or {}).get("TopicArn"),
        "cloudwatch_dimensions": None,
    }
    cw = item.get("CloudWatchDestination")
    if cw is not None:
        out["cloudwatch_dimensions"] = sorted(
            ({"name": d.get("DimensionName"), "source": d.get("DimensionValueSource"),
              "default_value": d.get("DefaultDimensionValue")} for d in cw.get("DimensionConfigurations") or []),
            key=lambda d: d["name"] or "")
    others = [k for k in ("KinesisFirehoseDestination", "EventBridgeDestination", "PinpointDestination")
              if item.get(k)]
    if others:
        out["other_destination"] = others[0]
    return out


def get_destination(client, config_set, name):
    """(config set exists, destination or None)."""
    resp = get_or_none(client, "GetConfigurationSetEventDestinations", ConfigurationSetName=config_set)
    if resp is None:
        return False, None
    for item in resp.get("EventDestinations") or []:
        if item.get("Name") == name:
            return True, destination_from_api(item)
    return True, None


def desired_destination(params):
    types = sorted(set(t.upper() for t in params.get("matching_event_types") or []))
    for t in types:
        if t not in EVENT_TYPES:
            raise InputError("matching_event_types", "unknown event type %r; valid: %s" % (t, ", ".join(EVENT_TYPES)))
    if not types:
        raise InputError("matching_event_types", "at least one event type is required")
    want = {"name": params["name"], "enabled": params["enabled"], "matching_event_types": types,
            "sns_topic_arn": params.get("sns_topic_arn"), "cloudwatch_dimensions": None}
    if params.get("cloudwatch_dimensions") is not None:
        dims = []
        for d in params["cloudwatch_dimensions"]:
            validate.dimension_name(d["name"], "cloudwatch_dimensions.name")
            validate.dimension_value(d["default_value"], "cloudwatch_dimensions.default_value")
            dims.append({"name": d["name"], "source": d["source"], "default_value": d["default_value"]})
        if not dims:
            raise InputError("cloudwatch_dimensions", "at least one dimension is required")
        want["cloudwatch_dimensions"] = sorted(dims, key=lambda d: d["name"])
    if want["sns_topic_arn"]:
        validate.sns_topic_arn(want["sns_topic_arn"], "sns_topic_arn")
    return want


def destination_request(want):
    dest = {"Enabled": want["enabled"], "MatchingEventTypes": list(want["matching_event_types"])}
    if want.get("sns_topic_arn"):
        dest["SnsDestination"] = {"TopicArn": want["sns_topic_arn"]}
    if want.get("cloudwatch_dimensions"):
        dest["CloudWatchDestination"] = {"DimensionConfigurations": [
            {"DimensionName": d["name"], "DimensionValueSource": d["source"],
             "DefaultDimensionValue": d["default_value"]} for d in want["cloudwatch_dimensions"]]}
    return dest


def destination_differs(current, want):
    keys = ("enabled", "matching_event_types", "sns_topic_arn", "cloudwatch_dimensions")
    return any(current.get(k) != want.get(k) for k in keys) or "other_destination" in current
