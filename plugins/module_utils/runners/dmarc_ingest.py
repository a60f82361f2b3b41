# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ingest DMARC aggregate reports from local files / folders and an S3 bucket into the evidence store.

Per source (a file or an S3 object) the outcome is one of:

* ``ingested``: every report in it was read; ``new`` of them were recorded, ``duplicates`` were already there;
* ``partial``: some reports were recorded, the others could not be read; the source is quarantined too;
* ``quarantined``: nothing in it could be read; a copy goes to the quarantine with the reason;
* ``seen``: handled by an earlier run (by fingerprint); nothing is read again;
* ``skipped``: only reports for other domains (when ``domains`` is given).

* ``store_failed``: read, but a report (or the source's mark) could not be written to the store: not
  quarantined, not remembered, so the next run reads it again.

Never raises for a source: anything in it (a count past the schema's bounds, a surprise in the reader) or any
failure to record one of its reports is that report's outcome, never the run's. A report whose (reporter,
report id) is recorded with other content is kept as a conflict (counted nowhere). Quarantined sources are read
again when the parser that refused them changed (``PARSER_VERSION``) or on ``retry_quarantined``. Check mode
reads and parses everything and writes nothing (no store row, no quarantine copy); ``new_reports`` then holds
what a real run would record, so the gate can be evaluated on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3

from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_sources import local_quarantine, local_sources, s3_quarantine, s3_sources
from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_containers
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import (
    EvidenceStoreError, published_policy)

REPORT_SUFFIXES = (".xml", ".gz", ".zip", ".eml", ".mbox", ".msg", "")


def day_of(epoch):
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()


STORE_FAILED = "store_failed"


class Ingester:
    def __init__(self, store, limits, check_mode=False, domains=None, quarantine=None, retry_quarantined=False,
                 trust=None):
        """``quarantine(name, data, reason, fingerprint)`` keeps an unreadable source (not called in check mode).
        ``retry_quarantined``: read quarantined sources again even when the parser has not changed.
        ``trust(report, mail)`` -> (reporter, trust level, note): the provenance of one report (default: every
        report is operator-supplied)."""
        self.store = store
        self.limits = limits
        self.check_mode = check_mode
        self.domains = set(d.lower().rstrip(".") for d in domains) if domains else None
        self.quarantine = quarantine
        self.retry_quarantined = retry_quarantined
        self.trust = trust or (lambda report, mail: (report_email_domain(report), "operator", None))
        self.outcomes = []
        self.totals = {"sources": 0, "ingested": 0, "partial": 0, "quarantined": 0, "seen": 0, "skipped": 0,
                       STORE_FAILED: 0, "retried": 0, "reports_new": 0, "reports_duplicate": 0,
                       "reports_conflict": 0, "reports_unreadable": 0, "reports_other_domain": 0,
                       "reports_store_failed": 0, "records": 0, "messages": 0}
        self._seen_now = {}  # report identity -> digest, recorded in this run (check mode cannot ask the store)
        self.new_reports = []  # (meta, rows) of what was (or in check mode would be) recorded

    def will_read(self, fingerprint):
        """False when the source was handled before and is not to be read again."""
        previous = self.store.source_seen(fingerprint)
        return previous is None or self._retry(previous)

    def _retry(self, previous):
        return previous["status"] in ("quarantined", "partial") and (
            self.retry_quarantined or (previous.get("parser") or "") != dmarc_report.PARSER_VERSION)

    def ingest(self, name, data, fingerprint=None):
        """Handle one source's bytes; return its outcome dict. Never raises for anything in the source or for
        a failure to record it: that is the source's outcome."""
        fingerprint = fingerprint or "sha256:" + hashlib.sha256(data).hexdigest()
        self.totals["sources"] += 1
        outcome = {"source": name, "status": None, "reports": 0, "new": 0, "duplicates": 0, "conflicts": 0,
                   "errors": []}
        previous = self.store.source_seen(fingerprint)
        if previous is not None and not self._retry(previous):
            outcome.update(status="seen", previous=previous["status"])
            if previous.get("reason"):
                outcome["reason"] = previous["reason"]
            return self._done(outcome)
        if previous is not None:
            if self.retry_quarantined:
                outcome["retried"] = "retry_quarantined=true"
            else:
                outcome["retried"] = "parser %s, refused by %s" % (
                    dmarc_report.PARSER_VERSION, previous.get("parser") or "an earlier parser")
            self.totals["retried"] += 1
        good = 0
        other = 0
        store_errors = []
        try:
            for member, stream, mail in dmarc_containers.open_reports_with_mail(data, name, self.limits):
                try:
                    result = self._one(member, stream, mail)
                except EvidenceStoreError as exc:
                    # the report was read but could not be recorded: not quarantined (nothing is wrong with it),
                    # the source is not remembered, so the next run reads it again
                    self.totals["reports_store_failed"] += 1
                    store_errors.append({"member": member, "kind": "store", "reason": str(exc)})
                    continue
                except dmarc_report.ReportError as exc:
                    self._unreadable(outcome, member, exc.kind, exc.message)
                    continue
                except Exception as exc:  # noqa: BLE001 - one report's surprise is that report's outcome
                    self._unreadable(outcome, member, "unexpected", "%s: %s" % (type(exc).__name__, exc))
                    continue
                if result == "other":
                    other += 1
                    continue
                good += 1
                outcome["reports"] += 1
                outcome[{"new": "new", "conflict": "conflicts"}.get(result, "duplicates")] += 1
                if len(outcome["errors"]) + good > self.limits.max_members:
                    break
        except dmarc_report.ReportError as exc:
            self._unreadable(outcome, name, exc.kind, exc.message)
        except Exception as exc:  # noqa: BLE001 - a reader bug on strange input must not cost the rest of the run
            self._unreadable(outcome, name, "unexpected", "%s: %s" % (type(exc).__name__, exc))
        if store_errors:
            outcome["store_errors"] = store_errors
        if outcome["errors"]:
            outcome["status"] = "partial" if good else "quarantined"
            outcome["reason"] = "; ".join("%s: %s" % (e["member"], e["reason"]) for e in outcome["errors"])[:1000]
            outcome["kept"] = True  # a quarantine copy (would be) written
        elif good == 0 and other and not store_errors:
            outcome["status"] = "skipped"
            self.totals["reports_other_domain"] += other
            return self._done(outcome)  # not remembered: a later run with other domains may want it
        else:
            outcome["status"] = "ingested"
        if store_errors:
            outcome["status"] = STORE_FAILED
            outcome["reason"] = "; ".join("%s: %s" % (e["member"], e["reason"]) for e in store_errors)[:1000]
            outcome.pop("kept", None)
            return self._done(outcome)  # read again next run: what was recorded counts as duplicates then
        if not self.check_mode:
            self._remember(outcome, name, data, fingerprint)
        return self._done(outcome)

    def _unreadable(self, outcome, member, kind, reason):
        self.totals["reports_unreadable"] += 1  # a container (zip, gzip, MIME) that fails counts too
        outcome["errors"].append({"member": member, "kind": kind, "reason": reason})

    def _remember(self, outcome, name, data, fingerprint):
        try:
            if outcome.get("kept") and self.quarantine is not None:
                outcome["quarantined_to"] = self.quarantine(name, data, outcome["reason"], fingerprint)
            self.store.mark_source(fingerprint, name, outcome["status"], outcome.get("reason"), outcome["reports"],
                                   parser=dmarc_report.PARSER_VERSION)
        except (EvidenceStoreError, DeliverabilityError, OSError) as exc:
            # the reports themselves are recorded (or refused); only the memory of the source failed: it is
            # read again next run (its reports then count as duplicates)
            outcome["store_errors"] = [{"member": name, "kind": "store", "reason": str(exc)}]
            outcome["status"] = STORE_FAILED
            outcome["reason"] = "%s; %s" % (outcome.get("reason") or "read", exc)

    def unreadable(self, name, error):
        """A source that could not even be read (permissions, S3 error): counted, reported, retried next run."""
        self.totals["sources"] += 1
        self.totals["reports_unreadable"] += 1
        return self._done({"source": name, "status": "quarantined", "reports": 0, "new": 0, "duplicates": 0,
                           "conflicts": 0, "errors": [{"member": name, "kind": error.kind, "reason": error.message}],
                           "reason": error.message})

    def _done(self, outcome):
        self.totals[outcome["status"]] += 1
        self.outcomes.append(outcome)
        return outcome

    def _one(self, member, stream, mail):
        sums = Sums()
        try:
            return self._one_summed(member, stream, mail, sums)
        finally:
            sums.close()

    def _one_summed(self, member, stream, mail, sums):
        # streaming aggregation: each record is summed into its row as it is read and then dropped; what is
        # kept is one key and six sums per distinct (source, host, DKIM domain, SPF domain), and past
        # Sums.SPILL_AT distinct keys those go to a temporary SQLite database on disk (memory stays flat)
        acc = sums.acc
        names = {}  # one string object per distinct host / domain (the reader makes a new one per record)

        def on_record(rec):
            host, dkim_domain, spf_domain = rec["source_host"], rec["dkim_domain"], rec["spf_domain"]
            key = (rec["source_ip"], names.setdefault(host, host), names.setdefault(dkim_domain, dkim_domain),
                   names.setdefault(spf_domain, spf_domain))
            row = acc.get(key)
            if row is None:
                if len(acc) >= sums.spill_at:
                    sums.spill()
                row = acc[key] = [0, 0, 0, 0, 0, 0]
            n = rec["count"]
            dkim_ok = rec["dkim"] == "pass"
            spf_ok = rec["spf"] == "pass"
            row[0] += n
            if dkim_ok or spf_ok:
                row[1] += n
                if dkim_ok:
                    row[2] += n
                if spf_ok:
                    row[3] += n
            disposition = rec["disposition"]
            if disposition == "quarantine":
                row[4] += n
            elif disposition == "reject":
                row[5] += n

        report = dmarc_report.parse_xml(stream, self.limits, on_record=on_record)
        if self.domains is not None and report["domain"] not in self.domains:
            return "other"
        org = report["org_name"].strip()
        reporter, trust, note = self.trust(report, mail)
        day = day_of(report["date_begin"])
        policy = published_policy(report["policy"])

        def rows():
            # one row dict at a time: the store consumes them as they are made (memory: the sums above only)
            for k, v in sums.items():
                yield {"day": day, "org": org, "policy": policy, "source_ip": k[0], "source_host": k[1] or "",
                       "dkim_domain": k[2] or "", "spf_domain": k[3] or "", "messages": v[0], "dmarc_pass": v[1],
                       "dkim_aligned": v[2], "spf_aligned": v[3], "quarantined": v[4], "rejected": v[5],
                       "reporter": reporter, "trust": trust}
        digest = report_digest(report, sums.items())
        # a report whose mail proved nothing cannot take the identity of one that did (nor pre-empt its id)
        key_org = org if trust != "unauthenticated" else "unauthenticated:" + org
        identity = (key_org, report["report_id"])
        meta = {"org": key_org, "report_id": report["report_id"], "domain": report["domain"], "day": day,
                "date_begin": report["date_begin"], "date_end": report["date_end"], "schema": report["schema"],
                "source": member, "messages": report["messages"], "records": report["record_count"],
                "digest": digest, "reporter": reporter, "trust": trust,
                "notes": "; ".join(report["repairs"] + ([note] if note else []))[:1000]}
        existing = self._seen_now.get(identity)
        if existing is None:
            existing = self.store.report_digest(*identity)
        if existing is not None:
            if existing and existing != digest:
                # the same (reporter, report id) with other content: one of the two is not what it says
                if not self.check_mode:
                    self.store.add_conflict(meta)
                self.totals["reports_conflict"] += 1
                return "conflict"
            self.totals["reports_duplicate"] += 1
            return "duplicate"
        added = True
        if not self.check_mode:
            added = self.store.add_report(meta, rows())
        self._seen_now[identity] = digest
        if not added:
            self.totals["reports_duplicate"] += 1
            return "duplicate"
        self.totals["reports_new"] += 1
        self.totals["records"] += report["record_count"]
        self.totals["messages"] += report["messages"]
        if self.check_mode:  # kept for the gate's prediction (evidence_pending); a real run keeps nothing
            self.new_reports.append((meta, list(rows())))
        return "new"


class Sums:
    """The per-row sums of one report: a dict while small; past ``spill_at`` distinct rows the dict is moved
    into a temporary SQLite database (``sqlite3.connect("")``: a private file SQLite deletes on close, with a
    2 MB page cache) and cleared, so a 300,000-source report does not need 300,000 Python objects at once."""

    SPILL_AT = 20000

    def __init__(self, spill_at=None):
        self.acc = {}
        self.db = None
        self.spill_at = spill_at or self.SPILL_AT

    def spill(self):
        if not self.acc:
            return
        if self.db is None:
            self.db = sqlite3.connect("")
            self.db.execute("PRAGMA cache_size=-2048")
            self.db.execute("CREATE TABLE s (ip TEXT, host TEXT, dk TEXT, spf TEXT, a INTEGER, b INTEGER, c INTEGER, "
                            "d INTEGER, e INTEGER, f INTEGER, PRIMARY KEY (ip, host, dk, spf))")
        self.db.executemany(
            "INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ip, host, dk, spf) DO UPDATE SET "
            "a = a + excluded.a, b = b + excluded.b, c = c + excluded.c, d = d + excluded.d, e = e + excluded.e, "
            "f = f + excluded.f", (k + tuple(v) for k, v in self.acc.items()))
        self.acc.clear()

    def items(self):
        """(key, sums) of every row; may be called more than once."""
        if self.db is None:
            return self.acc.items()
        self.spill()
        return ((tuple(r[:4]), list(r[4:])) for r in self.db.execute("SELECT * FROM s"))

    def close(self):
        if self.db is not None:
            self.db.close()
            self.db = None


def report_email_domain(report):
    """The domain of the report's ``<email>`` (the reporter's own domain when nothing better is known)."""
    email_addr = (report.get("email") or "").strip().lower()
    return email_addr.rsplit("@", 1)[-1].strip(" >.") if "@" in email_addr else ""


def report_digest(report, sums):
    """What a report says, as a digest: the same (reporter, report id) with another digest is a conflict.
    ``sums``: iterable of ((source_ip, host, dkim domain, spf domain), [six sums]). Order-independent (a sum of per-row
    hashes), so it is computed in one pass without sorting or copying the rows."""
    head = json.dumps([report["domain"], report["date_begin"], report["date_end"], sorted(report["policy"].items())],
                      separators=(",", ":"), default=str).encode("utf-8")
    total = 0
    count = 0
    sha256, from_bytes = hashlib.sha256, int.from_bytes
    for key, values in sums:
        count += 1
        # the same text as "%s|%s|%s|%s|" + ",".join(map(str, values)) for the six whole-number sums
        row = ("%s|%s|%s|%s|%d,%d,%d,%d,%d,%d" % (key + tuple(values))).encode("utf-8")
        total += from_bytes(sha256(row).digest()[:16], "big")
    total %= 1 << 128
    return "sha256:" + hashlib.sha256(head + b"#" + str(count).encode() + b"#" + str(total).encode()).hexdigest()


# ----------------------------------------------------------------------------------------- the module's run
MAX_LISTED = 500
LIMIT_OPTIONS = ("max_report_bytes", "max_source_bytes", "max_ratio", "max_records", "max_sources")


def validate(params):
    """Every option checked before the first read (one InputError naming the option)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    for option in LIMIT_OPTIONS:
        if params[option] < 1:
            raise InputError(option, "must be at least 1, got %d" % params[option])
        if params[option] > 2 ** 40:
            raise InputError(option, "%d is more than %d" % (params[option], 2 ** 40))
    if params["s3_bucket"] is not None and not params["s3_bucket"].strip():
        raise InputError("s3_bucket", "is empty")
    if params.get("domains") is not None:
        if not params["domains"]:
            raise InputError("domains", "is an empty list: leave it out to read reports of every domain")
        params["domains"] = [normalize_domain(d, "domains") for d in params["domains"]]
    for path in params["paths"] or []:
        if not path or not os.path.exists(path):
            raise InputError("paths", "%s does not exist (relative paths resolve against %s)"
                             % (path or "''", os.getcwd()))


def run(module, partial):
    """dmarc_reports: read every source, record each report with its provenance, quarantine what cannot be read."""
    from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError, call
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import evidence as gate_policy
    from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import (
        default_quarantine_dir, open_store, store_location_warning)
    from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import SqliteEvidenceStore
    p = module.params
    if not dmarc_report.HAS_DEFUSEDXML:
        raise DeliverabilityError("defusedxml is required to read DMARC reports safely: pip install "
                                  "defusedxml==0.7.1 (%s)" % dmarc_report.DEFUSEDXML_IMPORT_ERROR)
    validate(p)
    limits = dmarc_report.Limits(max_bytes=p["max_report_bytes"], max_ratio=p["max_ratio"],
                                 max_input=p["max_source_bytes"], max_records=p["max_records"])
    quarantine_dir = p["quarantine_dir"] or default_quarantine_dir(p)
    if p["paths"]:
        # unreadable local sources are copied there: a folder that cannot take them is one clear error now
        files.check_writable(os.path.join(quarantine_dir, ".write-check"), "quarantine_dir",
                             create_parents=not module.check_mode)
    warning = store_location_warning(p)
    if warning:
        module.module.warn(warning)
    store, _error = open_store(module, read_only=module.check_mode, missing_ok=module.check_mode)
    if store is None:
        store = SqliteEvidenceStore(None, read_only=True)  # check mode before the first real run
    local_keep = local_quarantine(quarantine_dir)

    def operator(report, mail):
        return gate_policy.provenance(report_email_domain(report), report.get("org_name") or "", mail,
                                      operator=True)

    def received(report, mail):
        return gate_policy.provenance(report_email_domain(report), report.get("org_name") or "", mail,
                                      operator=False)

    ingester = Ingester(store, limits, check_mode=module.check_mode, domains=p["domains"], quarantine=local_keep,
                        retry_quarantined=p["retry_quarantined"], trust=operator)
    budget = p["max_sources"]
    try:
        for name, data in local_sources(p["paths"] or [], limits):
            if budget <= 0:
                break
            budget -= 1
            if isinstance(data, dmarc_report.ReportError):
                ingester.unreadable(name, data)
            else:
                ingester.ingest(name, data)
        if p["s3_bucket"]:
            s3 = module.client("s3")
            ingester.quarantine = s3_quarantine(s3, p["s3_bucket"], p["s3_quarantine_prefix"], call)
            ingester.trust = received
            for name, fingerprint, key, problem in s3_sources(s3, p["s3_bucket"], p["s3_prefix"],
                                                              p["s3_quarantine_prefix"], limits, call):
                if budget <= 0:
                    break
                budget -= 1
                if problem is not None:
                    ingester.unreadable(name, problem)
                    continue
                if not ingester.will_read(fingerprint):
                    ingester.ingest(name, b"", fingerprint=fingerprint)  # counted as seen, not read again
                    continue
                try:
                    body_bytes = call(s3, "GetObject", Bucket=p["s3_bucket"], Key=key)["Body"].read()
                except AwsError as exc:
                    ingester.unreadable(name, dmarc_report.ReportError("unreadable", exc.msg))
                    continue
                ingester.ingest(name, body_bytes, fingerprint=fingerprint)
    finally:
        partial.update(totals=ingester.totals, sources=ingester.outcomes[:MAX_LISTED],
                       sources_truncated=len(ingester.outcomes) > MAX_LISTED, store=store.location or "(none)")
        store.close()
    totals = ingester.totals
    if module.check_mode:
        partial["evidence_pending"], cut = pending_evidence(ingester.new_reports)
        if cut:
            module.module.warn("evidence_pending holds the first %d rows of %d: the gate's prediction in check mode "
                               "leaves out the rest" % (MAX_PENDING_ROWS, cut))
    changed = bool(totals["reports_new"] or totals["reports_conflict"] or any(o.get("kept") for o in ingester.outcomes))
    partial["changed"] = changed
    if totals[STORE_FAILED]:
        failed = [o for o in ingester.outcomes if o["status"] == STORE_FAILED]
        raise DeliverabilityError(
            "evidence_path: %d source(s) were read but could not be recorded in the evidence store %s (they are read "
            "again next run; every other source was handled): %s" % (len(failed), partial["store"], failed[0]["reason"]))
    return dict(partial)


MAX_PENDING_ROWS = 50000


def pending_evidence(new_reports):
    """The rows the new reports would add, summed as the store sums them (check mode: for the gate to count)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import _KEY_FIELDS, _SUM_FIELDS
    merged = {}
    for meta, rows in new_reports:
        for r in rows:
            key = (meta["domain"],) + tuple(r[f] for f in _KEY_FIELDS)
            row = merged.get(key)
            if row is None:
                merged[key] = dict(r, domain=meta["domain"])
            else:
                for f in _SUM_FIELDS:
                    row[f] += r[f]
    rows = [merged[k] for k in sorted(merged)]
    return rows[:MAX_PENDING_ROWS], (len(rows) if len(rows) > MAX_PENDING_ROWS else 0)
