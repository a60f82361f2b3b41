# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounce policy, pure: which suppression reason each class means, which SES refusals are final, soft-bounce
escalation and back-off (deterministic jitter), notification times believed, the report's classes and window.
The processor (runners/bounces.py) applies it."""

from __future__ import annotations

import datetime as dt
import hashlib

REASON_OF = {"hard": "BOUNCE", "complaint": "COMPLAINT", "soft": "BOUNCE"}
# SES refuses these for good: retrying the message would be refused again until it lands in the DLQ
PERMANENT_CODES = frozenset(("BadRequestException", "ValidationException", "InvalidParameterValue",
                             "InvalidParameterValueException", "MessageRejected"))
CONTROL = ("sns_subscription_confirmation", "sns_unsubscribe_confirmation")


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
        try:
            growth = self.retry_factor ** max(0, attempt - 1)
        except OverflowError:  # many soft bounces with a large factor: the cap applies
            growth = float("inf")
        delay = min(self.retry_cap, self.retry_base * growth)
        digest = hashlib.sha256(("%s|%d" % (email.lower(), attempt)).encode("utf-8")).digest()
        fraction = int.from_bytes(digest[:8], "big") / float(1 << 64)
        return delay * (1.0 - self.retry_jitter * fraction)

    def counting(self, times, now, last_delivery=None):
        """The soft bounces that count: within the window, and after the address's latest delivery."""
        horizon = now - self.soft_window
        return [t for t in times if t >= horizon and (last_delivery is None or t > last_delivery)]


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
    try:
        ts = parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return default
    # a notification dated before SES existed or after 2100 (year 9999) is not believed: adding a retry delay
    # to it would overflow the calendar. The time it was received stands in for it.
    return ts if EARLIEST_TS <= ts <= LATEST_TS else default


EARLIEST_TS = 946684800.0  # 2000-01-01
LATEST_TS = 4102444800.0  # 2100-01-01


def iso(ts):
    if ts is None:
        return None
    try:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None  # out of the calendar's range: shown as unknown rather than a traceback


def suppression_action(reason, listed_reason):
    """The suppression rule, whatever copy of the event came first: ``account`` when SES's list already has the
    address with this reason (nothing to write), else ``api`` (PutSuppressedDestination with this reason)."""
    return "account" if listed_reason == reason else "api"


CLASS_LABELS = (
    ("hard", "hard bounces"),
    ("complaint", "complaints"),
    ("soft", "soft bounces"),
    ("undetermined", "undetermined bounces (to review)"),
    ("suppressed", "already on the suppression list (SES did not send)"),
    ("delivery", "deliveries"),
    ("delivery_delay", "delivery delays"),
    ("unknown", "unknown (to review)"),
)
RANK = {"hard": 0, "complaint": 1, "suppressed": 2, "soft": 3}


def window_start(now, days):
    """00:00 UTC ``days - 1`` days before today: the report's window is whole UTC days, so two runs on one day
    write the same report unless something new happened."""
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - dt.timedelta(days=max(1, int(days)) - 1)).timestamp()
