# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where DMARC aggregate reports come from and where unreadable ones are kept: local files and folders (walked in
name order) and an S3 prefix (SES receiving), each with its quarantine (a local folder through files.py, or an S3
prefix). runners/dmarc_ingest.py reads the sources and records what they hold."""

from __future__ import annotations

import json
import os

from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report


def local_sources(paths, limits):
    """Yield (name, bytes or ReportError) for every file under ``paths`` (files, or folders walked in name order)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for fname in sorted(names):
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
    """A quarantine function that copies the source into ``directory`` with a ``.reason.json`` beside it
    (through files.py: 0600, never through a symlink, no partial file left when the disk is full)."""
    def keep(name, data, reason, fingerprint):
        base = "%s-%s" % (fingerprint.split(":")[-1][:16], os.path.basename(name.rstrip("/")) or "source")
        target = os.path.join(directory, base)
        files.write_atomic(target, data if isinstance(data, bytes) else b"", "quarantine_dir")
        files.write_atomic(target + ".reason.json", json.dumps({"source": name, "reason": reason,
                                                                "fingerprint": fingerprint}), "quarantine_dir")
        return target
    return keep


def s3_sources(client, bucket, prefix, quarantine_prefix, limits, call):
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


def s3_quarantine(client, bucket, quarantine_prefix, call):
    def keep(name, data, reason, fingerprint):
        key = name.split("/", 3)[3] if name.startswith("s3://") else name
        target = "%s%s" % (quarantine_prefix, key.replace("/", "_"))
        call(client, "CopyObject", Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        call(client, "PutObject", Bucket=bucket, Key=target + ".reason.json",
             Body=json.dumps({"source": name, "reason": reason, "fingerprint": fingerprint}).encode("utf-8"),
             ContentType="application/json")
        return "s3://%s/%s" % (bucket, target)
    return keep
