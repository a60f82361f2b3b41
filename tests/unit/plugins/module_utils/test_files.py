"""files.py: private modes, no symlink following, writability checked first, CSV formula neutralising."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.formats import cells
from ansible_collections.deliverability.ses.plugins.module_utils import files


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_new_files_are_private(tmp_path):
    files.append_lines(tmp_path / "a" / "q.jsonl", ["x\n"], "quarantine_path")
    files.write_atomic(tmp_path / "s.json", "{}\n", "summary_path")
    files.prepare_private_file(tmp_path / "store.sqlite", "store_path")
    for name in ("a/q.jsonl", "s.json", "store.sqlite"):
        assert mode(tmp_path / name) == 0o600, name
    assert mode(tmp_path / "a") == 0o700


def test_existing_world_readable_file_is_tightened(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    files.append_lines(path, ["new\n"], "audit_log")
    assert mode(path) == 0o600 and path.read_text() == "old\nnew\n"


@pytest.mark.parametrize("writer", ["append", "atomic", "prepare", "check"])
def test_symlink_is_never_followed(tmp_path, writer):
    target = tmp_path / "victim"
    target.write_text("precious\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(files.FileError) as info:
        if writer == "append":
            files.append_lines(link, ["x\n"], "opt")
        elif writer == "atomic":
            files.write_atomic(link, "x", "opt")
        elif writer == "prepare":
            files.prepare_private_file(link, "opt")
        else:
            files.check_writable(link, "opt")
    assert info.value.option == "opt" and "symbolic link" in info.value.msg
    assert target.read_text() == "precious\n" and os.path.islink(link)


def test_check_writable_refuses_devices_dirs_and_full_file_systems(tmp_path, monkeypatch):
    with pytest.raises(files.FileError, match="not a regular file"):
        files.check_writable("/dev/full", "audit_log")
    with pytest.raises(files.FileError, match="directory"):
        files.check_writable(tmp_path, "audit_log")
    monkeypatch.setattr(files, "free_bytes", lambda d: 10)
    with pytest.raises(files.FileError, match="10 bytes free"):
        files.check_writable(tmp_path / "x", "audit_log")
    assert not (tmp_path / "x").exists()


def test_errors_name_the_option_not_oserror(tmp_path):
    with pytest.raises(files.FileError) as info:
        files.append_lines("/proc/self/nope/x", ["x\n"], "summary_path")
    assert info.value.msg.startswith("summary_path:")
    with pytest.raises(files.FileError) as info:
        files.write_atomic("/proc/self/nope/x", "x", "export")
    assert info.value.msg.startswith("export:")


def test_csv_quotes_and_neutralises_formulas():
    rows = [["a,b@b.test", "BOUNCE"], ["=1+2@x.test", "+cmd"], ["-x@y.test", "@SUM(A1)"], ["\tx", "\rx"],
            ['"q"@x.test', 5], [None, True]]
    text = cells.render_csv(["email", "reason"], rows)
    back = list(csv.reader(io.StringIO(text)))
    assert back[0] == ["email", "reason"]
    assert back[1] == ["a,b@b.test", "BOUNCE"]
    assert back[2] == ["'=1+2@x.test", "'+cmd"]
    assert back[3] == ["'-x@y.test", "'@SUM(A1)"]
    assert back[4] == ["'\tx", "'\rx"]
    assert back[5] == ['"q"@x.test', "5"] and back[6] == ["", "true"]
