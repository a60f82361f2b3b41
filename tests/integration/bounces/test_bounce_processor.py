"""bounce_processor end to end: SES sandbox -> SNS -> SQS -> ansible-playbook -> suppression list, store, summary."""

from __future__ import annotations

import csv
import json
import sqlite3
import time

RULES = {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                   {"match": "full@x.test", "behaviour": "soft_bounce"},
                   {"match": "angry@x.test", "behaviour": "complaint"},
                   {"match": "fan@x.test", "behaviour": "not_spam"},
                   {"match": "later@x.test", "behaviour": "delay"},
                   {"match": "maybe@x.test", "behaviour": "undetermined"}]}


def store_counts(path):
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT class, COUNT(*) FROM events GROUP BY class").fetchall())


def args(feedback, tmp_path, **extra):
    out = {"queue_url": feedback.queue_url, "store_path": str(tmp_path / "history.sqlite"), "wait_time_seconds": 0,
           "max_seconds": 60, "dead_letter_queue_url": feedback.dlq_url}
    out.update(extra)
    return out


def test_identity_notifications_reach_suppression_store_and_summary(sandbox, feedback, ansible_module, tmp_path):
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com",
                  "success@simulator.amazonses.com")
    feedback.send("u1@bad.test", "U2@Bad.Test", "full@x.test", "angry@x.test", "ok@x.test")
    # SES (the sandbox) suppressed the real hard bounce and complaint itself: account suppression covers both
    assert feedback.suppressed() == {"u1@bad.test": "BOUNCE", "U2@bad.test": "BOUNCE", "angry@x.test": "COMPLAINT"}
    queued = feedback.depth()
    mark = sandbox.mark()
    res = ansible_module("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "owner.csv")))
    assert res.rc == 0, res
    r = res.result
    assert r["changed"] is True
    assert r["counts"]["hard"] == 3 and r["counts"]["complaint"] == 2 and r["counts"]["soft"] == 1
    assert r["counts"]["delivery"] == 4  # success@, complaint@ (delivered, then complained), angry, ok
    assert r["counts_by_sub_type"]["hard/General"] == 3 and r["counts_by_sub_type"]["complaint/abuse"] == 2
    assert r["messages"]["received"] == queued and r["messages"]["deleted"] == queued
    assert feedback.depth() == 0
    assert set(r["remove_from_lists"]) == {"bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com",
                                           "u1@bad.test", "U2@bad.test", "angry@x.test"}
    via = {s["email"]: s["via"] for s in r["suppressed"]}
    assert via["u1@bad.test"] == "account" and via["angry@x.test"] == "account"
    assert via["bounce@simulator.amazonses.com"].startswith("none")
    assert [x["email"] for x in r["retry_schedule"]] == ["full@x.test"]
    assert r["retry_schedule"][0]["soft_bounces"] == 1 and 2880 <= r["retry_schedule"][0]["delay_seconds"] <= 3600
    # the suppression list is what SES made it; no simulator address; no needless API call
    assert feedback.suppressed() == {"u1@bad.test": "BOUNCE", "U2@bad.test": "BOUNCE", "angry@x.test": "COMPLAINT"}
    ops = [x["operation"] for x in sandbox.requests(mark) if x["service"] in ("sesv2", "sqs")]
    assert ops.count("GetAccount") == 1 and "PutSuppressedDestination" not in ops
    assert r["api_calls"]["ReceiveMessage"] == 2 and r["api_calls"]["DeleteMessageBatch"] == 1  # 10 messages
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 3, "complaint": 2, "soft": 1}
    rows = list(csv.DictReader((tmp_path / "owner.csv").open()))
    assert {(x["email"], x["action"]) for x in rows} >= {("u1@bad.test", "remove"), ("full@x.test", "retry")}
    # a second run finds nothing and changes nothing
    again = ansible_module("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "owner2.csv")))
    assert again.rc == 0 and again.result["messages"]["received"] == 0 and again.result["new_events"] == 0


def test_event_destination_and_identity_topics_do_not_double_count(sandbox, feedback, ansible_module, tmp_path):
    """Both publishing paths report the same bounce (same feedbackId): it is one event."""
    feedback.identity_topics(kinds=("Bounce", "Complaint"))
    cs = feedback.event_destination()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test", "angry@x.test", "later@x.test", "maybe@x.test", "fan@x.test", config_set=cs)
    res = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    r = res.result
    assert r["notification_kinds"]["bounce"] == 4  # u1 + maybe, each twice
    assert r["counts"]["hard"] == 1 and r["counts"]["undetermined"] == 1 and r["counts"]["complaint"] == 2
    assert r["duplicate_events"] == 4
    assert r["counts"]["delivery_delay"] == 1 and r["delivery_delays"][0]["email"] == "later@x.test"
    assert [x["email"] for x in r["review"]] == ["maybe@x.test"]
    assert "fan@x.test" not in r["remove_from_lists"] and "angry@x.test" in r["remove_from_lists"]
    assert r["counts_by_sub_type"]["complaint/not-spam"] == 1
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 1, "complaint": 2, "undetermined": 1}


def test_soft_bounces_escalate_and_api_suppression_when_account_does_not(sandbox, feedback, ansible_module, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u3@bad.test", "full@x.test")
    first = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert first.rc == 0, first
    assert [s["via"] for s in first.result["suppressed"]] == ["api"]
    assert first.result["retry_schedule"][0]["soft_bounces"] == 1
    feedback.send("full@x.test")
    second = ansible_module("bounce_processor", args(feedback, tmp_path))
    sched = second.result["retry_schedule"][0]
    assert sched["soft_bounces"] == 2 and 5760 <= sched["delay_seconds"] <= 7200  # 2 h less up to 20% jitter
    feedback.send("full@x.test")
    third = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert third.rc == 0, third
    assert third.result["escalated"] == ["full@x.test"] and third.result["retry_schedule"] == []
    assert feedback.suppressed() == {"u3@bad.test": "BOUNCE", "full@x.test": "BOUNCE"}
    assert third.result["api_calls"].get("PutSuppressedDestination") == 1


def test_crash_mid_batch_then_rerun_loses_nothing_and_counts_once(sandbox, feedback, ansible_module, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", RULES)
    hard = ["h%02d@bad.test" % i for i in range(8)]
    feedback.send(*hard, "full@x.test")
    assert feedback.depth() == 9
    # run 1 stops early (a processor killed after 3 messages): the rest stays queued
    part = ansible_module("bounce_processor", args(feedback, tmp_path, max_messages=3))
    assert part.rc == 0 and part.result["messages"]["deleted"] == 3 and feedback.depth() == 6
    # run 2 handles its batch, then DeleteMessageBatch fails: the module fails, messages come back
    # (botocore's max_attempts counts retries: 1 = two attempts, both refused)
    sandbox.post("faults", {"rules": [{"service": "sqs", "operation": "DeleteMessageBatch", "kind": "error",
                                       "count": 2}]})
    crashed = ansible_module("bounce_processor", args(feedback, tmp_path, visibility_timeout=1, max_attempts=1))
    assert crashed.rc != 0 and "DeleteMessageBatch" in crashed.result["msg"]
    assert crashed.result["messages"]["handled"] == 6 and crashed.result["messages"]["deleted"] == 0
    sandbox.delete("faults")
    time.sleep(1.2)
    assert feedback.depth() == 6
    rerun = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert rerun.rc == 0, rerun
    r = rerun.result
    assert r["messages"]["deleted"] == 6 and feedback.depth() == 0
    assert r["new_events"] == 0 and r["duplicate_events"] == 6  # run 2 recorded them: not counted again
    assert set(feedback.suppressed()) == set(hard)
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 8, "soft": 1}
    # every address was put on the list once it was handled; none twice in the rerun
    assert r["api_calls"].get("PutSuppressedDestination", 0) == 0
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM soft").fetchone()[0] == 1


def test_poison_messages_land_in_the_dead_letter_queue(sandbox, feedback, ansible_module, tmp_path):
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test")
    poison = ["not json at all", json.dumps({"notificationType": "Bounce"}), json.dumps([1, 2]),
              json.dumps({"Type": "Notification", "MessageId": "x", "TopicArn": "t", "Message": "{truncated"})]
    for body in poison:
        feedback.raw(body)
    res = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["messages"]["dead_lettered"] == 4 and len(res.result["poison"]) == 4
    assert feedback.depth() == 0
    assert sorted(feedback.peek_all(feedback.dlq_url)) == sorted(poison)
    got = feedback.sqs.receive_message(QueueUrl=feedback.dlq_url, MaxNumberOfMessages=1, VisibilityTimeout=0,
                                       MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageAttributes"]["deliverability_error"]["StringValue"]


def test_poison_without_dlq_goes_to_quarantine_or_stays(sandbox, feedback, ansible_module, tmp_path):
    feedback.raw("garbage one")
    kept = ansible_module("bounce_processor", args(feedback, tmp_path, dead_letter_queue_url=None,
                                                   visibility_timeout=1))
    assert kept.rc == 0 and kept.result["messages"]["left_in_queue"] == 1 and feedback.depth() == 1
    time.sleep(1.2)
    qfile = tmp_path / "quarantine.jsonl"
    moved = ansible_module("bounce_processor", args(feedback, tmp_path, dead_letter_queue_url=None,
                                                    quarantine_path=str(qfile)))
    assert moved.rc == 0 and moved.result["messages"]["quarantined"] == 1 and feedback.depth() == 0
    line = json.loads(qfile.read_text().splitlines()[0])
    assert line["body"] == "garbage one" and line["error"].startswith("not JSON")


def test_check_mode_changes_nothing_and_predicts(sandbox, feedback, ansible_module, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test", "full@x.test", "ok@x.test")
    feedback.raw("poison")
    queued = feedback.depth()
    mark = sandbox.mark()
    res = ansible_module("bounce_processor", args(feedback, tmp_path), check=True)
    assert res.rc == 0, res
    r = res.result
    assert r["changed"] is True and r["counts"]["hard"] == 1 and r["counts"]["soft"] == 1
    assert [s["via"] for s in r["suppressed"]] == ["api"] and len(r["poison"]) == 1
    assert sandbox.mutating_calls(since=mark) == []
    receives = [c for c in sandbox.requests(mark) if c["operation"] == "ReceiveMessage"]
    assert receives and all(str(c["params"].get("VisibilityTimeout")) == "0" for c in receives)
    assert feedback.depth() == queued and feedback.suppressed() == {}
    assert not (tmp_path / "history.sqlite").exists()
    real = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert real.result["counts"] == r["counts"] and real.result["suppressed"] == r["suppressed"]
    assert real.result["retry_schedule"] == r["retry_schedule"]


def test_notification_files(sandbox, ansible_module, tmp_path):
    from pathlib import Path
    corpus = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "notifications"
    files = [str(corpus / n) for n in ("doc_bounce_with_dsn.json", "sns_complaint.json", "event_delivery_delay.json",
                                       "malformed_truncated.json", "bounce_transient_mailboxfull.json")]
    res = ansible_module("bounce_processor", {"paths": files, "store_path": str(tmp_path / "h.sqlite"),
                                              "quarantine_path": str(tmp_path / "q.jsonl")})
    assert res.rc == 0, res
    r = res.result
    assert r["counts"]["hard"] == 1 and r["counts"]["complaint"] == 1 and r["counts"]["soft"] == 1
    assert r["messages"]["quarantined"] == 1
    # the documentation's example is from 2016: the soft bounce is outside the window, its retry is long past
    again = ansible_module("bounce_processor", {"paths": files, "store_path": str(tmp_path / "h.sqlite")})
    assert again.result["new_events"] == 0 and again.result["duplicate_events"] == 3


def test_two_processors_share_one_queue_through_dynamodb(sandbox, feedback, ansible_module, tmp_path):
    import threading
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics(kinds=("Bounce", "Complaint"))
    sandbox.post("recipients", RULES)
    hard = ["d%02d@bad.test" % i for i in range(10)]
    feedback.send(*hard, "full@x.test", "angry@x.test")
    queued = feedback.depth()
    common = {"queue_url": feedback.queue_url, "store": "dynamodb", "store_table": "ses-bounces",
              "store_create_table": True, "wait_time_seconds": 0, "max_messages": 6}
    check = ansible_module("bounce_processor", common, check=True)
    assert check.rc == 0 and check.result["changed"] is True, check.result
    assert "ses-bounces" not in feedback.sandbox.boto3_client("dynamodb").list_tables()["TableNames"]
    first = ansible_module("bounce_processor", dict(common, max_messages=1))  # creates the table
    assert first.rc == 0, first
    results = []

    def run():
        results.append(ansible_module("bounce_processor", dict(common, max_messages=100)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.rc == 0 for r in results), results
    total_new = first.result["new_events"] + sum(r.result["new_events"] for r in results)
    assert total_new == queued == 12
    assert feedback.depth() == 0
    assert feedback.suppressed() == dict([(h, "BOUNCE") for h in hard] + [("angry@x.test", "COMPLAINT")])
    store = feedback.sandbox.boto3_client("dynamodb")
    items = store.scan(TableName="ses-bounces")["Items"]
    assert sum(1 for i in items if i["pk"]["S"].startswith("E#")) == 12


def test_raw_message_delivery_subscription(sandbox, feedback, ansible_module, tmp_path):
    """SNS raw message delivery: the SQS body is SES's JSON itself, without the envelope."""
    sub = feedback.sns.list_subscriptions_by_topic(TopicArn=feedback.topic)["Subscriptions"][0]["SubscriptionArn"]
    feedback.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", RULES)
    feedback.send("raw@bad.test")
    body = json.loads(feedback.peek_all(feedback.queue_url)[0])
    assert body["notificationType"] == "Bounce"
    res = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["counts"]["hard"] == 1 and res.result["remove_from_lists"] == ["raw@bad.test"]


def test_classify_notification_filter_in_a_playbook(ansible_playbook):
    from pathlib import Path
    corpus = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "notifications"
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "classify", "ansible.builtin.set_fact": {
            "note": "{{ lookup('ansible.builtin.file', '%s') | deliverability.ses.classify_notification }}"
                    % (corpus / "sns_bounce_with_dsn.json")}},
        {"name": "show", "ansible.builtin.debug": {"var": "note"}},
        {"name": "addresses", "ansible.builtin.debug": {
            "msg": "{{ note.recipients | selectattr('action', 'equalto', 'suppress') | map(attribute='email') | list }}"}},
        {"name": "garbage", "ansible.builtin.debug": {"msg": "{{ 'garbage' | deliverability.ses.classify_notification }}"}},
    ]}
    res = ansible_playbook([play])
    assert res.rc == 0, res
    assert res.task("show")["note"]["kind"] == "bounce"
    assert res.task("addresses")["msg"] == ["jane@example.com"]
    assert res.task("garbage")["msg"]["valid"] is False


def test_transient_bounce_with_a_user_unknown_status_is_suppressed_by_us(sandbox, feedback, ansible_module, tmp_path):
    """SES says Transient/General (and so suppresses nothing), the status says 5.1.1: the processor suppresses."""
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", {"rules": [{"match": "odd@x.test", "behaviour": "transient", "status": "5.1.1",
                                           "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]})
    feedback.send("odd@x.test")
    assert feedback.suppressed() == {}
    res = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["suppressed"] == [{"email": "odd@x.test", "reason": "BOUNCE", "class": "hard", "via": "api",
                                         "escalated": False}]
    assert feedback.suppressed() == {"odd@x.test": "BOUNCE"}


def test_configuration_set_without_suppression_overrides_the_account(sandbox, feedback, ansible_module, tmp_path):
    """The account suppresses bounces, the configuration set says 'suppress nothing': SES did not, so we do."""
    cs = feedback.event_destination(name="nosuppress", types=("BOUNCE",))
    feedback.ses.put_configuration_set_suppression_options(ConfigurationSetName=cs, SuppressedReasons=[])
    sandbox.post("recipients", RULES)
    feedback.send("cs@bad.test", config_set=cs)
    assert feedback.suppressed() == {}
    res = ansible_module("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert [(s["email"], s["via"]) for s in res.result["suppressed"]] == [("cs@bad.test", "api")]
    assert res.result["api_calls"]["GetConfigurationSet"] == 1
    assert feedback.suppressed() == {"cs@bad.test": "BOUNCE"}
