"""The classifier over a corpus of notifications in every documented shape, and property tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.deliverability.ses.plugins.module_utils.formats import notifications as notes_module
from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import (
    channel_of, classify, refine, smtp_status)

CORPUS = Path(__file__).parent / "notifications"


def load(name):
    return (CORPUS / name).read_bytes()


def classes(result):
    return [(r["email"], r["class"], r["action"]) for r in result["recipients"]]


# file -> (kind, [(email, class, action), ...]) for the valid corpus
EXPECTED = {
    "doc_bounce_with_dsn.json": ("bounce", [("jane@example.com", "hard", "suppress")]),
    "doc_bounce_without_dsn.json": ("bounce", [("jane@example.com", "hard", "suppress"),
                                               ("richard@example.com", "hard", "suppress")]),
    "doc_complaint_with_feedback.json": ("complaint", [("richard@example.com", "complaint", "suppress")]),
    "doc_complaint_without_feedback.json": ("complaint", [("richard@example.com", "complaint", "suppress")]),
    "doc_delivery.json": ("delivery", [("jane@example.com", "delivery", "none")]),
    "doc_subscription_succeeded.json": ("subscription_succeeded", []),
    "event_bounce.json": ("bounce", [("recipient@example.com", "hard", "suppress")]),
    "event_complaint.json": ("complaint", [("recipient@example.com", "complaint", "suppress")]),
    "event_delivery.json": ("delivery", [("recipient@example.com", "delivery", "none")]),
    "event_delivery_delay.json": ("delivery_delay", [("recipient@example.com", "delivery_delay", "retry")]),
    "event_send.json": ("send", []),
    "event_reject.json": ("reject", []),
    "event_open.json": ("open", []),
    "event_click.json": ("click", []),
    "event_rendering_failure.json": ("rendering_failure", []),
    "event_subscription.json": ("subscription", []),
    "bounce_on_account_suppression_list.json": ("bounce", [("gone@example.com", "suppressed", "none")]),
    "bounce_simulator_suppressionlist.json": ("bounce", [("suppressionlist@simulator.amazonses.com", "hard",
                                                          "suppress")]),
    "bounce_noemail.json": ("bounce", [("x@nowhere.example", "hard", "suppress")]),
    "bounce_transient_mailboxfull.json": ("bounce", [("full@x.test", "soft", "retry")]),
    "bounce_transient_general_timeout.json": ("bounce", [("slow@x.test", "soft", "retry")]),
    "bounce_transient_general_5_1_1.json": ("bounce", [("nouser@x.test", "hard", "suppress")]),
    "bounce_transient_general_policy_4_7_1.json": ("bounce", [("greylist@x.test", "soft", "retry")]),
    "bounce_transient_too_large.json": ("bounce", [("big@x.test", "soft", "retry")]),
    "bounce_transient_content_rejected.json": ("bounce", [("c@x.test", "soft", "retry")]),
    "bounce_transient_attachment_rejected.json": ("bounce", [("a@x.test", "soft", "retry")]),
    "bounce_undetermined_plain.json": ("bounce", [("who@x.test", "undetermined", "review")]),
    "bounce_undetermined_5_2_1.json": ("bounce", [("off@x.test", "hard", "suppress")]),
    "bounce_undetermined_4_2_2_in_diagnostic.json": ("bounce", [("q@x.test", "soft", "retry")]),
    "bounce_undetermined_5_7_1.json": ("bounce", [("blocked@x.test", "undetermined", "review")]),
    "bounce_undetermined_text_only.json": ("bounce", [("t@x.test", "hard", "suppress")]),
    "bounce_permanent_5_7_1.json": ("bounce", [("deny@x.test", "hard", "suppress")]),
    "bounce_multi_recipient.json": ("bounce", [("one@bad.test", "hard", "suppress"), ("Two@bad.test", "hard", "suppress"),
                                               ("three@bad.test", "hard", "suppress")]),
    "complaint_not_spam.json": ("complaint", [("fan@example.com", "complaint", "none")]),
    "complaint_multi_fraud.json": ("complaint", [("a@example.com", "complaint", "suppress"),
                                                 ("b@example.com", "complaint", "suppress")]),
    "complaint_on_account_suppression_list.json": ("complaint", [("listed@example.com", "suppressed", "none")]),
    "delivery_multi_recipient.json": ("delivery", [("jane@example.com", "delivery", "none"),
                                                   ("mary@example.com", "delivery", "none"),
                                                   ("richard@example.com", "delivery", "none")]),
    "sns_bounce_with_dsn.json": ("bounce", [("jane@example.com", "hard", "suppress")]),
    "sns_complaint.json": ("complaint", [("richard@example.com", "complaint", "suppress")]),
    "sns_delivery.json": ("delivery", [("jane@example.com", "delivery", "none")]),
    "sns_event_delivery_delay.json": ("delivery_delay", [("recipient@example.com", "delivery_delay", "retry")]),
    "sns_event_bounce.json": ("bounce", [("recipient@example.com", "hard", "suppress")]),
    "sns_subscription_confirmation.json": ("sns_subscription_confirmation", []),
    "malformed_unknown_bounce_type.json": ("bounce", [("s@x.test", "unknown", "review")]),
}

# file -> a fragment of the error message
MALFORMED = {
    "malformed_truncated.json": "not JSON",
    "malformed_sns_truncated.json": "not JSON",
    "malformed_empty.json": "not JSON",
    "malformed_array.json": "not a JSON object",
    "malformed_no_type.json": "neither notificationType nor eventType",
    "malformed_recipients_not_list.json": "bouncedRecipients is missing or not a list",
    "malformed_recipient_wrong_types.json": "no valid emailAddress",
    "malformed_type_not_string.json": "eventType is list",
    "malformed_bounce_body_missing.json": "bounce object is missing",
    "malformed_moto_placeholder_type.json": "unknown notificationType",
    "sns_message_not_json.json": "SNS Message is not JSON",
    "sns_message_wrong_type.json": "SNS Message is int",
}


def test_corpus_is_fully_covered():
    files = {p.name for p in CORPUS.iterdir() if p.suffix == ".json"}
    assert files == set(EXPECTED) | set(MALFORMED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_valid_corpus(name):
    kind, expected = EXPECTED[name]
    got = classify(load(name))
    assert got["valid"] is True, got
    assert got["kind"] == kind
    assert classes(got) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_valid_file_classifies_the_same_wrapped_raw_as_str_and_as_dict(name):
    raw = load(name)
    doc = json.loads(raw)
    base = classify(raw)
    assert classes(classify(doc)) == classes(base)
    assert classes(classify(raw.decode())) == classes(base)
    if doc.get("Type") is None:
        wrapped = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                   "Message": json.dumps(doc)}
        got = classify(wrapped)
        assert got["wrapped"] is True and got["sns_message_id"] == "m-1"
        assert classes(got) == classes(base)
        assert [r["key"] for r in got["recipients"]] == [r["key"] for r in base["recipients"]]
        # EventBridge's shape too
        assert classes(classify({"detail-type": "Email Bounced", "id": "e", "detail": doc})) == classes(base)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_corpus_is_reported_not_guessed(name):
    got = classify(load(name))
    assert got["valid"] is False
    assert MALFORMED[name] in got["error"]
    assert got["recipients"] == []


def test_bytes_that_are_not_utf8():
    # kept out of the corpus directory: ansible-test's sanity checks read every file as UTF-8
    got = classify(b'{"notificationType": "Bounce", "x": "\xff\xfe"}')
    assert got["valid"] is False and got["error"] == "not UTF-8"


def test_sns_envelope_details():
    got = classify(load("sns_event_bounce.json"))
    assert got["form"] == "event" and got["wrapped"] is True
    assert got["topic_arn"] == "arn:aws:sns:us-east-1:123456789012:ses-feedback"
    assert got["configuration_set"] == "ConfigSet"
    raw = classify(load("event_bounce.json"))
    assert raw["wrapped"] is False and raw["form"] == "event"
    note = classify(load("doc_bounce_with_dsn.json"))
    assert note["form"] == "notification"


def test_subscription_confirmation_keeps_the_url():
    got = classify(load("sns_subscription_confirmation.json"))
    assert got["subscribe_url"].startswith("https://sns.us-east-1.amazonaws.com/")


def test_bounce_details_and_keys():
    got = classify(load("doc_bounce_with_dsn.json"))
    rec = got["recipients"][0]
    assert got["feedback_id"] == "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000"
    assert got["message_id"] == "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000"
    assert got["bounce_type"] == "Permanent" and got["bounce_sub_type"] == "General"
    assert rec["smtp_status"] == "5.1.1" and rec["reason"] == "bad_mailbox"
    assert rec["counts_toward_bounce_rate"] is True
    # one identity across channels: the SES message id (the same in the notification and the event), not the
    # feedback id
    assert rec["key"] == "bounce:%s:jane@example.com" % got["message_id"]


def test_a_notification_and_its_configuration_set_event_have_one_key():
    doc = json.loads(load("doc_bounce_with_dsn.json"))
    event = json.loads(json.dumps(doc))
    event["eventType"] = event.pop("notificationType")
    event["mail"]["tags"] = {"ses:configuration-set": ["bounce-only"]}
    event["bounce"]["feedbackId"] = "another-feedback-id"
    a, b = classify(doc), classify(event)
    assert a["recipients"][0]["key"] == b["recipients"][0]["key"]
    assert (channel_of(a), channel_of(b)) == ("notification", "event:bounce-only")


def test_multi_recipient_keys_are_distinct_and_case_folded():
    got = classify(load("bounce_multi_recipient.json"))
    keys = [r["key"] for r in got["recipients"]]
    assert len(set(keys)) == 3
    assert "bounce:0100018c-msg-1:two@bad.test" in keys


def test_on_account_suppression_list_does_not_count():
    rec = classify(load("bounce_on_account_suppression_list.json"))["recipients"][0]
    assert rec["counts_toward_bounce_rate"] is False


def test_not_spam_is_distinct():
    rec = classify(load("complaint_not_spam.json"))["recipients"][0]
    assert rec["sub_type"] == "not-spam" and rec["feedback_type"] == "not-spam" and rec["action"] == "none"


def test_refinement_is_marked():
    assert classify(load("bounce_transient_general_5_1_1.json"))["recipients"][0]["refined"] is True
    assert classify(load("doc_bounce_with_dsn.json"))["recipients"][0]["refined"] is False


def test_delivery_delay_keys_include_the_delay_time():
    got = classify(load("event_delivery_delay.json"))
    assert got["recipients"][0]["key"].endswith(":2020-06-16T00:15:40.641Z")
    assert got["recipients"][0]["expiration_time"] == "2020-06-16T00:25:40.914Z"


def test_simulator_recipients_are_flagged():
    rec = classify(load("bounce_simulator_suppressionlist.json"))["recipients"][0]
    assert rec["simulator"] is True


@pytest.mark.parametrize("status,diag,expected", [
    ("5.1.1", None, ("hard", "bad_mailbox")),
    ("5.1.2", None, ("hard", "bad_domain")),
    ("5.2.1", None, ("hard", "mailbox_disabled")),
    ("5.7.1", None, (None, "not_authorised")),
    ("4.2.2", None, ("soft", "mailbox_full")),
    ("4.4.1", None, ("soft", "timeout")),
    ("4.7.1", None, ("soft", "policy_deferral")),
    ("4.9.9", None, ("soft", "temporary_failure")),
    ("5.9.9", None, (None, "permanent_failure")),
    (None, "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound", ("hard", "null_mx")),
    (None, "smtp; 550 #5.1.0 Address rejected", ("hard", "bad_address")),
    (None, "Mailbox full", ("soft", "diagnostic_soft")),
    (None, "no such user here", ("hard", "diagnostic_hard")),
    (None, "something odd", (None, None)),
    ("", "", (None, None)),
    ("5.1.1.1", None, (None, None)),
])
def test_refine(status, diag, expected):
    assert refine(status, diag) == expected


def test_smtp_status_prefers_the_status_field():
    assert smtp_status("4.2.2", "smtp; 550 5.1.1 nope") == "4.2.2"
    assert smtp_status(None, "smtp; 550 5.1.1 nope") == "5.1.1"
    assert smtp_status(None, "250 ok 1.2.3") is None


# --------------------------------------------------------------------------- property tests
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25)
TYPES = st.sampled_from(["Bounce", "Complaint", "Delivery", "DeliveryDelay", "Send", "Open", "Nope", 3, None])
BOUNCE_TYPES = st.sampled_from(["Permanent", "Transient", "Undetermined", "X", None, 1])
SUBTYPES = st.sampled_from(["General", "NoEmail", "Suppressed", "OnAccountSuppressionList", "MailboxFull",
                            "MessageTooLarge", "ContentRejected", "AttachmentRejected", "Undetermined", None, 7])
ADDRESS = st.one_of(st.emails(), st.text(max_size=30), st.none(), st.integers())
RECIPIENT = st.fixed_dictionaries({"emailAddress": ADDRESS}, optional={
    "status": st.one_of(st.from_regex(r"[2-5]\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True), st.text(max_size=8), st.none()),
    "diagnosticCode": st.one_of(st.text(max_size=60), st.none(), st.integers()), "action": JSON})


@st.composite
def notifications(draw):
    form = draw(st.sampled_from(["notificationType", "eventType"]))
    body = {
        "bounce": st.fixed_dictionaries({"bounceType": BOUNCE_TYPES, "bounceSubType": SUBTYPES,
                                         "bouncedRecipients": st.one_of(st.lists(st.one_of(RECIPIENT, JSON), max_size=4), JSON),
                                         "feedbackId": st.one_of(st.text(max_size=10), st.none())}),
        "complaint": st.fixed_dictionaries({"complainedRecipients": st.one_of(st.lists(st.one_of(RECIPIENT, JSON), max_size=4), JSON),
                                            "complaintFeedbackType": st.one_of(st.sampled_from(["abuse", "not-spam"]), JSON),
                                            "complaintSubType": st.one_of(st.none(), st.just("OnAccountSuppressionList"))}),
        "delivery": st.fixed_dictionaries({"recipients": st.one_of(st.lists(ADDRESS, max_size=4), JSON),
                                           "smtpResponse": JSON}),
        "deliveryDelay": st.fixed_dictionaries({"delayedRecipients": st.one_of(st.lists(RECIPIENT, max_size=3), JSON),
                                                "delayType": JSON, "timestamp": JSON}),
    }
    key = draw(st.sampled_from(sorted(body)))
    doc = {form: draw(TYPES), key: draw(body[key]), "mail": draw(st.one_of(JSON, st.fixed_dictionaries(
        {"messageId": JSON, "tags": JSON})))}
    if draw(st.booleans()):
        doc[draw(st.text(max_size=8))] = draw(JSON)
    how = draw(st.sampled_from(["dict", "json", "sns", "sns-bad", "bytes", "truncated"]))
    if how == "json":
        return json.dumps(doc)
    if how == "sns":
        return {"Type": draw(st.sampled_from(["Notification", "Other", None])), "MessageId": draw(JSON),
                "Message": json.dumps(doc)}
    if how == "sns-bad":
        return {"Type": "Notification", "Message": draw(JSON)}
    if how == "bytes":
        return json.dumps(doc).encode()
    if how == "truncated":
        text = json.dumps(doc)
        return text[:draw(st.integers(0, len(text)))]
    return doc


def _check(got):
    assert isinstance(got, dict)
    assert isinstance(got["valid"], bool)
    assert isinstance(got["recipients"], list)
    if not got["valid"]:
        assert got["error"]
    for rec in got["recipients"]:
        assert rec["class"] in ("hard", "suppressed", "soft", "undetermined", "complaint", "delivery",
                                "delivery_delay", "unknown")
        assert rec["action"] in ("suppress", "retry", "review", "none")
        assert isinstance(rec["email"], str) and "@" in rec["email"]
        assert isinstance(rec["key"], str)
    json.dumps(got)  # results are plain data Ansible can return


def _strict(raw):
    """Classify through the inner ``_classify`` (which has no catch-all), so an exception fails the test;
    then check that the public ``classify`` gives the same answer, i.e. its catch-all never had to fire."""
    got = notes_module._classify(raw)
    _check(got)
    assert not (got.get("error") or "").startswith("unparsable:")
    assert classify(raw) == got
    return got


@settings(max_examples=400, deadline=None)
@given(notifications())
def test_classifier_never_raises_on_near_valid_input(raw):
    _strict(raw)


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, st.binary(max_size=64), st.text(max_size=64)))
def test_classifier_never_raises_on_anything(raw):
    _strict(raw)


def test_classifier_survives_deep_nesting_and_odd_objects():
    deep = "[" * 100000 + "]" * 100000
    _strict(deep)
    _strict(object())
    _strict({"Type": "Notification", "MessageId": "x", "Message": deep})


def test_the_property_checks_can_fail(monkeypatch):
    """If _classify raised on every input, the three tests above would fail (classify's catch-all hid it)."""
    def broken(raw):
        raise KeyError("boom")
    monkeypatch.setattr(notes_module, "_classify", broken)
    assert classify({"notificationType": "Delivery"})["error"].startswith("unparsable: KeyError")
    with pytest.raises(KeyError):
        _strict({"notificationType": "Delivery"})

    def caught(raw):
        return {"valid": False, "error": "unparsable: X: y", "recipients": []}
    monkeypatch.setattr(notes_module, "_classify", caught)
    with pytest.raises(AssertionError):
        _strict({"notificationType": "Delivery"})


def test_a_tenants_event_names_its_tenant_and_the_sending_identity():
    """SES tags a tenant's bounce and complaint events with ses:tenant-name; mail.sourceArn is the identity."""
    event = {"eventType": "Bounce",
             "mail": {"messageId": "m1", "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/shop.example",
                      "tags": {"ses:configuration-set": ["shop-mail"], "ses:tenant-name": ["client-shop"]}},
             "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                        "bouncedRecipients": [{"emailAddress": "a@x.test"}]}}
    got = notes_module.classify(json.dumps(event))
    assert got["tenant"] == "client-shop" and got["configuration_set"] == "shop-mail"
    assert got["source_arn"] == "arn:aws:ses:us-east-1:123456789012:identity/shop.example"
    for bad in ([], [7], "client-shop", [""]):
        event["mail"]["tags"]["ses:tenant-name"] = bad
        assert "tenant" not in notes_module.classify(json.dumps(event))
