"""Playbooks launched from another directory: through scripts/run_unattended they find the checkout's collection
(ansible-playbook itself reads ./ansible.cfg only: "role not found", "couldn't resolve module"); when the
collection cannot be found, the message says what to set."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.fixtures.ansible_runner import base_env

ROOT = Path(__file__).resolve().parents[3]
WRAPPER = ROOT / "scripts" / "run_unattended"


def _env(aws_env, tmp_path, **extra):
    env = base_env(dict(aws_env, HOME=str(tmp_path), **extra))
    env.pop("ANSIBLE_COLLECTIONS_PATH")  # what a shell in another directory has: nothing pointing at the checkout
    return env


def test_playbooks_run_from_another_directory(sandbox, aws_env, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    queue = sandbox.boto3_client("sqs").create_queue(QueueName="anywhere-feedback")["QueueUrl"]
    sandbox.post("suppressions", {"entries": [{"email": "gone@example.com", "reason": "BOUNCE"}]})
    relative = Path(os.path.relpath(ROOT / "playbooks", elsewhere))
    # a role (process_bounces: include_role) and a module at parse time (suppression_report)
    for playbook, extra in [("process_bounces.yml", ["-e", "queue_url=" + queue, "-e", "wait_time_seconds=0",
                                                     "-e", "report_dir=reports", "-e", "store_path=h.sqlite"]),
                            ("suppression_report.yml", ["-e", "reasons=BOUNCE", "-e", "export=bounces.csv"])]:
        proc = subprocess.run([str(WRAPPER), "-i", "localhost,", "-c", "local", str(relative / playbook)] + extra,
                              env=_env(aws_env, tmp_path), cwd=str(elsewhere), capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, (playbook, proc.stdout[-3000:], proc.stderr[-2000:])
    # relative paths are the launch directory's
    assert (elsewhere / "reports" / "list-hygiene.md").exists() and (elsewhere / "h.sqlite").exists()
    assert "gone@example.com" in (elsewhere / "bounces.csv").read_text()


def test_a_collection_that_cannot_be_found_says_what_to_set(tmp_path):
    bare = tmp_path / "ansible.cfg"
    bare.write_text("[defaults]\n")
    for playbook in ("suppression_report.yml", "process_bounces.yml"):
        plain = subprocess.run(["ansible-playbook", "-i", "localhost,", str(ROOT / "playbooks" / playbook)],
                               env=_env({}, tmp_path, ANSIBLE_CONFIG=str(bare)), cwd=str(tmp_path),
                               capture_output=True, text=True, timeout=120)
        assert plain.returncode != 0
        proc = subprocess.run([str(WRAPPER), "-i", "localhost,", str(ROOT / "playbooks" / playbook)],
                              env=_env({}, tmp_path, ANSIBLE_CONFIG=str(bare)), cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "the collection deliverability.ses was not found" in proc.stderr, (playbook, proc.stderr)
        assert "ANSIBLE_CONFIG=<checkout>/ansible.cfg" in proc.stderr
