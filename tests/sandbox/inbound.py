"""Inbound mail for the sandbox: what SES receiving does with a message sent to one of your addresses.

The active receipt rule set (SES v1 API: CreateReceiptRuleSet / CreateReceiptRule / SetActiveReceiptRuleSet,
kept by moto) decides: for every enabled rule whose ``Recipients`` match one of the message's recipients (an
address, a domain, or a subdomain with a leading dot, or every recipient when the list is empty), each S3
action stores the raw MIME message at ``<ObjectKeyPrefix><message id>`` in its bucket - as SES does, one object
per message, no matter how many recipients matched. A rule with ``ScanEnabled`` is not scanned here.

Before storing, SES adds its verdicts on top of the message, and so does the sandbox: an
``Authentication-Results: amazonses.com; spf=...; dkim=... header.i=@<d>; dmarc=... header.from=<domain>``
header (DKIM verified by ``dkim.verify`` against the keys registered with ``POST /_sandbox/dkim-keys``; DMARC
passes when a passing signature's domain aligns, relaxed, with the From domain; SPF is ``none``: the sandbox
has no connecting IP), and ``X-SES-Spam-Verdict`` / ``X-SES-Virus-Verdict`` (``PASS``).

Mail reaches it two ways (see docs/sandbox.md): the control endpoint ``POST /_sandbox/inbound`` (a receiver
"mailing" a report to the rua address) and v1 ``SendRawEmail`` to a recipient that a receipt rule covers.
"""

from __future__ import annotations

import email
import email.utils
import time
import uuid


DKIM_KEYS = {}  # (selector, domain) -> base64 public key: POST /_sandbox/dkim-keys


def _aligned(a, b):
    return bool(a) and bool(b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def authenticate(raw: bytes) -> bytes:
    """The message as SES receiving stores it: its verdict headers on top."""
    from . import dkim
    msg = email.message_from_bytes(raw)
    from_domain = email.utils.parseaddr(str(msg.get("From", "")))[1].rsplit("@", 1)[-1].lower()
    results = dkim.verify(raw, lambda selector, domain: DKIM_KEYS.get((selector.lower(), domain.lower())))
    parts = ["spf=none (spf: the sandbox has no connecting IP)"]
    if results:
        parts += ["dkim=%s header.i=@%s" % (result, domain) for result, domain in results]
    else:
        parts.append("dkim=none")
    dmarc = "pass" if any(r == "pass" and _aligned(d, from_domain) for r, d in results) else "fail"
    parts.append("dmarc=%s header.from=%s" % (dmarc, from_domain or "(none)"))
    header = "Authentication-Results: amazonses.com;\n " + ";\n ".join(parts) + ";\n"
    return (header + "X-SES-Spam-Verdict: PASS\nX-SES-Virus-Verdict: PASS\n").encode() + raw


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
    raw = authenticate(raw)
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
