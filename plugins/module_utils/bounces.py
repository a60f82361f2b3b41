# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounce and complaint processing: what to do with each classified recipient, and draining SQS safely.

Order of work for one recipient, chosen so that a crash anywhere leaves a redelivered message harmless:

* hard bounce / complaint: record the event (insert-if-absent) -> make sure the address is suppressed (skipped
  when SES's account-level suppression covers the reason, since SES has added it itself, or when this event was
  already handled and the store says the address is suppressed) -> mark the address suppressed in the store;
* soft bounce: record the event -> add it to the address's soft bounces (idempotent) -> count those within the
  window -> escalate to suppression at the threshold, otherwise compute the next retry (exponential back-off with
  deterministic jitter, so a rerun computes the same time) and store it.

Summary counts only *new* events, so a message handled twice is never counted twice. An SQS message is deleted
only after every one of its recipients was handled; a message that cannot be parsed goes to the dead-letter queue
or the quarantine file before it is deleted, or stays in the queue when neither is configured.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
from ansible_collections.deliverability.ses.plugins.module_utils.notifications import CLASSES, classify

REASON_OF = {"hard": "BOUNCE", "complaint": "COMPLAINT", "soft": "BOUNCE"}


class Policy:
    """Soft-bounce handling. Defaults: escalate after 3 soft bounces within 7 days; retry after 1 h, 2 h, 4 h ...
    capped at 48 h, each shortened by up to 20% jitter."""

    def __init__(self, soft_threshold=3, soft_window=7 * 86400.0, retry_base=3600.0, retry_factor=2.0,
                 retry_cap=48 * 3600.0, retry_jitter=0.2, suppress_simulator=False):
        self.soft_threshold = soft_threshold
        self.soft_window = float(soft_window)
        self.retry_base = float(retry_base)
        self.retry_factor = float(retry_factor)
        self.retry_cap = float(retry_cap)
        self.retry_jitter = float(retry_jitter)
        self.suppress_simulator = suppress_simulator

    def retry_delay(self, email, attempt):
        """Seconds to wait after the ``attempt``-th soft bounce (1-based): min(cap, base * factor^(n-1)), less a
        jitter fraction that depends only on (address, attempt), so every processor and every rerun agree."""
        delay = min(self.retry_cap, self.retry_base * (self.retry_factor ** max(0, attempt - 1)))
        digest = hashlib.sha256(("%s|%d" % (email.lower(), attempt)).encode("utf-8")).digest()
        fraction = int.from_bytes(digest[:8], "big") / float(1 << 64)
        return delay * (1.0 - self.retry_jitter * fraction)


def parse_time(value, default):
    if not isinstance(value, str) or not value:
        return default
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return default
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def iso(ts):
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Processor:
    """Applies the policy to classified notifications; collects the summary.

    ``sesv2`` is a boto3 sesv2 client (or None when nothing may be suppressed through the API);
    ``check_mode`` makes no write of any kind and reports what would be done.
    """

    def __init__(self, store, policy, sesv2=None, check_mode=False, now=time.time, account_reasons=None):
        self.store = store
        self.policy = policy
        self.sesv2 = sesv2
        self.check_mode = check_mode
        self.now = now
        self._account_reasons = account_reasons
        self._set_reasons = {}
        self.api_calls = {}
        self.counts = dict((c, 0) for c in CLASSES)
        self.sub_types = {}
        self.kinds = {}
        self.new_events = 0
        self.duplicate_events = 0
        self.suppressed = {}
        self.escalated = []
        self.retry = {}
        self.review = []
        self.delays = []
        self.remove = set()
        self.sns_control = []
        self.writes = 0
        self.suppression_writes = 0

    # ------------------------------------------------------------------ AWS
    def _call(self, client, operation, **params):
        self.api_calls[operation] = self.api_calls.get(operation, 0) + 1
        return call(client, operation, **params)

    def account_reasons(self):
        """SES's account-level suppression reasons, read once per run (lazily: only when something is to be
        suppressed)."""
        if self._account_reasons is None:
            if self.sesv2 is None:
                self._account_reasons = []
            else:
                acct = self._call(self.sesv2, "GetAccount")
                self._account_reasons = list((acct.get("SuppressionAttributes") or {}).get("SuppressedReasons") or [])
        return self._account_reasons

    def suppression_reasons(self, note):
        """The reasons SES suppressed for when it sent this message: the configuration set's own suppression
        options when the event names a set that overrides the account (GetConfigurationSet, once per set and
        run), else the account's."""
        name = note.get("configuration_set")
        if name and self.sesv2 is not None:
            if name not in self._set_reasons:
                try:
                    got = self._call(self.sesv2, "GetConfigurationSet", ConfigurationSetName=name)
                    opts = got.get("SuppressionOptions")
                    self._set_reasons[name] = (list(opts.get("SuppressedReasons") or [])
                                               if isinstance(opts, dict) and "SuppressedReasons" in opts else None)
                except AwsError as exc:
                    if exc.code != "NotFoundException":
                        raise
                    self._set_reasons[name] = None  # deleted since: nothing better than the account's
            if self._set_reasons[name] is not None:
                return self._set_reasons[name]
        return self.account_reasons()

    # ------------------------------------------------------------------ one notification
    def handle(self, note):
        """Handle every recipient of one *valid* classified notification. Raises AwsError / StoreError when a
        recipient could not be handled (the caller then keeps the message for redelivery)."""
        kind = note.get("kind")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind in ("sns_subscription_confirmation", "sns_unsubscribe_confirmation"):
            self.sns_control.append({"type": note.get("type"), "topic_arn": note.get("topic_arn"),
                                     "subscribe_url": note.get("subscribe_url")})
        occurred = parse_time(note.get("timestamp"), self.now())
        for rec in note.get("recipients") or []:
            self._recipient(note, rec, occurred)

    def _record(self, note, rec, occurred):
        """Insert the event; True when new (check mode: when the store does not have it yet)."""
        event = {"key": rec["key"], "email": rec["email"], "class": rec["class"], "sub_type": rec.get("sub_type"),
                 "occurred": occurred, "message_id": note.get("message_id"), "feedback_id": note.get("feedback_id")}
        if self.check_mode:
            new = not self.store.has_event(rec["key"])
        else:
            new = self.store.add_event(event)
            self.writes += 1 if new else 0
        return new

    def _count(self, rec, new):
        if new:
            self.new_events += 1
            cls = rec["class"]
            self.counts[cls] = self.counts.get(cls, 0) + 1
            sub = "%s/%s" % (cls, rec.get("sub_type") or "-")
            self.sub_types[sub] = self.sub_types.get(sub, 0) + 1
        else:
            self.duplicate_events += 1

    def _recipient(self, note, rec, occurred):
        cls = rec["class"]
        email = rec["email"]
        if cls in ("delivery", "delivery_delay"):
            # not stored (volume): counted per run, outside new_events; a redelivered message counts again here
            self.counts[cls] += 1
            sub = "%s/%s" % (cls, rec.get("sub_type") or "-")
            self.sub_types[sub] = self.sub_types.get(sub, 0) + 1
            if cls == "delivery_delay":
                self.delays.append({"email": email, "delay_type": rec.get("sub_type"), "status": rec.get("status"),
                                    "expiration_time": rec.get("expiration_time")})
            return
        new = self._record(note, rec, occurred)
        self._count(rec, new)
        if cls == "hard" or (cls == "complaint" and rec.get("action") == "suppress"):
            self._ensure_suppressed(note, email, REASON_OF[cls], cls, rec, new, occurred)
        elif cls == "suppressed":
            self.remove.add(email)
            self.suppressed.setdefault(email, {"email": email, "reason": "BOUNCE" if note.get("kind") == "bounce"
                                               else "COMPLAINT", "class": cls, "via": "ses"})
        elif cls == "soft":
            self._soft(note, rec, new, occurred)
        elif cls in ("undetermined", "unknown") and new:
            self.review.append({"email": email, "class": cls, "sub_type": rec.get("sub_type"),
                                "reason": rec.get("reason"), "status": rec.get("status"),
                                "diagnostic_code": rec.get("diagnostic_code")})

    def _ensure_suppressed(self, note, email, reason, cls, rec, new, occurred, escalated=False):
        self.remove.add(email)
        if email in self.suppressed and self.suppressed[email]["via"] != "ses":
            return
        state = self.store.get_address(email)
        if rec.get("simulator") and not self.policy.suppress_simulator:
            via = "none (mailbox simulator)"
        elif not new and state and state.get("suppressed_reason"):
            via = "already"  # handled before a crash or by another processor
        elif not escalated and not rec.get("refined") and reason in self.suppression_reasons(note):
            # SES put it on the account's suppression list itself; it does so only for what *it* called a
            # permanent bounce or a complaint, not for a transient/undetermined one the SMTP status refined
            via = "account"
        else:
            via = "api"
            if not self.check_mode:
                self._call(self.sesv2, "PutSuppressedDestination", EmailAddress=email, Reason=reason)
            self.suppression_writes += 1
        if not self.check_mode and not rec.get("simulator"):
            if self.store.mark_suppressed(email, reason, occurred):
                self.writes += 1
        self.suppressed[email] = {"email": email, "reason": reason, "class": cls, "via": via,
                                  "escalated": escalated}

    def _soft(self, note, rec, new, occurred):
        email = rec["email"]
        if self.check_mode:
            times = self.store.soft_times(email)
            if new:
                times = sorted(times + [occurred])
        else:
            times = self.store.add_soft(email, rec["key"], occurred)
        horizon = self.now() - self.policy.soft_window
        recent = [t for t in times if t >= horizon]
        if len(recent) >= self.policy.soft_threshold:
            if email not in self.escalated:
                self.escalated.append(email)
            self.retry.pop(email, None)
            self._ensure_suppressed(note, email, "BOUNCE", "soft", rec, new, occurred, escalated=True)
            return
        attempt = max(1, len(recent))
        delay = self.policy.retry_delay(email, attempt)
        last = max(recent) if recent else occurred
        next_retry = last + delay
        if not self.check_mode:
            self.store.set_retry(email, next_retry, len(recent))
            self.writes += 1 if new else 0
        self.retry[email] = {"email": email, "soft_bounces": len(recent), "last_bounce": iso(last),
                             "next_retry": iso(next_retry), "delay_seconds": int(round(delay)),
                             "sub_type": rec.get("sub_type"), "reason": rec.get("reason")}

    # ------------------------------------------------------------------ result
    def summary(self):
        counts = dict((k, v) for k, v in self.counts.items())
        return {
            "counts": counts,
            "counts_by_sub_type": dict(sorted(self.sub_types.items())),
            "notification_kinds": dict(sorted(self.kinds.items())),
            "new_events": self.new_events,
            "duplicate_events": self.duplicate_events,
            "suppressed": sorted(self.suppressed.values(), key=lambda x: x["email"]),
            "escalated": sorted(self.escalated),
            "retry_schedule": sorted(self.retry.values(), key=lambda x: (x["next_retry"], x["email"])),
            "remove_from_lists": sorted(self.remove),
            "review": self.review,
            "delivery_delays": self.delays,
            "sns_control_messages": self.sns_control,
        }


# ---------------------------------------------------------------------- poison messages
def quarantine(path, entries):
    """Append entries (dicts with the original body) as JSON lines, fsynced before the caller deletes them."""
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    with open(path, "a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class Drain:
    """Drains one SQS queue through a Processor. ``stats`` says what happened to the messages."""

    def __init__(self, sqs, queue_url, processor, max_messages=1000, max_seconds=60.0, wait_time=5,
                 visibility_timeout=None, dead_letter_queue_url=None, quarantine_path=None, check_mode=False,
                 clock=time.monotonic):
        self.sqs = sqs
        self.queue_url = queue_url
        self.processor = processor
        self.max_messages = max_messages
        self.max_seconds = float(max_seconds)
        self.wait_time = int(wait_time)
        self.visibility_timeout = visibility_timeout
        self.dlq = dead_letter_queue_url
        self.quarantine_path = quarantine_path
        self.check_mode = check_mode
        self.clock = clock
        self.stats = {"received": 0, "handled": 0, "deleted": 0, "dead_lettered": 0, "quarantined": 0,
                      "left_in_queue": 0, "failed": 0, "receives": 0}
        self.errors = []
        self.poison = []

    def _call(self, operation, **params):
        return self.processor._call(self.sqs, operation, **params)

    def run(self):
        start = self.clock()
        seen = set()
        while self.stats["received"] < self.max_messages:
            remaining = self.max_seconds - (self.clock() - start)
            if remaining <= 0:
                break
            params = {"QueueUrl": self.queue_url, "AttributeNames": ["ApproximateReceiveCount"],
                      "MaxNumberOfMessages": max(1, min(10, self.max_messages - self.stats["received"])),
                      "WaitTimeSeconds": max(0, min(20, self.wait_time, int(remaining)))}
            if self.check_mode:
                params["VisibilityTimeout"] = 0  # leave every message available to the real run
            elif self.visibility_timeout is not None:
                params["VisibilityTimeout"] = self.visibility_timeout
            messages = self._call("ReceiveMessage", **params).get("Messages") or []
            self.stats["receives"] += 1
            fresh = [m for m in messages if m.get("MessageId") not in seen]
            if not fresh:
                break  # empty queue (or, in check mode, only messages already looked at)
            seen.update(m.get("MessageId") for m in fresh)
            self._batch(fresh)
        return self.stats

    def _batch(self, messages):
        done, poison = [], []
        for msg in messages:
            self.stats["received"] += 1
            note = classify(msg.get("Body"))
            if not note["valid"]:
                poison.append((msg, note.get("error")))
                continue
            try:
                self.processor.handle(note)
            except DeliverabilityError as exc:
                self.stats["failed"] += 1
                self.errors.append({"message_id": msg.get("MessageId"), "error": exc.msg})
                continue
            except Exception as exc:  # noqa: BLE001 - a store failure (sqlite3) keeps the message, as AWS errors do
                self.stats["failed"] += 1
                self.errors.append({"message_id": msg.get("MessageId"), "error": "%s: %s" % (type(exc).__name__, exc)})
                continue
            self.stats["handled"] += 1
            if note.get("warning"):
                # some recipients were unreadable: the others are handled, the whole body is kept as poison
                poison.append((msg, note["warning"]))
            else:
                done.append(msg)
        done.extend(self._set_aside(poison))
        self._delete(done)

    def _set_aside(self, poison):
        """Move poison messages to the DLQ or the quarantine file; return those that may now be deleted."""
        if not poison:
            return []
        for msg, error in poison:
            self.poison.append({"message_id": msg.get("MessageId"), "error": error})
        if self.check_mode:
            return []
        if self.dlq:
            entries = [{"Id": str(i), "MessageBody": msg.get("Body") or "(empty)",
                        "MessageAttributes": {"deliverability_error": {"DataType": "String",
                                                                       "StringValue": (error or "unparsable")[:250]},
                                              "source_message_id": {"DataType": "String",
                                                                    "StringValue": msg.get("MessageId") or "-"}}}
                       for i, (msg, error) in enumerate(poison)]
            out = self._call("SendMessageBatch", QueueUrl=self.dlq, Entries=entries)
            sent = set(e["Id"] for e in out.get("Successful") or [])
            for entry in out.get("Failed") or []:
                self.errors.append({"message_id": poison[int(entry["Id"])][0].get("MessageId"),
                                    "error": "SendMessageBatch to the dead-letter queue: %s" % entry.get("Message")})
            self.stats["dead_lettered"] += len(sent)
            self.stats["left_in_queue"] += len(poison) - len(sent)
            return [msg for i, (msg, _e) in enumerate(poison) if str(i) in sent]
        if self.quarantine_path:
            quarantine(self.quarantine_path, [{"source": self.queue_url, "message_id": msg.get("MessageId"),
                                               "error": error, "body": msg.get("Body"),
                                               "quarantined_at": iso(time.time())} for msg, error in poison])
            self.stats["quarantined"] += len(poison)
            return [msg for msg, _e in poison]
        self.stats["left_in_queue"] += len(poison)
        return []

    def _delete(self, messages):
        if not messages or self.check_mode:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        out = self._call("DeleteMessageBatch", QueueUrl=self.queue_url, Entries=entries)
        self.stats["deleted"] += len(out.get("Successful") or [])
        for entry in out.get("Failed") or []:
            # the message comes back after its visibility timeout; handling it again is harmless
            self.errors.append({"message_id": messages[int(entry["Id"])].get("MessageId"),
                                "error": "DeleteMessageBatch: %s" % entry.get("Message")})


# ---------------------------------------------------------------------- files
def read_notification_file(path):
    """(items, error): a file holds one notification, a JSON array of them, or one per line (JSON lines)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        return [], "cannot read %s: %s" % (path, exc)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [data], None
    try:
        doc = json.loads(text)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        return (lines if len(lines) > 1 else [text]), None
    if isinstance(doc, list):
        return doc, None
    return [doc], None


def process_files(paths, processor, quarantine_path=None, check_mode=False):
    stats = {"files": 0, "notifications": 0, "handled": 0, "quarantined": 0, "failed": 0}
    errors, poison = [], []
    for path in paths:
        stats["files"] += 1
        items, error = read_notification_file(path)
        if error:
            errors.append({"file": path, "error": error})
            continue
        bad = []
        for index, item in enumerate(items):
            stats["notifications"] += 1
            note = classify(item)
            if not note["valid"]:
                bad.append((index, item, note["error"]))
                continue
            try:
                processor.handle(note)
            except DeliverabilityError as exc:
                stats["failed"] += 1
                errors.append({"file": path, "index": index, "error": exc.msg})
                continue
            stats["handled"] += 1
            if note.get("warning"):
                bad.append((index, item, note["warning"]))
        for index, item, err in bad:
            poison.append({"file": path, "index": index, "error": err})
        if bad and quarantine_path and not check_mode:
            quarantine(quarantine_path, [{"source": path, "index": index, "error": err,
                                          "body": item if isinstance(item, (str, dict, list)) else
                                          item.decode("utf-8", "replace"), "quarantined_at": iso(time.time())}
                                         for index, item, err in bad])
            stats["quarantined"] += len(bad)
    return stats, errors, poison


# ---------------------------------------------------------------------- report files
CSV_FIELDS = ("email", "action", "class", "sub_type", "reason", "via", "soft_bounces", "next_retry")


def report_rows(summary):
    rows = []
    for item in summary["suppressed"]:
        rows.append({"email": item["email"], "action": "remove", "class": item["class"], "reason": item["reason"],
                     "via": item["via"]})
    for item in summary["retry_schedule"]:
        rows.append({"email": item["email"], "action": "retry", "class": "soft", "sub_type": item.get("sub_type"),
                     "reason": item.get("reason"), "soft_bounces": item["soft_bounces"],
                     "next_retry": item["next_retry"]})
    for item in summary["review"]:
        rows.append({"email": item["email"], "action": "review", "class": item["class"],
                     "sub_type": item.get("sub_type"), "reason": item.get("reason")})
    return rows


def render_report(summary, fmt):
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in report_rows(summary):
            writer.writerow(row)
        return out.getvalue()
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


def write_report(path, summary, fmt):
    """Write the report atomically; True when the file content changed."""
    content = render_report(summary, fmt)
    try:
        with open(path, "r", encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    except (IOError, OSError):
        pass
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(tmp, path)
    return True


__all__ = ["AwsError", "Drain", "Policy", "Processor", "process_files", "read_notification_file", "write_report"]
