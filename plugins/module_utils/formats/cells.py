# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CSV cells and CSV text: the one formula-neutralising renderer (OWASP CSV Injection). Pure."""

from __future__ import annotations

import csv
import io


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value as a CSV cell: None -> "", numbers as they are, text starting with a formula character
    prefixed with ``'`` (OWASP CSV Injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_LEADS):
        return "'" + text
    return text


def render_csv(header, rows, lineterminator="\r\n"):
    """CSV text (RFC 4180 quoting by the csv module) of ``rows`` (sequences or dicts keyed by ``header``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        if isinstance(row, dict):
            row = [row.get(h) for h in header]
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()
