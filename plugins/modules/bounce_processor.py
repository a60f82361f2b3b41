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
  - "One event, one identity: C(<kind>:<SES message id>:<recipient>). The same bounce or complaint arriving as an
    identity notification and as a configuration-set event is one event (RV(cross_channel_copies)); the same copy
    received again is a redelivery (RV(redelivered)); neither is counted twice."
  - "Hard bounces and complaints: the address must be on the account's suppression list with that reason, whichever
    copy of the event arrives first. The module reads the list - one C(ListSuppressedDestinations) listing of the
    entries since a day before the run's first such event answers for every event inside that window, and an
    event outside it (or a listing that is refused or too long to read whole) is asked about on its own
    (C(GetSuppressedDestination)); when SES listed the address itself (the account's or the configuration set's
    suppression covered the reason) nothing is written (C(via: account)), otherwise it calls
    C(PutSuppressedDestination) (C(via: api)); the latest event's reason wins. An identity notification does not
    name the configuration set, so nothing is assumed from the account's settings. RV(suppression_calls) says
    what that cost per event."
  - Recipients are handled independently. When SES refuses C(PutSuppressedDestination) for good (bad request,
    validation error) the refusal is stored, reported (RV(refused), the report's I(Refused) section) and the module
    fails at the end, after deleting what was handled; a retryable error keeps the message for redelivery, which
    is harmless for its other recipients.
  - Soft bounces are recorded in the bounce history store and get a next retry time with exponential back-off and
    jitter (O(retry_base_seconds) x O(retry_factor)^(n-1), capped at O(retry_cap_seconds), shortened by up to
    O(retry_jitter)); after O(soft_bounce_threshold) soft bounces within O(soft_bounce_window_days) the address is
    escalated to suppression (reason BOUNCE). A delivery resets the count - soft bounces before the address's
    latest delivery no longer count - whatever order the delivery and the bounces are handled in.
  - Deliveries and delivery delays are stored and de-duplicated like bounces.
  - An SQS message is deleted (C(DeleteMessageBatch)) only after every recipient in it was handled. A message that
    cannot be parsed is sent to O(dead_letter_queue_url) or appended to O(quarantine_path) first, and stays in the
    queue when neither is set; it is never lost. SNS subscription and unsubscribe confirmations are stored and
    listed with their C(SubscribeURL) and topic (RV(sns_control_messages), the report) before they are deleted.
  - Reports (O(summary_path), O(report_dir)) are built from the store for a window of whole UTC days
    (O(report_days)), not from this run's messages, so a run that was killed is reported by the next one.
  - Every path (O(summary_path), O(report_dir), O(quarantine_path), O(store_path)) is checked before the first
    side effect; when a write fails after messages were handled, the result still says what was done.
  - "Check mode receives nothing: every C(ReceiveMessage) counts toward the queue's redrive C(maxReceiveCount),
    even with a visibility timeout of 0, so receiving to look would move real notifications toward the
    dead-letter queue. It reads the queue depth (C(GetQueueAttributes), RV(queue)) and the store, and writes
    nothing anywhere. With O(paths), check mode classifies the files and says what would be done."
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
      - Visibility timeout of received messages, in seconds; by default the queue's own. After a crash the
        messages of the batch in flight come back after this time.
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
    description:
      - Write the report (built from the store for the O(report_days) window) to this file (not in check mode).
        A new file is made readable by its owner only.
    type: path
  summary_format:
    description:
      - V(json) writes the whole report; V(csv) one row per address (email, action, class, reason, via,
        soft_bounces, next_retry, detail); V(md) the Markdown list-hygiene report. By default taken from the
        extension of O(summary_path) (C(.csv), C(.md)), else V(json).
    type: str
    choices: [json, csv, md]
  report_dir:
    description:
      - Write C(list-hygiene.md) and C(list-hygiene.csv) (built from the store for the O(report_days) window) into
        this directory, made if missing (not in check mode). A file is rewritten only when its content changes.
    type: path
  report_days:
    description:
      - The reports cover the events the store recorded since 00:00 UTC this many days ago (1 is today only). The
        default, 2, also covers yesterday, so a run killed just before midnight is reported by the next one.
    type: int
    default: 2
  regions:
    description:
      - Every region whose account-level suppression list gets each hard bounce, complaint and escalated soft
        bounce. SES keeps one list per region, so without this an address that bounced in one region is still
        mailed from the others.
      - The module's own O(region) (where the queue is and the mail was sent) is always one of them. Another
        region is read with C(GetSuppressedDestination) and written only when it lacks the address or lists
        it with another reason. An error in one region keeps the message for redelivery, and the next copy
        tries every region again.
      - Default is only O(region), as before. Each name once, known to SES; checked before any request.
      - With tenants (O(tenants)), the tenant of the event's name in each region decides that region's list - the
        tenant's own when its scope there is C(TENANT), the region's account list when that region has no such
        tenant or its scope is C(ACCOUNT) (RV(regions.tenant_lists)).
    type: list
    elements: str
  tenants:
    description:
      - Which SES tenant each event belongs to, and so which suppression list gets its hard bounces and complaints.
      - "V(auto): the event's own C(ses:tenant-name) tag when it has one (SES tags the bounce and complaint events
        of mail sent for a tenant; see the SES Developer Guide, I(Using tenant-level suppression lists)). Otherwise,
        when the account has tenants (C(ListTenants), one call per run), the tenant associations of the sending
        identity (the event's C(mail.sourceArn)) and of the configuration set (its C(ses:configuration-set) tag),
        read with C(ListResourceTenants) once per resource per run, never per event."
      - "Precedence: the tag; else the one tenant holding both the identity and the set; else the set's only tenant;
        else the identity's only tenant. The associations say which tenants the resources belong to, not which
        tenant a message was sent for: they can disagree with each other (the identity in one tenant, the set in
        another - the set's tenant is chosen, both are reported in RV(tenants.disagreements) and counted in
        RV(tenants.disagreement_events)), and a message sent without C(TenantName) is still attributed to the
        tenant of its resources. Identity notifications carry no tags, so for them the associations always decide.
        Several candidates and nothing to choose between them means no tenant (RV(tenants.ambiguous))."
      - V(event) uses the tag only (no association reads); V(ignore) ignores tenants (every event in the account's
        list, as before tenants).
      - "A tenant whose suppression scope is C(TENANT) (C(GetTenant) once per tenant per run) gets the address on
        its own list (C(PutSuppressedDestination) with C(TenantName)), read the same bounded way as the account's
        list (one C(ListSuppressedDestinations) of the tenant's recent entries); scope C(ACCOUNT), a tenant SES
        no longer has, or no tenant mean the account's list. A configuration set's own C(SuppressionScope)
        override is not read."
      - Every per-address entry of an event that has a tenant (RV(suppressed), RV(retry_schedule), RV(review),
        RV(delivery_delays)) names it (C(tenant)); the store records it with the event, so the list-hygiene report
        counts events, hard bounces, complaints and soft bounces per tenant next to the account's, and records an
        address put on a tenant's list as via C(tenant:<name>) (such an entry never stands for the account's list).
      - A tenant read that fails (throttled, denied, timed out) is could-not-look, never "no tenant" - the
        event's hard bounces, complaints and soft bounces are not recorded and their message stays in the queue for
        redelivery (RV(errors), RV(tenants.could_not_look)).
    type: str
    choices: [auto, event, ignore]
    default: auto
extends_documentation_fragment:
  - deliverability.ses.aws
notes:
  - The SQLite store (O(store_path)) must outlive the container or host that runs the module, or every run starts
    with an empty history (redelivered messages then count as new, soft bounces never escalate). Use a persistent
    volume, or O(store=dynamodb) for several processors.
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
    delivery_delay, unknown), mailbox simulator addresses left out (see RV(simulator)). Events already in the
    store are counted in RV(redelivered) or RV(cross_channel_copies) instead.
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
  description: Same as RV(redelivered) (kept for playbooks written for earlier versions).
  returned: always
  type: int
redelivered:
  description: Copies of events received again (SQS or SNS redelivered the same notification); not counted again.
  returned: always
  type: int
cross_channel_copies:
  description: Events already known from the other channel (the identity notification of a configuration-set
    event, or the reverse); one event, not counted again and not a redelivery.
  returned: always
  type: int
refused:
  description: Addresses SES refused to suppress for good (C(email), C(reason), C(class), C(error),
    C(error_code)); the module fails when there are any.
  returned: always
  type: list
  elements: dict
simulator:
  description: Mailbox simulator addresses seen for the first time (never put on the list unless
    O(suppress_simulator)).
  returned: always
  type: list
  elements: dict
queue:
  description: In check mode with O(queue_url), the queue's depth read with C(GetQueueAttributes) - C(visible),
    C(in_flight), C(delayed), C(dead_letter_queue) (with O(dead_letter_queue_url)) and C(would_receive).
  returned: check mode with queue_url
  type: dict
report:
  description: The report built from the store (what O(summary_path) and O(report_dir) hold) - C(since),
    C(events), C(cross_channel), C(redelivered), C(counts), C(suppressed), C(refused), C(simulator),
    C(retry_schedule), C(review), C(delivery_delays), C(sns_control_messages), C(remove_from_lists).
  returned: always
  type: dict
report_files:
  description: The report files written (or, in check mode, that would be written) and whether each changed.
  returned: always
  type: dict
suppressed:
  description:
    - Addresses that are (or in check mode would be) on the suppression list, with C(reason) (BOUNCE or COMPLAINT),
      C(class), C(escalated), for an event of a tenant its C(tenant) and C(list) (V(tenant) or V(account)), and
      C(via) - V(api) (this run called C(PutSuppressedDestination)), V(account) (SES had
      listed it with that reason, read from the list), V(already) (handled before) or V(ses) (the
      notification said it was on the list). Mailbox simulator addresses are never here.
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
  description: SNS subscription/unsubscribe confirmations found in the queue (C(type), C(topic_arn),
    C(subscribe_url)); stored and listed in every report of the window before the message is deleted.
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
regions:
  description:
    - C(primary) (the module's region), C(others) (from O(regions)) and, per address suppressed this run,
      C(suppressed) with each other region's outcome. V(account) means the region already listed it; V(api)
      means it was written (in check mode, would be).
  returned: always
  type: dict
  sample: {primary: eu-west-1, others: [us-east-1], suppressed: {jane@example.com: {us-east-1: api}}}
  contains:
    tenant_lists:
      description: Per address, the other regions where the tenant's own list was used (V(tenant:<name>)).
      returned: when a tenant list was used in another region
      type: dict
tenants:
  description: Which tenant each event belonged to and which lists were used (see O(tenants)).
  returned: always
  type: dict
  contains:
    mode:
      description: O(tenants).
      type: str
    sources:
      description: Events by where their tenant came from - V(event) (the tag), V(both), V(configuration_set),
        V(identity) (the associations) and V(none).
      type: dict
    by_tenant:
      description: Per tenant (C((no tenant)) for the rest), the new events by class and C(suppressed_in_tenant_list) /
        C(suppressed_in_account_list).
      type: dict
      sample: {client-a: {hard: 2, suppressed_in_tenant_list: 2}}
    scopes:
      description: Each tenant's suppression scope as read (C(name@region) for the other regions).
      type: dict
      sample: {client-a: TENANT, client-a@eu-west-1: ACCOUNT}
    disagreements:
      description: Identity and configuration set in different tenants - C(identity), C(configuration_set),
        C(identity_tenants), C(configuration_set_tenants) and C(chosen); at most 100 listed.
      type: list
      elements: dict
    disagreement_events:
      description: Events whose identity and configuration set disagreed (all of them counted).
      type: int
    ambiguous:
      description: Resources in several tenants with nothing to choose between them (C(candidates)); such events got
        no tenant.
      type: list
      elements: dict
    could_not_look:
      description: Tenant reads that failed (C(what), C(operation), C(error_code), C(error)); their events' messages
        stay in the queue.
      type: list
      elements: dict
    missing:
      description: Tenants named that SES does not have (C(name@region) for the other regions); the account's list
        was used.
      type: list
      elements: str
    untrusted_tags:
      description: C(ses:tenant-name) tags that are not a name SES gives a tenant (not believed).
      type: int
api_calls:
  description: AWS calls made, by operation.
  returned: always
  type: dict
suppression_calls:
  description:
    - Suppression-list calls made (C(calls) - ListSuppressedDestinations, GetSuppressedDestination and
      PutSuppressedDestination), the hard bounce, complaint and escalation events they served
      (C(suppressible_events); the two channels' copies of one event count once), the notifications handled
      (C(notifications)), and the ratios C(per_suppressible_event) and C(per_notification).
  returned: always
  type: dict
  sample: {"calls": 8, "suppressible_events": 14, "notifications": 49, "per_suppressible_event": 0.571,
           "per_notification": 0.163}
summary_written:
  description: Whether O(summary_path) was (re)written.
  returned: always
  type: bool
"""


import os
import time

from ansible_collections.deliverability.ses.plugins.module_utils.aws import (
    DeliverabilityError, InputError, SesModule, run_module)
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounces
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_paths
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_regions
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_tenants
from ansible_collections.deliverability.ses.plugins.module_utils.formats import bounce_report
from ansible_collections.deliverability.ses.plugins.module_utils.runners import bounce_queue
from ansible_collections.deliverability.ses.plugins.module_utils.policy import bounces as bounce_policy
from ansible_collections.deliverability.ses.plugins.module_utils import state_paths, validate

REPORT_FILES = (("list-hygiene.md", "md"), ("list-hygiene.csv", "csv"))


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
    warning = state_paths.ephemeral_state_warning(path, "store_path", "the bounce history (soft-bounce escalation, "
                                                  "de-duplication of redelivered notifications)")
    if warning:
        module.module.warn(warning)
    try:
        return SqliteStore(path, read_only=module.check_mode), False
    except (sqlite3.Error, OSError) as exc:
        raise InputError("store_path", "cannot open %s: %s" % (path, exc))


def check_inputs(p):
    if p["max_messages"] < 1:
        raise InputError("max_messages", "must be at least 1")
    if not 0 <= p["wait_time_seconds"] <= 20:
        raise InputError("wait_time_seconds", "must be between 0 and 20")
    if p["visibility_timeout"] is not None and not 0 <= p["visibility_timeout"] <= 43200:
        raise InputError("visibility_timeout", "must be between 0 and 43200 seconds")
    if p["soft_bounce_threshold"] < 1:
        raise InputError("soft_bounce_threshold", "must be at least 1")
    if not 0 <= p["retry_jitter"] < 1:
        raise InputError("retry_jitter", "must be at least 0 and less than 1")
    if p["retry_factor"] < 1 or p["retry_base_seconds"] < 0 or p["retry_cap_seconds"] < p["retry_base_seconds"]:
        raise InputError("retry_factor", "needs retry_factor >= 1 and 0 <= retry_base_seconds <= retry_cap_seconds")
    if p["report_days"] < 1:
        raise InputError("report_days", "must be at least 1")
    # numbers: finite and in range (nan, inf, 1e200 and negative windows are refused, naming the option)
    validate.days(p["soft_bounce_window_days"], "soft_bounce_window_days", minimum=0, maximum=3650,
                  min_exclusive=True)
    validate.number(p["retry_factor"], "retry_factor", minimum=1, maximum=100)
    validate.duration(p["retry_cap_seconds"], "retry_cap_seconds", maximum=365 * 86400, integer=True)
    validate.duration(p["max_seconds"], "max_seconds", minimum=1, maximum=86400, integer=True)
    validate.count(p["max_messages"], "max_messages", maximum=10 ** 7)
    validate.count(p["report_days"], "report_days", maximum=3650)
    if p["queue_url"] is not None:
        validate.url(p["queue_url"], "queue_url")
    if p["dead_letter_queue_url"] is not None:
        validate.url(p["dead_letter_queue_url"], "dead_letter_queue_url")
    if p["store_table"] is not None:
        validate.aws_name(p["store_table"], "store_table", "dynamodb_table")
    for option in ("store_path", "quarantine_path", "summary_path", "report_dir"):
        validate.path(p[option], option)
    for path in p["paths"] or []:
        validate.path(path, "paths")


def check_paths(p):
    """Every path this run may write, checked before its first side effect (a message deleted, an address
    suppressed, a store row written); returns the report files as {path: format}."""
    out = {}
    if p["summary_path"]:
        out[bounce_paths.check_file_target(p["summary_path"], "summary_path")] = (bounce_report.format_of(
            p["summary_path"], p["summary_format"]), "summary_path")
    if p["report_dir"]:
        folder = bounce_paths.check_dir_target(p["report_dir"], "report_dir")
        for name, fmt in REPORT_FILES:
            path = os.path.join(folder, name)
            if os.path.exists(path) or os.path.islink(path):
                bounce_paths.check_file_target(path, "report_dir")
            out[path] = (fmt, "report_dir")
    if p["quarantine_path"]:
        bounce_paths.check_file_target(p["quarantine_path"], "quarantine_path")
    if p["store"] == "sqlite":
        bounce_paths.check_file_target(p["store_path"], "store_path")
    return out


ARGUMENT_SPEC = dict(
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
    summary_format=dict(type="str", choices=["json", "csv", "md"]),
    report_dir=dict(type="path"),
    report_days=dict(type="int", default=2),
    regions=dict(type="list", elements="str"),
    tenants=dict(type="str", choices=["auto", "event", "ignore"], default="auto"),
)


def _handle(module, processor, partial):
    """Drain the queue (or read the files) through the processor: (stats, errors, poison, queue, moved)."""
    p = module.params
    if not p["queue_url"]:
        stats, errors, poison = bounce_queue.process_files(p["paths"], processor, quarantine_path=p["quarantine_path"],
                                                           check_mode=module.check_mode)
        return stats, errors, poison, None, stats["quarantined"]
    drain = bounce_queue.Drain(module.client("sqs"), p["queue_url"], processor,
                               max_messages=p["max_messages"], max_seconds=p["max_seconds"],
                               wait_time=p["wait_time_seconds"], visibility_timeout=p["visibility_timeout"],
                               dead_letter_queue_url=p["dead_letter_queue_url"],
                               quarantine_path=p["quarantine_path"], check_mode=module.check_mode)
    try:
        stats = drain.run()
    finally:
        partial.update(processor.summary(), messages=drain.stats, errors=drain.errors, poison=drain.poison,
                       api_calls=processor.api_calls,
                       changed=bool(drain.stats["deleted"] or processor.writes or processor.suppression_writes))
    moved = stats["deleted"] + stats["dead_lettered"] + stats["quarantined"]
    if module.check_mode:
        moved = drain.queue["would_receive"]
    return stats, drain.errors, drain.poison, drain.queue, moved


def _write_reports(module, report_files, report, result, partial):
    """Each report file from the store's report (not in check mode); a failure says the store has everything."""
    for path, (fmt, option) in report_files.items():
        if module.check_mode:
            result["report_files"][path] = {"format": fmt, "written": False}
            continue
        try:
            written = bounces.write_report(path, report, fmt, option)
        except (IOError, OSError, DeliverabilityError) as exc:
            raise DeliverabilityError("could not write the report %s (%s) after handling the messages; the "
                                      "store has everything, the next run's report lists it" % (path, exc))
        result["report_files"][path] = {"format": fmt, "written": written}
        result["changed"] = result["changed"] or written
        partial.update(report_files=result["report_files"], changed=result["changed"])


def main():
    module = SesModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[("queue_url", "paths")],
        mutually_exclusive=[("queue_url", "paths")],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        check_inputs(p)
        primary, other_regions = bounce_regions.region_clients(module, p["regions"])
        report_files = check_paths(p)
        policy = bounce_policy.Policy(soft_threshold=p["soft_bounce_threshold"],
                                      soft_window=p["soft_bounce_window_days"] * 86400.0,
                                      retry_base=p["retry_base_seconds"], retry_factor=p["retry_factor"],
                                      retry_cap=p["retry_cap_seconds"], retry_jitter=p["retry_jitter"],
                                      suppress_simulator=p["suppress_simulator"])
        store, creating = open_store(module)
        processor = bounces.Processor(store, policy, sesv2=module.client("sesv2"), check_mode=module.check_mode,
                                      other_regions=other_regions)
        if p["tenants"] != "ignore":
            processor.tenants = bounce_tenants.TenantResolver(module.client("sesv2"), p["tenants"],
                                                              caller=processor._call, other_regions=other_regions)
        try:
            stats, errors, poison, queue, moved = _handle(module, processor, partial)
            summary = processor.summary()
            changed = bool(moved or processor.writes or processor.suppression_writes or creating)
            if module.check_mode:
                changed = bool(moved or processor.new_events or processor.suppression_writes or creating)
            result = dict(summary, changed=changed, messages=stats, poison=poison, errors=errors,
                          api_calls=processor.api_calls, summary_written=False, report_files={})
            result.update(bounce_regions.result(processor, primary))
            if queue is not None:
                result["queue"] = queue
            partial.clear()
            partial.update(result)
            # the report comes from the store: what an interrupted earlier run handled is in it too
            now = time.time()
            report = bounces.build_report(store, bounce_policy.window_start(now, p["report_days"]), policy, now)
        finally:
            store.close()
        result["report"] = report
        partial.update(report=report)
        _write_reports(module, report_files, report, result, partial)
        if p["summary_path"]:
            full = os.path.abspath(p["summary_path"])  # type path: already expanded
            result["summary_written"] = result["report_files"].get(full, {}).get("written", False)
        partial.update(result)
        if errors:
            raise DeliverabilityError("%d message(s) could not be handled and stay in the queue for redelivery: %s"
                                      % (len(errors), errors[0]["error"]))
        if summary["refused"]:
            first = summary["refused"][0]
            raise DeliverabilityError("SES refused to suppress %d address(es) (%s: %s); they are stored and listed "
                                      "in the report, and their messages were not kept for redelivery"
                                      % (len(summary["refused"]), first["email"], first["error"]))
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
