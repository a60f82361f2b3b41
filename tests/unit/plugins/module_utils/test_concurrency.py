"""The adaptive limiter against a simulated AWS token bucket on a fake clock (deterministic, no threads); ForkedCall
with real child processes."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.concurrency import (
    AdaptiveLimiter, ForkedCall, LimitedClient, Limiters, classify)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += max(0.0, seconds)


class Bucket:
    """AWS's side: ``rate`` tokens a second, ``burst`` at most; each call takes ``latency`` seconds."""

    def __init__(self, clock, rate, burst=None, latency=0.02):
        self.clock, self.rate, self.burst, self.latency = clock, rate, burst or max(1.0, rate), latency
        self.tokens, self.last = self.burst, 0.0
        self.ok = self.throttled = 0

    def __call__(self, value=None):
        self.clock.t += self.latency
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            self.throttled += 1
            raise AwsError("GetEmailIdentity", "TooManyRequestsException", "Too Many Requests", 429)
        self.tokens -= 1
        self.ok += 1
        return value


@pytest.mark.parametrize("rate", [1.0, 5.0, 20.0])
def test_finishes_within_1_15_of_reads_over_rate_without_failing(rate):
    clock = Clock()
    aws = Bucket(clock, rate)
    limiter = AdaptiveLimiter(max_concurrency=8, clock=clock, sleep=clock.sleep)
    n = 300
    results = [limiter.call(aws, i) for i in range(n)]
    assert results == list(range(n))  # every call succeeded, none lost
    assert aws.ok == n
    assert clock.t <= 1.15 * n / rate, (clock.t, n / rate, aws.throttled)
    # it adapted: throttled at first, then paced close to the limit rather than hammering it
    assert limiter.stats["decreases"] >= 1
    assert aws.throttled < 0.2 * n
    assert 0.8 * rate <= limiter.current_rate() <= 1.3 * rate


def test_unthrottled_calls_are_never_paced():
    clock = Clock()
    limiter = AdaptiveLimiter(clock=clock, sleep=clock.sleep)
    for i in range(100):
        limiter.call(lambda: None)
    assert clock.t == 0 and limiter.current_rate() is None


def test_throttling_is_retried_until_the_timeout_not_a_count():
    clock = Clock()
    calls = []

    def always_throttled():
        calls.append(clock())
        clock.t += 0.5
        raise AwsError("GetAccount", "TooManyRequestsException", "Too Many Requests", 429)

    limiter = AdaptiveLimiter(clock=clock, sleep=clock.sleep)
    with pytest.raises(AwsError) as err:
        limiter.call(always_throttled, _throttle_timeout=60)
    assert err.value.code == "TooManyRequestsException"
    assert len(calls) > 8 and clock.t > 60  # far more than botocore's fixed attempts, bounded in time


def test_transient_errors_get_max_attempts_and_others_fail_at_once():
    clock = Clock()
    seen = []

    def flaky():
        seen.append(1)
        if len(seen) < 3:
            raise AwsError("GetEmailIdentity", "InternalFailure", "oops", 500)
        return "ok"

    limiter = AdaptiveLimiter(clock=clock, sleep=clock.sleep)
    assert limiter.call(flaky, _max_attempts=3) == "ok" and len(seen) == 3
    seen.clear()
    with pytest.raises(AwsError):
        limiter.call(flaky, _max_attempts=2)
    assert len(seen) == 2

    def missing():
        seen.append(1)
        raise AwsError("GetEmailIdentity", "NotFoundException", "no", 404)

    seen.clear()
    with pytest.raises(AwsError):
        limiter.call(missing)
    assert len(seen) == 1 and limiter.current_rate() is None  # not a throttle: the pace is untouched


def test_classify_reads_aws_errors_and_botocore_responses():
    assert classify(AwsError("X", "TooManyRequestsException", "m", 429)) == "throttle"
    assert classify(AwsError("X", "Throttling", "m", 400)) == "throttle"
    assert classify(AwsError("X", "InternalFailure", "m", 500)) == "transient"
    assert classify(AwsError("X", "NotFoundException", "m", 404)) == "error"

    class ClientErrorLike(Exception):
        response = {"Error": {"Code": "SomethingNew"}, "ResponseMetadata": {"HTTPStatusCode": 429}}
    assert classify(ClientErrorLike()) == "throttle"


def test_limited_client_routes_api_methods_per_operation():
    class Meta:
        method_to_api_mapping = {"get_account": "GetAccount", "get_email_identity": "GetEmailIdentity"}
        region_name = "eu-west-1"

    class FakeClient:
        meta = Meta()

        def get_account(self):
            return {"ok": 1}

        def get_email_identity(self, EmailIdentity):
            return {"name": EmailIdentity}

    limiters = Limiters(max_concurrency=4)
    client = LimitedClient(FakeClient(), limiters)
    assert client.get_account() == {"ok": 1}
    assert client.get_email_identity(EmailIdentity="a.test") == {"name": "a.test"}
    assert client.meta.region_name == "eu-west-1"
    assert sorted(limiters.stats()) == ["GetAccount", "GetEmailIdentity"]
    assert limiters.stats()["GetEmailIdentity"]["calls"] == 1


# -- ForkedCall: a read in a child process, its answer (or error) back through a pipe; no answer when it died
def _value(n):
    return {"listed": set(range(n)), "pid": os.getpid()}


def _raises_aws():
    raise AwsError("ListEmailIdentities", "AccessDeniedException", "not allowed in eu-west-1", 403)


class _Unpicklable(Exception):
    def __init__(self, a, b):  # pickling rebuilds it from args=(message,): cannot
        super().__init__("%s %s" % (a, b))


def _raises_unpicklable():
    raise _Unpicklable(1, 2)


def _dies():
    os._exit(5)


def _sleeps():
    time.sleep(60)
    return "late"


def test_forked_call_answers_from_another_process():
    call = ForkedCall(_value, 3)
    got = call.answer()
    assert got["listed"] == {0, 1, 2} and got["pid"] != os.getpid() and got["pid"] == call.pid
    assert call.answer() is got  # asked again (another thread): the same answer, the child read once
    call.close()


def test_forked_call_raises_the_childs_aws_error_with_its_code_and_operation():
    call = ForkedCall(_raises_aws)
    with pytest.raises(AwsError) as err:
        call.answer()
    assert (err.value.operation, err.value.code, err.value.http_status) == (
        "ListEmailIdentities", "AccessDeniedException", 403)
    assert "not allowed in eu-west-1" in err.value.msg


@pytest.mark.parametrize("fn", [_dies, _raises_unpicklable], ids=["child exits", "error that does not pickle"])
def test_forked_call_gives_no_answer_when_the_child_could_not_send_one(fn):
    call = ForkedCall(fn)
    assert call.answer() is ForkedCall.NO_ANSWER
    call.close()


def test_forked_call_close_ends_a_child_whose_answer_was_never_asked_for():
    call = ForkedCall(_sleeps)
    started = time.monotonic()
    call.close()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(call.pid, os.WNOHANG)  # reaped: no zombie left behind
    assert call.answer() is ForkedCall.NO_ANSWER


def test_forked_call_is_possible_only_without_another_thread():
    import threading
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert ForkedCall.possible() is False  # any thread of this process, whoever started it
    finally:
        stop.set()
        other.join()
