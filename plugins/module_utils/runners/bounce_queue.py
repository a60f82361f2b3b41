# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Draining the feedback queue safely (SQS receive, dead-letter queue, delete only after handling), poison messages
to the quarantine file, and notification files read from disk; each message's recipients go to the Processor."""

from __future__ import annotations

import json
import time

from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import classify
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import iso


# ---------------------------------------------------------------------- poison messages
def quarantine(path, entries, option="quarantine_path"):
    """Append entries (dicts with the original body) as JSON lines, fsynced before the caller deletes them. The
    bodies are untrusted mail data: a new file is readable by its owner only, and a symlink is not followed."""
    files.append_lines(path, [json.dumps(entry, sort_keys=True) + "\n" for entry in entries], option)


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
        self.queue = None

    def _call(self, operation, **params):
        return self.processor._call(self.sqs, operation, **params)

    def depth(self, url):
        """Messages in a queue, read from its attributes (GetQueueAttributes receives nothing)."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        attrs = self._call("GetQueueAttributes", QueueUrl=url, AttributeNames=names).get("Attributes") or {}
        return {"visible": int(attrs.get(names[0], 0)), "in_flight": int(attrs.get(names[1], 0)),
                "delayed": int(attrs.get(names[2], 0))}

    def run(self):
        if self.check_mode:
            # every ReceiveMessage counts toward the redrive policy's maxReceiveCount, even with a visibility
            # timeout of 0: receiving "just to look" moves real notifications toward the dead-letter queue.
            # Check mode therefore reads the depth and says what a run would receive.
            self.queue = self.depth(self.queue_url)
            if self.dlq:
                self.queue["dead_letter_queue"] = self.depth(self.dlq)["visible"]
            self.queue["would_receive"] = min(self.max_messages, self.queue["visible"])
            return self.stats
        start = self.clock()
        seen = set()
        while self.stats["received"] < self.max_messages:
            remaining = self.max_seconds - (self.clock() - start)
            if remaining <= 0:
                break
            params = {"QueueUrl": self.queue_url, "AttributeNames": ["ApproximateReceiveCount"],
                      "MaxNumberOfMessages": max(1, min(10, self.max_messages - self.stats["received"])),
                      "WaitTimeSeconds": max(0, min(20, self.wait_time, int(remaining)))}
            if self.visibility_timeout is not None:
                params["VisibilityTimeout"] = self.visibility_timeout
            messages = self._call("ReceiveMessage", **params).get("Messages") or []
            self.stats["receives"] += 1
            fresh = [m for m in messages if m.get("MessageId") not in seen]
            if not fresh:
                break  # empty queue, or only messages this run kept (a short visibility timeout ran out)
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
            except Exception as exc:  # noqa: BLE001 - a store failure (sqlite3), reported like an AWS error
                stats["failed"] += 1
                errors.append({"file": path, "index": index, "error": "%s: %s" % (type(exc).__name__, exc)})
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
