# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded bounce history store: one SQLite file (WAL mode, one transaction per write)."""

from __future__ import annotations

import json
import sqlite3
import time

from ansible_collections.deliverability.ses.plugins.module_utils.store.base import BounceStore, _check_writable
from ansible_collections.deliverability.ses.plugins.module_utils.store.sqlite_file import open_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    key TEXT PRIMARY KEY, email TEXT NOT NULL, class TEXT NOT NULL, sub_type TEXT, occurred REAL NOT NULL,
    message_id TEXT, feedback_id TEXT, recorded REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_email ON events (email, class, occurred);
CREATE TABLE IF NOT EXISTS copies (
    key TEXT NOT NULL, channel TEXT NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (key, channel));
CREATE TABLE IF NOT EXISTS soft (
    email TEXT NOT NULL, key TEXT NOT NULL, occurred REAL NOT NULL, PRIMARY KEY (email, key));
CREATE TABLE IF NOT EXISTS addresses (
    email TEXT PRIMARY KEY, soft_count INTEGER NOT NULL DEFAULT 0, next_retry REAL,
    suppressed_reason TEXT, suppressed_at REAL, updated REAL NOT NULL);
"""
# columns added after the first release: a store written by an older version gains them on open
ADDED = {"events": (("detail", "TEXT"),),
         "addresses": (("last_delivery", "REAL"), ("suppressed_via", "TEXT"), ("refused", "TEXT"),
                       ("refused_at", "REAL"))}
ADDRESS_FIELDS = ("email", "soft_count", "next_retry", "last_delivery", "suppressed_reason", "suppressed_at",
                  "suppressed_via", "refused")


def _migrate(db):
    for table, columns in ADDED.items():
        have = set(row[1] for row in db.execute("PRAGMA table_info(%s)" % table))
        for name, kind in columns:
            if name not in have:
                db.execute("ALTER TABLE %s ADD COLUMN %s %s" % (table, name, kind))


class SqliteStore(BounceStore):
    def __init__(self, path, read_only=False, option="store_path"):
        self.path = path
        self.read_only = read_only
        self.db, existed = open_db(path, read_only, SCHEMA, _migrate, option)
        if read_only and existed:
            self._old = set(row[1] for row in self.db.execute("PRAGMA table_info(addresses)"))
            if "refused" not in self._old or "detail" not in set(
                    row[1] for row in self.db.execute("PRAGMA table_info(events)")):
                # an older store, read in check mode: read it through an in-memory copy with the new columns
                mem = sqlite3.connect(":memory:")
                self.db.backup(mem)
                self.db.close()
                self.db = mem
                self.db.executescript(SCHEMA)
                _migrate(self.db)

    @classmethod
    def empty(cls):
        """A read-only store with nothing in it: what check mode sees before a store exists."""
        return cls(None, read_only=True)

    def has_event(self, key):
        return self.db.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None

    def add_event(self, event):
        _check_writable(self)
        cur = self.db.execute(
            "INSERT OR IGNORE INTO events (key, email, class, sub_type, occurred, message_id, feedback_id, recorded,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event["key"], event["email"], event["class"], event.get("sub_type"), float(event["occurred"]),
             event.get("message_id"), event.get("feedback_id"), time.time(),
             json.dumps(event.get("detail") or {}, sort_keys=True)))
        return cur.rowcount == 1

    def add_copy(self, key, channel):
        _check_writable(self)
        self.db.execute("INSERT INTO copies (key, channel, seen) VALUES (?, ?, 1) "
                        "ON CONFLICT (key, channel) DO UPDATE SET seen = seen + 1", (key, channel))
        return self.copy_count(key, channel)

    def copy_count(self, key, channel):
        row = self.db.execute("SELECT seen FROM copies WHERE key = ? AND channel = ?", (key, channel)).fetchone()
        return row[0] if row else 0

    def add_soft(self, email, key, occurred):
        _check_writable(self)
        self.db.execute("INSERT OR IGNORE INTO soft (email, key, occurred) VALUES (?, ?, ?)",
                        (email, key, float(occurred)))
        return self.soft_times(email)

    def soft_times(self, email):
        rows = self.db.execute("SELECT occurred FROM soft WHERE email = ? ORDER BY occurred", (email,))
        return [row[0] for row in rows]

    def _ensure_address(self, email):
        self.db.execute("INSERT OR IGNORE INTO addresses (email, updated) VALUES (?, ?)", (email, time.time()))

    def add_delivery(self, email, occurred):
        _check_writable(self)
        self._ensure_address(email)
        self.db.execute("UPDATE addresses SET last_delivery = ?, updated = ? "
                        "WHERE email = ? AND (last_delivery IS NULL OR last_delivery < ?)",
                        (float(occurred), time.time(), email, float(occurred)))

    def get_address(self, email):
        row = self.db.execute("SELECT %s FROM addresses WHERE email = ?" % ", ".join(ADDRESS_FIELDS),
                              (email,)).fetchone()
        if row is None:
            return None
        return dict(zip(ADDRESS_FIELDS, row))

    def mark_suppressed(self, email, reason, when, via="api"):
        _check_writable(self)
        self._ensure_address(email)
        cur = self.db.execute("UPDATE addresses SET suppressed_reason = ?, suppressed_at = ?, suppressed_via = ?, "
                              "refused = NULL, refused_at = NULL, updated = ? "
                              "WHERE email = ? AND suppressed_reason IS NULL",
                              (reason, float(when), via, time.time(), email))
        return cur.rowcount == 1

    def mark_refused(self, email, error, when):
        _check_writable(self)
        self._ensure_address(email)
        self.db.execute("UPDATE addresses SET refused = ?, refused_at = ?, updated = ? WHERE email = ?",
                        (error, float(when), time.time(), email))

    def set_retry(self, email, next_retry, soft_count):
        _check_writable(self)
        self._ensure_address(email)
        # a processor with an older view never overwrites a newer schedule (a delivery resets soft_count to 0)
        self.db.execute("UPDATE addresses SET next_retry = ?, soft_count = ?, updated = ? "
                        "WHERE email = ? AND soft_count <= ?",
                        (next_retry, soft_count, time.time(), email, soft_count))

    def reset_soft(self, email):
        """After a delivery: no retry pending, no soft bounce counting (the history stays)."""
        _check_writable(self)
        self.db.execute("UPDATE addresses SET next_retry = NULL, soft_count = 0, updated = ? WHERE email = ?",
                        (time.time(), email))

    def events_since(self, since):
        rows = self.db.execute("SELECT key, email, class, sub_type, occurred, message_id, recorded, detail "
                               "FROM events WHERE recorded >= ? ORDER BY recorded, key", (float(since),)).fetchall()
        out = []
        for key, email, cls, sub, occurred, mid, recorded, detail in rows:
            copies = dict(self.db.execute("SELECT channel, seen FROM copies WHERE key = ?", (key,)).fetchall())
            out.append({"key": key, "email": email, "class": cls, "sub_type": sub, "occurred": occurred,
                        "message_id": mid, "recorded": recorded, "detail": json.loads(detail or "{}"),
                        "copies": copies})
        return out

    def count_events(self):
        return dict(self.db.execute("SELECT class, COUNT(*) FROM events GROUP BY class").fetchall())

    def close(self):
        self.db.close()
