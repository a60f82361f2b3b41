"""Pure code stays pure: policy planners, the record model and the error classes import no network library.

Two independent proofs: an AST walk of the collection's import graph (catches imports inside functions
too), and a real import of each module in a fresh interpreter where boto3, botocore, dnspython and the
socket module cannot be imported at all.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ansible_runner import collections_path

ROOT = Path(__file__).resolve().parents[4]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
PREFIX = "ansible_collections.deliverability.ses.plugins.module_utils."
FORBIDDEN = ("boto3", "botocore", "dns", "socket", "ssl", "http", "urllib", "requests", "ansible")

# Modules that must be pure: every module of policy/ (rules) and formats/ (parsing and rendering), the ground
# they stand on (errors, names, validate) and the record model. Their I/O runs in runners/, ses/, dns/, store/.
PURE_FOLDERS = ("policy", "formats")
PURE = sorted(
    ["errors", "dns.rdata", "names", "validate"]
    + [folder + "." + p.stem for folder in PURE_FOLDERS for p in (MODULE_UTILS / folder).glob("*.py")
       if p.stem != "__init__"])


def _path(dotted):
    base = MODULE_UTILS.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(dotted):
    """Every module name one file imports, at any depth of its code."""
    tree = ast.parse(_path(dotted).read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            # "from ...module_utils.policy import spf" imports the submodule spf
            names.extend("%s.%s" % (node.module, alias.name) for alias in node.names)
    return names


def external_imports(dotted, seen=None):
    """(chain, external module) for everything reachable from ``dotted`` through collection imports."""
    seen = set() if seen is None else seen
    if dotted in seen:
        return []
    seen.add(dotted)
    out = []
    for name in _imports(dotted):
        if name.startswith(PREFIX):
            inner = name[len(PREFIX):]
            if _path(inner) is not None:
                out.extend(([dotted] + chain, ext) for chain, ext in external_imports(inner, seen))
        elif name != "__future__":
            out.append(([dotted], name))
    return out


@pytest.mark.parametrize("dotted", PURE)
def test_import_graph_reaches_no_network_library(dotted):
    bad = [(" -> ".join(chain), ext) for chain, ext in external_imports(dotted)
           if ext.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_the_walk_does_find_an_import_through_another_module():
    # the checker must be able to fail: runners/fleet.py reaches botocore through aws.py (which imports botocore, not
    # boto3) and dnspython through dns/resolve.py
    found = {ext.split(".")[0] for chain, ext in external_imports("runners.fleet")}
    assert {"botocore", "dns"} <= found


BLOCKER = r"""
import sys
sys.path.insert(0, sys.argv.pop(1))
# the stdlib MIME parser (formats/dmarc_report.py reads report mail) imports socket for make_msgid/getfqdn only:
# loaded before the blocker, so what is checked is the collection's own imports
import email.policy, email.utils
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("boto3", "botocore", "dns", "socket", "ssl"):
            raise ImportError("blocked in this test: " + name)
        return None
sys.meta_path.insert(0, Block())
for mod in ("boto3", "botocore", "dns", "socket", "ssl"):
    sys.modules.pop(mod, None)
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print("ok")
"""


def test_pure_modules_import_with_network_libraries_blocked():
    names = [PREFIX + d for d in PURE]
    res = subprocess.run([sys.executable, "-I", "-S", "-c", BLOCKER, str(collections_path())] + names,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
    # and the blocker really blocks: an impure module fails to import under it
    res = subprocess.run([sys.executable, "-I", "-S", "-c", BLOCKER, str(collections_path()), PREFIX + "dns.resolve"],
                         capture_output=True, text=True, check=False)
    assert res.returncode != 0 and "blocked in this test" in res.stderr
