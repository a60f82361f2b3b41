"""Inbound mail for the sandbox: what SES receiving does with a message sent to one of your addresses.

The active receipt rule set (SES v1 API: CreateReceiptRuleSet / CreateReceiptRule / SetActiveReceiptRuleSet,
kept by moto) decides: for every enabled rule whose ``Recipients`` match one of the message's recipients (an
address, a domain, or a subdomain with a leading dot, or every recipient when the list is empty), each S3
action stores the raw MIME message at ``<ObjectKeyPrefix><message id>`` in its bucket - as SES does, one object
per message, no matter how many recipients matched. A rule with ``ScanEnabled`` is not scanned here.

Mail reaches it two ways (see docs/sandbox.md): the control endpoint ``POST /_sandbox/inbound`` (a receiver
"mailing" a report to the rua address) and v1 ``SendRawEmail`` to a recipient that a receipt rule covers.
"""

from __future__ import annotations

import email
import email.utils
import time
import uuid


def _matches(recipient: str, patterns) -> bool:
    recipient = recipient.lower().strip()
    domain = recipient.rsplit("@", 1)[-1]
    if not patterns:
        return True
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if "@" in pattern and recipient == pattern:
            return True
        if pattern.startswith(".") and domain.endswith(pattern):
            return True
        if "@" not in pattern and domain == pattern.lstrip("."):
            return True
    return False


def _rules(account_id: str, region: str):
    from moto.ses.models import ses_backends
    backend = ses_backends[account_id][region]
    active = backend.describe_active_receipt_rule_set()
    if active is None:
        return None, []
    return active.name, list(active.rules)


def deliver(account_id: str, region: str, raw: bytes, recipients=None):
    """Apply the active receipt rule set to one raw message; return what was stored (list of dicts)."""
    from moto.s3.models import s3_backends
    if recipients is None:
        msg = email.message_from_bytes(raw)
        recipients = [a for _, a in email.utils.getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []))]
    rule_set, rules = _rules(account_id, region)
    stored = []
    if rule_set is None:
        return {"rule_set": None, "stored": stored, "recipients": recipients}
    # unique per arrival, as SES's message ids are (the same message received twice is two objects)
    message_id = "%s-%s" % (time.strftime("%Y%m%d%H%M%S"), uuid.uuid4().hex[:20])
    for rule in rules:
        if str(rule.get("Enabled", "true")).lower() == "false":
            continue
        if not any(_matches(r, rule.get("Recipients") or []) for r in recipients):
            continue
        for action in rule.get("Actions") or []:
            s3 = action.get("S3Action")
            if s3:
                key = (s3.get("ObjectKeyPrefix") or "") + message_id
                s3_backends[account_id]["aws"].put_object(s3["BucketName"], key, raw)
                stored.append({"rule": rule.get("Name"), "bucket": s3["BucketName"], "key": key})
            if action.get("StopAction"):
                break
        else:
            continue
        break
    return {"rule_set": rule_set, "stored": stored, "recipients": recipients, "message_id": message_id}
