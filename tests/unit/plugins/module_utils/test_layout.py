"""A file's folder says its kind (docs/CONTRIBUTING.md "Layout"): each folder's rule, checked.

- the root of module_utils holds only the ground (errors, names, validate) and the one-of-each mechanisms
  (aws client, files, audit log, concurrency, state paths): a new file belongs in a folder;
- policy/ (rules) and formats/ (parsing, rendering) reach no I/O code of the collection: only each other,
  the ground and the record model (test_import_purity.py proves they reach no network library either).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
PREFIX = "ansible_collections.deliverability.ses.plugins.module_utils."

ROOT_FILES = {"errors", "names", "validate", "aws", "files", "audit", "concurrency", "state_paths"}
FOLDERS = {"policy", "formats", "runners", "ses", "dns", "store"}
PURE_FOLDERS = ("policy", "formats")
PURE_MAY_IMPORT = ("errors", "names", "validate", "dns.rdata", "policy", "formats")


def collection_imports(path):
    """Every collection module a file imports, as a dotted name under module_utils (submodules included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            inner = node.module[len(PREFIX):]
            out.add(inner)
            for alias in node.names:
                if MODULE_UTILS.joinpath(*inner.split("."), alias.name + ".py").exists():
                    out.add(inner + "." + alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module == PREFIX[:-1]:
            out.update(alias.name for alias in node.names)
    return out


def test_root_holds_only_the_ground_and_the_shared_mechanisms():
    assert {p.stem for p in MODULE_UTILS.glob("*.py")} == ROOT_FILES
    assert {p.name for p in MODULE_UTILS.iterdir() if p.is_dir() and p.name != "__pycache__"} == FOLDERS


def _pure_files():
    return sorted(p for folder in PURE_FOLDERS for p in (MODULE_UTILS / folder).glob("*.py"))


def _bad_imports(path):
    return sorted(name for name in collection_imports(path)
                  if not any(name == ok or name.startswith(ok + ".") for ok in PURE_MAY_IMPORT))


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: "%s/%s" % (p.parent.name, p.name))
def test_pure_folders_reach_no_io_code(path):
    assert _bad_imports(path) == []


def test_the_import_rule_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from %sfiles import write_atomic\nfrom %s import aws\n" % (PREFIX, PREFIX[:-1]))
    assert _bad_imports(bad) == ["aws", "files"]


# ------------------------------------------------------------------------- one mechanism each: files, SQLite
PLUGINS = ROOT / "plugins"
WRITERS = re.compile(r"""open\([^)]*["'][wax]b?\+?["']|\.write_text\(|\.write_bytes\(|os\.open\(|os\.replace\(|"""
                     r"""os\.rename\(|shutil\.(copy|move)""")
CONNECTS = re.compile(r"""sqlite3\.connect\((?![\"'](:memory:)?[\"']\))""")


def _offenders(pattern, allowed):
    return sorted("%s:%d" % (path.relative_to(ROOT), n)
                  for path in PLUGINS.rglob("*.py") if path.relative_to(ROOT).as_posix() not in allowed
                  for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line))


def test_every_file_is_written_through_files_py():
    # files.py: 0600, never through a symlink, room checked, atomic replace - a writer of its own skips all that
    assert _offenders(WRITERS, {"plugins/module_utils/files.py"}) == []


def test_every_store_file_is_opened_through_the_one_sqlite_opener():
    # in-memory and SQLite's own temporary databases name no file; every named file goes through open_db
    assert _offenders(CONNECTS, {"plugins/module_utils/store/sqlite_file.py"}) == []


def test_the_file_rules_can_fail(tmp_path):
    assert WRITERS.search('with open(tmp, "wb") as fh:') and WRITERS.search("os.replace(tmp, path)")
    assert not WRITERS.search('with open(path, "rb") as fh:')
    assert CONNECTS.search('sqlite3.connect("file:%s?mode=ro" % path, uri=True)')
    assert not CONNECTS.search('sqlite3.connect(":memory:")') and not CONNECTS.search('sqlite3.connect("")')


def test_which_aws_error_means_missing_is_written_once():
    # aws.MISSING is the one table; a second list of "not found" codes drifts from it
    codes = re.compile(r"""["'](NotFoundException|ResourceNotFoundException|NotFound|NoSuchEntity)["']""")
    assert _offenders(codes, {"plugins/module_utils/aws.py"}) == []


def test_nothing_outside_dns_branches_on_a_provider_name():
    # what differs between DNS backends is the provider's to say (Provider.directory, write_operation, ...)
    branch = re.compile(r"""(==|!=|\bin)\s*\(?["'](route53|rfc2136)["']|["'](route53|rfc2136)["']\s*(==|!=)""")
    allowed = {p.relative_to(ROOT).as_posix() for p in (MODULE_UTILS / "dns").glob("*.py")}
    assert _offenders(branch, allowed) == []
    assert branch.search('if self.params["provider"] == "route53" and zones:')


def test_the_resolvers_option_is_specified_once():
    # dns/providers.resolvers_spec, documented once by the deliverability.ses.resolvers doc fragment
    inline = re.compile(r"""resolvers\s*=\s*dict\(|aliases=\[["']nameservers["']\]""")
    assert _offenders(inline, {"plugins/module_utils/dns/providers.py", "plugins/modules/wait_for_dns.py"}) == []


# ------------------------------------------------------------------------------------------------ sizes
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 100
MAX_MODULE_CODE_LINES = 220  # a module file's code outside DOCUMENTATION / EXAMPLES / RETURN: docs + a short main()
# Exceptions, each named with its reason (none today): shrink them, never add to them.
FILE_EXCEPTIONS = set()
FUNCTION_EXCEPTIONS = set()


def _functions(path):
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)]


def test_no_module_utils_file_is_a_long_room():
    over = sorted(p.relative_to(MODULE_UTILS).as_posix() for p in MODULE_UTILS.rglob("*.py")
                  if len(p.read_text().splitlines()) > MAX_FILE_LINES)
    assert set(over) <= FILE_EXCEPTIONS, over


def test_no_function_is_over_the_limit():
    over = set()
    for path in list(MODULE_UTILS.rglob("*.py")) + list((PLUGINS / "modules").glob("*.py")):
        name = path.relative_to(MODULE_UTILS).as_posix() if MODULE_UTILS in path.parents else path.name
        over |= {"%s:%s" % (name, f.name) for f in _functions(path) if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES}
    assert over <= FUNCTION_EXCEPTIONS, sorted(over)


def test_modules_stay_thin():
    fat = {}
    for path in (PLUGINS / "modules").glob("*.py"):
        tree = ast.parse(path.read_text())
        code = sum(node.end_lineno - node.lineno + 1 for node in tree.body
                   if not (isinstance(node, ast.Assign)
                           and {getattr(t, "id", "") for t in node.targets} & {"DOCUMENTATION", "EXAMPLES", "RETURN"}))
        if code > MAX_MODULE_CODE_LINES:
            fat[path.name] = code
    assert fat == {}
