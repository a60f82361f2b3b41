"""A guarded delist is audited or does not happen: the audit log on a full disk, proven against the sandbox.

1. The audit log on a full file system (a real 64 KiB tmpfs filled to the last byte; /dev/full as well): the
   run is refused before the delete, naming audit_log; the address is still on the list (read back from the
   sandbox with boto3) and no write call was made.
2. The disk fills up between the check and the append (the kernel refuses the write: a file size limit,
   EFBIG, as ENOSPC would): the delete happened, so the run fails loudly with changed=true, an
   "UNAUDITED CHANGE" message and the full record in ``unaudited``; the single and the bulk module alike.
Modules run in-process (tests/fixtures/inprocess.py); figures go to the reliability report.
"""

from __future__ import annotations

import os
import resource
import subprocess

import pytest

from .conftest import record

ADDRESS = "full-disk@rel-full.test"


@pytest.fixture
def full_fs(tmp_path):
    mnt = tmp_path / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode:
        yield None
        return
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: the file system is full
    finally:
        os.close(fd)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _listed(sandbox, address):
    ses = sandbox.boto3_client("sesv2")
    try:
        ses.get_suppressed_destination(EmailAddress=address)
        return True
    except ses.exceptions.NotFoundException:
        return False


def _delist(address, audit_log):
    return {"email": address, "state": "absent", "reason_for_removal": "TICKET-17 full disk", "force": True,
            "audit_log": str(audit_log)}


def test_audit_log_on_a_full_disk(sandbox, module_main, full_fs, tmp_path, figures):
    ses = sandbox.boto3_client("sesv2")
    targets = [("/dev/full", "/dev/full")]
    if full_fs is not None:
        targets.append(("a full tmpfs (64 KiB, 0 bytes free)", full_fs / "audit.jsonl"))
    refused = []
    for label, path in targets:
        ses.put_suppressed_destination(EmailAddress=ADDRESS, Reason="BOUNCE")
        mark = sandbox.mark()
        res = module_main("suppressed_destination", _delist(ADDRESS, path))
        assert res.result["failed"] and not res.result.get("traceback_escaped"), res.result
        assert res.result["msg"].startswith("audit_log:"), res.result["msg"]
        assert sandbox.mutating_calls(since=mark) == []
        assert _listed(sandbox, ADDRESS), "the delete happened although the audit log could not be written"
        refused.append({"target": label, "message": res.result["msg"][:160], "still_listed": True})

    # the disk fills between the check and the append: delete done, audit line refused by the kernel
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))  # the empty log can take no line
    try:
        res = module_main("suppressed_destination", _delist(ADDRESS, audit))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    r = res.result
    assert r["failed"] and not r.get("traceback_escaped"), r
    assert r["changed"] is True and "UNAUDITED CHANGE: delist %s was applied" % ADDRESS in r["msg"], r
    assert r["unaudited"][0]["address"] == ADDRESS and r["unaudited"][0]["reason_for_removal"] == "TICKET-17 full disk"
    assert not _listed(sandbox, ADDRESS)  # it was deleted: said loudly, never silently
    assert audit.read_text() == ""  # no half line either
    single = {"changed": r["changed"], "message": r["msg"][:200], "unaudited_records": len(r["unaudited"])}

    # the bulk module: each applied change stays reported, flagged unaudited, and the run fails loudly
    bulk = ["bulk-%d@rel-full.test" % i for i in range(3)]
    for a in bulk:
        ses.put_suppressed_destination(EmailAddress=a, Reason="BOUNCE")
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
    try:
        res = module_main("suppressed_destinations", {"addresses": bulk, "state": "absent", "force": True,
                                                      "reason_for_removal": "TICKET-17 bulk", "audit_log": str(audit)})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    r = res.result
    assert r["failed"] and not r.get("traceback_escaped"), r
    assert r["changed"] is True and r["msg"].startswith("UNAUDITED CHANGES: 3 address(es)"), r["msg"]
    assert sorted(u["address"] for u in r["unaudited"]) == sorted(bulk)
    assert not any(_listed(sandbox, a) for a in bulk)
    record(figures, "audit_full_disk", "result", {
        "refused_before_delete": refused, "single": single,
        "bulk": {"changed": r["changed"], "unaudited_records": len(r["unaudited"]), "message": r["msg"][:200]}})
