# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account-level suppression list: reads, writes, the delisting guard, date filters, summary, export.

Pure pieces (dates, summary, export, the plan for one address) take and return data; the SES calls
are thin wrappers over :func:`call` so every error carries the operation and the AWS error code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none
from ansible_collections.deliverability.ses.plugins.module_utils.formats import cells
from ansible_collections.deliverability.ses.plugins.module_utils import files, validate
from ansible_collections.deliverability.ses.plugins.module_utils.dns import mailcheck
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec

REASONS = ("BOUNCE", "COMPLAINT")
PAGE_SIZE = 1000  # the API's maximum

# SES introduced the account-level suppression list on 2019-11-25 and keeps an entry for as long as it
# stays on the list (there is no expiry); ListSuppressedDestinations documents no lower bound for
# StartDate. A start date before the list existed cannot match anything and is almost always a typo.
EARLIEST = dt.datetime(2019, 11, 25, tzinfo=dt.timezone.utc)


def utc_now():
    return dt.datetime.now(dt.timezone.utc)


def iso(value):
    """A datetime as ISO 8601 UTC with a Z; passes other values through."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += ".%03d" % (value.microsecond // 1000)
        return text + "Z"
    return value


def parse_date(value, option, now=None):
    """ISO 8601 (date or date-time, Z or offset; naive means UTC), ``now``, or relative ``-7d``/``-12h``/
    ``-30m``/``-2w``/``-90s`` (a leading ``-`` or nothing means in the past). Returns an aware UTC datetime.
    Dates out of range (``-1000000000d``, year 1 with an offset) are an InputError, never an OverflowError."""
    return validate.date(value, option, now=now or utc_now())


def date_range(start_value, end_value, now=None):
    """Parse and check start_date / end_date together; returns (start, end)."""
    now = now or utc_now()
    start = parse_date(start_value, "start_date", now)
    end = parse_date(end_value, "end_date", now)
    if start is not None and end is not None and start > end:
        raise InputError("start_date", "%s is after end_date %s: the dates are in the wrong order"
                         % (iso(start), iso(end)))
    if start is not None and start < EARLIEST:
        raise InputError("start_date", "%s is before %s, when SES introduced the account-level suppression "
                                       "list; no entry can be that old (SES keeps entries until they are "
                                       "removed, so omit start_date to list everything)"
                         % (iso(start), iso(EARLIEST)))
    if start is not None and start > now:
        raise InputError("start_date", "%s is in the future, so nothing can match" % iso(start))
    return start, end


def check_reasons(values, option):
    out = []
    for value in values or []:
        reason = str(value).strip().upper()
        if reason not in REASONS:
            raise InputError(option, "unknown reason %r; valid reasons: %s" % (value, ", ".join(REASONS)))
        if reason not in out:
            out.append(reason)
    return out


# ---------------------------------------------------------------------------------------------- SES calls
def entry_from_api(item):
    attrs = item.get("Attributes") or {}
    out = {
        "email_address": item.get("EmailAddress"),
        "reason": item.get("Reason"),
        "last_update_time": iso(item.get("LastUpdateTime")),
    }
    if "Attributes" in item:
        out["message_id"] = attrs.get("MessageId") or None
        out["feedback_id"] = attrs.get("FeedbackId") or None
    return out


def get_suppressed(client, email):
    """The entry for one address, or None when it is not on the list."""
    resp = get_or_none(client, "GetSuppressedDestination", EmailAddress=email)
    if resp is None:
        return None
    return entry_from_api(resp.get("SuppressedDestination") or {})


def put_suppressed(client, email, reason):
    call(client, "PutSuppressedDestination", EmailAddress=email, Reason=reason)


def delete_suppressed(client, email):
    """Delete; True if it was deleted, False if SES says it was not (or no longer) on the list."""
    return get_or_none(client, "DeleteSuppressedDestination", EmailAddress=email) is not None


def iter_suppressed(client, reasons=None, start=None, end=None, limit=None, page_size=PAGE_SIZE, stats=None):
    """Every entry matching the filters, page after page (no 1,000 cap), stopping at ``limit``.

    ``stats`` (a dict) receives ``pages`` and ``truncated`` (whether entries remained past ``limit``).
    """
    stats = {} if stats is None else stats
    stats.update(pages=0, truncated=False)
    params = {"PageSize": page_size}
    if reasons:
        params["Reasons"] = list(reasons)
    if start is not None:
        params["StartDate"] = start
    if end is not None:
        params["EndDate"] = end
    count = 0
    while True:
        if limit is not None:
            # one more than needed, so a listing that ends exactly at the limit is not called truncated
            params["PageSize"] = max(1, min(page_size, limit - count + 1))
        resp = call(client, "ListSuppressedDestinations", **params)
        stats["pages"] += 1
        token = resp.get("NextToken")
        for item in resp.get("SuppressedDestinationSummaries") or []:
            if limit is not None and count >= limit:
                stats["truncated"] = True
                return
            count += 1
            yield entry_from_api(item)
        if not token:
            return
        if limit is not None and count >= limit:
            stats["truncated"] = True
            return
        params["NextToken"] = token


def get_account(client):
    resp = call(client, "GetAccount")
    return {
        "suppressed_reasons": sorted((resp.get("SuppressionAttributes") or {}).get("SuppressedReasons") or []),
        "sending_enabled": resp.get("SendingEnabled"),
        "enforcement_status": resp.get("EnforcementStatus"),
        "production_access_enabled": resp.get("ProductionAccessEnabled"),
    }


# ---------------------------------------------------------------------------------------------- pure logic
def domain_of(email):
    return email.rpartition("@")[2].lower()


def summarize(entries, top_domains=None):
    """{"total", "by_reason": {BOUNCE: n, COMPLAINT: n}, "by_domain": {domain: n} (most first), "oldest", "newest"}."""
    by_reason = dict((r, 0) for r in REASONS)
    by_domain = {}
    oldest = newest = None
    total = 0
    for e in entries:
        total += 1
        by_reason[e["reason"]] = by_reason.get(e["reason"], 0) + 1
        d = domain_of(e["email_address"])
        by_domain[d] = by_domain.get(d, 0) + 1
        t = e.get("last_update_time")
        if t:
            oldest = t if oldest is None or t < oldest else oldest
            newest = t if newest is None or t > newest else newest
    ordered = sorted(by_domain.items(), key=lambda kv: (-kv[1], kv[0]))
    if top_domains is not None:
        ordered = ordered[:top_domains]
    return {"total": total, "by_reason": by_reason, "by_domain": dict(ordered),
            "domains": len(by_domain), "oldest": oldest, "newest": newest}


EXPORT_FIELDS = ("email_address", "reason", "last_update_time")


def export_format(path, fmt):
    if fmt:
        return fmt
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def render_export(entries, fmt):
    """The export file's text. CSV: RFC 4180 with a header row, every field quoted when needed (addresses
    may hold quotes and commas); JSON Lines: one object per entry. Both round-trip every address."""
    if fmt == "jsonl":
        return "".join(json.dumps({k: e.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n" for e in entries)
    # cells that start with = + - @ TAB CR get a leading ' (OWASP CSV injection); parse_addresses takes it off
    return cells.render_csv(EXPORT_FIELDS, ([e.get(k) or "" for k in EXPORT_FIELDS] for e in entries))


def write_export(path, text):
    """Write atomically (0600 temp file in the same directory, then rename) so a reader never sees half a
    file; never through a symlink."""
    return files.write_atomic(path, text, "export")


MAX_SRC_BYTES = 64 * 1024 * 1024


def read_addresses(path, option="src", with_lines=False):
    """Addresses from a file: CSV with an ``email``/``email_address`` column (and optional ``reason``),
    JSON Lines ({"email_address"|"emailAddress"|"email", "reason"}), or one address per line.
    Errors give line numbers, never the file's content (it may not be addresses at all)."""
    path = os.path.expanduser(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_SRC_BYTES:
            raise InputError(option, "%s is %d bytes; at most %d are read" % (path, size, MAX_SRC_BYTES))
        with open(path, "rb") as handle:
            data = handle.read(MAX_SRC_BYTES + 1)
    except OSError as exc:
        raise InputError(option, "cannot read %s (%s)" % (path, exc.strerror or exc))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(option, "%s is not UTF-8 text (line %d)" % (path, line))
    return parse_addresses(text, option, with_lines=with_lines)


def _unneutralise(cell):
    """Undo the export's formula guard: "'=x@y" -> "=x@y"."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in cells.FORMULA_LEADS:
        return cell[1:]
    return cell


def parse_addresses(text, option="src", with_lines=False):
    """[(email, reason or None)] from CSV / JSON Lines / plain text (see read_addresses); with ``with_lines``
    [(email, reason, line number)]."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    out = []
    if not numbered:
        return out

    def add(email, reason, n):
        out.append((email, reason, n) if with_lines else (email, reason))

    if numbered[0][1].lstrip().startswith("{"):
        for n, line in numbered:
            try:
                obj = json.loads(line)
            except ValueError:
                raise InputError(option, "line %d is not JSON" % n)
            if not isinstance(obj, dict):
                raise InputError(option, "line %d is not a JSON object" % n)
            email = obj.get("email_address") or obj.get("emailAddress") or obj.get("email")
            if not email or not isinstance(email, str):
                raise InputError(option, "line %d has no email_address" % n)
            reason = obj.get("reason")
            add(email, reason if isinstance(reason, str) else None, n)
        return out
    header = next(csv.reader([numbered[0][1]]))
    cols = [h.strip().lower() for h in header]
    key = next((c for c in ("email_address", "emailaddress", "email", "address") if c in cols), None)
    rows = numbered[1:] if key is not None else numbered
    for n, line in rows:
        try:
            row = next(csv.reader([line]), [])
        except csv.Error:
            raise InputError(option, "line %d is not valid CSV" % n)
        if not row:
            continue
        row = [_unneutralise(cell) for cell in row]
        if key is not None:
            i_email, i_reason = cols.index(key), (cols.index("reason") if "reason" in cols else None)
            reason = row[i_reason].strip() if i_reason is not None and len(row) > i_reason else None
            add(row[i_email] if len(row) > i_email else "", reason or None, n)
            continue
        # SES import format (address,REASON) or one address per line
        reason = row[1].strip() if len(row) > 1 and row[1].strip().upper() in REASONS else None
        add(row[0] if reason or len(row) == 1 else ",".join(row), reason, n)
    return out


def plan(current, state, reason):
    """What to do for one address: "none", "put" (add), "update" (change reason) or "delete"."""
    if state == "absent":
        return "delete" if current else "none"
    if current is None:
        return "put"
    return "none" if current.get("reason") == reason else "update"


def delisting_guard(email, check_dns, resolver, cache=None):
    """Refuse to delist an address whose domain accepts no mail. Returns the DNS evidence (or None).

    Raises DeliverabilityError; ``cache`` maps domain -> result so a bulk run asks once per domain.
    """
    if not check_dns:
        return None
    domain = domain_of(email)
    if cache is not None and domain in cache:
        found = cache[domain]
    else:
        try:
            found = mailcheck.domain_accepts_mail(domain, resolver)
        except mailcheck.DnsCheckError as exc:
            found = {"accepts_mail": None, "detail": exc.msg}
        if cache is not None:
            cache[domain] = found
    if found["accepts_mail"] is None:
        raise DeliverabilityError("refusing to delist %s: could not verify that %s accepts mail: %s; "
                                  "retry, point resolvers at a working server, or set force=true"
                                  % (email, domain, found["detail"]), dns_check=found)
    if not found["accepts_mail"]:
        raise DeliverabilityError("refusing to delist %s: %s; mail to it would bounce again. Set force=true "
                                  "to delist anyway (the audit log still records it)" % (email, found["detail"]),
                                  dns_check=found)
    return found


DELIST_SPEC = dict(
    reason_for_removal=dict(type="str"),
    force=dict(type="bool", default=False),
    resolvers=resolvers_spec(),
    dns_timeout=dict(type="float", default=5.0),
)


class DelistGuard:
    """The delisting checks with the module's options; DNS answers are cached per domain."""

    def __init__(self, params):
        self.force = bool(params.get("force"))
        self.reason_for_removal = params.get("reason_for_removal")
        timeout = params.get("dns_timeout")
        self.timeout = validate.number(5.0 if timeout is None else timeout, "dns_timeout", minimum=0, maximum=3600,
                                       min_exclusive=True)
        self.servers = mailcheck.parse_resolvers(params.get("resolvers"), "resolvers")
        self._resolver = None
        self.cache = {}

    def require_reason(self):
        """Free text recorded in the audit log: visible text, not whitespace or zero-width characters."""
        self.reason_for_removal = validate.reason(self.reason_for_removal, "reason_for_removal")

    def check(self, email):
        if self.force:
            return None
        if self._resolver is None:
            self._resolver = mailcheck.make_resolver(self.servers, self.timeout)
        return delisting_guard(email, True, self._resolver, self.cache)
