# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounce history store: one interface, two backends (SQLite, DynamoDB).

What it keeps, per the processor's needs:

* **events**, keyed by the classifier's recipient key (``bounce:<feedbackId>:<recipient>``...): written with an
  insert-if-absent, so a redelivered SQS message, or two processors racing on one message, record it once;
* **addresses**: the soft bounces of each address (a set of ``(time, event key)``, added idempotently), the
  next retry time, and whether this collection suppressed the address (and why).

All methods take and return plain data; times are POSIX seconds (float).
"""

from __future__ import annotations


class BounceStore:
    """Interface. ``read_only`` stores (check mode) answer reads and refuse writes."""

    read_only = False

    def has_event(self, key):
        raise NotImplementedError

    def add_event(self, event):
        """Insert ``event`` (key, email, class, sub_type, occurred, message_id, feedback_id) unless its key is
        already there. True when this call inserted it."""
        raise NotImplementedError

    def add_soft(self, email, key, occurred):
        """Add one soft bounce to the address (idempotent); return every soft bounce time of the address."""
        raise NotImplementedError

    def soft_times(self, email):
        raise NotImplementedError

    def get_address(self, email):
        """{email, soft_count, next_retry, suppressed_reason, suppressed_at} or None."""
        raise NotImplementedError

    def mark_suppressed(self, email, reason, when):
        """Record that the address is suppressed; True when it was not marked before."""
        raise NotImplementedError

    def set_retry(self, email, next_retry, soft_count):
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
