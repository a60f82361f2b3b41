"""python -m tests.sandbox [--port N] [--dns-server HOST:PORT] [--request-log FILE] [--dns-port N|auto]

Starts the sandbox in the foreground on 127.0.0.1 and prints its endpoint."""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import socket
import sys
import threading

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import MotoRequestHandler

from .app import SandboxApp


class KeepAliveHandler(MotoRequestHandler):
    """HTTP/1.1 with persistent connections, as SES's endpoints speak: a client's pool reuses its connections
    instead of opening a connection (and the server a thread) per request. Werkzeug's handler always closes, because
    after each response it reads whatever is left on the socket, which on a kept connection would swallow the next
    request: here a fixed-length body is read before the application runs, so nothing is left to drain. A chunked
    request body still closes its connection, as before."""

    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle kept connection's thread ends after this; the client's pool reconnects

    def setup(self):
        super().setup()
        # headers and body leave in two writes: without this, Nagle holds the body back for the client's delayed
        # ACK (40 ms a request once the connection is kept)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self):
        self._keep_alive = False
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return super().run_wsgi()
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return super().run_wsgi()
        real, self.rfile = self.rfile, io.BytesIO(self.rfile.read(length) if length else b"")
        self._keep_alive = True
        try:
            return super().run_wsgi()
        finally:
            self.rfile = real
            # for this request only: the next one on the connection may fail in parse_request, before run_wsgi,
            # and its error response must close the connection as werkzeug's does
            self._keep_alive = False

    def send_header(self, keyword, value):
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "_keep_alive", False):
            return  # the request's own Connection header (parse_request) still decides
        return super().send_header(keyword, value)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "4566")))
    parser.add_argument("--dns-server", action="append", default=[],
                        help="DNS server (host:port) the sandbox resolves DKIM / MAIL FROM records with, "
                             "after its own Route 53 zones; repeatable")
    parser.add_argument("--dkim-failure-seconds", type=float, default=72 * 3600.0,
                        help="how long DKIM and MAIL FROM stay PENDING before FAILED (SES: 72 hours)")
    parser.add_argument("--request-log", help="also append every request to this JSON Lines file")
    parser.add_argument("--dns-port", type=_dns_port, default=0,
                        help="also answer DNS (UDP and TCP, 127.0.0.1) from the sandbox's Route 53 zones on this port, "
                             "with an amazonses.com zone holding SES's SPF as the Internet does, so SPF lookup "
                             "counting of include:amazonses.com works offline (0: no DNS; auto: a number free on "
                             "both TCP and UDP, printed at start)")
    parser.add_argument("--quiet", action="store_true", help="do not print one line per HTTP request")
    args = parser.parse_args(argv)

    app = SandboxApp({"dns_servers": args.dns_server, "dkim_failure_seconds": args.dkim_failure_seconds},
                     request_log_path=args.request_log)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAliveHandler)
    port = server.server_address[1]
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # shutdown() waits for serve_forever to return, so it must run off the main thread
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print("SES sandbox listening on http://%s:%d  (AWS_ENDPOINT_URL=http://%s:%d, any credentials, "
          "region us-east-1; control API under /_sandbox/)" % (args.host, port, args.host, port), flush=True)
    if args.dns_port:
        try:
            _serve_dns(app, "http://127.0.0.1:%d" % port, 0 if args.dns_port == "auto" else args.dns_port)
        except OSError as exc:
            server.server_close()
            print("sandbox: --dns-port %s: %s" % (args.dns_port, exc.strerror or exc), file=sys.stderr, flush=True)
            return 2
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _dns_port(text):
    if text == "auto":
        return text
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port number (0 for no DNS) or 'auto', not %r" % text)
    return port


def _serve_dns(app, endpoint, dns_port):
    """DNS for the Route 53 zones (tests/fixtures/route53_dns.py), with SES's own SPF record at amazonses.com.

    The zone is put straight into moto's backend, not through the API: it is the sandbox's stand-in for the
    Internet, not a call any playbook made (the request log, which the docs tests attribute to playbooks, does
    not show it). It is the sandbox's built-in state, so ``/_sandbox/reset`` puts it back."""
    from tests.fixtures.route53_dns import Route53Dns
    server = Route53Dns(endpoint, port=dns_port).start()  # first: a taken port fails before any state is built
    app.builtins.append(_amazonses_zone)
    _amazonses_zone()
    print("DNS for the sandbox's Route 53 zones on %s (amazonses.com serves SES's SPF)" % server.server, flush=True)


def _amazonses_zone():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends
    from tests.fixtures.bind import AMAZONSES_SPF
    backend = route53_backends[DEFAULT_ACCOUNT_ID]["global"]
    zone = backend.create_hosted_zone("amazonses.com.", private_zone=False, caller_reference="sandbox-ses-spf")
    backend.change_resource_record_sets(zone.id, [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "amazonses.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"%s"' % AMAZONSES_SPF}]}}])


if __name__ == "__main__":
    sys.exit(main())
