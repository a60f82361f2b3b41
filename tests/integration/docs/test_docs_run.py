"""Docs are tests: the README tour and every ```sh block of docs/runbooks/*.md run verbatim, in order, on a fresh
sandbox started the way the README says (`make sandbox &` and the README's `export` line).

A block that must not run here (real AWS only, a placeholder to fill in) is fenced ```sh no-test; such blocks
are counted and listed, never silently dropped. Each document gets its own sandbox and its own scratch
directory (the files the commands write, `reports/…`, land there, not in the checkout); its commands run in one
bash process with `set -eo pipefail`, so the first command that fails fails the document, with its output.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
RUNBOOKS = sorted((ROOT / "docs" / "runbooks").glob("*.md"))
# the README's blocks: the sandbox start (its section "The sandbox") first, then the tour
README = ROOT / "README.md"


def sh_blocks(path):
    """[(line, info, body)] of the ```sh fences of a Markdown file, in order."""
    text = path.read_text()
    out = []
    for m in FENCE.finditer(text):
        info = m.group("info").strip().split()
        if not info or info[0] not in ("sh", "bash", "shell"):
            continue
        body = "\n".join(line[len(m.group("indent")):] for line in m.group("body").splitlines())
        out.append((text[:m.start()].count("\n") + 1, info[1:], body))
    return out


NEVER_RUN = re.compile(r"^\s*make\s+(test|demo|bench|reliability|sanity|lint|integration|unit)\b", re.M)


def runnable(path):
    blocks = sh_blocks(path)
    for line, info, body in blocks:
        # the suite must never start itself (or the demo) from a document: such blocks must say no-test
        assert "no-test" in info or not NEVER_RUN.search(body), "%s:%d runs `make …`: fence it ```sh no-test" % (
            path.name, line)
    return [b for b in blocks if "no-test" not in b[1]], [b for b in blocks if "no-test" in b[1]]


def readme_blocks():
    """The README's sandbox start block first (the tour says to start it that way), then the others in order."""
    run, skipped = runnable(README)
    start = [b for b in run if "make sandbox &" in b[2]]
    assert len(start) == 1, "the README must have exactly one block that starts the sandbox (make sandbox &)"
    return start + [b for b in run if b is not start[0]], skipped


def _free_port():
    """A free port whose next one is free too (`make sandbox` answers DNS on SANDBOX_PORT + 1, UDP and TCP)."""
    import socket
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket() as t, socket.socket(type=socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port + 1))
                u.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def _scratch(tmp_path):
    """A directory that looks like the checkout (links to it) but keeps what the commands write."""
    work = tmp_path / "checkout"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in (".git", "reports", ".deliverability-ses") or entry.name.startswith(".pytest"):
            continue
        (work / entry.name).symlink_to(entry)
    return work


def _script(blocks, port):
    # every command's start time, so the sandbox's request log can be attributed to the playbook that made it
    lines = ["set -eo pipefail", "cd \"$DOCS_WORKDIR\"",
             "__trace() { printf '%s\\t%s\\n' \"$EPOCHREALTIME\" \"${1//[$'\\n']/ }\" >> \"$DOCS_TRACE\"; }",
             "trap '__trace \"$BASH_COMMAND\"' DEBUG"]
    for i, (line, _info, body) in enumerate(blocks):
        lines.append("echo '### block %d (line %d)'" % (i + 1, line))
        lines.append(body)
        if i == 0 and "make sandbox &" in body:
            # a person waits until `make sandbox` says it listens; the script asks its health endpoint
            lines.append("for i in $(seq 1 600); do curl -sf http://127.0.0.1:%d/_sandbox/health >/dev/null && break; "
                         "sleep 0.1; done; curl -sf http://127.0.0.1:%d/_sandbox/health >/dev/null" % (port, port))
    return "\n".join(lines) + "\n"


def run_document(tmp_path, blocks, prelude=()):
    if os.environ.get("DOCS_TEST_DEPTH"):
        pytest.skip("already inside a document's run")
    port = _free_port()
    work = _scratch(tmp_path)
    env = dict(os.environ)
    # only what the docs themselves export: not even the suite's own journal directory (a newcomer has none, and the
    # role's journal must then land in the fresh HOME below, as the docs say)
    for key in [k for k in env if k.startswith(("AWS_", "ANSIBLE_", "DELIVERABILITY_SES_"))]:
        del env[key]
    env.update({
        "SANDBOX_PORT": str(port), "DOCS_WORKDIR": str(work), "HOME": str(tmp_path / "home"),
        "DOCS_TRACE": str(tmp_path / "trace.tsv"), "DOCS_TEST_DEPTH": "1",
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "PATH": "%s:/usr/local/bin:/usr/bin:/bin" % (tmp_path / "shim"),  # a fresh shell: no venv on PATH
    })
    (tmp_path / "home").mkdir()
    # `make` must never rebuild the (shared) venv because requirements.txt is newer than its stamp file
    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "make").write_text('#!/bin/sh\nexec /usr/bin/make -o .venv/.installed "$@"\n')
    (tmp_path / "shim" / "make").chmod(0o755)
    blocks = list(prelude) + list(blocks)
    script = _script(blocks, port)
    (tmp_path / "doc.sh").write_text(script)
    # output to a file, not a pipe: the sandbox the document starts in the background keeps a pipe open after the
    # script ends, so reading to EOF would wait for it
    log = tmp_path / "output.log"
    calls = {}
    with open(log, "w") as sink:
        proc = subprocess.Popen(["bash", str(tmp_path / "doc.sh")], cwd=str(work), env=env, stdout=sink,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            proc.wait(timeout=900)
            calls = playbook_calls(port, tmp_path / "trace.tsv")
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):  # the sandbox the document started, and its make
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
            proc.wait()
    out = log.read_text()
    record_calls(calls)
    return proc.returncode, out, work


PLAYBOOK = re.compile(r"^(?:\S*/)?ansible-playbook\s.*?(?:playbooks/|deliverability\.ses\.)(?P<name>\w+)(?:\.yml)?\b")


def playbook_calls(port, trace):
    """{playbook: sorted "service:Operation"} from the sandbox's request log, each request attributed to the
    last command that started before it (only ansible-playbook commands count)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/_sandbox/requests?since=0" % port, timeout=30) as resp:
            requests = json.loads(resp.read())["requests"]
    except OSError:
        return {}
    starts = []
    for line in trace.read_text().splitlines() if trace.exists() else []:
        stamp, _, command = line.partition("\t")
        m = PLAYBOOK.match(command.strip())
        starts.append((float(stamp), m.group("name") if m else None))
    out = {}
    for req in requests:
        owner = None
        for stamp, name in starts:
            if stamp <= req["time"]:
                owner = name
        if owner and not req.get("fault"):
            out.setdefault(owner, set()).add("%s:%s" % (req["service"], req["operation"]))
    return {k: sorted(v) for k, v in out.items()}


def record_calls(calls):
    """Add this document's calls to the file scripts/iam_policies.py reads (when it asked for them), and check
    them against the documented least-privilege policies."""
    target = os.environ.get("DOCS_CALLS_OUT")
    if target:
        path = Path(target)
        known = json.loads(path.read_text()) if path.exists() else {}
        for name, ops in calls.items():
            known[name] = sorted(set(known.get(name, [])) | set(ops))
        path.write_text(json.dumps(known, indent=1, sort_keys=True))
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    from iam_policies import allowed, iam_action, load_policy
    for name, ops in calls.items():
        policy = load_policy(ROOT / "docs" / "iam" / (name + ".json"))
        missing = [op for op in ops if not allowed(policy, iam_action(op))]
        assert not missing, ("docs/iam/%s.json does not allow what playbooks/%s.yml called: %s "
                             "(regenerate with scripts/iam_policies.py)" % (name, name, missing))


def test_readme_tour_runs_verbatim(tmp_path):
    blocks, skipped = readme_blocks()
    assert len(blocks) >= 2
    rc, out, work = run_document(tmp_path, blocks)
    assert rc == 0, out[-8000:]
    assert "### block %d" % len(blocks) in out
    # the tour's files land where the reader ran it, not under playbooks/
    assert (work / "reports" / "list-hygiene.md").is_file() and (work / "reports" / "reputation.html").is_file()
    assert not (ROOT / "playbooks" / "reports").exists()
    print("README: %d blocks run, %d marked no-test" % (len(blocks), len(skipped)))


@pytest.mark.parametrize("path", RUNBOOKS, ids=[p.name for p in RUNBOOKS])
def test_runbook_runs_verbatim(tmp_path, path):
    blocks, skipped = runnable(path)
    if not blocks:
        assert path.name == "README.md" or skipped, "%s has no ```sh block at all" % path.name
        pytest.skip("%s: no runnable block (%d no-test)" % (path.name, len(skipped)))
    start, _ = readme_blocks()
    rc, out, _work = run_document(tmp_path, blocks, prelude=[start[0]])
    assert rc == 0, "%s failed:\n%s" % (path.name, out[-8000:])
    print("%s: %d blocks run, %d marked no-test" % (path.name, len(blocks), len(skipped)))


EE_README = ROOT / "docs" / "ee" / "README.md"


def test_ee_readme_dynamodb_stores_run_verbatim(tmp_path):
    """The DynamoDB-store variants of process_bounces.yml and dmarc_rollout.yml (docs/ee): they run, and their
    calls - the DynamoDB ones included - fall within docs/iam (record_calls, in run_document)."""
    blocks, _skipped = runnable(EE_README)
    assert len(blocks) >= 2 and any("bounce_processing_store=dynamodb" in b for _, _, b in blocks)
    start, _ = readme_blocks()
    rc, out, _work = run_document(tmp_path, blocks, prelude=[start[0]])
    assert rc == 0, "docs/ee/README.md failed:\n%s" % out[-8000:]
    assert out.count("ACTIVE") >= 2, out[-3000:]  # both tables exist, read back with the AWS CLI


def test_no_test_blocks_are_counted_and_few():
    """Every skipped block is visible here; most of every document runs."""
    counts = {p.name: tuple(len(x) for x in runnable(p)) for p in RUNBOOKS + [README]}
    for name, (run, skipped) in counts.items():
        assert skipped <= run or name == "README.md", "%s: %d blocks skipped, %d run" % (name, skipped, run)
