# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containers DMARC aggregate reports arrive in, unwrapped as hostile input: gzip, zip, MIME mail (what an SES
receipt rule stores in S3) with either attached, and mbox; decompression streamed through a counter that stops
at the limits (zip and gzip bombs); and what SES's Authentication-Results on the stored mail proved about its
sender. The XML inside is read by formats/dmarc_report.py. Pure apart from reading the bytes it is given."""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import re
import zipfile
import zlib

from ansible_collections.deliverability.ses.plugins.module_utils.formats.dmarc_report import _CHUNK, GZIP_MAGIC, ZIP_MAGIC, ReportError


# ----------------------------------------------------------------------------------------- bounded streams
class _Bounded(io.RawIOBase):
    """A readable stream over a decompressor that refuses to produce more than the limits allow."""

    def __init__(self, chunks, limits, what, compressed_size=None):
        self._chunks = chunks
        self._buf = b""
        self.limits = limits
        self.what = what
        self.out = 0
        self.compressed_size = compressed_size  # callable: bytes of input consumed so far

    def readable(self):
        return True

    def _check(self):
        if self.out > self.limits.max_bytes:
            raise ReportError("bomb", "%s expands beyond %d bytes (limit max_bytes)" % (self.what, self.limits.max_bytes))
        if self.compressed_size and self.out > self.limits.ratio_floor:
            consumed = max(1, self.compressed_size())
            if self.out / consumed > self.limits.max_ratio:
                raise ReportError("bomb", "%s expands more than %d:1 (%d bytes from %d; limit max_ratio)"
                                  % (self.what, self.limits.max_ratio, self.out, consumed))

    def readinto(self, b):
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
            self.out += len(self._buf)
            self._check()
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _gunzip_chunks(raw, state):
    """Decompress gzip members from file-like ``raw`` (several members and odd header flags allowed)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    seen_data = False
    while True:
        data = raw.read(_CHUNK)
        if not data:
            break
        state["in"] += len(data)
        while data:
            out = d.decompress(data, _CHUNK)
            if out:
                seen_data = True
                yield out
            while d.unconsumed_tail:
                out = d.decompress(d.unconsumed_tail, _CHUNK)
                if out:
                    yield out
            data = d.unused_data
            if data and d.eof:
                if not data.startswith(GZIP_MAGIC):
                    data = b""  # trailing garbage after the last member: some gateways pad attachments
                    break
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""
    if not d.eof:
        raise ReportError("truncated", "the gzip stream is truncated (%s)" % ("after some data" if seen_data else "no data"))


def gunzip(raw, limits, what="gzip"):
    state = {"in": 0}
    return io.BufferedReader(_Bounded(_gunzip_chunks(raw, state), limits, what, lambda: state["in"]), _CHUNK)


def _zip_member_chunks(zf, info):
    with zf.open(info) as fh:
        while True:
            data = fh.read(_CHUNK)
            if not data:
                return
            yield data


# ----------------------------------------------------------------------------------------- containers
def sniff(head, name=""):
    """The container of a file from its first bytes (and name): xml, gzip, zip, mime, mbox or None."""
    lowered = name.lower()
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"From ") and re.search(rb"\n[A-Za-z-]+: ", text):
        return "mbox"
    if re.match(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]", text) or lowered.endswith(".eml"):
        return "mime"
    return None


def open_reports(data, name, limits):
    """Yield ``(member name, readable binary stream of XML)`` for every report in the bytes of one file.

    Raises ReportError when the container itself cannot be read. A stream raises ReportError when read if it
    breaks a limit or is truncated.
    """
    for member, stream, _mail in open_reports_with_mail(data, name, limits):
        yield member, stream


def open_reports_with_mail(data, name, limits, mail=None):
    """As :func:`open_reports`, with a third item: :func:`mail_auth` of the message that carried the report
    (None for a file that is not a mail)."""
    if not data:
        raise ReportError("empty", "the file is empty")
    if len(data) > limits.max_input:
        raise ReportError("too_large", "%d bytes is more than max_input %d" % (len(data), limits.max_input))
    kind = sniff(data[:4096], name)
    if kind == "xml":
        yield name, io.BytesIO(data), mail
    elif kind == "gzip":
        yield name, gunzip(io.BytesIO(data), limits, "the gzip file"), mail
    elif kind == "zip":
        for member, stream in _zip_reports(data, name, limits):
            yield member, stream, mail
    elif kind == "mime":
        yield from _mime_reports(data, name, limits)
    elif kind == "mbox":
        count = 0
        for message in _split_mbox(data):
            count += 1
            if count > limits.max_members:
                raise ReportError("too_many", "more than %d messages (limit max_members)" % limits.max_members)
            yield from _mime_reports(message, "%s#%d" % (name, count), limits)
    else:
        raise ReportError("unknown_format", "not XML, gzip, zip, a MIME message or an mbox (first bytes %r)"
                          % data[:16])


def _zip_reports(data, name, limits):
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ReportError("bad_zip", "not a readable zip: %s" % exc)
    if not infos:
        raise ReportError("empty", "the zip has no files")
    if len(infos) > limits.max_members:
        raise ReportError("too_many", "the zip has %d files (limit max_members %d)" % (len(infos), limits.max_members))
    for info in infos:
        what = "%s in the zip" % info.filename
        # the declared sizes are checked first (cheap), the real output again while it streams
        if info.file_size > limits.max_bytes:
            raise ReportError("bomb", "%s declares %d bytes (limit max_bytes)" % (what, info.file_size))
        if info.compress_size and info.file_size / max(1, info.compress_size) > limits.max_ratio and \
                info.file_size > limits.ratio_floor:
            raise ReportError("bomb", "%s declares a %d:1 ratio (limit max_ratio)"
                              % (what, info.file_size // max(1, info.compress_size)))
        try:
            stream = io.BufferedReader(_Bounded(_zip_member_chunks(zf, info), limits, what,
                                                lambda size=info.compress_size: size), _CHUNK)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise ReportError("bad_zip", "%s: %s" % (what, exc))
        inner = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
        if inner.startswith(GZIP_MAGIC):
            stream = gunzip(stream, limits, what)
        yield "%s/%s" % (name, info.filename), stream


_ATTACHMENT_TYPES = ("application/gzip", "application/x-gzip", "application/zip", "application/x-zip-compressed",
                     "application/x-zip", "application/xml", "text/xml", "application/octet-stream",
                     "application/x-gzip-compressed", "application/gzip-compressed")


def _mime_reports(data, name, limits):
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # noqa: BLE001 - the email package raises many kinds on garbage
        raise ReportError("bad_mime", "not a readable MIME message: %s" % exc)
    auth = mail_auth(message)
    found = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "").lower()
        filename = part.get_filename() or ""
        if ctype not in _ATTACHMENT_TYPES and not re.search(r"\.(xml|gz|zip)$", filename.lower()):
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception as exc:  # noqa: BLE001 - broken transfer encodings
            raise ReportError("bad_mime", "attachment %r cannot be decoded: %s" % (filename, exc))
        kind = sniff(payload[:4096], filename)
        if kind not in ("xml", "gzip", "zip"):
            continue
        found += 1
        if found > limits.max_members:
            raise ReportError("too_many", "more than %d attachments (limit max_members)" % limits.max_members)
        yield from open_reports_with_mail(payload, "%s/%s" % (name, filename or "attachment%d" % found), limits,
                                          mail=auth)
    if not found:
        raise ReportError("no_report", "the message has no XML, gzip or zip attachment (subject %r)"
                          % str(message.get("Subject", ""))[:80])


SES_AUTHSERV = "amazonses.com"
_AR_RESULT = re.compile(r"(?:^|;)\s*(spf|dkim|dmarc)\s*=\s*([A-Za-z]+)([^;]*)")
_AR_PROP = re.compile(r"(header\.[a-z]+|smtp\.[a-z]+)\s*=\s*([^\s;()]+)")


def _domain_of(value):
    value = (value or "").strip().strip("<>\"").lower().rstrip(".")
    return value.rsplit("@", 1)[-1]


def mail_auth(message):
    """How the mail that carried a report authenticated, from the ``Authentication-Results`` header SES
    receiving adds on top of the stored message (RFC 8601), and SES's spam / virus verdict headers.

    Only the topmost ``Authentication-Results`` is read, and only when its authserv-id is SES's
    (``amazonses.com``): a sender can put any header it likes below the ones the receiving server adds.
    Returns ``{authserv, spf, dkim: [{result, domain}], dmarc, dmarc_from, from_domain, spam, virus}``;
    ``authserv`` None (nothing proved) when SES's header is missing.
    """
    out = {"authserv": None, "spf": None, "dkim": [], "dmarc": None, "dmarc_from": None,
           "from_domain": _domain_of(email.utils.parseaddr(str(message.get("From", "")))[1]),
           "spam": (str(message.get("X-SES-Spam-Verdict", "")).strip().upper() or None),
           "virus": (str(message.get("X-SES-Virus-Verdict", "")).strip().upper() or None)}
    headers = message.get_all("Authentication-Results") or []
    if not headers:
        return out
    text = re.sub(r"\([^()]*\)", " ", " ".join(str(headers[0]).split()))  # comments out, one line
    authserv, _sep, rest = text.partition(";")
    if authserv.strip().split()[:1] != [SES_AUTHSERV]:
        return out
    out["authserv"] = SES_AUTHSERV
    for method, result, props in _AR_RESULT.findall(";" + rest):
        result = result.lower()
        properties = dict((k.lower(), v) for k, v in _AR_PROP.findall(props))
        if method == "spf":
            out["spf"] = result
        elif method == "dkim":
            out["dkim"].append({"result": result,
                                "domain": _domain_of(properties.get("header.d") or properties.get("header.i"))})
        elif method == "dmarc":
            out["dmarc"] = result
            out["dmarc_from"] = _domain_of(properties.get("header.from"))
    return out


def _split_mbox(data):
    """Messages of an mbox (mboxrd / mboxo: ``From `` lines at the start of a line separate them)."""
    parts = re.split(rb"(?:^|\n)From [^\n]*\n", data)
    for part in parts:
        if part.strip():
            yield re.sub(rb"(?m)^>(>*From )", rb"\1", part)
