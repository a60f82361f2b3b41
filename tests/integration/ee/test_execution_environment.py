"""ansible-builder can turn the collection's EE definition into a build context (building needs a container engine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BUILDER = Path(sys.executable).parent / "ansible-builder"


def test_collection_metadata_names_existing_files():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    for kind in ("python", "system"):
        path = ROOT / meta["dependencies"][kind]
        assert path.exists() and path.read_text().strip(), path
    assert "boto3" in (ROOT / meta["dependencies"]["python"]).read_text()


@pytest.mark.skipif(not BUILDER.exists(), reason="ansible-builder is not installed (tests/requirements.txt)")
def test_ansible_builder_create(tmp_path):
    context = tmp_path / "context"
    proc = subprocess.run([str(BUILDER), "create", "-f", str(ROOT / "docs" / "ee" / "execution-environment.yml"),
                           "-c", str(context), "--output-filename", "Containerfile"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile and "install-from-bindep" in containerfile
    assert "boto3==" in (context / "_build" / "requirements.txt").read_text()
    assert "ca-certificates" in (context / "_build" / "bindep.txt").read_text()
    assert "deliverability.ses" in (context / "_build" / "requirements.yml").read_text()
