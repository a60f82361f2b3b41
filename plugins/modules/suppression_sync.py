#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: suppression_sync
short_description: Make the SES account-level suppression list the same in several regions
version_added: 0.1.0
description:
  - SES keeps one account-level suppression list per region. An address that hard-bounced in one region is
    still mailed from another. This module reads the list of every region in O(regions) and writes to each
    region what it lacks, so that every region holds the union.
  - The latest event wins, as SES does within one region. For an address listed in several regions, the entry
    with the latest C(last_update_time) gives the reason; at the same instant C(COMPLAINT) wins over
    C(BOUNCE). A region that lacks the address, or holds it with another reason, gets that reason.
  - Only adds and updates, never removes. A delist is a deliberate act done in every region (see the
    regions runbook).
  - API use is bounded. Each region's list is read page by page (1,000 entries a page), then
    C(PutSuppressedDestination) is called once per missing or outdated entry and region, and for nothing
    else. Every region is read before the first write, so a region that cannot be read stops the run before
    anything is written anywhere.
  - SES sets the time of a written entry to the time of the write. The original event's region and time are
    kept in the audit log (C(source_region), C(source_time)), one line per write with its C(region).
  - The common O(region) option is not used; O(regions) names every region.
options:
  regions:
    description:
      - The regions whose lists are merged, at least two, each once (for example V(us-east-1) and V(eu-west-1)).
        An unknown region name is refused before any request.
    type: list
    elements: str
    required: true
  concurrency:
    description:
      - How many writes run at the same time (1 to 16). Reads are page after page in each region.
    type: int
    default: 4
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.suppression.audit
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Preview what each region lacks (no write anywhere)
  deliverability.ses.suppression_sync:
    regions: [us-east-1, eu-west-1]
  check_mode: true
  diff: true
  register: suppression_sync_preview

- name: Make both regions hold the union
  deliverability.ses.suppression_sync:
    regions: [us-east-1, eu-west-1]
    audit_log: /var/log/ses/suppression-audit.jsonl
"""

RETURN = r"""
union:
  description: Number of distinct addresses on the lists of all regions together.
  returned: always
  type: int
writes:
  description: Number of entries written (in check mode, that would be written).
  returned: always
  type: int
regions:
  description:
    - Per region, C(listed) entries before the run, list C(pages) read, C(put) (missing) and C(update)
      (another reason) planned, C(in_sync), C(written) (0 in check mode) and C(failed).
  returned: always
  type: dict
  sample: {us-east-1: {listed: 2, pages: 1, put: 1, update: 0, in_sync: 2, written: 1, failed: 0}}
changes:
  description: The planned writes (at most 1,000; see RV(changes_truncated)), by region, then address.
  returned: always
  type: list
  elements: dict
  contains:
    region:
      description: The region written to.
      type: str
    email:
      description: The address.
      type: str
    action:
      description: V(put) when the region lacked the address, V(update) when it had another reason.
      type: str
    reason:
      description: The reason written.
      type: str
    previous_reason:
      description: The region's reason before, if any.
      type: str
    source_region:
      description: The region whose entry won (the latest event).
      type: str
    source_time:
      description: The time of that entry.
      type: str
    outcome:
      description: V(changed) or V(failed) (with C(msg) and C(error_code)).
      type: str
changes_truncated:
  description: Whether RV(changes) was cut at 1,000 entries.
  returned: always
  type: bool
audit_records:
  description: Number of lines appended to the audit log.
  returned: always
  type: int
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.audit import AUDIT_LOG_SPEC
from ansible_collections.deliverability.ses.plugins.module_utils.runners import suppression_sync


def main():
    module = SesModule(
        argument_spec=dict(
            regions=dict(type="list", elements="str", required=True),
            concurrency=dict(type="int", default=4),
            audit_log=AUDIT_LOG_SPEC,
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: suppression_sync.run(module, partial))


if __name__ == "__main__":
    main()
