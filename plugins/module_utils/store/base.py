# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounce history store: one interface, two backends (SQLite, DynamoDB). It is the source of truth of every
report: a run that was killed after handling events has them here, and the next run's report lists them.

What it keeps, per the processor's needs:

* **events**, keyed by the event identity ``<kind>:<SES message id>:<recipient>`` (deliveries, bounces,
  complaints, delays, SNS control messages): written with an insert-if-absent, so a redelivered SQS message, the
  same bounce arriving as an identity notification *and* as a configuration-set event, or two processors racing
  on one message, record it once. ``recorded`` (when this collection first saw it) selects a report's window;
  ``detail`` holds what a report shows (reason, channel, simulator, SubscribeURL...);
* **copies** of an event: one row per channel (``notification`` or ``event:<configuration set>``) with the number
  of times that copy was received, so a report tells a redelivery (same copy again) from the other channel's copy;
* **addresses**: the soft bounces of each address (a set of ``(time, event key)``, added idempotently), the time
  of its latest delivery (soft bounces before it no longer count), the next retry time, whether it is
  suppressed (reason, how: ``api`` / ``account``) and, when SES refused to suppress it, the refusal.

All methods take and return plain data; times are POSIX seconds (float).
"""

from __future__ import annotations


class BounceStore:
    """Interface. ``read_only`` stores (check mode) answer reads and refuse writes."""

    read_only = False

    def has_event(self, key):
        raise NotImplementedError

    def add_event(self, event):
        """Insert ``event`` (key, email, class, sub_type, occurred, message_id, feedback_id, detail) unless its key
        is already there. True when this call inserted it."""
        raise NotImplementedError

    def add_copy(self, key, channel):
        """Count one receipt of the ``channel`` copy of event ``key``; return how often it was received (1: first)."""
        raise NotImplementedError

    def copy_count(self, key, channel):
        """How often the ``channel`` copy of event ``key`` was received (0: never)."""
        raise NotImplementedError

    def add_soft(self, email, key, occurred):
        """Add one soft bounce to the address (idempotent); return every soft bounce time of the address."""
        raise NotImplementedError

    def soft_times(self, email):
        raise NotImplementedError

    def add_delivery(self, email, occurred):
        """Note a delivery: the address's ``last_delivery`` becomes the later of the two times."""
        raise NotImplementedError

    def get_address(self, email):
        """{email, soft_count, next_retry, last_delivery, suppressed_reason, suppressed_at, suppressed_via,
        refused} or None."""
        raise NotImplementedError

    def mark_suppressed(self, email, reason, when, via="api"):
        """Record that the address is suppressed (and clear a refusal); True when it was not marked before."""
        raise NotImplementedError

    def mark_refused(self, email, error, when):
        """Record that SES refused to suppress the address for good (the report lists it)."""
        raise NotImplementedError

    def set_retry(self, email, next_retry, soft_count):
        raise NotImplementedError

    def events_since(self, since):
        """Every event recorded at or after ``since``, oldest first, with its copies ({channel: count})."""
        raise NotImplementedError

    def count_events(self):
        """{class: number of events} (for reports and tests)."""
        raise NotImplementedError

    def close(self):
        pass


class StoreError(Exception):
    pass


def _check_writable(store):
    if store.read_only:
        raise StoreError("the bounce store is read-only (check mode)")
