# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DMARC (RFC 9989): parse, build in one canonical tag order, the stages and the policy ratchet.

A parsed record is a dict: ``v``, ``p``, ``sp``, ``np``, ``psd`` (y/n/u), ``t`` (y/n), ``rua`` / ``ruf``
(lists of URIs), ``adkim``, ``aspf``, ``fo``, plus any unknown tag as text. The RFC 7489 tags that RFC 9989
removed (``pct`` as int, ``rf``, ``ri`` as int) are still read, so a published legacy record can be judged
and migrated; :func:`obsolete` names them. Only the tags present in the record are in the dict, so
``parse(build(d)) == d`` and ``build(parse(s)) == s`` for canonical ``s``.

Test mode (``t=y``): quarantine acts as none and reject as quarantine at RFC 9989 receivers, so
``p=quarantine; t=y`` is weaker than ``p=quarantine`` (and a receiver that only knows RFC 7489 ignores ``t``).
"""

from __future__ import annotations

import re

POLICIES = ("none", "quarantine", "reject")
TAG_ORDER = ("v", "p", "sp", "np", "psd", "t", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri")
OBSOLETE = ("pct", "rf", "ri")  # RFC 7489 tags removed by RFC 9989: read, reported, written only on request
ALIGNMENT = ("r", "s")
FO_VALUES = ("0", "1", "d", "s")
PSD_VALUES = ("y", "n", "u")
DEFAULT_STAGES = (
    {"policy": "none", "test_mode": False},
    {"policy": "quarantine", "test_mode": True},
    {"policy": "quarantine", "test_mode": False},
    {"policy": "reject", "test_mode": True},
    {"policy": "reject", "test_mode": False},
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
    if tag == "t":
        if isinstance(value, bool):
            return "y" if value else "n"
        value = str(value).strip().lower()
        if value not in ("y", "n"):
            raise DmarcError("t: %r is not y (test mode) or n" % value)
        return value
    if tag == "psd":
        value = str(value).strip().lower()
        if value not in PSD_VALUES:
            raise DmarcError("psd: %r is not y, n or u" % value)
        return value
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


def testing(tags):
    return tags.get("t") == "y"


def obsolete(tags):
    """The RFC 7489 tags RFC 9989 removed that ``tags`` carries, in canonical order."""
    return [t for t in OBSOLETE if t in tags]


def strength(tags):
    """An orderable strength of the domain policy: (policy rank, enforced, pct).

    ``t=y`` is weaker than ``t=n`` at the same ``p`` (RFC 9989 receivers step it down one level), and a
    legacy ``pct`` below 100 is weaker than 100 at the same ``p`` and ``t``. ``p=none`` is the floor whatever
    its other tags. ``p=reject; t=y`` still ranks above ``p=quarantine``: receivers that only know RFC 7489
    ignore ``t`` and reject."""
    p = tags.get("p", "none")
    if p == "none":
        return (0, 0, 0)
    return (rank(p), 0 if testing(tags) else 1, int(tags.get("pct", 100)))


def ratchet(current, desired, allow_downgrade=False):
    """Return (tags, downgrades): ``desired`` with any weakening of ``current`` undone unless allowed.

    Weakening is: a weaker domain policy (see :func:`strength`: a weaker p, test mode switched on, a smaller
    legacy pct), a weaker sp / np than the current effective one (np defaults to sp, sp to p), and strict (s)
    alignment relaxed to r. ``downgrades`` lists each attempt as ``{tag, current, requested}`` whether it was
    applied (allow_downgrade) or refused.
    """
    result = dict(desired)
    downgrades = []
    if not current:
        return result, downgrades
    if strength(desired) < strength(current):
        downgrades.append({"tag": "p", "current": policy_text(current), "requested": policy_text(desired)})
        if not allow_downgrade:
            result["p"] = current["p"]
            for tag in ("t", "pct"):
                if tag in current:
                    result[tag] = current[tag]
                else:
                    result.pop(tag, None)
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


def policy_text(tags):
    """``reject``, ``quarantine; t=y``, ``reject; pct=25`` (legacy): the domain policy in a few words."""
    p = tags.get("p", "none")
    if p == "none":
        return p
    text = p + ("; t=y" if testing(tags) else "")
    if "pct" in tags and int(tags["pct"]) != 100:
        text += "; pct=%s" % tags["pct"]
    return text


def stage_tags(stage):
    """A stage ({policy, test_mode, pct?}) as record tags: ``p`` and ``t`` (only when y), legacy ``pct``."""
    out = {"p": stage["policy"]}
    if stage.get("test_mode") and stage["policy"] != "none":
        out["t"] = "y"
    if stage.get("pct") is not None and int(stage["pct"]) != 100:
        out["pct"] = int(stage["pct"])
    return out


def stage_index(current, stages=DEFAULT_STAGES):
    """Index of the strongest stage that ``current`` reaches (-1: below the first, or no record)."""
    if not current:
        return -1
    cur = strength(current)
    found = -1
    for i, stage in enumerate(stages):
        if strength(stage_tags(stage)) <= cur:
            found = i
    return found


def next_stage(current, stages=DEFAULT_STAGES):
    """The stage after the current policy in ``stages`` (weakest first); the last stage stays."""
    if not current:
        return dict(stages[0])
    cur = strength(current)
    for stage in stages:
        if strength(stage_tags(stage)) > cur:
            return dict(stage)
    return dict(stages[stage_index(current, stages)]) if stage_index(current, stages) >= 0 else dict(stages[-1])


def apply_stage(tags, stage):
    """``tags`` moved to ``stage``: p and t set, sp / np (when the record has them) raised to follow p, never
    lowered (a record without sp / np already follows p). Legacy pct is dropped unless the stage names it."""
    out = dict(tags)
    out.pop("pct", None)
    out.pop("t", None)
    out.update(stage_tags(stage))
    for tag in ("sp", "np"):
        if tag in out and rank(out[tag]) < rank(stage["policy"]):
            out[tag] = stage["policy"]
    return out


def migrate(tags):
    """RFC 7489 -> RFC 9989: ``pct`` below 100 becomes ``t=y`` (receivers honoured only 0 and 100, and test
    mode is what a partial rollout meant), ``pct=100``, ``rf`` and ``ri`` are dropped. Returns (tags, notes)."""
    out = dict(tags)
    notes = []
    if "pct" in out:
        pct = int(out.pop("pct"))
        if pct < 100 and out.get("p") != "none":
            out["t"] = "y"
            notes.append("pct=%d became t=y (test mode)" % pct)
        else:
            notes.append("pct=%d dropped (RFC 9989 removed it)" % pct)
    for tag in ("rf", "ri"):
        if tag in out:
            notes.append("%s=%s dropped (RFC 9989 removed it)" % (tag, out.pop(tag)))
    return out, notes


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
