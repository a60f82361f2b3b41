"""Start, stop and steer a sandbox from tests, benchmarks and the demo (stdlib only)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    """A sandbox server process; use as a context manager or call start()/stop()."""

    def __init__(self, port=None, dns_servers=(), request_log=None, python=sys.executable, dns_port=None):
        self.port = port or free_port()
        # also answer DNS from its Route 53 zones there, as `make sandbox` does; "auto": the sandbox picks a number
        # free on both TCP and UDP and start() reads it back (a number chosen here could be taken on UDP)
        self.dns_request = dns_port
        self.dns_port = None if dns_port == "auto" else dns_port
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.dns_servers = list(dns_servers)
        self.request_log = request_log
        self.python = python
        self.proc = None

    def start(self, timeout=60):
        cmd = [self.python, "-m", "tests.sandbox", "--port", str(self.port), "--quiet"]
        for server in self.dns_servers:
            cmd += ["--dns-server", server]
        if self.request_log:
            cmd += ["--request-log", str(self.request_log)]
        if self.dns_request:
            cmd += ["--dns-port", str(self.dns_request)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # a file, not a pipe: nobody reads a pipe while tests run, and a full pipe would stall the server
        self.output = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=self.output,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.output.seek(0)
                raise RuntimeError("sandbox exited: %s" % self.output.read())
            try:
                self.get("health")
            except OSError:
                time.sleep(0.1)
                continue
            if self.dns_request == "auto":
                self.dns_port = self._printed_dns_port()
            return self
        self.stop()
        raise RuntimeError("sandbox did not answer on %s within %ss" % (self.endpoint, timeout))

    def _printed_dns_port(self):
        # pread: the server writes through the same open file, whose offset a seek here would move under it
        fd = self.output.fileno()
        text = os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")
        found = re.search(r"^DNS for the sandbox's Route 53 zones on 127\.0\.0\.1:(\d+)", text, re.M)
        if not found:
            self.stop()
            raise RuntimeError("sandbox started without saying its DNS port")
        return int(found.group(1))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "output", None):
            self.output.close()
            self.output = None
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- control API
    def _call(self, method, path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request("%s/_sandbox/%s" % (self.endpoint, path), data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def get(self, path):
        return self._call("GET", path)

    def post(self, path, data):
        return self._call("POST", path, data)

    def delete(self, path):
        return self._call("DELETE", path)

    def requests(self, since=0):
        return self.get("requests?since=%d" % since)["requests"]

    def mark(self) -> int:
        """The sequence number of the last logged request, to read only later ones."""
        return self.get("requests?since=999999999")["last"]

    def mutating_calls(self, since=0, service=None):
        return [r for r in self.requests(since) if r["mutating"] and (service is None or r["service"] == service)]

    def reset(self):
        return self.post("reset", {})

    def env(self) -> dict:
        """Environment for boto3 / the AWS CLI / ansible modules to reach this sandbox."""
        return dict(CREDENTIALS, AWS_ENDPOINT_URL=self.endpoint)

    def boto3_client(self, service, region="us-east-1"):
        import boto3
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
