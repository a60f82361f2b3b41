"""feedback_pipeline: check mode, create, idempotence, drift, notifications arrive.

Check mode with --diff goes through the controller once; the rest is the module's logic, in-process (module_main)."""

from __future__ import annotations

import json


def test_check_create_rerun_and_delivery(sandbox, ansible_module, module_main):
    mark = sandbox.mark()
    res = ansible_module("feedback_pipeline", {"name": "ses-feedback"}, check=True, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert "CreateTopic" in res.result["actions"] and "Subscribe" in res.result["actions"]
    assert sandbox.mutating_calls(since=mark) == []

    res = module_main("feedback_pipeline", {"name": "ses-feedback"}, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    out = res.result
    assert out["topic_arn"].endswith(":ses-feedback") and out["queue_url"].endswith("/ses-feedback")

    sqs = sandbox.boto3_client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=out["queue_url"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":ses-feedback-dlq") and int(redrive["maxReceiveCount"]) == 5
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == out["topic_arn"]

    mark = sandbox.mark()
    again = module_main("feedback_pipeline", {"name": "ses-feedback"})
    assert again.rc == 0 and again.result["changed"] is False, again.result
    assert sandbox.mutating_calls(since=mark) == []

    sandbox.boto3_client("sns").publish(TopicArn=out["topic_arn"], Message=json.dumps({"notificationType": "Bounce"}))
    body = json.loads(sqs.receive_message(QueueUrl=out["queue_url"])["Messages"][0]["Body"])
    assert json.loads(body["Message"]) == {"notificationType": "Bounce"}


def test_drift_is_repaired_and_reported(sandbox, module_main):
    assert module_main("feedback_pipeline", {"name": "p2"}).rc == 0
    res = module_main("feedback_pipeline", {"name": "p2", "max_receive_count": 3, "raw_message_delivery": True},
                      diff=True)
    assert res.rc == 0 and res.result["changed"] is True
    assert any(a.startswith("SetQueueAttributes") for a in res.result["actions"])
    assert "SetSubscriptionAttributes RawMessageDelivery=true" in res.result["actions"]
    again = module_main("feedback_pipeline", {"name": "p2", "max_receive_count": 3, "raw_message_delivery": True})
    assert again.result["changed"] is False


def test_absent_refuses_to_drop_messages_without_force(sandbox, module_main):
    out = module_main("feedback_pipeline", {"name": "p3"}).result
    sandbox.boto3_client("sqs").send_message(QueueUrl=out["queue_url"], MessageBody="{}")
    res = module_main("feedback_pipeline", {"name": "p3", "state": "absent"})
    assert res.rc != 0 and res.result["msg"].startswith("force:")
    res = module_main("feedback_pipeline", {"name": "p3", "state": "absent", "force": True})
    assert res.rc == 0 and res.result["changed"] is True
    again = module_main("feedback_pipeline", {"name": "p3", "state": "absent"})
    assert again.result["changed"] is False


def test_bad_input_names_the_option(module_main):
    res = module_main("feedback_pipeline", {"name": "bad name!"})
    assert res.rc != 0 and res.result["msg"].startswith("name:")
    res = module_main("feedback_pipeline", {"name": "ok", "max_receive_count": 0})
    assert res.rc != 0 and res.result["msg"].startswith("max_receive_count:")
