# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SPF (RFC 7208): parse, merge mechanisms into an existing record, count DNS lookups recursively.

Pure functions: DNS is reached only through the ``resolve(name, rtype)`` callable the caller passes,
so the module, the filters and the unit tests share this code as it is.
"""

from __future__ import annotations

import functools
import ipaddress
import re

QUALIFIERS = "+-~?"
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
MODIFIERS = ("redirect", "exp")
LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_PTR_NAMES = 10
# SES's sending addresses; the one place the collection spells the include (MAIL FROM SPF, defaults, checks)
SES_INCLUDE_DOMAIN = "amazonses.com"
SES_INCLUDE = "include:" + SES_INCLUDE_DOMAIN
DEFAULT_MECHANISMS = (SES_INCLUDE,)

_VERSION = re.compile(r"^v=spf1(\s|$)", re.IGNORECASE)
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)
_MECHANISM = re.compile(r"^([+\-~?]?)([a-z0-9]+)([:/].*)?$", re.IGNORECASE)


class SpfError(ValueError):
    """The SPF text cannot be parsed or the merge cannot be done safely."""


class Term:
    """One SPF term: a mechanism (qualifier, name, argument) or a modifier (name=value)."""

    __slots__ = ("qualifier", "name", "arg", "modifier", "raw")

    def __init__(self, qualifier, name, arg, modifier, raw):
        self.qualifier = qualifier
        self.name = name
        self.arg = arg
        self.modifier = modifier
        self.raw = raw

    @property
    def key(self):
        """Identity of the term for merging: name and argument, case-insensitive, without qualifier."""
        return (self.name, (self.arg or "").lower(), self.modifier)

    @property
    def domain(self):
        """The domain-spec of a lookup term (None for a/mx without one, which means the current domain)."""
        if self.modifier:
            return self.arg
        if not self.arg or not self.arg.startswith(":"):
            return None
        return self.arg[1:].split("/")[0] or None

    def __repr__(self):
        return "Term(%r)" % self.raw


def is_spf(text):
    return bool(_VERSION.match((text or "").strip()))


@functools.lru_cache(maxsize=4096)
def parse_term(raw):
    """One term, parsed once per process whatever the number of records holding it (a fleet's SPF records share
    their terms, and include:amazonses.com's ip4 networks are met once per domain); Term is never changed after
    it is made, and an error is not cached."""
    mod = _MODIFIER.match(raw)
    if mod and ":" not in mod.group(1):
        name = mod.group(1).lower()
        return Term("", name, mod.group(2), True, raw)
    mech = _MECHANISM.match(raw)
    if not mech or mech.group(2).lower() not in MECHANISMS:
        raise SpfError("%r is not an SPF mechanism or modifier (mechanisms: %s; modifiers: redirect=, exp=)"
                       % (raw, ", ".join(MECHANISMS)))
    name = mech.group(2).lower()
    arg = mech.group(3)
    if name in ("include", "exists") and not (arg and arg.startswith(":") and len(arg) > 1):
        raise SpfError("%r needs a domain (%s:DOMAIN)" % (raw, name))
    if name in ("ip4", "ip6") and not (arg and arg.startswith(":") and len(arg) > 1):
        raise SpfError("%r needs an address (%s:ADDRESS[/PREFIX])" % (raw, name))
    if name == "all" and arg:
        raise SpfError("%r: all takes no argument" % raw)
    if arg and re.search(r'[\s"\\;]', arg):
        raise SpfError("%r: whitespace, quotes, backslashes and semicolons belong in no SPF term" % raw)
    if name in ("ip4", "ip6"):
        try:
            net = ipaddress.ip_network(arg[1:], strict=False)
        except ValueError:
            net = None
        if net is None or net.version != int(name[-1]):
            raise SpfError("%r: %r is not an IPv%s address or network" % (raw, arg[1:], name[-1]))
    return Term(mech.group(1), name, arg, False, raw)


def parse(text):
    """``v=spf1 ...`` -> list of Term (raises SpfError)."""
    return list(_parsed((text or "").strip()))


@functools.lru_cache(maxsize=4096)
def _parsed(text):
    """One record's terms, parsed once per process (a fleet's records repeat: every domain's is often the same text,
    and each count of lookups parses the included amazonses.com record again); a tuple, so no caller can change the
    cached copy; an error is not cached."""
    if not is_spf(text):
        raise SpfError("%r is not an SPF record (it must start with v=spf1)" % text[:60])
    terms = [parse_term(raw) for raw in text.split()[1:]]
    seen = {}
    for t in terms:
        if t.modifier and t.name in MODIFIERS:
            if t.name in seen:
                raise SpfError("the %s= modifier appears twice" % t.name)
            seen[t.name] = t
    return tuple(terms)


def render(terms):
    return " ".join(["v=spf1"] + [t.raw for t in terms])


def normalize(text):
    """Whitespace collapsed, version lower-case; terms as written (their order is meaningful)."""
    return render(parse(text))


def _all_term(terms):
    for t in terms:
        if not t.modifier and t.name == "all":
            return t
    return None


def merge(existing, add=DEFAULT_MECHANISMS, remove=(), all_qualifier=None, default_all="~"):
    """Return the SPF text that authorises ``add`` on top of ``existing`` (None for no record).

    Never drops a term other than those in ``remove``; new mechanisms go before ``all`` (or before the
    modifiers), in the order given; a mechanism already present (any qualifier) is kept as it is. The
    ``all`` qualifier is kept unless ``all_qualifier`` is given; a new record ends in ``<default_all>all``.
    """
    terms = parse(existing) if existing and existing.strip() else []
    new_record = not terms and not (existing and existing.strip())
    adds = [parse_term(a.strip()) for a in add if a and a.strip()]
    for t in adds:
        if t.modifier and t.name == "redirect":
            raise SpfError("redirect= cannot be merged (it would hand over the whole policy); set it explicitly")
        if not t.modifier and t.name == "all":
            raise SpfError("use all_qualifier to set the all mechanism, not %r" % t.raw)
    removes = {parse_term(r.strip()).key for r in remove if r and r.strip()}
    terms = [t for t in terms if t.key not in removes]
    present = {t.key for t in terms}
    position = len(terms)
    for i, t in enumerate(terms):
        if t.modifier or t.name == "all":
            position = i
            break
    new = []
    for t in adds:
        if t.key not in present and t.key not in removes:
            present.add(t.key)
            new.append(Term(t.qualifier if t.qualifier != "+" else "", t.name, t.arg, False,
                            (t.qualifier if t.qualifier != "+" else "") + t.name + (t.arg or "")))
    terms[position:position] = new
    has_redirect = any(t.modifier and t.name == "redirect" for t in terms)
    current_all = _all_term(terms)
    if all_qualifier is not None:
        if all_qualifier not in QUALIFIERS:
            raise SpfError("all_qualifier %r is not one of + - ~ ?" % all_qualifier)
        raw = ("" if all_qualifier == "+" else all_qualifier) + "all"
        if current_all is not None:
            idx = terms.index(current_all)
            terms[idx] = Term(all_qualifier if all_qualifier != "+" else "", "all", None, False, raw)
        elif has_redirect:
            raise SpfError("the record delegates with redirect=; adding all would disable the redirect")
        else:
            idx = next((i for i, t in enumerate(terms) if t.modifier), len(terms))
            terms.insert(idx, Term(all_qualifier, "all", None, False, raw))
    elif new_record and not has_redirect:
        terms.append(Term(default_all, "all", None, False, default_all + "all"))
    return render(terms)


def mechanism_keys(text):
    """The set of (name, argument) of every term, to check that nothing was dropped."""
    return {t.key for t in parse(text)}


# ----------------------------------------------------------------------------------------- lookups
class LookupCount:
    """The result of counting: ``lookups`` (each a dict term/domain/via/void), void count, and problems.

    ``permerrors``: what RFC 7208 makes a permanent error for every receiver (an include of a name without
    SPF or with two, a loop, an unparsable included record, more than 10 MX hosts). ``temperrors``: lookups
    that could not be made (timeout, REFUSED, SERVFAIL): their branch is not followed, so the count is only a
    lower bound and must not be taken as a success. ``errors`` is both, in order.
    """

    def __init__(self):
        self.lookups = []
        self.void = 0
        self.errors = []
        self.permerrors = []
        self.temperrors = []

    def permerror(self, msg):
        self.permerrors.append(msg)
        self.errors.append(msg)

    def temperror(self, msg):
        self.temperrors.append(msg)
        self.errors.append(msg)

    @property
    def count(self):
        return len(self.lookups)

    def to_dict(self):
        return {"count": self.count, "void": self.void, "lookups": list(self.lookups), "errors": list(self.errors),
                "permerrors": list(self.permerrors), "temperrors": list(self.temperrors),
                "complete": not self.temperrors, "limit": MAX_LOOKUPS, "void_limit": MAX_VOID_LOOKUPS}

    def describe(self):
        parts = []
        for i, lk in enumerate(self.lookups):
            where = " (in %s)" % " > ".join(lk["via"]) if lk["via"] else ""
            parts.append("%d. %s%s%s" % (i + 1, lk["term"], where, " [void]" if lk.get("void") else ""))
        return "; ".join(parts)


class Unresolvable(Exception):
    """resolve() raises this (or any exception) for a failure that is not NXDOMAIN / no data."""


def _spf_of(resolve, domain):
    records = [t for t in resolve(domain, "TXT") if is_spf(t)]
    return records


def count_lookups(domain, resolve, record=None):
    """Count the DNS lookups that evaluating ``domain``'s SPF costs (RFC 7208 4.6.4), recursively.

    ``resolve(name, rtype)`` returns a list of strings (TXT strings joined; MX as 'pref host'); an empty
    list is a void lookup (NXDOMAIN or no data); an exception is recorded as an error and that branch is
    not followed (the count is then a lower bound). ``record`` evaluates given text instead of reading
    ``domain``'s TXT.
    """
    result = LookupCount()
    _count(domain.lower().rstrip("."), resolve, record, result, via=[], seen=set())
    return result


def _lookup(resolve, name, rtype, result):
    try:
        return resolve(name, rtype)
    except Exception as exc:  # noqa: BLE001 - resolver failures of any kind are reported, not raised
        result.temperror("%s %s: the lookup could not be made (%s), so what it leads to is not counted"
                         % (name, rtype, getattr(exc, "msg", None) or type(exc).__name__))
        return None


def _count(domain, resolve, record, result, via, seen):
    if domain in seen:
        result.permerror("include loop at %s (via %s)" % (domain, " > ".join(via)))
        return
    seen = seen | {domain}
    if record is None:
        found = _lookup(resolve, domain, "TXT", result)
        if found is None:
            return
        spf = [t for t in found if is_spf(t)]
        if len(spf) != 1:
            result.permerror("%s has %s SPF records" % (domain, len(spf) or "no"))
            return
        record = spf[0]
    try:
        terms = parse(record)
    except SpfError as exc:
        result.permerror("%s: %s" % (domain, exc))
        return
    has_all = _all_term(terms) is not None
    for t in terms:
        if t.name not in LOOKUP_TERMS or (t.modifier and t.name != "redirect"):
            continue
        if t.modifier and has_all:
            continue  # redirect is ignored when the record has all
        target = (t.domain or domain).lower().rstrip(".")
        entry = {"term": t.raw, "domain": domain, "via": (via + [domain]) if via else [], "void": False}
        result.lookups.append(entry)
        if "%" in target:
            continue  # a macro: expanded per message, not resolvable here
        if t.name in ("include", "redirect"):
            if target in seen:  # the record being evaluated, or one on the way to it: checked before DNS says more
                result.permerror("include loop at %s (%s in %s)" % (target, t.raw, " > ".join(via + [domain])))
                continue
            found = _lookup(resolve, target, "TXT", result)
            if found is not None and not [x for x in found if is_spf(x)]:
                entry["void"] = not found
                result.void += int(not found)
                result.permerror("%s %s: %s has no SPF record (permerror)" % (domain, t.raw, target))
                continue
            if found is None:
                entry["error"] = True  # asked, not answered: not a successful lookup
            else:
                _count(target, resolve, None, result, via + [domain], seen)
        elif t.name == "a":
            found = _lookup(resolve, target, "A", result)
            if found is not None and not found:
                found = _lookup(resolve, target, "AAAA", result)
            _void(entry, found, result)
        elif t.name == "mx":
            found = _lookup(resolve, target, "MX", result)
            _void(entry, found, result)
            if found and len(found) > MAX_MX_PTR_NAMES:
                result.permerror("%s: %s has %d MX hosts (more than 10 is a permerror)"
                                 % (domain, target, len(found)))
        elif t.name == "exists":
            _void(entry, _lookup(resolve, target, "A", result), result)


def _void(entry, found, result):
    if found is not None and not found:
        entry["void"] = True
        result.void += 1
