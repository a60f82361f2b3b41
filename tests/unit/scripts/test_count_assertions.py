"""scripts/count_assertions.py: assertion-bearing helpers imported from a tests/ module count at each call site,
under the name they were imported as; attribute calls count only for asserting methods or imported tests/ modules."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from count_assertions import count_python, helper_names  # noqa: E402

FIXTURE = textwrap.dedent('''
    import subprocess

    def checked(x):
        assert x
        return x

    def quiet(x):
        return x

    def update(d):
        assert d

    class Reader:
        def must_read(self):
            assert self
''')


def counts(test_path, test_src, fixture_path="tests/fixtures/cli.py"):
    sources = {fixture_path: FIXTURE, test_path: test_src}
    return count_python(test_src, helper_names(sources), test_path)


def test_a_helper_imported_from_a_tests_module_counts_at_each_call_site_as_a_local_one():
    local = textwrap.dedent('''
        def checked(x):
            assert x
            return x

        def test_a():
            checked(1)
            checked(2)
    ''')
    imported = textwrap.dedent('''
        from tests.fixtures.cli import checked

        def test_a():
            checked(1)
            checked(2)
    ''')
    assert counts("tests/integration/x/test_local.py", local)["helper_calls"] == 2
    assert counts("tests/integration/x/test_imported.py", imported)["helper_calls"] == 2


def test_an_alias_counts_and_a_non_asserting_helper_does_not():
    src = textwrap.dedent('''
        from tests.fixtures.cli import checked as cli, quiet as q

        def test_a():
            cli(1)
            cli(2)
            cli(3)
            q(4)
    ''')
    got = counts("tests/integration/x/test_alias.py", src)
    assert got["helper_calls"] == 3 and got["total"] == 3


def test_module_imports_and_relative_imports_resolve():
    as_module = textwrap.dedent('''
        import tests.fixtures.cli as c
        from tests.fixtures import cli

        def test_a():
            c.checked(1)
            cli.checked(2)
            cli.quiet(3)
    ''')
    assert counts("tests/integration/x/test_mod.py", as_module)["helper_calls"] == 2
    relative = textwrap.dedent('''
        from .helpers import checked as ok
        from . import helpers

        def test_a():
            ok(1)
            helpers.checked(2)
    ''')
    got = counts("tests/integration/x/test_rel.py", relative, fixture_path="tests/integration/x/helpers.py")
    assert got["helper_calls"] == 2
    # the same relative import from another package reaches a different module: nothing to count
    assert counts("tests/integration/y/test_rel.py", relative,
                  fixture_path="tests/integration/x/helpers.py")["helper_calls"] == 0


def test_a_method_call_on_any_object_counts_only_for_asserting_methods():
    src = textwrap.dedent('''
        import subprocess

        def test_a(reader):
            env = {}
            env.update(x=1)                 # a dict's update, not the asserting update() of the fixture
            subprocess.run(["true"])
            reader.must_read()              # an asserting method of a class under tests/
    ''')
    assert counts("tests/integration/x/test_meth.py", src)["helper_calls"] == 1


def test_a_plain_set_of_names_keeps_the_old_by_name_matching():
    src = "def test_a(o):\n    o.checked(1)\n    checked(2)\n"
    assert count_python(src, {"checked"})["helper_calls"] == 2
