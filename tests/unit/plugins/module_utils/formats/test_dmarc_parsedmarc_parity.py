"""Real-world reports read as parsedmarc reads them: per report the domain, reporter, records, messages,
DMARC / DKIM / SPF-aligned passes and source IPs equal parsedmarc's reading. parsedmarc is run when a Python
with it is found (PARSEDMARC_PYTHON, or /work/tmp/parsedmarc-venv); otherwise the stored reading
(tests/fixtures/dmarc_samples/parsedmarc_reading.json, made by parsedmarc 11.1.0) is the reference."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_containers

SAMPLES = Path(__file__).resolve().parents[5] / "tests" / "fixtures" / "dmarc_samples"
L = dmarc_report.Limits()


def _reference():
    python = os.environ.get("PARSEDMARC_PYTHON") or "/work/tmp/parsedmarc-venv/bin/python"
    if os.path.exists(python):
        out = subprocess.run([python, str(SAMPLES / "parsedmarc_reading.py")], capture_output=True, text=True,
                             timeout=300, check=True)
        return json.loads(out.stdout), "parsedmarc run now"
    return json.loads((SAMPLES / "parsedmarc_reading.json").read_text()), "stored reading"


REFERENCE, HOW = _reference()
NAMES = sorted(REFERENCE["reports"])


def _ours(name):
    data = (SAMPLES / "parsedmarc" / name).read_bytes()
    out = []
    for _member, stream in dmarc_containers.open_reports(data, name, L):
        rep = dmarc_report.parse_xml(stream, L)
        recs = rep["records"]

        def count(pred):
            return sum(r["count"] for r in recs if pred(r))
        out.append({"domain": rep["domain"], "org": rep["org_name"].lower(), "records": rep["record_count"],
                    "messages": rep["messages"],
                    "dmarc_pass": count(lambda r: r["dkim"] == "pass" or r["spf"] == "pass"),
                    "dkim_aligned": count(lambda r: r["dkim"] == "pass"),
                    "spf_aligned": count(lambda r: r["spf"] == "pass"),
                    "source_ips": sorted(set(r["source_ip"] for r in recs))})
    return out


def test_the_corpus_is_there():
    assert len(NAMES) >= 15, (HOW, NAMES)
    assert REFERENCE["parsedmarc"].startswith("11."), REFERENCE["parsedmarc"]


@pytest.mark.parametrize("name", NAMES)
def test_same_reading_as_parsedmarc(name):
    theirs = REFERENCE["reports"][name]
    assert "error" not in theirs, (HOW, theirs)
    (ours,) = _ours(name)
    theirs = dict(theirs, org=theirs["org"].lower())
    assert ours == theirs, (HOW, name)
