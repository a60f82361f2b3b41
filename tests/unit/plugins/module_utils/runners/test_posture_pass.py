"""posture.py helpers that need no sandbox: failures cached once per name, the trend store read defensively."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DnsError
from ansible_collections.deliverability.ses.plugins.module_utils.runners.posture import FailureCache, read_history


def test_a_name_that_timed_out_is_asked_once():
    calls = []

    class Resolver:
        queries = 0

        def __call__(self, name, rtype):
            calls.append((name, rtype))
            if name.startswith("down"):
                raise DnsError("lookup %s" % name, "Timeout", "timed out")
            return ["v=spf1 -all"]

    cached = FailureCache(Resolver())
    for attempt in range(3):
        with pytest.raises(DnsError):
            cached("down.test.", "TXT")
        assert cached("up.test", "TXT") == ["v=spf1 -all"], attempt
    assert calls.count(("down.test.", "TXT")) == 1
    assert calls.count(("up.test", "TXT")) == 3  # answers are the resolver's own cache's business


def test_a_dead_resolver_costs_a_few_timeouts_not_one_per_name():
    calls = []

    class Resolver:
        queries = 0

        def __call__(self, name, rtype):
            calls.append(name)
            if name.startswith("servfail"):
                raise DnsError("lookup %s" % name, "SERVFAIL", "no answer")
            if name.startswith("down") or len(calls) > 13:
                raise DnsError("lookup %s" % name, "LifetimeTimeout", "timed out")
            return ["v=spf1 -all"]

    cached = FailureCache(Resolver(), limit=3)
    for i in range(5):  # SERVFAIL is about one zone: it never trips the breaker, and answers reset the count
        with pytest.raises(DnsError):
            cached("servfail%d.test" % i, "TXT")
        assert cached("up%d.test" % i, "TXT") == ["v=spf1 -all"]
    for i in range(2):
        with pytest.raises(DnsError):
            cached("down%d.test" % i, "TXT")
    assert cached("up.test", "TXT") == ["v=spf1 -all"]  # an answer between: the streak starts again
    asked = len(calls)
    for i in range(50):  # then the resolver dies: 3 timeouts, and the other 47 names are not asked
        with pytest.raises(DnsError) as err:
            cached("gone%d.test" % i, "TXT")
    assert len(calls) - asked == 3
    assert err.value.rcode == "NotAsked" and "3 lookups in a row" in err.value.msg


def test_history_skips_what_does_not_parse(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"generated": "2026-12-01T00:00:00Z", "findings": 3}\nnot json\n[1]\n{"no": "time"}\n')
    assert read_history(str(path)) == [{"generated": "2026-12-01T00:00:00Z", "findings": 3}]
    assert read_history(str(tmp_path / "missing.jsonl")) == []
