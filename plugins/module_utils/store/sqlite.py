# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded bounce history store: one SQLite file (WAL mode, one transaction per write)."""

from __future__ import annotations

import os
import sqlite3
import time

from ansible_collections.deliverability.ses.plugins.module_utils.store.base import BounceStore, _check_writable

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    key TEXT PRIMARY KEY, email TEXT NOT NULL, class TEXT NOT NULL, sub_type TEXT, occurred REAL NOT NULL,
    message_id TEXT, feedback_id TEXT, recorded REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_email ON events (email, class, occurred);
CREATE TABLE IF NOT EXISTS soft (
    email TEXT NOT NULL, key TEXT NOT NULL, occurred REAL NOT NULL, PRIMARY KEY (email, key));
CREATE TABLE IF NOT EXISTS addresses (
    email TEXT PRIMARY KEY, soft_count INTEGER NOT NULL DEFAULT 0, next_retry REAL,
    suppressed_reason TEXT, suppressed_at REAL, updated REAL NOT NULL);
"""


class SqliteStore(BounceStore):
    def __init__(self, path, read_only=False):
        self.path = path
        self.read_only = read_only
        if read_only and (path is None or not os.path.exists(path)):
            # check mode must not create the file; an empty store answers the same
            self.db = sqlite3.connect(":memory:")
            self.db.executescript(SCHEMA)
        elif read_only:
            self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        else:
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                os.makedirs(parent)
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)

    @classmethod
    def empty(cls):
        """A read-only store with nothing in it: what check mode sees before a store exists."""
        return cls(None, read_only=True)

    def has_event(self, key):
        return self.db.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None

    def add_event(self, event):
        _check_writable(self)
        cur = self.db.execute(
            "INSERT OR IGNORE INTO events (key, email, class, sub_type, occurred, message_id, feedback_id, recorded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (event["key"], event["email"], event["class"], event.get("sub_type"), float(event["occurred"]),
             event.get("message_id"), event.get("feedback_id"), time.time()))
        return cur.rowcount == 1

    def add_soft(self, email, key, occurred):
        _check_writable(self)
        self.db.execute("INSERT OR IGNORE INTO soft (email, key, occurred) VALUES (?, ?, ?)",
                        (email, key, float(occurred)))
        return self.soft_times(email)

    def soft_times(self, email):
        rows = self.db.execute("SELECT occurred FROM soft WHERE email = ? ORDER BY occurred", (email,))
        return [row[0] for row in rows]

    def get_address(self, email):
        row = self.db.execute("SELECT email, soft_count, next_retry, suppressed_reason, suppressed_at "
                              "FROM addresses WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        return dict(zip(("email", "soft_count", "next_retry", "suppressed_reason", "suppressed_at"), row))

    def mark_suppressed(self, email, reason, when):
        _check_writable(self)
        self.db.execute("INSERT OR IGNORE INTO addresses (email, updated) VALUES (?, ?)", (email, time.time()))
        cur = self.db.execute("UPDATE addresses SET suppressed_reason = ?, suppressed_at = ?, updated = ? "
                              "WHERE email = ? AND suppressed_reason IS NULL", (reason, float(when), time.time(), email))
        return cur.rowcount == 1

    def set_retry(self, email, next_retry, soft_count):
        _check_writable(self)
        self.db.execute("INSERT OR IGNORE INTO addresses (email, updated) VALUES (?, ?)", (email, time.time()))
        # a processor with an older view never overwrites a newer schedule
        self.db.execute("UPDATE addresses SET next_retry = ?, soft_count = ?, updated = ? "
                        "WHERE email = ? AND soft_count <= ?",
                        (next_retry, soft_count, time.time(), email, soft_count))

    def count_events(self):
        return dict(self.db.execute("SELECT class, COUNT(*) FROM events GROUP BY class").fetchall())

    def close(self):
        self.db.close()
