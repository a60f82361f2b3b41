#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dmarc_reports
short_description: Ingest DMARC aggregate reports (S3 or files) into the evidence store
version_added: 0.2.0
description:
  - Reads DMARC aggregate reports and records what they say in the evidence store, per domain, day, source IP
    (with its reverse DNS / base domain when the report gives one) and reporting organisation - message counts,
    DMARC passes, DKIM-aligned and SPF-aligned passes, dispositions. The evidence gate of
    M(deliverability.ses.dmarc) (O(deliverability.ses.dmarc#module:advance)) and
    M(deliverability.ses.dmarc_evidence) read it.
  - Sources are an S3 bucket / prefix where an SES receipt rule stores the mail sent to the C(rua) address (raw
    MIME), and local files or folders. A source may be C(.xml), C(.xml.gz), C(.zip), a MIME message (C(.eml))
    with either attached, or an mbox of such messages. RFC 9990, RFC 7489 and the pre-RFC draft schema are read.
  - Reports are hostile input. The XML prolog goes through C(defusedxml) (a DTD, and with it entity expansion and
    external entities, is refused; a DTD anywhere else is not well-formed XML), decompression stops at
    O(max_report_bytes) and at a ratio of O(max_ratio) (zip and gzip bombs), records are parsed as a stream.
    Invalid UTF-8, a stray C(&) and junk after the document are repaired; a truncated report is not.
  - A source that cannot be read is copied to the quarantine (O(quarantine_dir), or O(s3_quarantine_prefix) for
    S3) with its reason, counted in RV(totals), and remembered so that later runs do not count it again. It
    never stops the run and is never deleted. Sources are never modified or deleted.
  - Idempotent. A report is identified by (reporting organisation, report id) and recorded once, whole; a
    source already handled is remembered by its fingerprint (content hash, or S3 key and ETag) and not read
    again. Re-ingesting changes nothing and reports C(changed=false).
  - Check mode reads and parses everything and writes nothing - no store row, no quarantine copy.
options:
  paths:
    description:
      - Local files or folders (walked recursively, in name order; dot files skipped). Relative paths resolve
        against the directory the module runs in.
    type: list
    elements: path
  s3_bucket:
    description: The bucket the SES receipt rule writes to.
    type: str
  s3_prefix:
    description: The key prefix of the receipt rule's S3 action (the rule's C(ObjectKeyPrefix)).
    type: str
    default: ''
  s3_quarantine_prefix:
    description:
      - Where unreadable S3 objects are copied (in the same bucket), with a C(.reason.json) object beside each.
        Objects under it are never read as sources.
    type: str
    default: dmarc-quarantine/
  quarantine_dir:
    description:
      - Folder where unreadable local sources are copied, with a C(.reason.json) file beside each. By default
        C(quarantine) next to the SQLite evidence file (or under C(~/.ansible/deliverability_ses) with DynamoDB).
    type: path
  domains:
    description: Only record reports about these domains; reports about others are counted and skipped.
    type: list
    elements: str
  max_report_bytes:
    description: Largest decompressed size of one report, in bytes.
    type: int
    default: 67108864
  max_source_bytes:
    description: Largest size of one file or S3 object as stored, in bytes.
    type: int
    default: 33554432
  max_ratio:
    description: Largest decompressed / compressed ratio (checked once the output passes 1 MiB).
    type: int
    default: 200
  max_records:
    description: Largest number of records in one report.
    type: int
    default: 200000
  max_sources:
    description: Stop after this many sources in one run (the rest are read by the next run).
    type: int
    default: 100000
  retry_quarantined:
    description:
      - Read quarantined (and partly read) sources again. Without it they are read again only when the
        reader that refused them was older than this one (its version is stored with each source).
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.dmarc_evidence
  - deliverability.ses.aws
attributes:
  check_mode:
    support: full
    description: Parses everything, writes no store row and no quarantine copy.
  diff_mode:
    support: none
    description: The result lists every source's outcome instead.
notes:
  - A report covering more than one day is counted on the day it begins (UTC).
  - The reverse DNS / base domain of a source is recorded only when the report carries it; nothing is looked up.
  - Every report is recorded with its provenance. An S3 object (a mail SES receiving stored) is
    C(authenticated) when the C(Authentication-Results) header SES added says the mail passed DMARC for the
    domain of the report's C(email) (the reporter's domain), else C(unauthenticated); a local file is
    C(operator) (you put it there). The gate counts C(unauthenticated) reports only when told to (see
    docs/runbooks/dmarc-rollout.md, the threat model).
  - A count past the schema's C(unsignedInt), counts summing past 2^40 in one report, or a date past the year
    9999 make that report unreadable (quarantined with the reason); a failure to record one report is that
    report's outcome (status C(store_failed), read again next run) and the task fails at the end, after every
    other source was handled.
  - A report whose (reporter, report id) is already recorded with different content is kept as a conflict
    (C(reports_conflict) in RV(totals)) and counted nowhere.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Ingest what the SES receipt rule stored for the rua mailbox
  deliverability.ses.dmarc_reports:
    s3_bucket: example-dmarc-reports
    s3_prefix: rua/
    evidence_store: dynamodb
    evidence_table: dmarc-evidence

- name: Ingest a folder of reports downloaded by hand, into a store on a persistent volume
  deliverability.ses.dmarc_reports:
    paths: [reports/]
    evidence_path: /var/lib/deliverability/dmarc_evidence.sqlite
"""

RETURN = r"""
totals:
  description:
    - Counts of the run. C(sources) read; per outcome C(ingested), C(partial), C(quarantined), C(seen) (handled
      by an earlier run), C(skipped) (other domains); C(reports_new), C(reports_duplicate),
      C(reports_unreadable) (zip, gzip and MIME failures included), C(reports_conflict), C(reports_store_failed),
      C(reports_other_domain), C(retried) (quarantined sources read again), C(store_failed), C(records) and
      C(messages) of the new reports.
  returned: always
  type: dict
sources:
  description: One entry per source (at most 500; C(sources_truncated) says when more were handled).
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: The path, or C(s3://bucket/key).
      type: str
    status:
      description: C(ingested), C(partial), C(quarantined), C(seen), C(skipped) or C(store_failed).
      type: str
    reports:
      description: Reports read from it.
      type: int
    new:
      description: Reports recorded by this run.
      type: int
    duplicates:
      description: Reports already in the store.
      type: int
    conflicts:
      description: Reports whose (reporter, report id) is recorded with other content (kept apart, not counted).
      type: int
    errors:
      description: Per unreadable report, C(member), C(kind) (bomb, forbidden, truncated, schema, xml, empty...) and C(reason).
      type: list
      elements: dict
    quarantined_to:
      description: Where the copy went.
      type: str
evidence_pending:
  description:
    - Check mode only. The evidence rows the new reports would add (domain, day, reporter, trust, source,
      counts), for O(deliverability.ses.dmarc#module:evidence_pending) so that the gate in check mode predicts
      the real run. At most 50,000 rows (a warning says when more were cut).
  returned: check mode
  type: list
  elements: dict
sources_truncated:
  description: Whether RV(sources) was cut at 500 entries.
  returned: always
  type: bool
store:
  description: Where the evidence is (file path or C(dynamodb:<table>)).
  returned: always
  type: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners import dmarc_ingest
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import EVIDENCE_SPEC


def main():
    spec = dict(
        paths=dict(type="list", elements="path"),
        s3_bucket=dict(type="str"),
        s3_prefix=dict(type="str", default=""),
        s3_quarantine_prefix=dict(type="str", default="dmarc-quarantine/"),
        quarantine_dir=dict(type="path"),
        domains=dict(type="list", elements="str"),
        max_report_bytes=dict(type="int", default=64 * 1024 * 1024),
        max_source_bytes=dict(type="int", default=32 * 1024 * 1024),
        max_ratio=dict(type="int", default=200),
        max_records=dict(type="int", default=200000),
        max_sources=dict(type="int", default=100000),
        retry_quarantined=dict(type="bool", default=False),
    )
    spec.update(EVIDENCE_SPEC)
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True,
                       required_one_of=[("paths", "s3_bucket")])
    run_module(module, lambda partial: dmarc_ingest.run(module, partial))


if __name__ == "__main__":
    main()
