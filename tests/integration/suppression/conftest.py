"""Helpers for the suppression tests: DNS records in the BIND fixture, audit log reading, plays."""

from __future__ import annotations

import json

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import pytest

# names in the BIND zones: example.test accepts mail by MX; a-only.example.test by its A record (no MX);
# nullmx.example.test publishes a null MX; reports.test (the zone apex) has neither MX nor A/AAAA.
MX_DOMAIN = "example.test"
IDN_DOMAIN = "bücher.example.test"
IDN_PUNY = "xn--bcher-kva.example.test"
A_ONLY = "a-only.example.test"
NULL_MX = "nullmx.example.test"
NO_MAIL = "reports.test"

_published = set()


def _update(bind, zone, records):
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=bind.key_algorithm)
    for name, rtype, value in records:
        upd.replace(name + ".", 300, rtype, value)
    resp = dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)
    assert resp.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(resp.rcode())


@pytest.fixture
def mail_dns(bind):
    """Publish (once per session) the MX / A / null MX records the delisting guard is tested against."""
    if bind.port not in _published:
        _update(bind, "example.test", [
            (MX_DOMAIN, "MX", "10 mx.example.test."),
            ("mx." + MX_DOMAIN, "A", "192.0.2.25"),
            (IDN_PUNY, "MX", "10 mx.example.test."),
            (A_ONLY, "A", "192.0.2.26"),
            (NULL_MX, "MX", "0 ."),
        ])
        _published.add(bind.port)
    return bind


@pytest.fixture
def audit_log(tmp_path):
    path = tmp_path / "audit" / "log.jsonl"

    class Audit:
        def __init__(self):
            self.path = path

        def lines(self):
            if not path.exists():
                return []
            return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    return Audit()


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def task(name, module, args, **extra):
    out = {"name": name, "deliverability.ses.%s" % module: args}
    out.update(extra)
    return out
