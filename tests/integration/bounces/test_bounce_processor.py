"""bounce_processor end to end: SES sandbox -> SNS -> SQS -> the module -> suppression list, store, report.

The module's logic runs in-process (module_main); ansible_module (a real ansible-playbook) only where the controller
or concurrency is the point."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import DOMAIN

AWS = str(Path(sys.executable).parent / "aws")


def aws_cli(sandbox, *args):
    out = subprocess.run([AWS, "--endpoint-url", sandbox.endpoint, "--output", "json", *args],
                         env=dict(sandbox.env(), PATH="/usr/bin:/bin"), capture_output=True, text=True, timeout=60)
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip() else {}), out.stderr

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


def test_identity_notifications_reach_suppression_store_and_summary(sandbox, feedback, module_main, tmp_path):
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com",
                  "success@simulator.amazonses.com")
    feedback.send("u1@bad.test", "U2@Bad.Test", "full@x.test", "angry@x.test", "ok@x.test")
    # SES (the sandbox) suppressed the real hard bounce and complaint itself: account suppression covers both
    assert feedback.suppressed() == {"u1@bad.test": "BOUNCE", "U2@bad.test": "BOUNCE", "angry@x.test": "COMPLAINT"}
    queued = feedback.depth()
    mark = sandbox.mark()
    res = module_main("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "owner.csv"),
                                               report_dir=str(tmp_path / "reports")))
    assert res.rc == 0, res
    r = res.result
    assert r["changed"] is True
    # the mailbox simulator is its own row, in no class count and on no list
    assert r["counts"]["hard"] == 2 and r["counts"]["complaint"] == 1 and r["counts"]["soft"] == 1
    assert r["counts"]["delivery"] == 2  # angry (delivered, then complained), ok
    assert sorted(x["email"] for x in r["simulator"]) == ["bounce@simulator.amazonses.com",
                                                          "complaint@simulator.amazonses.com",
                                                          "success@simulator.amazonses.com"]
    assert r["counts_by_sub_type"]["hard/General"] == 2 and r["counts_by_sub_type"]["complaint/abuse"] == 1
    assert r["messages"]["received"] == queued and r["messages"]["deleted"] == queued
    assert feedback.depth() == 0
    assert set(r["remove_from_lists"]) == {"u1@bad.test", "U2@bad.test", "angry@x.test"}
    via = {s["email"]: s["via"] for s in r["suppressed"]}
    assert via == {"u1@bad.test": "account", "U2@bad.test": "account", "angry@x.test": "account"}
    assert [x["email"] for x in r["retry_schedule"]] == ["full@x.test"]
    assert r["retry_schedule"][0]["soft_bounces"] == 1 and 2880 <= r["retry_schedule"][0]["delay_seconds"] <= 3600
    # the suppression list is what SES made it (read back, not assumed); no simulator address; no needless write
    assert feedback.suppressed() == {"u1@bad.test": "BOUNCE", "U2@bad.test": "BOUNCE", "angry@x.test": "COMPLAINT"}
    ops = [x["operation"] for x in sandbox.requests(mark) if x["service"] in ("sesv2", "sqs")]
    # one listing answers for all three (issue 24), no per-address read, no write
    assert r["api_calls"]["ListSuppressedDestinations"] == 1 and "PutSuppressedDestination" not in ops
    assert "GetSuppressedDestination" not in ops
    assert r["api_calls"]["ReceiveMessage"] == 2 and r["api_calls"]["DeleteMessageBatch"] == 1  # 10 messages
    # deliveries are stored too (de-duplicated like the rest)
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 3, "complaint": 2, "soft": 1, "delivery": 4}
    rows = list(csv.DictReader((tmp_path / "owner.csv").open()))
    assert {(x["email"], x["action"]) for x in rows} >= {("u1@bad.test", "remove"), ("full@x.test", "retry_later"),
                                                         ("bounce@simulator.amazonses.com", "none")}
    assert "None" not in (tmp_path / "owner.csv").read_text()
    md = (tmp_path / "reports" / "list-hygiene.md").read_text()
    assert "| addresses suppressed | 3 |" in md and "## Suppressed (3)" in md
    assert "| mailbox simulator (never suppressed) | 3 |" in md
    # a second run finds nothing and changes nothing (the report of the day is the same)
    again = module_main("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "owner.csv"),
                                                 report_dir=str(tmp_path / "reports")))
    assert again.rc == 0 and again.result["messages"]["received"] == 0 and again.result["new_events"] == 0
    assert again.result["changed"] is False and again.result["report"] == r["report"]


def test_event_destination_and_identity_topics_do_not_double_count(sandbox, feedback, module_main, tmp_path):
    """Both publishing paths report the same bounce (same SES message id and recipient): it is one event, and the
    second copy is not a 'redelivery'."""
    feedback.identity_topics(kinds=("Bounce", "Complaint"))
    cs = feedback.event_destination()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test", "angry@x.test", "later@x.test", "maybe@x.test", "fan@x.test", config_set=cs)
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    r = res.result
    assert r["notification_kinds"]["bounce"] == 4  # u1 + maybe, each twice
    assert r["counts"]["hard"] == 1 and r["counts"]["undetermined"] == 1 and r["counts"]["complaint"] == 2
    assert r["cross_channel_copies"] == 4 and r["redelivered"] == 0 and r["duplicate_events"] == 0
    assert r["counts"]["delivery_delay"] == 1 and r["delivery_delays"][0]["email"] == "later@x.test"
    assert [x["email"] for x in r["review"]] == ["maybe@x.test"]
    assert "fan@x.test" not in r["remove_from_lists"] and "angry@x.test" in r["remove_from_lists"]
    assert r["counts_by_sub_type"]["complaint/not-spam"] == 1
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 1, "complaint": 2, "undetermined": 1, "delivery": 2,
                                                         "delivery_delay": 1}
    assert r["report"]["cross_channel"] == 4 and r["report"]["redelivered"] == 0


def test_soft_bounces_escalate_and_api_suppression_when_account_does_not(sandbox, feedback, module_main, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u3@bad.test", "full@x.test")
    first = module_main("bounce_processor", args(feedback, tmp_path))
    assert first.rc == 0, first
    assert [s["via"] for s in first.result["suppressed"]] == ["api"]
    assert first.result["retry_schedule"][0]["soft_bounces"] == 1
    feedback.send("full@x.test")
    second = module_main("bounce_processor", args(feedback, tmp_path))
    sched = second.result["retry_schedule"][0]
    assert sched["soft_bounces"] == 2 and 5760 <= sched["delay_seconds"] <= 7200  # 2 h less up to 20% jitter
    feedback.send("full@x.test")
    third = module_main("bounce_processor", args(feedback, tmp_path))
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
    assert r["new_events"] == 0 and r["redelivered"] == 6  # run 2 recorded them: not counted again
    assert set(feedback.suppressed()) == set(hard)
    assert store_counts(tmp_path / "history.sqlite") == {"hard": 8, "soft": 1}
    # every address was put on the list once it was handled; none twice in the rerun
    assert r["api_calls"].get("PutSuppressedDestination", 0) == 0
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM soft").fetchone()[0] == 1


def test_poison_messages_land_in_the_dead_letter_queue(sandbox, feedback, module_main, tmp_path):
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test")
    poison = ["not json at all", json.dumps({"notificationType": "Bounce"}), json.dumps([1, 2]),
              json.dumps({"Type": "Notification", "MessageId": "x", "TopicArn": "t", "Message": "{truncated"})]
    for body in poison:
        feedback.raw(body)
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["messages"]["dead_lettered"] == 4 and len(res.result["poison"]) == 4
    assert feedback.depth() == 0
    assert sorted(feedback.peek_all(feedback.dlq_url)) == sorted(poison)
    got = feedback.sqs.receive_message(QueueUrl=feedback.dlq_url, MaxNumberOfMessages=1, VisibilityTimeout=0,
                                       MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageAttributes"]["deliverability_error"]["StringValue"]


def test_poison_without_dlq_goes_to_quarantine_or_stays(sandbox, feedback, module_main, tmp_path):
    feedback.raw("garbage one")
    kept = module_main("bounce_processor", args(feedback, tmp_path, dead_letter_queue_url=None,
                                                   visibility_timeout=1))
    assert kept.rc == 0 and kept.result["messages"]["left_in_queue"] == 1 and feedback.depth() == 1
    time.sleep(1.2)
    qfile = tmp_path / "quarantine.jsonl"
    moved = module_main("bounce_processor", args(feedback, tmp_path, dead_letter_queue_url=None,
                                                    quarantine_path=str(qfile)))
    assert moved.rc == 0 and moved.result["messages"]["quarantined"] == 1 and feedback.depth() == 0
    line = json.loads(qfile.read_text().splitlines()[0])
    assert line["body"] == "garbage one" and line["error"].startswith("not JSON")


def test_check_mode_receives_nothing_and_reads_the_depth(sandbox, feedback, module_main, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics()
    sandbox.post("recipients", RULES)
    feedback.send("u1@bad.test", "full@x.test", "ok@x.test")
    feedback.raw("poison")
    queued = feedback.depth()
    mark = sandbox.mark()
    res = module_main("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "s.md"),
                                               quarantine_path=str(tmp_path / "q.jsonl")), check=True)
    assert res.rc == 0, res
    r = res.result
    assert r["changed"] is True and r["queue"]["visible"] == queued and r["queue"]["would_receive"] == queued
    assert r["queue"]["dead_letter_queue"] == 0 and r["messages"]["received"] == 0
    assert sandbox.mutating_calls(since=mark) == []
    assert [c["operation"] for c in sandbox.requests(mark) if c["service"] == "sqs"] == ["GetQueueAttributes"] * 2
    assert feedback.depth() == queued and feedback.suppressed() == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, no report, no quarantine file
    real = module_main("bounce_processor", args(feedback, tmp_path))
    assert real.result["messages"]["received"] == queued and real.result["counts"]["hard"] == 1


def test_notification_files(sandbox, module_main, tmp_path):
    from pathlib import Path
    corpus = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "formats" / "notifications"
    files = [str(corpus / n) for n in ("doc_bounce_with_dsn.json", "sns_complaint.json", "event_delivery_delay.json",
                                       "malformed_truncated.json", "bounce_transient_mailboxfull.json")]
    res = module_main("bounce_processor", {"paths": files, "store_path": str(tmp_path / "h.sqlite"),
                                              "quarantine_path": str(tmp_path / "q.jsonl")})
    assert res.rc == 0, res
    r = res.result
    assert r["counts"]["hard"] == 1 and r["counts"]["complaint"] == 1 and r["counts"]["soft"] == 1
    assert r["messages"]["quarantined"] == 1
    # the documentation's example is from 2016: the soft bounce is outside the window, its retry is long past
    again = module_main("bounce_processor", {"paths": files, "store_path": str(tmp_path / "h.sqlite")})
    assert again.result["new_events"] == 0 and again.result["redelivered"] == 4  # the delay is stored too


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


def test_raw_message_delivery_subscription(sandbox, feedback, module_main, tmp_path):
    """SNS raw message delivery: the SQS body is SES's JSON itself, without the envelope."""
    sub = feedback.sns.list_subscriptions_by_topic(TopicArn=feedback.topic)["Subscriptions"][0]["SubscriptionArn"]
    feedback.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", RULES)
    feedback.send("raw@bad.test")
    body = json.loads(feedback.peek_all(feedback.queue_url)[0])
    assert body["notificationType"] == "Bounce"
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["counts"]["hard"] == 1 and res.result["remove_from_lists"] == ["raw@bad.test"]


def test_classify_notification_filter_in_a_playbook(ansible_playbook):
    from pathlib import Path
    corpus = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "formats" / "notifications"
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


def test_transient_bounce_with_a_user_unknown_status_is_suppressed_by_us(sandbox, feedback, module_main, tmp_path):
    """SES says Transient/General (and so suppresses nothing), the status says 5.1.1: the processor suppresses."""
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", {"rules": [{"match": "odd@x.test", "behaviour": "transient", "status": "5.1.1",
                                           "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]})
    feedback.send("odd@x.test")
    assert feedback.suppressed() == {}
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert res.result["suppressed"] == [{"email": "odd@x.test", "reason": "BOUNCE", "class": "hard", "via": "api",
                                         "escalated": False}]
    assert feedback.suppressed() == {"odd@x.test": "BOUNCE"}


def test_configuration_set_without_suppression_overrides_the_account(sandbox, feedback, module_main, tmp_path):
    """The account suppresses bounces, the configuration set says 'suppress nothing': SES did not, so we do."""
    cs = feedback.event_destination(name="nosuppress", types=("BOUNCE",))
    feedback.ses.put_configuration_set_suppression_options(ConfigurationSetName=cs, SuppressedReasons=[])
    sandbox.post("recipients", RULES)
    feedback.send("cs@bad.test", config_set=cs)
    assert feedback.suppressed() == {}
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    assert [(s["email"], s["via"]) for s in res.result["suppressed"]] == [("cs@bad.test", "api")]
    assert res.result["api_calls"]["ListSuppressedDestinations"] == 1
    assert feedback.suppressed() == {"cs@bad.test": "BOUNCE"}


def _holding_queue(feedback, name):
    """A topic -> queue pair the test drains itself, to hand the processor each copy in the order it chooses."""
    topic = feedback.sns.create_topic(Name=name)["TopicArn"]
    url = feedback.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = feedback.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    feedback.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def _take_all(feedback, url):
    bodies = []
    while True:
        got = feedback.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        bodies += [m["Body"] for m in got]
        feedback.sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                                 for i, m in enumerate(got)])


def test_both_orders_of_notification_and_event_under_an_overriding_set(sandbox, feedback, module_main, tmp_path):
    """The account suppresses BOUNCE and COMPLAINT; the configuration set overrides it with BOUNCE only, so SES
    lists the hard bounce itself and not the complaint. Identity notification first or configuration-set event
    first, each copy in its own run: the address ends on the account list with the right reason (AWS CLI), and
    the pair is one event."""
    note_topic, note_queue = _holding_queue(feedback, "hold-notifications")
    event_topic, event_queue = _holding_queue(feedback, "hold-events")
    for kind in ("Bounce", "Complaint"):
        feedback.ses_v1.set_identity_notification_topic(Identity=DOMAIN, NotificationType=kind, SnsTopic=note_topic)
    feedback.ses.create_configuration_set(ConfigurationSetName="bounce-only")
    feedback.ses.put_configuration_set_suppression_options(ConfigurationSetName="bounce-only",
                                                          SuppressedReasons=["BOUNCE"])
    feedback.ses.create_configuration_set_event_destination(
        ConfigurationSetName="bounce-only", EventDestinationName="pipeline",
        EventDestination={"Enabled": True, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
                          "SnsDestination": {"TopicArn": event_topic}})
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "*@angry.test", "behaviour": "complaint"}]})
    store = str(tmp_path / "h.sqlite")
    expected = {}
    for order in ("notification-first", "event-first"):
        hard, angry = "%s@bad.test" % order, "%s@angry.test" % order
        feedback.send(hard, angry, config_set="bounce-only")
        expected.update({hard: "BOUNCE", angry: "COMPLAINT"})
        notes, events = _take_all(feedback, note_queue), _take_all(feedback, event_queue)
        assert len(notes) == 2 and len(events) == 2 and all("ses:configuration-set" in e for e in events)
        first, second = (notes, events) if order == "notification-first" else (events, notes)
        for body in first:
            feedback.raw(body)
        one = module_main("bounce_processor", {"queue_url": feedback.queue_url, "store_path": store,
                                               "wait_time_seconds": 0})
        assert one.rc == 0, one
        assert one.result["new_events"] == 2
        # decided on the first copy, whichever it is: SES listed the bounce itself, not the complaint
        assert {s["email"]: s["via"] for s in one.result["suppressed"]} == {hard: "account", angry: "api"}
        for body in second:
            feedback.raw(body)
        two = module_main("bounce_processor", {"queue_url": feedback.queue_url, "store_path": store,
                                               "wait_time_seconds": 0})
        assert two.rc == 0, two
        assert (two.result["new_events"], two.result["cross_channel_copies"], two.result["redelivered"]) == (0, 2, 0)
        assert two.result["api_calls"].get("PutSuppressedDestination", 0) == 0
        for email, reason in ((hard, "BOUNCE"), (angry, "COMPLAINT")):
            rc, out, err = aws_cli(sandbox, "sesv2", "get-suppressed-destination", "--email-address", email)
            assert rc == 0, err
            assert out["SuppressedDestination"]["Reason"] == reason, (order, email, out)
    rc, out, err = aws_cli(sandbox, "sesv2", "list-suppressed-destinations")
    assert rc == 0, err
    assert {x["EmailAddress"]: x["Reason"] for x in out["SuppressedDestinationSummaries"]} == expected
    report = two.result["report"]
    assert report["events"] == 4 and report["cross_channel"] == 4 and report["redelivered"] == 0
    assert report["counts"]["hard"] == 2 and report["counts"]["complaint"] == 2


def test_a_refused_recipient_is_reported_and_does_not_strand_the_others(sandbox, feedback, module_main, tmp_path):
    """One notification, three recipients; SES refuses PutSuppressedDestination for one of them (an address it
    calls invalid). The others are suppressed, the message is deleted (not retried into the DLQ), the refusal is
    stored, reported, and the run fails saying so; the next run's report still lists it."""
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    body = {"notificationType": "Bounce", "mail": {"messageId": "m-refused", "timestamp": "2026-01-01T00:00:00Z"},
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "f-refused",
                       "timestamp": "2026-01-01T00:00:01Z",
                       "bouncedRecipients": [{"emailAddress": e} for e in ("one@bad.test", "two@bad!.test",
                                                                            "three@bad.test")]}}
    feedback.raw(json.dumps({"Type": "Notification", "MessageId": "sns-1", "TopicArn": feedback.topic,
                             "Message": json.dumps(body)}))
    report_dir = tmp_path / "reports"
    res = module_main("bounce_processor", args(feedback, tmp_path, report_dir=str(report_dir)))
    assert res.rc != 0 and "refused to suppress 1 address" in res.result["msg"], res.result
    assert [r["email"] for r in res.result["refused"]] == ["two@bad!.test"]
    assert res.result["messages"]["deleted"] == 1 and feedback.depth() == 0 and feedback.depth(feedback.dlq_url) == 0
    assert feedback.suppressed() == {"one@bad.test": "BOUNCE", "three@bad.test": "BOUNCE"}
    md = (report_dir / "list-hygiene.md").read_text()
    assert "| addresses SES refused to suppress | 1 |" in md and "two@bad!.test" in md
    again = module_main("bounce_processor", args(feedback, tmp_path, report_dir=str(report_dir)))
    assert again.rc == 0 and [r["email"] for r in again.result["report"]["refused"]] == ["two@bad!.test"]


def test_every_path_is_checked_before_the_first_side_effect(sandbox, feedback, module_main, tmp_path):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", RULES)
    feedback.send("p1@bad.test")
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "elsewhere").write_text("x")
    (tmp_path / "link.json").symlink_to(tmp_path / "elsewhere")
    mark = sandbox.mark()
    cases = [("summary_path", str(tmp_path / "a-dir-not-a-file")), ("summary_path", str(tmp_path / "link.json")),
             ("quarantine_path", str(tmp_path / "elsewhere" / "q.jsonl")),
             ("report_dir", str(tmp_path / "elsewhere")), ("store_path", str(tmp_path / "link.json"))]
    (tmp_path / "a-dir-not-a-file").mkdir()
    for option, value in cases:
        res = module_main("bounce_processor", args(feedback, tmp_path, **{option: value}))
        assert res.rc != 0 and res.result["msg"].startswith(option + ":"), (option, res.result)
        assert "traceback_escaped" not in res.result
    assert sandbox.mutating_calls(since=mark) == [] and feedback.depth() == 1
    assert not (tmp_path / "history.sqlite").exists()
    # a '?' in the store path is part of the file name, in check mode and in a real run
    odd = tmp_path / "bounces?mode=rwc.sqlite"
    res = module_main("bounce_processor", args(feedback, tmp_path, store_path=str(odd)), check=True)
    assert res.rc == 0 and not odd.exists() and not (tmp_path / "bounces").exists()
    res = module_main("bounce_processor", args(feedback, tmp_path, store_path=str(odd)))
    assert res.rc == 0 and odd.exists() and not (tmp_path / "bounces").exists()


def test_sns_subscription_confirmation_is_kept_and_reported(sandbox, feedback, module_main, tmp_path):
    corpus = Path(__file__).parents[2] / "unit" / "plugins" / "module_utils" / "formats" / "notifications"
    body = (corpus / "sns_subscription_confirmation.json").read_text()
    feedback.raw(body)
    url = json.loads(body)["SubscribeURL"]
    res = module_main("bounce_processor", args(feedback, tmp_path, report_dir=str(tmp_path / "r")))
    assert res.rc == 0, res
    assert [m["subscribe_url"] for m in res.result["sns_control_messages"]] == [url]
    assert res.result["messages"]["deleted"] == 1  # deleted only once it is stored and reported
    md = (tmp_path / "r" / "list-hygiene.md").read_text()
    assert url in md and json.loads(body)["TopicArn"] in md
    # a later run's report still shows it (the store keeps it for the report window)
    later = module_main("bounce_processor", args(feedback, tmp_path))
    assert [m["subscribe_url"] for m in later.result["report"]["sns_control_messages"]] == [url]


def test_a_write_that_fails_after_the_side_effects_still_reports_them(sandbox, feedback, module_main, tmp_path,
                                                                     monkeypatch):
    """The paths passed their checks, then the disk refuses the report: the run fails, and its result still says
    which messages were deleted and which addresses suppressed; the next run's report has them (from the store)."""
    import importlib
    mod = importlib.import_module("ansible_collections.deliverability.ses.plugins.module_utils.runners.bounces")
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", RULES)
    feedback.send("w1@bad.test")

    def refuse(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mod, "write_report", refuse)
    res = module_main("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "s.md")))
    assert res.rc != 0 and "could not write the report" in res.result["msg"] and "No space left" in res.result["msg"]
    assert res.result["changed"] is True and res.result["messages"]["deleted"] == 1
    assert [s["email"] for s in res.result["suppressed"]] == ["w1@bad.test"]
    assert feedback.suppressed() == {"w1@bad.test": "BOUNCE"} and feedback.depth() == 0
    monkeypatch.undo()
    again = module_main("bounce_processor", args(feedback, tmp_path, summary_path=str(tmp_path / "s.md")))
    assert again.rc == 0 and again.result["summary_written"] is True
    assert "w1@bad.test" in (tmp_path / "s.md").read_text()


def test_a_mixed_stream_on_both_channels_costs_at_most_1_1_suppression_calls_per_event(sandbox, feedback, module_main,
                                                                                       tmp_path):
    """Issue 24: identity notifications and configuration-set events on one queue, deliveries, soft bounces,
    complaints and hard bounces; the set suppresses nothing, so SES lists only what mail sent without the set caused.
    Every hard bounce and complaint address ends on the list with its reason (read back with boto3), and the
    suppression calls counted in the sandbox's request log are at most 1.1 per hard bounce / complaint event."""
    feedback.identity_topics()
    cs = feedback.event_destination(name="mixed")
    feedback.ses.put_configuration_set_suppression_options(ConfigurationSetName=cs, SuppressedReasons=[])
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "*@angry.test", "behaviour": "complaint"},
                                          {"match": "full@x.test", "behaviour": "soft_bounce"}]})
    expected = {}
    for i in range(6):
        hard, angry = "h%d@bad.test" % i, "c%d@angry.test" % i
        expected.update({hard: "BOUNCE", angry: "COMPLAINT"})
        feedback.send(hard, angry, "ok%d@x.test" % i, "full@x.test", config_set=cs if i % 2 else None)
    feedback.send("h1@bad.test", config_set=cs)  # a second hard bounce of an address already bounced
    listed_by_ses = feedback.suppressed()
    assert listed_by_ses and set(listed_by_ses) < set(expected)  # SES listed some itself, not all
    mark = sandbox.mark()
    res = module_main("bounce_processor", args(feedback, tmp_path))
    assert res.rc == 0, res
    r = res.result
    assert r["cross_channel_copies"] >= 6  # the set's events came by both channels
    suppressible = r["counts"]["hard"] + r["counts"]["complaint"]
    assert suppressible == 13
    calls = [x["operation"] for x in sandbox.requests(mark)
             if x["operation"] in ("GetSuppressedDestination", "PutSuppressedDestination",
                                   "ListSuppressedDestinations")]
    notifications = r["messages"]["received"]
    assert len(calls) <= 1.1 * suppressible, (calls, suppressible)
    # six soft bounces of full@x.test within the window escalate it to the list too
    assert r["escalated"] == ["full@x.test"]
    expected["full@x.test"] = "BOUNCE"
    assert calls.count("PutSuppressedDestination") == len(expected) - len(listed_by_ses)
    assert r["api_calls"].get("PutSuppressedDestination") == calls.count("PutSuppressedDestination")
    # the module's own figure agrees with the request log; there the 3rd to 6th soft bounce of full@x.test (the
    # default threshold is 3) are suppressible events too
    own = r["suppression_calls"]
    assert own["calls"] == len(calls) and own["suppressible_events"] == suppressible + 4
    assert own["notifications"] == notifications and own["per_suppressible_event"] <= 1.1
    print("suppression calls per suppressible event %.3f, per notification %.3f"
          % (len(calls) / float(suppressible), len(calls) / float(notifications)))
    for email, reason in expected.items():
        got = feedback.ses.get_suppressed_destination(EmailAddress=email)["SuppressedDestination"]
        assert got["Reason"] == reason, (email, got)
