# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DMARC aggregate reports: unwrap what receivers send and parse it, as hostile input.

Containers: plain XML, gzip, zip, a MIME message (what an SES receipt rule stores in S3) with either attached,
and an mbox of such messages. Schemas: RFC 9990 (namespace ``urn:ietf:params:xml:ns:dmarc-2.0``), RFC 7489
(``<version>1.0</version>``) and the pre-RFC draft; elements are matched by local name, so one reader serves
all three.

Hardening (every limit is a :class:`Limits` field):

* XML goes through ``defusedxml``: a DTD, entity declarations and external entities are refused, so entity
  expansion ("billion laughs") and XXE never run;
* decompression is streamed through a counter that stops at ``max_bytes`` of output and at ``max_ratio``
  output / input (zip and gzip bombs), before the bytes are kept;
* the XML is parsed incrementally (``iterparse``) and each ``<record>`` is freed once read, so memory stays
  flat whatever the number of records;
* what cannot be read raises :class:`ReportError` with a short reason; callers quarantine the file and go on.

Tolerated, because real reporters send it: invalid UTF-8 (bytes replaced, the report is still counted),
a stray ``&``, junk after ``</feedback>``, a missing XML declaration or one that lies about the encoding.
Truncated XML is not repaired: the records after the cut would be silently missing.

Pure apart from reading the bytes it is given; no network.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import io
import re
import zipfile
import zlib

try:
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException
    HAS_DEFUSEDXML = True
    DEFUSEDXML_IMPORT_ERROR = None
except ImportError as _exc:  # reported by the module with the pip command
    SafeET = None
    DefusedXmlException = Exception
    HAS_DEFUSEDXML = False
    DEFUSEDXML_IMPORT_ERROR = _exc

NS_9990 = "urn:ietf:params:xml:ns:dmarc-2.0"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 64 * 1024


class Limits:
    """Size limits for one input file. ``max_bytes``: decompressed bytes of one report; ``max_ratio``: output /
    input of a decompression (checked once the output passes ``ratio_floor``); ``max_input``: bytes of one file
    or S3 object; ``max_records``: records of one report; ``max_members``: reports in one zip / MIME / mbox."""

    def __init__(self, max_bytes=64 * 1024 * 1024, max_ratio=200, max_input=32 * 1024 * 1024, max_records=200000,
                 max_members=1000, ratio_floor=1024 * 1024):
        self.max_bytes = max_bytes
        self.max_ratio = max_ratio
        self.max_input = max_input
        self.max_records = max_records
        self.max_members = max_members
        self.ratio_floor = ratio_floor


class ReportError(Exception):
    """The input cannot be read as a report. ``kind`` is a short category (bomb, xml, schema, empty, ...)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


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
    if not data:
        raise ReportError("empty", "the file is empty")
    if len(data) > limits.max_input:
        raise ReportError("too_large", "%d bytes is more than max_input %d" % (len(data), limits.max_input))
    kind = sniff(data[:4096], name)
    if kind == "xml":
        yield name, io.BytesIO(data)
    elif kind == "gzip":
        yield name, gunzip(io.BytesIO(data), limits, "the gzip file")
    elif kind == "zip":
        yield from _zip_reports(data, name, limits)
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
        yield from open_reports(payload, "%s/%s" % (name, filename or "attachment%d" % found), limits)
    if not found:
        raise ReportError("no_report", "the message has no XML, gzip or zip attachment (subject %r)"
                          % str(message.get("Subject", ""))[:80])


def _split_mbox(data):
    """Messages of an mbox (mboxrd / mboxo: ``From `` lines at the start of a line separate them)."""
    parts = re.split(rb"(?:^|\n)From [^\n]*\n", data)
    for part in parts:
        if part.strip():
            yield re.sub(rb"(?m)^>(>*From )", rb"\1", part)


# ----------------------------------------------------------------------------------------- XML
def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(elem, name, default=None):
    for child in elem:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return default


def _child(elem, name):
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _int(value, what):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ReportError("schema", "%s is not a whole number: %r" % (what, value))


_CTRL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


def _repair(raw):
    """Safe repairs of slightly broken XML. Returns (bytes, [what was repaired])."""
    notes = []
    text = raw.lstrip(b"\xef\xbb\xbf")
    decoded = text.decode("utf-8", errors="replace")
    if "\ufffd" in decoded and b"\xef\xbf\xbd" not in text:
        notes.append("invalid UTF-8 replaced")
    text = decoded.encode("utf-8")
    decl = _DECL.match(text)
    if decl:
        enc = re.search(rb"encoding\s*=\s*[\"']([^\"']+)", decl.group(0))
        if enc and enc.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            notes.append("encoding %s in the XML declaration ignored (read as UTF-8)" % enc.group(1).decode("ascii", "replace"))
        text = _DECL.sub(b"", text, count=1)  # it may name an encoding the bytes are not in: they are UTF-8 now
    if _CTRL.search(text):
        text = _CTRL.sub(b"", text)
        notes.append("control characters removed")
    if _BARE_AMP.search(text):
        text = _BARE_AMP.sub(b"&amp;", text)
        notes.append("bare & escaped")
    end = text.rfind(b"</feedback>")
    if end >= 0 and text[end + len(b"</feedback>"):].strip():
        text = text[:end + len(b"</feedback>")]
        notes.append("data after </feedback> dropped")
    return text, notes


def parse_xml(stream, limits, on_record=None):
    """Parse one aggregate report from a binary stream; return the report dict.

    ``on_record(record)`` is called for each record as it is read (then the record is not kept in the
    report, so memory stays flat); without it the records are in ``report["records"]``.
    Raises ReportError (kind ``xml``, ``forbidden``, ``schema``, ``bomb``, ``truncated``).
    """
    if not HAS_DEFUSEDXML:
        raise ReportError("missing_library", "defusedxml is required: %s" % DEFUSEDXML_IMPORT_ERROR)
    try:
        head = stream.peek(1)[:1] if hasattr(stream, "peek") else b"x"
    except ReportError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise ReportError("truncated", "cannot read: %s" % exc)
    if not head:
        raise ReportError("empty", "the report is empty")
    try:
        return _parse(stream, limits, on_record, [])
    except _Retry as retry:
        # slightly broken XML: read it whole (bounded), repair what is safe to repair, parse again
        data = retry.prefix + _read_bounded(stream, limits)
        fixed, notes = _repair(data)
        if not notes:
            raise ReportError("xml", "not well-formed XML: %s" % retry.error)
        return _parse(io.BytesIO(fixed), limits, on_record, notes, replay=retry.delivered)


class _Retry(Exception):
    def __init__(self, error, prefix, delivered):
        super().__init__(error)
        self.error = error
        self.prefix = prefix
        self.delivered = delivered


class _Recorder(io.RawIOBase):
    """Keeps a copy of what the parser read, so a failed parse can be retried after a repair."""

    KEEP_LIMIT = 8 * 1024 * 1024  # beyond this a broken report is not repaired (memory stays flat for big ones)

    def __init__(self, stream, keep):
        self.stream = stream
        self.keep = keep
        self.copy = bytearray()
        self.overflow = False

    def readable(self):
        return True

    def readinto(self, b):
        data = self.stream.read(len(b))
        n = len(data)
        b[:n] = data
        if self.keep and not self.overflow:
            self.copy += data
            if len(self.copy) > self.KEEP_LIMIT:
                self.overflow = True
                self.copy = bytearray()
        return n


def _read_bounded(stream, limits):
    out = bytearray()
    while True:
        data = stream.read(_CHUNK)
        if not data:
            return bytes(out)
        out += data
        if len(out) > limits.max_bytes:
            raise ReportError("too_large", "the report is larger than max_bytes %d" % limits.max_bytes)


_RECORD_FIELDS = ("source_ip", "count", "disposition", "dkim", "spf", "header_from", "envelope_from",
                  "dkim_domain", "dkim_result", "spf_domain", "spf_result", "source_host")


def _record(elem):
    row = _child(elem, "row")
    if row is None:
        raise ReportError("schema", "a <record> without <row>")
    pe = _child(row, "policy_evaluated")
    ids = _child(elem, "identifiers")
    if ids is None:
        ids = _child(elem, "identities")  # the pre-RFC draft
    auth = _child(elem, "auth_results")
    source_ip = _text(row, "source_ip")
    if not source_ip:
        raise ReportError("schema", "a record without <source_ip>")
    out = {"source_ip": source_ip, "count": _int(_text(row, "count"), "record count"),
           "disposition": ((pe is not None and _text(pe, "disposition")) or "none").lower(),
           "dkim": ((pe is not None and _text(pe, "dkim")) or "fail").lower(),
           "spf": ((pe is not None and _text(pe, "spf")) or "fail").lower(),
           "header_from": ((ids is not None and _text(ids, "header_from")) or "").lower().rstrip("."),
           "envelope_from": ((ids is not None and _text(ids, "envelope_from")) or "").lower().rstrip("."),
           "dkim_domain": "", "dkim_result": "", "spf_domain": "", "spf_result": "",
           # not in the schemas; some reporters add it, and it is what a person recognises
           "source_host": (_text(row, "source_reverse_dns") or _text(row, "source_base_domain")
                           or _text(row, "reverse_dns") or "").lower().rstrip(".")}
    if out["count"] < 0:
        raise ReportError("schema", "a negative record count")
    if auth is not None:
        dkims = [c for c in auth if _local(c.tag) == "dkim"]
        # the aligned signature is the interesting one; otherwise the first
        best = next((d for d in dkims if (_text(d, "result") or "").lower() == "pass"
                     and _aligned(_text(d, "domain") or "", out["header_from"])), dkims[0] if dkims else None)
        if best is not None:
            out["dkim_domain"] = (_text(best, "domain") or "").lower().rstrip(".")
            out["dkim_result"] = (_text(best, "result") or "").lower()
        spf = _child(auth, "spf")
        if spf is not None:
            out["spf_domain"] = (_text(spf, "domain") or "").lower().rstrip(".")
            out["spf_result"] = (_text(spf, "result") or "").lower()
    if out["disposition"] not in ("none", "quarantine", "reject"):
        out["disposition"] = "none" if out["disposition"] in ("pass", "") else out["disposition"][:20]
    return out


def _aligned(domain, header_from):
    domain = domain.lower().rstrip(".")
    return bool(domain) and (domain == header_from or domain.endswith("." + header_from)
                             or header_from.endswith("." + domain))


def _parse(stream, limits, on_record, notes, replay=0):
    recorder = _Recorder(stream, keep=not notes)
    buffered = io.BufferedReader(recorder, _CHUNK)
    report = {"schema": None, "org_name": None, "email": None, "report_id": None, "date_begin": None,
              "date_end": None, "policy": {}, "records": [], "record_count": 0, "messages": 0, "repairs": notes,
              "errors": []}
    delivered = 0
    depth = 0
    root_seen = False
    try:
        for event, elem in SafeET.iterparse(buffered, events=("start", "end"), forbid_dtd=True,
                                            forbid_entities=True, forbid_external=True):
            name = _local(elem.tag)
            if event == "start":
                depth += 1
                if depth == 1:
                    root_seen = True
                    if name != "feedback":
                        raise ReportError("schema", "the root element is <%s>, not <feedback> (not a DMARC "
                                          "aggregate report)" % name)
                    report["schema"] = "rfc9990" if elem.tag.startswith("{%s}" % NS_9990) else None
                continue
            depth -= 1
            if name == "version" and depth == 1:
                report["version"] = (elem.text or "").strip()
            elif name == "report_metadata" and depth == 1:
                report["org_name"] = _text(elem, "org_name")
                report["email"] = _text(elem, "email")
                report["report_id"] = _text(elem, "report_id")
                rng = _child(elem, "date_range")
                if rng is not None:
                    report["date_begin"] = _int(_text(rng, "begin"), "date_range/begin")
                    report["date_end"] = _int(_text(rng, "end"), "date_range/end")
                for err in elem:
                    if _local(err.tag) == "error" and err.text:
                        report["errors"].append(err.text.strip()[:200])
                elem.clear()
            elif name == "policy_published" and depth == 1:
                report["policy"] = dict((_local(c.tag), (c.text or "").strip()) for c in elem)
                elem.clear()
            elif name == "record" and depth == 1:
                rec = _record(elem)
                report["record_count"] += 1
                report["messages"] += rec["count"]
                if report["record_count"] > limits.max_records:
                    raise ReportError("too_large", "more than %d records (limit max_records)" % limits.max_records)
                delivered += 1
                if delivered > replay:  # after a repair, records already handed over are not handed over again
                    if on_record is not None:
                        on_record(rec)
                    else:
                        report["records"].append(rec)
                elem.clear()
    except ReportError:
        raise
    except DefusedXmlException as exc:
        raise ReportError("forbidden", "refused: %s (DTDs, entities and external references are not allowed in "
                          "a report)" % type(exc).__name__)
    except (SafeET.ParseError, LookupError, UnicodeError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know
        if not root_seen and "no element found" in str(exc):
            raise ReportError("empty", "no XML element in the report")
        if "no element found" in str(exc) or "unclosed token" in str(exc):
            raise ReportError("truncated", "the XML ends early (%s): truncated report" % exc)
        if notes or recorder.overflow:
            raise ReportError("xml", "not well-formed XML%s: %s"
                              % (" even after repair (%s)" % ", ".join(notes) if notes else "", exc))
        raise _Retry(str(exc), bytes(recorder.copy), delivered)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReportError("truncated", "cannot read the report: %s" % exc)
    if not root_seen:
        raise ReportError("empty", "no XML element in the report")
    for field in ("org_name", "report_id"):
        if not report[field]:
            raise ReportError("schema", "report_metadata/%s is missing" % field)
    if not report["policy"].get("domain"):
        raise ReportError("schema", "policy_published/domain is missing")
    if report["date_begin"] is None:
        raise ReportError("schema", "report_metadata/date_range is missing")
    if report["schema"] is None:
        report["schema"] = "rfc7489" if report.get("version") else "draft"
    report["domain"] = report["policy"]["domain"].lower().rstrip(".")
    return report
