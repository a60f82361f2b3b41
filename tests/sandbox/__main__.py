"""python -m tests.sandbox [--port N] [--dns-server HOST:PORT] [--request-log FILE]

Starts the sandbox in the foreground on 127.0.0.1 and prints its endpoint."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import MotoRequestHandler

from .app import SandboxApp


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
    parser.add_argument("--quiet", action="store_true", help="do not print one line per HTTP request")
    args = parser.parse_args(argv)

    app = SandboxApp({"dns_servers": args.dns_server, "dkim_failure_seconds": args.dkim_failure_seconds},
                     request_log_path=args.request_log)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # shutdown() waits for serve_forever to return, so it must run off the main thread
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print("SES sandbox listening on http://%s:%d  (AWS_ENDPOINT_URL=http://%s:%d, any credentials, "
          "region us-east-1; control API under /_sandbox/)" % (args.host, port, args.host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
