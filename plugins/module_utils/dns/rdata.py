# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one record model and the one TXT encoder.

A record value has three forms, and this file is the only place that converts between them:

- the *logical* value (``str``): what a person means, e.g. ``v=DKIM1; k=rsa; p=MIIB...`` (TXT: the
  character-strings of one record joined; CNAME / MX targets lower-case without the trailing dot);
- the *wire* strings of a TXT record (``bytes``, each at most 255 octets, RFC 1035 3.3.14);
- the *presentation* (zone-file text, RFC 1035 5.1): each string in double quotes, ``"`` and ``\\``
  escaped with a backslash, every octet outside printable ASCII as ``\\DDD`` (three decimal digits).
  Route 53 reads the same syntax with octal digits (``octal=True``).

Logical <-> wire uses UTF-8 with ``surrogateescape``, so any octet string read from a server comes back
byte for byte when written again, and a value is never split inside a UTF-8 character. Equality of
records is equality of :func:`normalize_value` forms (:class:`Record` compares those).

Pure: imports nothing beyond the standard library and :mod:`errors`.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError

TXT_CHUNK = 255
RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT")
_ENCODING = ("utf-8", "surrogateescape")


# ----------------------------------------------------------------------------------------- names
def fqdn(name):
    """Lower-case, no trailing dot."""
    return (name or "").strip().rstrip(".").lower()


# ----------------------------------------------------------------------------------------- TXT
def txt_bytes(value):
    """The octets of a logical TXT value (``str`` as UTF-8; ``bytes`` as they are)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return ("" if value is None else str(value)).encode(*_ENCODING)


def txt_text(data):
    """The logical value of TXT octets: UTF-8, with octets that are not UTF-8 kept (surrogateescape), so
    ``txt_bytes(txt_text(b)) == b`` for any ``b``."""
    return bytes(data).decode(*_ENCODING)


def txt_from_strings(strings):
    """The logical value of one TXT record given as its character-strings (dnspython's ``rd.strings``)."""
    return txt_text(b"".join(txt_bytes(s) for s in strings))


def txt_split(value, size=TXT_CHUNK):
    """The character-strings of one TXT record: at most ``size`` octets each, never cut inside a UTF-8
    character (only octets that are not UTF-8 at all may be cut anywhere). Never at commas or spaces
    either: the cut is by length only, so joining the strings gives the value back."""
    data = txt_bytes(value)
    if not data:
        return [b""]
    out, start = [], 0
    while start < len(data):
        end = min(start + size, len(data))
        if end < len(data):
            cut = end
            # a UTF-8 character is at most 4 octets: its lead octet is within 3 of a continuation octet
            while cut > start and cut > end - 3 and _continuation(data[cut]):
                cut -= 1
            if cut > start and not _continuation(data[cut]):
                end = cut
        out.append(data[start:end])
        start = end
    return out


def _continuation(octet):
    return octet & 0xC0 == 0x80


def txt_escape(chunk, octal=False):
    """One character-string (octets) in presentation form, without the surrounding quotes."""
    out = []
    for b in txt_bytes(chunk):
        if b in (0x22, 0x5C):  # " and \
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b if octal else "\\%03d" % b)
    return "".join(out)


def txt_quote(value, octal=False):
    """Presentation of one TXT record from its logical value: ``"part one" "part two"``."""
    return " ".join('"%s"' % txt_escape(chunk, octal) for chunk in txt_split(value))


def txt_strings(text, octal=False):
    """The character-strings (octets) of a TXT record in presentation form, or None when ``text`` is not
    one (text outside quotes, an unterminated string, a bad escape). Unquoted strings are accepted as
    RFC 1035 allows (``a "b c"`` -> ``[b"a", b"b c"]``)."""
    text = "" if text is None else str(text)
    digits = "01234567" if octal else "0123456789"
    strings, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        quoted = ch == '"'
        if quoted:
            i += 1
        cur = bytearray()
        while True:
            if i >= n:
                if quoted:
                    return None  # unterminated
                break
            ch = text[i]
            if quoted and ch == '"':
                i += 1
                break
            if not quoted and (ch.isspace() or ch == '"'):
                break
            if ch == "\\":
                if i + 1 >= n:
                    return None
                nxt = text[i + 1:i + 4]
                if len(nxt) == 3 and all(c in digits for c in nxt):
                    value = int(nxt, 8 if octal else 10)
                    if value > 255:
                        return None
                    cur.append(value)
                    i += 4
                    continue
                if text[i + 1].isdigit():
                    return None  # \1 or \12: not three digits
                cur.extend(text[i + 1].encode(*_ENCODING))
                i += 2
                continue
            cur.extend(ch.encode(*_ENCODING))
            i += 1
        if len(cur) > TXT_CHUNK:
            return None
        strings.append(bytes(cur))
    return strings or None


def txt_unquote(value, octal=False):
    """The logical value of a TXT value given either way: presentation (``"a" "b"`` -> ``ab``, escapes
    decoded) when it starts with a double quote and parses as one, else the text as it is."""
    value = "" if value is None else str(value)
    if not value.strip().startswith('"'):
        return value
    strings = txt_strings(value, octal)
    if strings is None:
        return value
    return txt_text(b"".join(strings))


# ----------------------------------------------------------------------------------------- values
def _target(v):
    return fqdn(v) or "."


def normalize_value(rtype, value, option="values"):
    """The canonical (logical) form of one value, so that equal records compare equal."""
    if value is None:
        raise InputError(option, "a %s value may not be empty" % rtype)
    if rtype == "TXT":
        return txt_unquote(value)
    text = " ".join(str(value).split())
    if not text:
        raise InputError(option, "a %s value may not be empty" % rtype)
    if rtype in ("A", "AAAA"):
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            raise InputError(option, "%r is not an IP address for an %s record" % (text, rtype))
        if (rtype == "A") != (addr.version == 4):
            raise InputError(option, "%r is not an IPv%s address" % (text, 4 if rtype == "A" else 6))
        return str(addr)
    if rtype in ("CNAME", "NS", "PTR"):
        return _target(text)
    if rtype == "MX":
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise InputError(option, "%r is not an MX value (expected 'PREFERENCE HOST', e.g. '10 mx.example.com')"
                             % text)
        return "%d %s" % (int(parts[0]), _target(parts[1]))
    if rtype == "SRV":
        parts = text.split()
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            raise InputError(option, "%r is not an SRV value (expected 'PRIORITY WEIGHT PORT TARGET')" % text)
        return "%d %d %d %s" % (int(parts[0]), int(parts[1]), int(parts[2]), _target(parts[3]))
    if rtype == "CAA":
        parts = text.split(None, 2)
        if len(parts) != 3 or not parts[0].isdigit():
            raise InputError(option, "%r is not a CAA value (expected 'FLAGS TAG \"VALUE\"')" % text)
        return '%d %s "%s"' % (int(parts[0]), parts[1].lower(), txt_unquote(parts[2]))
    return text


def same_values(rtype, a, b):
    """The one canonical comparison: do two value lists (any accepted form) make the same rrset?"""
    return sorted(set(normalize_value(rtype, v) for v in a)) == sorted(set(normalize_value(rtype, v) for v in b))


def presentation(rtype, value, octal=False):
    """The zone-file form of a canonical value (absolute targets end in a dot)."""
    if rtype == "TXT":
        return txt_quote(value, octal)
    if rtype in ("CNAME", "NS", "PTR"):
        return value.rstrip(".") + "."
    if rtype == "MX":
        pref, host = value.split()
        return "%s %s." % (pref, host.rstrip("."))
    if rtype == "SRV":
        a, b, c, host = value.split()
        return "%s %s %s %s." % (a, b, c, host.rstrip("."))
    return value


# ----------------------------------------------------------------------------------------- model
class Record:
    """One rrset: name (FQDN, lower-case, no dot), type, canonical values (sorted, unique), ttl."""

    __slots__ = ("name", "type", "values", "ttl", "raw")

    def __init__(self, name, rtype, values, ttl=None, raw=None):
        self.name = fqdn(name)
        self.type = rtype.upper()
        self.values = tuple(sorted(set(values)))
        self.ttl = ttl
        # the values exactly as the provider returned them (not compared): a provider deletes or states
        # prerequisites with them, so a TXT another tool split at other boundaries still matches
        self.raw = list(raw) if raw is not None else None

    def presentations(self, octal=False):
        return list(self.raw) if self.raw is not None else [presentation(self.type, v, octal) for v in self.values]

    @property
    def key(self):
        return (self.name, self.type)

    def to_dict(self):
        """The shape ``dns_records`` takes in ``records`` (and returns)."""
        return {"name": self.name, "type": self.type, "ttl": self.ttl, "values": list(self.values)}

    def zone_lines(self):
        return ["%s. %s IN %s %s" % (self.name, self.ttl if self.ttl is not None else "", self.type,
                                     presentation(self.type, v)) for v in self.values]

    def __eq__(self, other):
        return isinstance(other, Record) and (self.key, self.values, self.ttl) == (other.key, other.values, other.ttl)

    def __hash__(self):
        return hash((self.key, self.values, self.ttl))

    def __repr__(self):
        return "Record(%r, %r, %r, ttl=%r)" % (self.name, self.type, self.values, self.ttl)


def record_dict(name, rtype, values, ttl, **extra):
    """One record set as data, in exactly the shape ``dns_records`` takes in ``records``:
    ``{name, type, values, ttl}`` (plus ``exclusive`` / ``state`` when given). ``values`` has one entry
    per record; a TXT entry is the whole logical text (``dns_records`` splits it into strings)."""
    rtype = rtype.upper()
    out = {"name": fqdn(name), "type": rtype, "values": [normalize_value(rtype, v) for v in values],
           "ttl": int(ttl)}
    out.update((k, v) for k, v in extra.items() if v is not None)
    return out
