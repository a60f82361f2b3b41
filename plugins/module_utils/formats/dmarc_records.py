# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a DMARC aggregate report says, read from the element tree ElementTree's C parser builds (``Reader``),
and the values it holds in one form each (counts within the schema's bounds, IP addresses, domains). The bytes,
their containers and the DTD guard are ``dmarc_report``'s. Pure."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain

NS_9990 = "urn:ietf:params:xml:ns:dmarc-2.0"
_SLICE = 512  # until <feedback> starts (the first few hundred bytes of a report)


class ReportError(Exception):
    """The input cannot be read as a report. ``kind`` is a short category (bomb, xml, schema, empty, ...)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


MAX_COUNT = 2 ** 32 - 1  # xs:unsignedInt, the schemas' type of <count>
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: a date a calendar (and datetime) can hold
MAX_REPORT_MESSAGES = 2 ** 40  # the sum of one report's counts: far above any receiver's day, far below 2^63-1
_DIGITS = re.compile(r"[+]?[0-9]{1,25}")


def _int(value, what, maximum=MAX_COUNT):
    """A whole number within 0..``maximum`` (schema bounds): anything else makes the report unreadable with
    its reason, never an overflow further down (SQLite integers end at 2^63-1, datetime at year 9999)."""
    text = str(value if value is not None else "").strip()
    # the usual case (plain ASCII digits) without the regex; the bound is checked either way
    if not (text.isascii() and text.isdigit() and len(text) <= 25) and not _DIGITS.fullmatch(text):
        raise ReportError("schema", "%s is not a whole number >= 0: %r" % (what, text[:40]))
    number = int(text)
    if number > maximum:
        raise ReportError("bounds", "%s %s is out of bounds (at most %d)" % (what, text[:40], maximum))
    return number


def _aligned(domain, header_from):
    domain = domain.lower().rstrip(".")
    return bool(domain) and (domain == header_from or domain.endswith("." + header_from)
                             or header_from.endswith("." + domain))


_SOURCE_HOST_TAGS = ("source_reverse_dns", "source_base_domain", "reverse_dns")  # not in the schemas; some send it


_NAMES = {}  # tag as ElementTree gives it ("{namespace}local" or "local") -> local name
_EVALUATED = ("disposition", "dkim", "spf")
_QUALIFIED = {}  # the tag of <record> -> each name a record holds, qualified with the record's namespace
_RECORD_NAMES = ("row", "source_ip", "count", "policy_evaluated", "disposition", "dkim", "spf", "identifiers",
                 "identities", "header_from", "envelope_from", "auth_results", "domain", "result")


def _qualified(tag):
    ns = tag[:tag.index("}") + 1] if tag.startswith("{") and "}" in tag else ""
    q = {name: ns + name for name in _RECORD_NAMES + _SOURCE_HOST_TAGS}
    if len(_QUALIFIED) < 64:  # tags come from hostile input: the cache is bounded
        _QUALIFIED[tag] = q
    return q


def _local(tag):
    name = _NAMES.get(tag)
    if name is None:
        # comments and processing instructions are not kept by the tree builder; a non-str tag reads as ""
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_NAMES) < 4096:  # tags come from hostile input: the cache is bounded
            _NAMES[tag] = name
    return name


def _text(el):
    text = el.text
    return text.strip() if text else ""


class Reader:
    """Reads what a report needs from the tree ElementTree's C parser builds. Only element starts are events, and
    only until ``<feedback>`` starts; after each chunk every child of ``<feedback>`` but the last is complete (a
    later sibling has started): it is read and dropped from the tree, so memory stays flat whatever the number
    of records."""

    def __init__(self, report, limits, on_record, replay):
        self.report = report
        self.limits = limits
        self.on_record = on_record
        self.replay = replay
        self.delivered = 0
        self.feedback = None
        self.root_seen = False
        self.feedback_seen = False
        self.outer = []  # the element around <feedback> (a stray wrapper some reporters send)

    def feed(self, parser, chunk):
        """Feed one chunk; read every child of ``<feedback>`` it completed. Until ``<feedback>`` is found the
        chunk goes in small slices, so that events stop being made right after it (see ``_found``)."""
        if self.feedback_seen:
            parser.feed(chunk)
        else:
            for i in range(0, len(chunk), _SLICE):
                parser.feed(chunk[i:i + _SLICE])
                self._look(parser)
                if self.feedback_seen:
                    parser.feed(chunk[i + _SLICE:])
                    break
        # what is queued now are events from before <feedback> was found and the parse error XMLPullParser
        # queues instead of raising it: reading them raises it
        for _event in parser.read_events():
            pass
        self._read_children(last=False)

    def close(self, parser):
        parser.close()
        if not self.feedback_seen:
            self._look(parser)
        self._read_children(last=True)

    def _look(self, parser):
        for _event, el in parser.read_events():
            name = _local(el.tag)
            if not self.root_seen:
                self.root_seen = True
                if name != "feedback":
                    self.outer.append(name)
            if name == "feedback":
                self._found(el, parser)
                return

    def _read_children(self, last):
        fb = self.feedback
        if fb is not None:
            done = len(fb) if last else len(fb) - 1
            if done > 0:
                for el in fb[:done]:
                    self._child(el)
                del fb[:done]

    def _found(self, el, parser):
        try:
            # no more events: from here on the tree is read directly (an event per element cost a third of the
            # parse). Private but stable since Python 3.4; without it every later event is read and dropped.
            parser._parser._setevents(parser._events_queue, ())  # pylint: disable=protected-access
        except AttributeError:
            pass
        self.feedback_seen = True
        self.feedback = el
        if self.outer:
            self.report["repairs"].append("<feedback> read inside a stray <%s> element" % self.outer[0])
        self.report["schema"] = "rfc9990" if el.tag.startswith("{" + NS_9990 + "}") else None

    def _child(self, el):
        name = _local(el.tag)
        report = self.report
        if name == "record":
            self._record(el)
        elif name == "version":
            report["version"] = _text(el)
        elif name == "report_metadata":
            for ch in el:
                key = _local(ch.tag)
                if key in ("org_name", "email", "report_id"):
                    report[key] = _text(ch)
                elif key == "error":
                    text = _text(ch)
                    if text:
                        report["errors"].append(text[:200])
                elif key == "date_range":
                    for d in ch:
                        key = _local(d.tag)
                        if key in ("begin", "end"):
                            report["date_" + key] = _int(_text(d), "date_range/" + key, MAX_EPOCH)
        elif name == "policy_published":
            for ch in el:
                report["policy"][_local(ch.tag)] = _text(ch)

    def _record(self, el):
        tag = el.tag
        q = _QUALIFIED.get(tag)
        if q is None:
            q = _qualified(tag)
        row = el.find(q["row"])
        if row is None or row.find(q["source_ip"]) is None:
            return self._record_by_name(el)  # children in another namespace than <record>: read by local name
        # the hot path of ingestion: ElementTree's C find / findtext with the names qualified once per namespace
        # (a Python step per element cost more than the C parser reading it)
        rec = {"source_ip": canonical_ip(row.findtext(q["source_ip"], "")),
               "count": row.findtext(q["count"], "").strip() or None, "disposition": "", "dkim": "", "spf": "",
               "header_from": "", "envelope_from": "", "dkim_domain": "", "dkim_result": "", "spf_domain": "",
               "spf_result": "", "source_host": "", "_dkims": [], "_row": True}
        evaluated = row.find(q["policy_evaluated"])
        if evaluated is not None:
            for key in _EVALUATED:
                text = evaluated.findtext(q[key])
                if text:
                    rec[key] = text.strip().lower()
        if len(row) > 3:  # more than source_ip, count and policy_evaluated: a reverse name some reporters add
            for key in _SOURCE_HOST_TAGS:
                text = row.findtext(q[key])
                if text is not None:
                    rec["source_host"] = text.strip().lower().rstrip(".")
                    break
        ids = el.find(q["identifiers"])
        if ids is None:
            ids = el.find(q["identities"])  # the pre-RFC draft
        if ids is not None:
            for key in ("header_from", "envelope_from"):
                text = ids.findtext(q[key])
                if text:
                    rec[key] = text.strip().lower().rstrip(".")
        auth = el.find(q["auth_results"])
        if auth is not None:
            for dkim in auth.findall(q["dkim"]):
                rec["_dkims"].append({"domain": (dkim.findtext(q["domain"]) or "").strip().lower().rstrip("."),
                                      "result": (dkim.findtext(q["result"]) or "").strip().lower()})
            for spf in auth.findall(q["spf"]):
                rec["spf_domain"] = (spf.findtext(q["domain"]) or "").strip().lower().rstrip(".")
                rec["spf_result"] = (spf.findtext(q["result"]) or "").strip().lower()
        self._finish(rec)

    def _record_by_name(self, el):
        # the hot loop of ingestion (one pass per record): names from a dict, text stripped inline - a Python
        # function call per element cost more than ElementTree's C parser reading it
        names = _NAMES
        rec = {"source_ip": "", "count": None, "disposition": "", "dkim": "", "spf": "", "header_from": "",
               "envelope_from": "", "dkim_domain": "", "dkim_result": "", "spf_domain": "", "spf_result": "",
               "source_host": "", "_dkims": [], "_row": False}
        for part in el:
            name = names.get(part.tag) or _local(part.tag)
            if name == "row":
                rec["_row"] = True
                for ch in part:
                    key = names.get(ch.tag) or _local(ch.tag)
                    if key == "policy_evaluated":
                        for p in ch:
                            key = names.get(p.tag) or _local(p.tag)
                            if key in _EVALUATED:
                                t = p.text
                                rec[key] = t.strip().lower() if t else ""
                        continue
                    t = ch.text
                    t = t.strip() if t else ""
                    if key == "source_ip":
                        rec["source_ip"] = canonical_ip(t)
                    elif key == "count":
                        rec["count"] = t
                    elif key in _SOURCE_HOST_TAGS and not rec["source_host"]:
                        rec["source_host"] = t.lower().rstrip(".")
            elif name == "identifiers" or name == "identities":  # identities: the pre-RFC draft
                for ch in part:
                    key = names.get(ch.tag) or _local(ch.tag)
                    if key == "header_from" or key == "envelope_from":
                        t = ch.text
                        rec[key] = t.strip().lower().rstrip(".") if t else ""
            elif name == "auth_results":
                for ch in part:
                    key = names.get(ch.tag) or _local(ch.tag)
                    if key == "dkim":
                        dkim = {"domain": "", "result": ""}
                        for x in ch:
                            k = names.get(x.tag) or _local(x.tag)
                            if k == "domain" or k == "result":
                                t = x.text
                                dkim[k] = (t.strip().lower().rstrip(".") if k == "domain" else t.strip().lower()) \
                                    if t else ""
                        rec["_dkims"].append(dkim)
                    elif key == "spf":
                        for x in ch:
                            k = names.get(x.tag) or _local(x.tag)
                            if k == "domain" or k == "result":
                                t = x.text
                                rec["spf_" + k] = (t.strip().lower().rstrip(".") if k == "domain"
                                                   else t.strip().lower()) if t else ""
        self._finish(rec)

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
            best = dkims[0] if len(dkims) == 1 else next(
                (d for d in dkims if d["result"] == "pass" and _aligned(d["domain"], rec["header_from"])), dkims[0])
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
