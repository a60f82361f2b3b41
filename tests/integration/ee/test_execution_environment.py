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


def test_ee_python_requirements_are_ranges_not_pins():
    """ansible-builder merges every collection's requirements: an exact pin clashes with the next collection's."""
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    ee = yaml.safe_load((ROOT / "docs" / "ee" / "execution-environment.yml").read_text())
    for path in (ROOT / meta["dependencies"]["python"],
                 (ROOT / "docs" / "ee" / ee["dependencies"]["python"]).resolve()):
        lines = [ln.split("#")[0].strip() for ln in path.read_text().splitlines()]
        reqs = [ln for ln in lines if ln]
        assert {r.split(">")[0].split("<")[0] for r in reqs} >= {"boto3", "botocore", "dnspython"}, path
        assert not [r for r in reqs if "==" in r], "exact pins in %s: %s" % (path, reqs)
        assert all(">=" in r and "<" in r for r in reqs), reqs


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
    built = (context / "_build" / "requirements.txt").read_text()
    assert "boto3>=" in built and "boto3==" not in built, built
    assert "ca-certificates" in (context / "_build" / "bindep.txt").read_text()
    assert "deliverability.ses" in (context / "_build" / "requirements.yml").read_text()
