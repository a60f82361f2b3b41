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


# where an event's tenant came from, in order of precedence
TENANT_SOURCES = ("event", "both", "configuration_set", "identity", "none")


def event_tenant(tag, identity_tenants, set_tenants):
    """The tenant a bounce or complaint belongs to: ``(tenant or None, source, disagreement, candidates)``.

    1. ``event``: the event's own ``ses:tenant-name`` tag (SES adds it to a tenant's bounce and complaint events);
       the associations are not consulted.
    2. ``both``: the one tenant that has the sending identity *and* the configuration set (sending as a tenant needs
       both associated with it).
    3. ``configuration_set``: the set's only tenant; ``identity``: the identity's only tenant (when the other one is
       unknown or in no tenant). When the identity and the set are each in tenants but in none together, they
       *disagree*: the configuration set's tenant is chosen (the set is the client's own, an identity can be shared,
       and SES ranks the set above the tenant for suppression too) and ``disagreement`` is True.
    4. ``none``: no association, or several candidates and nothing to choose between them (``candidates`` lists
       them; the event is then handled in the account's list, as without tenants).

    ``identity_tenants`` / ``set_tenants`` are lists of tenant names, or None when that resource is unknown."""
    if tag:
        return tag, "event", False, [tag]
    ids = sorted(set(identity_tenants or ()))
    sets = sorted(set(set_tenants or ()))
    if ids and sets:
        both = sorted(set(ids) & set(sets))
        if len(both) == 1:
            return both[0], "both", False, both
        if both:
            return None, "none", False, both
        if len(sets) == 1:
            return sets[0], "configuration_set", True, sets
        return None, "none", True, sorted(set(ids) | set(sets))
    for source, names in (("configuration_set", sets), ("identity", ids)):
        if len(names) == 1:
            return names[0], source, False, names
        if names:
            return None, "none", False, names
    return None, "none", False, []
