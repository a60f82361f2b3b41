"""`make demo` end to end: it must succeed, show what a person needs to see, and stop what it started."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_demo(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=1200)
    out = proc.stdout
    assert proc.returncode == 0, out[-6000:] + proc.stderr[-4000:]
    assert "Identity verified   yes" in out
    assert "DKIM                SUCCESS (Easy DKIM, RSA 2048)" in out
    assert "MAIL FROM           mail.example.com SUCCESS" in out
    assert "DMARC stage         p=none" in out
    assert re.search(r"\._domainkey\.example\.com\. 1800 IN CNAME \w+\.dkim\.amazonses\.com\.", out)
    assert "mail.example.com. 1800 IN MX 10 feedback-smtp.us-east-1.amazonses.com." in out
    assert "Receiver checks     pass" in out, out
    assert re.search(r"Addresses suppressed \(account list\): .*gone@customer\.test", out)
    # one story: the processor's own additions and SES's are told apart, no bare "suppressed: 0" beside the address
    assert "  of which from this run's bounces: gone@customer.test" in out, out[-3000:]
    assert '"suppressed": 0' not in out and " suppressed 0" not in out and "to already-suppressed 0" in out
    assert "Bounce rate         10.00 %" in out and "-> critical" in out
    assert "Sandbox and DNS stopped." in out
    port = int(re.search(r"Sandbox up at http://127\.0\.0\.1:(\d+)", out).group(1))
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the sandbox still answers after the demo"
