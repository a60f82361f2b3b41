"""The one counter for test names (tests/fixtures/names.py) cannot be loaded twice, and a zone that exists already
is never taken as a fresh one (tests/fixtures/bind.py): together they keep two tests off one BIND zone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fixtures import names

ROOT = Path(__file__).resolve().parents[2]


def test_names_never_repeat_within_a_process():
    got = [names.unique("t") for dummy in range(1000)]
    assert len(set(got)) == 1000


def test_a_second_copy_of_the_counter_refuses_to_load():
    # what importing a conftest by name did: the same file loaded under another module name, counter at 1 again
    spec = importlib.util.spec_from_file_location("tests.integration.dns.conftest", ROOT / "tests/fixtures/names.py")
    with pytest.raises(ImportError, match="second copy"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_no_test_imports_a_conftest_by_name():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "tests").rglob("*.py")
                 for line in path.read_text().splitlines()
                 if line.strip().startswith("from tests.") and ".conftest import" in line]
    assert offenders == []
