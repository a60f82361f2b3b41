"""The audit log: one durable JSON line per record, append-only, safe under threads."""

from __future__ import annotations

import json
import os
import threading

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.audit import AuditLog
from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError


def _log(path, calls=None):
    def who():
        if calls is not None:
            calls.append(1)
        return {"arn": "arn:aws:iam::123456789012:user/ops", "account": "123456789012", "local_user": "ops"}
    return AuditLog(str(path), who, "suppressed_destination", region="eu-west-1")


def test_record_fields_and_append(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier": true}\n')
    calls = []
    log = _log(path, calls)
    log.check_writable()
    log.record("delist", "a/b+c@example.com", "BOUNCE", reason_for_removal="TICKET-1", forced=False, dns_check=None)
    log.record("suppress", '"q u"@bücher.example', "COMPLAINT")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[0]) == {"earlier": True}
    first = json.loads(lines[1])
    assert first["action"] == "delist" and first["address"] == "a/b+c@example.com"
    assert first["operator"] == "arn:aws:iam::123456789012:user/ops"
    assert first["reason_for_removal"] == "TICKET-1" and first["forced"] is False
    assert "dns_check" not in first and first["time"].endswith("Z") and first["region"] == "eu-west-1"
    assert json.loads(lines[2])["address"] == '"q u"@bücher.example'
    assert calls == [1]  # STS asked once per run


def test_new_file_is_private(tmp_path):
    path = tmp_path / "new" / "audit.jsonl"
    log = _log(path)
    log.check_writable()
    log.record("suppress", "a@x.com", "BOUNCE")
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_concurrent_records_do_not_interleave(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = _log(path)
    threads = [threading.Thread(target=lambda i=i: [log.record("suppress", "u%d-%d@x.com" % (i, j), "BOUNCE",
                                                               note="x" * 5000) for j in range(20)])
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 160 and len({json.loads(line)["address"] for line in lines}) == 160


def test_unwritable_is_refused_before_any_change(tmp_path):
    d = tmp_path / "dir.jsonl"
    d.mkdir()
    with pytest.raises(DeliverabilityError, match="audit_log"):
        _log(d).check_writable()
