#!/usr/bin/env python3
"""Count the assertions of the test suite, per file, so a faster suite can be shown to test no less.

What counts as one assertion:
- Python (tests/**/*.py): every `assert` statement; every `with pytest.raises(...)` / `pytest.raises(...)`;
  every call to a helper defined under tests/ whose own body asserts (an "assertion-bearing helper",
  e.g. `assert_no_writes(...)`), counted at each call site: a plain call `name(...)` by the helper's name, or by
  the local name it was imported under from a tests/ module (`from tests.fixtures.x import helper as name`,
  relative imports too); `module.helper(...)` when `module` is a tests/ module imported by the file; any other
  `obj.name(...)` only when `name` is an asserting method of a class under tests/ (so `subprocess.run(...)` or
  `env.update(...)` do not count because some asserting function elsewhere is called `run` or `update`).
- YAML (molecule/**/*.yml, tests/**/*.yml): every condition of an `ansible.builtin.assert` task's `that`
  (a string counts 1, a list counts its items); the number of assert tasks is shown too.
- Plays written as Python data (`{"ansible.builtin.assert": {"that": [...]}}`) count their `that` items.

    scripts/count_assertions.py                   # per-file table of the working tree, and the total
    scripts/count_assertions.py --against main    # the same files at a git ref, side by side; exit 1 when a
                                                  # file that exists on both sides has fewer assertions now
    scripts/count_assertions.py --json            # machine-readable
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSERT_MODULES = ("ansible.builtin.assert", "assert")


def _files(ref: str | None) -> list[str]:
    if ref:
        out = subprocess.run(["git", "ls-tree", "-r", "--name-only", ref], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    else:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    keep = []
    for f in out.splitlines():
        if f.startswith("tests/output/") or f.startswith("tests/sandbox/"):
            continue
        if f.startswith("tests/") and f.endswith(".py"):
            keep.append(f)
        elif (f.startswith("molecule/") or f.startswith("tests/")) and f.endswith((".yml", ".yaml")):
            keep.append(f)
    return sorted(keep)


def _read(path: str, ref: str | None) -> str | None:
    if ref:
        proc = subprocess.run(["git", "show", "%s:%s" % (ref, path)], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout if proc.returncode == 0 else None
    p = ROOT / path
    return p.read_text(encoding="utf-8") if p.is_file() else None


def _asserts_in(node) -> int:
    return sum(1 for n in ast.walk(node) if isinstance(n, ast.Assert))


def _is_raises(call: ast.Call) -> bool:
    f = call.func
    return isinstance(f, ast.Attribute) and f.attr in ("raises", "warns") and \
        isinstance(f.value, ast.Name) and f.value.id == "pytest"


def _that_items(value) -> int:
    if isinstance(value, list):
        return len(value)
    return 1 if value else 0


def _data_asserts(tree) -> int:
    """`{"ansible.builtin.assert": {"that": [...]}}` written as Python literals."""
    total = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value in ASSERT_MODULES and isinstance(value, ast.Dict):
                for k2, v2 in zip(value.keys, value.values):
                    if isinstance(k2, ast.Constant) and k2.value == "that":
                        total += len(v2.elts) if isinstance(v2, (ast.List, ast.Tuple)) else 1
    return total


class Helpers(frozenset):
    """The names of the assertion-bearing helpers (what `helper_names` returns), with ``methods`` (those defined
    directly in a class body: the only ones an `obj.name(...)` call can reach unless `obj` is an imported tests/
    module) and ``modules`` ({dotted module name: its asserting top-level functions})."""

    methods: frozenset = frozenset()
    modules: dict = {}


def _module_name(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def helper_names(sources: dict[str, str]) -> Helpers:
    """Functions defined anywhere in the test tree that assert in their own body (not test_* functions)."""
    names, methods, modules = set(), set(), {}
    for path, text in sources.items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        in_class = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in c.body}
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test_") \
                    and _asserts_in(node):
                names.add(node.name)
                if id(node) in in_class:
                    methods.add(node.name)
                if id(node) in top:
                    modules.setdefault(_module_name(path), set()).add(node.name)
    out = Helpers(names)
    out.methods, out.modules = frozenset(methods), modules
    return out


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return base and "%s.%s" % (base, node.attr)
    return None


def _imported(tree, path: str | None, helpers: Helpers) -> tuple[set[str], dict[str, str]]:
    """(local names bound to an asserting helper of a tests/ module, {local name: tests/ module}) of one file."""
    names, mods = set(), {}
    modules = getattr(helpers, "modules", {})
    package = _module_name(path).split(".")[:-1] if path else []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules:
                    mods[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not path or node.level > len(package):
                    continue
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for a in node.names:
                local = a.asname or a.name
                if a.name in modules.get(module, ()):
                    names.add(local)
                elif "%s.%s" % (module, a.name) in modules:
                    mods[local] = "%s.%s" % (module, a.name)
    return names, mods


def _is_helper_call(call: ast.Call, helpers, imported: set[str], mods: dict[str, str]) -> bool:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id in helpers or f.id in imported
    if not isinstance(f, ast.Attribute):
        return False
    if not isinstance(helpers, Helpers):  # a bare set of names: any call by that name
        return f.attr in helpers
    owner = _dotted(f.value)
    module = mods.get(owner) if owner else None
    if module is None and owner in helpers.modules:
        module = owner
    if module is not None:
        return f.attr in helpers.modules[module]
    return f.attr in helpers.methods


def count_python(text: str, helpers: set[str], path: str | None = None) -> dict:
    """Counts of one file; ``path`` (relative to the root) resolves its relative imports."""
    tree = ast.parse(text)
    asserts = _asserts_in(tree)
    imported, mods = _imported(tree, path, helpers)
    raises = helper_calls = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _is_raises(node):
                raises += 1
            elif _is_helper_call(node, helpers, imported, mods):
                helper_calls += 1
    data = _data_asserts(tree)
    return {"assert": asserts, "raises": raises, "helper_calls": helper_calls, "playbook_that": data,
            "total": asserts + raises + helper_calls + data}


def _walk_tasks(obj):
    if isinstance(obj, list):
        for item in obj:
            yield from _walk_tasks(item)
    elif isinstance(obj, dict):
        yield obj
        for value in obj.values():
            if isinstance(value, (list, dict)):
                yield from _walk_tasks(value)


def count_yaml(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {"assert_tasks": 0, "that": 0, "total": 0}
    tasks = that = 0
    for d in _walk_tasks(data):
        for mod in ASSERT_MODULES:
            if mod in d and isinstance(d[mod], dict) and "that" in d[mod]:
                tasks += 1
                that += _that_items(d[mod]["that"])
    return {"assert_tasks": tasks, "that": that, "total": that}


def count(ref: str | None = None) -> dict[str, dict]:
    files = _files(ref)
    sources = {f: _read(f, ref) for f in files}
    sources = {f: t for f, t in sources.items() if t is not None}
    helpers = helper_names({f: t for f, t in sources.items() if f.endswith(".py")})
    out = {}
    for f, text in sources.items():
        try:
            counts = count_python(text, helpers, f) if f.endswith(".py") else count_yaml(text)
        except SyntaxError as exc:
            counts = {"total": 0, "error": str(exc)}
        if counts["total"] or f.endswith(".py") and Path(f).name.startswith("test_"):
            out[f] = counts
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="compare with the files at this git ref")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("paths", nargs="*", help="only files under these paths")
    args = parser.parse_args(argv)

    def keep(f):
        return not args.paths or any(f == p or f.startswith(p.rstrip("/") + "/") for p in args.paths)

    now = {f: c for f, c in count().items() if keep(f)}
    before = {f: c for f, c in count(args.against).items() if keep(f)} if args.against else None
    if args.json:
        print(json.dumps({"now": now, "before": before}, indent=2, sort_keys=True))
    else:
        width = max([len(f) for f in list(now) + list(before or {})] + [10])
        header = "%-*s %7s" % (width, "file", "now")
        if before is not None:
            header += " %7s %6s" % (args.against[:7], "delta")
        print(header)
        for f in sorted(set(now) | set(before or {})):
            line = "%-*s %7s" % (width, f, now[f]["total"] if f in now else "-")
            if before is not None:
                b = before[f]["total"] if f in before else None
                d = (now[f]["total"] - b) if f in now and b is not None else None
                line += " %7s %6s" % ("-" if b is None else b, "" if d is None else "%+d" % d)
            print(line)
        total = sum(c["total"] for c in now.values())
        line = "%-*s %7d" % (width, "TOTAL", total)
        if before is not None:
            tb = sum(c["total"] for c in before.values())
            line += " %7d %+6d" % (tb, total - tb)
        print(line)
    if before is not None:
        fewer = [f for f in now if f in before and now[f]["total"] < before[f]["total"]]
        if fewer:
            print("fewer assertions than at %s: %s" % (args.against, ", ".join(fewer)), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
