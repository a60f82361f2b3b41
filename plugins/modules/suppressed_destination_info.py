#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: suppressed_destination_info
short_description: Why is an address suppressed; what is on the SES suppression list
version_added: 0.1.0
description:
  - With O(email), returns that address's entry (reason, last update time, message and feedback IDs) or
    RV(found=false).
  - Without it, lists the account-level suppression list, filtered by O(reasons), O(start_date) and
    O(end_date), following every page (there is no 1,000-entry cap), and returns a summary by reason and
    by domain. O(export) writes the listing to a CSV or JSON Lines file (not in check mode, which writes
    no file and returns what the export would hold).
options:
  email:
    description:
      - One address to look up. Compared the way SES compares addresses (domain part case-insensitive).
    type: str
    aliases: [email_address]
  reasons:
    description:
      - Only entries suppressed for these reasons. Not set, both.
    type: list
    elements: str
    choices: [BOUNCE, COMPLAINT]
  start_date:
    description:
      - Only entries last updated at or after this time. ISO 8601 (V(2026-11-01), V(2026-11-01T08:00:00Z),
        an offset, or naive meaning UTC), V(now), or relative to now (V(-7d), V(-12h), V(-30m), V(-2w), V(-90s)).
      - SES keeps an entry for as long as it is on the list and documents no lower bound for this filter, so
        the module decides. A date before 2019-11-25 (when SES introduced the account-level list, hence
        older than any entry can be) or in the future is refused as a mistake. To list everything, leave
        it unset.
    type: str
  end_date:
    description:
      - Only entries last updated at or before this time; same formats as O(start_date). Must not be before
        O(start_date).
    type: str
  limit:
    description:
      - Stop after this many entries. Not set, every matching entry is read.
    type: int
  entries:
    description:
      - Return the entries themselves in RV(suppressed_destinations). Set to V(false) for a summary (and
        export) of a very large list without putting every entry into the task result.
    type: bool
    default: true
  top_domains:
    description:
      - How many domains RV(summary.by_domain) lists (the ones with the most entries).
    type: int
    default: 20
  export:
    description:
      - Write the listing to this file (replaced atomically). Not in check mode, which writes nothing anywhere
        (the result's C(export.written) is then false).
      - CSV has a header row C(email_address,reason,last_update_time) and quotes fields as RFC 4180 requires,
        so addresses with quotes or commas round-trip. Spreadsheet programs may treat a cell starting with
        V(=), V(+), V(-) or V(@) as a formula; addresses are written as they are, not altered.
    type: path
  export_format:
    description:
      - V(csv) or V(jsonl). Not set, V(jsonl) for a file name ending in C(.jsonl), C(.ndjson) or C(.json),
        otherwise V(csv).
    type: str
    choices: [csv, jsonl]
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Why is this address suppressed?
  deliverability.ses.suppressed_destination_info:
    email: jane@example.com
  register: why

- name: What was suppressed for bounces last week, exported for the support team
  deliverability.ses.suppressed_destination_info:
    reasons: [BOUNCE]
    start_date: -7d
    export: /tmp/bounces-last-week.csv
  register: last_week

- name: Summary of the whole list without returning every entry
  deliverability.ses.suppressed_destination_info:
    entries: false
  register: overview
"""

RETURN = r"""
found:
  description: Whether O(email) is on the list.
  returned: with O(email)
  type: bool
suppressed_destination:
  description: The entry of O(email).
  returned: with O(email), when found
  type: dict
  contains:
    email_address:
      description: The address as SES stores it.
      type: str
    reason:
      description: BOUNCE or COMPLAINT.
      type: str
    last_update_time:
      description: ISO 8601 UTC.
      type: str
    message_id:
      description: The message that caused the suppression, if SES knows it.
      type: str
    feedback_id:
      description: The feedback ID of the bounce or complaint, if SES knows it.
      type: str
suppressed_destinations:
  description: The matching entries (C(email_address), C(reason), C(last_update_time)), in the order SES lists them.
  returned: without O(email), when O(entries=true)
  type: list
  elements: dict
summary:
  description: Counts of the matching entries.
  returned: without O(email)
  type: dict
  contains:
    total:
      description: Number of matching entries.
      type: int
    by_reason:
      description: Entries per reason.
      type: dict
      sample: {BOUNCE: 2400, COMPLAINT: 100}
    by_domain:
      description: Entries per recipient domain, most first, at most O(top_domains) of them.
      type: dict
    domains:
      description: Number of distinct domains.
      type: int
    oldest:
      description: Oldest last update time among the entries.
      type: str
    newest:
      description: Newest last update time among the entries.
      type: str
filters:
  description: The filters as sent to SES, dates resolved to ISO 8601 UTC.
  returned: without O(email)
  type: dict
truncated:
  description: Whether O(limit) stopped the listing while more entries matched.
  returned: without O(email)
  type: bool
pages:
  description: How many ListSuppressedDestinations pages were read.
  returned: without O(email)
  type: int
export:
  description: The export file written (C(written=false) in check mode, where no file is written).
  returned: with O(export)
  type: dict
  sample: {path: /tmp/bounces-last-week.csv, format: csv, count: 2500, written: true}
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.mailcheck import validate_email
from ansible_collections.deliverability.ses.plugins.module_utils import files, validate
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup


def main():
    module = SesModule(
        argument_spec=dict(
            email=dict(type="str", aliases=["email_address"]),
            reasons=dict(type="list", elements="str", choices=list(sup.REASONS)),
            start_date=dict(type="str"),
            end_date=dict(type="str"),
            limit=dict(type="int"),
            entries=dict(type="bool", default=True),
            top_domains=dict(type="int", default=20),
            export=dict(type="path"),
            export_format=dict(type="str", choices=["csv", "jsonl"]),
        ),
        mutually_exclusive=[("email", "reasons"), ("email", "start_date"), ("email", "end_date"),
                            ("email", "limit"), ("email", "export")],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        if p["email"] is not None:
            email = validate_email(p["email"], "email")
            entry = sup.get_suppressed(module.client("sesv2"), email)
            out = dict(changed=False, email=email, found=entry is not None)
            if entry is not None:
                out["suppressed_destination"] = entry
            return out
        reasons = sup.check_reasons(p["reasons"], "reasons")
        start, end = sup.date_range(p["start_date"], p["end_date"])
        if p["limit"] is not None:
            validate.count(p["limit"], "limit", maximum=10 ** 9)
        validate.count(p["top_domains"], "top_domains", minimum=0, maximum=10 ** 6)
        if p["export"]:
            # a path with control characters, a symlink or a full disk fails now, not after the listing
            validate.path(p["export"], "export")
            files.check_writable(p["export"], "export", create_parents=not module.check_mode)
        stats = {}
        items = list(sup.iter_suppressed(module.client("sesv2"), reasons, start, end, p["limit"], stats=stats))
        out = dict(changed=False,
                   summary=sup.summarize(items, p["top_domains"]),
                   filters={"reasons": reasons or list(sup.REASONS), "start_date": sup.iso(start),
                            "end_date": sup.iso(end), "limit": p["limit"]},
                   truncated=stats["truncated"], pages=stats["pages"])
        if p["entries"]:
            out["suppressed_destinations"] = items
        if p["export"]:
            fmt = sup.export_format(p["export"], p["export_format"])
            if module.check_mode:
                # check mode writes no file anywhere: say what the export would hold
                out["export"] = {"path": files.expand(p["export"]), "format": fmt, "count": len(items),
                                 "written": False}
            else:
                path = sup.write_export(p["export"], sup.render_export(items, fmt))
                out["export"] = {"path": path, "format": fmt, "count": len(items), "written": True}
        return out

    run_module(module, body)


if __name__ == "__main__":
    main()
