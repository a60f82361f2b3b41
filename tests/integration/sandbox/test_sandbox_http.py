"""The sandbox's HTTP/1.1 keep-alive (tests/sandbox/__main__.py KeepAliveHandler), spoken to over a raw socket: a kept
connection serves its next request, and a request that fails before the application runs still closes it."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def _connect(sandbox):
    url = urlsplit(sandbox.endpoint)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    return sock, sock.makefile("rb")


def _response(reader):
    """Status line, headers (lower-case names) and body of one response read off the connection."""
    status = reader.readline().decode("latin-1").strip()
    headers = {}
    while True:
        line = reader.readline().decode("latin-1").strip()
        if not line:
            break
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length") or 0))
    return status, headers, body


HEALTH = b"GET /_sandbox/health HTTP/1.1\r\nHost: sandbox\r\n\r\n"


def test_a_kept_connection_serves_the_next_request(sandbox):
    sock, reader = _connect(sandbox)
    with sock, reader:
        for dummy in range(3):
            sock.sendall(HEALTH)
            status, headers, body = _response(reader)
            assert status.startswith("HTTP/1.1 200"), status
            assert headers.get("connection", "").lower() != "close"
            assert b'"ok": true' in body


def test_a_request_refused_before_the_application_closes_a_kept_connection(sandbox):
    sock, reader = _connect(sandbox)
    with sock, reader:
        sock.sendall(HEALTH)
        status, headers, dummy = _response(reader)
        assert status.startswith("HTTP/1.1 200"), status
        # 101 headers: http.server refuses them in parse_request (431), before run_wsgi sees the request
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
        sock.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: sandbox\r\n" + many + b"\r\n")
        status, headers, dummy = _response(reader)
        assert status.startswith("HTTP/1.1 431"), status
        assert headers.get("connection", "").lower() == "close"
        assert reader.read(1) == b"", "the server kept the connection of a refused request open"
