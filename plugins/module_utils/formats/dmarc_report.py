# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DMARC aggregate reports: unwrap what receivers send and parse it, as hostile input.

Containers: plain XML, gzip, zip, a MIME message (what an SES receipt rule stores in S3) with either attached,
and an mbox of such messages. Schemas: RFC 9990 (namespace ``urn:ietf:params:xml:ns:dmarc-2.0``), RFC 7489
(``<version>1.0</version>``) and the pre-RFC draft; elements are matched by local name, so one reader serves
all three.

Hardening (every limit is a :class:`Limits` field):

* the prolog goes through ``defusedxml``: a DTD, and with it any entity declaration or external entity, is
  refused, so entity expansion ("billion laughs") and XXE never run; a DOCTYPE anywhere else is not well-formed;
* decompression is streamed through a counter that stops at ``max_bytes`` of output and at ``max_ratio``
  output / input (zip and gzip bombs), before the bytes are kept;
* the XML is parsed incrementally (ElementTree's pull parser) and each ``<record>`` is freed once read, so memory stays
  flat whatever the number of records;
* what cannot be read raises :class:`ReportError` with a short reason; callers quarantine the file and go on.

Tolerated, because real reporters send it: invalid UTF-8 (bytes replaced, the report is still counted),
a stray ``&``, junk after ``</feedback>``, a missing XML declaration or one that lies about the encoding.
Truncated XML is not repaired: the records after the cut would be silently missing.

Pure apart from reading the bytes it is given; no network.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zlib

try:
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException
    HAS_DEFUSEDXML = True
    DEFUSEDXML_IMPORT_ERROR = None
except ImportError as _exc:  # reported by the module with the pip command
    SafeET = None

    class DefusedXmlException(ValueError):
        """Stand-in so the except clauses stay valid without defusedxml (parse_xml refuses to run then)."""
    HAS_DEFUSEDXML = False
    DEFUSEDXML_IMPORT_ERROR = _exc

from ansible_collections.deliverability.ses.plugins.module_utils.formats.dmarc_records import ReportError, Reader, canonical_domain

# bumped whenever the reader accepts something it refused before: sources quarantined by an older reader are
# read again (the version is stored with each source's fingerprint)
PARSER_VERSION = "3"
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


# ----------------------------------------------------------------------------------------- XML
_CTRL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
_BRACKETED_EMAIL = re.compile(rb"<email>\s*<([^<>\s@]+@[^<>\s]+)>\s*</email>")


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
    if _BRACKETED_EMAIL.search(text):
        text = _BRACKETED_EMAIL.sub(rb"<email>\1</email>", text)  # <email><a@b></email>: seen from one reporter
        notes.append("angle brackets around the <email> address removed")
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


class _Recorder:
    """Keeps a copy of what the parser read, so a failed parse can be retried after a repair."""

    KEEP_LIMIT = 8 * 1024 * 1024  # beyond this a broken report is not repaired (memory stays flat for big ones)

    def __init__(self, stream, keep):
        self.stream = stream
        self.keep = keep
        self.copy = bytearray()
        self.overflow = False

    def keep_copy(self, data):
        if self.keep and not self.overflow:
            self.copy += data
            if len(self.copy) > self.KEEP_LIMIT:
                self.overflow = True
                self.copy = bytearray()


def _read_bounded(stream, limits):
    out = bytearray()
    while True:
        data = stream.read(_CHUNK)
        if not data:
            return bytes(out)
        out += data
        if len(out) > limits.max_bytes:
            raise ReportError("too_large", "the report is larger than max_bytes %d" % limits.max_bytes)


class _RootReached(Exception):
    """The prolog guard saw the root element: no DTD can follow (a DOCTYPE after it is not well-formed)."""


class _PrologGuard:
    """``defusedxml`` reads the prolog, the only place a DTD (and with it any entity declaration or external
    entity) can be. It stops at the root element; the rest goes to ElementTree's C parser alone, which builds
    each record in C - reading a report in Python callbacks element by element cost twice the time."""

    def __init__(self):
        self.parser = SafeET.DefusedXMLParser(target=self, forbid_dtd=True, forbid_entities=True,
                                              forbid_external=True)
        self.parser.parser.StartElementHandler = self.start  # straight from expat: the first element ends it
        self.done = False

    def start(self, tag, attrib):
        raise _RootReached()

    def feed(self, chunk):
        if not self.done:
            try:
                self.parser.feed(chunk)
            except _RootReached:
                self.done = True
                self.parser = None


def _parse(stream, limits, on_record, notes, replay=0):
    recorder = _Recorder(stream, keep=not notes)
    report = {"schema": None, "org_name": None, "email": None, "report_id": None, "date_begin": None,
              "date_end": None, "policy": {}, "records": [], "record_count": 0, "messages": 0, "repairs": list(notes),
              "errors": []}
    reader = Reader(report, limits, on_record, replay)
    try:
        guard = _PrologGuard()
        parser = ET.XMLPullParser(events=("start",))
        while True:
            chunk = recorder.stream.read(_CHUNK)
            if not chunk:
                break
            recorder.keep_copy(chunk)
            guard.feed(chunk)
            reader.feed(parser, chunk)
        reader.close(parser)
    except ReportError:
        raise
    except DefusedXmlException as exc:
        raise ReportError("forbidden", "refused: %s (DTDs, entities and external references are not allowed in "
                          "a report)" % type(exc).__name__)
    except (SafeET.ParseError, LookupError, UnicodeError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know
        if not reader.root_seen and "no element found" in str(exc):
            raise ReportError("empty", "no XML element in the report")
        if "no element found" in str(exc) or "unclosed token" in str(exc):
            raise ReportError("truncated", "the XML ends early (%s): truncated report" % exc)
        if notes or recorder.overflow:
            raise ReportError("xml", "not well-formed XML%s: %s"
                              % (" even after repair (%s)" % ", ".join(notes) if notes else "", exc))
        raise _Retry(str(exc), bytes(recorder.copy), reader.delivered)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReportError("truncated", "cannot read the report: %s" % exc)
    if not reader.root_seen:
        raise ReportError("empty", "no XML element in the report")
    if not reader.feedback_seen:
        raise ReportError("schema", "no <feedback> element (the root is <%s>): not a DMARC aggregate report"
                          % (reader.outer[0] if reader.outer else "?"))
    if not (report["org_name"] or "").strip():
        # schema-valid but empty: the domain of <email> names the reporter (as parsedmarc does), noted
        fallback = (report["email"] or "").strip().rsplit("@", 1)[-1].strip(" <>.").lower() if "@" in (
            report["email"] or "") else ""
        if not fallback:
            raise ReportError("schema", "report_metadata/org_name is missing and <email> has no domain")
        report["org_name"] = fallback
        report["repairs"].append("empty org_name: the domain of <email> (%s) used" % fallback)
    if not report["report_id"]:
        raise ReportError("schema", "report_metadata/report_id is missing")
    if not report["policy"].get("domain"):
        raise ReportError("schema", "policy_published/domain is missing")
    if report["date_begin"] is None:
        raise ReportError("schema", "report_metadata/date_range is missing")
    if report["schema"] is None:
        version = (report.get("version") or "").strip()
        # RFC 9990 says <version>2.0</version>; some reporters leave out its namespace
        report["schema"] = "rfc9990" if version.startswith("2") else ("rfc7489" if version else "draft")
    report["domain"] = canonical_domain(report["policy"]["domain"])
    return report
