# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalising and validating domain names and email addresses, so comparisons are stable.

Internationalised names go through IDNA2008 with the UTS 46 mapping, non-transitional (the ``idna``
package, which dnspython uses too), never Python's built-in ``"idna"`` codec: that one is IDNA2003, which
maps ``straße.de`` to ``strasse.de`` - another domain, with another owner.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError

try:
    import idna
    HAS_IDNA = True
except ImportError:  # pragma: no cover - exercised only without the idna package
    idna = None
    HAS_IDNA = False

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# SES: "the local part ... must be 7-bit ASCII" (the domain part may be an IDN, sent as punycode)
_LOCAL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


# Characters nobody types on purpose in a name, tag or path: C0/C1 controls (NUL, CR, LF, ESC, DEL ...),
# format characters (U+202E RIGHT-TO-LEFT OVERRIDE, zero-width spaces and joiners, BOM), line and paragraph
# separators (U+2028/U+2029), unassigned and private-use code points, surrogates. UTS 46 would silently
# drop some of them (U+200B), so they are refused before the mapping.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cn", "Cs", "Co")


_ASCII_HIDDEN = re.compile(r"[\x00-\x1f\x7f]")  # the only hidden characters ASCII has (all of category Cc)


def bad_characters(value, allow=""):
    """The control, format or invisible characters in ``value`` (those in ``allow`` excepted)."""
    if value.isascii():  # the common case, without a Unicode database lookup per character
        return [c for c in _ASCII_HIDDEN.findall(value) if c not in allow]
    return [c for c in value if c not in allow and unicodedata.category(c) in _HIDDEN_CATEGORIES]


def idna_encode(name, option="domain", original=None):
    """One name (labels joined by dots, no trailing dot) to its ASCII form: IDNA2008 + UTS 46.

    ASCII labels are lower-cased and kept (underscore labels such as ``_dmarc`` included); an ``xn--`` label
    must decode to a valid U-label. Raises InputError naming ``option``."""
    shown = original if original is not None else name
    hidden = bad_characters(name)
    if hidden:
        raise InputError(option, "%r contains control or invisible characters (%s)"
                         % (shown, ", ".join(sorted({"U+%04X" % ord(c) for c in hidden}))))
    if name.isascii():
        labels = name.lower().split(".")
    else:
        if not HAS_IDNA:
            raise InputError(option, "%r is an internationalised name; converting it needs the Python package "
                                     "idna (pip install idna), which dnspython uses too" % (shown,))
        try:
            mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise InputError(option, "%r is not a valid internationalised domain name (%s)" % (shown, exc))
        labels = []
        for label in mapped.split("."):
            if label.isascii():
                labels.append(label.lower())
                continue
            try:
                labels.append(idna.alabel(label).decode("ascii"))
            except (idna.IDNAError, UnicodeError, ValueError) as exc:
                raise InputError(option, "%r is not a valid internationalised domain name (label %r: %s)"
                                 % (shown, label, exc))
    for label in labels:
        if label.startswith("xn--"):
            if not HAS_IDNA:
                continue
            try:
                idna.ulabel(label)
            except (idna.IDNAError, UnicodeError, ValueError) as exc:
                raise InputError(option, "%r holds an invalid punycode label %r (%s)" % (shown, label, exc))
    return ".".join(labels)


def normalize_domain(value, option="domain"):
    """Lower-case, strip the trailing dot, IDN to punycode (IDNA2008); raise InputError naming ``option``."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(option, "a domain name is required, got %r" % (value,))
    if value != value.strip():
        raise InputError(option, "%r has leading or trailing whitespace" % (value,))
    if len(value) > 1000:
        raise InputError(option, "a domain name of %d characters is far over the 253 allowed" % len(value))
    name = value[:-1] if value.endswith(".") else value
    if not name:
        raise InputError(option, "%r is not a domain name" % value)
    name = idna_encode(name, option, value)
    if len(name) > 253:
        raise InputError(option, "%r is longer than 253 characters" % value)
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InputError(option, "%r is not a valid domain name (labels of 1-63 letters, digits and hyphens, "
                                 "at least two labels)" % value)
    return name


def split_email(value, option="email"):
    """Return (local, domain) with the domain normalised; the local part is kept as given (SES does).

    The local part must be 7-bit ASCII without controls or unquoted spaces, as SES documents."""
    if not isinstance(value, str) or "@" not in value:
        raise InputError(option, "%r is not an email address (expected local@domain)" % (value,))
    if value != value.strip():
        raise InputError(option, "%r has leading or trailing whitespace" % (value,))
    local, dummy, domain = value.rpartition("@")
    if not local or len(local.encode("utf-8")) > 64:
        raise InputError(option, "%r has an empty or over-long (>64 bytes) local part" % value)
    if not local.isascii():
        raise InputError(option, "%r has non-ASCII characters in its local part; SES accepts only 7-bit ASCII "
                                 "local parts (the domain part may be internationalised)" % (value,))
    quoted = len(local) >= 2 and local.startswith('"') and local.endswith('"')
    bad = _LOCAL_FORBIDDEN.findall(local[1:-1] if quoted else local)
    if bad and not (quoted and all(c == " " for c in bad)):
        raise InputError(option, "%r has whitespace or control characters in its local part" % (value,))
    return local, normalize_domain(domain, option)


def normalize_email(value, option="email"):
    """local@domain with the domain part lower-cased and punycoded, as SES compares them."""
    local, domain = split_email(value, option)
    email = "%s@%s" % (local, domain)
    if len(email) > 320:
        raise InputError(option, "%r is longer than 320 characters" % value)
    return email


def normalize_identity(value, option="identity"):
    """An SES identity is an email address (contains @) or a domain."""
    if isinstance(value, str) and "@" in value:
        return normalize_email(value, option)
    return normalize_domain(value, option)
