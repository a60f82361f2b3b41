"""Bad-input corpus for the notification parser (in-process: plugins/module_utils/formats/notifications.py).

Each case is a notification (or something pretending to be one) and what correct handling is: ``invalid``
(valid=false with a specific error), or ``valid`` with the recipients it must find. The parser's last-resort
``unparsable: <exception>`` answer counts as NOT handled: it means an input reached code that broke.
"""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import classify

from .conftest import record

BASE = {
    "notificationType": "Bounce",
    "mail": {"timestamp": "2026-11-27T10:00:00.000Z", "messageId": "0100-abc", "source": "news@shop.example.com",
             "destination": ["u@bad.test"]},
    "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "0100-fb-1",
               "timestamp": "2026-11-27T10:00:01.000Z",
               "bouncedRecipients": [{"emailAddress": "u@bad.test", "status": "5.1.1",
                                      "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
}


def bounce(**changes):
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[k]
        if value is DROP:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return doc


def rcpt(email, **extra):
    return [dict({"emailAddress": email, "status": "5.1.1"}, **extra)]


DROP = object()
SNS = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}

# (label, category, input, expectation): "invalid", or a list of the emails it must classify
CASES = [
    ("empty string", "empty", "", "invalid"),
    ("empty bytes", "empty", b"", "invalid"),
    ("empty object", "empty", {}, "invalid"),
    ("JSON null", "wrong type", "null", "invalid"),
    ("JSON array", "wrong type", "[1, 2]", "invalid"),
    ("number", "wrong type", 42, "invalid"),
    ("None", "wrong type", None, "invalid"),
    ("not UTF-8", "unicode", b"\xff\xfe{\x00", "invalid"),
    ("not JSON", "wrong type", "not json at all", "invalid"),
    ("deeply nested", "oversize", "[" * 100000 + "]" * 100000, "invalid"),
    ("truncated JSON", "wrong type", json.dumps(BASE)[:-7], "invalid"),
    ("notificationType a number", "wrong type", bounce(notificationType=7), "invalid"),
    ("notificationType unknown", "wrong type", bounce(notificationType="Bounce; DROP TABLE events"), "invalid"),
    ("bounce object missing", "empty", bounce(bounce=DROP), "invalid"),
    ("bounce a string", "wrong type", bounce(bounce="Permanent"), "invalid"),
    ("recipients not a list", "wrong type", bounce(bounce__bouncedRecipients={"emailAddress": "u@bad.test"}),
     "invalid"),
    ("recipients empty", "empty", bounce(bounce__bouncedRecipients=[]), "invalid"),
    ("recipient a string", "wrong type", bounce(bounce__bouncedRecipients=["u@bad.test"]), "invalid"),
    ("recipient address a number", "wrong type", bounce(bounce__bouncedRecipients=rcpt(12345)), "invalid"),
    ("recipient address empty", "empty", bounce(bounce__bouncedRecipients=rcpt("")), "invalid"),
    ("recipient without @", "wrong type", bounce(bounce__bouncedRecipients=rcpt("nobody")), "invalid"),
    ("recipient oversize", "oversize", bounce(bounce__bouncedRecipients=rcpt("a" * 400 + "@bad.test")), "invalid"),
    ("recipient with a newline (header injection)", "injection",
     bounce(bounce__bouncedRecipients=rcpt("u@bad.test\nBcc: victim@else.test")), "invalid"),
    ("recipient with a CR/LF in the domain", "injection",
     bounce(bounce__bouncedRecipients=rcpt("u@bad.test\r\nX: y")), "invalid"),
    ("recipient with a NUL", "injection", bounce(bounce__bouncedRecipients=rcpt("u\x00@bad.test")), "invalid"),
    ("recipient with SQL in the local part", "injection",
     bounce(bounce__bouncedRecipients=rcpt("x');DROP TABLE events;--@bad.test")),
     ["x');DROP TABLE events;--@bad.test"]),
    ("plus tag", "unusual email", bounce(bounce__bouncedRecipients=rcpt("u+tag@bad.test")), ["u+tag@bad.test"]),
    ("quoted local part with space", "unusual email",
     bounce(bounce__bouncedRecipients=rcpt('"john doe"@bad.test')), ['"john doe"@bad.test']),
    ("display name form", "unusual email", bounce(bounce__bouncedRecipients=rcpt("John <j@bad.test>")),
     ["j@bad.test"]),
    ("uppercase domain, trailing dot", "domain form", bounce(bounce__bouncedRecipients=rcpt("Kim@BAD.Test.")),
     ["Kim@bad.test"]),
    ("IDN domain", "domain form", bounce(bounce__bouncedRecipients=rcpt("kim@bücher.test")), ["kim@bücher.test"]),
    ("unicode local part", "unicode", bounce(bounce__bouncedRecipients=rcpt("jörg@bad.test")), ["jörg@bad.test"]),
    ("slash and percent", "unusual email", bounce(bounce__bouncedRecipients=rcpt("dept/a%b@bad.test")),
     ["dept/a%b@bad.test"]),
    ("apostrophe", "unusual email", bounce(bounce__bouncedRecipients=rcpt("o'neil@bad.test")), ["o'neil@bad.test"]),
    ("one good one bad recipient", "mixed",
     bounce(bounce__bouncedRecipients=rcpt("ok@bad.test") + rcpt(None)), ["ok@bad.test"]),
    ("bounceType unknown", "wrong type", bounce(bounce__bounceType="Catastrophic"), ["u@bad.test"]),
    ("bounceSubType a list", "wrong type", bounce(bounce__bounceSubType=["General"]), ["u@bad.test"]),
    ("status a number", "wrong type", bounce(bounce__bouncedRecipients=rcpt("u@bad.test", status=511)),
     ["u@bad.test"]),
    ("diagnostic 1 MB", "oversize",
     bounce(bounce__bouncedRecipients=rcpt("u@bad.test", diagnosticCode="x" * 1000000)), ["u@bad.test"]),
    ("timestamp out of range", "date", bounce(bounce__timestamp="9999-99-99T99:99:99Z"), ["u@bad.test"]),
    ("timestamp year 0", "date", bounce(bounce__timestamp="0000-01-01T00:00:00Z"), ["u@bad.test"]),
    ("timestamp a huge number", "date", bounce(bounce__timestamp=10 ** 30), ["u@bad.test"]),
    ("mail timestamp garbage", "date", bounce(mail__timestamp="yesterday"), ["u@bad.test"]),
    ("no mail object", "empty", bounce(mail=DROP), ["u@bad.test"]),
    ("feedbackId a dict", "wrong type", bounce(bounce__feedbackId={"a": 1}), ["u@bad.test"]),
    ("SNS envelope, Message not JSON", "wrong type", dict(SNS, Message="oops"), "invalid"),
    ("SNS envelope, Message a number", "wrong type", dict(SNS, Message=5), "invalid"),
    ("SNS envelope, Message empty", "empty", dict(SNS, Message=""), "invalid"),
    ("SNS envelope, unknown Type", "wrong type", dict(SNS, Type="Surprise", Message=json.dumps(BASE)), "invalid"),
    ("SNS envelope, good Message", "envelope", dict(SNS, Message=json.dumps(BASE)), ["u@bad.test"]),
    ("SNS envelope as bytes", "envelope", json.dumps(dict(SNS, Message=json.dumps(BASE))).encode(),
     ["u@bad.test"]),
    ("complaint without recipients", "empty", {"notificationType": "Complaint", "mail": BASE["mail"],
                                               "complaint": {"feedbackId": "f"}}, "invalid"),
    ("complaint with a unicode feedback type", "unicode",
     {"notificationType": "Complaint", "mail": BASE["mail"],
      "complaint": {"feedbackId": "f", "complaintFeedbackType": "abüse\u202e",
                    "complainedRecipients": [{"emailAddress": "c@x.test"}]}}, ["c@x.test"]),
    ("delivery with number recipients", "wrong type",
     {"notificationType": "Delivery", "mail": BASE["mail"], "delivery": {"recipients": [1, 2]}}, "invalid"),
    ("event form, eventType a list", "wrong type", {"eventType": ["Bounce"], "mail": BASE["mail"]}, "invalid"),
    ("delay with recipients null", "empty",
     {"eventType": "DeliveryDelay", "mail": BASE["mail"], "deliveryDelay": {"delayedRecipients": None}}, "invalid"),
]


@pytest.mark.parametrize("label,category,raw,expect", CASES, ids=[c[0] for c in CASES])
def test_notification_parser_handles_bad_input(label, category, raw, expect, figures):
    out = classify(raw)
    assert isinstance(out, dict)
    handled = not (out.get("error") or "").startswith("unparsable")
    if expect == "invalid":
        handled = handled and out["valid"] is False and bool(out["error"])
    else:
        handled = handled and out["valid"] is True and [r["email"] for r in out["recipients"]] == expect
    for rec in out.get("recipients", []):
        # whatever it accepts is one address on one line: nothing that could smuggle a header or a field
        assert not any(ch in rec["email"] for ch in "\r\n\x00"), (label, rec["email"])
    entry = figures.setdefault("bad_inputs_parser", {})
    entry[label] = {"category": category, "handled": handled, "error": out.get("error")}
    assert handled, (label, out)
