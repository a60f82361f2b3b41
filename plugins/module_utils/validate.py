# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation at the edge: one function per kind of value, used by every module and every fleet entry.

Each check takes the value and the option name it came from, returns the value in its canonical form and
raises :class:`InputError` naming that option. Limits are the ones AWS and the RFCs document (cited at
each check). Every pattern is matched with ``fullmatch``: Python's ``$`` also matches before a final
newline, so ``"cs2\\n"`` used to pass ``^[A-Za-z0-9_-]{1,64}$``.

Pure: no boto3, no dnspython, no sockets, no files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
import unicodedata

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy.ses import CONFIG_SET_NAME
from ansible_collections.deliverability.ses.plugins.module_utils.names import (
    bad_characters, idna_encode, normalize_domain, normalize_email)

__all__ = ["InputError", "domain", "email", "dns_name", "aws_name", "sns_topic_arn", "arn", "tags", "ttl",
           "count", "number", "days", "duration", "date", "path", "reason", "text", "url", "dimension_name",
           "dimension_value", "alarm_name_prefix", "selector", "bad_characters"]


def _describe(chars):
    return ", ".join(sorted({"U+%04X" % ord(c) for c in chars}))


def text(value, option, max_len=None, min_len=1, allow="", what="a string"):
    """A string without control, format or separator characters, of min_len..max_len characters."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise InputError(option, "must be %s, got %s" % (what, type(value).__name__))
    bad = bad_characters(value, allow)
    if bad:
        raise InputError(option, "contains control or invisible characters (%s)" % _describe(bad))
    if len(value) < min_len:
        raise InputError(option, "must not be empty" if min_len == 1 else "must be at least %d characters" % min_len)
    if max_len is not None and len(value) > max_len:
        raise InputError(option, "is %d characters long; at most %d are allowed" % (len(value), max_len))
    return value


def reason(value, option, max_len=1024):
    """A required free-text reason: something a person can read, not whitespace or zero-width characters."""
    if value is None:
        raise InputError(option, "is required (free text recorded in the audit log)")
    text(value, option, max_len=max_len, min_len=0)
    if not value.strip():
        raise InputError(option, "is required and must contain visible text, not only whitespace")
    return value.strip()


# ------------------------------------------------------------------------------------------------ names
def domain(value, option):
    """A domain name (at least two labels), lower-cased, trailing dot removed, IDN to punycode (IDNA2008)."""
    return normalize_domain(value, option)


def email(value, option):
    """An email address as SES compares it; 7-bit ASCII local part (SES), IDNA2008 domain."""
    return normalize_email(value, option)


_DNS_LABEL = re.compile(r"(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)")


def dns_name(value, option, relative=True):
    """An owner name for a DNS record: absolute or (``relative=True``) relative to a zone, ``@`` for the apex.

    RFC 1035 2.3.4: labels of 1-63 octets, a name of at most 253 characters in text form; the labels this
    collection writes are letters, digits, hyphens, underscores (``_dmarc``, ``_domainkey``) and a leading
    ``*``. CR/LF or spaces would inject lines into a zone file, so they never pass."""
    text(value, option, max_len=1000)
    if value == "@" and relative:
        return value
    name = value[:-1] if value.endswith(".") else value
    if not name:
        raise InputError(option, "%r is not a DNS name" % value)
    if " " in name or "\t" in name:
        raise InputError(option, "%r contains whitespace" % value)
    name = idna_encode(name, option, value)
    if len(name) > 253:
        raise InputError(option, "%r is longer than 253 characters" % value)
    labels = name.split(".")
    for index, label in enumerate(labels):
        if not label:
            raise InputError(option, "%r has an empty label" % value)
        if len(label) > 63:
            raise InputError(option, "%r has a label of %d octets; at most 63 are allowed" % (value, len(label)))
        if not _DNS_LABEL.fullmatch(label) or (label == "*" and index):
            raise InputError(option, "%r: label %r may hold only letters, digits, hyphens and underscores"
                             % (value, label))
    return name + ("." if value.endswith(".") else "")


_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def selector(value, option):
    """A DKIM selector (RFC 6376 3.1; SES BYODKIM: 1-63 letters, digits and inner hyphens)."""
    text(value, option, max_len=63)
    if not _SELECTOR.fullmatch(value):
        raise InputError(option, "%r is not a DKIM selector (1-63 letters, digits and hyphens, not at either end)"
                         % value)
    return value


# AWS resource names. Sources: SES v2 CreateConfigurationSet (ConfigurationSetName: "can contain only ASCII
# letters, numbers, underscores and dashes", up to 64); SNS CreateTopic ("Up to 256 characters ...
# alphanumeric characters, hyphens (-), and underscores (_)"; FIFO topics end in .fifo); SQS CreateQueue
# ("up to 80 characters ... alphanumeric characters, hyphens (-), and underscores (_)"; FIFO .fifo);
# CloudWatch PutMetricAlarm AlarmName (1-255, no ASCII control characters).
AWS_NAMES = {
    "configuration_set": (CONFIG_SET_NAME, "1-64 ASCII letters, digits, '_' and '-'"),
    "sns_topic": (re.compile(r"[A-Za-z0-9_-]{1,251}(?:\.fifo)?|[A-Za-z0-9_-]{252,256}"),
                  "1-256 ASCII letters, digits, '_' and '-' (a FIFO topic ends in .fifo)"),
    "sqs_queue": (re.compile(r"[A-Za-z0-9_-]{1,75}(?:\.fifo)?|[A-Za-z0-9_-]{76,80}"),
                  "1-80 ASCII letters, digits, '_' and '-' (a FIFO queue ends in .fifo)"),
    # SES v2 EventDestinationName: the configuration set rule
    "event_destination": (re.compile(r"[A-Za-z0-9_-]{1,64}"), "1-64 ASCII letters, digits, '_' and '-'"),
    "dynamodb_table": (re.compile(r"[A-Za-z0-9_.-]{3,255}"), "3-255 ASCII letters, digits, '_', '-' and '.'"),
    # SES v2 EndpointName (a multi-region endpoint): ^[\w\-_]+$, 1-64
    "multi_region_endpoint": (re.compile(r"[A-Za-z0-9_-]{1,64}"), "1-64 ASCII letters, digits, '_' and '-'"),
}

# an AWS region name as AWS writes them (us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5)
_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")


def aws_region(value, option):
    """An AWS region name (``us-east-1``): a typo fails here, not as a connection error to a host that is not."""
    text(value, option, max_len=32)
    if not _REGION.fullmatch(value):
        raise InputError(option, "%r is not an AWS region name (like us-east-1 or eu-west-1)" % value)
    return value


def aws_name(value, option, kind):
    """The name of an AWS resource of ``kind`` (a key of AWS_NAMES), with the service's documented rule."""
    pattern, rule = AWS_NAMES[kind]
    text(value, option, max_len=1000)
    if not pattern.fullmatch(value):
        raise InputError(option, "%r is not a valid %s name: %s" % (value, kind.replace("_", " "), rule))
    return value


_ARN = re.compile(r"arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(\S{1,1024})")
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?")


def arn(value, option, service=None):
    """An ARN (arn:partition:service:region:account:resource), optionally of one service."""
    text(value, option, max_len=2048)
    found = _ARN.fullmatch(value)
    if not found or (service and found.group(1) != service):
        raise InputError(option, "%r is not %s ARN (arn:aws:%s:region:account-id:...)"
                         % (value, "an" if not service else "an %s" % service.upper(), service or "service"))
    return value


def sns_topic_arn(value, option):
    text(value, option, max_len=2048)
    if not _SNS_ARN.fullmatch(value):
        raise InputError(option, "%r is not an SNS topic ARN (arn:aws:sns:region:account-id:topic-name)" % value)
    return value


def alarm_name_prefix(value, option, longest_suffix=0):
    """A CloudWatch alarm name prefix: the whole name (prefix + suffix) must fit AlarmName's 255 characters."""
    limit = 255 - longest_suffix
    text(value, option, max_len=limit)
    return value


# SES v2 CloudWatchDimensionConfiguration: DimensionName "can only contain ASCII letters (a-z, A-Z), numbers
# (0-9), underscores (_), or dashes (-)", DefaultDimensionValue also "at signs (@), and periods (.)"; both at
# most 256 characters.
_DIMENSION_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_DIMENSION_VALUE = re.compile(r"[A-Za-z0-9_.@-]{1,256}")


def dimension_name(value, option):
    """An SES event destination's CloudWatch dimension name."""
    text(value, option, max_len=1000)
    if not _DIMENSION_NAME.fullmatch(value):
        raise InputError(option, "%r is not a CloudWatch dimension name for SES (1-256 ASCII letters, digits, "
                                 "'_' and '-')" % value)
    return value


def dimension_value(value, option):
    """An SES event destination's default dimension value."""
    text(value, option, max_len=1000)
    if not _DIMENSION_VALUE.fullmatch(value):
        raise InputError(option, "%r is not a default dimension value for SES (1-256 ASCII letters, digits, "
                                 "'_', '-', '@' and '.')" % value)
    return value


# ------------------------------------------------------------------------------------------------ tags
# AWS tagging rules (SES v2 Tag; "Tagging AWS resources"): key 1-128 characters, value 0-256, letters, digits,
# spaces and _ . : / = + - @; the aws: prefix is reserved; at most 50 tags per resource.
_TAG_PUNCT = "_.:/=+-@"
MAX_TAGS = 50


def _tag_chars_ok(value):
    for c in value:
        cat = unicodedata.category(c)
        if not (c in _TAG_PUNCT or cat[0] in ("L", "N") or cat == "Zs"):
            return False
    return True


def tags(value, option="tags"):
    """A dict of tags; returns {key: value} with both as strings."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(option, "must be a dictionary of key: value")
    if len(value) > MAX_TAGS:
        raise InputError(option, "%d tags given; AWS allows at most %d per resource" % (len(value), MAX_TAGS))
    out = {}
    for key, val in value.items():
        key = str(key) if isinstance(key, (int, float)) and not isinstance(key, bool) else key
        val = "" if val is None else val
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            val = str(val)
        text(key, option, max_len=128, what="a string key")
        try:
            text(val, option, max_len=256, min_len=0, what="a string value")
        except InputError as exc:
            raise InputError(option, "the value of tag %r %s" % (key[:40], exc.msg[len(option) + 2:]))
        if key.lower().startswith("aws:"):
            raise InputError(option, "tag key %r uses the reserved prefix aws:" % key)
        if not _tag_chars_ok(key) or not _tag_chars_ok(val):
            raise InputError(option, "tag %r: keys and values may hold letters, digits, spaces and _ . : / = + - @"
                             % key[:40])
        out[key] = val
    return out


# ------------------------------------------------------------------------------------------------ numbers
def _number(value, option, integer):
    if isinstance(value, bool):
        raise InputError(option, "must be a number, got a boolean")
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            raise InputError(option, "must be %s, got %r" % ("a whole number" if integer else "a number", value[:40]))
    if integer:
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                raise InputError(option, "must be a whole number, got %r" % value)
            value = int(value)
        if not isinstance(value, int):
            raise InputError(option, "must be a whole number")
    else:
        if not isinstance(value, (int, float)):
            raise InputError(option, "must be a number")
        if not math.isfinite(float(value)):
            raise InputError(option, "must be a finite number, got %r" % value)
    return value


def number(value, option, minimum=None, maximum=None, min_exclusive=False, max_exclusive=False, integer=False):
    """A finite number (no nan, no inf) within [minimum, maximum]; None passes through (an unset option)."""
    if value is None:
        return None
    value = _number(value, option, integer)
    low_bad = minimum is not None and (value <= minimum if min_exclusive else value < minimum)
    high_bad = maximum is not None and (value >= maximum if max_exclusive else value > maximum)
    if low_bad or high_bad:
        low = "" if minimum is None else ("more than %s" if min_exclusive else "at least %s") % minimum
        high = "" if maximum is None else ("less than %s" if max_exclusive else "at most %s") % maximum
        raise InputError(option, "must be %s, got %s" % (" and ".join(x for x in (low, high) if x), value))
    return value


def count(value, option, minimum=1, maximum=None):
    """A whole number of things (workers, messages, attempts): at least ``minimum`` (1 by default)."""
    return number(value, option, minimum=minimum, maximum=maximum, integer=True)


def ttl(value, option):
    """A DNS TTL: 0..2147483647 seconds (RFC 2181 8: a 31-bit unsigned value)."""
    return number(value, option, minimum=0, maximum=2147483647, integer=True)


def duration(value, option, minimum=0, maximum=None, integer=False):
    """A duration in seconds: finite, not negative (or at least ``minimum``)."""
    return number(value, option, minimum=minimum, maximum=maximum, integer=integer)


def days(value, option, minimum=0, maximum=36500, min_exclusive=False):
    """A number of days: finite, not negative, at most a century unless told."""
    return number(value, option, minimum=minimum, maximum=maximum, min_exclusive=min_exclusive)


# ------------------------------------------------------------------------------------------------ dates
MIN_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MAX_DATE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
_RELATIVE = re.compile(r"\s*(?P<sign>[-+]?)\s*(?P<num>\d{1,12})\s*(?P<unit>[smhdw])\s*", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def date(value, option, now=None, earliest=MIN_DATE, latest=MAX_DATE):
    """ISO 8601 (date or date-time, Z or offset; naive means UTC), ``now``, or relative ``-7d``/``+2w``.

    Returns an aware UTC datetime between ``earliest`` and ``latest``; anything out of range (year 1 with a
    +01:00 offset, ``-1000000000d``) is an InputError, never an OverflowError."""
    if value is None or value == "":
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime(value.year, value.month, value.day)
        else:
            if not isinstance(value, str):
                raise InputError(option, "must be a date or time as text, got %s" % type(value).__name__)
            text(value, option, max_len=64)
            stripped = value.strip()
            if stripped.lower() == "now":
                return now
            rel = _RELATIVE.fullmatch(stripped)
            if rel:
                delta = dt.timedelta(**{_UNITS[rel.group("unit").lower()]: int(rel.group("num"))})
                parsed = now + delta if rel.group("sign") == "+" else now - delta
            else:
                iso_text = stripped[:-1] + "+00:00" if stripped[-1:] in ("Z", "z") else stripped
                if len(iso_text) > 10 and iso_text[10] in (" ", "t"):
                    iso_text = iso_text[:10] + "T" + iso_text[11:]
                try:
                    parsed = dt.datetime.fromisoformat(iso_text)
                except ValueError:
                    raise InputError(option, "%r is neither an ISO 8601 date/time (2026-11-01, 2026-11-01T08:00:00Z)"
                                             " nor a relative time (-7d, -12h, -30m, -2w, now)" % (value,))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        parsed = parsed.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(option, "%r is outside the range of dates this module can use (%s)" % (value, exc))
    if parsed < earliest or parsed > latest:
        raise InputError(option, "%r is outside %s..%s" % (value, earliest.date().isoformat(),
                                                           latest.date().isoformat()))
    return parsed


def timestamp(value, option, earliest=MIN_DATE, latest=MAX_DATE):
    """POSIX seconds (int/float, finite) inside the date range; returns a float."""
    value = number(value, option)
    if value is None:
        return None
    if not earliest.timestamp() <= value <= latest.timestamp():
        raise InputError(option, "%r is outside %s..%s" % (value, earliest.date().isoformat(),
                                                           latest.date().isoformat()))
    return float(value)


def server_address(value, option, default_port=53):
    """The one grammar of a DNS server, for every option that names one (``server``, ``resolvers``, ``nameservers``,
    ``DELIVERABILITY_SES_NAMESERVERS``): ``host``, ``host:port``, ``[v6]:port``, ``[v6]`` or a bare IPv6 address,
    surrounding spaces ignored (comma-separated lists are often written with a space); an IPv6 address may carry
    a zone index (``fe80::1%eth0``, a link-local resolver). Syntax only, nothing is resolved here.

    Returns ``(host, port)``: host an IP address in canonical form or an ASCII host name."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise InputError(option, "must be a server address (host, host:port or [ipv6]:port), got %s"
                         % type(value).__name__)
    raw = text(value.strip(" "), option, max_len=300, what="a server address")
    port = None
    if raw.startswith("["):
        host, dummy, rest = raw[1:].partition("]")
        if (rest and not rest.startswith(":")) or ":" not in host:
            raise InputError(option, "%r is not host, host:port or [ipv6]:port" % raw)
        port = rest[1:] if rest else None
    elif raw.count(":") == 1:
        host, dummy, port = raw.partition(":")
    else:
        host = raw  # a name, an IPv4 address, or a bare IPv6 address (two or more colons)
    if port is not None:
        if not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
            raise InputError(option, "%r: the port must be a number 1..65535" % raw)
        port = int(port)
    if not host:
        raise InputError(option, "%r has no host" % raw)
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        if ":" in host:
            raise InputError(option, "%r is not an IPv6 address" % raw)
        host = dns_name(host, option, relative=False).rstrip(".")
    return host, default_port if port is None else port


def server_text(host, port):
    """``host:port`` or ``[v6]:port``: the form :func:`server_address` reads back (messages print it too)."""
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def server(value, option, default_port=53):
    """A DNS server in the grammar of :func:`server_address`; returns the value unchanged."""
    server_address(value, option, default_port)
    return value


# ------------------------------------------------------------------------------------------------ paths, URLs
def path(value, option, max_len=4096):
    """A file system path: no NUL, no control or invisible characters (a newline in a path hides in logs)."""
    if value is None:
        return None
    text(value, option, max_len=max_len, what="a path")
    return value


def url(value, option, schemes=("https", "http")):
    """A URL such as an SQS queue URL: non-empty, one of ``schemes``, a host, no whitespace or controls."""
    text(value, option, max_len=2048)
    found = re.fullmatch(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[^/\s?#]+)(?P<rest>[^\s]*)", value)
    if not found or found.group("scheme").lower() not in schemes:
        raise InputError(option, "%r is not a URL (%s://host/...)" % (value, "|".join(schemes)))
    return value
