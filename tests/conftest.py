"""Shared fixtures: the SES sandbox, BIND 9, and running modules through ansible-playbook."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the collection's module_utils import as ansible_collections.deliverability.ses.*
from tests.fixtures.ansible_runner import collections_path  # noqa: E402

sys.path.insert(0, str(collections_path()))

from tests.fixtures.ansible_runner import run_module, run_playbook  # noqa: E402
from tests.fixtures.bind import Bind  # noqa: E402
from tests.fixtures.dns_zones import amazonses, r53_zone, rfc2136, zone  # noqa: E402,F401 fixtures by name; pylint: disable=unused-import
from tests.fixtures.inprocess import run_main  # noqa: E402
from tests.fixtures.inprocess_play import run_play  # noqa: E402
from tests.sandbox.control import Sandbox  # noqa: E402

BIND_ZONES = ("example.test", "fleet.test", "mail.test", "reports.test")

# the domain role's journals (what onboarding found, a half-done offboarding's plan) go to this process's own
# directory, never the real home: a journal another run left for the same name (the molecule scenario's
# onboard.test, the README's example.com) would be read as this run's, and two processes would share one file
os.environ["DELIVERABILITY_SES_JOURNAL_DIR"] = tempfile.mkdtemp(prefix="deliverability-journals-")
atexit.register(shutil.rmtree, os.environ["DELIVERABILITY_SES_JOURNAL_DIR"], True)


@pytest.fixture(scope="session")
def bind():
    """One BIND 9 for the session, with zones BIND_ZONES; add more with bind.add_zone(name)."""
    with Bind(zones=BIND_ZONES) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_server(bind):
    """One sandbox process for the session; it resolves DNS through its Route 53 zones and the BIND."""
    with Sandbox(dns_servers=[bind.server]) as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox, reset to an empty account for each test."""
    sandbox_server.reset()
    sandbox_server.post("config", {"dns_servers": [sandbox_server.dns_servers[0]], "dns_recheck_seconds": 0.0,
                                   "dkim_failure_seconds": 72 * 3600.0, "key_change_interval_seconds": 86400.0})
    return sandbox_server


@pytest.fixture
def aws_env(sandbox):
    return sandbox.env()


@pytest.fixture
def ansible_module(aws_env):
    """Run one module task against the sandbox: ansible_module('email_identity_info', {...}, check=True)."""
    def runner(module, args, check=False, diff=False, env=None, verbosity=0):
        return run_module(module, args, env=dict(aws_env, **(env or {})), check=check, diff=diff,
                          verbosity=verbosity)
    return runner


@pytest.fixture
def ansible_playbook(aws_env):
    def runner(playbook, check=False, diff=False, extra_vars=None, env=None, verbosity=0, args=()):
        return run_playbook(playbook, env=dict(aws_env, **(env or {})), check=check, diff=diff,
                            extra_vars=extra_vars, verbosity=verbosity, args=args)
    return runner


@pytest.fixture
def module_main(aws_env):
    """Run a module's main() in-process against the sandbox: module_main('email_identity_info', {...}, check=True).

    Same .rc / .result as ansible_module, without an ansible-playbook process. Use it where the module's logic
    is the point; keep ansible_module / ansible_playbook for controller behaviour (check/diff rendering,
    no_log masking, module_defaults, roles)."""
    def runner(module, args, check=False, diff=False, env=None, cwd=None):
        return run_main(module, args, env=dict(aws_env, **(env or {})), check=check, diff=diff, cwd=cwd)
    return runner


@pytest.fixture
def module_play(aws_env):
    """A play's table of module tasks run in-process, one main() after another: module_play(play(...), check=True).

    Same .rc / .results / .task(name) as ansible_playbook, without the process; understands a task's module,
    arguments, ignore_errors, check_mode and `loop` over '{{ item }}' only (tests/fixtures/inprocess_play.py)."""
    def runner(plays, check=False, diff=False, env=None):
        return run_play(plays, env=dict(aws_env, **(env or {})), check=check, diff=diff)
    return runner


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Heaviest tests first, and one worker per file with a module-scoped fixture (tests/fixtures/schedule.py).
    tryfirst: xdist reads the xdist_group marks in its own hook, after this one."""
    from tests.fixtures.schedule import order_and_group
    order_and_group(items, pytest.mark.xdist_group)
