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

import io
import ipaddress
import re
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

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain

NS_9990 = "urn:ietf:params:xml:ns:dmarc-2.0"
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


class ReportError(Exception):
    """The input cannot be read as a report. ``kind`` is a short category (bomb, xml, schema, empty, ...)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


# ----------------------------------------------------------------------------------------- XML
MAX_COUNT = 2 ** 32 - 1  # xs:unsignedInt, the schemas' type of <count>
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: a date a calendar (and datetime) can hold
MAX_REPORT_MESSAGES = 2 ** 40  # the sum of one report's counts: far above any receiver's day, far below 2^63-1
_DIGITS = re.compile(r"[+]?[0-9]{1,25}")


def _int(value, what, maximum=MAX_COUNT):
    """A whole number within 0..``maximum`` (schema bounds): anything else makes the report unreadable with
    its reason, never an overflow further down (SQLite integers end at 2^63-1, datetime at year 9999)."""
    text = str(value if value is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        raise ReportError("schema", "%s is not a whole number >= 0: %r" % (what, text[:40]))
    number = int(text)
    if number > maximum:
        raise ReportError("bounds", "%s %s is out of bounds (at most %d)" % (what, text[:40], maximum))
    return number


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


def _aligned(domain, header_from):
    domain = domain.lower().rstrip(".")
    return bool(domain) and (domain == header_from or domain.endswith("." + header_from)
                             or header_from.endswith("." + domain))


_SOURCE_HOST_TAGS = ("source_reverse_dns", "source_base_domain", "reverse_dns")  # not in the schemas; some send it


class _Target:
    """An ElementTree parser target that keeps only what a report needs: no element tree is built, each record
    is handed over as soon as it ends, so memory stays flat whatever the number of records."""

    def __init__(self, report, limits, on_record, replay):
        self.report = report
        self.limits = limits
        self.on_record = on_record
        self.replay = replay
        self.delivered = 0
        self.stack = []
        # the character data of the element being read: expat appends to it directly (a C call, no Python
        # function per text chunk - most of the reading time was spent in such calls)
        self.text = []
        self.rec = None
        self.dkim = None
        self.root_seen = False
        self.feedback_seen = False
        self.outer = []  # elements around <feedback> (a stray wrapper some reporters send)
        self._names = {}  # expat tag -> local name

    def start(self, tag, attrib):
        name = self._names.get(tag)
        if name is None:
            name = self._names[tag] = tag.rsplit("}", 1)[-1]
        if not self.stack:
            self.root_seen = True
            if name != "feedback" or self.feedback_seen:
                # not (yet) the report: a wrapper; a <feedback> inside it is read, the rest ignored
                self.outer.append(name)
                return
            self.feedback_seen = True
            if self.outer:
                self.report["repairs"].append("<feedback> read inside a stray <%s> element" % self.outer[0])
            # raw expat names are "namespace}local" (ElementTree's own handlers, bypassed, would add the "{")
            self.report["schema"] = "rfc9990" if tag.lstrip("{").startswith(NS_9990 + "}") else None
        elif name == "record" and len(self.stack) == 1:
            self.rec = {"source_ip": "", "count": None, "disposition": "", "dkim": "", "spf": "", "header_from": "",
                        "envelope_from": "", "dkim_domain": "", "dkim_result": "", "spf_domain": "",
                        "spf_result": "", "source_host": "", "_dkims": [], "_row": False}
        elif name == "dkim" and self.rec is not None and self.stack[-1] == "auth_results":
            self.dkim = {"domain": "", "result": ""}
        self.stack.append(name)
        self.text.clear()

    def data(self, text):
        self.text.append(text)

    def end(self, tag):
        if not self.stack:
            self.outer.pop()
            return
        name = self.stack.pop()
        buf = self.text
        text = "".join(buf).strip() if buf else ""
        buf.clear()
        stack = self.stack
        parent = stack[-1] if stack else None
        rec = self.rec
        if rec is not None:
            if parent == "row":
                if name == "source_ip":
                    rec["source_ip"] = canonical_ip(text)
                elif name == "count":
                    rec["count"] = text
                elif name in _SOURCE_HOST_TAGS and not rec["source_host"]:
                    rec["source_host"] = text.lower().rstrip(".")
            elif parent == "policy_evaluated":
                if name in ("disposition", "dkim", "spf"):
                    rec[name] = text.lower()
            elif parent in ("identifiers", "identities"):  # identities: the pre-RFC draft
                if name in ("header_from", "envelope_from"):
                    rec[name] = text.lower().rstrip(".")
            elif parent == "dkim" and self.dkim is not None and len(stack) >= 2 and stack[-2] == "auth_results":
                if name in ("domain", "result"):
                    self.dkim[name] = text.lower().rstrip(".") if name == "domain" else text.lower()
            elif parent == "spf" and len(stack) >= 2 and stack[-2] == "auth_results":
                if name == "domain":
                    rec["spf_domain"] = text.lower().rstrip(".")
                elif name == "result":
                    rec["spf_result"] = text.lower()
            elif parent == "auth_results" and name == "dkim" and self.dkim is not None:
                rec["_dkims"].append(self.dkim)
                self.dkim = None
            elif name == "row" and parent == "record":
                rec["_row"] = True
            elif name == "record" and len(stack) == 1:
                self._finish(rec)
                self.rec = None
            return
        if len(stack) == 1:
            if name == "version":
                self.report["version"] = text
            elif name == "policy_published":
                pass
        elif len(stack) >= 2 and stack[1] == "report_metadata":
            if parent == "report_metadata" and name in ("org_name", "email", "report_id"):
                self.report[name] = text
            elif parent == "report_metadata" and name == "error" and text:
                self.report["errors"].append(text[:200])
            elif parent == "date_range" and name in ("begin", "end"):
                self.report["date_" + name] = _int(text, "date_range/" + name, MAX_EPOCH)
        elif parent == "policy_published" and len(stack) == 2:
            self.report["policy"][name] = text

    def _finish(self, rec):
        if not rec.pop("_row"):
            raise ReportError("schema", "a <record> without <row>")
        if not rec["source_ip"]:
            raise ReportError("schema", "a record without <source_ip>")
        rec["count"] = _int(rec["count"], "record count")
        rec["disposition"] = rec["disposition"] or "none"
        if rec["disposition"] not in ("none", "quarantine", "reject"):
            rec["disposition"] = "none" if rec["disposition"] == "pass" else rec["disposition"][:20]
        rec["dkim"] = rec["dkim"] or "fail"
        rec["spf"] = rec["spf"] or "fail"
        dkims = rec.pop("_dkims")
        if dkims:
            # the aligned passing signature is the interesting one; otherwise the first
            best = next((d for d in dkims if d["result"] == "pass" and _aligned(d["domain"], rec["header_from"])),
                        dkims[0])
            rec["dkim_domain"], rec["dkim_result"] = best["domain"], best["result"]
        report = self.report
        report["record_count"] += 1
        report["messages"] += rec["count"]
        if report["messages"] > MAX_REPORT_MESSAGES:
            raise ReportError("bounds", "the counts sum past %d messages in one report (sum bound)"
                              % MAX_REPORT_MESSAGES)
        if report["record_count"] > self.limits.max_records:
            raise ReportError("too_large", "more than %d records (limit max_records)" % self.limits.max_records)
        self.delivered += 1
        if self.delivered > self.replay:  # after a repair, records already handed over are not handed over again
            if self.on_record is not None:
                self.on_record(rec)
            else:
                report["records"].append(rec)

    def close(self):
        return None


def _parse(stream, limits, on_record, notes, replay=0):
    recorder = _Recorder(stream, keep=not notes)
    report = {"schema": None, "org_name": None, "email": None, "report_id": None, "date_begin": None,
              "date_end": None, "policy": {}, "records": [], "record_count": 0, "messages": 0, "repairs": list(notes),
              "errors": []}
    target = _Target(report, limits, on_record, replay)
    try:
        parser = SafeET.DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        # straight from expat to the target: ElementTree's per-event wrappers cost more than the reading itself.
        # defusedxml's guards (DTD, entity declarations, external entities) are other handlers, left in place.
        expat = parser.parser
        expat.StartElementHandler = target.start
        expat.EndElementHandler = target.end
        expat.CharacterDataHandler = target.text.append
        expat.buffer_text = True  # one call per text run, not per chunk
        while True:
            chunk = recorder.stream.read(_CHUNK)
            if not chunk:
                break
            recorder.keep_copy(chunk)
            parser.feed(chunk)
        parser.close()
    except ReportError:
        raise
    except DefusedXmlException as exc:
        raise ReportError("forbidden", "refused: %s (DTDs, entities and external references are not allowed in "
                          "a report)" % type(exc).__name__)
    except (SafeET.ParseError, LookupError, UnicodeError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know
        if not target.root_seen and "no element found" in str(exc):
            raise ReportError("empty", "no XML element in the report")
        if "no element found" in str(exc) or "unclosed token" in str(exc):
            raise ReportError("truncated", "the XML ends early (%s): truncated report" % exc)
        if notes or recorder.overflow:
            raise ReportError("xml", "not well-formed XML%s: %s"
                              % (" even after repair (%s)" % ", ".join(notes) if notes else "", exc))
        raise _Retry(str(exc), bytes(recorder.copy), target.delivered)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReportError("truncated", "cannot read the report: %s" % exc)
    root_seen = target.root_seen
    if not root_seen:
        raise ReportError("empty", "no XML element in the report")
    if not target.feedback_seen:
        raise ReportError("schema", "no <feedback> element (the root is <%s>): not a DMARC aggregate report"
                          % (target.outer[0] if target.outer else "?"))
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


_IPV4_LEADING_ZERO = re.compile(r"(?:^|\.)0[0-9]")


def canonical_domain(value):
    """One key per domain: lower case, no trailing dot, IDN as punycode (straße.de and xn--strae-oqa.de alike).
    A name that is not a valid domain is kept lower-cased (what the report said)."""
    text = (value or "").strip()
    try:
        return normalize_domain(text, "policy_published/domain")
    except InputError:
        return text.lower().rstrip(".")


def canonical_ip(value):
    """IPv4 / IPv6 in one form (``2001:DB8:0::1`` -> ``2001:db8::1``); anything else as written."""
    text = (value or "").strip()
    if ":" not in text and not _IPV4_LEADING_ZERO.search(text):
        return text  # IPv4 has one written form (leading zeros aside): no need to parse it
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text
