# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DMARC (RFC 7489): parse, build in one canonical tag order, and the policy ratchet.

A parsed record is a dict: ``v``, ``p``, ``sp``, ``np``, ``pct`` (int), ``rua`` / ``ruf`` (lists of
URIs), ``adkim``, ``aspf``, ``fo``, ``rf``, ``ri`` (int), plus any unknown tag as text. Only the tags
present in the record are in the dict, so ``parse(build(d)) == d`` and ``build(parse(s)) == s`` for
canonical ``s``.
"""

from __future__ import annotations

import re

POLICIES = ("none", "quarantine", "reject")
TAG_ORDER = ("v", "p", "sp", "np", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri")
ALIGNMENT = ("r", "s")
FO_VALUES = ("0", "1", "d", "s")
DEFAULT_STAGES = (
    {"policy": "none", "pct": 100},
    {"policy": "quarantine", "pct": 25},
    {"policy": "quarantine", "pct": 100},
    {"policy": "reject", "pct": 25},
    {"policy": "reject", "pct": 100},
)
_TAG = re.compile(r"^[a-z][a-z0-9_]*$")


class DmarcError(ValueError):
    """The DMARC text or tag values are invalid; the message names the tag."""


def is_dmarc(text):
    return bool(re.match(r"^\s*v\s*=\s*DMARC1\s*(;|$)", text or ""))


def _uri(value, tag):
    value = value.strip()
    if not value:
        raise DmarcError("%s: an empty report URI" % tag)
    if "@" in value and ":" not in value.split("@")[0]:
        value = "mailto:" + value  # a bare address is a mailto: URI
    if re.search(r'[\s;,"\\]', value):
        # a ';' would end the tag and start another ('mailto:a@x; p=none'); ',' separates URIs
        raise DmarcError("%s: %r contains whitespace, ';', ',', a quote or a backslash" % (tag, value))
    scheme, dummy, rest = value.partition(":")
    if not rest or not re.match(r"^[a-z][a-z0-9+.-]*$", scheme, re.IGNORECASE):
        raise DmarcError("%s: %r is not a URI (expected mailto:address)" % (tag, value))
    if scheme.lower() == "mailto":
        local, at, dom = rest.rpartition("@")
        if not at or not local or "." not in dom:
            raise DmarcError("%s: %r is not a mailto: address" % (tag, value))
        dom_part, bang, size = dom.partition("!")
        value = "mailto:%s@%s%s%s" % (local, dom_part.lower(), bang, size.lower())
    return value


def _validate(tag, value):
    """Canonical value of one tag (raises DmarcError naming the tag)."""
    if tag == "v":
        if value != "DMARC1":
            raise DmarcError("v: must be DMARC1, got %r" % value)
        return value
    if tag in ("p", "sp", "np"):
        value = str(value).strip().lower()
        if value not in POLICIES:
            raise DmarcError("%s: %r is not one of %s" % (tag, value, ", ".join(POLICIES)))
        return value
    if tag in ("pct", "ri"):
        try:
            num = int(str(value).strip())
        except ValueError:
            raise DmarcError("%s: %r is not a whole number" % (tag, value))
        if tag == "pct" and not 0 <= num <= 100:
            raise DmarcError("pct: %d is not within 0..100" % num)
        if tag == "ri" and num < 0:
            raise DmarcError("ri: %d is negative" % num)
        return num
    if tag in ("rua", "ruf"):
        items = value.split(",") if isinstance(value, str) else [u for v in value for u in str(v).split(",")]
        return [_uri(u, tag) for u in items]
    if tag in ("adkim", "aspf"):
        value = str(value).strip().lower()
        if value not in ALIGNMENT:
            raise DmarcError("%s: %r is not r (relaxed) or s (strict)" % (tag, value))
        return value
    if tag == "fo":
        parts = [x.strip().lower() for x in str(value).split(":")]
        if not parts or any(x not in FO_VALUES for x in parts):
            raise DmarcError("fo: %r is not a colon-separated list of 0, 1, d, s" % value)
        return ":".join(parts)
    if tag == "rf":
        return ":".join(x.strip().lower() for x in str(value).split(":"))
    return str(value).strip()


def parse(text):
    """``v=DMARC1; p=...`` -> dict of tags (raises DmarcError)."""
    text = (text or "").strip()
    if not is_dmarc(text):
        raise DmarcError("not a DMARC record (it must start with v=DMARC1): %r" % text[:60])
    out = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        tag, eq, value = part.partition("=")
        tag = tag.strip().lower()
        if not eq or not _TAG.match(tag):
            raise DmarcError("%r is not a tag=value pair" % part)
        if tag in out:
            raise DmarcError("%s: the tag appears twice" % tag)
        out[tag] = _validate(tag, value.strip())
    if "p" not in out:
        raise DmarcError("p: the policy tag is required")
    return out


def build(tags):
    """dict -> canonical DMARC text: known tags in TAG_ORDER, then unknown ones in their order."""
    tags = dict(tags)
    tags.setdefault("v", "DMARC1")
    if tags.get("p") is None:
        raise DmarcError("p: the policy tag is required")
    parts = []
    clean = {}
    for tag, value in tags.items():
        if value is None:
            continue
        if not _TAG.match(tag):
            raise DmarcError("%r is not a DMARC tag name" % tag)
        clean[tag] = _validate(tag, value)
    for tag in list(TAG_ORDER) + [t for t in clean if t not in TAG_ORDER]:
        if tag not in clean:
            continue
        value = clean[tag]
        if isinstance(value, list):
            if not value:
                continue
            value = ",".join(value)
        parts.append("%s=%s" % (tag, value))
    return "; ".join(parts)


def normalize(text):
    return build(parse(text))


# ----------------------------------------------------------------------------------------- ratchet
def rank(policy):
    return POLICIES.index(policy) if policy in POLICIES else -1


def strength(tags):
    """(policy rank, pct) of the domain policy: p=reject pct=10 is stronger than p=quarantine pct=100,
    because the other 90 % are quarantined (RFC 7489 6.6.4)."""
    p = tags.get("p", "none")
    return (rank(p), 0 if p == "none" else int(tags.get("pct", 100)))


def ratchet(current, desired, allow_downgrade=False):
    """Return (tags, downgrades): ``desired`` with any weakening of ``current`` undone unless allowed.

    Weakening is: a weaker p (or the same p with a smaller pct), a weaker sp / np than the current
    effective one (they default to p), and strict (s) alignment relaxed to r. ``downgrades`` lists each
    attempt as ``{tag, current, requested}`` whether it was applied (allow_downgrade) or refused.
    """
    result = dict(desired)
    downgrades = []
    if not current:
        return result, downgrades
    if strength(desired) < strength(current):
        downgrades.append({"tag": "p", "current": _policy_text(current), "requested": _policy_text(desired)})
        if not allow_downgrade:
            result["p"] = current["p"]
            if "pct" in current:
                result["pct"] = current["pct"]
            else:
                result.pop("pct", None)
    for tag in ("sp", "np"):
        cur_eff = current.get(tag, current.get("sp", current.get("p")) if tag == "np" else current.get("p"))
        want_eff = result.get(tag, result.get("sp", result.get("p")) if tag == "np" else result.get("p"))
        if rank(want_eff) < rank(cur_eff):
            downgrades.append({"tag": tag, "current": cur_eff, "requested": want_eff})
            if not allow_downgrade:
                # keep what is published: the tag as it was, or absent when it was inherited and still
                # inherits the same value (making it explicit would be a write the refusal never asked for)
                if tag in current:
                    result[tag] = current[tag]
                else:
                    result.pop(tag, None)
                    inherited = result.get("sp", result.get("p")) if tag == "np" else result.get("p")
                    if rank(inherited) != rank(cur_eff):
                        result[tag] = cur_eff
    for tag in ("adkim", "aspf"):
        if current.get(tag, "r") == "s" and result.get(tag, "r") == "r":
            downgrades.append({"tag": tag, "current": "s", "requested": result.get(tag, "r")})
            if not allow_downgrade:
                result[tag] = "s"
    return result, downgrades


def _policy_text(tags):
    p = tags.get("p", "none")
    return p if p == "none" else "%s pct=%s" % (p, tags.get("pct", 100))


def next_stage(current, stages=DEFAULT_STAGES):
    """The stage after the current policy in ``stages`` (list of {policy, pct}); the last stage stays."""
    if not current:
        return dict(stages[0])
    cur = strength(current)
    for stage in stages:
        if strength({"p": stage["policy"], "pct": stage.get("pct", 100)}) > cur:
            return dict(stage)
    return {"policy": current["p"], "pct": current.get("pct", 100)}  # already at (or past) the last stage


def report_domains(tags, domain):
    """External report destinations: the domains of mailto: rua/ruf addresses outside ``domain``."""
    out = []
    domain = domain.lower().rstrip(".")
    for tag in ("rua", "ruf"):
        for uri in tags.get(tag) or []:
            if not uri.lower().startswith("mailto:"):
                continue
            dest = uri.split("@", 1)[-1].split("!", 1)[0].lower().rstrip(".")
            if dest == domain or dest.endswith("." + domain) or domain.endswith("." + dest):
                continue
            if dest not in out:
                out.append(dest)
    return out


def authorization_name(domain, dest):
    """Where ``dest`` authorises reports about ``domain`` (RFC 7489 7.1)."""
    return "%s._report._dmarc.%s" % (domain.lower().rstrip("."), dest.lower().rstrip("."))
