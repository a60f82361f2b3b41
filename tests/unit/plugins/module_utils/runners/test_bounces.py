"""The processor's decisions, with the SQLite store and in-memory SES/SQS stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounces
from ansible_collections.deliverability.ses.plugins.module_utils.formats import bounce_report
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_queue
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_paths
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import bounces as bounce_policy
from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore

from ..fakes import FakeSes, FakeSqs

CORPUS = Path(__file__).parents[1] / "formats" / "notifications"
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
    return bounces.Processor(store, bounce_policy.Policy(**policy), sesv2=ses or FakeSes(), check_mode=check_mode,
                             now=lambda: NOW)


def classify(raw):
    from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import classify as c
    return c(raw)


def test_retry_delay_grows_caps_and_is_deterministic():
    pol = bounce_policy.Policy(retry_base=100, retry_factor=3, retry_cap=1000, retry_jitter=0.2)
    delays = [pol.retry_delay("a@x.test", n) for n in range(1, 6)]
    assert 80 <= delays[0] <= 100 and 240 <= delays[1] <= 300 and 720 <= delays[2] <= 900
    assert all(800 <= d <= 1000 for d in delays[3:])
    assert delays == [pol.retry_delay("A@X.test", n) for n in range(1, 6)]
    assert bounce_policy.Policy(retry_jitter=0).retry_delay("a@x.test", 2) == 7200


def test_hard_bounce_skips_the_api_when_ses_listed_it_itself(store):
    ses = FakeSes(suppressed={"a@x.test": "BOUNCE", "b@x.test": "BOUNCE"})
    proc = processor(store, ses)
    proc.handle(classify(bounce("a@x.test", fid="1")))
    proc.handle(classify(bounce("b@x.test", fid="2")))
    assert [c[0] for c in ses.calls] == ["ListSuppressedDestinations"]  # read back (one listing), never assumed
    assert [s["via"] for s in proc.summary()["suppressed"]] == ["account", "account"]
    assert store.get_address("a@x.test")["suppressed_via"] == "account"


def test_refined_hard_bounce_is_suppressed_through_the_api(store):
    """SES called it Transient (so did not suppress it); the 5.1.1 status makes it hard: we must."""
    ses = FakeSes()
    proc = processor(store, ses)
    proc.handle(classify(bounce("gone@x.test", "Transient", "General", status="5.1.1")))
    assert ses.suppressed == {"gone@x.test": "BOUNCE"}
    assert proc.summary()["suppressed"][0]["via"] == "api"


def _event(raw, cs):
    doc = json.loads(raw) if isinstance(raw, str) else raw
    doc = json.loads(doc["Message"]) if "Message" in doc else doc
    doc["eventType"] = doc.pop("notificationType", doc.get("eventType"))
    doc["mail"]["tags"] = {"ses:configuration-set": [cs]}
    return doc


@pytest.mark.parametrize("first", ["notification", "event"])
@pytest.mark.parametrize("kind", ["complaint", "hard"])
def test_the_pair_is_one_event_and_the_decision_ignores_arrival_order(tmp_path, first, kind):
    """A set that suppresses BOUNCE only, the account BOUNCE and COMPLAINT: SES lists the hard bounce itself and
    not the complaint. Both copies, either order: one event, the address listed with the right reason."""
    store = SqliteStore(str(tmp_path / "h.sqlite"))
    listed = {"u@x.test": "BOUNCE"} if kind == "hard" else {}
    ses = FakeSes(suppressed=listed)
    if kind == "hard":
        note = bounce("u@x.test", fid="p1", env=False)
    else:
        note = json.loads(complaint("u@x.test", fid="p1"))
        note["notificationType"] = note.pop("eventType")
    pair = {"notification": json.dumps(note), "event": json.dumps(_event(json.loads(json.dumps(note)), "bounce-only"))}
    order = [first, "event" if first == "notification" else "notification"]
    one = processor(store, ses)
    one.handle(classify(pair[order[0]]))
    two = processor(store, ses)  # a later run
    two.handle(classify(pair[order[1]]))
    reason = "BOUNCE" if kind == "hard" else "COMPLAINT"
    assert ses.suppressed == {"u@x.test": reason}
    assert one.summary()["new_events"] == 1 and two.summary()["new_events"] == 0
    assert two.summary()["cross_channel_copies"] == 1 and two.summary()["redelivered"] == 0
    puts = [c for c in ses.calls if c[0] == "PutSuppressedDestination"]
    assert len(puts) == (0 if kind == "hard" else 1)
    assert one.summary()["suppressed"][0]["via"] == ("account" if kind == "hard" else "api")
    assert store.get_address("u@x.test")["suppressed_reason"] == reason
    store.close()


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
    assert again.summary()["redelivered"] == 1 and again.summary()["new_events"] == 0
    assert again.summary()["cross_channel_copies"] == 0


def test_a_crash_between_record_and_suppression_is_repaired_on_redelivery(store):
    ses = FakeSes(reasons=[], fail_put=True)
    proc = processor(store, ses)
    with pytest.raises(AwsError):
        proc.handle(classify(bounce("a@x.test")))
    assert store.has_event("bounce:m-f1:a@x.test")  # recorded, but not suppressed yet
    ses.fail_put = False
    retry = processor(store, ses)
    retry.handle(classify(bounce("a@x.test")))
    assert ses.suppressed == {"a@x.test": "BOUNCE"}
    assert retry.summary()["suppressed"][0]["via"] == "api"


def test_recipients_are_independent_and_a_refusal_is_reported_not_retried(store):
    doc = json.loads(bounce("a@x.test", fid="r1"))
    inner = json.loads(doc["Message"])
    inner["bounce"]["bouncedRecipients"] = [{"emailAddress": e, "status": "5.1.1"}
                                            for e in ("a@x.test", "bad@x.test", "c@x.test")]
    doc["Message"] = json.dumps(inner)
    ses = FakeSes(reasons=[], refuse={"bad@x.test"})
    proc = processor(store, ses)
    proc.handle(classify(json.dumps(doc)))  # no exception: the message may be deleted
    assert ses.suppressed == {"a@x.test": "BOUNCE", "c@x.test": "BOUNCE"}
    s = proc.summary()
    assert [r["email"] for r in s["refused"]] == ["bad@x.test"] and s["refused"][0]["error_code"] == "BadRequestException"
    assert store.get_address("bad@x.test")["refused"]
    report = bounces.build_report(store, 0, bounce_policy.Policy(), NOW)
    assert [r["email"] for r in report["refused"]] == ["bad@x.test"]
    assert "bad@x.test" in report["remove_from_lists"]


def test_a_retryable_error_for_one_recipient_still_handles_the_others(store):
    class Flaky(FakeSes):
        def put_suppressed_destination(self, **kw):
            if kw["EmailAddress"] == "b@x.test" and not getattr(self, "failed", False):
                self.failed = True
                from botocore.exceptions import ClientError
                raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "later"}},
                                  "PutSuppressedDestination")
            return FakeSes.put_suppressed_destination(self, **kw)

    doc = json.loads(bounce("a@x.test", fid="r2"))
    inner = json.loads(doc["Message"])
    inner["bounce"]["bouncedRecipients"] = [{"emailAddress": e} for e in ("a@x.test", "b@x.test", "c@x.test")]
    doc["Message"] = json.dumps(inner)
    ses = Flaky(reasons=[])
    with pytest.raises(AwsError):
        processor(store, ses).handle(classify(json.dumps(doc)))  # kept for redelivery
    assert ses.suppressed == {"a@x.test": "BOUNCE", "c@x.test": "BOUNCE"}
    again = processor(store, ses)
    again.handle(classify(json.dumps(doc)))  # the redelivery finishes the one left
    assert ses.suppressed == {"a@x.test": "BOUNCE", "b@x.test": "BOUNCE", "c@x.test": "BOUNCE"}
    assert [c[0] for c in ses.calls].count("PutSuppressedDestination") == 3  # a and c were not put again


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


def test_a_delivery_resets_the_soft_bounce_count_in_either_order(tmp_path):
    def delivery(email, mid, ts):
        return json.dumps({"notificationType": "Delivery", "mail": {"messageId": mid},
                           "delivery": {"timestamp": ts, "recipients": [email]}})

    soft = [bounce("full@x.test", "Transient", "MailboxFull", fid="s%d" % i, ts=ts, status="4.2.2")
            for i, ts in enumerate(("2027-01-14T00:00:00Z", "2027-01-14T06:00:00Z", "2027-01-15T06:00:00Z"))]
    ok = delivery("full@x.test", "d1", "2027-01-14T12:00:00Z")  # between the 2nd and 3rd soft bounce
    for n, order in enumerate(([soft[0], soft[1], ok, soft[2]], [ok, soft[2], soft[0], soft[1]])):
        store = SqliteStore(str(tmp_path / ("h%d.sqlite" % n)))
        proc = processor(store)
        for raw in order:
            proc.handle(classify(raw))
        s = proc.summary()
        # three soft bounces in the window, but only one after the delivery: no escalation
        assert s["escalated"] == [], order
        report = bounces.build_report(store, 0, bounce_policy.Policy(), NOW)
        assert [(r["email"], r["soft_bounces"]) for r in report["retry_schedule"]] == [("full@x.test", 1)]
        assert report["counts"]["delivery"] == 1 and report["counts"]["soft"] == 3
        proc.handle(classify(ok))  # a delivery redelivered is one delivery
        assert store.count_events()["delivery"] == 1 and proc.summary()["counts"]["delivery"] == 1
        store.close()


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
    assert ses.suppressed == {} and [c[0] for c in ses.calls] == ["ListSuppressedDestinations"]
    assert store.count_events() == {}
    s = proc.summary()
    assert s["suppressed"][0]["via"] == "api" and s["retry_schedule"][0]["email"] == "s@x.test"
    assert proc.suppression_writes == 1


def test_simulator_addresses_are_never_put_on_the_list(store):
    ses = FakeSes(reasons=[])
    proc = processor(store, ses)
    proc.handle(classify(bounce("bounce@simulator.amazonses.com")))
    s = proc.summary()
    assert ses.suppressed == {} and s["suppressed"] == [] and s["remove_from_lists"] == []
    assert s["simulator"] == [{"email": "bounce@simulator.amazonses.com", "class": "hard", "sub_type": "General"}]
    assert s["counts"]["hard"] == 0 and s["new_events"] == 1
    report = bounces.build_report(store, 0, bounce_policy.Policy(), NOW)
    assert report["suppressed"] == [] and [r["email"] for r in report["simulator"]] == ["bounce@simulator.amazonses.com"]
    md = bounce_report.render_report(report, "md")
    assert "| addresses suppressed | 0 |" in md and "## Suppressed (0)" in md
    assert "## Mailbox simulator: not suppressed (SES never lists these) (1)" in md


def drain(sqs, store, ses=None, check_mode=False, **kw):
    proc = processor(store, ses, check_mode=check_mode)
    d = bounce_queue.Drain(sqs, "main", proc, check_mode=check_mode, wait_time=0, **kw)
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


def test_check_mode_drain_receives_nothing_and_reads_the_depth(store):
    sqs = FakeSqs([bounce("u%02d@x.test" % i, fid="f%02d" % i) for i in range(5)] + ["garbage"])
    d, proc = drain(sqs, store, check_mode=True, dead_letter_queue_url="dlq", max_messages=4)
    assert d.stats["received"] == 0 and len(sqs.queues["main"]) == 6 and sqs.queues["dlq"] == []
    assert [c[0] for c in sqs.calls] == ["GetQueueAttributes", "GetQueueAttributes"]
    assert d.queue == {"visible": 6, "in_flight": 0, "delayed": 0, "dead_letter_queue": 0, "would_receive": 4}


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
    stats, errors, poison = bounce_queue.process_files(
        [str(tmp_path / n) for n in ("one.json", "many.json", "lines.jsonl", "missing.json")], proc,
        quarantine_path=str(tmp_path / "q.jsonl"))
    assert proc.summary()["counts"]["hard"] == 4
    assert stats["quarantined"] == 1 and poison[0]["index"] == 1 and errors[0]["file"].endswith("missing.json")


def test_reports_from_the_store(store, tmp_path):
    proc = processor(store)
    proc.handle(classify(bounce("a@x.test")))
    proc.handle(classify(bounce("s@x.test", "Transient", "MailboxFull", fid="s1", status="4.2.2")))
    proc.handle(classify(bounce("u@x.test", "Undetermined", "Undetermined", fid="u1", status=None)))
    proc.handle(classify(bounce("=cmd@x.test", fid="f9")))
    proc.handle(classify((CORPUS / "sns_subscription_confirmation.json").read_text()))
    report = bounces.build_report(store, 0, bounce_policy.Policy(), NOW)
    path = tmp_path / "r.csv"
    assert bounces.write_report(str(path), report, "csv") is True
    assert bounces.write_report(str(path), report, "csv") is False
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    lines = path.read_text().splitlines()
    assert lines[0] == "email,action,class,reason,via,soft_bounces,next_retry,detail"
    assert [x.split(",")[:2] for x in lines[1:]] == [["'=cmd@x.test", "remove"], ["a@x.test", "remove"],
                                                     ["s@x.test", "retry_later"], ["u@x.test", "review"]]
    assert "None" not in path.read_text()
    md = bounce_report.render_report(report, "md")
    assert "None" not in md and "{" not in md
    assert "| hard bounces | 2 |" in md and "| addresses suppressed | 2 |" in md and "## Suppressed (2)" in md
    assert "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription" in md
    assert json.loads(bounce_report.render_report(report, "json"))["counts"]["hard"] == 2
    # a symlink is never written through
    (tmp_path / "target").write_text("keep")
    (tmp_path / "link.md").symlink_to(tmp_path / "target")
    with pytest.raises(InputError, match="symbolic link"):
        bounce_paths.check_file_target(str(tmp_path / "link.md"), "summary_path")


# ---------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ..formats.test_notifications import notifications  # noqa: E402


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
    assert summary["new_events"] == sum(n for cls, n in store.count_events().items() if cls != "sns_control")
    store.close()


def _suppression_calls(ses):
    return [c[0] for c in ses.calls if "Suppressed" in c[0]]


def test_one_listing_answers_for_a_run_of_hard_bounces_and_complaints(store):
    """Issue 24: a mixed stream, both channels, nothing listed by SES: one listing, then one write per address; the
    copies from the other channel and a second bounce of a suppressed address ask nothing."""
    ses = FakeSes(suppressed={"listed@x.test": "BOUNCE"})
    proc = processor(store, ses)
    events = 0
    for i in range(20):
        proc.handle(classify(bounce("h%d@x.test" % i, fid="h%d" % i)))
        proc.handle(classify(bounce("h%d@x.test" % i, fid="h%d" % i, env=False)))  # the other channel's copy
        proc.handle(classify(complaint("c%d@x.test" % i, fid="c%d" % i)))
        events += 2
    proc.handle(classify(bounce("listed@x.test", fid="l1")))
    proc.handle(classify(bounce("h0@x.test", fid="again", ts="2027-01-15T06:00:00Z")))  # older than the first one
    events += 2
    calls = _suppression_calls(ses)
    assert calls.count("ListSuppressedDestinations") == 1 and "GetSuppressedDestination" not in calls
    assert calls.count("PutSuppressedDestination") == 40
    assert len(calls) / float(events) <= 1.1
    assert ses.suppressed["h7@x.test"] == "BOUNCE" and ses.suppressed["c7@x.test"] == "COMPLAINT"
    via = {s["email"]: s["via"] for s in proc.summary()["suppressed"]}
    assert via["listed@x.test"] == "account" and via["h3@x.test"] == "api"


def test_an_event_outside_the_listing_window_is_asked_about_on_its_own(store):
    ses = FakeSes(suppressed={"old@x.test": "BOUNCE"})
    proc = processor(store, ses)
    proc.handle(classify(bounce("new@x.test", fid="n1")))
    proc.handle(classify(bounce("gone@x.test", fid="o1", ts="2027-01-10T07:00:00Z")))  # 5 days before the window
    calls = _suppression_calls(ses)
    assert calls == ["ListSuppressedDestinations", "PutSuppressedDestination", "GetSuppressedDestination",
                     "PutSuppressedDestination"]
    assert ses.suppressed == {"old@x.test": "BOUNCE", "new@x.test": "BOUNCE", "gone@x.test": "BOUNCE"}


def test_a_listing_refused_falls_back_to_asking_per_address(store):
    """A policy without ses:ListSuppressedDestinations: the run asks per address, as before, and lists once."""
    ses = FakeSes(suppressed={"a@x.test": "BOUNCE"})
    ses.list_error = "AccessDeniedException"
    proc = processor(store, ses)
    proc.handle(classify(bounce("a@x.test", fid="1")))
    proc.handle(classify(bounce("b@x.test", fid="2")))
    assert _suppression_calls(ses) == ["ListSuppressedDestinations", "GetSuppressedDestination",
                                       "GetSuppressedDestination", "PutSuppressedDestination"]
    assert ses.suppressed == {"a@x.test": "BOUNCE", "b@x.test": "BOUNCE"}
    assert [s["via"] for s in proc.summary()["suppressed"]] == ["account", "api"]


def test_a_new_event_newer_than_the_suppression_is_checked_again(store):
    """The store says suppressed; a newer hard bounce means SES sent to it again (the address left the list): ask."""
    ses = FakeSes()
    processor(store, ses).handle(classify(bounce("back@x.test", fid="1", ts="2027-01-15T05:00:00Z")))
    del ses.suppressed["back@x.test"]  # someone removed it
    ses.calls[:] = []
    processor(store, ses).handle(classify(bounce("back@x.test", fid="2", ts="2027-01-15T07:00:00Z")))
    assert ses.suppressed == {"back@x.test": "BOUNCE"}
    assert _suppression_calls(ses) == ["ListSuppressedDestinations", "PutSuppressedDestination"]
    ses.calls[:] = []
    processor(store, ses).handle(classify(bounce("back@x.test", fid="3", ts="2027-01-15T04:00:00Z")))
    assert _suppression_calls(ses) == []  # older than the suppression the store knows: covered by it
