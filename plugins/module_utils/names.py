# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalising and validating domain names and email addresses, so comparisons are stable."""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def normalize_domain(value, option="domain"):
    """Lower-case, strip the trailing dot, IDN to punycode; raise InputError naming ``option``."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(option, "a domain name is required, got %r" % (value,))
    name = value.strip().rstrip(".")
    if not name:
        raise InputError(option, "%r is not a domain name" % value)
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError as exc:
        raise InputError(option, "%r is not a valid internationalised domain name (%s)" % (value, exc))
    name = name.lower()
    if len(name) > 253:
        raise InputError(option, "%r is longer than 253 characters" % value)
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InputError(option, "%r is not a valid domain name (labels of letters, digits and hyphens, "
                                 "at least two labels)" % value)
    return name


def split_email(value, option="email"):
    """Return (local, domain) with the domain normalised; the local part is kept as given (SES does)."""
    if not isinstance(value, str) or "@" not in value:
        raise InputError(option, "%r is not an email address (expected local@domain)" % (value,))
    local, dummy, domain = value.strip().rpartition("@")
    if not local or len(local.encode("utf-8")) > 64:
        raise InputError(option, "%r has an empty or over-long (>64 bytes) local part" % value)
    if any(c in local for c in "\r\n\x00 ") and not (local.startswith('"') and local.endswith('"')):
        raise InputError(option, "%r has whitespace or control characters in its local part" % value)
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
