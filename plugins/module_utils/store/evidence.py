# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DMARC evidence store: what aggregate reports said, per domain / day / source / reporter.

One interface, two backends (like the bounce history store): SQLite (one file, the default) and DynamoDB
(shared between machines and runs, the choice for execution environments and CI jobs whose disk is thrown away).

Idempotency contract (the same as the bounce store's): a report is identified by ``(reporter org, report id)``.
:meth:`EvidenceStore.add_report` records the report and all its rows *at once* and only if that identity is not
there yet, and says whether it did. Re-ingesting a report, or two ingesters racing on one, adds nothing. A crash
leaves either all of a report or none of it (SQLite: one transaction; DynamoDB: one conditional item per report
and domain, holding its rows), so the next run ingests what a crashed one did not.

Sources (files, S3 objects) already handled are remembered by a fingerprint, so a second run does not even
parse them again; a quarantined source is remembered with its reason.

Rows (what the gate reads): ``day`` (YYYY-MM-DD of the report's begin, UTC), ``org``, ``policy`` (the policy the report says was
published, ``p|t``), ``source_ip``,
``source_host`` (reverse DNS / base domain when the report gave one), ``dkim_domain``, ``spf_domain``,
``messages``, ``dmarc_pass``, ``dkim_aligned``, ``spf_aligned``, ``quarantined``, ``rejected``.
"""

from __future__ import annotations

import json
import operator
import sqlite3
import time

from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite_file import open_db

ROW_FIELDS = ("day", "org", "policy", "source_ip", "source_host", "dkim_domain", "spf_domain", "messages",
              "dmarc_pass", "dkim_aligned", "spf_aligned", "quarantined", "rejected", "reporter", "trust")
# reporter (the domain the report's mail proved, or the domain of its <email>) and trust (how the report
# reached us: policy/evidence.TRUST_LEVELS) come last, so DynamoDB items written before them still unpack
_ROW_VALUES = operator.itemgetter(*ROW_FIELDS)  # a row dict -> its values in column order, in C
_KEY_FIELDS = ROW_FIELDS[:7] + ROW_FIELDS[13:]
_SUM_FIELDS = ROW_FIELDS[7:13]
LEGACY_TRUST = "unknown"  # rows recorded before provenance was kept: where they came from was not recorded


def published_policy(policy):
    """The policy a report says was published, as ``p|t`` (``t`` empty when the report does not say: RFC 7489
    reports have no ``testing``)."""
    p = (policy.get("p") or "none").strip().lower()
    t = (policy.get("testing") or policy.get("t") or "").strip().lower()[:1]
    return "%s|%s" % (p, t if t in ("y", "n") else "")


class EvidenceStoreError(Exception):
    pass


def aggregate(records, day, org, policy="none|", reporter="", trust=LEGACY_TRUST):
    """Records of one report -> rows keyed by (source, dkim domain, spf domain), counts summed."""
    rows = {}
    for r in records:
        key = (day, org, policy, r["source_ip"], r.get("source_host") or "", r.get("dkim_domain") or "",
               r.get("spf_domain") or "", reporter, trust)
        row = rows.get(key)
        if row is None:
            row = rows[key] = dict(zip(_KEY_FIELDS, key), **dict.fromkeys(_SUM_FIELDS, 0))
        n = r["count"]
        dkim_ok = r["dkim"] == "pass"
        spf_ok = r["spf"] == "pass"
        row["messages"] += n
        row["dmarc_pass"] += n if (dkim_ok or spf_ok) else 0
        row["dkim_aligned"] += n if dkim_ok else 0
        row["spf_aligned"] += n if spf_ok else 0
        row["quarantined"] += n if r["disposition"] == "quarantine" else 0
        row["rejected"] += n if r["disposition"] == "reject" else 0
    return list(rows.values())


class EvidenceStore:
    """Interface. ``read_only`` stores (check mode) answer reads and refuse writes."""

    read_only = False
    location = None

    def has_report(self, org, report_id):
        return self.report_digest(org, report_id) is not None

    def report_digest(self, org, report_id):
        """None when (org, report_id) is not recorded; else the digest of its content ("" when recorded before
        digests were kept)."""
        raise NotImplementedError

    def add_report(self, meta, rows):
        """Record report ``meta`` ({org, report_id, domain, day, date_begin, date_end, schema, source, messages,
        records, digest}) with its ``rows`` unless (org, report_id) is there. True when this call recorded it.
        Raises EvidenceStoreError for any failure, with nothing of the report written (the transaction is
        closed on every path)."""
        raise NotImplementedError

    def add_conflict(self, meta):
        """Keep a report whose (org, report_id) is recorded with other content: counted nowhere, shown."""
        raise NotImplementedError

    def source_seen(self, fingerprint):
        """The stored outcome of a source ({status, reason, reports, parser}) or None."""
        raise NotImplementedError

    def mark_source(self, fingerprint, name, status, reason=None, reports=0, parser=None):
        """Remember a source's outcome (replacing an earlier one: a quarantined source read again)."""
        raise NotImplementedError

    def rows(self, domain, first_day, last_day):
        """Rows of ``domain`` with first_day <= day <= last_day (strings YYYY-MM-DD)."""
        raise NotImplementedError

    def domains(self):
        raise NotImplementedError

    def counts(self):
        """{reports, rows, sources} (for results and tests)."""
        raise NotImplementedError

    def close(self):
        pass

    def _writable(self):
        if self.read_only:
            raise EvidenceStoreError("the evidence store is read-only (check mode)")


EVIDENCE_TABLE = """
CREATE TABLE IF NOT EXISTS evidence (
    domain TEXT NOT NULL, day TEXT NOT NULL, org TEXT NOT NULL, policy TEXT NOT NULL, source_ip TEXT NOT NULL,
    source_host TEXT NOT NULL,
    dkim_domain TEXT NOT NULL, spf_domain TEXT NOT NULL, messages INTEGER NOT NULL, dmarc_pass INTEGER NOT NULL,
    dkim_aligned INTEGER NOT NULL, spf_aligned INTEGER NOT NULL, quarantined INTEGER NOT NULL,
    rejected INTEGER NOT NULL, reporter TEXT NOT NULL DEFAULT '', trust TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (domain, day, org, policy, source_ip, source_host, dkim_domain, spf_domain, reporter, trust));
"""
SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    org TEXT NOT NULL, report_id TEXT NOT NULL, domain TEXT NOT NULL, day TEXT NOT NULL, date_begin INTEGER,
    date_end INTEGER, schema TEXT, source TEXT, messages INTEGER NOT NULL, records INTEGER NOT NULL,
    ingested REAL NOT NULL, digest TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
    trust TEXT NOT NULL DEFAULT '', PRIMARY KEY (org, report_id));
CREATE TABLE IF NOT EXISTS sources (
    fingerprint TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL, reason TEXT, reports INTEGER, seen REAL NOT NULL,
    parser TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS conflicts (
    org TEXT NOT NULL, report_id TEXT NOT NULL, digest TEXT NOT NULL, domain TEXT, day TEXT, source TEXT,
    messages INTEGER, seen REAL NOT NULL, PRIMARY KEY (org, report_id, digest));
""" + EVIDENCE_TABLE


def _columns(db, table):
    return [r[1] for r in db.execute("PRAGMA table_info(%s)" % table)]


def _migrate(db):
    """Stores written by earlier versions: add the columns they lack (existing rows keep what they had;
    evidence rows without provenance get trust ``unknown``)."""
    for column in ("digest", "notes", "trust"):
        if column not in _columns(db, "reports"):
            db.execute("ALTER TABLE reports ADD COLUMN %s TEXT NOT NULL DEFAULT ''" % column)
    if "parser" not in _columns(db, "sources"):
        db.execute("ALTER TABLE sources ADD COLUMN parser TEXT NOT NULL DEFAULT ''")
    columns = _columns(db, "evidence")
    if columns and "trust" not in columns:
        # the primary key grows by (reporter, trust): SQLite cannot alter a key, so the table is rebuilt
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("ALTER TABLE evidence RENAME TO evidence_v1")
            db.execute(EVIDENCE_TABLE.strip().rstrip(";"))
            columns = ", ".join(("domain",) + ROW_FIELDS[:13])
            db.execute("INSERT INTO evidence (%s) SELECT %s FROM evidence_v1" % (columns, columns))
            db.execute("DROP TABLE evidence_v1")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class SqliteEvidenceStore(EvidenceStore):
    def __init__(self, path, read_only=False):
        self.path = path
        self.location = path
        self.read_only = read_only
        try:
            # the one SQLite opener: escaped read-only URI in check mode, 0600 and never through a symlink, WAL
            self.db, existed = open_db(path, read_only, SCHEMA, _migrate, option="evidence_path")
            self.missing = not existed
            if read_only and existed:
                self.db.execute("SELECT 1 FROM reports LIMIT 1")
            self._cols = {t: set(_columns(self.db, t)) for t in ("reports", "sources", "evidence")}
        except (sqlite3.Error, OSError) as exc:
            raise EvidenceStoreError("cannot open the evidence store %s: %s" % (path, exc))

    def _col(self, table, column, default):
        """``column``, or a constant in its place when a read-only store was written by an earlier version."""
        return column if column in self._cols[table] else "%s AS %s" % (default, column)

    def report_digest(self, org, report_id):
        row = self.db.execute("SELECT %s FROM reports WHERE org = ? AND report_id = ?" % self._col("reports", "digest", "''"),
                              (org, report_id)).fetchone()
        return None if row is None else (row[0] or "")

    def _transaction(self, work, what):
        """Run ``work()`` in one BEGIN IMMEDIATE ... COMMIT; on any failure (sqlite3.Error, and the
        OverflowError / ValueError / TypeError that a value SQLite cannot hold raises) roll back, so no
        transaction is ever left open, and raise EvidenceStoreError naming what failed."""
        self._writable()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise EvidenceStoreError("cannot write to the evidence store %s (%s): %s" % (self.path, what, exc))
        try:
            result = work()
            self.db.execute("COMMIT")
            return result
        except BaseException as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, (sqlite3.Error, OverflowError, ValueError, TypeError)):
                raise EvidenceStoreError("cannot write to the evidence store %s (%s): %s: %s"
                                         % (self.path, what, type(exc).__name__, exc))
            raise

    def add_report(self, meta, rows):
        def work():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO reports (org, report_id, domain, day, date_begin, date_end, schema, source, "
                "messages, records, ingested, digest, notes, trust) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta["org"], meta["report_id"], meta["domain"], meta["day"], meta.get("date_begin"),
                 meta.get("date_end"), meta.get("schema"), meta.get("source"), meta["messages"], meta["records"],
                 time.time(), meta.get("digest") or "", meta.get("notes") or "", meta.get("trust") or ""))
            if cur.rowcount != 1:
                return False
            self.db.executemany(
                "INSERT INTO evidence (domain, %s) VALUES (?, %s) "
                "ON CONFLICT (domain, day, org, policy, source_ip, source_host, dkim_domain, spf_domain, reporter, "
                "trust) DO UPDATE SET "
                "messages = messages + excluded.messages, dmarc_pass = dmarc_pass + excluded.dmarc_pass, "
                "dkim_aligned = dkim_aligned + excluded.dkim_aligned, spf_aligned = spf_aligned + excluded.spf_aligned, "
                "quarantined = quarantined + excluded.quarantined, rejected = rejected + excluded.rejected"
                % (", ".join(ROW_FIELDS), ", ".join("?" * len(ROW_FIELDS))),
                ((meta["domain"],) + _ROW_VALUES(r) for r in rows))
            # a sum SQLite could not keep as an integer (it turns into a REAL past 2^63-1): refuse the report
            bad = self.db.execute("SELECT 1 FROM evidence WHERE domain = ? AND day = ? AND typeof(messages) != "
                                  "'integer' LIMIT 1", (meta["domain"], meta["day"])).fetchone()
            if bad:
                raise OverflowError("a daily sum for %s on %s passes 2^63-1" % (meta["domain"], meta["day"]))
            return True
        return self._transaction(work, "report %s of %s" % (meta["report_id"], meta["org"]))

    def add_conflict(self, meta):
        def work():
            self.db.execute("INSERT OR IGNORE INTO conflicts (org, report_id, digest, domain, day, source, messages, "
                            "seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (meta["org"], meta["report_id"], meta.get("digest") or "", meta.get("domain"),
                             meta.get("day"), meta.get("source"), meta.get("messages"), time.time()))
        return self._transaction(work, "conflicting report %s of %s" % (meta["report_id"], meta["org"]))

    def source_seen(self, fingerprint):
        row = self.db.execute("SELECT status, reason, reports, %s FROM sources WHERE fingerprint = ?"
                              % self._col("sources", "parser", "''"),
                              (fingerprint,)).fetchone()
        return dict(zip(("status", "reason", "reports", "parser"), row)) if row else None

    def mark_source(self, fingerprint, name, status, reason=None, reports=0, parser=None):
        def work():
            self.db.execute("INSERT OR REPLACE INTO sources (fingerprint, name, status, reason, reports, seen, "
                            "parser) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (fingerprint, name, status, reason, reports, time.time(), parser or ""))
        return self._transaction(work, "source %s" % name)

    def rows(self, domain, first_day, last_day):
        try:
            columns = [self._col("evidence", f, {"reporter": "''", "trust": "'%s'" % LEGACY_TRUST}.get(f, f))
                       for f in ROW_FIELDS]
            cur = self.db.execute("SELECT %s FROM evidence WHERE domain = ? AND day >= ? AND day <= ?"
                                  % ", ".join(columns), (domain, first_day, last_day))
            return [dict(zip(ROW_FIELDS, r)) for r in cur]
        except sqlite3.Error as exc:
            raise EvidenceStoreError("cannot read the evidence store %s: %s" % (self.path, exc))

    def domains(self):
        return [r[0] for r in self.db.execute("SELECT DISTINCT domain FROM reports ORDER BY domain")]

    def counts(self):
        one = self.db.execute
        return {"reports": one("SELECT COUNT(*) FROM reports").fetchone()[0],
                "rows": one("SELECT COUNT(*) FROM evidence").fetchone()[0],
                "sources": one("SELECT COUNT(*) FROM sources").fetchone()[0],
                "conflicts": one("SELECT COUNT(*) FROM conflicts").fetchone()[0] if "digest" in self._cols["reports"]
                else 0}

    def close(self):
        self.db.close()


class DynamoDbEvidenceStore(EvidenceStore):
    """One table, hash key ``pk`` and range key ``sk`` (both strings).

    * ``pk = D#<domain>``, ``sk = <day>#<org>#<report id>``: one item per report, ``rows`` as compact JSON, put
      with ``attribute_not_exists(pk)`` (the report is recorded once, whole). The gate reads a domain's window
      with one Query on ``pk`` and a ``BETWEEN`` on ``sk``.
    * ``pk = R#<org>#<report id>``, ``sk = -``: the identity marker (``has_report``).
    * ``pk = S#<fingerprint>``, ``sk = -``: a handled source.
    """

    MAX_ITEM = 350 * 1024  # DynamoDB's item limit is 400 KB

    def __init__(self, client, table, read_only=False):
        from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
        self._call_fn = call
        self.client = client
        self.table = table
        self.location = "dynamodb:" + table
        self.read_only = read_only
        self.calls = 0

    def _call(self, operation, **params):
        from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
        self.calls += 1
        try:
            return self._call_fn(self.client, operation, TableName=self.table, **params)
        except AwsError as exc:
            if exc.code == "ConditionalCheckFailedException":
                raise
            raise EvidenceStoreError("evidence table %s: %s" % (self.table, exc.msg))

    def ensure_table(self, create=False):
        from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
        from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, is_missing
        try:
            call(self.client, "DescribeTable", TableName=self.table)
            return True
        except AwsError as exc:
            if not is_missing(exc, "dynamodb"):
                raise EvidenceStoreError("evidence table %s: %s" % (self.table, exc.msg))
        if not create:
            return False
        self._call("CreateTable", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                        {"AttributeName": "sk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   BillingMode="PAY_PER_REQUEST")
        self.client.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        return True

    def _get(self, pk, sk="-"):
        return self._call("GetItem", Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True).get("Item")

    def report_digest(self, org, report_id):
        item = self._get("R#%s#%s" % (org, report_id))
        return None if item is None else item.get("digest", {}).get("S", "")

    def add_conflict(self, meta):
        from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
        self._writable()
        item = {"pk": {"S": "C#%s#%s" % (meta["org"], meta["report_id"])}, "sk": {"S": meta.get("digest") or "-"},
                "domain": {"S": meta.get("domain") or ""}, "source": {"S": (meta.get("source") or "")[:500]}}
        try:
            self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(pk)")
        except AwsError:
            pass

    def add_report(self, meta, rows):
        from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
        self._writable()
        packed = json.dumps([[r[f] for f in ROW_FIELDS[1:]] for r in rows], separators=(",", ":"))
        if len(packed) > self.MAX_ITEM:
            raise EvidenceStoreError("report %s of %s has too many distinct rows for one DynamoDB item (%d bytes)"
                                     % (meta["report_id"], meta["org"], len(packed)))
        item = {"pk": {"S": "D#" + meta["domain"]}, "sk": {"S": "%s#%s#%s" % (meta["day"], meta["org"], meta["report_id"])},
                "rows": {"S": packed}, "messages": {"N": str(meta["messages"])}, "ingested": {"N": repr(time.time())}}
        try:
            # the rows first, then the identity marker: a crash between the two leaves the rows, and the next
            # run's put of the same item fails its condition (nothing counted twice) and writes the marker
            try:
                self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(pk)")
                added = True
            except AwsError:
                added = False
            marker = {"pk": {"S": "R#%s#%s" % (meta["org"], meta["report_id"])}, "sk": {"S": "-"},
                      "domain": {"S": meta["domain"]}, "day": {"S": meta["day"]}, "digest": {"S": meta.get("digest") or ""}}
            try:
                self._call("PutItem", Item=marker, ConditionExpression="attribute_not_exists(pk)")
            except AwsError:
                pass
            return added
        except EvidenceStoreError:
            raise

    def source_seen(self, fingerprint):
        item = self._get("S#" + fingerprint)
        if not item:
            return None
        return {"status": item["status"]["S"], "reason": item.get("reason", {}).get("S"),
                "reports": int(item.get("reports", {}).get("N", "0")), "parser": item.get("parser", {}).get("S", "")}

    def mark_source(self, fingerprint, name, status, reason=None, reports=0, parser=None):
        self._writable()
        item = {"pk": {"S": "S#" + fingerprint}, "sk": {"S": "-"}, "name": {"S": name[:500]}, "status": {"S": status},
                "reports": {"N": str(reports)}, "parser": {"S": parser or ""}}
        if reason:
            item["reason"] = {"S": reason[:500]}
        self._call("PutItem", Item=item)

    def rows(self, domain, first_day, last_day):
        out = []
        params = {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ConsistentRead": True,
                  "ExpressionAttributeValues": {":p": {"S": "D#" + domain}, ":a": {"S": first_day},
                                                ":b": {"S": last_day + "#\uffff"}}}
        while True:
            page = self._call("Query", **params)
            for item in page.get("Items", []):
                day = item["sk"]["S"][:10]
                for values in json.loads(item["rows"]["S"]):
                    row = dict(zip(ROW_FIELDS[1:], values), day=day)
                    row.setdefault("reporter", "")
                    row.setdefault("trust", LEGACY_TRUST)
                    out.append(row)
            if not page.get("LastEvaluatedKey"):
                return out
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def domains(self):
        return sorted(set(self._scan_prefix("D#", "pk")))

    def _scan_prefix(self, prefix, attr):
        params = {"FilterExpression": "begins_with(pk, :p)", "ExpressionAttributeValues": {":p": {"S": prefix}},
                  "ProjectionExpression": "pk"}
        while True:
            page = self._call("Scan", **params)
            for item in page.get("Items", []):
                yield item["pk"]["S"][len(prefix):]
            if not page.get("LastEvaluatedKey"):
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def counts(self):
        return {"reports": len(list(self._scan_prefix("R#", "pk"))),
                "rows": None, "sources": len(list(self._scan_prefix("S#", "pk")))}
