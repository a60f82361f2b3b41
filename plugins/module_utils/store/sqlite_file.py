# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one SQLite opener of every store (bounce history, DMARC evidence): the file and its lifetime rules in one place.

- check mode (``read_only``) never creates anything: a missing file is an in-memory database with the schema, an
  existing one is opened read-only through a percent-encoded ``file:`` URI (a '?', '#' or '%' in a file name
  stays part of the name instead of starting URI parameters, which made check mode create another file);
- a real run creates the file 0600 and never through a symlink (``files.prepare_private_file``) before SQLite
  opens it by name, then WAL journaling (readers never block the one writer), the schema and its migrations.
"""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import quote

from ansible_collections.deliverability.ses.plugins.module_utils import files


def uri_of(path):
    """A read-only SQLite URI for ``path``, percent-encoded."""
    return "file:%s?mode=ro" % quote(os.path.abspath(path))


def open_db(path, read_only, schema, migrate=None, option="store_path"):
    """(connection, existed): the store at ``path`` as the rules above say. ``migrate(db)`` brings a file written by
    an earlier version up to ``schema``; it runs on real runs only (check mode reads older files as they are)."""
    if read_only and (path is None or not os.path.exists(path)):
        db = sqlite3.connect(":memory:")
        db.executescript(schema)
        if migrate:
            migrate(db)
        return db, False
    if read_only:
        return sqlite3.connect(uri_of(path), uri=True), True
    existed = os.path.exists(path)
    files.prepare_private_file(path, option)
    db = sqlite3.connect(files.expand(path), timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    if migrate:
        migrate(db)
    return db, existed
