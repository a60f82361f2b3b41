"""configuration_set and configuration_set_event_destination against the sandbox: the modules' logic (create,
update, idempotence, check mode from the request log, errors), each play run in-process with module_play."""

from __future__ import annotations

from .conftest import play, task


def test_configuration_set_lifecycle(sandbox, module_play):
    ses = sandbox.boto3_client("sesv2")
    full = {"name": "transactional", "suppressed_reasons": ["COMPLAINT", "BOUNCE"], "reputation_metrics_enabled": True,
            "sending_enabled": True, "tls_policy": "REQUIRE", "tags": {"team": "mail", "env": "prod"}}
    plays = play(task("create", "configuration_set", full))

    mark = sandbox.mark()
    check = module_play(plays, check=True, diff=True)
    assert check.rc == 0, check
    assert check.task("create")["changed"] is True and check.task("create")["changes"] == ["created"]
    assert sandbox.mutating_calls(since=mark) == []

    run = module_play(plays)
    assert run.rc == 0, run
    got = ses.get_configuration_set(ConfigurationSetName="transactional")
    assert got["SuppressionOptions"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    assert got["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    assert got["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"team": "mail", "env": "prod"}

    mark = sandbox.mark()
    again = module_play(plays)
    assert again.task("create")["changed"] is False
    assert sandbox.mutating_calls(since=mark) == []

    # an empty list disables suppression for the set; unset leaves it alone
    res = module_play(play(
        task("disable", "configuration_set", {"name": "transactional", "suppressed_reasons": []}),
        task("leave alone", "configuration_set", {"name": "transactional", "tls_policy": "OPTIONAL"}),
        task("retag", "configuration_set", {"name": "transactional", "tags": {"team": "ops"}, "purge_tags": True}),
    ), diff=True)
    assert res.rc == 0, res
    assert res.task("disable")["changes"] == ["suppressed_reasons"]
    assert res.task("disable")["diff"]["after"]["suppressed_reasons"] == []
    assert res.task("leave alone")["changes"] == ["tls_policy"]
    assert res.task("leave alone")["configuration_set"]["suppressed_reasons"] == []
    assert res.task("retag")["configuration_set"]["tags"] == {"team": "ops"}
    got = ses.get_configuration_set(ConfigurationSetName="transactional")
    assert got["SuppressionOptions"]["SuppressedReasons"] == []
    assert got["DeliveryOptions"]["TlsPolicy"] == "OPTIONAL"
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"team": "ops"}

    # a set created without suppressed_reasons follows the account (no SuppressionOptions at all)
    res = module_play(play(task("plain", "configuration_set", {"name": "plain"})))
    assert res.task("plain")["configuration_set"]["suppressed_reasons"] is None
    assert "SuppressionOptions" not in ses.get_configuration_set(ConfigurationSetName="plain")

    mark = sandbox.mark()
    check = module_play(play(task("delete", "configuration_set", {"name": "transactional", "state": "absent"})),
                        check=True)
    assert check.task("delete")["changed"] is True and sandbox.mutating_calls(since=mark) == []
    gone = module_play(play(task("delete", "configuration_set", {"name": "transactional", "state": "absent"}),
                            task("delete again", "configuration_set",
                                 {"name": "transactional", "state": "absent"})))
    assert gone.task("delete")["changed"] is True and gone.task("delete again")["changed"] is False
    assert [c["operation"] for c in sandbox.mutating_calls(since=mark)] == ["DeleteConfigurationSet"]


def test_event_destinations_sns_and_cloudwatch(sandbox, module_play):
    ses = sandbox.boto3_client("sesv2")
    topic = sandbox.boto3_client("sns").create_topic(Name="ses-bounces")["TopicArn"]
    ses.create_configuration_set(ConfigurationSetName="transactional")
    sns = {"configuration_set": "transactional", "name": "to-sns", "sns_topic_arn": topic,
           "matching_event_types": ["COMPLAINT", "BOUNCE", "REJECT", "DELIVERY_DELAY"]}
    cw = {"configuration_set": "transactional", "name": "metrics", "matching_event_types": ["SEND", "DELIVERY"],
          "cloudwatch_dimensions": [{"name": "campaign", "default_value": "none"}]}
    plays = play(task("sns", "configuration_set_event_destination", sns),
                 task("cw", "configuration_set_event_destination", cw))

    mark = sandbox.mark()
    check = module_play(plays, check=True, diff=True)
    assert check.rc == 0, check
    assert [check.task(n)["action"] for n in ("sns", "cw")] == ["create", "create"]
    assert sandbox.mutating_calls(since=mark) == []

    run = module_play(plays)
    assert run.rc == 0, run
    dests = {d["Name"]: d for d in ses.get_configuration_set_event_destinations(
        ConfigurationSetName="transactional")["EventDestinations"]}
    assert sorted(dests["to-sns"]["MatchingEventTypes"]) == ["BOUNCE", "COMPLAINT", "DELIVERY_DELAY", "REJECT"]
    assert dests["to-sns"]["SnsDestination"]["TopicArn"] == topic and dests["to-sns"]["Enabled"] is True
    assert dests["metrics"]["CloudWatchDestination"]["DimensionConfigurations"] == [
        {"DimensionName": "campaign", "DimensionValueSource": "MESSAGE_TAG", "DefaultDimensionValue": "none"}]

    mark = sandbox.mark()
    again = module_play(plays)
    assert [again.task(n)["changed"] for n in ("sns", "cw")] == [False, False]
    assert sandbox.mutating_calls(since=mark) == []

    res = module_play(play(
        task("narrow", "configuration_set_event_destination", dict(sns, matching_event_types=["BOUNCE"],
                                                                   enabled=False)),
        task("drop", "configuration_set_event_destination",
             {"configuration_set": "transactional", "name": "metrics", "state": "absent"}),
        task("no set", "configuration_set_event_destination", dict(sns, configuration_set="nope"),
             ignore_errors=True),
        task("bad type", "configuration_set_event_destination", dict(sns, matching_event_types=["BOUNCES"]),
             ignore_errors=True),
    ), diff=True)
    assert res.task("narrow")["action"] == "update"
    assert res.task("narrow")["diff"]["before"]["matching_event_types"] == ["BOUNCE", "COMPLAINT", "DELIVERY_DELAY",
                                                                          "REJECT"]
    assert res.task("drop")["action"] == "delete"
    assert "configuration_set" in res.task("no set")["msg"] and "does not exist" in res.task("no set")["msg"]
    assert "matching_event_types" in res.task("bad type")["msg"]
    dests = ses.get_configuration_set_event_destinations(ConfigurationSetName="transactional")["EventDestinations"]
    assert [(d["Name"], d["Enabled"], d["MatchingEventTypes"]) for d in dests] == [("to-sns", False, ["BOUNCE"])]
