"""Fixtures of the reliability suite: figures collected for docs/reliability.md, plays, DNS test data.

Every test adds what it measured to ``figures`` (a session-wide dict); at the end of the session the
sections measured in this run replace theirs in FIGURES_FILE, so a partial run (``-k``) keeps the rest.
``scripts/reliability_report.py`` renders docs/reliability.md from that file.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import pytest

from tests.fixtures.dns_proxy import udp_tcp_pair
from tests.fixtures.names import unique

ROOT = Path(__file__).resolve().parents[2]
FIGURES_FILE = Path(os.environ.get("RELIABILITY_FIGURES", ROOT / "tests" / "output" / "reliability" / "figures.json"))

TRACEBACK = "Traceback (most recent call last)"
# local connection with pipelining: no temp dir, put, chmod and rm per task (fewer forks on a busy machine)
FAST = {"ANSIBLE_PIPELINING": "1"}


def play(*tasks, **extra):
    out = {"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}
    out.update(extra)
    return [out]


def task(name, module, args, **extra):
    out = {"name": name, "deliverability.ses.%s" % module: args}
    out.update(extra)
    return out


def tolerant(name, module, args, **extra):
    """A task whose failure does not stop the play (the results file still records it as failed)."""
    return task(name, module, args, ignore_errors=True, **extra)


@pytest.fixture(scope="session")
def figures():
    data = {}
    yield data
    if not data:
        return
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    # every xdist worker merges its sections at its own session end: one at a time, or one loses the other's
    with open(FIGURES_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = {}
        if FIGURES_FILE.exists():
            try:
                old = json.loads(FIGURES_FILE.read_text())
            except ValueError:
                old = {}
        for section, entries in data.items():
            merged = dict(old.get(section) or {})
            merged.update(entries)
            old[section] = merged
        FIGURES_FILE.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")


def record(figures, section, key, value):
    figures.setdefault(section, {})[key] = value


# -- DNS test data in the session's BIND ------------------------------------------------------------

def update(bind, zone, records, replace=True):
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=bind.key_algorithm)
    for name, rtype, value in records:
        (upd.replace if replace else upd.add)(name.rstrip(".") + ".", 300, rtype, value)
    resp = dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)
    assert resp.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(resp.rcode())




@pytest.fixture
def zone(bind):
    """A fresh, empty zone on the session's BIND."""
    name = unique("rel")
    bind.add_zone(name)
    return name


@pytest.fixture
def rfc2136(bind, zone):
    return {"provider": "rfc2136", "zone": zone, "server": bind.server, "key_name": bind.key_name,
            "key_secret": bind.key_secret, "dns_timeout": 2.0}


@pytest.fixture(scope="session")
def mail_zones(bind):
    """rel-mx.test accepts mail (MX); rel-nomail.test has neither MX nor A/AAAA."""
    for z in ("rel-mx.test", "rel-nomail.test"):
        if z not in bind.zones:
            bind.add_zone(z)
    update(bind, "rel-mx.test", [("rel-mx.test", "MX", "10 mx.rel-mx.test."), ("mx.rel-mx.test", "A", "192.0.2.25")])
    return {"mx": "rel-mx.test", "nomail": "rel-nomail.test"}


class Blackhole:
    """A DNS 'server' that never answers: a UDP socket that reads and drops, a TCP socket that accepts
    connections (the kernel's backlog does) and never replies. Queries to it time out."""

    def __init__(self):
        self.udp, self.tcp, self.port = udp_tcp_pair(backlog=64)
        self.udp.settimeout(0.2)
        self.running = True
        self.received = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while self.running:
            try:
                self.udp.recv(4096)
                self.received += 1
            except OSError:
                continue

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def close(self):
        self.running = False
        self.thread.join(1)
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="session")
def blackhole():
    hole = Blackhole()
    yield hole
    hole.close()


@pytest.fixture(scope="session")
def stopped_bind():
    """A second BIND, started and stopped again: its port is closed (queries are refused at once)."""
    from tests.fixtures.bind import Bind
    extra = Bind(zones=("stopped.test",))
    extra.start()
    port = extra.port
    extra.stop()

    class Stopped:
        server = "127.0.0.1:%d" % port

    Stopped.port = port
    return Stopped
