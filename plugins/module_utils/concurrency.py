# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adaptive concurrency for fleet-sized passes: as fast as AWS lets us, never failing on throttling.

AWS throttles the SES control plane per operation with a token bucket whose rate it does not publish. A fixed
number of workers either wastes time (too few) or is throttled into botocore's retry budget and fails domains
(too many). :class:`AdaptiveLimiter` paces one operation's calls AIMD-style, as TCP does:

- it starts unpaced (only ``max_concurrency`` bounds it);
- the first throttle sets the pace to the rate that actually succeeded during the last second;
- every further throttle of a call sent after the last decrease multiplies the pace by ``decrease`` (0.75),
  but never below the rate that succeeded over the last few seconds (what AWS demonstrably allows);
- between throttles the pace grows linearly by ``growth`` (0.3 %) of the pace at the last decrease per successful
  call - per call, not per second, so the probing costs the same share of calls at 1 request/s as at 100/s -
  and it keeps probing just above what AWS allows, so AWS's bucket is never idle for long; after 60 calls
  without a throttle it doubles every 60 calls (the pace was set too low, e.g. from a burst shorter than a second);
- calls are released in arrival order (tickets), so no call starves under a low limit;
- the concurrency window follows the same rule (halved on throttle, +1 per window of successes).

A throttled call is retried as long as it takes (bounded by ``throttle_timeout`` seconds, not by a count);
other transient failures (HTTP 5xx, connection errors) get ``max_attempts`` with jittered back-off. The client
used with it must not retry by itself (``max_attempts=1`` in botocore's config), or the limiter never sees the
throttling and botocore's own retry quota fails the calls.

Pure standard library: no boto3 import; errors are classified by their AWS error code.

:class:`ForkedCall` runs a read in a child process: a fleet's module is CPU-bound in botocore (about 1 ms of client
CPU per call), so reads a child makes run on another core.
"""

from __future__ import annotations

import collections
import os
import pickle
import random
import threading
import time

THROTTLE_CODES = frozenset(("TooManyRequestsException", "Throttling", "ThrottlingException", "ThrottledException",
                            "RequestLimitExceeded", "SlowDown", "RequestThrottled", "RequestThrottledException",
                            "ProvisionedThroughputExceededException", "PriorRequestNotComplete"))
TRANSIENT_CODES = frozenset(("InternalFailure", "InternalError", "InternalServerError", "ServiceUnavailable",
                             "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
                             "EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError",
                             "ConnectTimeoutError"))


MAX_WINDOW = 30.0  # seconds of successes kept to measure the rate AWS allows
WINDOW_CALLS = 20.0  # the measuring window holds about this many calls at the current pace
PROBE_AFTER = 60  # calls without a throttle after which the pace starts doubling


def _code_of(exc):
    code = getattr(exc, "code", None)
    if code:
        return code
    response = getattr(exc, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    return code or type(exc).__name__


def _status_of(exc):
    status = getattr(exc, "http_status", None)
    if status:
        return status
    response = getattr(exc, "response", None) or {}
    return (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")


def classify(exc):
    """``throttle``, ``transient`` or ``error`` for an exception raised by an AWS call."""
    code = _code_of(exc)
    if code in THROTTLE_CODES or _status_of(exc) == 429:
        return "throttle"
    status = _status_of(exc)
    if code in TRANSIENT_CODES or (isinstance(status, int) and status >= 500):
        return "transient"
    return "error"


class AdaptiveLimiter:
    """Paces and bounds the calls of one operation; see the module docstring for the rule."""

    def __init__(self, max_concurrency=16, decrease=0.75, growth=0.003, min_rate=0.05, window=1.0,
                 clock=time.monotonic, sleep=time.sleep):
        self.max_concurrency = max(1, int(max_concurrency))
        self.decrease = decrease
        self.growth = growth
        self.min_rate = min_rate
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.cond = threading.Condition()
        self.limit = float(self.max_concurrency)  # concurrency window
        self.in_flight = 0
        self.rate = None  # calls per second; None: unpaced
        self.base_rate = None  # the pace right after the last decrease (growth is relative to it)
        self.decreased_at = None
        self.since_decrease = 0  # successful calls since the last decrease (the pace grows with them)
        self.next_slot = 0.0
        self.head = self.tail = 0  # tickets: callers are served in arrival order
        self.successes = collections.deque()
        self.started = clock()
        self.stats = {"calls": 0, "throttled": 0, "transient": 0, "decreases": 0, "min_rate": None,
                      "max_in_flight": 0}

    # -- pacing
    def current_rate(self, now=None):
        if self.rate is None:
            return None
        now = self.clock() if now is None else now
        k = self.since_decrease
        rate = self.base_rate * (1.0 + self.growth * k)
        if k > PROBE_AFTER:
            # long without a throttle: the pace was set far below what AWS allows (a small burst read as a slow
            # rate); probe upwards faster, doubling every PROBE_AFTER calls
            rate *= 2.0 ** ((k - PROBE_AFTER) / PROBE_AFTER)
        return rate

    def acquire(self):
        """Wait for this caller's turn (first come, first served), a place in the window and the pace;
        returns the send time (for :meth:`release`). Only the head of the queue watches the clock, so a
        change of pace applies to the very next call."""
        with self.cond:
            ticket = self.tail
            self.tail += 1
            while True:
                if ticket == self.head and self.in_flight < int(self.limit):
                    now = self.clock()
                    wait = 0.0 if self.rate is None else self.next_slot - now
                    if wait <= 0:
                        break
                    # the head sleeps without the lock (the others wait for it to move on)
                    self.cond.release()
                    try:
                        self.sleep(wait)
                    finally:
                        self.cond.acquire()
                else:
                    self.cond.wait()
            self.head += 1
            self.in_flight += 1
            self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.in_flight)
            rate = self.current_rate(now)
            if rate is not None:
                self.next_slot = now + 1.0 / rate
            self.cond.notify_all()
            return now

    def release(self, sent_at, outcome):
        """``outcome``: ``ok``, ``throttle``, ``transient`` or ``error``."""
        with self.cond:
            self.in_flight -= 1
            now = self.clock()
            if outcome == "ok":
                self.successes.append(now)
                self.since_decrease += 1
                if self.limit < self.max_concurrency:
                    self.limit = min(float(self.max_concurrency), self.limit + 1.0 / self.limit)
            elif outcome == "throttle":
                self.stats["throttled"] += 1
                self._throttled(sent_at, now)
            elif outcome == "transient":
                self.stats["transient"] += 1
            while self.successes and self.successes[0] < now - MAX_WINDOW:
                self.successes.popleft()
            self.cond.notify_all()

    def measured_rate(self, now):
        """Successes per second over the last few seconds (long enough to hold ~20 calls at the current pace)."""
        rate = self.current_rate(now)
        span = self.window if rate is None else min(MAX_WINDOW, max(self.window, WINDOW_CALLS / rate))
        # not longer than this limiter has existed (a young limiter would read its own start as a slow rate)
        span = max(self.window, min(span, now - self.started))
        if span <= 0:
            return 0.0
        return len([t for t in self.successes if t >= now - span]) / span

    def _throttled(self, sent_at, now):
        if self.decreased_at is not None and sent_at < self.decreased_at:
            return  # sent before the last decrease: that pace is already gone
        measured = self.measured_rate(now)
        if self.rate is None:
            new = measured or 1.0
        else:
            # while we were throttled, what succeeded is what AWS allows: never drop far below it
            new = max(self.current_rate(now) * self.decrease, measured)
        new = max(self.min_rate, new)
        self.rate = self.base_rate = new
        self.decreased_at = now
        self.since_decrease = 0
        # AWS's bucket was empty just now: the next call waits a whole interval at the new pace
        self.next_slot = max(self.next_slot, now + 1.0 / new)
        self.limit = max(1.0, self.limit * 0.5)
        self.stats["decreases"] += 1
        self.stats["min_rate"] = new if self.stats["min_rate"] is None else min(self.stats["min_rate"], new)

    # -- one call
    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs) under the limiter: throttles retried until ``throttle_timeout``, transient
        failures ``max_attempts`` times; anything else raised at once."""
        throttle_timeout = kwargs.pop("_throttle_timeout", 900.0)
        max_attempts = kwargs.pop("_max_attempts", 8)
        started = self.clock()
        attempt = 0
        while True:
            sent = self.acquire()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - classified, then re-raised or retried
                kind = classify(exc)
                self.release(sent, kind)
                if kind == "throttle":
                    if self.clock() - started > throttle_timeout:
                        raise
                    continue  # the pacing slows the retry down; no extra sleep needed
                attempt += 1
                if kind != "transient" or attempt >= max_attempts:
                    raise
                self.sleep(random.uniform(0, min(5.0, 0.1 * (2 ** attempt))))
                continue
            self.release(sent, "ok")
            with self.cond:
                self.stats["calls"] += 1
            return result


class Limiters:
    """One :class:`AdaptiveLimiter` per operation (AWS throttles each operation with its own bucket)."""

    def __init__(self, max_concurrency=16, throttle_timeout=900.0, max_attempts=8, **options):
        self.max_concurrency = max_concurrency
        self.throttle_timeout = throttle_timeout
        self.max_attempts = max_attempts
        self.options = options
        self.lock = threading.Lock()
        self.by_operation = {}

    def get(self, operation):
        with self.lock:
            if operation not in self.by_operation:
                self.by_operation[operation] = AdaptiveLimiter(self.max_concurrency, **self.options)
            return self.by_operation[operation]

    def call(self, operation, fn, *args, **kwargs):
        kwargs.setdefault("_throttle_timeout", self.throttle_timeout)
        kwargs.setdefault("_max_attempts", self.max_attempts)
        return self.get(operation).call(fn, *args, **kwargs)

    def stats(self):
        """Per operation: calls, throttled responses, pace decreases, lowest pace, peak in-flight calls."""
        with self.lock:
            items = list(self.by_operation.items())
        out = {}
        for op, lim in sorted(items):
            s = dict(lim.stats)
            if s["min_rate"] is not None:
                s["min_rate"] = round(s["min_rate"], 3)
            rate = lim.current_rate()
            s["final_rate"] = None if rate is None else round(rate, 3)
            out[op] = s
        return out


class LimitedClient:
    """A boto3 client whose API methods go through :class:`Limiters` (everything else passes through).

    ``call(client, "GetEmailIdentity", ...)`` and paginating helpers work unchanged on it.
    """

    def __init__(self, client, limiters):
        self._client = client
        self._limiters = limiters
        # botocore knows its own method names (get_email_identity -> GetEmailIdentity)
        self._operations = dict(client.meta.method_to_api_mapping)

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        operation = self._operations.get(name)
        if operation is None or not callable(attr):
            return attr

        def limited(*args, **kwargs):
            return self._limiters.call(operation, attr, *args, **kwargs)
        return limited


class ForkedCall:
    """``fn(*args)`` in a child process forked now; its return value, or the exception it raised, comes back
    pickled through a pipe when :meth:`answer` is first asked for (the child waits on its write until then).

    Fork only where :meth:`possible`: with another thread running, a lock that thread holds at the fork stays held
    in the child for ever. The child never returns into the caller's code: it ends with ``os._exit``, running none
    of the parent's clean-up (atexit, buffered output). Whatever the child could not send (it died, its answer did
    not pickle) is :data:`NO_ANSWER`, and the caller then does the work itself: a reader process only ever saves time.
    """

    NO_ANSWER = object()

    @staticmethod
    def possible():
        """Only this thread in the process: counted by the kernel (/proc/self/task), since threads not started by
        ``threading`` (a test runner's, a C library's) hold locks too; where that cannot be counted, never."""
        if not hasattr(os, "fork"):
            return False
        try:
            return len(os.listdir("/proc/self/task")) == 1
        except OSError:
            return False

    def __init__(self, fn, *args):
        self._lock = threading.Lock()
        self._got = None
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                os.close(rfd)
                try:
                    out = ("ok", fn(*args))
                except Exception as exc:  # noqa: BLE001 - the caller's to raise, in its own process
                    out = ("raised", exc)
                data = memoryview(pickle.dumps(out))
                pickle.loads(data)  # an answer the parent could not read is no answer
                while data:
                    data = data[os.write(wfd, data):]
            finally:
                os._exit(0)
        os.close(wfd)
        self.pid = pid
        self._rfd = rfd

    def _collect(self, kill=False):
        if self._rfd is None:
            return
        if kill:
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
        with os.fdopen(self._rfd, "rb") as pipe:
            data = b"" if kill else pipe.read()
        self._rfd = None
        os.waitpid(self.pid, 0)
        try:
            self._got = pickle.loads(data) if data else None
        except Exception:  # noqa: BLE001 - a truncated answer is no answer
            self._got = None

    def answer(self):
        """The child's return value (the same for every caller), its exception raised here, or NO_ANSWER."""
        with self._lock:
            self._collect()
            got = self._got
        if got is None:
            return self.NO_ANSWER
        if got[0] == "raised":
            raise got[1]
        return got[1]

    def close(self):
        """The child ended and reaped: killed when its answer was never asked for (the run stopped before)."""
        with self._lock:
            self._collect(kill=True)
