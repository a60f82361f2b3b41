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

Never raises for a bad source; a store that cannot be written is an error of the run (raised), because nothing
could be recorded. Check mode reads and parses everything and writes nothing (no store row, no quarantine copy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import aggregate, published_policy

REPORT_SUFFIXES = (".xml", ".gz", ".zip", ".eml", ".mbox", ".msg", "")


def day_of(epoch):
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()


class Ingester:
    def __init__(self, store, limits, check_mode=False, domains=None, quarantine=None):
        """``quarantine(name, data, reason, fingerprint)`` keeps an unreadable source (not called in check mode)."""
        self.store = store
        self.limits = limits
        self.check_mode = check_mode
        self.domains = set(d.lower().rstrip(".") for d in domains) if domains else None
        self.quarantine = quarantine
        self.outcomes = []
        self.totals = {"sources": 0, "ingested": 0, "partial": 0, "quarantined": 0, "seen": 0, "skipped": 0,
                       "reports_new": 0, "reports_duplicate": 0, "reports_unreadable": 0, "reports_other_domain": 0,
                       "records": 0, "messages": 0}
        self._seen_now = set()  # report identities recorded in this run (check mode cannot ask the store)

    def ingest(self, name, data, fingerprint=None):
        """Handle one source's bytes; return its outcome dict."""
        fingerprint = fingerprint or "sha256:" + hashlib.sha256(data).hexdigest()
        self.totals["sources"] += 1
        outcome = {"source": name, "status": None, "reports": 0, "new": 0, "duplicates": 0, "errors": []}
        previous = self.store.source_seen(fingerprint)
        if previous is not None:
            outcome.update(status="seen", previous=previous["status"])
            if previous.get("reason"):
                outcome["reason"] = previous["reason"]
            return self._done(outcome)
        good = 0
        other = 0
        try:
            for member, stream in dmarc_report.open_reports(data, name, self.limits):
                try:
                    result = self._one(member, stream)
                except (ValueError, TypeError, KeyError, IndexError, OSError, EOFError, RecursionError) as exc:
                    exc = dmarc_report.ReportError("unexpected", "%s: %s" % (type(exc).__name__, exc))
                    self.totals["reports_unreadable"] += 1
                    outcome["errors"].append({"member": member, "kind": exc.kind, "reason": exc.message})
                    continue
                except dmarc_report.ReportError as exc:
                    self.totals["reports_unreadable"] += 1
                    outcome["errors"].append({"member": member, "kind": exc.kind, "reason": exc.message})
                    continue
                if result == "other":
                    other += 1
                    continue
                good += 1
                outcome["reports"] += 1
                outcome["new" if result == "new" else "duplicates"] += 1
                if len(outcome["errors"]) + good > self.limits.max_members:
                    break
        except dmarc_report.ReportError as exc:
            outcome["errors"].append({"member": name, "kind": exc.kind, "reason": exc.message})
        except (ValueError, TypeError, KeyError, IndexError, OSError, EOFError, RecursionError) as exc:
            # a reader bug on strange input must not cost the rest of the run: quarantine and say what happened
            outcome["errors"].append({"member": name, "kind": "unexpected",
                                      "reason": "%s: %s" % (type(exc).__name__, exc)})
        if outcome["errors"]:
            outcome["status"] = "partial" if good else "quarantined"
            outcome["reason"] = "; ".join("%s: %s" % (e["member"], e["reason"]) for e in outcome["errors"])[:1000]
            outcome["kept"] = True  # a quarantine copy (would be) written
            if not self.check_mode:
                if self.quarantine is not None:
                    outcome["quarantined_to"] = self.quarantine(name, data, outcome["reason"], fingerprint)
                self.store.mark_source(fingerprint, name, outcome["status"], outcome["reason"], outcome["reports"])
        elif good == 0 and other:
            outcome["status"] = "skipped"
            self.totals["reports_other_domain"] += other
            # not remembered: a later run with other domains may want it
        else:
            outcome["status"] = "ingested"
            if not self.check_mode:
                self.store.mark_source(fingerprint, name, "ingested", None, outcome["reports"])
        return self._done(outcome)

    def unreadable(self, name, error):
        """A source that could not even be read (permissions, S3 error): counted, reported, retried next run."""
        self.totals["sources"] += 1
        return self._done({"source": name, "status": "quarantined", "reports": 0, "new": 0, "duplicates": 0,
                           "errors": [{"member": name, "kind": error.kind, "reason": error.message}],
                           "reason": error.message})

    def _done(self, outcome):
        self.totals[outcome["status"]] += 1
        self.outcomes.append(outcome)
        return outcome

    def _one(self, member, stream):
        acc = {}

        def on_record(rec):
            key = (rec["source_ip"], rec["source_host"], rec["dkim_domain"], rec["spf_domain"], rec["dkim"], rec["spf"],
                   rec["disposition"])
            if key in acc:
                acc[key]["count"] += rec["count"]
            else:
                acc[key] = dict(rec)

        report = dmarc_report.parse_xml(stream, self.limits, on_record=on_record)
        if self.domains is not None and report["domain"] not in self.domains:
            return "other"
        org = report["org_name"].strip()
        identity = (org, report["report_id"])
        if identity in self._seen_now or self.store.has_report(*identity):
            self.totals["reports_duplicate"] += 1
            return "duplicate"
        day = day_of(report["date_begin"])
        rows = aggregate(acc.values(), day, org, published_policy(report["policy"]))
        meta = {"org": org, "report_id": report["report_id"], "domain": report["domain"], "day": day,
                "date_begin": report["date_begin"], "date_end": report["date_end"], "schema": report["schema"],
                "source": member, "messages": report["messages"], "records": report["record_count"]}
        added = True
        if not self.check_mode:
            added = self.store.add_report(meta, rows)
        self._seen_now.add(identity)
        if not added:
            self.totals["reports_duplicate"] += 1
            return "duplicate"
        self.totals["reports_new"] += 1
        self.totals["records"] += report["record_count"]
        self.totals["messages"] += report["messages"]
        return "new"


def local_sources(paths, limits):
    """Yield (name, bytes or ReportError) for every file under ``paths`` (files, or folders walked in name order)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for fname in sorted(files):
                    if fname.startswith("."):
                        continue
                    yield _read_local(os.path.join(root, fname), limits)
        else:
            yield _read_local(path, limits)


def _read_local(path, limits):
    try:
        size = os.path.getsize(path)
        if size > limits.max_input:
            return path, dmarc_report.ReportError("too_large", "%d bytes is more than max_input %d"
                                                  % (size, limits.max_input))
        with open(path, "rb") as fh:
            return path, fh.read()
    except OSError as exc:
        return path, dmarc_report.ReportError("unreadable", "cannot read the file: %s" % exc)


def local_quarantine(directory):
    """A quarantine function that copies the source into ``directory`` with a ``.reason.json`` beside it."""
    def keep(name, data, reason, fingerprint):
        os.makedirs(directory, exist_ok=True)
        base = "%s-%s" % (fingerprint.split(":")[-1][:16], os.path.basename(name.rstrip("/")) or "source")
        target = os.path.join(directory, base)
        tmp = target + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else b"")
        os.replace(tmp, target)
        with open(target + ".reason.json", "w") as fh:
            json.dump({"source": name, "reason": reason, "fingerprint": fingerprint}, fh)
        return target
    return keep
