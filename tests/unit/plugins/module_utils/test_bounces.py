"""The processor's decisions, with the SQLite store and in-memory SES/SQS stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils import bounces
from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore

from .fakes import FakeSes, FakeSqs

CORPUS = Path(__file__).parent / "notifications"
NOW = 1_800_000_000.0  # 2027-01-15


def bounce(email, btype="Permanent", sub="General", fid="f1", ts="2027-01-15T07:00:00Z", status="5.1.1", env=True):
    doc = {"notificationType": "Bounce", "mail": {"messageId": "m-" + fid},
           "bounce": {"bounceType": btype, "bounceSubType": sub, "feedbackId": fid, "timestamp": ts,
                      "bouncedRecipients": [{"emailAddress": email, "status": status}]}}
    if env:
        return json.dumps({"Type": "Notification", "MessageId": "sns-" + fid, "TopicArn": "t",
                           "Message": json.dumps(doc)})
    return doc


def complaint(email, fid="c1", ftype="abuse"):
    return json.dumps({"eventType": "Complaint", "mail": {"messageId": "m-" + fid},
                       "complaint": {"feedbackId": fid, "complaintFeedbackType": ftype, "timestamp": "2027-01-15T07:00:00Z",
                                     "complainedRecipients": [{"emailAddress": email}]}})


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(str(tmp_path / "h.sqlite"))
    yield s
    s.close()


def processor(store, ses=None, check_mode=False, **policy):
    return bounces.Processor(store, bounces.Policy(**policy), sesv2=ses or FakeSes(), check_mode=check_mode,
                             now=lambda: NOW)


def classify(raw):
    from ansible_collections.deliverability.ses.plugins.module_utils.notifications import classify as c
    return c(raw)


def test_retry_delay_grows_caps_and_is_deterministic():
    pol = bounces.Policy(retry_base=100, retry_factor=3, retry_cap=1000, retry_jitter=0.2)
    delays = [pol.retry_delay("a@x.test", n) for n in range(1, 6)]
    assert 80 <= delays[0] <= 100 and 240 <= delays[1] <= 300 and 720 <= delays[2] <= 900
    assert all(800 <= d <= 1000 for d in delays[3:])
    assert delays == [pol.retry_delay("A@X.test", n) for n in range(1, 6)]
    assert bounces.Policy(retry_jitter=0).retry_delay("a@x.test", 2) == 7200


def test_hard_bounce_skips_the_api_when_account_suppression_covers_it(store):
    ses = FakeSes()
    proc = processor(store, ses)
    proc.handle(classify(bounce("a@x.test", fid="1")))
    proc.handle(classify(bounce("b@x.test", fid="2")))
    assert [c[0] for c in ses.calls] == ["GetAccount"]  # read once per run
    assert [s["via"] for s in proc.summary()["suppressed"]] == ["account", "account"]


def test_refined_hard_bounce_is_suppressed_through_the_api(store):
    """SES called it Transient (so did not suppress it); the 5.1.1 status makes it hard: we must."""
    ses = FakeSes()
    proc = processor(store, ses)
    proc.handle(classify(bounce("gone@x.test", "Transient", "General", status="5.1.1")))
    assert ses.suppressed == {"gone@x.test": "BOUNCE"}
    assert proc.summary()["suppressed"][0]["via"] == "api"


def test_a_configuration_set_that_overrides_the_account_decides(store):
    ses = FakeSes()  # the account suppresses bounces and complaints
    ses.sets = {"no-suppression": {"SuppressionOptions": {"SuppressedReasons": []}},
                "inherits": {"ConfigurationSetName": "inherits"}}
    proc = processor(store, ses)

    def event(email, fid, cs):
        doc = bounce(email, fid=fid, env=False)
        doc["mail"]["tags"] = {"ses:configuration-set": [cs]}
        return doc

    proc.handle(classify(event("a@x.test", "1", "no-suppression")))
    proc.handle(classify(event("b@x.test", "2", "inherits")))
    proc.handle(classify(event("c@x.test", "3", "deleted-since")))
    proc.handle(classify(event("d@x.test", "4", "no-suppression")))
    via = {s["email"]: s["via"] for s in proc.summary()["suppressed"]}
    assert via == {"a@x.test": "api", "b@x.test": "account", "c@x.test": "account", "d@x.test": "api"}
    assert [c[0] for c in ses.calls].count("GetConfigurationSet") == 3  # once per set


def test_hard_bounce_uses_the_api_otherwise_and_only_once(store):
    ses = FakeSes(reasons=[])
    proc = processor(store, ses)
    proc.handle(classify(bounce("a@x.test")))
    proc.handle(classify(bounce("a@x.test")))  # redelivered
    assert ses.suppressed == {"a@x.test": "BOUNCE"}
    assert [c[0] for c in ses.calls].count("PutSuppressedDestination") == 1
    again = processor(store, ses)
    again.handle(classify(bounce("a@x.test")))
    assert [c[0] for c in ses.calls].count("PutSuppressedDestination") == 1
    assert again.summary()["suppressed"][0]["via"] == "already"
    assert again.summary()["duplicate_events"] == 1 and again.summary()["new_events"] == 0


def test_a_crash_between_record_and_suppression_is_repaired_on_redelivery(store):
    ses = FakeSes(reasons=[], fail_put=True)
    proc = processor(store, ses)
    with pytest.raises(AwsError):
        proc.handle(classify(bounce("a@x.test")))
    assert store.has_event("bounce:f1:a@x.test")  # recorded, but not suppressed yet
    ses.fail_put = False
    retry = processor(store, ses)
    retry.handle(classify(bounce("a@x.test")))
    assert ses.suppressed == {"a@x.test": "BOUNCE"}
    assert retry.summary()["suppressed"][0]["via"] == "api"


def test_complaints_not_spam_and_on_list(store):
    proc = processor(store, FakeSes(reasons=["BOUNCE"]))
    proc.handle(classify(complaint("angry@x.test")))
    proc.handle(classify(complaint("fan@x.test", fid="c2", ftype="not-spam")))
    proc.handle(classify((CORPUS / "bounce_on_account_suppression_list.json").read_text()))
    s = proc.summary()
    assert s["remove_from_lists"] == ["angry@x.test", "gone@example.com"]
    via = {x["email"]: x["via"] for x in s["suppressed"]}
    assert via == {"angry@x.test": "api", "gone@example.com": "ses"}
    assert s["counts"]["complaint"] == 2 and s["counts"]["suppressed"] == 1
    assert s["counts_by_sub_type"]["complaint/not-spam"] == 1


def test_soft_bounces_schedule_then_escalate(store):
    ses = FakeSes()
    proc = processor(store, ses, retry_jitter=0)
    proc.handle(classify(bounce("full@x.test", "Transient", "MailboxFull", fid="s1", ts="2027-01-14T00:00:00Z",
                                status="4.2.2")))
    sched = proc.summary()["retry_schedule"][0]
    assert sched["soft_bounces"] == 1 and sched["delay_seconds"] == 3600
    assert sched["next_retry"] == "2027-01-14T01:00:00Z"
    proc.handle(classify(bounce("full@x.test", "Transient", "MailboxFull", fid="s2", ts="2027-01-15T00:00:00Z",
                                status="4.2.2")))
    assert proc.summary()["retry_schedule"][0]["delay_seconds"] == 7200
    assert store.get_address("full@x.test")["soft_count"] == 2
    proc.handle(classify(bounce("full@x.test", "Transient", "MailboxFull", fid="s3", ts="2027-01-15T06:00:00Z",
                                status="4.2.2")))
    s = proc.summary()
    assert s["escalated"] == ["full@x.test"] and s["retry_schedule"] == []
    # escalation always goes through the API: SES does not suppress soft bounces itself
    assert ses.suppressed == {"full@x.test": "BOUNCE"}
    assert store.get_address("full@x.test")["suppressed_reason"] == "BOUNCE"


def test_soft_bounces_outside_the_window_do_not_count(store):
    proc = processor(store, soft_threshold=2, soft_window=86400)
    proc.handle(classify(bounce("a@x.test", "Transient", "General", fid="o1", ts="2027-01-01T00:00:00Z", status="4.4.1")))
    proc.handle(classify(bounce("a@x.test", "Transient", "General", fid="o2", ts="2027-01-15T06:00:00Z", status="4.4.1")))
    assert proc.summary()["escalated"] == []
    assert proc.summary()["retry_schedule"][0]["soft_bounces"] == 1


def test_check_mode_writes_nothing_and_predicts(store, tmp_path):
    ses = FakeSes(reasons=[])
    proc = processor(store, ses, check_mode=True)
    proc.handle(classify(bounce("a@x.test")))
    proc.handle(classify(bounce("s@x.test", "Transient", "MailboxFull", fid="s1", status="4.2.2")))
    assert ses.suppressed == {} and [c[0] for c in ses.calls] == ["GetAccount"]
    assert store.count_events() == {}
    s = proc.summary()
    assert s["suppressed"][0]["via"] == "api" and s["retry_schedule"][0]["email"] == "s@x.test"
    assert proc.suppression_writes == 1


def test_simulator_addresses_are_never_put_on_the_list(store):
    ses = FakeSes(reasons=[])
    proc = processor(store, ses)
    proc.handle(classify(bounce("bounce@simulator.amazonses.com")))
    assert ses.suppressed == {} and proc.summary()["suppressed"][0]["via"].startswith("none")


def drain(sqs, store, ses=None, check_mode=False, **kw):
    proc = processor(store, ses, check_mode=check_mode)
    d = bounces.Drain(sqs, "main", proc, check_mode=check_mode, wait_time=0, **kw)
    d.run()
    return d, proc


def test_drain_batches_of_ten_and_deletes_after_handling(store):
    sqs = FakeSqs([bounce("u%02d@x.test" % i, fid="f%02d" % i) for i in range(25)])
    d, proc = drain(sqs, store)
    assert d.stats["received"] == 25 and d.stats["deleted"] == 25 and sqs.queues["main"] == []
    assert sqs.count("ReceiveMessage") == 4 and sqs.count("DeleteMessageBatch") == 3
    assert all(c[1]["MaxNumberOfMessages"] <= 10 for c in sqs.calls if c[0] == "ReceiveMessage")


def test_drain_respects_max_messages(store):
    sqs = FakeSqs([bounce("u%02d@x.test" % i, fid="f%02d" % i) for i in range(25)])
    d = drain(sqs, store, max_messages=12)[0]
    assert d.stats["received"] == 12 and len(sqs.queues["main"]) == 13
    assert [c[1]["MaxNumberOfMessages"] for c in sqs.calls if c[0] == "ReceiveMessage"] == [10, 2]


def test_drain_keeps_messages_whose_recipient_failed(store):
    sqs = FakeSqs([bounce("a@x.test", fid="1"), bounce("b@x.test", fid="2")])
    d = drain(sqs, store, ses=FakeSes(reasons=[], fail_put=True))[0]
    assert d.stats["failed"] == 2 and d.stats["deleted"] == 0 and len(sqs.queues["main"]) == 2
    assert "TooManyRequestsException" in d.errors[0]["error"]


def test_poison_goes_to_dlq_then_is_deleted(store):
    sqs = FakeSqs(["garbage", bounce("a@x.test")])
    d = drain(sqs, store, dead_letter_queue_url="dlq")[0]
    assert [m["Body"] for m in sqs.queues["dlq"]] == ["garbage"]
    assert sqs.queues["main"] == [] and d.stats["dead_lettered"] == 1


def test_partly_unreadable_message_is_handled_and_kept_as_poison(store, tmp_path):
    doc = json.loads(bounce("a@x.test"))
    inner = json.loads(doc["Message"])
    inner["bounce"]["bouncedRecipients"].append({"emailAddress": 42})
    doc["Message"] = json.dumps(inner)
    sqs = FakeSqs([json.dumps(doc)])
    d, proc = drain(sqs, store, quarantine_path=str(tmp_path / "q.jsonl"))
    assert proc.summary()["counts"]["hard"] == 1
    assert d.stats["quarantined"] == 1 and sqs.queues["main"] == []
    assert json.loads((tmp_path / "q.jsonl").read_text())["body"] == json.dumps(doc)


def test_poison_without_destination_stays(store):
    sqs = FakeSqs(["garbage"])
    d = drain(sqs, store)[0]
    assert d.stats["left_in_queue"] == 1 and len(sqs.queues["main"]) == 1


def test_check_mode_drain_uses_visibility_zero_and_stops_on_repeats(store):
    sqs = FakeSqs([bounce("u%02d@x.test" % i, fid="f%02d" % i) for i in range(5)] + ["garbage"])
    d, proc = drain(sqs, store, check_mode=True, dead_letter_queue_url="dlq")
    assert d.stats["received"] == 6 and len(sqs.queues["main"]) == 6 and sqs.queues["dlq"] == []
    receives = [c for c in sqs.calls if c[0] == "ReceiveMessage"]
    assert all(c[1]["VisibilityTimeout"] == 0 for c in receives) and len(receives) == 2
    assert sqs.count("DeleteMessageBatch") == 0 and sqs.count("SendMessageBatch") == 0


def test_failed_deletes_are_reported(store):
    sqs = FakeSqs([bounce("a@x.test")], fail_delete=True)
    d = drain(sqs, store)[0]
    assert d.stats["deleted"] == 0 and "DeleteMessageBatch" in d.errors[0]["error"]


def test_files_of_every_shape(store, tmp_path):
    (tmp_path / "one.json").write_text(bounce("a@x.test", fid="1"))
    (tmp_path / "many.json").write_text(json.dumps([bounce("b@x.test", fid="2", env=False),
                                                    bounce("c@x.test", fid="3", env=False)]))
    (tmp_path / "lines.jsonl").write_text(bounce("d@x.test", fid="4") + "\nnot json\n")
    proc = processor(store)
    stats, errors, poison = bounces.process_files(
        [str(tmp_path / n) for n in ("one.json", "many.json", "lines.jsonl", "missing.json")], proc,
        quarantine_path=str(tmp_path / "q.jsonl"))
    assert proc.summary()["counts"]["hard"] == 4
    assert stats["quarantined"] == 1 and poison[0]["index"] == 1 and errors[0]["file"].endswith("missing.json")


def test_reports(store, tmp_path):
    proc = processor(store)
    proc.handle(classify(bounce("a@x.test")))
    proc.handle(classify(bounce("s@x.test", "Transient", "MailboxFull", fid="s1", status="4.2.2")))
    proc.handle(classify(bounce("u@x.test", "Undetermined", "Undetermined", fid="u1", status=None)))
    path = tmp_path / "r.csv"
    assert bounces.write_report(str(path), proc.summary(), "csv") is True
    assert bounces.write_report(str(path), proc.summary(), "csv") is False
    lines = path.read_text().splitlines()
    assert lines[0] == "email,action,class,sub_type,reason,via,soft_bounces,next_retry"
    assert [x.split(",")[:2] for x in lines[1:]] == [["a@x.test", "remove"], ["s@x.test", "retry"],
                                                     ["u@x.test", "review"]]
    assert json.loads(bounces.render_report(proc.summary(), "json"))["counts"]["hard"] == 1


# ---------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .test_notifications import notifications  # noqa: E402


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(notifications(), max_size=6))
def test_processor_handles_whatever_the_classifier_accepts(tmp_path_factory, raws):
    store = SqliteStore(str(tmp_path_factory.mktemp("p") / "h.sqlite"))
    proc = processor(store, FakeSes(reasons=["BOUNCE"]))
    for raw in raws + raws:  # and everything twice: redelivery
        note = classify(raw)
        if note["valid"]:
            proc.handle(note)
    summary = proc.summary()
    json.dumps(summary)
    assert summary["new_events"] == sum(store.count_events().values())
    store.close()
