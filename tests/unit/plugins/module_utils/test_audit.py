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


# -- a guarded change is audited or does not happen ---------------------------------------------------
import resource  # noqa: E402
import subprocess  # noqa: E402

from ansible_collections.deliverability.ses.plugins.module_utils.audit import UnauditedChange  # noqa: E402
from ansible_collections.deliverability.ses.plugins.module_utils.files import FileError  # noqa: E402


def test_dev_full_is_refused_before_any_change():
    log = _log("/dev/full")
    with pytest.raises(FileError) as info:
        log.check_writable()
    assert info.value.option == "audit_log" and "not a regular file" in info.value.msg


def test_symlink_and_world_readable_log(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "link.jsonl").symlink_to(target)
    with pytest.raises(FileError, match="symbolic link"):
        _log(tmp_path / "link.jsonl").check_writable()
    loose = tmp_path / "loose.jsonl"
    loose.write_text("")
    os.chmod(loose, 0o644)
    _log(loose).check_writable()
    assert os.stat(loose).st_mode & 0o777 == 0o600


def test_write_failing_after_the_check_raises_unaudited_with_the_record(tmp_path):
    """The file size limit makes the kernel refuse the append (EFBIG), as a disk filling up between the
    check and the write would (ENOSPC): the record comes back in the error, and no half line stays."""
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier": true}\n')
    log = _log(path)
    log.check_writable()
    size = path.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, hard))
    try:
        with pytest.raises(UnauditedChange) as info:
            log.record("delist", "a@x.test", "BOUNCE", reason_for_removal="T-1")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    exc = info.value
    assert "UNAUDITED CHANGE: delist a@x.test was applied" in exc.msg and "File too large" in exc.msg
    assert exc.details["unaudited"][0]["address"] == "a@x.test"
    assert exc.details["unaudited"][0]["reason_for_removal"] == "T-1"
    assert path.read_text() == '{"earlier": true}\n'  # truncated back: no partial line
    assert log.written == 0


@pytest.fixture
def full_tmpfs(tmp_path):
    """A real, full file system: a 64 KiB tmpfs filled to the last byte (needs root to mount)."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                                           capture_output=True, check=False).returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_file_system_is_refused_before_any_change(full_tmpfs):
    log = _log(full_tmpfs / "audit.jsonl")
    with pytest.raises(FileError) as info:
        log.check_writable()
    assert "bytes free" in info.value.msg and info.value.option == "audit_log"
    assert not (full_tmpfs / "audit.jsonl").exists()
