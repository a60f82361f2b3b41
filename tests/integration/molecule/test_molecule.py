"""Every role's molecule scenario (check, converge, idempotence, verify against the sandbox / BIND), as `make test` runs it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ansible_runner import collections_path
from tests.sandbox.control import free_port

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def test_every_role_has_a_scenario():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
    assert roles == SCENARIOS


@pytest.mark.skipif(not (BIN / "molecule").exists(), reason="molecule is not installed (tests/requirements.txt)")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    collections_path()
    port = free_port()
    env = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), SANDBOX_PORT=str(port),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    env.pop("AWS_ENDPOINT_URL", None)
    proc = subprocess.run([str(BIN / "molecule"), "test", "-s", scenario], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=1200)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-8000:]
    for step in ("create", "check", "converge", "idempotence", "verify", "destroy"):
        assert re.search(r"\b%s\W+Executed: Successful" % step, out), (step, out[-4000:])
    # destroy stopped the sandbox: nothing answers on the scenario's port any more
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the sandbox still answers after destroy"
