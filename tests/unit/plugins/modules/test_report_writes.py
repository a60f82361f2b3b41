"""Report files are written through files.write_atomic (issue 21, D2): a symlink planted at the old predictable
``<file>.tmp`` name, or at the report itself, never makes the collection write into another file."""

from __future__ import annotations

import os

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.files import FileError
from ansible_collections.deliverability.ses.plugins.modules import dmarc_evidence


def test_a_symlink_at_the_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    report = tmp_path / "dmarc-rollout.csv"
    (tmp_path / "dmarc-rollout.csv.tmp").symlink_to(victim)
    assert dmarc_evidence._write(str(report), "domain,stage\n") is True
    assert victim.read_text() == "keep me"
    assert not report.is_symlink() and report.read_text() == "domain,stage\n"
    assert os.stat(report).st_mode & 0o777 == 0o600
    assert dmarc_evidence._write(str(report), "domain,stage\n") is False  # unchanged: not rewritten


def test_a_symlink_at_the_report_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    report = tmp_path / "dmarc-rollout.json"
    report.symlink_to(victim)
    with pytest.raises(FileError) as err:
        dmarc_evidence._write(str(report), "{}")
    assert "report_dir" in str(err.value) and victim.read_text() == "keep me"
