"""The test suite's own tooling: the assertion counter, the time line of `make test`, the xdist order."""

from __future__ import annotations

import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

import count_assertions  # noqa: E402
import test_phases  # noqa: E402
from tests.fixtures import schedule  # noqa: E402


def test_count_python_counts_asserts_raises_helpers_and_play_asserts():
    src = textwrap.dedent('''
        import pytest

        def check(x):
            assert x

        def test_a():
            assert 1 and 2
            with pytest.raises(ValueError):
                int("x")
            check(1)
            check(2)
            play = {"ansible.builtin.assert": {"that": ["a", "b", "c"]}}
    ''')
    got = count_assertions.count_python(src, count_assertions.helper_names({"x.py": src}))
    assert got == {"assert": 2, "raises": 1, "helper_calls": 2, "playbook_that": 3, "total": 8}


def test_count_yaml_counts_every_condition_of_assert_tasks():
    text = textwrap.dedent('''
        - hosts: localhost
          tasks:
            - ansible.builtin.assert:
                that: [a, b]
            - block:
                - ansible.builtin.assert:
                    that: "c"
            - ansible.builtin.debug: {msg: not an assertion}
    ''')
    assert count_assertions.count_yaml(text) == {"assert_tasks": 2, "that": 3, "total": 3}


def test_budgets_are_read_from_contributing():
    budgets = test_phases.budgets()
    assert budgets["tests/unit"] > 0 and budgets["tests/reliability"] > 0
    assert all(d.startswith("tests/") and not d.endswith("/") for d in budgets)


def test_time_line_lists_phases_slowest_tests_and_directories(tmp_path, monkeypatch):
    suite = ET.Element("testsuites")
    ts = ET.SubElement(suite, "testsuite", tests="3", failures="1", errors="0", skipped="0")
    for cls, name, secs in (("tests.unit.plugins.test_x", "test_fast", "0.5"),
                            ("tests.reliability.test_faults", "test_slow", "42.0"),
                            ("tests.elsewhere.test_y", "test_other", "3.0")):
        ET.SubElement(ts, "testcase", classname=cls, name=name, time=secs)
    junit = tmp_path / "junit.xml"
    ET.ElementTree(suite).write(junit)
    monkeypatch.setattr(test_phases, "JUNIT", junit)
    monkeypatch.setattr(test_phases, "budgets", lambda: {"tests/reliability": 30, "tests/unit": 10})
    phases = []
    for name, wall, cpu, rc in (("pytest", 100, 150, 0), ("lint", 20, 15, 0), ("sanity", 80, 60, 2)):
        p = test_phases.Phase(name, [], background=name != "pytest")
        p.start, p.end, p.cpu, p.rc = 0, wall, cpu, rc
        phases.append(p)
    text = test_phases.timeline(phases, 100)
    assert "sanity         0      80      80      60  FAILED rc=2" in text
    assert "total                        100     225  FAILED" in text
    assert "pytest: 3 tests, 1 failed, 0 errors, 0 skipped" in text
    lines = text.splitlines()
    slow = lines.index("ten slowest tests (setup + call + teardown):")
    assert lines[slow + 1].split() == ["42.0", "tests/reliability/test_faults.py::test_slow"]
    assert "      42 /   30  tests/reliability  OVER BUDGET" in text
    assert "       0 /   10  tests/unit" in text  # 0.5 s rounds to 0
    assert "       3 /    -  (no budget row)" in text


def _item(nodeid, fixtures=(), scope=None):
    defs = {"shared": [SimpleNamespace(scope=scope)]} if scope else {}
    item = SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures), marks=[],
                           _fixtureinfo=SimpleNamespace(name2fixturedefs=defs))
    item.add_marker = item.marks.append
    return item


def test_schedule_puts_heavy_first_keeps_file_order_and_groups_shared_setup():
    items = [_item("tests/unit/plugins/test_a.py::test_1"),
             _item("tests/integration/x/test_b.py::test_1", ["sandbox", "module_main"]),
             _item("tests/integration/x/test_b.py::test_2", ["ansible_playbook"]),
             _item("tests/integration/molecule/test_molecule.py::test_molecule_scenario[a]"),
             _item("tests/unit/plugins/test_c.py::test_1", scope="module"),
             _item("tests/unit/plugins/test_c.py::test_2", scope="module")]
    schedule.order_and_group(items, lambda name: ("group", name))
    assert [i.nodeid for i in items] == [
        "tests/integration/molecule/test_molecule.py::test_molecule_scenario[a]",
        "tests/integration/x/test_b.py::test_2",
        "tests/integration/x/test_b.py::test_1",
        "tests/unit/plugins/test_a.py::test_1",
        "tests/unit/plugins/test_c.py::test_1",
        "tests/unit/plugins/test_c.py::test_2"]
    assert [i.marks for i in items[-2:]] == [[("group", "tests/unit/plugins/test_c.py")]] * 2
    assert all(i.marks == [] for i in items[:-2])
