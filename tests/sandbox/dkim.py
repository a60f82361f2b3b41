"""DKIM (RFC 6376, rsa-sha256, relaxed/relaxed) for the sandbox's SES receiving path and the tests that mail it.

SES receiving verifies a message's DKIM signatures and adds its verdicts in an ``Authentication-Results``
header on top of the message it stores in S3. The sandbox does the same: ``verify`` checks each
``DKIM-Signature`` against the public key published for ``<selector>._domainkey.<domain>``; the keys of the
reporters' domains (google.com, ...) are not in any zone the sandbox serves, so tests register them with
``POST /_sandbox/dkim-keys`` (the sandbox's stand-in for the world's DNS). ``sign`` is what a reporter does.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNED = ("from", "to", "subject", "date", "message-id")


def new_key(bits=1024):
    """(private PEM, public key as published in the p= tag)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def _split(raw):
    """(list of (name, raw value incl. folding), body) of a message (LF or CRLF)."""
    text = raw.replace(b"\r\n", b"\n")
    head, _sep, body = text.partition(b"\n\n")
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1][1] += b"\n" + line
        elif b":" in line:
            name, value = line.split(b":", 1)
            headers.append([name.decode("ascii", "replace"), value])
    return headers, body


def _canon_header(name, value):
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\n", b"")).strip()
    return name.strip().lower().encode() + b":" + value


def _canon_body(body):
    lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" \t") for line in body.split(b"\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def _signed_data(headers, names, sig_value):
    pool = list(headers)
    out = b""
    for name in names:
        for i in range(len(pool) - 1, -1, -1):  # the last instance first (RFC 6376 5.4.2)
            if pool[i][0].lower() == name:
                out += _canon_header(pool[i][0], pool[i][1]) + b"\r\n"
                del pool[i]
                break
    return out + _canon_header("DKIM-Signature", re.sub(rb"(\bb=)[^;]*", rb"\1", sig_value))


def sign(raw, domain, selector, private_pem):
    """The message with a DKIM-Signature for ``d=domain`` on top."""
    headers, body = _split(raw)
    names = [n for n in SIGNED if any(h[0].lower() == n for h in headers)]
    bh = base64.b64encode(hashlib.sha256(_canon_body(body)).digest()).decode()
    value = (" v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; h=%s; bh=%s; b=" % (domain, selector, ":".join(names), bh)).encode()
    key = serialization.load_pem_private_key(private_pem, password=None)
    signature = key.sign(_signed_data(headers, names, value), padding.PKCS1v15(), hashes.SHA256())
    return b"DKIM-Signature:" + value + base64.b64encode(signature) + b"\n" + raw


def verify(raw, lookup):
    """[(result, domain)] for each DKIM-Signature: pass, fail (does not verify), neutral (no key found).
    ``lookup(selector, domain)`` -> the base64 public key or None."""
    headers, body = _split(raw)
    results = []
    for name, value in headers:
        if name.lower() != "dkim-signature":
            continue
        tags = dict((k.strip(), re.sub(rb"\s+", b"", v).decode("ascii", "replace"))
                    for k, v in (t.split(b"=", 1) for t in value.decode("ascii", "replace").encode().split(b";")
                                 if b"=" in t) for k in [k.decode()])
        domain = tags.get("d", "").lower()
        public = lookup(tags.get("s", ""), domain)
        if not public:
            results.append(("neutral", domain))
            continue
        try:
            if base64.b64decode(tags.get("bh", "")) != hashlib.sha256(_canon_body(body)).digest():
                raise ValueError("body hash")
            key = serialization.load_der_public_key(base64.b64decode(public))
            key.verify(base64.b64decode(tags.get("b", "")),
                       _signed_data(headers, [n.strip().lower() for n in tags.get("h", "").split(":") if n], value),
                       padding.PKCS1v15(), hashes.SHA256())
            results.append(("pass", domain))
        except Exception:  # noqa: BLE001 - any failure to verify is a failed signature
            results.append(("fail", domain))
    return results
