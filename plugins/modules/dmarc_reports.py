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
  - Reports are hostile input. XML goes through C(defusedxml) (DTDs, entity expansion and external entities are
    refused), decompression stops at O(max_report_bytes) and at a ratio of O(max_ratio) (zip and gzip bombs),
    records are parsed as a stream. Invalid UTF-8, a stray C(&) and junk after the document are repaired; a
    truncated report is not.
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
      C(reports_unreadable), C(reports_other_domain), C(records) and C(messages) of the new reports.
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
      description: C(ingested), C(partial), C(quarantined), C(seen) or C(skipped).
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
    errors:
      description: Per unreadable report, C(member), C(kind) (bomb, forbidden, truncated, schema, xml, empty...) and C(reason).
      type: list
      elements: dict
    quarantined_to:
      description: Where the copy went.
      type: str
sources_truncated:
  description: Whether RV(sources) was cut at 500 entries.
  returned: always
  type: bool
store:
  description: Where the evidence is (file path or C(dynamodb:<table>)).
  returned: always
  type: str
"""

import os

from ansible_collections.deliverability.ses.plugins.module_utils.aws import (
    AwsError, DeliverabilityError, InputError, SesModule, call, run_module)
from ansible_collections.deliverability.ses.plugins.module_utils.runners import dmarc_ingest
from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import (
    EVIDENCE_SPEC, default_quarantine_dir, open_store, store_location_warning)

MAX_LISTED = 500


def _s3_sources(client, bucket, prefix, quarantine_prefix, limits):
    token = None
    while True:
        params = {"Bucket": bucket, "Prefix": prefix}
        if token:
            params["ContinuationToken"] = token
        page = call(client, "ListObjectsV2", **params)
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if quarantine_prefix and key.startswith(quarantine_prefix):
                continue
            if key.endswith("/") or key.endswith("AMAZON_SES_SETUP_NOTIFICATION"):
                continue  # folder markers and the receipt rule's own set-up message
            name = "s3://%s/%s" % (bucket, key)
            fingerprint = "s3:%s/%s@%s" % (bucket, key, obj.get("ETag", "").strip('"'))
            if obj.get("Size", 0) > limits.max_input:
                yield name, fingerprint, key, dmarc_report.ReportError(
                    "too_large", "%d bytes is more than max_source_bytes %d" % (obj["Size"], limits.max_input))
                continue
            yield name, fingerprint, key, None
        if not page.get("IsTruncated"):
            return
        token = page.get("NextContinuationToken")


def _s3_quarantine(client, bucket, quarantine_prefix):
    def keep(name, data, reason, fingerprint):
        key = name.split("/", 3)[3] if name.startswith("s3://") else name
        target = "%s%s" % (quarantine_prefix, key.replace("/", "_"))
        call(client, "CopyObject", Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        import json
        call(client, "PutObject", Bucket=bucket, Key=target + ".reason.json",
             Body=json.dumps({"source": name, "reason": reason, "fingerprint": fingerprint}).encode("utf-8"),
             ContentType="application/json")
        return "s3://%s/%s" % (bucket, target)
    return keep


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
    )
    spec.update(EVIDENCE_SPEC)
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True,
                       required_one_of=[("paths", "s3_bucket")])

    def body(partial):
        p = module.params
        if not dmarc_report.HAS_DEFUSEDXML:
            raise DeliverabilityError("defusedxml is required to read DMARC reports safely: pip install "
                                      "defusedxml==0.7.1 (%s)" % dmarc_report.DEFUSEDXML_IMPORT_ERROR)
        for option in ("max_report_bytes", "max_source_bytes", "max_ratio", "max_records", "max_sources"):
            if p[option] < 1:
                raise InputError(option, "must be at least 1, got %d" % p[option])
        if p["s3_bucket"] is not None and not p["s3_bucket"].strip():
            raise InputError("s3_bucket", "is empty")
        for path in p["paths"] or []:
            if not os.path.exists(path):
                raise InputError("paths", "%s does not exist (relative paths resolve against %s)" % (path, os.getcwd()))
        limits = dmarc_report.Limits(max_bytes=p["max_report_bytes"], max_ratio=p["max_ratio"],
                                     max_input=p["max_source_bytes"], max_records=p["max_records"])
        warning = store_location_warning(p)
        if warning:
            module.module.warn(warning)
        store, error = open_store(module, read_only=module.check_mode, missing_ok=module.check_mode)
        if store is None:
            # check mode before the first real run: nothing stored yet, every report would be new
            from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import SqliteEvidenceStore
            store = SqliteEvidenceStore(None, read_only=True)
        quarantine_dir = p["quarantine_dir"] or default_quarantine_dir(p)
        ingester = dmarc_ingest.Ingester(store, limits, check_mode=module.check_mode, domains=p["domains"],
                                         quarantine=dmarc_ingest.local_quarantine(quarantine_dir))
        budget = p["max_sources"]
        try:
            for name, data in dmarc_ingest.local_sources(p["paths"] or [], limits):
                if budget <= 0:
                    break
                budget -= 1
                if isinstance(data, dmarc_report.ReportError):
                    ingester.unreadable(name, data)
                else:
                    ingester.ingest(name, data)
            if p["s3_bucket"]:
                s3 = module.client("s3")
                s3_ingester_quarantine = _s3_quarantine(s3, p["s3_bucket"], p["s3_quarantine_prefix"])
                for name, fingerprint, key, problem in _s3_sources(s3, p["s3_bucket"], p["s3_prefix"],
                                                                   p["s3_quarantine_prefix"], limits):
                    if budget <= 0:
                        break
                    budget -= 1
                    if problem is not None:
                        ingester.unreadable(name, problem)
                        continue
                    if store.source_seen(fingerprint) is not None:
                        ingester.ingest(name, b"", fingerprint=fingerprint)  # counted as seen, not read again
                        continue
                    try:
                        body_bytes = call(s3, "GetObject", Bucket=p["s3_bucket"], Key=key)["Body"].read()
                    except AwsError as exc:
                        ingester.unreadable(name, dmarc_report.ReportError("unreadable", exc.msg))
                        continue
                    ingester.quarantine = s3_ingester_quarantine
                    try:
                        ingester.ingest(name, body_bytes, fingerprint=fingerprint)
                    finally:
                        ingester.quarantine = dmarc_ingest.local_quarantine(quarantine_dir)
        finally:
            partial.update(totals=ingester.totals, sources=ingester.outcomes[:MAX_LISTED],
                           sources_truncated=len(ingester.outcomes) > MAX_LISTED, store=store.location or "(none)")
            store.close()
        totals = ingester.totals
        changed = bool(totals["reports_new"] or any(o.get("kept") for o in ingester.outcomes))
        return dict(partial, changed=changed)

    run_module(module, body)


if __name__ == "__main__":
    main()
