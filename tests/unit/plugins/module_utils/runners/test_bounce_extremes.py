"""Extreme values in the bounce policy and in notification times never end in a traceback (issue 17)."""

from __future__ import annotations
from ansible_collections.deliverability.ses.plugins.module_utils.policy import bounces as bounce_policy


def test_huge_retry_factor_is_capped_not_overflowed():
    policy = bounce_policy.Policy(retry_base=3600, retry_factor=1e200, retry_cap=48 * 3600, retry_jitter=0)
    assert policy.retry_delay("a@x.test", 1) == 3600
    assert policy.retry_delay("a@x.test", 5) == 48 * 3600  # 1e200 ** 4 overflows a float: the cap applies


def test_notification_times_outside_the_calendar_fall_back():
    now = 1796000000.0
    assert bounce_policy.parse_time("9999-12-31T23:59:59Z", now) == now
    assert bounce_policy.parse_time("0001-01-01T00:00:00+01:00", now) == now
    assert bounce_policy.parse_time("2026-11-01T00:00:00Z", now) == 1793491200.0
    assert bounce_policy.iso(253402300799.0 + 48 * 3600) is None  # past year 9999: unknown, not a traceback
    assert bounce_policy.iso(0) == "1970-01-01T00:00:00Z"
