"""Waiting for a multi-region endpoint: back-off from 2 s doubling to 30 s, READY returns, FAILED and the timeout
are errors naming the status."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.runners import endpoints


class Clock:
    def __init__(self):
        self.t = 0.0
        self.slept = []

    def sleep(self, s):
        self.slept.append(s)
        self.t += s

    def now(self):
        return self.t


def _statuses(monkeypatch, statuses):
    seq = iter(statuses)

    def get_endpoint(client, name):
        status = next(seq)
        return None if status is None else {"name": name, "status": status}
    monkeypatch.setattr(endpoints.api, "get_endpoint", get_endpoint)


def test_backs_off_until_ready(monkeypatch):
    _statuses(monkeypatch, ["CREATING"] * 6 + ["READY"])
    clock = Clock()
    out = endpoints.wait_ready(None, "g", 900, sleep=clock.sleep, clock=clock.now)
    assert out["status"] == "READY" and clock.slept == [2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize("statuses, words", [(["CREATING", "FAILED"], "FAILED, not READY"),
                                             (["CREATING", None], "gone, not READY"),
                                             (["CREATING"] * 100, "still CREATING after 60 s")])
def test_failed_gone_or_too_slow_is_an_error(monkeypatch, statuses, words):
    _statuses(monkeypatch, statuses)
    clock = Clock()
    with pytest.raises(DeliverabilityError) as exc:
        endpoints.wait_ready(None, "g", 60, sleep=clock.sleep, clock=clock.now)
    assert words in exc.value.msg
    assert clock.t <= 60
