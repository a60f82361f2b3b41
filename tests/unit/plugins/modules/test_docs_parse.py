"""Every module's DOCUMENTATION / EXAMPLES / RETURN is valid YAML.

A ': ' inside a plain scalar broke ansible-doc (and validate-modules, for every module sharing a fragment)
four times in one session; sanity finds it only after minutes, this finds it in a second and names the file.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py")
                 if p.stem != "__init__")
FRAGMENTS = sorted(p.stem for p in (Path(__file__).resolve().parents[4] / "plugins" / "doc_fragments").glob("*.py")
                   if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_module_docs_are_yaml(name):
    mod = importlib.import_module("ansible_collections.deliverability.ses.plugins.modules." + name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    assert doc["module"] == name and doc["short_description"] and doc["description"]
    for option, spec in (doc.get("options") or {}).items():
        assert spec.get("description"), (name, option)
    assert isinstance(yaml.safe_load(mod.EXAMPLES), list), name
    ret = yaml.safe_load(mod.RETURN)
    assert ret is None or isinstance(ret, dict), name


@pytest.mark.parametrize("name", FRAGMENTS)
def test_doc_fragments_are_yaml(name):
    mod = importlib.import_module("ansible_collections.deliverability.ses.plugins.doc_fragments." + name)
    texts = [v for k, v in vars(mod.ModuleDocFragment).items() if k.isupper() and isinstance(v, str)]
    assert texts, name
    for text in texts:
        assert isinstance(yaml.safe_load(text), dict), name


def test_the_check_can_fail():
    with pytest.raises(yaml.YAMLError):
        # the shape that broke suppressed_destination_info: ': ' in a plain scalar that spans two lines
        yaml.safe_load("description:\n  - writes a file (not in check mode: check mode writes\n    no file).\n")
