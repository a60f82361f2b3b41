# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and classify Amazon SES bounce, complaint and delivery notifications.

Pure functions: no I/O, no AWS, and :func:`classify` never raises. It accepts

* SES identity notifications (``notificationType``: Bounce, Complaint, Delivery, and the one-off
  ``AmazonSnsSubscriptionSucceeded``),
* configuration-set events (``eventType``: Bounce, Complaint, Delivery, DeliveryDelay, Send, Reject,
  Open, Click, Rendering Failure, Subscription),

each either raw (SNS raw message delivery, a file, an EventBridge ``detail``) or wrapped in the SNS
envelope (``Type: Notification`` with the SES JSON as the ``Message`` string), given as a dict, a
JSON string or bytes.

Every recipient gets one ``class``:

``hard``          Permanent bounce (General, NoEmail, Suppressed, UnsubscribedRecipient): stop sending.
``suppressed``    Permanent/OnAccountSuppressionList: SES did not even try; not counted in the bounce rate.
``soft``          Transient bounce (General, MailboxFull, MessageTooLarge, ContentRejected,
                  AttachmentRejected): retry later.
``undetermined``  SES could not tell, and neither can the SMTP status or diagnostic code.
``complaint``     a feedback report; ``sub_type`` is the feedback type (abuse, fraud, not-spam, ...).
                  ``not-spam`` gets ``action: none`` (the recipient says it is *not* spam).
``delivery``      accepted by the receiving server.
``delivery_delay`` SES is still retrying.

and an ``action``: ``suppress`` (hard, complaint), ``none`` (already suppressed, delivered, not-spam),
``retry`` (soft, delay) or ``review`` (undetermined).

Where SES's own verdict is vague (Transient/General, Undetermined) the SMTP enhanced status code (RFC 3463)
refines it: an address-level 5.1.x / 5.2.1 status means the mailbox or domain does not exist or is disabled
(``hard``), any 4.x.x status is temporary (``soft``); without a status a few well-known diagnostic phrases
decide. Permanent bounces stay hard whatever the status says: SES has already suppressed them.

Anything unrecognised is reported (``valid: false`` with an ``error``, or ``class: unknown`` with a
``reason``) rather than guessed.
"""

from __future__ import annotations

import json
import re

# bounce sub-types per AWS's documentation ("Amazon SES notification contents")
HARD_SUBTYPES = frozenset(("General", "NoEmail", "Suppressed", "UnsubscribedRecipient"))
SOFT_SUBTYPES = frozenset(("General", "MailboxFull", "MessageTooLarge", "ContentRejected", "AttachmentRejected"))
ON_ACCOUNT_LIST = "OnAccountSuppressionList"

CLASSES = ("hard", "suppressed", "soft", "undetermined", "complaint", "delivery", "delivery_delay", "unknown")
ACTIONS = {"hard": "suppress", "suppressed": "none", "soft": "retry", "undetermined": "review",
           "complaint": "suppress", "delivery": "none", "delivery_delay": "retry", "unknown": "review"}

# notificationType / eventType -> kind
KINDS = {
    "Bounce": "bounce", "Complaint": "complaint", "Delivery": "delivery", "DeliveryDelay": "delivery_delay",
    "Send": "send", "Reject": "reject", "Open": "open", "Click": "click", "Rendering Failure": "rendering_failure",
    "RenderingFailure": "rendering_failure", "Subscription": "subscription",
    "AmazonSnsSubscriptionSucceeded": "subscription_succeeded",
}
SNS_CONTROL_KINDS = ("sns_subscription_confirmation", "sns_unsubscribe_confirmation")
# kinds that carry no per-recipient outcome the processor acts on
INFORMATIONAL = frozenset(("send", "reject", "open", "click", "rendering_failure", "subscription",
                           "subscription_succeeded") + SNS_CONTROL_KINDS)
BODY_KEYS = {"bounce": "bounce", "complaint": "complaint", "delivery": "delivery",
             "delivery_delay": "deliveryDelay"}

# RFC 3463 enhanced status codes that describe the address itself
STATUS_MEANING = {
    "5.1.0": "bad_address", "5.1.1": "bad_mailbox", "5.1.2": "bad_domain", "5.1.3": "bad_address_syntax",
    "5.1.4": "ambiguous_address", "5.1.6": "mailbox_moved", "5.1.10": "null_mx",
    "5.2.1": "mailbox_disabled", "5.4.4": "unable_to_route",
    "5.2.2": "mailbox_full", "5.2.3": "message_too_large", "5.3.4": "message_too_large",
    "5.7.1": "not_authorised", "5.7.0": "security_policy",
    "4.2.2": "mailbox_full", "4.4.1": "timeout", "4.4.2": "connection_dropped", "4.4.7": "delivery_expired",
    "4.7.1": "policy_deferral", "4.7.0": "security_policy", "4.3.0": "system_error", "4.2.0": "mailbox_busy",
    "4.2.1": "mailbox_disabled_temporarily", "4.4.3": "dns_failure",
}
HARD_STATUSES = frozenset(("5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1", "5.4.4"))
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_HARD_TEXT = re.compile(r"user unknown|unknown user|no such (?:user|mailbox|recipient)|does not exist|"
                        r"mailbox unavailable|recipient (?:address )?rejected|invalid recipient|"
                        r"address rejected|account (?:has been )?disabled|mailbox (?:is )?disabled|"
                        r"domain not found|host not found|no mx", re.I)
_SOFT_TEXT = re.compile(r"mailbox (?:is )?full|over quota|quota exceeded|insufficient storage|timed? ?out|"
                        r"try again later|temporar|greylist|rate limit|too many", re.I)


def _str(value):
    return value if isinstance(value, str) else None


_PLAIN_STATUS = {}
_ANGLE_RE = re.compile(r"<([^<>]+)>\s*$")


def smtp_status(status, diagnostic=None):
    """The enhanced status code ("5.1.1") from a status field or, failing that, the diagnostic code."""
    if status.__class__ is str:
        known = _PLAIN_STATUS.get(status)
        if known is not None:
            return known
        m = _STATUS_RE.search(status)
        if m:
            code = "%s.%s.%s" % (m.group(1), int(m.group(2)), int(m.group(3)))
            if len(_PLAIN_STATUS) < 1024:  # the few codes servers use; bounded against odd input
                _PLAIN_STATUS[status] = code
            return code
    for text in (diagnostic,):
        if isinstance(text, str) and text:
            m = _STATUS_RE.search(text)
            if m:
                return "%s.%s.%s" % (m.group(1), int(m.group(2)), int(m.group(3)))
    return None


def refine(status, diagnostic):
    """(class, reason) that the SMTP status or diagnostic code supports, or (None, None)."""
    code = smtp_status(status, diagnostic)
    if code:
        meaning = STATUS_MEANING.get(code)
        if code in HARD_STATUSES:
            return "hard", meaning
        if code[0] == "4":
            return "soft", meaning or "temporary_failure"
        if code in ("5.2.2", "5.2.3", "5.3.4"):
            return "soft", meaning
        # other 5.x.x (policy, content, system) say nothing certain about the address
        return None, meaning or "permanent_failure"
    if isinstance(diagnostic, str) and diagnostic:
        if _HARD_TEXT.search(diagnostic):
            return "hard", "diagnostic_hard"
        if _SOFT_TEXT.search(diagnostic):
            return "soft", "diagnostic_soft"
    return None, None


def _unknown(error, **extra):
    out = {"valid": False, "error": error, "kind": "unknown", "recipients": []}
    out.update(extra)
    return out


def _load(raw):
    """raw -> (dict, error)."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None, "not UTF-8"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            return None, "not JSON: %s" % exc
        except RecursionError:
            return None, "not JSON: nested too deeply"
    if not isinstance(raw, dict):
        return None, "not a JSON object but %s" % type(raw).__name__
    return raw, None


def unwrap(raw):
    """(ses_message_dict, envelope_info, error): strips the SNS envelope when there is one."""
    doc, err = _load(raw)
    if err:
        return None, {}, err
    envelope = {}
    if "Message" in doc and ("Type" in doc or "TopicArn" in doc or "MessageId" in doc):
        sns_type = doc.get("Type")
        envelope = {"wrapped": True, "sns_type": _str(sns_type), "sns_message_id": _str(doc.get("MessageId")),
                    "topic_arn": _str(doc.get("TopicArn")), "sns_timestamp": _str(doc.get("Timestamp"))}
        if sns_type in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            # SNS talking to the subscriber, not SES: nothing to act on, but the URL matters to a human
            envelope["subscribe_url"] = _str(doc.get("SubscribeURL"))
            return {"_sns_control": sns_type}, envelope, None
        if sns_type not in (None, "Notification"):
            return None, envelope, "unknown SNS message type %r" % (sns_type,)
        inner = doc.get("Message")
        if isinstance(inner, dict):
            doc = inner
        elif isinstance(inner, str):
            doc, err = _load(inner)
            if err:
                return None, envelope, "SNS Message is %s" % err
        else:
            return None, envelope, "SNS Message is %s, not a JSON string" % type(inner).__name__
    elif isinstance(doc.get("detail"), dict) and "detail-type" in doc:
        # EventBridge delivers the SES event as "detail"
        envelope = {"wrapped": True, "sns_type": "EventBridge", "sns_message_id": _str(doc.get("id"))}
        doc = doc["detail"]
    else:
        envelope = {"wrapped": False}
    return doc, envelope, None


def _address(value):
    """A recipient address as given (SES keeps the local part's case), or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if "<" in value:
        m = _ANGLE_RE.search(value)
        if m:
            value = m.group(1).strip()
    if "@" not in value or len(value) > 320:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None  # control characters (CR, LF, NUL...) are in no address; they would smuggle in a header
    local, domain = value.rsplit("@", 1)
    if not local or not domain or " " in domain:
        return None
    return "%s@%s" % (local, domain.lower().rstrip("."))


def _recipient(email, cls, sub_type, reason=None, status=None, diagnostic=None, refined=False, **extra):
    out = {"email": email, "class": cls, "action": ACTIONS[cls], "sub_type": sub_type, "reason": reason,
           "status": status, "diagnostic_code": diagnostic, "refined": refined,
           "simulator": email.endswith("@simulator.amazonses.com")}
    out.update(extra)
    return out


def _bounce(body):
    btype = body.get("bounceType")
    sub = body.get("bounceSubType")
    sub = sub if isinstance(sub, str) else None  # a list or object here made the set lookups below raise
    recipients = body.get("bouncedRecipients")
    if not isinstance(recipients, list):
        return None, "bounce.bouncedRecipients is missing or not a list"
    out, problems = [], []
    for item in recipients:
        if not isinstance(item, dict):
            problems.append("a bounced recipient is %s, not an object" % type(item).__name__)
            continue
        email = _address(item.get("emailAddress"))
        if email is None:
            problems.append("a bounced recipient has no valid emailAddress")
            continue
        status = _str(item.get("status"))
        diag = _str(item.get("diagnosticCode"))
        code = smtp_status(status, diag)
        extra = {"counts_toward_bounce_rate": True, "smtp_status": code}
        if btype == "Permanent":
            if sub == ON_ACCOUNT_LIST:
                out.append(_recipient(email, "suppressed", sub, "on_account_suppression_list", status, diag,
                                      counts_toward_bounce_rate=False, smtp_status=code))
                continue
            reason = STATUS_MEANING.get(code) if code else None
            if sub in HARD_SUBTYPES:
                out.append(_recipient(email, "hard", sub, reason or sub.lower(), status, diag, **extra))
            else:
                out.append(_recipient(email, "hard", sub if isinstance(sub, str) else None,
                                      reason or "unknown_permanent_sub_type", status, diag,
                                      unknown_sub_type=True, **extra))
        elif btype == "Transient":
            cls, reason = ("soft", None)
            refined = False
            if sub == "General" or sub not in SOFT_SUBTYPES:
                got, why = refine(status, diag)
                if got == "hard":
                    cls, reason, refined = "hard", why, True
                else:
                    reason = why
            reason = reason or (STATUS_MEANING.get(code) if code else None) or (
                sub.lower() if isinstance(sub, str) else None)
            rec = _recipient(email, cls, sub if isinstance(sub, str) else None, reason, status, diag, refined,
                             **extra)
            if sub not in SOFT_SUBTYPES:
                rec["unknown_sub_type"] = True
            out.append(rec)
        elif btype == "Undetermined":
            got, why = refine(status, diag)
            out.append(_recipient(email, got or "undetermined", sub if isinstance(sub, str) else None,
                                  why, status, diag, got is not None, **extra))
        else:
            out.append(_recipient(email, "unknown", sub if isinstance(sub, str) else None,
                                  "unknown bounceType %r" % (btype,), status, diag, **extra))
    return out, "; ".join(problems) or None


def _complaint(body):
    recipients = body.get("complainedRecipients")
    if not isinstance(recipients, list):
        return None, "complaint.complainedRecipients is missing or not a list"
    ftype = _str(body.get("complaintFeedbackType"))
    sub = _str(body.get("complaintSubType"))
    out, problems = [], []
    for item in recipients:
        email = _address(item.get("emailAddress")) if isinstance(item, dict) else None
        if email is None:
            problems.append("a complained recipient has no valid emailAddress")
            continue
        if sub == ON_ACCOUNT_LIST:
            rec = _recipient(email, "suppressed", ON_ACCOUNT_LIST, "on_account_suppression_list",
                             counts_toward_complaint_rate=False)
        else:
            rec = _recipient(email, "complaint", ftype or "unspecified", ftype or "unspecified",
                             counts_toward_complaint_rate=True)
            if ftype == "not-spam":
                rec["action"] = "none"
        rec["feedback_type"] = ftype
        out.append(rec)
    return out, "; ".join(problems) or None


def _delivery(body):
    recipients = body.get("recipients")
    if not isinstance(recipients, list):
        return None, "delivery.recipients is missing or not a list"
    out, problems = [], []
    smtp = _str(body.get("smtpResponse"))
    code = smtp_status(smtp) if smtp else None
    for item in recipients:
        email = _address(item)
        if email is None:
            problems.append("a delivered recipient is not an address")
            continue
        out.append(_recipient(email, "delivery", None, None, code, smtp))
    return out, "; ".join(problems) or None


def _delay(body):
    recipients = body.get("delayedRecipients")
    if not isinstance(recipients, list):
        return None, "deliveryDelay.delayedRecipients is missing or not a list"
    dtype = _str(body.get("delayType"))
    out, problems = [], []
    for item in recipients:
        email = _address(item.get("emailAddress")) if isinstance(item, dict) else None
        if email is None:
            problems.append("a delayed recipient has no valid emailAddress")
            continue
        status = _str(item.get("status"))
        diag = _str(item.get("diagnosticCode"))
        code = smtp_status(status, diag)
        out.append(_recipient(email, "delivery_delay", dtype, STATUS_MEANING.get(code) if code else None,
                              status, diag, smtp_status=code,
                              expiration_time=_str(body.get("expirationTime"))))
    return out, "; ".join(problems) or None


HANDLERS = {"bounce": _bounce, "complaint": _complaint, "delivery": _delivery, "delivery_delay": _delay}


def _classify(raw):
    doc, envelope, err = unwrap(raw)
    if err:
        return _unknown(err, **envelope)
    if "_sns_control" in doc:
        out = {"valid": True, "error": None, "kind": "sns_" + doc["_sns_control"].lower().replace(
            "confirmation", "_confirmation"), "form": "sns", "type": doc["_sns_control"], "recipients": []}
        out.update(envelope)
        return out
    ntype = doc.get("notificationType")
    etype = doc.get("eventType")
    if ntype is not None:
        form, name = "notification", ntype
    elif etype is not None:
        form, name = "event", etype
    else:
        return _unknown("neither notificationType nor eventType", **envelope)
    field = "notificationType" if form == "notification" else "eventType"
    if not isinstance(name, str):
        return _unknown("%s is %s, not a string" % (field, type(name).__name__), **envelope)
    kind = KINDS.get(name)
    if kind is None:
        return _unknown("unknown %s %r" % (field, name), form=form, type=name, **envelope)
    out = {"valid": True, "error": None, "kind": kind, "form": form, "type": name}
    out.update(envelope)
    mail = doc.get("mail")
    if isinstance(mail, dict):
        out["message_id"] = _str(mail.get("messageId"))
        out["source"] = _str(mail.get("source"))
        out["sent_at"] = _str(mail.get("timestamp"))
        out["source_arn"] = _str(mail.get("sourceArn"))
        tags = mail.get("tags")
        if isinstance(tags, dict):
            cs = tags.get("ses:configuration-set")
            if isinstance(cs, list) and cs and isinstance(cs[0], str):
                out["configuration_set"] = cs[0]
            # SES tags bounce and complaint events of a tenant's mail with its name (tenant-level suppression docs)
            tenant = tags.get("ses:tenant-name")
            if isinstance(tenant, list) and tenant and isinstance(tenant[0], str) and tenant[0]:
                out["tenant"] = tenant[0][:256]  # kept as sent (bounded): a name SES would not give is refused later
    elif kind not in ("subscription_succeeded",):
        out["message_id"] = None
        out["warning"] = "no mail object"
    if kind in INFORMATIONAL:
        out["recipients"] = []
        return out
    body = doc.get(BODY_KEYS[kind])
    if not isinstance(body, dict):
        return _unknown("%s object is missing or not an object" % BODY_KEYS[kind], form=form, type=name,
                        message_id=out.get("message_id"), **envelope)
    recipients, problem = HANDLERS[kind](body)
    if recipients is None:
        return _unknown(problem, form=form, type=name, message_id=out.get("message_id"), **envelope)
    out["timestamp"] = _str(body.get("timestamp"))
    out["feedback_id"] = _str(body.get("feedbackId"))
    if kind == "bounce":
        out["bounce_type"] = _str(body.get("bounceType"))
        out["bounce_sub_type"] = _str(body.get("bounceSubType"))
    elif kind == "complaint":
        out["feedback_type"] = _str(body.get("complaintFeedbackType"))
    if problem:
        out["warning"] = problem
    if not recipients:
        out["valid"] = False
        out["error"] = problem or "no recipients"
    for rec in recipients:
        rec["key"] = event_key(out, rec)
    out["recipients"] = recipients
    return out


def event_key(note, rec):
    """The identity of one recipient's event: ``<kind>:<SES message id>:<recipient>`` (and, for delays, the delay's
    timestamp, since a message can be delayed several times).

    The same bounce or complaint reaches a processor twice when both an identity notification and a
    configuration-set event are published for it (they have different SNS/SQS message ids, and AWS documents no
    common feedback id across channels), but both carry the SES message id of the mail and the recipient: so
    this key makes them one event. Without a mail object the feedback id (or the SNS message id) stands in.
    """
    base = note.get("message_id") or note.get("feedback_id") or note.get("sns_message_id") or ""
    key = "%s:%s:%s" % (note.get("kind"), base, rec["email"].lower())
    if note.get("kind") == "delivery_delay":
        key += ":%s" % (note.get("timestamp") or "")
    return key


def channel_of(note):
    """Which copy of an event this is: ``notification`` (identity notification) or ``event:<configuration set>``."""
    if note.get("form") == "event":
        return "event:%s" % (note.get("configuration_set") or "-")
    return "notification"


def classify(raw):
    """Parse one notification (dict, JSON str or bytes; SNS-wrapped or raw) and classify its recipients.

    Returns a dict: ``valid``, ``error``, ``kind``, ``form`` (notification | event), ``wrapped``,
    ``message_id``, ``feedback_id``, ``timestamp``, ``recipients`` (each with ``email``, ``class``,
    ``action``, ``sub_type``, ``reason``, ``status``, ``smtp_status``, ``diagnostic_code``, ``key``...).
    Never raises.
    """
    try:
        return _classify(raw)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; report what broke
        return _unknown("unparsable: %s: %s" % (type(exc).__name__, exc))
