#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bounce_processor
short_description: Process SES bounce and complaint notifications from SQS or files
version_added: 0.1.0
description:
  - Drains an SQS queue subscribed to the SNS topic(s) SES publishes to (identity notifications or configuration-set
    events, SNS-wrapped or raw message delivery), or reads notification files, and classifies every recipient with
    the collection's classifier (see the P(deliverability.ses.classify_notification#filter) filter).
  - Hard bounces and complaints make sure the address is on the account's suppression list. The
    C(PutSuppressedDestination) call is skipped when the account-level suppression (read once per run with
    C(GetAccount)) already covers that reason, because SES then added the address itself - unless the bounce is
    hard only because the SMTP status says so (SES called it transient or undetermined), or the event's
    configuration set overrides the account's suppression reasons.
  - Soft bounces are recorded in the bounce history store and get a next retry time with exponential back-off and
    jitter (O(retry_base_seconds) x O(retry_factor)^(n-1), capped at O(retry_cap_seconds), shortened by up to
    O(retry_jitter)); after O(soft_bounce_threshold) soft bounces within O(soft_bounce_window_days) the address is
    escalated to suppression (reason BOUNCE).
  - An SQS message is deleted (C(DeleteMessageBatch)) only after every recipient in it was handled. A message that
    cannot be parsed is sent to O(dead_letter_queue_url) or appended to O(quarantine_path) first, and stays in the
    queue when neither is set; it is never lost. Processing is idempotent (the store is keyed on the feedback ID or
    message ID plus the recipient), so a message redelivered after a crash does no harm and is not counted twice.
  - In check mode nothing is deleted, suppressed or stored; messages are received with a visibility timeout of 0 so
    they stay available, and the result says what would be done.
options:
  queue_url:
    description:
      - The SQS queue to drain. Mutually exclusive with O(paths).
    type: str
  paths:
    description:
      - Notification files to read instead of a queue. A file holds one notification, a JSON array of them, or one
        per line. Files are never modified.
    type: list
    elements: path
  max_messages:
    description: Stop after receiving this many messages.
    type: int
    default: 1000
  max_seconds:
    description: Stop receiving after this many seconds (messages received by then are still handled).
    type: int
    default: 60
  wait_time_seconds:
    description: Long-polling wait of each C(ReceiveMessage) (0 to 20). The run ends at the first empty receive.
    type: int
    default: 5
  visibility_timeout:
    description:
      - Visibility timeout of received messages, in seconds; by default the queue's own. Ignored in check mode,
        which uses 0.
    type: int
  dead_letter_queue_url:
    description: Queue that receives messages that cannot be parsed (with the error as a message attribute).
    type: str
  quarantine_path:
    description:
      - File to which unparsable messages are appended (JSON lines with the original body) when O(dead_letter_queue_url)
        is not set, and where unparsable notifications from O(paths) are copied.
    type: path
  store:
    description: Backend of the bounce history store.
    type: str
    choices: [sqlite, dynamodb]
    default: sqlite
  store_path:
    description: SQLite file of the bounce history (created when missing; never in check mode).
    type: path
    default: ~/.ansible/deliverability_ses/bounce_history.sqlite
  store_table:
    description: DynamoDB table of the bounce history (hash key C(pk), string). Required with O(store=dynamodb).
    type: str
  store_create_table:
    description: Create the DynamoDB table (on-demand billing) when it does not exist.
    type: bool
    default: false
  soft_bounce_threshold:
    description: Soft bounces within O(soft_bounce_window_days) after which the address is suppressed.
    type: int
    default: 3
  soft_bounce_window_days:
    description: The window in which soft bounces are counted.
    type: float
    default: 7
  retry_base_seconds:
    description: Delay before retrying after the first soft bounce.
    type: int
    default: 3600
  retry_factor:
    description: Multiplier of the delay for each further soft bounce.
    type: float
    default: 2.0
  retry_cap_seconds:
    description: Longest delay between retries.
    type: int
    default: 172800
  retry_jitter:
    description:
      - Fraction (0 to 1) by which a delay is shortened at most. The jitter is derived from the address and the
        attempt, so every processor and every rerun computes the same time.
    type: float
    default: 0.2
  suppress_simulator:
    description:
      - Also put mailbox simulator addresses (C(@simulator.amazonses.com)) on the suppression list. SES itself never
        does.
    type: bool
    default: false
  summary_path:
    description: Write the summary for the list owner to this file (not in check mode).
    type: path
  summary_format:
    description:
      - V(json) writes the whole summary; V(csv) one row per address (email, action, class, sub_type, reason, via,
        soft_bounces, next_retry). By default taken from the extension of O(summary_path), else V(json).
    type: str
    choices: [json, csv]
extends_documentation_fragment:
  - deliverability.ses.aws
notes:
  - When an event names its configuration set (C(ses:configuration-set) tag, present in configuration-set events),
    that set's suppression options are read once per run (C(GetConfigurationSet)) and decide whether SES suppressed
    the address itself. Identity notifications do not name the set; for them the account's reasons decide.
  - Deliveries and delivery delays are counted but not stored.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Drain the bounce queue, parking poison messages in a dead-letter queue
  deliverability.ses.bounce_processor:
    queue_url: https://sqs.eu-west-1.amazonaws.com/123456789012/ses-feedback
    dead_letter_queue_url: https://sqs.eu-west-1.amazonaws.com/123456789012/ses-feedback-poison
    store_path: /var/lib/ses/bounces.sqlite
    summary_path: /var/lib/ses/bounces-{{ ansible_date_time.date }}.csv
  register: bounces

- name: Several processors on several hosts sharing one queue and one DynamoDB table
  deliverability.ses.bounce_processor:
    queue_url: "{{ feedback_queue }}"
    store: dynamodb
    store_table: ses-bounce-history
    soft_bounce_threshold: 5
    soft_bounce_window_days: 14
    max_seconds: 240

- name: Replay saved notifications
  deliverability.ses.bounce_processor:
    paths: "{{ lookup('ansible.builtin.fileglob', '/srv/ses/archive/*.json', wantlist=True) }}"
    quarantine_path: /srv/ses/quarantine.jsonl
"""

RETURN = r"""
counts:
  description: New recipient events by class (hard, suppressed, soft, undetermined, complaint, delivery,
    delivery_delay, unknown). Events already in the store are counted in RV(duplicate_events) instead.
  returned: always
  type: dict
  sample: {hard: 2, soft: 1, complaint: 1, suppressed: 0, undetermined: 0, delivery: 3, delivery_delay: 0, unknown: 0}
counts_by_sub_type:
  description: New events by C(class/sub_type), for example C(hard/General) or C(complaint/abuse).
  returned: always
  type: dict
notification_kinds:
  description: Notifications handled by kind (bounce, complaint, delivery, send, open, ...).
  returned: always
  type: dict
new_events:
  description: Recipient events seen for the first time.
  returned: always
  type: int
duplicate_events:
  description: Recipient events already in the store (redelivered messages); not counted again.
  returned: always
  type: int
suppressed:
  description:
    - Addresses that are (or in check mode would be) on the suppression list, with C(reason) (BOUNCE or COMPLAINT),
      C(class), C(escalated) and C(via) - V(api) (this run called C(PutSuppressedDestination)), V(account) (SES's
      account-level suppression covers the reason), V(already) (handled before), V(ses) (SES reported it on the
      list) or V(none (mailbox simulator)).
  returned: always
  type: list
  elements: dict
escalated:
  description: Addresses suppressed because of repeated soft bounces.
  returned: always
  type: list
  elements: str
retry_schedule:
  description: Per soft-bouncing address, C(soft_bounces) in the window, C(last_bounce), C(next_retry) (UTC) and
    C(delay_seconds).
  returned: always
  type: list
  elements: dict
remove_from_lists:
  description: Addresses the list owner should remove (hard bounces, complaints other than not-spam, suppressed,
    escalated).
  returned: always
  type: list
  elements: str
review:
  description: Recipients that could not be classified with confidence (undetermined, unknown bounce types).
  returned: always
  type: list
  elements: dict
delivery_delays:
  description: Delivery delays reported by SES (it is still retrying).
  returned: always
  type: list
  elements: dict
sns_control_messages:
  description: SNS subscription/unsubscribe confirmations found in the queue, with their URL.
  returned: always
  type: list
  elements: dict
messages:
  description: What happened to the messages - C(received), C(handled), C(deleted), C(dead_lettered),
    C(quarantined), C(left_in_queue), C(failed) (kept for redelivery) and C(receives) (for a queue), or C(files)
    and C(notifications) (for files).
  returned: always
  type: dict
poison:
  description: Messages that could not be parsed, with the reason.
  returned: always
  type: list
  elements: dict
errors:
  description: Messages that could not be handled and stay in the queue for redelivery.
  returned: always
  type: list
  elements: dict
api_calls:
  description: AWS calls made, by operation.
  returned: always
  type: dict
summary_written:
  description: Whether O(summary_path) was (re)written.
  returned: always
  type: bool
"""


from ansible_collections.deliverability.ses.plugins.module_utils.aws import (
    DeliverabilityError, InputError, SesModule, run_module)
from ansible_collections.deliverability.ses.plugins.module_utils import bounces


def open_store(module):
    p = module.params
    if p["store"] == "dynamodb":
        from ansible_collections.deliverability.ses.plugins.module_utils.store.dynamodb import DynamoDbStore
        if not p["store_table"]:
            raise InputError("store_table", "required with store=dynamodb")
        store = DynamoDbStore(module.client("dynamodb"), p["store_table"], read_only=module.check_mode)
        if not store.ensure_table(create=p["store_create_table"] and not module.check_mode):
            if module.check_mode and p["store_create_table"]:
                from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore
                return SqliteStore.empty(), True
            raise InputError("store_table", "DynamoDB table %s does not exist (set store_create_table=true)"
                             % p["store_table"])
        return store, False
    from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite import SqliteStore
    import sqlite3
    path = p["store_path"]
    try:
        return SqliteStore(path, read_only=module.check_mode), False
    except (sqlite3.Error, OSError) as exc:
        raise InputError("store_path", "cannot open %s: %s" % (path, exc))


def main():
    module = SesModule(
        argument_spec=dict(
            queue_url=dict(type="str"),
            paths=dict(type="list", elements="path"),
            max_messages=dict(type="int", default=1000),
            max_seconds=dict(type="int", default=60),
            wait_time_seconds=dict(type="int", default=5),
            visibility_timeout=dict(type="int"),
            dead_letter_queue_url=dict(type="str"),
            quarantine_path=dict(type="path"),
            store=dict(type="str", choices=["sqlite", "dynamodb"], default="sqlite"),
            store_path=dict(type="path", default="~/.ansible/deliverability_ses/bounce_history.sqlite"),
            store_table=dict(type="str"),
            store_create_table=dict(type="bool", default=False),
            soft_bounce_threshold=dict(type="int", default=3),
            soft_bounce_window_days=dict(type="float", default=7),
            retry_base_seconds=dict(type="int", default=3600),
            retry_factor=dict(type="float", default=2.0),
            retry_cap_seconds=dict(type="int", default=172800),
            retry_jitter=dict(type="float", default=0.2),
            suppress_simulator=dict(type="bool", default=False),
            summary_path=dict(type="path"),
            summary_format=dict(type="str", choices=["json", "csv"]),
        ),
        required_one_of=[("queue_url", "paths")],
        mutually_exclusive=[("queue_url", "paths")],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        if p["max_messages"] < 1:
            raise InputError("max_messages", "must be at least 1")
        if not 0 <= p["wait_time_seconds"] <= 20:
            raise InputError("wait_time_seconds", "must be between 0 and 20")
        if p["soft_bounce_threshold"] < 1:
            raise InputError("soft_bounce_threshold", "must be at least 1")
        if not 0 <= p["retry_jitter"] < 1:
            raise InputError("retry_jitter", "must be at least 0 and less than 1")
        if p["retry_factor"] < 1 or p["retry_base_seconds"] < 0 or p["retry_cap_seconds"] < p["retry_base_seconds"]:
            raise InputError("retry_factor", "needs retry_factor >= 1 and 0 <= retry_base_seconds <= retry_cap_seconds")
        policy = bounces.Policy(soft_threshold=p["soft_bounce_threshold"],
                                soft_window=p["soft_bounce_window_days"] * 86400.0,
                                retry_base=p["retry_base_seconds"], retry_factor=p["retry_factor"],
                                retry_cap=p["retry_cap_seconds"], retry_jitter=p["retry_jitter"],
                                suppress_simulator=p["suppress_simulator"])
        store, creating = open_store(module)
        processor = bounces.Processor(store, policy, sesv2=module.client("sesv2"), check_mode=module.check_mode)
        poison, errors = [], []
        try:
            if p["queue_url"]:
                drain = bounces.Drain(module.client("sqs"), p["queue_url"], processor,
                                      max_messages=p["max_messages"], max_seconds=p["max_seconds"],
                                      wait_time=p["wait_time_seconds"], visibility_timeout=p["visibility_timeout"],
                                      dead_letter_queue_url=p["dead_letter_queue_url"],
                                      quarantine_path=p["quarantine_path"], check_mode=module.check_mode)
                try:
                    stats = drain.run()
                finally:
                    partial.update(processor.summary(), messages=drain.stats, errors=drain.errors,
                                   poison=drain.poison, api_calls=processor.api_calls,
                                   changed=bool(drain.stats["deleted"] or processor.writes
                                                or processor.suppression_writes))
                poison, errors = drain.poison, drain.errors
                moved = stats["deleted"] + stats["dead_lettered"] + stats["quarantined"]
                if module.check_mode:
                    moved = stats["handled"] + len(poison) if (p["dead_letter_queue_url"] or p["quarantine_path"]) \
                        else stats["handled"]
            else:
                stats, errors, poison = bounces.process_files(p["paths"], processor,
                                                              quarantine_path=p["quarantine_path"],
                                                              check_mode=module.check_mode)
                moved = stats["quarantined"]
        finally:
            store.close()
        summary = processor.summary()
        changed = bool(moved or processor.writes or processor.suppression_writes or creating)
        if module.check_mode:
            changed = bool(moved or processor.new_events or processor.suppression_writes or creating)
        written = False
        if p["summary_path"] and not module.check_mode:
            fmt = p["summary_format"] or ("csv" if p["summary_path"].lower().endswith(".csv") else "json")
            written = bounces.write_report(p["summary_path"], summary, fmt)
        result = dict(summary, changed=changed or written, messages=stats, poison=poison, errors=errors,
                      api_calls=processor.api_calls, summary_written=written)
        if errors:
            partial.update(result)
            raise DeliverabilityError("%d message(s) could not be handled and stay in the queue for redelivery: %s"
                                      % (len(errors), errors[0]["error"]))
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
